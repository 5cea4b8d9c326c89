"""Fitting the extended TWFE regression: least squares, or a Poisson / logit GLM.

* ``family="gaussian"``: least squares of ``y`` on the cells and controls of
  :class:`~evalkit.estimators.etwfe_design.ETWFEDesign` with cohort and period effects
  absorbed (:func:`~evalkit.regression.ols.fit_ols`), CR1 covariance (Wooldridge 2021).
* ``family="poisson"`` / ``"logit"``: maximum likelihood (statsmodels' GLM, canonical log /
  logit link) of ``y`` on the cells, the controls, an intercept and cohort and period
  indicators (the fixed effects as dummies, R etwfe's ``fe = "none"``; Wooldridge 2023).  The
  covariance is the cluster-robust sandwich ``c H^-1 (sum_g s_g s_g') H^-1`` with the GLM
  scores ``s_i = w_i (y_i - mu_i) z_i``, ``H = sum_i w_i V(mu_i) z_i z_i'`` and the CR1 factor
  ``c`` (:func:`~evalkit.inference.covariance.cov_cr1`; fixest's ``feglm`` default).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import linalg

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.etwfe_design import ETWFEDesign
from evalkit.inference.covariance import cov_cr1
from evalkit.regression.ols import OLSFit, fit_ols
from evalkit.results.base import freeze_arrays

__all__ = ["ETWFEFit", "Family", "fit_etwfe"]

Family = Literal["gaussian", "poisson", "logit"]
FAMILIES = ("gaussian", "poisson", "logit")


@dataclass(frozen=True, eq=False)
class ETWFEFit:
    """The fitted regression; the cells are the first ``n_cells`` coefficients.

    Attributes
    ----------
    family
        ``"gaussian"``, ``"poisson"`` or ``"logit"``.
    beta, names, cov
        Coefficients, their names and CR1 covariance (absorbed effects excluded for
        ``gaussian``; intercept, cohort and period indicators included otherwise).
    Z
        ``(n, k)`` design of the GLM (``None`` for ``gaussian``).
    eta
        Linear predictor per row (``None`` for ``gaussian``).
    ols
        The least-squares fit (``gaussian``; for the wild bootstrap), else ``None``.
    scores, bread
        GLM score contributions ``(n, k)`` and ``H^-1`` (``None`` for ``gaussian``).
    n_clusters, df_k
        Clusters and parameters counted in the small-sample factor.
    """

    family: str
    beta: np.ndarray
    names: tuple[str, ...]
    cov: np.ndarray
    Z: np.ndarray | None
    eta: np.ndarray | None
    ols: OLSFit | None
    scores: np.ndarray | None
    bread: np.ndarray | None
    n_clusters: int
    df_k: int

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Inverse link ``F(eta)``."""
        if self.family == "poisson":
            return np.exp(eta)
        if self.family == "logit":
            return 1.0 / (1.0 + np.exp(-eta))
        return eta

    def derivative(self, eta: np.ndarray) -> np.ndarray:
        """``dF/deta``."""
        if self.family == "poisson":
            return np.exp(eta)
        if self.family == "logit":
            mu = self.mean(eta)
            return mu * (1.0 - mu)
        return np.ones_like(eta)


def _check_outcome(y: np.ndarray, family: str, column: str) -> None:
    if family == "poisson":
        bad = y < 0
        expected = "non-negative (counts or rates)"
    else:
        bad = (y < 0) | (y > 1)
        expected = "in [0, 1] (0/1 outcomes or shares)"
    if bad.any():
        examples = np.unique(y[bad])[:5].tolist()
        raise EvalkitError(f"family='{family}' needs outcome '{column}' {expected}; {int(bad.sum())} rows are not, "
                           f"e.g. values {examples}")


def _dummies(codes: np.ndarray) -> np.ndarray:
    """Indicators of levels 1.. of ``codes`` (level 0 is the reference)."""
    levels = int(codes.max()) + 1
    out = np.zeros((len(codes), max(levels - 1, 0)))
    on = codes > 0
    out[np.flatnonzero(on), codes[on] - 1] = 1.0
    return out


def _fit_glm(d: ETWFEDesign, family: str, column: str, weighted: bool) -> ETWFEFit:
    import statsmodels.api as sm  # loaded only when a nonlinear model is fitted

    _check_outcome(d.y, family, column)
    Z = np.hstack([d.cells, d.controls, np.ones((len(d.y), 1)), _dummies(d.cohort_code), _dummies(d.period_code)])
    names = d.cell_names + d.control_names + ("(Intercept)",) + tuple(
        f"cohort_fe::{k}" for k in range(1, int(d.cohort_code.max()) + 1)) + tuple(
        f"time_fe::{k}" for k in range(1, int(d.period_code.max()) + 1))
    if np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise DesignError("the extended TWFE design is collinear (a covariate constant within a cohort or period?)")
    if np.ptp(d.y) == 0:
        raise DesignError(f"outcome '{column}' is {d.y[0]:g} in every row used; a {family} model needs variation")
    fam = sm.families.Poisson() if family == "poisson" else sm.families.Binomial()
    model = sm.GLM(d.y, Z, family=fam, var_weights=d.w if weighted else None)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # failures are detected below and raised as a DesignError
        res = model.fit(method="newton", tol=1e-13, maxiter=200, disp=False)
    beta = np.asarray(res.params, dtype=float)
    if not (res.mle_retvals["converged"] and np.all(np.isfinite(beta))):
        raise DesignError(f"the {family} model of '{column}' did not converge: some cohort and period cells are "
                          "predicted perfectly (e.g. all zeros); bin periods or use family='gaussian'")
    eta = Z @ beta
    mu = 1.0 / (1.0 + np.exp(-eta)) if family == "logit" else np.exp(eta)
    var = mu * (1.0 - mu) if family == "logit" else mu
    H = (Z * (d.w * var)[:, None]).T @ Z
    bread = linalg.inv(H)
    resid = d.y - mu
    cov = cov_cr1(Z, resid, bread, d.cluster, weights=d.w, df_k=Z.shape[1])
    return ETWFEFit(family=family, beta=beta, names=names, cov=cov, Z=Z, eta=eta, ols=None,
                    scores=Z * (d.w * resid)[:, None], bread=bread, n_clusters=int(d.cluster.max()) + 1,
                    df_k=Z.shape[1])


def fit_etwfe(d: ETWFEDesign, family: Family, column: str, weighted: bool) -> ETWFEFit:
    """Fit the design by least squares (``gaussian``) or by a GLM (``poisson``, ``logit``)."""
    if family not in FAMILIES:
        raise EvalkitError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    if family != "gaussian":
        return _fit_glm(d, family, column, weighted)
    X = np.hstack([d.cells, d.controls])
    fit = fit_ols(d.y, X, weights=d.w if weighted else None, fe=np.column_stack([d.cohort_code, d.period_code]),
                  cluster=d.cluster, cov_type="CR1", names=d.cell_names + d.control_names, drop_singletons=False,
                  tol=1e-13)
    return ETWFEFit(family=family, beta=fit.beta, names=fit.names, cov=fit.cov, Z=None, eta=None, ols=fit,
                    scores=None, bread=None, n_clusters=fit.n_clusters[0], df_k=fit.df_k)
