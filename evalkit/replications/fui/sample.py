"""The analysis sample of the FUI evaluation: new users in two entry windows, two regions.

panel -> new users (12-month washout, target categories, under 30) -> entry windows
t1 = March-June 2016 and t2 = March-June 2017 -> regions from the rollout schedule ->
outcomes at 1, 3, 6 and 9 months -> county unemployment in the entry month.
Every parameter is a field of :class:`FuiSpec` with the published value as its default;
a study file (:mod:`evalkit.study`) fills them.  The categorical controls of the model
(need category, age group, calendar month of entry) follow the spec: their levels are
those the spec admits, never a fixed list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.cohorts import EntryPool, Entries, RolloutSchedule, entry_pool, find_entries, whole_number
from evalkit.errors import DesignError
from evalkit.outcomes import EXIT_STATES, MONTHLY_STATES, OutcomeRows, Outcomes, outcome_rows, outcomes_at_horizons
from evalkit.panel import NAV_CATEGORIES, StatusPanel
from evalkit.panel.months import month_label, parse_month, to_month_index
from evalkit.replications.fui.auxiliary import AuxiliaryTable, attach_auxiliary
from evalkit.replications.fui.published import GROUPS
from evalkit.replications.fui.unemployment import check_unemployment
from evalkit.results import Summary
from evalkit.results.display import NotebookDisplay, short_repr


#: The FUI target group: the three lowest need categories (all but permanently adapted).
TARGET_CATEGORIES: tuple[str, ...] = NAV_CATEGORIES[:3]

#: Age groups of the published analysis: (label, lowest age, highest age).  A study's
#: bands default to these, clipped to its ages (:meth:`FuiSpec.age_bands`).
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("under_20", 0, 19),
    ("20_24", 20, 24),
    ("25_29", 25, 29),
    ("30_plus", 30, 200),
)

#: The published bands of tables 8.1-8.3 as (lowest, highest) ages: the published numbers of
#: the age rows and terms are compared only with these bands.
PUBLISHED_AGE_BANDS: tuple[tuple[int, int], ...] = tuple((low, high) for _, low, high in AGE_GROUPS[:3])


def age_band_problem(bands: tuple[tuple[int, int], ...], min_age: int, max_age: int) -> str | None:
    """What is wrong with age bands for entrants aged ``min_age`` to ``max_age``, or ``None``.

    The bands, ``(lowest, highest)`` with both ends included, must be in increasing order
    and cover every age from ``min_age`` to ``max_age`` exactly once: no band ending before
    it starts, none outside the ages, no overlap and no gap (an entrant in a gap would have
    no age group and be left out of every model).
    """
    if min_age > max_age:
        return f"the youngest age {min_age} is above the oldest {max_age}"
    if not bands:
        return "at least one age band is needed"

    def show(band: tuple[int, int]) -> str:
        return f"{band[0]}-{band[1]}"

    def ages(low: int, high: int) -> str:
        return f"age {low}" if low == high else f"ages {low}-{high}"

    for band in bands:
        if band[0] > band[1]:
            return f"the band {show(band)} ends before it starts"
        if band[0] < min_age or band[1] > max_age:
            return f"the band {show(band)} lies outside the ages {min_age}-{max_age} of the population"
    for before, after in zip(bands, bands[1:]):
        if after[0] <= before[1]:
            return f"the bands {show(before)} and {show(after)} overlap (or are not in increasing order)"
        if after[0] > before[1] + 1:
            return f"no band holds {ages(before[1] + 1, after[0] - 1)} (a gap between {show(before)} and {show(after)})"
    if bands[0][0] > min_age:
        return f"no band holds {ages(min_age, bands[0][0] - 1)} (below the first band {show(bands[0])})"
    if bands[-1][1] < max_age:
        return f"no band holds {ages(bands[-1][1] + 1, max_age)} (above the last band {show(bands[-1])})"
    return None


#: Prefix of an outcome measured "ever by" the horizon rather than "at" it.
EVER = "ever_"

#: Columns of the analysis sample a model may use (covariates or fixed effects) -> what they hold.
#: ``county_unemployment_pct`` comes from the auxiliary unemployment table.
MODEL_COLUMNS: dict[str, str] = {
    "nav_category": "need category at entry (dummies)",
    "female": "0/1",
    "age": "age in whole years at entry",
    "age_group": "age group at entry (dummies)",
    "birth_year": "year of birth",
    "education_level": "highest completed education (dummies)",
    "county_unemployment_pct": "registered unemployment (percent) in the county and entry month",
    "county": "county of residence at entry",
    "region": "region of the rollout schedule",
    "entry_month": "month of entry",
    "entry_calendar_month": "calendar month of entry (1-12)",
}

#: The published model's covariates, in the order of :data:`MODEL_COLUMNS`'s missing-value counts.
PUBLISHED_COVARIATES: tuple[str, ...] = ("nav_category", "female", "age_group", "education_level",
                                         "county_unemployment_pct")


@dataclass(frozen=True)
class FuiSpec:
    """Parameters of the FUI analysis; the defaults are the published ones.

    ``windows`` maps the names of the pre and post entry windows (in that order) to their
    first and last month; ``treated_region`` is the region of the schedule that started
    first (Sør- og Vestlandet); all other regions are the comparison.  ``categories`` are
    the need categories that count as entering the target group (the first, in NAV's
    order, is the reference level of the category control).  ``outcomes`` are monthly
    states at the horizon (``employed``) or ever by it (``ever_employed``: in the state
    in any month from entry to the horizon).  ``entry_month_dummies`` adds one dummy per
    calendar month the windows cover except the pre window's first (the reference):
    season controls, so both windows must cover the same calendar months.  ``covariates``
    (entered linearly if numeric, as dummies otherwise) and ``fixed_effects`` (absorbed)
    are columns of :data:`MODEL_COLUMNS`; the defaults are the published model.  Numeric
    columns of the ``auxiliary`` tables (:mod:`~evalkit.replications.fui.auxiliary`, keyed by
    county, region and/or month) may be covariates too.  Entrants
    are aged ``min_age`` to ``max_age`` (entry year minus birth year); ``age_groups`` are
    their bands ``(lowest, highest)``, covering those ages without gap or overlap (``None``:
    the published bands clipped to them, :meth:`age_bands`); the first is the reference
    level of the age dummies.

    Raises
    ------
    DesignError
        Naming the field and what was expected: not two windows, a window that ends
        before it starts, windows that overlap, season dummies for windows of different
        calendar months, an unknown category or state, a horizon or age that is not a
        whole number, age bands with an overlap or a gap or outside the ages.
    """

    windows: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"t1": ("2016-03", "2016-06"), "t2": ("2017-03", "2017-06")}
    )
    horizons: tuple[int, ...] = (1, 3, 6, 9)
    washout: int = 12
    max_age: int = 29
    min_age: int = 0
    age_groups: tuple[tuple[int, int], ...] | None = None
    categories: tuple[str, ...] = TARGET_CATEGORIES
    treated_region: str = "south_west"
    outcomes: tuple[str, ...] = EXIT_STATES
    control_for_category: bool = True
    entry_month_dummies: bool = True
    covariates: tuple[str, ...] = PUBLISHED_COVARIATES
    fixed_effects: tuple[str, ...] = ()
    auxiliary: tuple[AuxiliaryTable, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if len(self.windows) != 2:
            raise DesignError(f"the 2x2 design needs exactly two entry windows, got {list(self.windows)}")
        for name, span in self.windows.items():
            if len(span) != 2:
                raise DesignError(f"entry window {name!r} must be (first month, last month), got {span!r}")
            for month in span:
                try:
                    parse_month(month)
                except ValueError:
                    raise DesignError(f"entry window {name!r}: cannot read {month!r} as a month; expected e.g. '2016-03'") from None
            if parse_month(span[0]) > parse_month(span[1]):
                raise DesignError(f"entry window {name!r} ends before it starts: {span[0]} .. {span[1]}")
        (pre, (_, pre_last)), (post, (post_first, _)) = self.windows.items()
        if parse_month(post_first) <= parse_month(pre_last):
            raise DesignError(
                f"the post window {post!r} must start after the pre window {pre!r} ends "
                f"({post_first} is not after {pre_last})"
            )
        whole_number(self.washout, name="washout", minimum=0)
        whole_number(self.max_age, name="max_age", minimum=0)
        whole_number(self.min_age, name="min_age", minimum=0)
        if self.age_groups is not None:
            for band in self.age_groups:
                if len(band) != 2:
                    raise DesignError(f"an age band is (lowest age, highest age), got {band!r}")
                for age in band:
                    whole_number(age, name="age_groups", minimum=0)
        problem = age_band_problem(tuple((low, high) for _, low, high in self.age_bands()), self.min_age,
                                   self.max_age)
        if problem:
            raise DesignError(f"age_groups: {problem}")
        if not self.horizons:
            raise DesignError("horizons must name at least one month after entry")
        for h in self.horizons:
            whole_number(h, name="horizons", minimum=1)
        if len(set(self.horizons)) != len(self.horizons):
            raise DesignError(f"horizons must be distinct, got {list(self.horizons)}")
        unknown = [c for c in self.categories if c not in NAV_CATEGORIES]
        if not self.categories or unknown or len(set(self.categories)) != len(self.categories):
            raise DesignError(
                f"categories must be distinct need categories among {list(NAV_CATEGORIES)}, got {list(self.categories)}"
            )
        valid = [*MONTHLY_STATES, *(EVER + s for s in MONTHLY_STATES)]
        bad = [o for o in self.outcomes if o not in valid]
        if not self.outcomes or bad or len(set(self.outcomes)) != len(self.outcomes):
            raise DesignError(f"outcomes must be distinct names among {valid}, got {list(self.outcomes)}")
        extra = [c for table in self.auxiliary for c in table.columns]
        clash = sorted({c for c in extra if c in MODEL_COLUMNS or extra.count(c) > 1})
        if clash:
            raise DesignError(f"auxiliary table column(s) {clash} are named like another column of the analysis "
                              f"sample or of another auxiliary table; rename them (the sample has {list(MODEL_COLUMNS)})")
        for name, known in (("covariates", [*MODEL_COLUMNS, *extra]), ("fixed_effects", list(MODEL_COLUMNS))):
            columns = getattr(self, name)
            unknown = [c for c in columns if c not in known]
            if unknown or len(set(columns)) != len(columns):
                raise DesignError(f"{name} must be distinct columns of the analysis sample among "
                                  f"{known}, got {list(columns)}")
        both = sorted(set(self.covariates) & set(self.fixed_effects))
        if both:
            raise DesignError(f"column(s) {both} are both covariates and fixed effects; name each once")
        if self.entry_month_dummies:
            pre_months, post_months = (set(calendar_months(span)) for span in self.windows.values())
            if pre_months != post_months:
                raise DesignError(
                    f"entry-month dummies (season controls) need windows that cover the same calendar months; "
                    f"{pre!r} covers {sorted(pre_months)} and {post!r} covers {sorted(post_months)}. Use windows "
                    "of the same months, or leave the entry-month dummies out (entry_month_dummies=False)"
                )

    @property
    def pre_window(self) -> str:
        return list(self.windows)[0]

    @property
    def post_window(self) -> str:
        return list(self.windows)[1]

    @property
    def states(self) -> tuple[str, ...]:
        """The monthly states the outcomes are made of (``ever_employed`` -> ``employed``)."""
        return tuple(dict.fromkeys(o.removeprefix(EVER) for o in self.outcomes))

    @property
    def ever(self) -> bool:
        """Whether some outcome is measured ever by the horizon."""
        return any(o.startswith(EVER) for o in self.outcomes)

    def category_levels(self) -> tuple[str, ...]:
        """The need categories of the target group in NAV's order; the first is the reference."""
        return tuple(c for c in NAV_CATEGORIES if c in self.categories)

    def age_bands(self) -> tuple[tuple[str, int, int], ...]:
        """The age groups ``(label, lowest, highest)`` of the analysis; the first is the reference.

        ``age_groups``, or the published bands (:data:`AGE_GROUPS`) clipped to ``min_age`` ..
        ``max_age``.  A band with the bounds of a published one has its label
        (``under_20``, ``20_24``); any other is labelled ``<lowest>_<highest>`` (``18_21``).
        """
        if self.age_groups is None:
            bands = tuple((max(low, self.min_age), min(high, self.max_age)) for _, low, high in AGE_GROUPS
                          if low <= self.max_age and high >= self.min_age)
        else:
            bands = tuple((int(low), int(high)) for low, high in self.age_groups)
        published = {(low, high): label for label, low, high in AGE_GROUPS}
        return tuple((published.get((low, high), f"{low}_{high}"), low, high) for low, high in bands)

    def age_levels(self) -> tuple[str, ...]:
        """The labels of :meth:`age_bands`; the first is the reference."""
        return tuple(label for label, _, _ in self.age_bands())

    @property
    def published_age_groups(self) -> bool:
        """Whether the age bands are those of the publication (its age rows and terms compare)."""
        return tuple((low, high) for _, low, high in self.age_bands()) == PUBLISHED_AGE_BANDS

    def entry_month_levels(self) -> tuple[int, ...]:
        """Calendar months (1-12) of entry in the pre window's order; the first is the reference.

        Empty when ``entry_month_dummies`` is off.
        """
        if not self.entry_month_dummies:
            return ()
        return calendar_months(self.windows[self.pre_window])


def calendar_months(span: tuple[str, str]) -> tuple[int, ...]:
    """The distinct calendar months (1-12) of a window, in the window's order."""
    first, last = parse_month(span[0]), parse_month(span[1])
    return tuple(dict.fromkeys(m % 12 + 1 for m in range(first, min(last, first + 11) + 1)))


@dataclass(frozen=True)
class FuiSample(NotebookDisplay):
    """One row per entry of the analysis, with 2x2 indicators, covariates and outcomes.

    ``frame`` keeps the month index ``entry_month`` that the models use beside the pandas
    Period ``entry_period``; :meth:`summary` shows months as ``2016-03``.
    """

    frame: pd.DataFrame
    entries: Entries
    outcomes: Outcomes
    spec: FuiSpec

    def group_sizes(self) -> pd.Series:
        return self.frame["group"].value_counts().reindex(list(GROUPS), fill_value=0)

    def summary(self) -> Summary:
        """Entrants per 2x2 group with their first and last entry month (does not print by itself)."""
        months = self.frame.groupby("group", observed=True)["entry_month"].agg(["min", "max"]).reindex(list(GROUPS))
        table = pd.DataFrame(
            {
                "entrants": self.group_sizes(),
                "first_month": [month_label(m) if pd.notna(m) else "" for m in months["min"]],
                "last_month": [month_label(m) if pd.notna(m) else "" for m in months["max"]],
            },
            index=pd.Index(list(GROUPS), name="group"),
        )
        facts = {"entrants": len(self.frame), "counties": self.frame["county"].nunique(),
                 "horizons": ", ".join(str(h) for h in self.spec.horizons)}
        return Summary(title="FUI analysis sample", facts=facts, table=table)

    def __repr__(self) -> str:
        facts = {"entrants": len(self.frame), "groups": ", ".join(f"{g}={n}" for g, n in self.group_sizes().items())}
        return short_repr("FuiSample", facts)


def attach_unemployment(frame: pd.DataFrame, unemployment: pd.DataFrame) -> pd.Series:
    """County unemployment rate (percent) in each entry's county and entry month.

    ``unemployment`` has columns ``county``, ``month`` and ``unemployment_pct``; it is
    checked by :func:`~evalkit.replications.fui.unemployment.check_unemployment`.
    """
    checked = check_unemployment(unemployment)
    table = pd.DataFrame(
        {
            "county": checked["county"],
            "entry_month": to_month_index(checked["month"]).astype("Int64"),
            "county_unemployment_pct": checked["unemployment_pct"],
        }
    )
    merged = frame[["county", "entry_month"]].astype({"county": "string", "entry_month": "Int64"}).merge(
        table, on=["county", "entry_month"], how="left"
    )
    lacking = merged["county_unemployment_pct"].isna()
    if lacking.any():
        pairs = merged.loc[lacking, ["county", "entry_month"]].drop_duplicates().head(8)
        shown = [f"{c} {month_label(m)}" for c, m in pairs.itertuples(index=False)]
        raise DesignError(
            f"no county unemployment rate for {int(lacking.sum())} entry(ies), e.g. county-months "
            f"{shown}; the unemployment table must cover every county and entry month with a rate"
        )
    return pd.Series(merged["county_unemployment_pct"].to_numpy(dtype=float), index=frame.index)


def check_exposure(schedule: RolloutSchedule, spec: FuiSpec) -> None:
    """Check that the schedule's start months fit the 2x2 design of ``spec``.

    Every unit of the treated region must have started by the first month of the post
    window (exposed throughout it); no unit of another region may start before the end of
    the post window; and no unit may start before the end of the pre window.  Otherwise
    the "FUI effect" would compare exposed with exposed or unexposed with unexposed
    entrants.

    Raises
    ------
    DesignError
        Naming the region, the unit, its start month and the window.
    """
    (pre, (_, pre_last)), (post, (post_first, post_last)) = spec.windows.items()
    pre_last, post_first, post_last = parse_month(pre_last), parse_month(post_first), parse_month(post_last)
    problems = []
    for unit, start, region in schedule.frame[["unit", "start_month", "region"]].itertuples(index=False):
        started = month_label(start) if pd.notna(start) else "never"
        where = f"{schedule.unit} {unit} (region {region}, start {started})"
        if pd.notna(start) and start <= pre_last:
            problems.append(f"{where} is exposed in the pre window {pre} {spec.windows[pre]}")
        elif region == spec.treated_region and (pd.isna(start) or start > post_first):
            problems.append(f"{where} is in the treated region but not exposed from the start of the post "
                            f"window {post} {spec.windows[post]}")
        elif region != spec.treated_region and pd.notna(start) and start <= post_last:
            problems.append(f"{where} is in the comparison but exposed in the post window {post} {spec.windows[post]}")
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise DesignError(
            f"the rollout schedule does not fit the 2x2 design (treated region {spec.treated_region!r}): "
            f"{shown}. Check the schedule's start months or the entry windows"
        )


def check_attributes(panel: StatusPanel) -> None:
    """Raise a DesignError naming the person attributes the FUI model needs and the panel lacks."""
    lacking = [c for c in ("female", "birth_year", "education_level") if not panel.has(c)]
    if lacking:
        raise DesignError(
            f"the FUI model needs the person attribute column(s) {lacking}, which the panel "
            "lacks; map them with ColumnRoles (roles file [columns]) or add them to the extract"
        )


def fui_entry_pool(panel: StatusPanel, spec: FuiSpec) -> EntryPool:
    """The new users of ``spec`` in any month (one engine pass), to select windows from (``pool=``)."""
    check_attributes(panel)
    return entry_pool(panel, washout=spec.washout, categories=spec.categories, max_age=spec.max_age,
                      min_age=spec.min_age or None)


def shared_outcome_rows(
    panel: StatusPanel, spec: FuiSpec, pool: EntryPool, horizons: tuple[int, ...]
) -> OutcomeRows:
    """The states after entry of every new user of ``spec`` (any entry month), in one engine pass.

    Every selection of one run (the published windows, the placebo's windows, the event
    study's cohorts) differs from ``spec`` only in its windows and horizons, so its entries
    are among these and its outcomes are looked up (``rows=`` of :func:`prepare_sample`).
    ``horizons`` is the union of the horizons the run needs.
    """
    check_attributes(panel)
    every = find_entries(panel, washout=spec.washout, categories=spec.categories, max_age=spec.max_age,
                         min_age=spec.min_age or None, pool=pool)
    return outcome_rows(panel, every, horizons=horizons, states=spec.states, ever=spec.ever)


def prepare_sample(
    panel: StatusPanel,
    unemployment: pd.DataFrame,
    schedule: RolloutSchedule,
    spec: FuiSpec | None = None,
    *,
    check_design: bool = True,
    pool: EntryPool | None = None,
    rows: OutcomeRows | None = None,
) -> FuiSample:
    """Build the FUI analysis sample from a validated panel.

    ``check_design`` checks the schedule's start months against the windows first
    (:func:`check_exposure`); the placebo test, whose windows both lie before the
    rollout on purpose, turns it off.  ``pool`` holds the panel's entries before any
    window (:func:`fui_entry_pool`), shared by the analyses of one run; found when not
    given.  ``rows`` are the states after entry of a wider selection of entries
    (:func:`~evalkit.outcomes.outcome_rows`), looked up rather than queried again.

    Raises
    ------
    DesignError
        When one of the four groups (treated/comparison region x pre/post window) has no
        entrant, the schedule's start months do not fit the windows, or the unemployment
        table is malformed or misses a county-month, or an auxiliary table of a covariate
        misses an entrant's key.
    """
    spec = spec or FuiSpec()
    regions = set(schedule.frame["region"])
    if spec.treated_region not in regions:
        raise DesignError(
            f"treated region {spec.treated_region!r} is not in the rollout schedule's regions {sorted(regions)}"
        )
    if check_design:
        check_exposure(schedule, spec)
    check_attributes(panel)
    entries = find_entries(
        panel,
        washout=spec.washout,
        categories=spec.categories,
        min_age=spec.min_age or None,
        max_age=spec.max_age,
        age_groups=spec.age_bands(),
        windows=spec.windows,
        schedule=schedule,
        pool=pool,
    )
    outcomes = outcomes_at_horizons(panel, entries, horizons=spec.horizons, states=spec.states, ever=spec.ever,
                                    rows=rows)
    frame = outcomes.frame
    frame["t2"] = (frame["window"] == spec.post_window).astype("int8")
    frame["south_west"] = (frame["region"] == spec.treated_region).astype("int8")
    # the group of each entry by its cell 2 * south_west + t2 (labels made once, not per row)
    labels = np.array([f"{region}_{window}" for region in ("rest", "south_west") for window in ("t1", "t2")],
                      dtype=object)
    cells = 2 * frame["south_west"].to_numpy() + frame["t2"].to_numpy()
    frame["group"] = pd.Series(labels[cells], index=frame.index, dtype="str")
    present = set(labels[np.unique(cells)])
    for group in GROUPS:
        if group not in present:
            region, window = group.rsplit("_", 1)
            raise DesignError(
                f"no entrant in group {group!r} (region {spec.treated_region if region == 'south_west' else 'comparison'}, "
                f"window {spec.windows[spec.pre_window if window == 't1' else spec.post_window]}); "
                f"entry counts: {str(entries.report)}"
            )
    frame["county_unemployment_pct"] = attach_unemployment(frame, unemployment)
    for table in spec.auxiliary:
        used = tuple(c for c in table.columns if c in spec.covariates)
        if used:
            frame[list(used)] = attach_auxiliary(frame, table, used)
    return FuiSample(frame=frame, entries=entries, outcomes=outcomes, spec=spec)
