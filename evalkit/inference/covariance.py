"""Covariance estimators of least-squares coefficients as pure array functions.

Every function takes the regressors ``X`` (n x k; after absorbing fixed effects, the
demeaned regressors), the residuals ``resid`` (n,), the bread ``(X'WX)^{-1}`` (k x k) and,
optionally, analytic weights ``weights`` (n,), and returns a k x k covariance matrix.  With
weights the estimators are those of weighted least squares: every row is scaled by
``sqrt(w_i)`` first, so the score of row ``i`` is ``x_i w_i e_i`` (statsmodels' WLS).

``df_k`` is the number of parameters that enters the small-sample factors.  It defaults to
``k``; a regression with absorbed fixed effects passes ``k`` plus the number of absorbed
fixed-effect levels (see :mod:`evalkit.regression` for the exact count, which follows
pyfixest's default ``ssc``).

Cluster-robust estimators need only the cluster-level score sums
``s_g = sum_{i in g} x_i w_i e_i`` (:func:`evalkit.inference.clusters.cluster_sums`).

Estimators given by their influence functions (Callaway & Sant'Anna, imputation, two
stage) get their covariance from :func:`influence_cov`, and every estimator's standard
errors from :func:`standard_errors`, which applies the one SE floor.

References
----------
White (1980), Econometrica 48(4): HC0.  MacKinnon & White (1985), J. Econometrics 29(3):
HC1 and HC3.  Liang & Zeger (1986), Biometrika 73(1): cluster-robust covariance.
Bell & McCaffrey (2002), Survey Methodology 28(2): CR2 (:mod:`evalkit.inference.cr2`).
Cameron, Gelbach & Miller (2011), JBES 29(2): multiway clustering.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.cluster_jackknife import cov_cr3
from evalkit.inference.clusters import cluster_codes, cluster_sums, n_clusters
from evalkit.inference.cr2 import cov_cr2

CovType = Literal["iid", "HC0", "HC1", "HC3", "CR1", "CR2", "CR3"]

#: Covariance estimators that need cluster codes.
CLUSTER_ESTIMATORS = ("CR1", "CR2", "CR3")

__all__ = [
    "CLUSTER_ESTIMATORS",
    "COVARIANCE_ESTIMATORS",
    "SE_FLOOR",
    "CovType",
    "compute_cov",
    "cov_cr1",
    "cov_cr2",
    "cov_cr3",
    "cov_hc0",
    "cov_hc1",
    "cov_hc3",
    "cov_iid",
    "cr1_factor",
    "influence_cov",
    "standard_errors",
]


def _whiten(X: np.ndarray, resid: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if weights is None:
        return X, resid
    root = np.sqrt(weights)
    return X * root[:, None], resid * root


def _scores(X: np.ndarray, resid: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Row scores ``x_i w_i e_i`` (n x k)."""
    e = resid if weights is None else resid * weights
    return X * e[:, None]


def cov_iid(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """Classical covariance ``s^2 (X'WX)^{-1}`` with ``s^2 = sum w_i e_i^2 / (n - df_k)``."""
    n, k = X.shape
    df_k = k if df_k is None else df_k
    e2 = resid**2 if weights is None else weights * resid**2
    return bread * (e2.sum() / (n - df_k))


def cov_hc0(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """White's heteroskedasticity-robust sandwich ``B (sum s_i s_i') B`` without correction."""
    s = _scores(X, resid, weights)
    return bread @ (s.T @ s) @ bread


def cov_hc1(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """HC1 = ``n / (n - df_k)`` times HC0 (MacKinnon & White 1985; Stata's ``robust``)."""
    n, k = X.shape
    df_k = k if df_k is None else df_k
    return cov_hc0(X, resid, bread, weights=weights) * (n / (n - df_k))


def cov_hc3(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """HC3: scores divided by ``1 - h_ii``, ``h_ii = w_i x_i' B x_i`` (MacKinnon & White 1985).

    No further small-sample factor (statsmodels' definition).  ``X`` must hold every
    regressor: the leverage of absorbed fixed effects is not part of ``h_ii``.
    """
    Xw, _ = _whiten(X, resid, weights)
    leverage = np.einsum("ij,jk,ik->i", Xw, bread, Xw)
    s = _scores(X, resid, weights) / (1.0 - leverage)[:, None]
    return bread @ (s.T @ s) @ bread


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``sum_g s_g s_g'`` with ``s_g`` the within-cluster sums of the scores."""
    sums = cluster_sums(scores, codes)
    return sums.T @ sums


def _psd_fix(V: np.ndarray) -> np.ndarray:
    """Set negative eigenvalues to zero when ``V`` is not positive semidefinite (CGM 2011, p. 241)."""
    vals, vecs = np.linalg.eigh((V + V.T) / 2)
    if vals.min() >= 0:
        return V
    return (vecs * np.clip(vals, 0, None)) @ vecs.T


def cr1_factor(n_clusters: int, nobs: int, df_k: int) -> float:
    """The CR1 small-sample factor ``G/(G-1) * (n-1)/(n-df_k)``.

    ``G`` clusters (the smaller count with two-way clustering), ``n`` rows and ``df_k``
    parameters counted as in :mod:`evalkit.regression.ols` (Stata, statsmodels, fixest and
    pyfixest's default ``ssc``).
    """
    if n_clusters < 2:
        raise DesignError(f"cluster-robust covariance needs at least two clusters, got {n_clusters}")
    if nobs <= df_k:
        raise DesignError(f"no residual degrees of freedom: {nobs} rows for {df_k} parameters")
    return n_clusters / (n_clusters - 1) * (nobs - 1) / (nobs - df_k)


def cov_cr1(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """Cluster-robust covariance with the CR1 small-sample factor.

    One-way: ``c B (sum_g s_g s_g') B`` with ``c = G/(G-1) * (n-1)/(n-df_k)`` (Stata,
    statsmodels, fixest and pyfixest's default).

    Two-way (``cluster`` of shape (n, 2)): ``V1 + V2 - V12`` (Cameron, Gelbach & Miller 2011)
    where ``V12`` clusters on the intersection of both dimensions.  All three terms use the
    factor of the smaller dimension, ``G_min/(G_min-1) * (n-1)/(n-df_k)`` (fixest's and
    pyfixest's ``G_df="min"``).  When the sum is not positive semidefinite its negative
    eigenvalues are set to zero (CGM 2011); otherwise it is returned unchanged.
    """
    n, k = X.shape
    df_k = k if df_k is None else df_k
    codes = cluster_codes(cluster)
    factor = cr1_factor(min(n_clusters(codes)), n, df_k)
    scores = _scores(X, resid, weights)
    if codes.shape[1] == 1:
        return factor * (bread @ _cluster_meat(scores, codes[:, 0]) @ bread)
    both = np.unique(codes, axis=0, return_inverse=True)[1].ravel()
    meat = _cluster_meat(scores, codes[:, 0]) + _cluster_meat(scores, codes[:, 1]) - _cluster_meat(scores, both)
    return _psd_fix(factor * (bread @ meat @ bread))


_Estimator = Callable[..., np.ndarray]

COVARIANCE_ESTIMATORS: dict[str, _Estimator] = {
    "iid": cov_iid,
    "HC0": cov_hc0,
    "HC1": cov_hc1,
    "HC3": cov_hc3,
    "CR1": cov_cr1,
    "CR2": cov_cr2,  # bias-reduced linearisation, evalkit.inference.cr2
    "CR3": cov_cr3,  # cluster jackknife, evalkit.inference.cluster_jackknife
}


def compute_cov(
    cov_type: str,
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    df_k: int | None = None,
    absorbed: np.ndarray | None = None,
) -> np.ndarray:
    """Dispatch to the covariance estimator named ``cov_type``.

    ``absorbed`` (CR2 only) is the basis of absorbed fixed effects not nested in the
    clusters (:func:`evalkit.inference.cr2.cr2`).

    Raises
    ------
    EvalkitError
        For an unknown ``cov_type`` (the message lists the valid ones), for ``"CR1"``,
        ``"CR2"`` or ``"CR3"`` without ``cluster`` and for ``cluster`` with a non-cluster
        estimator.
    """
    if cov_type not in COVARIANCE_ESTIMATORS:
        raise EvalkitError(f"unknown cov_type {cov_type!r}; valid ones are {sorted(COVARIANCE_ESTIMATORS)}")
    if absorbed is not None and cov_type != "CR2":
        raise EvalkitError(f"absorbed is used by CR2 only, not by cov_type {cov_type!r}")
    if cov_type in CLUSTER_ESTIMATORS:
        if cluster is None:
            raise EvalkitError(f"cov_type {cov_type!r} needs cluster codes (cluster=...)")
        if cov_type == "CR2":
            return cov_cr2(X, resid, bread, cluster, weights=weights, absorbed=absorbed)
        return COVARIANCE_ESTIMATORS[cov_type](X, resid, bread, cluster, weights=weights, df_k=df_k)
    if cluster is not None:
        raise EvalkitError(
            f"cluster was given but cov_type {cov_type!r} is not cluster-robust; use one of {list(CLUSTER_ESTIMATORS)}"
        )
    return COVARIANCE_ESTIMATORS[cov_type](X, resid, bread, weights=weights, df_k=df_k)


#: Standard errors at or below ``SE_FLOOR`` (times the caller's scale) are reported as NaN.
SE_FLOOR = float(np.sqrt(np.finfo(float).eps) * 10)


def standard_errors(cov: np.ndarray, *, scale: float = 1.0) -> np.ndarray:
    """Square roots of the diagonal of ``cov``; NaN at or below the floor ``SE_FLOOR * scale``.

    The floor marks estimates whose sampling variance is zero up to rounding (e.g. a
    reference period fixed at 0, whose influence function is identically zero); a
    standard error there would give meaningless t-statistics.  ``scale`` is the order of
    magnitude of the estimates' units (1 for rates and shares).  Negative variances (from
    rounding) are NaN as well.
    """
    var = np.diag(np.asarray(cov, dtype=float))
    with np.errstate(invalid="ignore"):
        se = np.sqrt(var)
    return np.where(se > SE_FLOOR * scale, se, np.nan)


def influence_cov(
    influence: np.ndarray,
    cluster: np.ndarray | None = None,
    *,
    divisor: float = 1.0,
    small_sample: bool = False,
) -> np.ndarray:
    """Covariance of asymptotically linear estimates from their influence functions.

    ``V = c / divisor**2 * sum_g S_g S_g'`` with ``S_g`` the sum of the rows ``psi_i`` of
    ``influence`` over cluster ``g`` (each row its own cluster when ``cluster`` is None).

    Parameters
    ----------
    influence
        (n, k) influence functions (or (n,) for one estimate).
    cluster
        Integer cluster code per row (``0..G-1``) or ``None``.
    divisor
        Scale of the influence functions: ``n`` for R did's convention
        (``sqrt(sum psi**2) / n`` is the standard error), 1 when ``psi`` already carries it
        (imputation and two-stage DiD).
    small_sample
        Multiply by ``c = G / (G - 1)`` (the cluster-count part of CR1; Stata, fixest).
        The default ``c = 1`` is the plain sandwich of R did and of the imputation
        estimator (Borusyak, Jaravel & Spiess 2024).

    Returns
    -------
    numpy.ndarray
        (k, k) covariance.
    """
    psi = np.asarray(influence, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    sums = cluster_sums(psi, cluster)
    cov = sums.T @ sums / float(divisor) ** 2
    if small_sample:
        G = sums.shape[0]
        if G < 2:
            raise EvalkitError(f"the small-sample factor G/(G-1) needs at least two clusters, got {G}")
        cov *= G / (G - 1)
    return cov
