"""Validate a staggered-adoption data set and turn it into arrays for ATT(g,t) estimation.

The stages follow R did's pre-processing (Callaway & Sant'Anna 2021), each with an error
or warning that names the column and rows concerned:

1. required columns exist; rows with missing values are excluded (warned, counted);
2. ``group`` is the first treated period (0 = never treated); cohorts first treated after
   the last period are recoded to 0 (never treated within the sample), as R did does;
3. panel data: one row per unit and period, ``group`` (and weights, cluster) constant
   within a unit, units not observed in every period excluded (warned, counted);
4. cohorts treated in or before the first period (plus ``anticipation``) are excluded
   (warned, counted): they have no untreated base period;
5. without never-treated units, ``control_group="never_treated"`` is an error, and
   ``"not_yet_treated"`` keeps only periods before the last cohort starts, whose units
   then serve as comparison units (R did's rule).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import formulaic
import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning, PanelValidationError, ScheduleError


@dataclass(frozen=True)
class StaggeredData:
    """Arrays ready for ATT(g,t) estimation.

    ``n`` observations are units (panel) or rows (repeated cross-sections).

    Attributes
    ----------
    periods
        Sorted distinct periods (length ``T``).
    cohorts
        Sorted first-treatment periods of the treated cohorts.
    obs_group
        First treated period per observation (0 = never treated), length ``n``.
    weights
        Sampling weights per observation, normalized to mean one.
    outcome
        ``(n, T)`` for panels, ``(n,)`` for repeated cross-sections.
    design
        Covariate design matrix with intercept: ``(n, T, k)`` for panels, ``(n, k)`` otherwise.
    obs_period
        Index into ``periods`` per row (repeated cross-sections only).
    cluster
        Integer cluster code per observation, or ``None``.
    covariate_names
        Column names of the design matrix.
    """

    panel: bool
    periods: np.ndarray
    cohorts: np.ndarray
    obs_group: np.ndarray
    weights: np.ndarray
    outcome: np.ndarray
    design: np.ndarray
    obs_period: np.ndarray | None
    cluster: np.ndarray | None
    covariate_names: tuple[str, ...]

    @property
    def n_obs(self) -> int:
        """Number of observations (units for panels, rows for cross-sections)."""
        return len(self.obs_group)


def _warn_excluded(count: int, what: str, reason: str) -> None:
    if count:
        warnings.warn(f"excluded {count} {what}: {reason}", ExcludedRowsWarning, stacklevel=4)


def _covariate_columns(covariates: str | Sequence[str] | None) -> tuple[str | None, list[str]]:
    if covariates is None:
        return None, []
    if isinstance(covariates, str):
        rhs = covariates.split("~", 1)[-1].strip()
        return rhs, sorted(formulaic.Formula(rhs).required_variables)
    cols = list(covariates)
    return " + ".join(f"Q('{c}')" for c in cols) if cols else None, cols


def _column(data: pd.DataFrame, name: str, rows: np.ndarray | None) -> np.ndarray:
    """Values of one column, restricted to ``rows`` (positions) when given; no copy otherwise."""
    values = data[name].to_numpy()
    return values if rows is None else values[rows]


def _constant_within(
    unit_codes: np.ndarray, unit_labels: np.ndarray, values: np.ndarray, unit: str, column: str, error: type[Exception]
) -> None:
    """Raise ``error`` naming up to five units in which ``values`` is not constant."""
    codes = values if np.issubdtype(values.dtype, np.number) else pd.factorize(values)[0]
    representative = np.zeros(len(unit_labels), dtype=codes.dtype)
    representative[unit_codes] = codes  # any row of the unit will do
    bad = np.unique(unit_codes[codes != representative[unit_codes]])
    if len(bad):
        raise error(
            f"column '{column}' must be constant within each unit of '{unit}', but varies for "
            f"{len(bad)} unit(s), e.g. {unit_labels[bad[:5]].tolist()}"
        )


def prepare_staggered(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str | None,
    covariates: str | Sequence[str] | None,
    weights: str | None,
    cluster: str | None,
    panel: bool,
    anticipation: int,
    control_group: str,
) -> StaggeredData:
    """Validate ``data`` and build :class:`StaggeredData` (see the module docstring).

    Works on column arrays and row positions: nothing is copied or filtered when no row is
    excluded, and a panel already sorted by unit and period is not re-sorted.
    """
    if panel and unit is None:
        raise PanelValidationError("panel=True needs the unit column (unit=...); use panel=False for cross-sections")
    rhs, cov_cols = _covariate_columns(covariates)
    needed = [c for c in dict.fromkeys([y, time, group, unit, weights, cluster, *cov_cols]) if c is not None]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise PanelValidationError(f"column(s) {missing} not found in the data; available: {list(data.columns)}")
    na_cols = {c: data[c].isna().to_numpy() for c in needed}
    na_cols = {c: na for c, na in na_cols.items() if na.any()}
    rows: np.ndarray | None = None  # positions of the rows kept so far (None: all)
    if na_cols:
        na_rows = np.logical_or.reduce(list(na_cols.values()))
        _warn_excluded(int(na_rows.sum()), "rows", f"missing values in {list(na_cols)}")
        rows = np.flatnonzero(~na_rows)
    for col in (y, time, group):
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise PanelValidationError(f"column '{col}' must be numeric, got dtype {data[col].dtype}")
    g = np.array(_column(data, group, rows))  # a copy: recoded below
    t = _column(data, time, rows)
    if (g < 0).any():
        labels = data.index[np.flatnonzero(g < 0)[:5] if rows is None else rows[np.flatnonzero(g < 0)[:5]]].tolist()
        raise ScheduleError(f"column '{group}' must be 0 (never treated) or a first treated period; negative in rows {labels}")
    if weights is not None and (_column(data, weights, rows) <= 0).any():
        raise PanelValidationError(f"weights column '{weights}' must be positive")
    periods = np.sort(pd.unique(t))
    g[g > periods[-1]] = 0
    t_code = np.searchsorted(periods, t)

    if panel:
        unit_codes, unit_labels = pd.factorize(_column(data, unit, rows), sort=True)
        unit_labels = np.asarray(unit_labels)
        key = unit_codes.astype(np.int64) * len(periods) + t_code
        order = None if np.all(key[1:] > key[:-1]) else np.argsort(key, kind="stable")
        if order is not None:
            repeated = np.flatnonzero(key[order][1:] == key[order][:-1]) + 1
            if len(repeated):
                first_dup = np.sort(order[repeated])[:5]
                labels = data.index[first_dup if rows is None else rows[first_dup]].tolist()
                raise PanelValidationError(f"more than one row per unit and period in ('{unit}', '{time}'): rows {labels}")
        _constant_within(unit_codes, unit_labels, g, unit, group, ScheduleError)
        for col in (weights, cluster):
            if col is not None:
                _constant_within(unit_codes, unit_labels, _column(data, col, rows), unit, col, PanelValidationError)
        counts = np.bincount(unit_codes, minlength=len(unit_labels))
        complete_units = counts == len(periods)
        _warn_excluded(
            int((~complete_units).sum()),
            "units",
            f"not observed in all {len(periods)} periods (the panel estimator needs a balanced panel)",
        )
        keep = complete_units[unit_codes]
    else:
        order = None
        keep = np.ones(len(g), dtype=bool)

    first = periods[0]
    early = (g > 0) & (g <= first + anticipation)
    n_early = len(np.unique(unit_codes[early & keep])) if panel else int(early.sum())
    _warn_excluded(
        n_early,
        "units" if panel else "rows",
        f"treated in or before the first period {first} (+ anticipation {anticipation}); no untreated base period",
    )
    keep &= ~early
    if (g[keep] == 0).sum() == 0:
        if control_group == "never_treated":
            raise DesignError(
                f"no never-treated units ('{group}' == 0) are left; use control_group='not_yet_treated'"
            )
        last = g[keep].max()
        late = keep & (t >= last - anticipation)
        _warn_excluded(
            int(late.sum()), "rows", f"in periods >= {last - anticipation}, when no unit is untreated any more"
        )
        keep &= ~late
        g[g == last] = 0
        periods = np.sort(pd.unique(t[keep]))
        t_code = np.searchsorted(periods, t)
    cohorts = np.unique(g[keep & (g > 0)])
    if len(cohorts) == 0:
        raise DesignError(f"no treated cohort ('{group}' > 0) is left to estimate ATT(g,t) for")
    if len(periods) < 2:
        raise DesignError(f"at least two periods in '{time}' are needed, found {len(periods)}")

    # local positions (into the arrays above) of the estimation sample, sorted for panels
    local = None if keep.all() else np.flatnonzero(keep)
    if order is not None:
        local = order[keep[order]]
    final = local if rows is None else (rows if local is None else rows[local])

    def take(values: np.ndarray) -> np.ndarray:
        return values if local is None else values[local]

    design_names: tuple[str, ...] = ("Intercept",)
    n_rows = len(g) if local is None else len(local)
    if rhs is None:
        design = np.ones((n_rows, 1))
    else:
        frame = data[cov_cols] if final is None else data[cov_cols].iloc[final]
        mm = formulaic.model_matrix(rhs, frame.reset_index(drop=True), na_action="raise")
        design = np.asarray(mm, dtype=float)
        design_names = tuple(mm.columns)
    y_values = take(_column(data, y, rows).astype(float, copy=False))
    g = take(g)
    t_count = len(periods)
    if panel:
        first_local = slice(None, None, t_count)
        n = n_rows // t_count
        outcome = y_values.reshape(n, t_count)
        design = design.reshape(n, t_count, design.shape[1])
        obs_period = None
    else:
        first_local = slice(None)
        outcome = y_values
        obs_period = take(t_code)

    def first_rows(name: str) -> np.ndarray:
        return take(_column(data, name, rows))[first_local]

    w = np.ones(len(g[first_local])) if weights is None else first_rows(weights).astype(float)
    codes = None if cluster is None else pd.factorize(first_rows(cluster))[0]
    return StaggeredData(
        panel=panel,
        periods=periods,
        cohorts=cohorts,
        obs_group=g[first_local].astype(float),
        weights=w / w.mean(),
        outcome=outcome,
        design=design,
        obs_period=obs_period,
        cluster=codes,
        covariate_names=design_names,
    )
