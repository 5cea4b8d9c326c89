"""Arrays for ATT(g,t) estimation from a validated :class:`~evalkit.staggered.design.StaggeredDesign`.

Three layouts, as R did:

* balanced panel: one observation per unit, outcomes ``(n_units, T)``;
* unbalanced panel (``allow_unbalanced_panel=True``, R did's option of that name): one
  observation per row, estimated with the repeated cross-section 2x2 estimators on the
  rows of each cell's two periods, influence functions summed per unit (so standard
  errors and cohort shares count units);
* repeated cross-sections: one observation per row.

Beyond the design's stages, ATT(g,t) needs: with ``allow_unbalanced_panel=False``, units
not observed in every period are excluded (warned, counted); without never-treated units,
``control_group="never_treated"`` is an error and ``"not_yet_treated"`` keeps only periods
before the last cohort starts, whose units then serve as comparison units (R did's rule).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.staggered.covariate_cells import MAX_CELL_SHARE, covariate_cells
from evalkit.staggered.design import StaggeredDesign, sorted_by_unit_period

__all__ = ["StaggeredData", "covariate_columns", "staggered_data"]


@dataclass(frozen=True)
class StaggeredData:
    """Arrays ready for ATT(g,t) estimation.

    ``n_obs`` observations carry the influence functions: units (panels, balanced or not)
    or rows (repeated cross-sections).

    Attributes
    ----------
    panel
        Balanced wide layout (``outcome`` is ``(n, T)``).
    periods, cohorts
        Sorted distinct periods (length ``T``) and treated cohorts.
    obs_group, weights, cluster
        First treated period (0 = never), weight (mean one) and cluster code per observation.
    outcome, design
        ``(n, T)`` and ``(n, T, k)`` for balanced panels, ``(rows,)`` and ``(rows, k)`` otherwise
        (``design`` is built on first use when only the covariate cells are stored).
    dense_design
        The design matrix as stored (``None``: built from ``covariate_cells``).
    covariate_cells
        Discrete covariates listed by name: the distinct rows of the design matrix and the
        row of each observation and period (shaped as ``outcome``), in the order of first
        appearance; ``None`` otherwise.
    obs_period
        Index into ``periods`` per row (``None`` for balanced panels).
    row_unit, row_group, row_weights
        Unbalanced panels only: observation (unit) code, first treated period and weight
        (mean one over rows, as R did) of each row.
    covariate_names
        Column names of the design matrix (the intercept first).
    obs_labels
        Label per observation: unit label (panels) or the data's row label (cross-sections).
    rows
        Row of the design of each value of ``outcome`` (flattened), ``None``: every row in order.
    """

    panel: bool
    periods: np.ndarray
    cohorts: np.ndarray
    obs_group: np.ndarray
    weights: np.ndarray
    outcome: np.ndarray
    dense_design: np.ndarray | None
    obs_period: np.ndarray | None
    cluster: np.ndarray | None
    covariate_names: tuple[str, ...]
    obs_labels: np.ndarray
    row_unit: np.ndarray | None = None
    row_group: np.ndarray | None = None
    row_weights: np.ndarray | None = None
    covariate_cells: tuple[np.ndarray, np.ndarray] | None = None
    rows: np.ndarray | None = None

    def with_outcome(self, values: np.ndarray) -> "StaggeredData":
        """The same observations with another outcome, ``values`` one per row of the design."""
        return replace(self, outcome=np.asarray(_take(values, self.rows), dtype=float).reshape(self.outcome.shape))

    @cached_property
    def design(self) -> np.ndarray:
        """Design matrix (intercept first): ``(n, T, k)`` for balanced panels, ``(rows, k)`` otherwise."""
        if self.dense_design is not None:
            return self.dense_design
        distinct, code = self.covariate_cells
        return distinct[code]

    @property
    def n_obs(self) -> int:
        """Number of observations (units for panels, rows for cross-sections)."""
        return len(self.obs_group)

    @property
    def unbalanced(self) -> bool:
        """Rows of an unbalanced panel, influence functions per unit."""
        return self.row_unit is not None


def covariate_columns(covariates: str | Sequence[str] | None) -> tuple[str | None, list[str]]:
    """Right-hand side of the covariate formula and the columns it needs.

    ``"~ x1 + x2"`` is a formulaic formula; a list of columns is quoted into one.
    """
    if covariates is None:
        return None, []
    if isinstance(covariates, str):
        import formulaic  # loaded only where a formula is parsed

        rhs = covariates.split("~", 1)[-1].strip()
        return rhs, sorted(formulaic.Formula(rhs).required_variables)
    cols = list(covariates)
    return " + ".join(f"Q('{c}')" for c in cols) if cols else None, cols


def _take(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``values[rows]``; ``values`` itself when ``rows`` is ``None`` (all rows, in order)."""
    return values if rows is None else values[rows]


def _warn(count: int, what: str, reason: str) -> None:
    if count:
        warnings.warn(f"excluded {count} {what}: {reason}", ExcludedRowsWarning, stacklevel=4)


def _column_cells(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Code of each row's combination of values of ``columns`` (in the order of first
    appearance) and the first row of each code; ``None`` unless every column is integer or
    finite floating point.

    Integer columns of a small range are coded by their offset from the minimum, others
    factorised; the codes are combined as digits of one integer key (re-coded before it
    could overflow), which is factorised once.
    """
    n = len(columns[0])
    key, size = np.zeros(n, dtype=np.int64), 1
    for v in columns:
        lo, hi = (v.min(), v.max()) if v.dtype.kind in "iu" and n else (0, 2**20)
        if int(hi) - int(lo) < 2**20:
            code, card = np.subtract(v, lo, dtype=np.int64), int(hi) - int(lo) + 1
        elif v.dtype.kind in "iu" or (v.dtype.kind == "f" and np.isfinite(v).all()):
            code, uniques = pd.factorize(v)
            card = len(uniques)
        else:
            return None
        if size * card >= 2**62:
            key, uniques = pd.factorize(key)
            size = len(uniques)
        key *= card
        key += code
        size *= card
    codes, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return codes, first


def _check_collinear(r: np.ndarray, names: tuple[str, ...]) -> None:
    """Collinear covariates make every 2x2 regression singular: say which, once (``r``: the R
    factor of QR without pivoting; a column's diagonal entry is ~0 when it lies in the span
    of the earlier ones)."""
    diag = np.abs(np.diag(r))
    dependent = [names[j] for j in np.flatnonzero(diag <= 1e-10 * max(diag.max(), 1.0))]
    if dependent:
        raise DesignError(f"covariate(s) {dependent} are collinear with the intercept or earlier covariates "
                          f"of {list(names)}; drop them")


def _model_matrix(
    design: StaggeredDesign, rhs: str | None, cols: list[str], rows: np.ndarray | None, listed: bool
) -> tuple[np.ndarray | None, tuple[str, ...], tuple[np.ndarray, np.ndarray] | None]:
    """Intercept and covariates on ``rows`` of the design (``None``: all its rows, in order):
    the matrix, its column names, and its distinct rows with the row of each observation
    when the covariates are discrete and listed by name (then the matrix is ``None``: it is
    built only if an estimator needs it, :attr:`StaggeredData.design`)."""
    if rhs is None:
        # the intercept alone: one read-only column of ones, no n x 1 array
        return np.broadcast_to(1.0, (design.nobs if rows is None else len(rows), 1)), ("Intercept",), None
    frame = design.data[cols]
    positions = design.rows if rows is None else rows if design.rows is None else design.rows[rows]
    numeric = all(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in cols)
    if listed and numeric and len(set(cols)) == len(cols):
        # numeric columns listed by name: the model matrix is the intercept and the columns
        names: tuple[str, ...] = ("Intercept", *cols)
        values = [_take(frame[c].to_numpy(), positions) for c in cols]
        cells = _column_cells(values)
        if cells is not None and len(cells[1]) <= MAX_CELL_SHARE * len(values[0]):
            # discrete covariates: the R factor of X is that of the distinct rows scaled by the
            # square roots of their counts (the same Gram matrix X'X)
            code, first = cells
            distinct = np.column_stack([np.ones(len(first)), *(v[first].astype(float) for v in values)])
            counts = np.bincount(code, minlength=len(first))
            _check_collinear(np.linalg.qr(distinct * np.sqrt(counts)[:, None], mode="r"), names)
            return None, names, (distinct, code)
        x = np.column_stack([np.ones(len(values[0])), *(v.astype(float) for v in values)])
    else:
        import formulaic  # loaded only where a formula is parsed

        chosen = frame if positions is None else frame.iloc[positions]
        mm = formulaic.model_matrix(rhs, chosen.reset_index(drop=True), na_action="raise")
        x = np.asarray(mm, dtype=float)
        names = tuple(re.sub(r"^Q\('(.*)'\)$", r"\1", str(c)) for c in mm.columns)
    # with discrete covariates the R factor is that of the distinct rows scaled by the
    # square roots of their counts (the same Gram matrix)
    found = covariate_cells(x)
    if found is not None:
        distinct, code = found
        r = np.linalg.qr(distinct * np.sqrt(np.bincount(code, minlength=len(distinct)))[:, None], mode="r")
    else:
        r = np.linalg.qr(x, mode="r")
    _check_collinear(r, names)
    return x, names, None


def staggered_data(
    design: StaggeredDesign,
    *,
    covariates: str | Sequence[str] | None,
    control_group: str,
    anticipation: int,
    allow_unbalanced_panel: bool,
    clustered: bool,
) -> StaggeredData:
    """Arrange ``design`` for ATT(g,t) (see the module docstring).

    ``clustered``: cluster codes by ``design.cluster`` (else ``cluster`` is ``None``, each
    observation its own cluster).
    """
    rhs, cov_cols = covariate_columns(covariates)
    g, t_code, periods = design.g.copy(), design.period_code, design.periods
    keep = np.ones(design.nobs, dtype=bool)
    unbalanced = design.panel and not design.balanced
    if unbalanced and not allow_unbalanced_panel:
        counts = np.bincount(design.unit_code, minlength=design.n_units)
        complete = counts == len(periods)
        _warn(int((~complete).sum()), "units",
              f"not observed in all {len(periods)} periods (allow_unbalanced_panel=False balances the panel)")
        keep = complete[design.unit_code]
        unbalanced = False
    recoded = False
    if not (g[keep] == 0).any():
        recoded = True
        if control_group == "never_treated":
            raise DesignError(f"no never-treated units ('{design.group}' == 0) are left; "
                              "use control_group='not_yet_treated'")
        last = g[keep].max()
        late = keep & (design.t >= last - anticipation)
        _warn(int(late.sum()), "rows", f"in periods >= {last - anticipation:g}, when no unit is untreated any more")
        keep &= ~late
        g[g == last] = 0
    if keep.all():
        periods, t_code = design.periods, design.period_code
    else:
        periods = np.sort(pd.unique(design.t[keep]))
        t_code = np.searchsorted(periods, design.t)
    # the design's cohorts unless rows or cohorts were dropped here (a pass over every row less)
    cohorts = design.cohorts if keep.all() and not recoded else np.sort(pd.unique(g[keep & (g > 0)]))
    if len(cohorts) == 0:
        raise DesignError(f"no treated cohort ('{design.group}' > 0) is left to estimate ATT(g,t) for")
    if len(periods) < 2:
        raise DesignError(f"at least two periods in '{design.time}' are needed, found {len(periods)}")

    local = None if keep.all() else np.flatnonzero(keep)  # None: every row of the design, in its order
    if design.panel and not unbalanced:
        unit_code, period_code = _take(design.unit_code, local), _take(t_code, local)
        if not sorted_by_unit_period(unit_code, period_code):  # a panel sorted by unit and period is not re-sorted
            order = np.argsort(unit_code.astype(np.int64) * len(periods) + period_code, kind="stable")
            local = order if local is None else local[order]
    x, names, cells = _model_matrix(design, rhs, cov_cols, local, listed=not isinstance(covariates, str))
    y = np.asarray(_take(design.column(design.y), local), dtype=float)
    w_rows = None if design.weights is None else np.asarray(_take(design.column(design.weights), local), dtype=float)
    cluster_rows = _take(design.cluster_code(), local) if clustered else None
    g = _take(g, local)
    n_rows = len(g)
    common = dict(periods=periods.astype(float), cohorts=cohorts, covariate_names=names)
    if design.panel and not unbalanced:
        n_t = len(periods)
        first = slice(None, None, n_t)
        first_rows = np.arange(0, n_rows, n_t) if local is None else local[first]
        w = np.ones(n_rows // n_t) if w_rows is None else w_rows[first]
        return StaggeredData(
            panel=True, obs_group=g[first], obs_labels=design.unit_labels[design.unit_code[first_rows]],
            weights=w / w.mean(), outcome=y.reshape(-1, n_t), obs_period=None,
            dense_design=None if x is None else x.reshape(-1, n_t, x.shape[1]),
            covariate_cells=None if cells is None else (cells[0], cells[1].reshape(-1, n_t)),
            cluster=None if cluster_rows is None else pd.factorize(cluster_rows[first])[0], rows=local, **common,
        )
    local = np.arange(n_rows) if local is None else local
    w_rows = np.ones(n_rows) if w_rows is None else w_rows
    if unbalanced:
        unit_code, _ = pd.factorize(design.unit_code[local], sort=True)
        first_row = np.unique(unit_code, return_index=True)[1]
        w_units = w_rows[first_row]
        return StaggeredData(
            panel=False, obs_group=g[first_row], obs_labels=design.unit_labels[design.unit_code[local][first_row]], weights=w_units / w_units.mean(), outcome=y, dense_design=x, covariate_cells=cells,
            obs_period=t_code[local],
            cluster=None if cluster_rows is None else pd.factorize(cluster_rows[first_row])[0],
            row_unit=unit_code, row_group=g, row_weights=w_rows / w_rows.mean(), rows=local, **common,
        )
    return StaggeredData(
        panel=False, obs_group=g, obs_labels=np.asarray(design.index[local]), weights=w_rows / w_rows.mean(), outcome=y, dense_design=x, covariate_cells=cells, obs_period=t_code[local],
        cluster=None if cluster_rows is None else pd.factorize(cluster_rows)[0], rows=local, **common,
    )
