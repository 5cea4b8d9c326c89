# Freeze clubSandwich's CR2 / CR3 numbers on evalkit's panel (not run in CI).
#
#   Rscript tests/reference/make_cr2_clubsandwich.R   (run by make_cr2_clubsandwich.py,
#                                                      which writes the CSV first)
#
# Reads cr2_clubsandwich_panel.csv (made by make_cr2_clubsandwich.py), fits each model
# with lm() (fixed effects as factor dummies), and writes cr2_clubsandwich.json: per
# model the CR2 covariance of the terms x and D, coef_test() with Satterthwaite df,
# Wald_test() of x = D = 0 (HTZ and Naive-F), and the CR3 covariance where the model has
# no fixed effect nested in the clusters (clubSandwich's CR3 inverts I - H_gg, singular
# with nested dummies).  Clusters: county.
#
# Weights.  evalkit's CR2 with analytic weights is the CR2 of the whitened regression
# (rows times sqrt(w)).  clubSandwich's CR2 of lm(..., weights = w) follows Pustejovsky &
# Tipton's definition with the Cholesky factor of the working variance W^-1 (with
# inverse_var = TRUE; the default for lm with weights is the working model I): it is
# unbiased under the same working model but a different matrix when the weights vary
# within a cluster (CR3, an inverse rather than a square root, is the same).  So the
# weighted models are fitted as the whitened lm(sqrt(w) y ~ 0 + sqrt(w) X), and the CR2 of
# lm(..., weights = w, inverse_var = TRUE) is frozen beside them ("cr2_cov_lm_weights")
# to document the difference.
suppressPackageStartupMessages({
  library(clubSandwich)
  library(jsonlite)
})

dat <- read.csv("cr2_clubsandwich_panel.csv")
dat$county_f <- factor(dat$county)
dat$unit_f <- factor(dat$unit)
dat$period_f <- factor(dat$period)
terms <- c("x", "D")

models <- list(
  list(id = "county_fe", formula = y ~ x + D + period_f + county_f, weighted = FALSE, cr3 = FALSE),
  list(id = "county_fe_weighted", formula = y ~ x + D + period_f + county_f, weighted = TRUE, cr3 = FALSE),
  list(id = "unit_fe_weighted", formula = y ~ x + D + period_f + unit_f, weighted = TRUE, cr3 = FALSE),
  list(id = "period_fe", formula = y ~ x + D + period_f, weighted = FALSE, cr3 = TRUE),
  list(id = "period_fe_weighted", formula = y ~ x + D + period_f, weighted = TRUE, cr3 = TRUE)
)

cases <- lapply(models, function(m) {
  if (m$weighted) {
    # the whitened regression: rows times sqrt(w), the intercept and dummies included
    X <- model.matrix(m$formula, dat)
    Xt <- sqrt(dat$w) * X
    yt <- sqrt(dat$w) * dat$y
    fit <- lm(yt ~ 0 + Xt)
    coefs <- paste0("Xt", terms)
  } else {
    fit <- lm(m$formula, data = dat)
    coefs <- terms
  }
  V2 <- vcovCR(fit, cluster = dat$county, type = "CR2")
  ct <- coef_test(fit, vcov = V2, test = "Satterthwaite", coefs = coefs)
  wt <- Wald_test(fit, constraints = constrain_zero(coefs), vcov = V2, test = c("HTZ", "Naive-F"))
  out <- list(
    id = m$id,
    lm_formula = paste(deparse(m$formula), collapse = ""),
    weighted = m$weighted,
    fitted_as = if (m$weighted) "lm(sqrt(w) y ~ 0 + sqrt(w) X)" else "lm(formula)",
    nobs = nobs(fit),
    n_clusters = length(unique(dat$county)),
    terms = terms,
    estimate = unname(coef(fit)[coefs]),
    cr2_cov = unname(as.matrix(V2)[coefs, coefs]),
    cr2_se = unname(ct$SE),
    cr2_tstat = unname(ct$tstat),
    cr2_df = unname(ct$df_Satt),
    cr2_p = unname(ct$p_Satt),
    htz = list(F = wt$Fstat[wt$test == "HTZ"], delta = wt$delta[wt$test == "HTZ"],
               df_num = wt$df_num[wt$test == "HTZ"], df_denom = wt$df_denom[wt$test == "HTZ"],
               p = wt$p_val[wt$test == "HTZ"]),
    naive_f = list(F = wt$Fstat[wt$test == "Naive-F"], df_num = wt$df_num[wt$test == "Naive-F"],
                   df_denom = wt$df_denom[wt$test == "Naive-F"], p = wt$p_val[wt$test == "Naive-F"])
  )
  if (m$cr3) {
    V3 <- vcovCR(fit, cluster = dat$county, type = "CR3")
    out$cr3_cov <- unname(as.matrix(V3)[coefs, coefs])
  }
  if (m$weighted) {
    lw <- lm(m$formula, data = dat, weights = w)
    out$cr2_cov_lm_weights <- unname(as.matrix(vcovCR(lw, cluster = dat$county, type = "CR2",
                                                      inverse_var = TRUE))[terms, terms])
  }
  out
})

ref <- list(
  source = "clubSandwich vcovCR / coef_test / Wald_test on tests/reference/cr2_clubsandwich_panel.csv",
  script = "tests/reference/make_cr2_clubsandwich.R",
  r_version = R.version.string,
  clubSandwich = as.character(packageVersion("clubSandwich")),
  data = "cr2_clubsandwich_panel.csv",
  cluster = "county",
  cases = cases
)
write_json(ref, "cr2_clubsandwich.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote cr2_clubsandwich.json\n")
