"""The analysis sample of the FUI evaluation: new users in two entry windows, two regions.

panel -> new users (12-month washout, target categories, under 30) -> entry windows
t1 = March-June 2016 and t2 = March-June 2017 -> regions from the rollout schedule ->
outcomes at 1, 3, 6 and 9 months -> county unemployment in the entry month.
Every parameter has the published value as its default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evalkit.cohorts import Entries, RolloutSchedule, find_entries
from evalkit.errors import DesignError
from evalkit.outcomes import EXIT_STATES, Outcomes, outcomes_at_horizons
from evalkit.panel import FUI_TARGET_CATEGORIES, StatusPanel
from evalkit.panel.months import month_label, to_month_index
from evalkit.replications.fui.published import GROUPS


@dataclass(frozen=True)
class FuiSpec:
    """Parameters of the FUI analysis; the defaults are the published ones.

    ``windows`` maps the names of the pre and post entry windows (in that order) to their
    first and last month; ``treated_region`` is the region of the schedule that started
    first (Sør- og Vestlandet); all other regions are the comparison.
    """

    windows: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"t1": ("2016-03", "2016-06"), "t2": ("2017-03", "2017-06")}
    )
    horizons: tuple[int, ...] = (1, 3, 6, 9)
    washout: int = 12
    max_age: int = 29
    categories: tuple[str, ...] = FUI_TARGET_CATEGORIES
    treated_region: str = "south_west"
    outcomes: tuple[str, ...] = EXIT_STATES
    control_for_category: bool = True

    def __post_init__(self) -> None:
        if len(self.windows) != 2:
            raise ValueError(f"the 2x2 design needs exactly two entry windows, got {list(self.windows)}")

    @property
    def pre_window(self) -> str:
        return list(self.windows)[0]

    @property
    def post_window(self) -> str:
        return list(self.windows)[1]


@dataclass(frozen=True)
class FuiSample:
    """One row per entry of the analysis, with 2x2 indicators, covariates and outcomes."""

    frame: pd.DataFrame
    entries: Entries
    outcomes: Outcomes
    spec: FuiSpec

    def group_sizes(self) -> pd.Series:
        return self.frame["group"].value_counts().reindex(list(GROUPS), fill_value=0)


def attach_unemployment(frame: pd.DataFrame, unemployment: pd.DataFrame) -> pd.Series:
    """County unemployment rate (percent) in each entry's county and entry month.

    ``unemployment`` has columns ``county``, ``month`` and ``unemployment_pct``.
    """
    missing = [c for c in ("county", "month", "unemployment_pct") if c not in unemployment.columns]
    if missing:
        raise DesignError(
            f"the county unemployment table lacks column(s) {missing}; expected columns "
            "county, month, unemployment_pct (percent)"
        )
    table = pd.DataFrame(
        {
            "county": unemployment["county"].astype("string"),
            "entry_month": to_month_index(unemployment["month"]),
            "county_unemployment_pct": pd.to_numeric(unemployment["unemployment_pct"], errors="coerce"),
        }
    ).drop_duplicates(["county", "entry_month"])
    merged = frame[["county", "entry_month"]].astype({"county": "string", "entry_month": "Int64"}).merge(
        table.astype({"entry_month": "Int64"}), on=["county", "entry_month"], how="left"
    )
    lacking = merged["county_unemployment_pct"].isna()
    if lacking.any():
        pairs = merged.loc[lacking, ["county", "entry_month"]].drop_duplicates().head(8)
        shown = [f"{c} {month_label(m)}" for c, m in pairs.itertuples(index=False)]
        raise DesignError(
            f"no county unemployment rate for {int(lacking.sum())} entry(ies), e.g. county-months "
            f"{shown}; the unemployment table must cover every county and entry month"
        )
    return pd.Series(merged["county_unemployment_pct"].to_numpy(dtype=float), index=frame.index)


def prepare_sample(
    panel: StatusPanel,
    unemployment: pd.DataFrame,
    schedule: RolloutSchedule,
    spec: FuiSpec | None = None,
) -> FuiSample:
    """Build the FUI analysis sample from a validated panel.

    Raises
    ------
    DesignError
        When one of the four groups (treated/comparison region x pre/post window) has no
        entrant, or the unemployment table misses a county-month.
    """
    spec = spec or FuiSpec()
    lacking = [c for c in ("female", "birth_year", "education_level") if not panel.has(c)]
    if lacking:
        raise DesignError(
            f"the FUI model needs the person attribute column(s) {lacking}, which the panel "
            "lacks; map them with ColumnRoles (roles file [columns]) or add them to the extract"
        )
    entries = find_entries(
        panel,
        washout=spec.washout,
        categories=spec.categories,
        max_age=spec.max_age,
        windows=spec.windows,
        schedule=schedule,
    )
    regions = set(schedule.frame["region"])
    if spec.treated_region not in regions:
        raise DesignError(
            f"treated region {spec.treated_region!r} is not in the rollout schedule's regions {sorted(regions)}"
        )
    outcomes = outcomes_at_horizons(panel, entries, horizons=spec.horizons, states=spec.outcomes, ever=False)
    frame = outcomes.frame
    frame["t2"] = (frame["window"] == spec.post_window).astype("int8")
    frame["south_west"] = (frame["region"] == spec.treated_region).astype("int8")
    frame["group"] = (
        frame["south_west"].map({1: "south_west", 0: "rest"}) + "_" + frame["t2"].map({0: "t1", 1: "t2"})
    )
    for group in GROUPS:
        if not (frame["group"] == group).any():
            region, window = group.rsplit("_", 1)
            raise DesignError(
                f"no entrant in group {group!r} (region {spec.treated_region if region == 'south_west' else 'comparison'}, "
                f"window {spec.windows[spec.pre_window if window == 't1' else spec.post_window]}); "
                f"entry counts: {str(entries.report)}"
            )
    frame["county_unemployment_pct"] = attach_unemployment(frame, unemployment)
    return FuiSample(frame=frame, entries=entries, outcomes=outcomes, spec=spec)
