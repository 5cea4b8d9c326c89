"""Doubly robust ATT(g,t) from covariate cells, for discrete covariates.

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

Repeated cross-sections (and the rows of unbalanced panels) are handled alike by
:func:`dr_rcs_cell`, the cross-section estimator ``dr_rcs`` (eq. 3.4) from sums within
covariate cell x treatment status x period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.estimators.att_gt_cells import PSCORE_TRIM

__all__ = ["dr_cell", "dr_rcs_cell"]


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
    n, n_cells = dy.shape[0], cell_rows.shape[0]
    w = weights / weights.mean()
    d = treated.astype(np.int64)
    key = cell * 2 + d
    sw = np.bincount(key, weights=w, minlength=2 * n_cells).reshape(n_cells, 2)
    swy = np.bincount(key, weights=w * dy, minlength=2 * n_cells).reshape(n_cells, 2)
    w_t, w_c = sw[:, 1].sum(), sw[:, 0].sum()
    if w_t == 0 or w_c == 0:
        return None
    X = cell_rows
    ps, hess = _grouped_logit(X, sw[:, 1], sw.sum(axis=1), w_t / (w_t + w_c))
    # outcome regression of the comparison units (_wols)
    fitted = _grouped_wols(X, sw[:, 0], swy[:, 0], n)
    if fitted is None:
        return None
    fit, xtx = fitted
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


def _grouped_logit(X: np.ndarray, treated_w: np.ndarray, total: np.ndarray,
                   share: float) -> tuple[np.ndarray, np.ndarray]:
    """The weighted logit of ``_logit`` on covariate cells (the same Newton steps).

    ``treated_w`` and ``total`` are each cell's summed weight of treated rows and of all
    rows, ``share`` the treated share of the weight (the starting intercept).  Returns the propensity score per cell (capped at ``1 - 1e-6``, as ``_logit``)
    and the Hessian ``X' diag(total p (1 - p)) X`` at the estimate.
    """
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(share / (1 - share))
    for _ in range(100):
        p = 1 / (1 + np.exp(-(X @ beta)))
        hess = (X * (total * p * (1 - p))[:, None]).T @ X
        step = np.linalg.solve(hess, X.T @ (treated_w - total * p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = 1 / (1 + np.exp(-(X @ beta)))
    hess = (X * (total * p * (1 - p))[:, None]).T @ X
    return np.minimum(p, 1 - 1e-6), hess


def _wols_gram(X: np.ndarray, sw: np.ndarray, n: int) -> np.ndarray | None:
    """The matrix ``X'WX / n`` of weighted OLS on covariate cells (``sw`` the cells' summed
    weights); ``None`` if singular."""
    xtx = (X * sw[:, None]).T @ X / n
    return None if np.linalg.cond(xtx) > 1 / np.finfo(float).eps else xtx


def _grouped_wols(X: np.ndarray, sw: np.ndarray, swy: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Weighted OLS on covariate cells (``_wols`` of one subset): fitted value per cell and
    the matrix ``(X'WX / n)`` to solve for its linear representation; ``None`` if singular."""
    xtx = _wols_gram(X, sw, n)
    if xtx is None:
        return None
    return X @ np.linalg.solve(xtx, X.T @ swy / n), xtx


def dr_rcs_cell(
    y: np.ndarray, post: np.ndarray, treated: np.ndarray, cell: np.ndarray, cell_rows: np.ndarray, weights: np.ndarray
) -> tuple[float, np.ndarray] | list[tuple[float, np.ndarray]] | None:
    """ATT and influence function of one 2x2 cell by the doubly robust repeated cross-section estimator.

    The estimator is :func:`~evalkit.estimators.att_gt_cells.dr_rcs` (Sant'Anna & Zhao 2020,
    eq. 3.4, in R DRDID's form), computed from weighted counts and outcome sums per covariate
    cell, treatment status and period: the logit and the four outcome regressions are fitted
    on the cells, and the influence of a row is ``w_i (A + B y_i)`` with coefficients per
    cell, status and period.

    Parameters
    ----------
    y, post, treated, cell, weights
        Outcome, post-period indicator, treatment indicator, covariate-cell code (into
        ``cell_rows``) and weight of each row of the 2x2 cell.  ``y`` may be ``(n, m)``:
        ``m`` outcomes of the same rows, which share the weighted counts, the logit and the
        regressions' normal matrices (each result equal to that of its column alone).
    cell_rows
        Covariate row (with the intercept first, at least one covariate) of each covariate cell.

    Returns
    -------
    (att, influence) as ``dr_rcs`` (a list of them, one per column, for ``(n, m)`` outcomes),
    or ``None`` when the cell needs the general path (no treated or comparison rows, or an
    empty or singular outcome regression, whose errors that path reports).
    """
    n = len(post)
    code, present = pd.factorize(cell)
    X = cell_rows[present]
    n_cells = X.shape[0]
    w = weights / weights.mean()
    key = code * 4 + treated.astype(np.int64) * 2 + post.astype(np.int64)
    # [cell, treated, post]
    W = np.bincount(key, weights=w, minlength=4 * n_cells).reshape(n_cells, 2, 2)
    w_t, w_c = W[:, 1].sum(), W[:, 0].sum()
    if w_t == 0 or w_c == 0:
        return None
    ps, hess = _grouped_logit(X, W[:, 1].sum(axis=1), W.sum(axis=(1, 2)), w_t / (w_t + w_c))
    # the outcome regressions by treatment status and period: their normal matrices
    gram = {(d, t): _wols_gram(X, W[:, d, t], n) for d in (0, 1) for t in (0, 1)}
    if any(g is None for g in gram.values()):
        return None
    if y.ndim == 1:
        return _dr_rcs_outcome(y, X, w, key, W, ps, hess, gram)
    out = [_dr_rcs_outcome(y[:, j], X, w, key, W, ps, hess, gram) for j in range(y.shape[1])]
    return None if any(r is None for r in out) else out


def _dr_rcs_outcome(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, key: np.ndarray, W: np.ndarray, ps: np.ndarray, hess: np.ndarray,
    gram: dict[tuple[int, int], np.ndarray],
) -> tuple[float, np.ndarray] | None:
    """The part of :func:`dr_rcs_cell` that depends on the outcome ``y``, given the rows'
    normalised weights ``w``, cell x status x period ``key``, summed weights ``W``, the
    propensity scores and Hessian of the logit and the regressions' normal matrices."""
    n, n_cells = len(y), X.shape[0]
    Y = np.bincount(key, weights=w * y, minlength=4 * n_cells).reshape(n_cells, 2, 2)
    # outcome regressions by treatment status and period: fitted values f[:, d, p]
    f = np.empty((n_cells, 2, 2))
    for d in (0, 1):
        for t in (0, 1):
            f[:, d, t] = X @ np.linalg.solve(gram[d, t], X.T @ Y[:, d, t] / n)
    # weight factor of each row (times w_i) in the means of dr_rcs, per [cell, treated, post]
    odds = np.where(ps < PSCORE_TRIM, ps / (1 - ps), 0.0)
    zero, one = np.zeros((n_cells, 2)), np.ones((n_cells, 2))
    u_t1 = np.stack([zero, np.column_stack([np.zeros(n_cells), np.ones(n_cells)])], axis=1)
    u_t0 = np.stack([zero, np.column_stack([np.ones(n_cells), np.zeros(n_cells)])], axis=1)
    u_c1 = np.stack([np.column_stack([np.zeros(n_cells), odds]), zero], axis=1)
    u_c0 = np.stack([np.column_stack([odds, np.zeros(n_cells)]), zero], axis=1)
    u_d = np.stack([zero, one], axis=1)
    fc = np.broadcast_to(f[:, 0, :][:, None, :], (n_cells, 2, 2))  # comparison fit of the row's period
    R = Y - W * fc  # summed residuals y - fc
    A = np.zeros((n_cells, 2, 2))
    B = np.zeros((n_cells, 2, 2))

    def mean(u: np.ndarray) -> float:
        return float((u * W).sum()) / n

    def hajek_r(u: np.ndarray, sign: float) -> float:
        """Hajek mean of the residual y - fc with weights u; adds sign times its influence."""
        m = float((u * R).sum() / (u * W).sum())
        scale = sign * u / mean(u)
        A[...] += scale * (-fc - m)
        B[...] += scale
        return m

    def hajek_v(u: np.ndarray, v: np.ndarray, sign: float) -> float:
        """Hajek mean of the cell value v with weights u; adds sign times its influence."""
        vv = v[:, None, None]
        m = float((u * W * vv).sum() / (u * W).sum())
        A[...] += sign * u * (vv - m) / mean(u)
        return m

    def colmean(g: np.ndarray) -> np.ndarray:
        """colmean of dr_rcs for row values summed per cell in g [cell, treated, post]."""
        return X.T @ g.sum(axis=(1, 2)) / n

    def lin(d: int, t: int, m: np.ndarray, sign: float) -> None:
        """Adds sign times (linear representation of regression (d, t)) @ m."""
        q = X @ np.linalg.solve(gram[d, t], m)
        A[:, d, t] += sign * (-f[:, d, t] * q)
        B[:, d, t] += sign * q

    m_t1, m_t0, m_c1, m_c0, m_d = mean(u_t1), mean(u_t0), mean(u_c1), mean(u_c0), mean(u_d)
    if min(m_t1, m_t0, m_c1, m_c0) == 0:
        return None
    t1, t0 = hajek_r(u_t1, 1.0), hajek_r(u_t0, -1.0)
    c1, c0 = hajek_r(u_c1, -1.0), hajek_r(u_c0, 1.0)
    d1, dt1 = hajek_v(u_d, f[:, 1, 1] - f[:, 0, 1], 1.0), hajek_v(u_t1, f[:, 1, 1] - f[:, 0, 1], -1.0)
    d0, dt0 = hajek_v(u_d, f[:, 1, 0] - f[:, 0, 0], -1.0), hajek_v(u_t0, f[:, 1, 0] - f[:, 0, 0], 1.0)
    att = (t1 - t0) - (c1 - c0) + (d1 - dt1) - (d0 - dt0)
    # inf_treat
    lin(0, 1, colmean(u_t1 * W) / m_t1, -1.0)
    lin(0, 0, colmean(u_t0 * W) / m_t0, -1.0)
    # - inf_cont: the propensity score's and the comparison regressions' estimation effects
    m_ps = colmean(u_c1 * (R - c1 * W)) / m_c1 - colmean(u_c0 * (R - c0 * W)) / m_c0
    r_ps = X @ np.linalg.solve(hess, m_ps) * n
    d_flag = np.array([0.0, 1.0])[None, :, None]
    A[...] -= (d_flag - ps[:, None, None]) * r_ps[:, None, None]
    lin(0, 1, colmean(u_c1 * W) / m_c1, 1.0)
    lin(0, 0, colmean(u_c0 * W) / m_c0, 1.0)
    # inf_or
    mom1 = colmean((u_d / m_d - u_t1 / m_t1) * W)
    mom0 = colmean((u_d / m_d - u_t0 / m_t0) * W)
    lin(1, 1, mom1, 1.0)
    lin(0, 1, mom1, -1.0)
    lin(1, 0, mom0, -1.0)
    lin(0, 0, mom0, 1.0)
    influence = w * (A.reshape(-1)[key] + B.reshape(-1)[key] * y)
    return float(att), influence
