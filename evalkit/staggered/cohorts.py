"""First treated period per unit (R did's ``gname``) from a treatment indicator or a
rollout schedule, and event time ``t - g``.

Staggered-adoption estimators need, per unit, the first period ``g`` in which it is
treated (0 = never treated).  Treatment must be absorbing: once on, it stays on.  A
:class:`~evalkit.cohorts.RolloutSchedule` gives ``g`` through
:func:`first_treated_from_schedule` (its table of unit and start period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import PanelValidationError, ScheduleError


def first_treated_from_indicator(data: pd.DataFrame, *, unit: str, time: str, treated: str) -> pd.Series:
    """First period with ``treated == 1`` per unit (0 when never treated).

    Raises :class:`~evalkit.errors.ScheduleError` naming the units whose treatment switches
    off again (the design assumes staggered, absorbing adoption).

    Returns
    -------
    pandas.Series
        Indexed by unit, named ``"first_treated"``.
    """
    missing = [c for c in (unit, time, treated) if c not in data.columns]
    if missing:
        raise PanelValidationError(f"column(s) {missing} not found in the data")
    values = data[treated]
    if not values.isin([0, 1, True, False]).all():
        bad = data.index[~values.isin([0, 1, True, False])][:5].tolist()
        raise PanelValidationError(f"column '{treated}' must be 0/1; other values in rows {bad}")
    ordered = data.sort_values([unit, time])
    d = ordered[treated].astype(int)
    switched_off = d.groupby(ordered[unit], sort=False).diff().eq(-1)
    if switched_off.any():
        units = ordered.loc[switched_off, unit].unique()
        raise ScheduleError(
            f"treatment in '{treated}' switches off for {len(units)} unit(s), e.g. {units[:5].tolist()}; "
            "staggered adoption needs treatment to stay on once started"
        )
    first = ordered.loc[d.eq(1)].groupby(unit)[time].min()
    out = pd.Series(0, index=pd.Index(ordered[unit].unique(), name=unit), name="first_treated", dtype=first.dtype if len(first) else int)
    out.loc[first.index] = first
    return out


def first_treated_from_schedule(
    units: pd.Series,
    schedule: pd.DataFrame,
    *,
    unit: str,
    start: str,
    unscheduled: str = "error",
) -> pd.Series:
    """Start period of each unit's treatment from a rollout schedule (a table, not code).

    Parameters
    ----------
    units
        The unit (e.g. county) of each row of the analysis data.
    schedule
        One row per scheduled unit with columns ``unit`` and ``start``.
    unit, start
        Column names in ``schedule``.
    unscheduled
        ``"error"`` (default): units missing from the schedule raise
        :class:`~evalkit.errors.ScheduleError`; ``"never"``: they get 0 (never treated).

    Returns
    -------
    pandas.Series
        Aligned with ``units``: the start period, or 0 for never-treated units.
    """
    if unscheduled not in ("error", "never"):
        raise ValueError(f"unscheduled must be 'error' or 'never', got {unscheduled!r}")
    for col in (unit, start):
        if col not in schedule.columns:
            raise ScheduleError(f"schedule has no column '{col}'; columns are {list(schedule.columns)}")
    dup = schedule[unit].duplicated()
    if dup.any():
        raise ScheduleError(f"schedule lists unit(s) {schedule.loc[dup, unit].unique()[:5].tolist()} more than once")
    mapping = schedule.set_index(unit)[start]
    out = units.map(mapping)
    absent = out.isna()
    if absent.any() and unscheduled == "error":
        raise ScheduleError(
            f"{int(absent.sum())} rows belong to units not in the schedule, e.g. {units[absent].unique()[:5].tolist()}; "
            "add them or pass unscheduled='never'"
        )
    return out.where(~absent, 0).rename("first_treated")


def relative_period(time: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Event time ``e = t - g`` (NaN where ``g == 0``, i.e. never treated)."""
    time = np.asarray(time, dtype=float)
    group = np.asarray(group, dtype=float)
    return np.where(group > 0, time - group, np.nan)
