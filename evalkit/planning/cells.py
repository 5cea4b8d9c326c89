"""Outcomes as unit x month sums: the only thing placebo rollouts of a 2x2 need.

Without covariates the 2x2 DiD of person-level outcomes is a weighted regression on its
unit x window cells (weights the persons in each cell): the coefficients, the clusters'
scores and therefore the wild cluster bootstrap and the randomization test are the same
(the CR1 factor ``(n-1)/(n-k)`` differs, but it scales the observed and every bootstrap
t-statistic alike, so p-values and intervals do not change).  So an outcome is kept as
three ``units x months`` arrays, the number of observations, their sum and their sum of
squares, and every placebo window is a sum over months.

Two sources: any ``unit x period`` outcome frame (:func:`outcome_cells`; rows are persons
or cells with a count), or entry cohorts of a status panel after a washout with their
outcomes at horizons (:func:`entry_outcomes`, as in the FUI evaluation).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.cohorts import find_entries
from evalkit.errors import EvalkitError, ExcludedRowsWarning
from evalkit.outcomes import outcomes_at_horizons
from evalkit.panel import StatusPanel
from evalkit.panel.months import month_label, to_month_index
from evalkit.results.base import freeze_arrays
from evalkit.rows import numeric_column, positive_weights

__all__ = ["OutcomeCells", "each_entry_outcome", "entry_outcomes", "entry_rows", "outcome_cells", "outcome_rows",
           "unit_month_cells"]


@dataclass(frozen=True)
class OutcomeCells:
    """One outcome as ``units x months`` arrays of counts, sums and sums of squares.

    ``months[j]`` is the month index of column ``j`` (consecutive); ``units`` the sorted
    unit labels; ``label`` names the outcome (``employed_6``), ``horizon`` its months after
    entry (``None`` for a generic outcome).  ``excluded`` counts the rows without the
    outcome that were left out (e.g. censored horizons).
    """

    label: str
    horizon: int | None
    units: tuple[str, ...]
    months: np.ndarray
    count: np.ndarray
    total: np.ndarray
    squares: np.ndarray
    excluded: int = 0

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_units(self) -> int:
        return len(self.units)

    def window(self, span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit: count, sum and sum of squares over the months ``span`` (inclusive)."""
        cols = (self.months >= span[0]) & (self.months <= span[1])
        return self.count[:, cols].sum(axis=1), self.total[:, cols].sum(axis=1), self.squares[:, cols].sum(axis=1)

    def observed_months(self) -> tuple[int, int]:
        """First and last month with an observation."""
        seen = self.months[self.count.sum(axis=0) > 0]
        return int(seen.min()), int(seen.max())

    def before(self, month: int) -> "OutcomeCells":
        """Only the rows whose outcome is observed before ``month`` (a pre-reform history).

        For an outcome ``horizon`` months after entry, entries up to ``month - horizon - 1``.
        """
        keep = self.months + (self.horizon or 0) < month
        if not keep.any():
            raise EvalkitError(f"no observation of outcome {self.label!r} lies before {month_label(month)}; "
                               f"its months run from {month_label(self.months[0])}")
        return OutcomeCells(self.label, self.horizon, self.units, self.months[keep], self.count[:, keep],
                            self.total[:, keep], self.squares[:, keep], self.excluded)


def unit_month_cells(label: str, horizon: int | None, units: pd.Series, months: pd.Series, y: np.ndarray,
           w: np.ndarray, excluded: int, *, persons: bool = True) -> OutcomeCells:
    unit_codes, unit_labels = pd.factorize(units.astype("string"), sort=True)
    first, last = int(months.min()), int(months.max())
    shape = (len(unit_labels), last - first + 1)
    flat = unit_codes * shape[1] + (months.to_numpy(dtype=np.int64) - first)
    size = shape[0] * shape[1]

    def summed(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values, minlength=size).reshape(shape)

    return OutcomeCells(label=label, horizon=horizon, units=tuple(str(u) for u in unit_labels),
                        months=np.arange(first, last + 1), count=summed(w), total=summed(w * y),
                        squares=summed(w * y * y) if persons else np.full(shape, np.nan), excluded=excluded)


def outcome_cells(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str,
    period: str,
    count: str | None = None,
) -> OutcomeCells:
    """Unit x month sums of any outcome frame (the rows of :func:`outcome_rows`)."""
    kept, y, w, months, excluded = outcome_rows(data, outcome, unit=unit, period=period, count=count)
    return unit_month_cells(outcome, None, kept[unit], months, y, w, excluded, persons=count is None)


def outcome_rows(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str,
    period: str,
    count: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.Series, int]:
    """The checked rows of an outcome frame: kept rows, outcome, counts, months, rows left out.

    The rows of :func:`outcome_cells` (see there) before they are summed per unit and month.

    Parameters
    ----------
    data
        One row per observation (person, entrant) or per cell; not modified.
    outcome
        Numeric outcome column (0/1 or any number; for cells, the cell mean).
    unit
        The unit of assignment (county).
    period
        The month of the row (``2016-03``, a date, a pandas Period, ``201603``): for entry
        cohorts the entry month.
    count
        For cell rows: the number of observations the mean of ``outcome`` is over
        (positive); ``None``: every row is one observation.

    Raises
    ------
    EvalkitError
        A column that is not in the data, a non-numeric outcome, months that cannot be
        read, missing units, counts that are not positive (each named with examples).
        Rows with a missing outcome are left out and counted (``excluded``), with an
        :class:`~evalkit.errors.ExcludedRowsWarning`.
    """
    if not isinstance(data, pd.DataFrame):
        raise EvalkitError(f"the outcome frame must be a pandas DataFrame, got {type(data).__name__}")
    needed = [c for c in (outcome, unit, period, count) if c is not None]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise EvalkitError(f"column(s) {absent} are not in the outcome frame; its columns are {list(data.columns)[:12]}")
    if data[unit].isna().any():
        rows = list(data.index[data[unit].isna()][:5])
        raise EvalkitError(f"unit column {unit!r} is missing in {int(data[unit].isna().sum())} rows (first: {rows})")
    months = to_month_index(data[period])
    unreadable = months.isna() & data[period].notna()
    if unreadable.any() or data[period].isna().any():
        bad = unreadable | data[period].isna()
        shown = [repr(v) for v in pd.unique(data.loc[bad, period])[:5]]
        raise EvalkitError(f"period column {period!r}: {int(bad.sum())} rows are not months, e.g. {', '.join(shown)} "
                           f"(first rows: {list(data.index[bad][:5])}); expected e.g. '2016-03'")
    y = numeric_column(data, outcome, "outcome")
    missing = np.isnan(y)
    if missing.all():
        raise EvalkitError(f"outcome column {outcome!r} has no value (all {len(y)} rows missing)")
    if missing.any():
        warnings.warn(f"{int(missing.sum())} of {len(y)} rows have no value of outcome {outcome!r} and were left out",
                      ExcludedRowsWarning, stacklevel=2)
    kept = data.loc[~missing]
    w = np.ones(len(kept)) if count is None else positive_weights(kept, count)
    return kept, y[~missing], w, months[~missing], int(missing.sum())


def entry_outcomes(
    panel: StatusPanel,
    *,
    states: Sequence[str] = ("employed",),
    horizons: Sequence[int] = (6,),
    washout: int = 12,
    categories: Sequence[str] | None = None,
    max_age: int | None = None,
    unit: str = "county",
) -> list[OutcomeCells]:
    """Entry cohorts of a panel and their states at horizons, as unit x entry-month sums.

    Entries are new users after ``washout`` months away from NAV
    (:func:`~evalkit.cohorts.find_entries`, every month of the panel), their states
    ``k`` months after the entry month (:func:`~evalkit.outcomes.outcomes_at_horizons`);
    censored horizons (past the panel's end) are left out and counted in ``excluded``.

    Returns
    -------
    list of OutcomeCells
        One per state and horizon, labelled ``<state>_<horizon>``.
    """
    found = entry_rows(panel, states=states, horizons=horizons, washout=washout, categories=categories,
                       max_age=max_age, unit=unit)
    return [unit_month_cells(label, h, rows[unit], rows["entry_month"], y, np.ones(len(y)), excluded)
            for label, h, rows, y, excluded in each_entry_outcome(found, states, horizons)]


def each_entry_outcome(found: pd.DataFrame, states: Sequence[str],
                       horizons: Sequence[int]) -> Iterator[tuple[str, int, pd.DataFrame, np.ndarray, int]]:
    """Per state and horizon of :func:`entry_rows`: label, horizon, the entries observed there, their
    outcome and the number of censored entries left out."""
    for state in states:
        for h in horizons:
            label = f"{state}_{h}"
            y = found[label].to_numpy(dtype=float)
            ok = ~np.isnan(y)
            yield label, int(h), found.loc[ok], y[ok], int((~ok).sum())


def entry_rows(
    panel: StatusPanel,
    *,
    states: Sequence[str],
    horizons: Sequence[int],
    washout: int,
    categories: Sequence[str] | None,
    max_age: int | None,
    unit: str,
) -> pd.DataFrame:
    """The entries of :func:`entry_outcomes` (one row per entry: its columns and ``<state>_<horizon>``).

    Raises
    ------
    EvalkitError
        No unit column, no entries, or an outcome whose every horizon is censored.
    """
    entries = find_entries(panel, washout=washout, categories=categories, max_age=max_age)
    if unit not in entries.frame.columns:
        raise EvalkitError(f"the entries have no unit column {unit!r}; their columns are {list(entries.frame.columns)}")
    if entries.frame.empty:
        raise EvalkitError(f"no entries after a {washout}-month washout in the panel:\n{entries.report}")
    found = outcomes_at_horizons(panel, entries, horizons=horizons, states=states, ever=False).frame
    for state in states:
        for h in horizons:
            if found[f"{state}_{h}"].isna().all():
                raise EvalkitError(f"outcome {f'{state}_{h}'!r}: every entry's horizon lies past the panel's end")
    return found
