"""Doubly robust ATT(g,t) from covariate cells, for discrete covariates (balanced panels).

When the covariates take few distinct values (dummies of categories, or any discrete
covariates), every nuisance model of the doubly robust 2x2 estimator of Sant'Anna & Zhao
(2020, eq. 3.1; :func:`evalkit.estimators.att_gt_cells.dr_panel`) depends on the data only
through sums within covariate cells ``p`` (the distinct covariate rows of the base period):
the weighted logit of treatment on ``x`` is a grouped logit on the cells' summed weights
of treated and comparison units, and the comparison group's outcome regression has
``X'WX = sum_p W_p x_p x_p'`` and ``X'Wy = sum_p x_p sum_{i in p} w_i dy_i``.  The
influence function of a unit is then ``w_i (A_{p,d} + B_{p,d} dy_i)`` with coefficients per
cell and treatment status, so each ATT(g,t) costs two weighted counts over its units and
one write of its influence column, instead of Newton iterations and regressions on ``n x k``
matrices.  The numbers are those of ``dr_panel`` (to rounding), as the tests check.  The
covariate cells are found by :func:`evalkit.staggered.covariate_cells.covariate_cells`.
"""

from __future__ import annotations

import numpy as np

from evalkit.estimators.att_gt_cells import PSCORE_TRIM

__all__ = ["dr_cell"]

def dr_cell(
    dy: np.ndarray, treated: np.ndarray, cell: np.ndarray, cell_rows: np.ndarray, weights: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """ATT and influence function of one 2x2 cell by the doubly robust panel estimator.

    Parameters
    ----------
    dy, treated, cell, weights
        Outcome change, treatment indicator, covariate-cell code and weight of each unit
        of the 2x2 cell.
    cell_rows
        Covariate row (with the intercept) of each covariate cell.

    Returns
    -------
    (att, influence) as :func:`~evalkit.estimators.att_gt_cells.dr_panel`, or ``None``
    when the cell needs the general path (no treated or comparison units, or a singular
    outcome regression, whose errors that path reports).
    """
    n, (n_cells, k) = dy.shape[0], cell_rows.shape
    w = weights / weights.mean()
    d = treated.astype(np.int64)
    key = cell * 2 + d
    sw = np.bincount(key, weights=w, minlength=2 * n_cells).reshape(n_cells, 2)
    swy = np.bincount(key, weights=w * dy, minlength=2 * n_cells).reshape(n_cells, 2)
    w_t, w_c = sw[:, 1].sum(), sw[:, 0].sum()
    if w_t == 0 or w_c == 0:
        return None
    X = cell_rows
    # propensity score: the weighted logit of _logit on the cells (same Newton steps)
    share = w_t / (w_t + w_c)
    beta = np.zeros(k)
    beta[0] = np.log(share / (1 - share))
    total = sw.sum(axis=1)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(X @ beta)))
        hess = (X * (total * p * (1 - p))[:, None]).T @ X
        step = np.linalg.solve(hess, X.T @ (sw[:, 1] - total * p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = 1 / (1 + np.exp(-(X @ beta)))
    hess = (X * (total * p * (1 - p))[:, None]).T @ X
    ps = np.minimum(p, 1 - 1e-6)
    # outcome regression of the comparison units (_wols)
    xtx = (X * sw[:, 0][:, None]).T @ X / n
    if np.linalg.cond(xtx) > 1 / np.finfo(float).eps:
        return None
    fit = X @ np.linalg.solve(xtx, X.T @ swy[:, 0] / n)
    odds = np.where(ps < PSCORE_TRIM, ps / (1 - ps), 0.0)
    mean_wt, mean_wc = w_t / n, odds @ sw[:, 0] / n
    eta_t = (swy[:, 1] - sw[:, 1] * fit).sum() / w_t
    eta_c = odds @ (swy[:, 0] - sw[:, 0] * fit) / (odds @ sw[:, 0])
    m1 = X.T @ sw[:, 1] / n
    m2 = X.T @ (odds * (swy[:, 0] - sw[:, 0] * fit - eta_c * sw[:, 0])) / n
    m3 = X.T @ (odds * sw[:, 0]) / n
    r_or1, r_or3 = X @ np.linalg.solve(xtx, m1), X @ np.linalg.solve(xtx, m3)
    r_ps = X @ np.linalg.solve(hess, m2) * n
    # influence w_i (A + B dy_i) per cell and treatment status (column 1 treated, 0 comparison)
    A = np.column_stack([fit * r_or1 / mean_wt + (odds * fit + odds * eta_c + ps * r_ps - fit * r_or3) / mean_wc,
                         (-fit - eta_t) / mean_wt - (1 - ps) * r_ps / mean_wc])
    B = np.column_stack([-r_or1 / mean_wt + (r_or3 - odds) / mean_wc, np.full(n_cells, 1 / mean_wt)])
    influence = w * (A[cell, d] + B[cell, d] * dy)
    return float(eta_t - eta_c), influence
