"""Average partial effects of extended TWFE and their delta-method covariance.

Switching row ``i``'s treatment on adds ``c_i'b`` to its linear predictor, with ``c_i`` the
row's cell part of the design (``D_gt`` and ``D_gt (x_i - xbar_g)``).  Its effect is

    tau_i = F(eta_i) - F(eta_i - c_i'b)          (response scale; Wooldridge 2023, eq. 3.6)
    tau_i = c_i'b                                (linear models, or the link scale),

and every reported effect is a weighted average ``theta_a = sum_i A_ai tau_i`` over a set of
rows (a cell, a cohort, a period, an event time, all treated rows), ``A`` with rows summing
to one (the rows' weights).  The delta method gives ``Cov(theta) = J V J'`` with
``J = A dtau/db``, ``dtau_i/db = (f(eta_i) - f(eta0_i)) z_i + f(eta0_i) [c_i, 0]`` (``f = F'``,
``eta0 = eta - c'b``), the covariates held at their sample values, as R marginaleffects
(``emfx``) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from evalkit.estimators.etwfe_design import ETWFEDesign
from evalkit.estimators.etwfe_fit import ETWFEFit
from evalkit.inference.wild_bootstrap_scores import InfluenceScores, RegressionScores, influence_scores, regression_scores

__all__ = ["Effects", "Scale", "average_effects", "effect_scores", "row_weights"]

Scale = Literal["response", "link"]


@dataclass(frozen=True)
class Effects:
    """Averages ``theta`` of the row effects, their covariance and delta-method gradient."""

    estimates: np.ndarray
    cov: np.ndarray
    jacobian: np.ndarray
    weights: sparse.csr_matrix


def row_weights(members: list[np.ndarray], w: np.ndarray) -> sparse.csr_matrix:
    """``A`` (m x n): row ``a`` spreads weight ``w_i / sum w`` over the rows ``members[a]``."""
    data, rows, cols = [], [], []
    for a, idx in enumerate(members):
        data.append(w[idx] / w[idx].sum())
        rows.append(np.full(len(idx), a))
        cols.append(idx)
    return sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(len(members), len(w)))


def average_effects(d: ETWFEDesign, fit: ETWFEFit, A: sparse.csr_matrix, scale: Scale) -> Effects:
    """``theta = A tau`` and ``J V J'`` for the row effects ``tau`` of the module docstring."""
    K = d.cells.shape[1]
    b_cells = fit.beta[:K]
    shift = d.cells @ b_cells
    J = np.zeros((A.shape[0], len(fit.beta)))
    if fit.family == "gaussian" or scale == "link":
        tau = shift
        J[:, :K] = A @ d.cells
    else:
        eta0 = fit.eta - shift
        tau = fit.mean(fit.eta) - fit.mean(eta0)
        f1, f0 = fit.derivative(fit.eta), fit.derivative(eta0)
        J += A @ (fit.Z * (f1 - f0)[:, None])
        J[:, :K] += A @ (d.cells * f0[:, None])
    theta = A @ tau
    return Effects(estimates=theta, cov=J @ fit.cov @ J.T, jacobian=J, weights=A)


def effect_scores(d: ETWFEDesign, fit: ETWFEFit, effects: Effects, terms: list[str]) -> InfluenceScores | RegressionScores:
    """What the wild cluster bootstrap needs: the contrasts of the least-squares fit (restricted
    bootstrap), or the cluster sums of the GLM influence functions ``s_i H^-1 J'`` with the
    terms' row weights as their shares (bootstrap-t)."""
    if fit.ols is not None:
        return regression_scores(fit.ols, effects.jacobian, terms)
    influence = fit.scores @ fit.bread @ effects.jacobian.T
    return influence_scores(terms, effects.estimates, influence, effects.weights.T.toarray(), d.cluster)
