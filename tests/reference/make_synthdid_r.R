# Freeze R synthdid's numbers on the Proposition 99 panel (tests/reference/synthdid_r.json).
#
# Peer: the reference R package synthdid (Arkhangelsky, Athey, Hirshberg, Imbens & Wager),
# github:synth-inference/synthdid at commit 70c1ce3 (version 0.0.9; not on CRAN, not in
# Debian), installed into a private library with
#
#     R CMD INSTALL -l /work/rlib-sdid <source tree of that commit>
#
# and run with R 4.2 (Debian) and jsonlite from the repository root:
#
#     R_LIBS=/work/rlib-sdid Rscript tests/reference/make_synthdid_r.R [covariates]
#
# (with "covariates", only the covariate designs are recomputed and the others kept from
# the existing JSON: they take most of the time).
# It is never a run-time or test dependency.  Designs, on tests/data/california_prop99.csv
# (the R package's data, checked equal to data('california_prop99') below):
#
# - block: California treated from 1989 (the paper's Table 1).  For synthdid_estimate,
#   sc_estimate and did_estimate: the estimate, unit weights omega and time weights lambda;
#   the placebo SE exactly as the paper's vignette (vignettes/paper-results.Rmd) computes
#   it, set.seed(12345) then sqrt(vcov(estimate, method = "placebo")) with the default 200
#   replications; the 200 permutations R draws for it (0-based positions among the
#   controls; the last N1 of each are the placebo treated) and the estimate of each draw,
#   recomputed here from the package's exported estimator and checked against vcov's SE.
#   The jackknife is not defined with one treated unit (R returns NA).
# - block5: California, Montana, Nevada, New Mexico and Utah treated from 1989, so that the
#   jackknife is defined: estimates, weights and the (deterministic, fixed-weight) jackknife
#   SE, sqrt(vcov(estimate, method = "jackknife")).
# - covariates: California from 1989 with two time-varying covariates passed as R's X
#   (x1 = ((year - 1970)/10)^2 (i mod 3) + cos(i year / 7), i the state's row in R's order;
#   x2 = the state's packs per capita of the year before, the first year repeated, / 100;
#   both frozen in the JSON): estimates, weights and beta of the three estimators, and the
#   first placebo draw of each from the permutations above.
# - covariates_jackknife: California and Nevada treated from 1989 against the first six
#   other states (alphabetically), the same covariates: the jackknife SE of SDID (every
#   left-out fit re-estimates beta with the weights held fixed).

suppressPackageStartupMessages({
  library(synthdid)
  library(jsonlite)
})

args = commandArgs(trailingOnly = FALSE)
script = sub("^--file=", "", args[grep("^--file=", args)])
root = normalizePath(file.path(dirname(script), ".."))
data = read.csv(file.path(root, "data", "california_prop99.csv"), sep = ";")

data("california_prop99", package = "synthdid", envir = environment())
stopifnot(isTRUE(all.equal(data$PacksPerCapita, california_prop99$PacksPerCapita, tolerance = 1e-12)),
          identical(data$State, as.character(california_prop99$State)), all(data$Year == california_prop99$Year))

SEED = 12345
REPS = 200
BLOCK5 = c("California", "Montana", "Nevada", "New Mexico", "Utah")
ESTIMATORS = list(sdid = synthdid_estimate, sc = sc_estimate, did = did_estimate)

normalised = function(x) if (sum(x) != 0) x / sum(x) else rep(1 / length(x), length(x))

# One placebo draw (Algorithm 4 of the paper): the controls in the order `ind`, the last N1
# of them treated, the original options, unit weights started from the original ones.
placebo_draw = function(estimate, ind) {
  setup = attr(estimate, "setup")
  opts = attr(estimate, "opts")
  weights = attr(estimate, "weights")
  n1 = nrow(setup$Y) - setup$N0
  n0 = length(ind) - n1
  weights$omega = normalised(weights$omega[ind[1:n0]])
  c(do.call(synthdid_estimate, c(list(Y = setup$Y[ind, ], N0 = n0, T0 = setup$T0, X = setup$X[ind, , , drop = FALSE],
                                      weights = weights), opts)))
}

covariates = function(setup) {
  n = nrow(setup$Y)
  n_t = ncol(setup$Y)
  i = matrix(seq_len(n), n, n_t)
  year = matrix(as.numeric(colnames(setup$Y)), n, n_t, byrow = TRUE)
  x1 = ((year - 1970) / 10)^2 * (i %% 3) + cos(i * year / 7)
  x2 = cbind(setup$Y[, 1], setup$Y[, -n_t]) / 100
  array(c(x1, x2), dim = c(n, n_t, 2))
}

block_numbers = function(panel, placebo, jackknife, X = NULL, n_placebo = REPS, methods = names(ESTIMATORS)) {
  setup = panel.matrices(panel, unit = "State", time = "Year", outcome = "PacksPerCapita", treatment = "treated")
  if (is.null(X)) X = array(dim = c(dim(setup$Y), 0))
  controls = rownames(setup$Y)[1:setup$N0]
  years = colnames(setup$Y)[1:setup$T0]
  out = list(n0 = setup$N0, t0 = setup$T0, controls = controls)
  if (dim(X)[3] > 0) out$units = rownames(setup$Y)
  if (placebo) {
    set.seed(SEED)
    perms = replicate(REPS, sample(1:setup$N0))  # N0 x REPS, as placebo_se draws them
    if (n_placebo == REPS) out$permutations = unname(lapply(seq_len(REPS), function(b) perms[, b] - 1L))
  }
  for (name in methods) {
    est = ESTIMATORS[[name]](setup$Y, setup$N0, setup$T0, X = X)
    w = attr(est, "weights")
    row = list(estimate = c(est), omega = as.list(setNames(w$omega, controls)),
               lambda = as.list(setNames(w$lambda, years)))
    if (dim(X)[3] > 0) row$beta = w$beta
    if (placebo && n_placebo == REPS) {
      set.seed(SEED)
      row$placebo_se = sqrt(c(vcov(est, method = "placebo")))
      draws = apply(perms, 2, function(ind) placebo_draw(est, ind))
      stopifnot(isTRUE(all.equal(sqrt((REPS - 1) / REPS) * sd(draws), row$placebo_se, tolerance = 1e-12)))
      row$placebo_draws = draws
    } else if (placebo) {
      row$placebo_draws = apply(perms[, 1:n_placebo, drop = FALSE], 2, function(ind) placebo_draw(est, ind))
    }
    if (jackknife) row$jackknife_se = sqrt(c(vcov(est, method = "jackknife")))
    out[[name]] = row
  }
  out
}

block = data
block$treated = as.integer(block$State == "California" & block$Year >= 1989)
block5 = data
block5$treated = as.integer(block5$State %in% BLOCK5 & block5$Year >= 1989)
SMALL_TREATED = c("California", "Nevada")
small_states = c(head(setdiff(sort(unique(data$State)), SMALL_TREATED), 6), SMALL_TREATED)
small = data[data$State %in% small_states, ]
small$treated = as.integer(small$State %in% SMALL_TREATED & small$Year >= 1989)
matrices = function(panel) panel.matrices(panel, unit = "State", time = "Year", outcome = "PacksPerCapita",
                                         treatment = "treated")
X_block = covariates(matrices(block))
X_small = covariates(matrices(small))
with_x = function(numbers, X) c(numbers, list(x1 = unname(X[, , 1]), x2 = unname(X[, , 2])))

path = file.path(root, "reference", "synthdid_r.json")
only_covariates = "covariates" %in% commandArgs(trailingOnly = TRUE)
result = if (only_covariates) fromJSON(path, simplifyVector = FALSE) else list(
  source = sprintf("R synthdid %s (github:synth-inference/synthdid 70c1ce3), %s, jsonlite %s",
                   packageVersion("synthdid"), R.version.string, packageVersion("jsonlite")),
  seed = SEED,
  reps = REPS,
  rng = paste(RNGkind(), collapse = " / "),
  block = block_numbers(block, placebo = TRUE, jackknife = FALSE),
  block5 = c(list(treated = BLOCK5), block_numbers(block5, placebo = FALSE, jackknife = TRUE))
)
result$covariates = with_x(block_numbers(block, placebo = TRUE, jackknife = FALSE, X = X_block, n_placebo = 1),
                           X_block)
result$covariates_jackknife = c(list(states = small_states, treated = SMALL_TREATED),
                                with_x(block_numbers(small, placebo = FALSE, jackknife = TRUE, X = X_small,
                                                     methods = "sdid"), X_small))
writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = 1), path)
cat("wrote", path, "\n")
for (name in names(ESTIMATORS)) {
  cat(sprintf("%-4s estimate %8.3f  placebo SE (seed %d, %d draws) %6.3f  block5 jackknife SE %6.3f  with X %8.3f\n",
              name, result$block[[name]]$estimate, SEED, REPS, result$block[[name]]$placebo_se,
              result$block5[[name]]$jackknife_se, result$covariates[[name]]$estimate))
}
