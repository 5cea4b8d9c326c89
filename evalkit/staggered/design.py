"""One validated staggered-adoption design, built by named stages, for every staggered estimator.

:func:`build_design` turns long data (one row per unit and period, or per person with
``unit`` the region in repeated cross-sections) into a :class:`StaggeredDesign`.  It is
the only place where the inputs of ``att_gt``, ``event_study``, ``sun_abraham``,
``imputation_did``, ``two_stage_did`` and ``bacon_decomposition`` are checked, so all of
them read the same data the same way.  The stages, in order, each raise or warn naming
the user's column, counts and example rows:

1. :func:`check_columns`: the columns exist; outcome, time, group, weights and listed
   covariates are numeric.
2. :func:`exclude_missing`: rows with a missing outcome, time, unit, cluster, weight or
   covariate are excluded (:class:`~evalkit.errors.ExcludedRowsWarning`, counted per
   column).
3. :func:`code_first_treated`: ``group`` is the first treated period.  **Never treated is
   coded 0 or ``inf``**; a missing ``group`` is an error (code never-treated units as 0),
   because reading it as "never treated" or as "drop the row" changes the comparison
   group.  Negative or non-integer values are errors.
4. :func:`check_integer_time`: periods are integer-valued (event time is ``t - g``).
5. :func:`code_units`: ``group`` is constant within each unit; for panels also the
   weights and the cluster.
6. :func:`check_unique`: panels have one row per unit and period.
7. :func:`cohorts_in_window`: cohorts first treated after the last period are never
   treated within the data and recoded 0 (R did's rule); always-treated units, first
   treated in or before the first period (plus ``anticipation``), have no untreated
   period and are excluded (warned, counted), except by the Goodman-Bacon decomposition,
   whose TWFE regression includes them.
8. :func:`balance`: whether every unit is observed in every period.

Nothing is copied or re-sorted: the design keeps row positions into the caller's data,
which is never modified.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning, PanelValidationError, ScheduleError
from evalkit.inference.few_clusters import count_clusters, warn_few_clusters

__all__ = [
    "StaggeredDesign",
    "balance",
    "build_design",
    "check_columns",
    "check_integer_time",
    "check_outcomes",
    "check_unique",
    "code_first_treated",
    "code_units",
    "cohorts_in_window",
    "exclude_missing",
    "outcome_names",
]


@dataclass(frozen=True, eq=False)
class StaggeredDesign:
    """Validated staggered-adoption data: row positions and codes, no copy of the data.

    Attributes
    ----------
    data
        The caller's frame (read only through :meth:`column`).
    y, time, group, unit, cluster, weights, covariates
        Column names (``cluster`` defaults to ``unit``; ``unit`` ``None``: every row is its
        own unit, as in repeated cross-sections of independent observations).
    rows
        Positions of the rows used, in the data's order (``None``: all rows).
    index
        Index labels of those rows.
    t, g
        Period and first treated period (0 = never treated) per used row, as floats
        holding integers.
    unit_code, unit_labels
        Unit code 0..U-1 per row and the labels of the codes.
    periods, period_code
        Sorted distinct periods and the code of each row's period.
    cohorts
        Sorted first treated periods of the treated cohorts.
    balanced
        Every unit is observed in every period (panels only; ``False`` otherwise).
    panel
        One row per unit and period was required (and checked).
    """

    data: pd.DataFrame
    y: str
    time: str
    group: str
    unit: str | None
    cluster: str | None
    weights: str | None
    covariates: tuple[str, ...]
    rows: np.ndarray | None
    index: pd.Index
    t: np.ndarray
    g: np.ndarray
    unit_code: np.ndarray
    unit_labels: np.ndarray
    periods: np.ndarray
    period_code: np.ndarray
    cohorts: np.ndarray
    balanced: bool
    panel: bool

    @property
    def nobs(self) -> int:
        """Number of rows used."""
        return int(self.t.shape[0])

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(len(self.unit_labels))

    def column(self, name: str) -> np.ndarray:
        """Values of a column of the data on the rows used (a view when all rows are used)."""
        values = self.data[name].to_numpy()
        return values if self.rows is None else values[self.rows]

    def check_clusters(self, *, stacklevel: int = 3) -> None:
        """The few-cluster check of cluster-robust inference on ``cluster``
        (:func:`evalkit.inference.few_clusters.warn_few_clusters`: an error with one cluster,
        a :class:`~evalkit.errors.FewClustersWarning` with few clusters, or few clusters with
        treated rows (``time >= group``) or with untreated rows (never treated or not yet
        treated), the two sides of every comparison)."""
        treated_rows = (self.g > 0) & (self.t >= self.g)
        G, n_treated, n_control = count_clusters(self.cluster_code(), treated_rows)
        warn_few_clusters(G, n_treated=n_treated, n_control=n_control, column=self.cluster, stacklevel=stacklevel)

    def cluster_code(self) -> np.ndarray:
        """Cluster code per row (the unit code when clustering by unit)."""
        if self.cluster is None or self.cluster == self.unit:
            return self.unit_code
        return factorize_rows(self.data[self.cluster], self.rows, sort=False)[0]


def _examples(index: pd.Index, mask: np.ndarray) -> list:
    return index[np.flatnonzero(mask)[:5]].tolist()


def _warn(message: str) -> None:
    warnings.warn(message, ExcludedRowsWarning, stacklevel=5)


def check_columns(data: pd.DataFrame, needed: Sequence[str], numeric: Sequence[str]) -> None:
    """Stage 1: ``needed`` columns exist and ``numeric`` ones are numeric."""
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise PanelValidationError(f"column(s) {missing} not found in the data; available: {list(data.columns)}")
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise PanelValidationError(f"column '{col}' must be numeric, got dtype {data[col].dtype}")


def outcome_names(y: str | Sequence[str]) -> list[str]:
    """The outcome columns ``y`` names: one column, or a list of distinct ones."""
    outcomes = [y] if isinstance(y, str) else list(y)
    if not outcomes or len(set(outcomes)) < len(outcomes):
        raise EvalkitError(f"y must name an outcome or distinct outcomes, got {y!r}")
    return outcomes


def check_outcomes(data: pd.DataFrame, ys: Sequence[str]) -> None:
    """Several outcomes of one design: the columns exist, are numeric and are missing on the
    same rows (else each would be estimated on other rows)."""
    ys = list(ys)
    check_columns(data, ys, ys)
    missing = data[ys[0]].isna().to_numpy()
    for other in ys[1:]:
        if not np.array_equal(data[other].isna().to_numpy(), missing):
            raise PanelValidationError(f"outcome '{other}' is missing on other rows than '{ys[0]}'; estimate "
                                       "outcomes observed on different rows one at a time")


def exclude_missing(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """Stage 2: positions of the rows without missing values in ``columns`` (``None``: all).

    Warns with the number of excluded rows per column.
    """
    na = {c: data[c].isna().to_numpy() for c in columns}
    na = {c: m for c, m in na.items() if m.any()}
    if not na:
        if len(data) == 0:
            raise PanelValidationError("the data have no rows")
        return None
    excluded = np.logical_or.reduce(list(na.values()))
    per_col = ", ".join(f"'{c}': {int(m.sum())}" for c, m in na.items())
    _warn(f"excluded {int(excluded.sum())} rows: missing values ({per_col})")
    rows = np.flatnonzero(~excluded)
    if len(rows) == 0:
        raise PanelValidationError("no rows left after excluding rows with missing values")
    return rows


def code_first_treated(values: np.ndarray, column: str, index: pd.Index) -> np.ndarray:
    """Stage 3: first treated period as floats, never treated (0 or ``inf``) coded 0.

    Raises
    ------
    ScheduleError
        Missing values (naming the count and example rows), negative or non-integer values.
    """
    g = np.asarray(values, dtype=float)
    if np.asarray(values).dtype.kind in "iu":  # integers: no missing, infinite or fractional values
        negative = g < 0
        if negative.any():
            _raise_bad_group(column, index, negative)
        return g
    nan = np.isnan(g)
    if nan.any():
        raise ScheduleError(
            f"column '{column}' (first treated period) is missing in {int(nan.sum())} rows, e.g. rows "
            f"{_examples(index, nan)}; code never-treated units as 0 (or inf), e.g. "
            f"data.fillna({{'{column}': 0}})"
        )
    g = np.where(np.isposinf(g), 0.0, g)
    bad = (g < 0) | (g != np.round(g))
    if bad.any():
        _raise_bad_group(column, index, bad)
    return g


def _raise_bad_group(column: str, index: pd.Index, bad: np.ndarray) -> None:
    raise ScheduleError(
        f"column '{column}' must be 0 or inf (never treated) or an integer first treated period; "
        f"{int(bad.sum())} rows are not, e.g. rows {_examples(index, bad)}"
    )


def check_integer_time(values: np.ndarray, column: str, index: pd.Index) -> np.ndarray:
    """Stage 4: integer-valued periods, as floats."""
    t = np.asarray(values, dtype=float)
    if np.asarray(values).dtype.kind in "iu":  # integers are integer-valued and finite
        return t
    bad = ~np.isfinite(t) | (t != np.round(t))
    if bad.any():
        raise PanelValidationError(
            f"column '{column}' must hold integer-valued periods (e.g. months counted 0, 1, 2, ...); "
            f"{int(bad.sum())} rows are not, e.g. rows {_examples(index, bad)}"
        )
    return t


def _constant_within(codes: np.ndarray, labels: np.ndarray, values: np.ndarray, unit: str, column: str,
                     error: type[Exception], hint: str = "") -> None:
    v = values if np.issubdtype(np.asarray(values).dtype, np.number) else pd.factorize(values)[0]
    representative = np.zeros(len(labels), dtype=np.asarray(v).dtype)
    representative[codes] = v  # any row of the unit will do
    varying = np.unique(codes[v != representative[codes]])
    if len(varying):
        examples = pd.Index(labels[varying]).sort_values()[:5].tolist()
        raise error(f"column '{column}' must be constant within each unit of '{unit}', but varies within "
                    f"{len(varying)} unit(s), e.g. {examples}{hint}")


def _factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` (codes and labels as arrays); in one pass when
    ``values`` are integers in non-decreasing order (a panel sorted by unit)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and len(values) and np.all(values[1:] >= values[:-1]):
        new = np.empty(len(values), dtype=bool)
        new[0] = False
        np.not_equal(values[1:], values[:-1], out=new[1:])
        codes = np.cumsum(new, dtype=np.intp)
        new[0] = True
        return codes, values[new]
    codes, labels = pd.factorize(values, sort=True)
    return codes, np.asarray(labels)


def factorize_rows(values: pd.Series, rows: np.ndarray | None, *, sort: bool) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of ``values`` on ``rows`` (``None``: all), codes and labels as arrays.

    Text columns (pandas strings, stored in Arrow) are factorized in their own dtype,
    without making Python objects, and then their codes on the rows, in the same order (of
    first appearance, or of the sorted labels with ``sort``); other columns on the rows
    (sorted integers in one pass, :func:`_factorize_sorted`).
    """
    if not isinstance(values.dtype, pd.StringDtype):
        taken = values.to_numpy() if rows is None else values.to_numpy()[rows]
        if sort:
            return _factorize_sorted(taken)
        codes, labels = pd.factorize(taken)
        return codes, np.asarray(labels)
    codes, labels = pd.factorize(values, sort=sort)
    labels = np.asarray(labels)
    if rows is None:
        return codes, labels
    if sort:
        present, codes = np.unique(codes[rows], return_inverse=True)
    else:
        codes, present = pd.factorize(codes[rows])
    return codes.astype(np.intp, copy=False), labels[present]


def code_units(codes: np.ndarray, labels: np.ndarray, g: np.ndarray, *, unit: str, group: str,
               constant: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stage 5: ``group`` and the ``constant`` columns constant within each unit of ``codes``
    (of the sorted ``labels``, :func:`factorize_rows`); returns them."""
    _constant_within(codes, labels, g, unit, group, ScheduleError,
                     "; treatment must start once per unit and never switch off")
    for col, values in constant.items():
        _constant_within(codes, labels, values, unit, col, PanelValidationError)
    return codes, labels


def code_periods(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct periods (floats) and the code of each row's period.

    ``t`` are the periods as floats and ``values`` the column they came from: integer
    columns of a small range are coded by a count per offset from the minimum, without
    hashing or searching.
    """
    values = np.asarray(values)
    if (values.dtype.kind == "i" or (values.dtype.kind == "u" and values.dtype.itemsize < 8)) and len(values):
        lo = values.min()
        offset = np.subtract(values, lo, dtype=np.int64)
        span = int(offset.max()) + 1
        if span <= max(2 * len(values), 1024):
            present = np.bincount(offset, minlength=span) > 0
            code = np.cumsum(present, dtype=np.intp) - 1
            return (np.flatnonzero(present) + int(lo)).astype(float), code[offset]
    periods = np.sort(pd.unique(t))
    return periods, np.searchsorted(periods, t)


def sorted_by_unit_period(unit_code: np.ndarray, period_code: np.ndarray) -> bool:
    """Whether rows are sorted by unit and then period with no (unit, period) repeated
    (the key ``unit * T + period`` strictly increasing, compared without forming it)."""
    du, dp = unit_code[1:], period_code[1:]
    later_unit = du > unit_code[:-1]
    return bool(np.all(later_unit | ((du == unit_code[:-1]) & (dp > period_code[:-1]))))


def check_unique(unit_code: np.ndarray, period_code: np.ndarray, n_periods: int, index: pd.Index,
                 unit: str, time: str) -> None:
    """Stage 6: one row per unit and period."""
    if sorted_by_unit_period(unit_code, period_code):
        return  # sorted by unit and period, no repeats: the usual layout, checked in one pass
    key = unit_code.astype(np.int64) * n_periods + period_code
    order = np.argsort(key, kind="stable")
    repeated_sorted = np.flatnonzero(key[order][1:] == key[order][:-1]) + 1
    if len(repeated_sorted):
        repeated = np.zeros(len(key), dtype=bool)
        repeated[order[repeated_sorted]] = True
        raise PanelValidationError(
            f"more than one row per unit and period in ('{unit}', '{time}'): {int(repeated.sum())} repeated rows, "
            f"e.g. rows {_examples(index, repeated)}"
        )


def cohorts_in_window(g: np.ndarray, unit_code: np.ndarray, periods: np.ndarray, anticipation: int,
                      group: str, keep_always_treated: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Stage 7: recode cohorts after the last period to 0; flag always-treated rows.

    Returns
    -------
    g, keep
        Recoded first treated period and the mask of rows kept (units first treated after
        ``periods[0] + anticipation``, or never).
    """
    late = g > periods[-1]
    if late.any():
        g = np.where(late, 0.0, g)
    if keep_always_treated:
        return g, np.ones(len(g), dtype=bool)
    early = (g > 0) & (g <= periods[0] + anticipation)
    if early.any():
        n_units = len(np.unique(unit_code[early]))
        cohorts = np.unique(g[early]).astype(int).tolist()
        _warn(f"excluded {n_units} units: treated in or before the first period {periods[0]:g} "
              f"(+ anticipation {anticipation}) by '{group}' (cohorts {cohorts}); they have no untreated period")
    return g, ~early


def balance(unit_code: np.ndarray, n_units: int, n_periods: int) -> bool:
    """Stage 8: whether every unit has a row in every period (rows are unique per unit and period)."""
    return bool(np.all(np.bincount(unit_code, minlength=n_units) == n_periods))


def build_design(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str | None,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
    panel: bool = False,
    anticipation: int = 0,
    keep_always_treated: bool = False,
) -> StaggeredDesign:
    """Run the stages of the module docstring and return the validated design.

    Parameters
    ----------
    data
        Long data; not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit
        (``None``: every row is its own unit; not with ``panel``).
    covariates
        Covariate columns (checked for missing values; numeric when listed here).
    weights, cluster
        Weight and cluster columns (``cluster`` defaults to ``unit``).
    panel
        Require one row per unit and period, and weights and cluster constant within unit.
    anticipation
        Periods before ``g`` in which units may already react: units first treated in or
        before ``first period + anticipation`` are always treated.
    keep_always_treated
        Keep always-treated units (only the Goodman-Bacon decomposition does: they are
        part of the TWFE regression it decomposes); by default they are excluded (warned).
    """
    if panel and unit is None:
        raise PanelValidationError("panel data need the unit column (unit=...); use panel=False for cross-sections")
    cluster = unit if cluster is None else cluster
    covariates = tuple(covariates)
    needed = [c for c in dict.fromkeys([y, time, group, unit, cluster, *covariates, weights]) if c is not None]
    check_columns(data, needed, [y, time, group, *([weights] if weights else [])])
    rows = exclude_missing(data, [c for c in needed if c != group])

    def column(name: str) -> np.ndarray:
        values = data[name].to_numpy()
        return values if rows is None else values[rows]

    index = data.index if rows is None else data.index[rows]
    g = code_first_treated(column(group), group, index)
    t = check_integer_time(column(time), time, index)
    if weights is not None:
        w = column(weights).astype(float)
        bad = ~(np.isfinite(w) & (w > 0))
        if bad.any():
            raise PanelValidationError(f"weights column '{weights}' must be positive; {int(bad.sum())} rows are not, "
                                       f"e.g. rows {_examples(index, bad)}")
    constant = {c: column(c) for c in (weights, cluster) if panel and c is not None and c != unit}
    if unit is None:
        unit_code, unit_labels = np.arange(len(t)), np.asarray(index)
    else:
        unit_code, unit_labels = code_units(*factorize_rows(data[unit], rows, sort=True), g, unit=unit, group=group,
                                            constant=constant)
    periods, period_code = code_periods(t, column(time))
    if panel:
        check_unique(unit_code, period_code, len(periods), index, unit, time)
    g, keep = cohorts_in_window(g, unit_code, periods, anticipation, group, keep_always_treated)
    if not keep.any():
        raise ScheduleError(f"every unit is treated in or before the first period by '{group}'; "
                            "no untreated period is observed")
    if not keep.all():
        local = np.flatnonzero(keep)
        rows = local if rows is None else rows[local]
        index, g, t = index[local], g[local], t[local]
        unit_code, unit_labels = _factorize_sorted(unit_labels[unit_code[local]])
        periods = np.sort(pd.unique(t))
        period_code = np.searchsorted(periods, t)
    return StaggeredDesign(
        data=data, y=y, time=time, group=group, unit=unit, cluster=cluster, weights=weights,
        covariates=covariates, rows=rows, index=index, t=t, g=g, unit_code=unit_code,
        unit_labels=unit_labels, periods=periods, period_code=period_code, cohorts=np.sort(pd.unique(g[g > 0])),
        balanced=panel and balance(unit_code, len(unit_labels), len(periods)), panel=panel,
    )
