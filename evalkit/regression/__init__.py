"""Least squares with absorbed fixed effects: array core (``fit_ols``) and formulas (``feols``)."""

from evalkit.regression.demean import demean, fe_codes, singleton_mask
from evalkit.regression.feols import RegressionResult, check_vcov, feols, result_from_fit
from evalkit.regression.formula import parse_formula, readable_term, set_reference_levels
from evalkit.regression.ols import OLSFit, fit_ols, fit_ols_outcomes

__all__ = [
    "OLSFit",
    "RegressionResult",
    "demean",
    "check_vcov",
    "fe_codes",
    "feols",
    "fit_ols",
    "fit_ols_outcomes",
    "parse_formula",
    "readable_term",
    "result_from_fit",
    "set_reference_levels",
    "singleton_mask",
]
