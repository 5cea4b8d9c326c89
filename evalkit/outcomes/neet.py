"""NEET months, NEET spells and long-term NEET at a reference date, censoring-aware.

A person-month is **NEET** (not in employment, education or training) when the person is
in none of the *activities*: by default an employment contract (``employed``), formal
education (``in_education``) and a labour-market programme (``in_programme``).  Receiving
benefits, or being registered at NAV in a need category, does not end NEET: those columns
are simply not activities.  ``activities`` is configurable, e.g. ``("employed",
"in_education")`` for a status panel without a programme register.

Each month of each person is one of

- ``neet = 1``: every activity is 0 (known);
- ``neet = 0``: some activity is 1 (one known activity suffices, even if another is missing);
- ``neet`` missing (*unknown*): no activity is 1 and at least one is missing.

Months a person has no row for, between the person's first and last row (*gaps*), are
unknown too.  A **NEET spell** is a maximal run of consecutive known NEET months of one
person.  It is ``open_at_start`` when the month before its first month is not a known
non-NEET month of that person (the spell starts at the person's first row, e.g. at the
panel start, or after a gap or an unknown month): its true start lies earlier or is
unknown, so its ``length`` is a lower bound.  It is ``open_at_end`` likewise at its end.
Nothing is assumed about unobserved months: an unknown month *breaks* a spell into two
censored ones (``unknown="break"``, the default) or is an error (``unknown="error"``).

**Long-term NEET at a reference month** ``r`` (the analysis note's definition): NEET in
``r`` and in a NEET spell that has lasted at least ``min_months`` (default 24) months by
``r``, counted up to and including ``r``; optionally also an income below a threshold
(e.g. a quarter of the basic amount G).  A spell open at its start that has lasted fewer
than ``min_months`` observed months by ``r`` cannot be classified: it is missing
(``censored="missing"``, the default, counted in the result) or counted as not long-term
(``censored="lower_bound"``, taking the observed months as the length).

Months are month indices (:mod:`evalkit.panel.months`): a validated
:class:`~evalkit.panel.StatusPanel` carries them; a pandas frame may carry any month form
the panel reader accepts (``2023-12``, ``202312``, datetimes, periods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.panel.load import StatusPanel
from evalkit.panel.months import as_month_index, month_label, parse_month

__all__ = [
    "DEFAULT_ACTIVITIES",
    "NeetMonths",
    "long_term_neet",
    "neet_months",
    "neet_spells",
]

#: Activities that end NEET: work, education, a labour-market programme.
DEFAULT_ACTIVITIES: tuple[str, ...] = ("employed", "in_education", "in_programme")

Unknown = Literal["break", "error"]
Censored = Literal["missing", "lower_bound"]


def _examples(frame: pd.DataFrame, mask: np.ndarray, columns: Sequence[str], n: int = 3) -> str:
    rows = frame.loc[mask, list(columns)].head(n)
    plain = [[v.item() if isinstance(v, np.generic) else v for v in row] for row in rows.itertuples(index=False)]
    return "; ".join(", ".join(f"{c}={v!r}" for c, v in zip(columns, row, strict=True)) for row in plain)


@dataclass(frozen=True)
class NeetMonths:
    """Person-months in (person, month) order with their NEET status as numpy arrays.

    Attributes
    ----------
    person
        Person ids (the user's values).
    month
        Month indices (``int64``).
    neet
        ``1`` NEET, ``0`` not NEET, ``-1`` unknown.
    person_column
        Name of the person column, used for output frames and messages.
    """

    person: np.ndarray
    month: np.ndarray
    neet: np.ndarray
    person_column: str

    def frame(self) -> pd.DataFrame:
        """``person``, ``month`` (month index) and ``neet`` (nullable ``Int8``)."""
        neet = pd.array(np.where(self.neet < 0, 0, self.neet), dtype="Int8")
        neet[self.neet < 0] = pd.NA
        return pd.DataFrame({self.person_column: self.person, "month": self.month, "neet": neet})


def _month_column(frame: pd.DataFrame, month: str, canonical: bool) -> np.ndarray:
    raw = frame[month]
    values = raw.astype("Int64") if canonical else as_month_index(raw)
    bad = values.isna().to_numpy()
    if bad.any():
        raise EvalkitError(
            f"column {month!r} (month) has {int(bad.sum())} of {len(frame)} rows that are not a "
            f"month (e.g. {_examples(frame, bad, [month])}); expected months such as '2023-12', "
            "202312, a date or a Period"
        )
    return values.to_numpy(dtype=np.int64)


def _activity(frame: pd.DataFrame, column: str) -> np.ndarray:
    """0/1 activity as float with NaN for missing; anything else is an error."""
    values = pd.to_numeric(frame[column], errors="coerce") if frame[column].dtype == object else frame[column]
    try:
        numbers = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        numbers = np.full(len(frame), np.inf)
    missing = frame[column].isna().to_numpy()
    bad = ~missing & ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        raise EvalkitError(
            f"activity column {column!r} has {int(bad.sum())} of {len(frame)} rows that are "
            f"neither 0 nor 1 nor missing (e.g. {_examples(frame, bad, [column])}); expected a "
            "0/1 indicator (missing = unknown)"
        )
    return np.where(missing, np.nan, numbers)


def neet_months(
    data: StatusPanel | pd.DataFrame,
    *,
    activities: Sequence[str] = DEFAULT_ACTIVITIES,
    person: str = "person_id",
    month: str = "month",
) -> NeetMonths:
    """The NEET status of every person-month (module docstring for the rules).

    Parameters
    ----------
    data
        A validated :class:`~evalkit.panel.StatusPanel` (loaded with ``collect()``) or a
        frame with one row per person and month.
    activities
        0/1 columns of which any one being 1 makes the month not NEET.
    person, month
        The person and month columns of a frame (a status panel has ``person_id`` and
        ``month``).

    Raises
    ------
    EvalkitError
        When a column is absent, a month cannot be read, an activity is not 0/1/missing,
        a person id is missing or a person-month occurs twice (counts and examples named).
    """
    canonical = isinstance(data, StatusPanel)
    frame = data.collect() if canonical else data
    if not isinstance(frame, pd.DataFrame):
        raise EvalkitError(f"data must be a StatusPanel or a pandas DataFrame, not {type(data).__name__}")
    activities = tuple(activities)
    if not activities or len(set(activities)) != len(activities):
        raise EvalkitError(f"activities must name distinct columns, at least one; got {list(activities)}")
    absent = [c for c in (person, month, *activities) if c not in frame.columns]
    if absent:
        hint = ""
        if "in_programme" in absent:
            hint = (
                "; a panel without a labour-market programme register can pass "
                "activities=('employed', 'in_education') (then programme months count as NEET)"
            )
        raise EvalkitError(
            f"columns {absent} are not in the data (columns: {list(map(str, frame.columns))}){hint}"
        )
    no_id = frame[person].isna().to_numpy()
    if no_id.any():
        raise EvalkitError(
            f"column {person!r} (person) is missing in {int(no_id.sum())} of {len(frame)} rows; "
            "every row needs a person id"
        )
    months = _month_column(frame, month, canonical)
    acts = np.column_stack([_activity(frame, c) for c in activities])
    any_one = (acts == 1).any(axis=1)
    all_zero = (acts == 0).all(axis=1)
    neet = np.where(any_one, 0, np.where(all_zero, 1, -1)).astype(np.int8)
    codes, ids = pd.factorize(frame[person], sort=True)
    order = np.lexsort((months, codes))
    codes, months, neet = codes[order], months[order], neet[order]
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = (codes[1:] == codes[:-1]) & (months[1:] == months[:-1])
    if dup.any():
        rows = frame.iloc[order[dup]]
        examples = _examples(rows, np.ones(len(rows), dtype=bool), [person, month])
        raise EvalkitError(
            f"{int(dup.sum())} person-months occur more than once in columns {person!r}, "
            f"{month!r} (e.g. {examples}); expected one row per person and month"
        )
    return NeetMonths(person=np.asarray(ids)[codes], month=months, neet=neet, person_column=person)


def _runs(nm: NeetMonths) -> dict[str, np.ndarray]:
    """Row positions of each spell's first and last month and the censoring flags."""
    same = np.zeros(len(nm.month), dtype=bool)
    same[1:] = (nm.person[1:] == nm.person[:-1]) & (nm.month[1:] == nm.month[:-1] + 1)
    prev_neet = np.full(len(nm.month), -1, dtype=np.int8)
    prev_neet[1:] = np.where(same[1:], nm.neet[:-1], -1)
    next_neet = np.full(len(nm.month), -1, dtype=np.int8)
    next_neet[:-1] = np.where(same[1:], nm.neet[1:], -1)
    is_neet = nm.neet == 1
    first = np.flatnonzero(is_neet & (prev_neet != 1))
    last = np.flatnonzero(is_neet & (next_neet != 1))
    return {
        "first": first,
        "last": last,
        "open_at_start": prev_neet[first] != 0,
        "open_at_end": next_neet[last] != 0,
    }


def _check_unknown(nm: NeetMonths, unknown: str) -> None:
    if unknown not in ("break", "error"):
        raise EvalkitError(f"unknown must be 'break' or 'error', got {unknown!r}")
    if unknown == "break":
        return
    bad = nm.neet < 0
    if bad.any():
        ex = ", ".join(f"{nm.person[i]!r} in {month_label(nm.month[i])}" for i in np.flatnonzero(bad)[:3])
        raise EvalkitError(
            f"{int(bad.sum())} person-months have an unknown NEET status (an activity missing and "
            f"none 1), e.g. {ex}; pass unknown='break' to let them end spells as censored"
        )
    same_person = nm.person[1:] == nm.person[:-1]
    gap = same_person & (nm.month[1:] > nm.month[:-1] + 1)
    if gap.any():
        at = np.flatnonzero(gap)[:3]
        ex = ", ".join(
            f"{nm.person[i]!r} between {month_label(nm.month[i])} and {month_label(nm.month[i + 1])}" for i in at
        )
        raise EvalkitError(
            f"{int(gap.sum())} gaps between a person's months (months without a row), e.g. {ex}; "
            "pass unknown='break' to let them end spells as censored"
        )


def neet_spells(
    data: StatusPanel | pd.DataFrame | NeetMonths,
    *,
    activities: Sequence[str] = DEFAULT_ACTIVITIES,
    person: str = "person_id",
    month: str = "month",
    unknown: Unknown = "break",
) -> pd.DataFrame:
    """Every NEET spell with its start, end, length and censoring flags.

    Parameters
    ----------
    data
        A status panel, a frame of person-months or the output of :func:`neet_months`.
    activities, person, month
        As in :func:`neet_months`.
    unknown
        ``"break"``: an unknown month or a gap ends the spell before it (``open_at_end``)
        and the spell after it starts open (``open_at_start``); ``"error"``: raise.

    Returns
    -------
    pandas.DataFrame
        One row per spell in (person, start) order: the person column, ``start`` and
        ``end`` (month indices of the first and last NEET month), ``length`` (months,
        ``end - start + 1``; a lower bound when a flag is set), ``open_at_start``,
        ``open_at_end``.
    """
    nm = data if isinstance(data, NeetMonths) else neet_months(data, activities=activities, person=person, month=month)
    _check_unknown(nm, unknown)
    runs = _runs(nm)
    start, end = nm.month[runs["first"]], nm.month[runs["last"]]
    return pd.DataFrame(
        {
            nm.person_column: nm.person[runs["first"]],
            "start": start,
            "end": end,
            "length": end - start + 1,
            "open_at_start": runs["open_at_start"],
            "open_at_end": runs["open_at_end"],
        }
    )


def _income_of(persons: np.ndarray, income: pd.Series | Mapping, person: str) -> np.ndarray:
    series = income if isinstance(income, pd.Series) else pd.Series(dict(income), dtype=float)
    if series.index.has_duplicates:
        dups = series.index[series.index.duplicated()].unique()[:3].tolist()
        raise EvalkitError(f"income has more than one value for persons {dups}; expected one per person")
    found = pd.Index(series.index).get_indexer(persons)
    lacking = found < 0
    if lacking.any():
        raise EvalkitError(
            f"income has no value for {int(lacking.sum())} of {len(persons)} persons of the data "
            f"(e.g. {person}={persons[lacking][:3].tolist()}); give every person an income "
            "(missing values make long-term NEET missing)"
        )
    return pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)[found]


def long_term_neet(
    data: StatusPanel | pd.DataFrame | NeetMonths,
    reference_month: object,
    *,
    min_months: int = 24,
    income: pd.Series | Mapping | None = None,
    max_income: float | None = None,
    censored: Censored = "missing",
    activities: Sequence[str] = DEFAULT_ACTIVITIES,
    person: str = "person_id",
    month: str = "month",
    unknown: Unknown = "break",
) -> pd.DataFrame:
    """Long-term NEET status of every person at a reference month.

    Parameters
    ----------
    data
        A status panel, a frame of person-months or the output of :func:`neet_months`.
    reference_month
        The month of the status (``"2023-12"``, a Period, 202312, ...).
    min_months
        Months the spell must have lasted by the reference month (24 = two years).
    income, max_income
        Optional income condition: ``income`` maps each person id to an income (e.g. in
        units of G); long-term NEET then also needs ``income < max_income`` (the note:
        ``0.25`` G).  A missing income makes the status missing where it matters.
    censored
        What a spell open at its start with fewer than ``min_months`` observed months by
        the reference month counts as: missing (``"missing"``) or not long-term
        (``"lower_bound"``).
    activities, person, month, unknown
        As in :func:`neet_spells`.

    Returns
    -------
    pandas.DataFrame
        One row per person of the data: the person column, ``observed`` (a row in the
        reference month), ``neet`` (nullable boolean: missing when unobserved or unknown),
        ``spell_start`` (first month of the current spell, ``<NA>`` if not NEET),
        ``spell_months`` (months of the spell up to the reference month, 0 if not NEET),
        ``open_at_start``, ``income`` (when given) and ``long_term_neet`` (nullable
        boolean).  ``.attrs`` holds the counts of persons whose status is missing and why.

    References
    ----------
    Analysis note on long-term NEETs (15-29) in Akershus, Buskerud, Østfold and Oslo:
    NEET for two years or more with income below a quarter of G (``neet2023``).
    """
    if isinstance(min_months, bool) or not isinstance(min_months, (int, np.integer)) or min_months < 1:
        raise EvalkitError(f"min_months must be a whole number of at least 1, got {min_months!r}")
    if censored not in ("missing", "lower_bound"):
        raise EvalkitError(f"censored must be 'missing' or 'lower_bound', got {censored!r}")
    if (income is None) != (max_income is None):
        raise EvalkitError("income and max_income go together: give both for an income condition, or neither")
    try:
        ref = parse_month(reference_month)
    except ValueError as exc:
        raise EvalkitError(f"reference_month: {exc}") from None
    nm = data if isinstance(data, NeetMonths) else neet_months(data, activities=activities, person=person, month=month)
    _check_unknown(nm, unknown)
    upto = nm.month <= ref
    cut = NeetMonths(nm.person[upto], nm.month[upto], nm.neet[upto], nm.person_column)
    runs = _runs(cut)
    at_ref = cut.month[runs["last"]] == ref
    persons, inverse = np.unique(nm.person, return_inverse=True)
    n = len(persons)
    observed = np.zeros(n, dtype=bool)
    status = np.full(n, -1, dtype=np.int8)
    ref_rows = np.flatnonzero(nm.month == ref)
    observed[inverse[ref_rows]] = True
    status[inverse[ref_rows]] = nm.neet[ref_rows]
    spell_start = np.full(n, -1, dtype=np.int64)
    spell_months = np.zeros(n, dtype=np.int64)
    open_start = np.zeros(n, dtype=bool)
    who = np.searchsorted(persons, cut.person[runs["first"][at_ref]])
    spell_start[who] = cut.month[runs["first"][at_ref]]
    spell_months[who] = ref - spell_start[who] + 1
    open_start[who] = runs["open_at_start"][at_ref]

    neet = status == 1
    long_enough = neet & (spell_months >= min_months)
    undetermined = neet & ~long_enough & open_start & (censored == "missing")
    lt = pd.array(long_enough, dtype="boolean")
    lt[undetermined | (status < 0)] = pd.NA
    out = {
        nm.person_column: persons,
        "observed": observed,
        "neet": pd.array(neet, dtype="boolean"),
        "spell_start": pd.array(np.where(neet, spell_start, 0), dtype="Int64"),
        "spell_months": spell_months,
        "open_at_start": open_start,
    }
    out["neet"][status < 0] = pd.NA
    out["spell_start"][~neet] = pd.NA
    attrs = {
        "reference_month": month_label(ref),
        "n_not_observed": int((~observed).sum()),
        "n_unknown_status": int((observed & (status < 0)).sum()),
        "n_censored_short_spell": int(undetermined.sum()),
    }
    if income is not None:
        values = _income_of(persons, income, nm.person_column)
        out["income"] = values
        below = values < float(max_income)  # NaN compares False
        no_income = long_enough & np.isnan(values)
        lt[long_enough & ~below & ~no_income] = False
        lt[no_income] = pd.NA
        attrs["n_missing_income"] = int(no_income.sum())
    out["long_term_neet"] = lt
    frame = pd.DataFrame(out)
    frame.attrs.update(attrs)
    return frame
