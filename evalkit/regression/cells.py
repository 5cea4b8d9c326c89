"""Two-way fixed-effects least squares on a balanced panel from cell-level sufficient statistics.

When every regressor is a function of a unit's *cell* (e.g. its cohort) and the period,
``x_it = X[c_i, t]`` (event-time dummies, cohort x event-time dummies), and the panel is
balanced (every unit once in every period), the regression with unit and period effects

    y_it = alpha_i + lambda_t + X[c_i, t]' beta + e_it

needs no n x k design matrix and no iteration:

* the two-way within transformation is exact, ``a~_it = a_it - a_i. - a_.t + a_..``, and
  the demeaned regressors ``X~[c, t]`` again depend on the cell and period only;
* ``X~'X~ = sum_c n_c X~_c' X~_c`` and ``X~'y~ = sum_c X~_c' S~_c`` with ``S~_c[t]`` the
  sum of ``y~_it`` over the units of cell ``c``;
* the score of unit ``i`` is ``sum_t X~[c_i, t] e_it``, one (units x periods) @
  (periods x k) product per cell, and a cluster-robust covariance needs only the cluster
  sums of the unit scores (clusters constant within units).

The numbers equal :func:`evalkit.regression.fit_ols` with ``fe=(unit, period)`` and
``cov_type="CR1"`` (same small-sample factor, rank checks and error messages) at a fraction
of its time and memory: Frisch-Waugh-Lovell with the design compressed to cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from evalkit.errors import DesignError
from evalkit.inference.clusters import cluster_sums
from evalkit.inference.covariance import cr1_factor
from evalkit.regression.ols import _RANK_TOL, _check_rank
from evalkit.results.base import freeze_arrays

__all__ = ["CellFit", "BalancedPanel", "balanced_panel", "fit_twfe_cells"]


@dataclass(frozen=True)
class BalancedPanel:
    """A balanced panel as arrays: outcome ``Y`` (units x periods), each unit's cell and cluster."""

    Y: np.ndarray
    cell: np.ndarray
    cluster: np.ndarray


@dataclass(frozen=True)
class CellFit:
    """Coefficients and CR1 covariance of a two-way fixed-effects fit on cells.

    The attributes mirror :class:`~evalkit.regression.OLSFit`'s (without the row arrays).
    """

    beta: np.ndarray
    names: tuple[str, ...]
    cov: np.ndarray
    cov_type: str
    nobs: int
    df_k: int
    n_clusters: tuple[int, ...]
    ssr: float
    tss_within: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def std_errors(self) -> np.ndarray:
        """Square roots of the diagonal of ``cov``."""
        return np.sqrt(np.diag(self.cov))

    @property
    def df_resid(self) -> int:
        """``G - 1``: the degrees of freedom of the CR1 t reference distribution."""
        return self.n_clusters[0] - 1

    @property
    def r2_within(self) -> float:
        """``1 - SSR / TSS`` of the demeaned outcome (``nan`` when it is 0)."""
        return 1.0 - self.ssr / self.tss_within if self.tss_within > 0 else float("nan")


def balanced_panel(y: np.ndarray, unit: np.ndarray, period: np.ndarray, cell: np.ndarray, cluster: np.ndarray) -> BalancedPanel | None:
    """Reshape rows to a (units x periods) panel, or ``None`` when the shortcut does not apply.

    ``unit``, ``period``, ``cell`` and ``cluster`` are integer codes ``0..G-1`` per row.
    ``None`` unless every (unit, period) pair occurs exactly once and ``cell`` and
    ``cluster`` are constant within units.
    """
    n_units, n_periods = int(unit.max()) + 1, int(period.max()) + 1
    if len(y) != n_units * n_periods:
        return None
    flat = unit.astype(np.intp) * n_periods + period
    if np.bincount(flat, minlength=n_units * n_periods).min() != 1:
        return None
    per_unit = []
    for codes in (cell, cluster):
        first = np.empty(n_units, dtype=np.intp)
        first[unit] = codes
        if not np.array_equal(first[unit], codes):
            return None
        per_unit.append(first)
    Y = np.empty(n_units * n_periods)
    Y[flat] = y
    return BalancedPanel(Y.reshape(n_units, n_periods), per_unit[0], per_unit[1])


def fit_twfe_cells(panel: BalancedPanel, X_cells: np.ndarray, names: tuple[str, ...] | list[str]) -> CellFit:
    """Least squares with unit and period effects and unit-constant-cluster CR1 covariance.

    Parameters
    ----------
    panel
        From :func:`balanced_panel`.
    X_cells
        Regressors by cell and period, shape ``(n_cells, n_periods, k)``.
    names
        Regressor names (k,).

    Raises
    ------
    DesignError
        Regressors absorbed by the fixed effects or collinear (as :func:`fit_ols`), or no
        residual degrees of freedom.
    """
    names = tuple(names)
    Y, cell = panel.Y, panel.cell
    n_units, n_periods = Y.shape
    n_cells, _, k = X_cells.shape
    n = n_units * n_periods
    size = np.bincount(cell, minlength=n_cells).astype(float)
    # exact two-way demeaning of the regressors, cell by period
    col_mean = np.einsum("c,ctk->tk", size, X_cells) / n_units
    Xd = X_cells - X_cells.mean(axis=1, keepdims=True) - col_mean[None] + col_mean.mean(axis=0)
    # and of the outcome, unit by period
    Yd = Y - Y.mean(axis=1, keepdims=True)
    Yd -= Yd.mean(axis=0, keepdims=True)
    root = np.sqrt(size)[:, None, None]
    Xw = (Xd * root).reshape(n_cells * n_periods, k)  # a matrix with the Gram of the n x k design
    norms = np.sqrt(np.einsum("ij,ij->j", Xw, Xw))
    norms0 = np.sqrt(np.einsum("ctk,ctk->k", X_cells * root, X_cells * root))
    gone = norms <= _RANK_TOL * np.maximum(norms0, np.finfo(float).tiny)
    if gone.any():
        raise DesignError(f"regressors {[names[j] for j in np.flatnonzero(gone)]} are constant within the fixed "
                          "effects (absorbed by them); remove them")
    R, piv = _check_rank(Xw / norms, names, absorbed=True)
    Rinv = linalg.solve_triangular(R, np.eye(k))
    ztz_inv = np.empty((k, k))
    ztz_inv[np.ix_(piv, piv)] = Rinv @ Rinv.T
    bread = ztz_inv / np.outer(norms, norms)

    cell_sums = cluster_sums(Yd, cell, n_cells)  # S~_c[t]
    xty = np.einsum("ctk,ct->k", Xd, cell_sums)
    beta = bread @ xty
    beta += bread @ (xty - np.einsum("ctk,ctj,c,j->k", Xd, Xd, size, beta))  # one refinement step
    fitted = Xd @ beta  # (cells, periods)
    resid = Yd - fitted[cell]
    scores = np.zeros((n_units, k))
    for c in range(n_cells):
        rows = np.flatnonzero(cell == c)
        if rows.size:
            scores[rows] = resid[rows] @ Xd[c]
    n_clusters = int(panel.cluster.max()) + 1
    by_cluster = cluster_sums(scores, panel.cluster, n_clusters)
    # unit effects are nested in the clusters, period effects are not (two or more clusters)
    df_k = k + n_periods
    factor = cr1_factor(n_clusters, n, df_k)
    cov = factor * (bread @ (by_cluster.T @ by_cluster) @ bread)
    return CellFit(beta=beta, names=names, cov=cov, cov_type="CR1", nobs=n, df_k=df_k, n_clusters=(n_clusters,),
                   ssr=float(np.sum(resid**2)), tss_within=float(np.sum(Yd**2)))
