"""Entries of new users: the first month at NAV after a washout of months away.

A person *enters* in month ``e`` when registered at NAV in ``e`` and not registered in any
of the ``washout`` months ``e - washout, ..., e - 1`` (the published FUI analysis uses
12 months).  Months before the panel's first month are unknown: an entry there is
confirmed only through the column ``last_nav_month_before`` (the person's last month at
NAV before the panel starts, missing when none), or when the user declares that nobody
had NAV history before the panel (``unknown_history="assume_new"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.cohorts.arguments import whole_number
from evalkit.cohorts.rollout import RolloutSchedule
from evalkit.engine.stages import Step, split_staged, staged_sql
from evalkit.errors import DesignError, EvalkitError
from evalkit.panel.load import StatusPanel
from evalkit.panel.months import month_label, to_month_index, to_period
from evalkit.panel.roles import EDUCATION_LEVELS, NAV_CATEGORIES

Window = tuple[str, str]
#: An age group: (label, lowest age, highest age), both ends included.
AgeGroup = tuple[str, int, int]


@dataclass(frozen=True)
class EntryReport:
    """How many NAV spell starts were kept as entries, and why the others were not."""

    steps: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        width = max(len(k) for k in self.steps) if self.steps else 0
        return "entries:\n" + "\n".join(f"  {k:<{width}}  {v:>10,}" for k, v in self.steps.items())


@dataclass(frozen=True)
class Entries:
    """One row per entry, with the person's attributes at entry, and its report.

    Columns: ``person_id``, ``entry_month`` (month index), ``entry_period`` (pandas
    Period), ``entry_calendar_month`` (1-12), ``county``, ``nav_category``, ``female``,
    ``birth_year``, ``age``, ``education_level`` where the panel has them; ``age_group``
    when age groups were given;
    ``window`` when entry windows were given; ``region``, ``start_month``, ``exposed`` (entry
    in or after the unit's start month) and ``event_time`` (entry month minus start month)
    when a schedule was given.
    """

    frame: pd.DataFrame
    report: EntryReport
    washout: int
    last_month: int

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class EntryPool:
    """A panel's entries before any entry window or schedule, found in one engine pass.

    The result of :func:`entry_pool`: the spell starts kept by the washout, history,
    category, first-entry and age rules, with the count of every exclusion.
    :func:`find_entries` with ``pool=`` selects its windows from it in pandas, so that
    several selections (the published windows, a placebo's windows, every month for an
    event study) share one pass over the panel and equal their own queries.  ``frame`` is
    never modified.
    """

    frame: pd.DataFrame
    steps: dict[str, int]
    rules: tuple[object, ...]
    last_month: int


def entry_pool(
    panel: StatusPanel,
    *,
    washout: int = 12,
    categories: Sequence[str] | None = None,
    first_only: bool = False,
    max_age: int | None = None,
    min_age: int | None = None,
    unknown_history: Literal["unconfirmed", "assume_new"] = "unconfirmed",
) -> EntryPool:
    """Find a panel's entries once for any number of :func:`find_entries` calls with ``pool=``.

    The parameters are those of :func:`find_entries` that select entries before the
    windows; a later call must give the same ones.
    """
    rules = _checked_rules(washout, categories, first_only, max_age, min_age, unknown_history)
    washout, categories, first_only, max_age, min_age, unknown_history = rules
    frame, steps = _kept_starts(panel, washout, unknown_history, categories, first_only, max_age, None, None,
                                min_age)
    # in (person, entry month) order and canonical types once: a selection keeps both
    frame = _with_canonical_types(frame.sort_values(["person_id", "entry_month"], kind="stable")
                                  .reset_index(drop=True))
    return EntryPool(frame=frame, steps=steps, rules=rules, last_month=panel.last_month)


def younger_pool(pool: EntryPool, max_age: int) -> EntryPool:
    """The entries of ``pool`` aged at most ``max_age``: what :func:`entry_pool` with that age limit finds.

    A pool with a higher age limit holds every entry of a lower one (the age step comes
    after the washout, history, category and first-entry steps), so an analysis of an
    older band (e.g. the triple difference's comparison aged 30-34) and the main one share
    one pass: the entries above ``max_age`` move to the count of the age exclusion.
    """
    max_age = whole_number(max_age, name="max_age", minimum=0)
    washout, categories, first_only, old_max, min_age, unknown_history = pool.rules
    if old_max is None or max_age > old_max or (min_age is not None and max_age < min_age):
        raise EvalkitError(f"the entry pool has the age limits {min_age}..{old_max}; a younger pool needs an "
                           f"age limit within them, got max_age={max_age!r}")
    age = pool.frame["entry_month"] // 12 - pool.frame["birth_year"]
    keep = (age <= max_age).to_numpy(dtype=bool, na_value=False)
    old_label, label = f"excluded: age above {old_max} or unknown", f"excluded: age above {max_age} or unknown"
    steps = {(label if k == old_label else k): (n + int((~keep).sum()) if k == old_label else n)
             for k, n in pool.steps.items()}
    return EntryPool(frame=pool.frame[keep].reset_index(drop=True), steps=steps,
                     rules=(washout, categories, first_only, max_age, min_age, unknown_history),
                     last_month=pool.last_month)


def _checked_rules(washout: object, categories: Sequence[str] | None, first_only: bool, max_age: object,
                   min_age: object, unknown_history: str) -> tuple[object, ...]:
    """The entry rules of :func:`find_entries`, checked and normalised (whole numbers, a tuple of categories)."""
    washout = whole_number(washout, name="washout", minimum=0)
    if max_age is not None:
        max_age = whole_number(max_age, name="max_age", minimum=0)
    if min_age is not None:
        min_age = whole_number(min_age, name="min_age", minimum=0)
    if isinstance(categories, str):
        raise EvalkitError(f"categories must be a sequence of need categories, got the text {categories!r}")
    categories = tuple(NAV_CATEGORIES) if categories is None else tuple(categories)
    unknown = sorted(set(categories) - set(NAV_CATEGORIES))
    if unknown:
        raise EvalkitError(f"unknown need categories {unknown}; expected some of {list(NAV_CATEGORIES)}")
    if unknown_history not in ("unconfirmed", "assume_new"):
        raise EvalkitError(f"unknown_history must be 'unconfirmed' or 'assume_new', got {unknown_history!r}")
    return washout, categories, bool(first_only), max_age, min_age, unknown_history


def spell_starts_sql(panel: StatusPanel, washout: int, unknown_history: str) -> str:
    """Portable SQL for the starts of NAV spells, with the washout and history flags.

    A spell starts in a month at NAV whose previous month at NAV (``LAG`` over the
    person's months at NAV) is not the month before; it is an entry when the person was
    away more than ``washout`` months.  The text uses only ANSI constructs, so DuckDB and
    Spark execute the same string.
    """
    attrs = [c for c in ("female", "birth_year", "education_level", "county") if panel.has(c)]
    history = "last_nav_month_before" if panel.has("last_nav_month_before") else "CAST(NULL AS INTEGER)"
    known_before = "TRUE" if panel.has("last_nav_month_before") or unknown_history == "assume_new" else "FALSE"
    select_attrs = "".join(f", {c}" for c in attrs)
    return f"""
    WITH nav AS (
        SELECT person_id, month, CAST(nav_category AS STRING) AS nav_category{select_attrs},
               {history} AS history_month,
               LAG(month) OVER (PARTITION BY person_id ORDER BY month) AS previous_nav_month
        FROM panel
        WHERE nav_category IS NOT NULL
    )
    SELECT person_id, month AS entry_month, nav_category{select_attrs},
           CASE
             WHEN previous_nav_month IS NOT NULL THEN month - previous_nav_month > {washout}
             WHEN history_month IS NOT NULL THEN month - history_month > {washout}
             ELSE NULL
           END AS away_long_enough,
           previous_nav_month IS NULL AND history_month IS NULL
             AND month - {panel.first_month} < {washout} AND NOT {known_before} AS history_unknown
    FROM nav
    WHERE previous_nav_month IS NULL OR month - previous_nav_month > 1
    """


def _with_canonical_types(entries: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whichever engine returned the rows (DuckDB and Spark differ)."""
    types: dict[str, object] = {
        "entry_month": "int32",
        "nav_category": pd.CategoricalDtype(list(NAV_CATEGORIES)),
        "county": "string",
        "female": "float64",
        "birth_year": "Int64",
        "education_level": pd.CategoricalDtype(list(EDUCATION_LEVELS)),
    }
    county = entries.get("county")
    if county is not None and isinstance(county.dtype, pd.CategoricalDtype):
        # a stored panel's value map: its labels made text once, not every row's
        labels = pd.array(county.cat.categories, dtype="string")
        entries = entries.assign(county=labels.take(county.cat.codes.to_numpy(), allow_fill=True))
    return entries.astype({c: t for c, t in types.items() if c in entries})


def _age_group(age: pd.Series, groups: Sequence[AgeGroup]) -> pd.Series:
    """The label of each age's group (a later group wins an age two hold), missing outside all."""
    years = age.to_numpy(dtype="float64", na_value=np.nan)
    codes = np.full(len(years), -1)
    for i, (_, low, high) in enumerate(groups):
        codes[(years >= low) & (years <= high)] = i
    dtype = pd.CategoricalDtype([g[0] for g in groups])
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=age.index)


def _check_age_groups(groups: Sequence[AgeGroup]) -> None:
    for group in groups:
        if len(group) != 3:
            raise EvalkitError(f"an age group is (label, lowest age, highest age), got {group!r}")
        label, low, high = group
        low = whole_number(low, name=f"age group {label!r} lowest age", minimum=0)
        if whole_number(high, name=f"age group {label!r} highest age", minimum=low) < low:
            raise EvalkitError(f"age group {label!r} ends before it starts")


def find_entries(
    panel: StatusPanel,
    *,
    washout: int = 12,
    categories: Sequence[str] | None = None,
    first_only: bool = False,
    max_age: int | None = None,
    age_groups: Sequence[AgeGroup] | None = None,
    min_age: int | None = None,
    windows: dict[str, Window] | None = None,
    schedule: RolloutSchedule | None = None,
    unknown_history: Literal["unconfirmed", "assume_new"] = "unconfirmed",
    pool: EntryPool | None = None,
) -> Entries:
    """Find the entries of new users in a status panel.

    Parameters
    ----------
    panel
        A validated :class:`~evalkit.panel.StatusPanel`.
    washout
        Months away from NAV required before an entry (a whole number; 12 in the FUI
        evaluation).
    categories
        Need categories that count as entering the target group (at the entry month);
        ``None`` counts every category.
    first_only
        Keep only each person's first entry (else every entry after a washout).
    max_age
        Keep entries with age at entry (entry year minus birth year) at most ``max_age``
        (a whole number; 29 for "under 30"); ``None`` keeps all ages.
    min_age
        Keep entries with age at entry at least ``min_age`` (``None``: no lower limit).
    age_groups
        ``(label, lowest age, highest age)`` per group, ends included; adds the
        categorical column ``age_group`` (missing outside every group).
    windows
        Named entry windows, e.g. ``{"t1": ("2016-03", "2016-06")}`` (inclusive); entries
        outside every window are excluded (and counted).
    schedule
        A rollout schedule by county; adds ``region``, ``start_month``, ``exposed`` and
        ``event_time``.
    unknown_history
        What an entry in the panel's first ``washout`` months is when nothing is known
        about the months before the panel: ``"unconfirmed"`` (excluded, counted) or
        ``"assume_new"``.
    pool
        The panel's entries before any window, from :func:`entry_pool` with the same
        ``washout``, ``categories``, ``first_only``, ``max_age``, ``min_age`` and ``unknown_history``:
        the windows are then selected from it, without another pass over the panel.

    Returns
    -------
    Entries
        The entries and an :class:`EntryReport` counting every exclusion.

    Raises
    ------
    EvalkitError
        For a fractional or negative ``washout`` or ``max_age``, an unknown category,
        malformed windows or age groups, or a ``pool`` found with other rules.
    """
    rules = _checked_rules(washout, categories, first_only, max_age, min_age, unknown_history)
    washout, categories, first_only, max_age, min_age, unknown_history = rules
    if age_groups is not None:
        _check_age_groups(age_groups)

    if pool is None:
        entries, steps = _kept_starts(panel, washout, unknown_history, categories, first_only, max_age,
                                      age_groups, windows, min_age)
        entries = _with_canonical_types(entries.sort_values(["person_id", "entry_month"], kind="stable"))
    else:  # a pool is sorted and typed already
        entries, steps = _from_pool(pool, rules, panel, age_groups, windows)
    entries = entries.reset_index(drop=True)
    entries["entry_period"] = to_period(entries["entry_month"])
    entries["entry_calendar_month"] = (entries["entry_month"] % 12 + 1).astype("int8")
    if "birth_year" in entries:
        entries["age"] = (entries["entry_month"] // 12 - entries["birth_year"]).astype("Int64")
        if age_groups is not None:
            entries["age_group"] = _age_group(entries["age"], age_groups)
    if windows:
        entries["window"] = entries.pop("entry_window").astype(pd.CategoricalDtype(list(windows)))

    if schedule is not None:
        if "county" not in entries:
            raise DesignError("a rollout schedule needs the county column")
        schedule.check_units(entries["county"], column="county")
        looked_up = schedule.lookup(entries["county"])
        entries = entries.assign(
            region=looked_up["region"],
            start_month=looked_up["start_month"],
            exposed=(entries["entry_month"] >= looked_up["start_month"]).fillna(False).astype("int8"),
            event_time=(entries["entry_month"] - looked_up["start_month"]).astype("Int64"),
        )
    steps["entries kept"] = len(entries)
    return Entries(
        frame=entries.reset_index(drop=True),
        report=EntryReport(steps),
        washout=washout,
        last_month=panel.last_month,
    )


def _kept_starts(panel: StatusPanel, washout: int, unknown_history: str, categories: Sequence[str],
                 first_only: bool, max_age: int | None, age_groups: Sequence[AgeGroup] | None,
                 windows: dict[str, Window] | None,
                 min_age: int | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The spell starts kept as entries and the count of each exclusion, filtered in the engine.

    Only the kept starts return (:func:`evalkit.engine.stages.staged_sql`): at register
    scale the spell starts outnumber the entries many times over.  Their labels may be
    categoricals of the panel's value maps; :func:`_with_canonical_types` sets the types.
    """
    if max_age is not None and not panel.has("birth_year"):
        raise DesignError("max_age needs the birth_year column, which the panel lacks")
    if min_age is not None and not panel.has("birth_year"):
        raise DesignError("min_age needs the birth_year column, which the panel lacks")
    if age_groups is not None and not panel.has("birth_year"):
        raise DesignError("age_groups need the birth_year column, which the panel lacks")
    spans = _window_spans(windows) if windows else {}
    listed = ", ".join(_literal(c) for c in categories)
    steps = [
        Step("excluded: in the panel's first months, history unknown", "history_unknown"),
        Step(f"excluded: at NAV within the {washout} months before", "NOT away_long_enough"),
        Step("excluded: need category outside the target group", f"nav_category NOT IN ({listed})" if listed else "1 = 1"),
    ]
    if first_only:
        steps.append(Step("excluded: not the person's first entry", first_of=("person_id", "entry_month")))
    if max_age is not None:
        steps.append(Step(f"excluded: age above {max_age} or unknown",
                          f"NOT COALESCE(FLOOR(CAST(entry_month AS DOUBLE) / 12) - birth_year <= {max_age}, FALSE)"))
    if min_age is not None:
        steps.append(Step(f"excluded: age below {min_age} or unknown",
                          f"NOT COALESCE(FLOOR(CAST(entry_month AS DOUBLE) / 12) - birth_year >= {min_age}, FALSE)"))
    derived = []
    if spans:
        cases = " ".join(f"WHEN entry_month BETWEEN {a} AND {b} THEN {_literal(name)}" for name, (a, b) in spans.items())
        derived.append(("entry_window", f"CASE {cases} END"))
        steps.append(Step("excluded: entry outside the entry windows", "entry_window IS NULL"))
    columns = ["person_id", "entry_month", "nav_category",
               *(c for c in ("female", "birth_year", "education_level", "county") if panel.has(c)),
               "away_long_enough", "history_unknown"]
    reads = ["person_id", "month", *columns[2:-2], "last_nav_month_before"]
    kept, n_starts, excluded = split_staged(
        panel.query(staged_sql(spell_starts_sql(panel, washout, unknown_history), columns, steps, derived),
                    columns=reads, as_text=False), len(steps))
    counts = {"spells at NAV starting in the panel": n_starts}
    counts.update({step.label: n for step, n in zip(steps, excluded)})
    return kept.drop(columns=["away_long_enough", "history_unknown"]), counts


def _from_pool(pool: EntryPool, rules: tuple[object, ...], panel: StatusPanel,
               age_groups: Sequence[AgeGroup] | None, windows: dict[str, Window] | None,
               ) -> tuple[pd.DataFrame, dict[str, int]]:
    """What :func:`_kept_starts` returns, with the windows selected from ``pool`` in pandas."""
    if (pool.rules, pool.last_month) != (rules, panel.last_month):
        names = ("washout", "categories", "first_only", "max_age", "min_age", "unknown_history")
        found = ", ".join(f"{n}={v!r}" for n, v in zip(names, pool.rules))
        asked = ", ".join(f"{n}={v!r}" for n, v in zip(names, rules))
        raise EvalkitError(f"the entry pool was found with {found} (panel ending at month {pool.last_month}), "
                           f"but the entries ask for {asked} (panel ending at {panel.last_month}); "
                           "find the pool with the same rules")
    if age_groups is not None and not panel.has("birth_year"):
        raise DesignError("age_groups need the birth_year column, which the panel lacks")
    entries, steps = pool.frame, dict(pool.steps)
    if windows:
        months = entries["entry_month"].to_numpy()
        spans = _window_spans(windows)
        label = np.select([(months >= first) & (months <= last) for first, last in spans.values()],
                          list(spans), default=None)
        inside = pd.notna(label)
        steps["excluded: entry outside the entry windows"] = int((~inside).sum())
        entries = entries[inside].assign(entry_window=label[inside])
    return entries, steps


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _window_spans(windows: dict[str, Window]) -> dict[str, tuple[int, int]]:
    """Each window's (first, last) month index, checked: ordered ends, no overlaps."""
    spans = {name: _window_span(name, span) for name, span in windows.items()}
    for name, (first, last) in spans.items():
        if last < first:
            raise EvalkitError(f"entry window {name!r} ends ({month_label(last)}) before it starts")
        for other, (o_first, o_last) in spans.items():
            if other != name and first <= o_last and o_first <= last:
                raise EvalkitError(f"entry window {name!r} overlaps window {other!r}")
    return spans


def _window_span(name: str, span: object) -> tuple[int, int]:
    """A window's (first, last) month index, or an error naming the window."""
    if isinstance(span, str) or not hasattr(span, "__len__") or len(span) != 2:
        raise EvalkitError(f"entry window {name!r} must be (first month, last month), e.g. ('2016-03', '2016-06'), "
                           f"got {span!r}")
    months = to_month_index(pd.Series(list(span), dtype=object))
    if months.isna().any():
        raise EvalkitError(f"entry window {name!r}: cannot read {span!r} as months; expected e.g. '2016-03'")
    return int(months.iloc[0]), int(months.iloc[1])
