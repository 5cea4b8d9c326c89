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


def _constant_within(df: pd.DataFrame, unit: str, column: str, error: type[Exception]) -> None:
    varying = df.groupby(unit, sort=False)[column].nunique(dropna=False)
    bad = varying[varying > 1]
    if len(bad):
        raise error(
            f"column '{column}' must be constant within each unit of '{unit}', but varies for "
            f"{len(bad)} unit(s), e.g. {bad.index[:5].tolist()}"
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
    """Validate ``data`` and build :class:`StaggeredData` (see the module docstring)."""
    if panel and unit is None:
        raise PanelValidationError("panel=True needs the unit column (unit=...); use panel=False for cross-sections")
    rhs, cov_cols = _covariate_columns(covariates)
    needed = [c for c in dict.fromkeys([y, time, group, unit, weights, cluster, *cov_cols]) if c is not None]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise PanelValidationError(f"column(s) {missing} not found in the data; available: {list(data.columns)}")
    df = data[needed].copy()
    na_rows = df.isna().any(axis=1)
    _warn_excluded(int(na_rows.sum()), "rows", f"missing values in {[c for c in needed if df[c].isna().any()]}")
    df = df.loc[~na_rows]
    for col in (y, time, group):
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise PanelValidationError(f"column '{col}' must be numeric, got dtype {df[col].dtype}")
    if (df[group] < 0).any():
        rows = df.index[df[group] < 0][:5].tolist()
        raise ScheduleError(f"column '{group}' must be 0 (never treated) or a first treated period; negative in rows {rows}")
    if weights is not None and (df[weights] <= 0).any():
        raise PanelValidationError(f"weights column '{weights}' must be positive")
    periods = np.sort(df[time].unique())
    df.loc[df[group] > periods[-1], group] = 0

    if panel:
        dup = df.duplicated([unit, time])
        if dup.any():
            raise PanelValidationError(
                f"more than one row per unit and period in ('{unit}', '{time}'): rows {df.index[dup][:5].tolist()}"
            )
        _constant_within(df, unit, group, ScheduleError)
        for col in (weights, cluster):
            if col is not None:
                _constant_within(df, unit, col, PanelValidationError)
        counts = df.groupby(unit)[time].transform("size")
        unbalanced = counts < len(periods)
        _warn_excluded(
            int(df.loc[unbalanced, unit].nunique()),
            "units",
            f"not observed in all {len(periods)} periods (the panel estimator needs a balanced panel)",
        )
        df = df.loc[~unbalanced]

    first = periods[0]
    early = (df[group] > 0) & (df[group] <= first + anticipation)
    n_early = int(df.loc[early, unit].nunique()) if panel else int(early.sum())
    _warn_excluded(
        n_early,
        "units" if panel else "rows",
        f"treated in or before the first period {first} (+ anticipation {anticipation}); no untreated base period",
    )
    df = df.loc[~early]
    if (df[group] == 0).sum() == 0:
        if control_group == "never_treated":
            raise DesignError(
                f"no never-treated units ('{group}' == 0) are left; use control_group='not_yet_treated'"
            )
        last = df[group].max()
        late = df[time] >= last - anticipation
        _warn_excluded(
            int(late.sum()), "rows", f"in periods >= {last - anticipation}, when no unit is untreated any more"
        )
        df = df.loc[~late].copy()
        df.loc[df[group] == last, group] = 0
        periods = np.sort(df[time].unique())
    cohorts = np.sort(df.loc[df[group] > 0, group].unique())
    if len(cohorts) == 0:
        raise DesignError(f"no treated cohort ('{group}' > 0) is left to estimate ATT(g,t) for")
    if len(periods) < 2:
        raise DesignError(f"at least two periods in '{time}' are needed, found {len(periods)}")

    if panel:
        df = df.sort_values([unit, time])
    design_names: tuple[str, ...] = ("Intercept",)
    if rhs is None:
        design = np.ones((len(df), 1))
    else:
        mm = formulaic.model_matrix(rhs, df.reset_index(drop=True), na_action="raise")
        design = np.asarray(mm, dtype=float)
        design_names = tuple(mm.columns)
    t_count = len(periods)
    if panel:
        first_rows = df.iloc[::t_count]
        n = len(first_rows)
        outcome = df[y].to_numpy(float).reshape(n, t_count)
        design = design.reshape(n, t_count, design.shape[1])
        obs_period = None
    else:
        first_rows = df
        outcome = df[y].to_numpy(float)
        obs_period = np.searchsorted(periods, df[time].to_numpy())
    w = np.ones(len(first_rows)) if weights is None else first_rows[weights].to_numpy(float)
    codes = None if cluster is None else pd.factorize(first_rows[cluster])[0]
    return StaggeredData(
        panel=panel,
        periods=periods,
        cohorts=cohorts,
        obs_group=first_rows[group].to_numpy(float),
        weights=w / w.mean(),
        outcome=outcome,
        design=design,
        obs_period=obs_period,
        cluster=codes,
        covariate_names=design_names,
    )
