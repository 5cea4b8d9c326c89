"""The arithmetic of the efficient estimator under staggered random timing (pure arrays).

Roth & Sant'Anna (2023), Sections 3-4.  With cohort means ``Ybar_g`` and sample
covariances ``S_g`` (``ddof = 1``) of the ``T`` outcomes of the ``N_g`` units of cohort
``g``, an estimand with weights ``(A_theta, A_0)`` is estimated by

    theta(beta) = sum_g A_theta,g Ybar_g - beta * Xhat,   Xhat = sum_g A_0,g Ybar_g,

with the plug-in efficient ``beta* = Var(Xhat)^-1 Cov(Xhat, theta0)``, both from
``sum_g S_g / N_g`` (Proposition 3.1).  The Neyman (conservative) variance is
``sum_g (A_theta,g - beta A_0,g) S_g (A_theta,g - beta A_0,g)' / N_g``; the refined
variance (Section 4, ``sigma_**``) subtracts ``b' Sbar b / N`` with
``b = sum_{g >= g_min} (M S_g M')^+ M S_g A_theta,g'``, where ``M`` selects the periods
before the first cohort ``g_min`` that the estimand involves and ``Sbar`` is the mean of
``M S_g M'`` over those cohorts.  Several estimands (an event study) share one ``g_min``,
which gives their joint covariance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalkit.estimators.staggered_efficient_weights import EstimandWeights

__all__ = ["CohortMoments", "EfficientFit", "cohort_moments", "efficient_fit"]


@dataclass(frozen=True)
class CohortMoments:
    """Per cohort: mean ``(G, T)``, covariance ``(G, T, T)`` and size ``(G,)``."""

    means: np.ndarray
    covs: np.ndarray
    sizes: np.ndarray


@dataclass(frozen=True)
class EfficientFit:
    """Estimates ``(m,)``, coefficients ``beta (m,)``, refined and Neyman covariances ``(m, m)``."""

    estimates: np.ndarray
    beta: np.ndarray
    cov: np.ndarray
    cov_neyman: np.ndarray


def cohort_moments(y: np.ndarray, cohort: np.ndarray, n_cohorts: int) -> CohortMoments:
    """Means and covariances of the rows of ``y (N, T)`` by ``cohort`` code ``0..G-1``."""
    T = y.shape[1]
    sizes = np.bincount(cohort, minlength=n_cohorts).astype(float)
    means = np.zeros((n_cohorts, T))
    covs = np.zeros((n_cohorts, T, T))
    order = np.argsort(cohort, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes).astype(int)])
    ys = y[order]
    for g in range(n_cohorts):
        block = ys[bounds[g]:bounds[g + 1]]
        means[g] = block.mean(axis=0)
        centred = block - means[g]
        # einsum, not BLAS: small products, and threaded BLAS stalls on a loaded machine
        covs[g] = np.einsum("ni,nj->ij", centred, centred) / (len(block) - 1)
    return CohortMoments(means, covs, sizes)


def _g_min(weights: EstimandWeights, cohorts: np.ndarray) -> float:
    rows = np.flatnonzero(np.abs(weights.a_theta).max(axis=1) != 0)
    return float(cohorts[rows[0]]) if len(rows) else float(cohorts[0])


def efficient_fit(moments: CohortMoments, weights: Sequence[EstimandWeights], cohorts: np.ndarray,
                  periods: np.ndarray, beta: float | None = None) -> EfficientFit:
    """Estimates, ``beta`` and covariances of several estimands on one sample.

    Parameters
    ----------
    moments
        :func:`cohort_moments` of the sample.
    weights
        One :class:`EstimandWeights` per estimand.
    cohorts, periods
        Sorted cohorts and consecutive periods of ``moments``.
    beta
        A fixed coefficient (``1``: Callaway & Sant'Anna, ``0``: difference in means);
        ``None``: the plug-in efficient one, per estimand.
    """
    inv_n = 1.0 / moments.sizes
    m = len(weights)
    estimates, betas = np.zeros(m), np.zeros(m)
    combined = np.zeros((m,) + moments.means.shape)  # A_theta - beta A_0, per estimand
    for j, w in enumerate(weights):
        theta0 = float(np.sum(w.a_theta * moments.means))
        xhat = float(np.sum(w.a_zero * moments.means))
        s_a0 = np.einsum("gst,gt->gs", moments.covs, w.a_zero)
        x_var = float(np.einsum("g,gs,gs->", inv_n, w.a_zero, s_a0))
        x_theta = float(np.einsum("g,gs,gs->", inv_n, w.a_theta, s_a0))
        if beta is not None:
            b = float(beta)
        else:
            b = x_theta / x_var if x_var > 0 else 0.0
        betas[j] = b
        estimates[j] = theta0 - b * xhat
        combined[j] = w.a_theta - b * w.a_zero
    s_comb = np.einsum("gst,jgt->jgs", moments.covs, combined)
    cov_neyman = np.einsum("g,jgs,kgs->jk", inv_n, combined, s_comb)
    cov = cov_neyman - _refinement(moments, weights, cohorts, periods)
    negative = np.flatnonzero(np.diag(cov) < 0)
    cov[negative, :] = 0.0
    cov[:, negative] = 0.0
    return EfficientFit(estimates, betas, cov, cov_neyman)


def _refinement(moments: CohortMoments, weights: Sequence[EstimandWeights], cohorts: np.ndarray,
                periods: np.ndarray) -> np.ndarray:
    """``B Sbar B' / N``, the part of the Neyman covariance that the pre-period outcomes of
    the cohorts from ``g_min`` on identify (zero when ``g_min`` is the first period)."""
    m = len(weights)
    g_min = min(_g_min(w, cohorts) for w in weights)
    k = int(round(g_min - periods[0]))
    if k <= 0:
        return np.zeros((m, m))
    later = np.flatnonzero(cohorts >= g_min)
    pre = moments.covs[later][:, :k, :]  # M S_g, (g, k, T)
    msm = pre[:, :, :k]
    b = np.zeros((m, k))
    for j, w in enumerate(weights):
        for i, g in enumerate(later):
            b[j] += np.linalg.pinv(msm[i]) @ (pre[i] @ w.a_theta[g])
    s_bar = msm.mean(axis=0)
    return b @ s_bar @ b.T / moments.sizes.sum()
