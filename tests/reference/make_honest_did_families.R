# Reference values for tests/test_honest_did_families.py: the HonestDiD R package's
# restriction families SDB, SDM, RMB, RMM, SDRM, SDRMB and SDRMM on the Medicaid-expansion
# event study of its README (betahat / sigma frozen in tests/reference/honest_did.json).
#
# Run by hand from the repository root, with HonestDiD and jsonlite on the library path:
#
#     R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R
#
# or, to use several cores, each part in its own process and then the merge:
#
#     for p in common sd rm sdrm; do R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R $p & done; wait
#     R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R merge
#
# (HonestDiD's nuisance-parameter tests solve a linear program per grid point and piece of
# the union: one RM interval on 301 grid points takes about a minute on this machine.)
#
# HonestDiD was installed from its GitHub source (commit 1ada90e, version 0.2.6, the last
# one written for CVXR < 1.8), with CVXR 1.0-15, TruncatedNormal 2.2, lpSolveAPI,
# latex2exp, osqp 0.6.0.8 and scs 3.2.4 built from source; the versions are written to the
# JSON file.  Two blocks of numbers are written:
#
# 1. "common_grid": the conditional test (hybrid_flag = "ARP"; no simulation) inverted over
#    a grid of theta given here (grid.lb, grid.ub, gridPoints), through the package's
#    exported computeConditionalCS_Delta* functions.  evalkit run on the same grid
#    (theta_range, grid_points) accepts the same grid points, so the interval ends agree
#    to the last digit unless a test statistic ties with its critical value.
# 2. "defaults": the package's user functions with their default interval methods, as a
#    user calls them: createSensitivityResults (C-F, the FLCI hybrid, under SDB / SDM, on
#    its own grid, the FLCI of level alpha / 10) and
#    createSensitivityResults_relativeMagnitudes (C-LF under RMB / RMM / SDRM / SDRMB /
#    SDRMM, on the theta grid of part 1 to keep the run short), with breakdown values (the
#    smallest bound on the grid whose interval covers 0).  C-LF's first stage simulates a
#    critical value (seed 0 in R), so evalkit matches these to a few grid steps, not to
#    the digit.

suppressPackageStartupMessages({
  library(HonestDiD)
  library(jsonlite)
})

root <- "tests/reference"
ref <- fromJSON(file.path(root, "honest_did.json"))
betahat <- as.numeric(ref$betahat)
sigma <- as.matrix(ref$sigma)
numPre <- as.integer(ref$num_pre)
numPost <- as.integer(ref$num_post)
alpha <- 0.05
l_first <- c(1, 0)
l_avg <- c(0.5, 0.5)

ends <- function(res) {
  acc <- res$grid[res$accept == 1]
  if (length(acc) == 0) return(c(NA_real_, NA_real_))
  c(min(acc), max(acc))
}

# ---- 1. conditional test on a common grid -----------------------------------------------
args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("common", "sd", "rm", "sdrm", "merge")
part_file <- function(part) file.path(root, sprintf(".honest_did_families_%s.json", part))
save_part <- function(part, value) writeLines(toJSON(value, auto_unbox = TRUE, digits = NA, na = "null"), part_file(part))

grid <- list(lb = -0.1, ub = 0.2, points = 301L)  # theta step 0.001
sd_m <- c(0.02, 0.04)
rm_m <- 1

shape_args <- function(shape) {
  if (shape %in% c("positive", "negative")) list(biasDirection = shape)
  else list(monotonicityDirection = shape)
}

common <- list()
if ("common" %in% parts) {
  run_common <- function(family, fun, bound_name, bounds, shape, l_vec, target) {
    for (b in bounds) {
      args <- c(list(betahat = betahat, sigma = sigma, numPrePeriods = numPre, numPostPeriods = numPost,
                     l_vec = l_vec, alpha = alpha, hybrid_flag = "ARP", gridPoints = grid$points,
                     grid.lb = grid$lb, grid.ub = grid$ub), shape_args(shape))
      args[[bound_name]] <- b
      t0 <- proc.time()[["elapsed"]]
      e <- ends(do.call(fun, args))
      cat(sprintf("%-8s %-10s %-7s %5.2f  [%.6f, %.6f]  %.1fs\n", family, shape, target, b, e[1], e[2],
                  proc.time()[["elapsed"]] - t0))
      common[[length(common) + 1]] <<- list(family = family, shape = shape, target = target, l_vec = l_vec,
                                            m = b, lower = e[1], upper = e[2])
    }
  }

  for (shape in c("positive", "negative")) {
    run_common("SD", computeConditionalCS_DeltaSDB, "M", sd_m, shape, l_first, "first")
    run_common("RM", computeConditionalCS_DeltaRMB, "Mbar", rm_m, shape, l_first, "first")
    run_common("SDRM", computeConditionalCS_DeltaSDRMB, "Mbar", rm_m, shape, l_first, "first")
  }
  for (shape in c("increasing", "decreasing")) {
    run_common("SD", computeConditionalCS_DeltaSDM, "M", sd_m, shape, l_first, "first")
    run_common("RM", computeConditionalCS_DeltaRMM, "Mbar", rm_m, shape, l_first, "first")
    run_common("SDRM", computeConditionalCS_DeltaSDRMM, "Mbar", rm_m, shape, l_first, "first")
  }
  # the average of the two post periods, one case per family
  run_common("SD", computeConditionalCS_DeltaSDB, "M", 0.02, "positive", l_avg, "average")
  run_common("RM", computeConditionalCS_DeltaRMM, "Mbar", 1, "increasing", l_avg, "average")
  run_common("SDRM", computeConditionalCS_DeltaSDRMB, "Mbar", 1, "negative", l_avg, "average")
  run_common("SDRM", computeConditionalCS_DeltaSDRMM, "Mbar", 1, "decreasing", l_avg, "average")
  for (b in rm_m) {  # SDRM itself (no sign or monotonicity restriction)
    t0 <- proc.time()[["elapsed"]]
    e <- ends(computeConditionalCS_DeltaSDRM(betahat = betahat, sigma = sigma, numPrePeriods = numPre,
                                             numPostPeriods = numPost, l_vec = l_first, alpha = alpha, Mbar = b,
                                             hybrid_flag = "ARP", gridPoints = grid$points,
                                             grid.lb = grid$lb, grid.ub = grid$ub))
    cat(sprintf("SDRM     none       first   %5.2f  [%.6f, %.6f]  %.1fs\n", b, e[1], e[2],
                proc.time()[["elapsed"]] - t0))
    common[[length(common) + 1]] <- list(family = "SDRM", shape = "none", target = "first", l_vec = l_first,
                                         m = b, lower = e[1], upper = e[2])
  }

  # one post period (the first): the package drops the moments without a post-period coefficient
  one_post <- function(family, fun, bound_name, b, shape) {
    args <- c(list(betahat = betahat[1:(numPre + 1)], sigma = sigma[1:(numPre + 1), 1:(numPre + 1)],
                   numPrePeriods = numPre, numPostPeriods = 1L, l_vec = 1, alpha = alpha, hybrid_flag = "ARP",
                   gridPoints = grid$points, grid.lb = grid$lb, grid.ub = grid$ub), shape_args(shape))
    args[[bound_name]] <- b
    e <- ends(do.call(fun, args))
    cat(sprintf("%-8s %-10s 1 post  %5.2f  [%.6f, %.6f]\n", family, shape, b, e[1], e[2]))
    common[[length(common) + 1]] <<- list(family = family, shape = shape, target = "one_post", l_vec = 1,
                                          m = b, lower = e[1], upper = e[2])
  }
  one_post("SD", computeConditionalCS_DeltaSDB, "M", 0.02, "positive")
  one_post("RM", computeConditionalCS_DeltaRMM, "Mbar", 1, "increasing")
  one_post("SDRM", computeConditionalCS_DeltaSDRMB, "Mbar", 1, "negative")

  save_part("common", common)
}
# ---- 2. the user functions with their defaults, and breakdown values ---------------------
breakdown <- function(m, lb, ub) {
  covers <- !is.na(lb) & lb <= 0 & 0 <= ub
  if (any(covers)) min(m[covers]) else Inf
}

if ("sd" %in% parts) {  # createSensitivityResults: C-F, its theta grid the FLCI of level alpha / 10
  defaults <- list()
  sd_vec <- c(0, 0.01, 0.02, 0.03, 0.04)
  for (shape in c("positive", "negative", "increasing", "decreasing")) {
    t0 <- proc.time()[["elapsed"]]
    out <- do.call(createSensitivityResults,
                   c(list(betahat = betahat, sigma = sigma, numPrePeriods = numPre, numPostPeriods = numPost,
                          Mvec = sd_vec, l_vec = l_first, alpha = alpha), shape_args(shape)))
    cat(sprintf("defaults SD %s (%s) %.1fs\n", shape, out$method[1], proc.time()[["elapsed"]] - t0))
    print(out)
    defaults[[length(defaults) + 1]] <- list(
      family = "SD", shape = shape, restriction = out$Delta[1], ci_method = out$method[1], l_vec = l_first,
      m = out$M, lower = out$lb, upper = out$ub, breakdown = breakdown(out$M, out$lb, out$ub))
  }
  save_part("sd", defaults)
}

# createSensitivityResults_relativeMagnitudes: C-LF (seed 0), on the theta grid of part 1
rm_vec <- c(0.5, 1, 2)
for (family in intersect(c("rm", "sdrm"), parts)) {
  bound <- if (family == "rm") "deviation from parallel trends" else "deviation from linear trend"
  shapes <- if (family == "rm") c("positive", "negative", "increasing", "decreasing")
            else c("none", "positive", "negative", "increasing", "decreasing")
  defaults <- list()
  for (shape in shapes) {
    t0 <- proc.time()[["elapsed"]]
    extra <- if (shape == "none") list() else shape_args(shape)
    out <- do.call(createSensitivityResults_relativeMagnitudes,
                   c(list(betahat = betahat, sigma = sigma, numPrePeriods = numPre, numPostPeriods = numPost,
                          bound = bound, Mbarvec = rm_vec, l_vec = l_first, alpha = alpha,
                          gridPoints = grid$points, grid.lb = grid$lb, grid.ub = grid$ub), extra))
    cat(sprintf("defaults %s %s (%s) %.1fs\n", family, shape, out$method[1], proc.time()[["elapsed"]] - t0))
    print(out)
    defaults[[length(defaults) + 1]] <- list(
      family = toupper(family), shape = shape, restriction = out$Delta[1], ci_method = out$method[1],
      l_vec = l_first, m = out$Mbar, lower = out$lb, upper = out$ub,
      breakdown = breakdown(out$Mbar, out$lb, out$ub),
      grid_lb = grid$lb, grid_ub = grid$ub, grid_points = grid$points)
  }
  save_part(family, defaults)
}

if ("merge" %in% parts) {
  read_part <- function(part) fromJSON(part_file(part), simplifyVector = FALSE)
  pkgs <- c("HonestDiD", "CVXR", "TruncatedNormal", "lpSolveAPI", "Rglpk", "ECOSolveR", "osqp", "scs", "mvtnorm",
            "Matrix")
  versions <- c(list(R = R.version.string), lapply(setNames(pkgs, pkgs), function(p) as.character(packageVersion(p))))
  out <- list(
    source = paste("HonestDiD R package (github.com/asheshrambachan/HonestDiD, commit 1ada90e),",
                   "tests/reference/make_honest_did_families.R"),
    inputs = "betahat, sigma, num_pre, num_post of tests/reference/honest_did.json (Medicaid expansion, README)",
    versions = versions, alpha = alpha,
    common_grid = list(lb = grid$lb, ub = grid$ub, points = grid$points, cases = read_part("common")),
    defaults = c(read_part("sd"), read_part("rm"), read_part("sdrm")))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
             file.path(root, "honest_did_families.json"))
  for (part in c("common", "sd", "rm", "sdrm")) file.remove(part_file(part))
  cat("wrote", file.path(root, "honest_did_families.json"), "\n")
}
