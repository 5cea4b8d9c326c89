# Reference values for tests/test_honest_did_r.py: the HonestDiD R package's
# restriction families SDB, SDM, RMB, RMM, SDRM, SDRMB and SDRMM on the Medicaid-expansion
# event study of its README (betahat / sigma frozen in tests/reference/honest_did.json).
#
# Run by hand from the repository root, with HonestDiD and jsonlite on the library path:
#
#     R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R
#
# or, to use several cores, each part in its own process and then the merge (each part
# saves its file after every case, so a stopped run keeps what it has done):
#
#     for p in sdcond rmcond sdrmcond sdrmcond_m sd_positive sd_increasing lf; do
#       R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R $p &
#     done; wait
#     R_LIBS=/work/rlib Rscript tests/reference/make_honest_did_families.R merge
#
# HonestDiD's nuisance-parameter tests solve linear programs at every grid point for every
# piece of a union: one RM interval on 151 grid points took about 4 minutes here (2 cores
# shared by many jobs); the whole run about 35 minutes with the parts in parallel.
#
# HonestDiD was installed from its GitHub source (commit 1ada90e, version 0.2.6, the last
# one written for CVXR < 1.8), with CVXR 1.0-15, TruncatedNormal 2.1.4 (tag v2.2), lpSolveAPI,
# latex2exp, osqp 0.6.0.8 and scs 3.2.4 built from source; the versions are written to the
# JSON file.  Two blocks of numbers are written:
#
# 1. "common_grid": the conditional test (hybrid_flag = "ARP"; no simulation) inverted over
#    a grid of theta given here (grid.lb, grid.ub, gridPoints), through the package's
#    exported computeConditionalCS_Delta* functions.  evalkit run on the same grid
#    (theta_range, grid_points) accepts the same grid points, so the interval ends agree
#    to the last digit unless a test statistic ties with its critical value.
#    Over several bounds per family, so that breakdown values (the smallest bound on the
#    grid whose interval covers 0) can be compared too.
# 2. "defaults": the package's user functions with their default interval methods, as a
#    user calls them: createSensitivityResults (C-F, the FLCI hybrid, under SDB / SDM, on
#    its own grid, the FLCI of level alpha / 10), with breakdown values, and
#    createSensitivityResults_relativeMagnitudes (C-LF under RMB and SDRMB at Mbar = 1, on
#    the theta grid of part 1 to keep the run short).  C-LF's first stage simulates a
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

args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("sdcond", "rmcond", "sdrmcond", "sdrmcond_m", "sd_positive", "sd_increasing",
                                       "lf", "merge")
part_file <- function(part) file.path(root, sprintf(".honest_did_families_%s.json", part))
save_part <- function(part, value) writeLines(toJSON(value, auto_unbox = TRUE, digits = NA, na = "null"), part_file(part))

grid <- list(lb = -0.1, ub = 0.2, points = 151L)  # theta step 0.002

shape_args <- function(shape) {
  if (shape == "none") list()
  else if (shape %in% c("positive", "negative")) list(biasDirection = shape)
  else list(monotonicityDirection = shape)
}

# ---- 1. conditional test on a common grid -----------------------------------------------
cond_fun <- list(
  SD = list(positive = computeConditionalCS_DeltaSDB, negative = computeConditionalCS_DeltaSDB,
            increasing = computeConditionalCS_DeltaSDM, decreasing = computeConditionalCS_DeltaSDM),
  RM = list(positive = computeConditionalCS_DeltaRMB, negative = computeConditionalCS_DeltaRMB,
            increasing = computeConditionalCS_DeltaRMM, decreasing = computeConditionalCS_DeltaRMM),
  SDRM = list(none = computeConditionalCS_DeltaSDRM, positive = computeConditionalCS_DeltaSDRMB,
              negative = computeConditionalCS_DeltaSDRMB, increasing = computeConditionalCS_DeltaSDRMM,
              decreasing = computeConditionalCS_DeltaSDRMM))

run_cond <- function(part, family, shapes, bounds, targets = "first") {
  cases <- if (file.exists(part_file(part))) fromJSON(part_file(part), simplifyVector = FALSE) else list()
  for (target in targets) for (shape in shapes) for (b in bounds) {
    one <- target == "one_post"
    n <- if (one) numPre + 1 else numPre + numPost
    l_vec <- switch(target, first = l_first, average = l_avg, one_post = 1)
    args <- c(list(betahat = betahat[1:n], sigma = sigma[1:n, 1:n], numPrePeriods = numPre,
                   numPostPeriods = if (one) 1L else numPost, l_vec = l_vec, alpha = alpha, hybrid_flag = "ARP",
                   gridPoints = grid$points, grid.lb = grid$lb, grid.ub = grid$ub), shape_args(shape))
    args[[if (family == "SD") "M" else "Mbar"]] <- b
    t0 <- proc.time()[["elapsed"]]
    e <- ends(do.call(cond_fun[[family]][[shape]], args))
    cat(sprintf("%-5s %-10s %-8s %5.2f  [%.6f, %.6f]  %.1fs\n", family, shape, target, b, e[1], e[2],
                proc.time()[["elapsed"]] - t0))
    cases[[length(cases) + 1]] <- list(family = family, shape = shape, target = target, l_vec = l_vec,
                                       m = b, lower = e[1], upper = e[2])
    save_part(part, cases)  # after every case: a long run can be stopped without losing it
  }
}

if ("sdcond" %in% parts) {
  run_cond("sdcond", "SD", c("positive", "negative", "increasing", "decreasing"), c(0, 0.01, 0.02, 0.03, 0.04))
  run_cond("sdcond", "SD", "positive", 0.02, c("average", "one_post"))
}
if ("rmcond" %in% parts) {
  run_cond("rmcond", "RM", c("positive", "negative", "increasing", "decreasing"), c(1, 2))
  run_cond("rmcond", "RM", "increasing", 1, c("one_post", "average"))
}
if ("sdrmcond" %in% parts) {
  run_cond("sdrmcond", "SDRM", c("none", "positive", "negative"), c(1, 2))
  run_cond("sdrmcond", "SDRM", "negative", 1, c("one_post", "average"))
}
if ("sdrmcond_m" %in% parts) {
  run_cond("sdrmcond_m", "SDRM", c("increasing", "decreasing"), c(1, 2))
}

# ---- 2. the user functions with their defaults, and breakdown values ---------------------
breakdown <- function(case) {  # "Inf" (JSON has no infinity) when no interval covers 0
  num <- function(x) vapply(x, function(v) if (is.null(v)) NA_real_ else as.numeric(v), 0)
  lb <- num(case$lower)
  covers <- !is.na(lb) & lb <= 0 & 0 <= num(case$upper)
  if (any(covers)) min(num(case$m)[covers]) else "Inf"
}

# createSensitivityResults: C-F, its theta grid the FLCI of level alpha / 10.  Its FLCI is
# a grid search over about 100 convex programs (CVXR) per bound: slow, so one bound each.
for (shape in intersect(c("positive", "increasing"), sub("^sd_", "", parts[startsWith(parts, "sd_")]))) {
  t0 <- proc.time()[["elapsed"]]
  out <- do.call(createSensitivityResults,
                 c(list(betahat = betahat, sigma = sigma, numPrePeriods = numPre, numPostPeriods = numPost,
                        Mvec = 0.02, l_vec = l_first, alpha = alpha), shape_args(shape)))
  cat(sprintf("defaults SD %s (%s) %.1fs\n", shape, out$method[1], proc.time()[["elapsed"]] - t0))
  print(out)
  save_part(paste0("sd_", shape), list(list(
    family = "SD", shape = shape, restriction = out$Delta[1], ci_method = out$method[1], l_vec = l_first,
    m = out$M, lower = out$lb, upper = out$ub)))
}

# createSensitivityResults_relativeMagnitudes: C-LF (seed 0), on the theta grid of part 1
if ("lf" %in% parts) {
  defaults <- list()
  for (case in list(list("RM", "positive"), list("SDRM", "negative"))) {
    family <- case[[1]]
    shape <- case[[2]]
    bound <- if (family == "RM") "deviation from parallel trends" else "deviation from linear trend"
    t0 <- proc.time()[["elapsed"]]
    out <- do.call(createSensitivityResults_relativeMagnitudes,
                   c(list(betahat = betahat, sigma = sigma, numPrePeriods = numPre, numPostPeriods = numPost,
                          bound = bound, Mbarvec = 1, l_vec = l_first, alpha = alpha,
                          gridPoints = grid$points, grid.lb = grid$lb, grid.ub = grid$ub), shape_args(shape)))
    cat(sprintf("defaults %s %s (%s) %.1fs\n", family, shape, out$method[1], proc.time()[["elapsed"]] - t0))
    print(out)
    defaults[[length(defaults) + 1]] <- list(
      family = family, shape = shape, restriction = out$Delta[1], ci_method = out$method[1],
      l_vec = l_first, m = out$Mbar, lower = out$lb, upper = out$ub,
      grid_lb = grid$lb, grid_ub = grid$ub, grid_points = grid$points)
    save_part("lf", defaults)
  }
}

if ("merge" %in% parts) {
  read_part <- function(part) if (file.exists(part_file(part))) fromJSON(part_file(part), simplifyVector = FALSE)
                              else list()
  pkgs <- c("HonestDiD", "CVXR", "TruncatedNormal", "lpSolveAPI", "Rglpk", "ECOSolveR", "osqp", "scs", "mvtnorm",
            "Matrix")
  versions <- c(list(R = R.version.string), lapply(setNames(pkgs, pkgs), function(p) as.character(packageVersion(p))))
  cond <- c("sdcond", "rmcond", "sdrmcond", "sdrmcond_m")
  out <- list(
    source = paste("HonestDiD R package (github.com/asheshrambachan/HonestDiD, commit 1ada90e),",
                   "tests/reference/make_honest_did_families.R"),
    inputs = "betahat, sigma, num_pre, num_post of tests/reference/honest_did.json (Medicaid expansion, README)",
    versions = versions, alpha = alpha,
    common_grid = list(lb = grid$lb, ub = grid$ub, points = grid$points,
                       cases = do.call(c, lapply(cond, read_part))),
    defaults = lapply(c(read_part("sd_positive"), read_part("sd_increasing"), read_part("lf")),
                      function(case) c(case[names(case) != "breakdown"], list(breakdown = breakdown(case)))))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
             file.path(root, "honest_did_families.json"))
  for (part in c(cond, "sd_positive", "sd_increasing", "lf")) if (file.exists(part_file(part))) file.remove(part_file(part))
  cat("wrote", file.path(root, "honest_did_families.json"), "\n")
}
