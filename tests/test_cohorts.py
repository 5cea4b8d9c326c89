"""Entries after a washout: panel start, returns after exactly 12 months, gaps, filters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import EvalkitError, ScheduleError
from evalkit.cohorts import RolloutSchedule, find_entries
from evalkit.replications.fui.sample import AGE_GROUPS, FuiSpec
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.outcomes import outcomes_at_horizons
from evalkit.panel import read_panel
from evalkit.panel.months import parse_month


def entry_months(entries) -> list[tuple[int, str]]:
    return [
        (int(p), str(m)) for p, m in entries.frame[["person_id", "entry_period"]].itertuples(index=False)
    ]


def test_return_after_exactly_washout_months_is_new(make_person):
    # at NAV Jan 2016, away Feb 2016 - Jan 2017 (12 months), back Feb 2017
    rows = make_person(1, "2015-01", "2017-06", nav={"2016-01": "standard", "2017-02": "standard"})
    entries = find_entries(read_panel(pd.DataFrame(rows)))
    assert entry_months(entries) == [(1, "2016-01"), (1, "2017-02")]


def test_return_after_eleven_months_is_not_new(make_person):
    rows = make_person(1, "2015-01", "2017-06", nav={"2016-01": "standard", "2016-12": "standard"})
    entries = find_entries(read_panel(pd.DataFrame(rows)))
    assert entry_months(entries) == [(1, "2016-01")]
    assert entries.report.steps["excluded: at NAV within the 12 months before"] == 1


def test_entry_in_first_months_of_panel_is_unconfirmed(make_person):
    rows = make_person(1, "2016-01", "2017-06", nav={"2016-03": "standard"})
    panel = read_panel(pd.DataFrame(rows))
    entries = find_entries(panel)
    assert len(entries) == 0
    assert entries.report.steps["excluded: in the panel's first months, history unknown"] == 1
    assert entry_months(find_entries(panel, unknown_history="assume_new")) == [(1, "2016-03")]


def test_entry_twelve_months_after_panel_start_is_confirmed(make_person):
    rows = make_person(1, "2016-01", "2017-06", nav={"2017-01": "standard"})
    assert entry_months(find_entries(read_panel(pd.DataFrame(rows)))) == [(1, "2017-01")]


@pytest.mark.parametrize(
    "history, expected",
    [(None, [(1, "2016-03")]), ("2015-02", [(1, "2016-03")]), ("2015-03", [])],
    ids=["no-history", "13-months-before", "12-months-before"],
)
def test_history_column_confirms_early_entries(make_person, history, expected):
    rows = make_person(
        1, "2016-01", "2016-12", nav={"2016-03": "standard"}, last_nav_month_before=history
    )
    assert entry_months(find_entries(read_panel(pd.DataFrame(rows)))) == expected


def test_gap_in_rows_counts_as_away_from_nav(make_person):
    # rows missing for 2016-02..2017-01: not in the register, so not at NAV
    skip = tuple(str(p) for p in pd.period_range("2016-02", "2017-01", freq="M"))
    rows = make_person(1, "2015-01", "2017-06", nav={"2016-01": "standard", "2017-02": "standard"}, skip=skip)
    assert entry_months(find_entries(read_panel(pd.DataFrame(rows)))) == [(1, "2016-01"), (1, "2017-02")]


def test_continuing_spell_is_one_entry(make_person):
    nav = {m: "standard" for m in ("2016-03", "2016-04", "2016-05")}
    rows = make_person(1, "2015-01", "2016-12", nav=nav)
    assert entry_months(find_entries(read_panel(pd.DataFrame(rows)))) == [(1, "2016-03")]


def test_non_target_category_at_entry_is_excluded_and_still_blocks(make_person):
    nav = {"2016-03": "permanently_adapted", "2016-09": "standard"}
    rows = make_person(1, "2015-01", "2016-12", nav=nav)
    entries = find_entries(read_panel(pd.DataFrame(rows)), categories=FuiSpec().categories)
    assert len(entries) == 0
    assert entries.report.steps["excluded: need category outside the target group"] == 1
    assert entries.report.steps["excluded: at NAV within the 12 months before"] == 1


def test_first_only_age_and_windows(make_person):
    rows = make_person(1, "2015-01", "2017-12", nav={"2016-03": "standard", "2017-04": "standard"})
    rows += make_person(2, "2015-01", "2017-12", nav={"2016-04": "situational"}, birth_year=1980)
    panel = read_panel(pd.DataFrame(rows))
    assert entry_months(find_entries(panel, first_only=True)) == [(1, "2016-03"), (2, "2016-04")]
    kept = find_entries(panel, max_age=29, age_groups=AGE_GROUPS,
                        windows={"t1": ("2016-03", "2016-06"), "t2": ("2017-03", "2017-06")})
    assert entry_months(kept) == [(1, "2016-03"), (1, "2017-04")]
    assert kept.frame["window"].tolist() == ["t1", "t2"]
    assert kept.frame["age_group"].tolist() == ["20_24", "20_24"]
    assert kept.report.steps["excluded: age above 29 or unknown"] == 1


def test_schedule_gives_region_and_exposure(make_person):
    rows = make_person(1, "2015-01", "2017-12", nav={"2017-03": "standard"}, county="Rogaland")
    rows += make_person(2, "2015-01", "2017-12", nav={"2017-03": "standard"}, county="Oslo")
    entries = find_entries(read_panel(pd.DataFrame(rows)), schedule=norway_2017_schedule())
    frame = entries.frame.set_index("person_id")
    assert frame.loc[1, "region"] == "south_west" and frame.loc[1, "exposed"] == 1
    assert frame.loc[2, "region"] == "rest" and frame.loc[2, "exposed"] == 0
    assert frame.loc[2, "event_time"] == parse_month("2017-03") - parse_month("2017-07")


def test_unknown_county_in_schedule(make_person):
    rows = make_person(1, "2015-01", "2016-12", nav={"2016-03": "standard"}, county="Atlantis")
    with pytest.raises(ScheduleError, match="Atlantis"):
        find_entries(read_panel(pd.DataFrame(rows)), schedule=norway_2017_schedule())


def test_schedule_rejects_unit_listed_twice():
    frame = pd.DataFrame({"county": ["A", "A"], "region": ["x", "y"], "start_month": ["2017-01", "2017-07"]})
    with pytest.raises(ScheduleError, match="more than once"):
        RolloutSchedule.from_frame(frame)


def test_every_category_counts_by_default_and_age_group_only_when_asked(make_person):
    rows = make_person(1, "2015-01", "2016-12", nav={"2016-03": "permanently_adapted"})
    entries = find_entries(read_panel(pd.DataFrame(rows)))
    assert entry_months(entries) == [(1, "2016-03")]
    assert "age_group" not in entries.frame and "age" in entries.frame


@pytest.mark.parametrize(
    "options, message",
    [
        ({"washout": 2.5}, r"washout must be a whole number of at least 0, got 2.5"),
        ({"washout": -1}, r"washout must be a whole number of at least 0, got -1"),
        ({"washout": "12"}, r"washout must be a whole number"),
        ({"washout": True}, r"washout must be a whole number"),
        ({"max_age": 29.5}, r"max_age must be a whole number"),
        ({"categories": "standard"}, r"categories must be a sequence"),
        ({"categories": ("standrad",)}, r"unknown need categories \['standrad'\]"),
        ({"unknown_history": "new"}, r"unknown_history must be"),
        ({"windows": {"t1": ("2016-06", "2016-03")}}, r"entry window 't1' ends"),
        ({"windows": {"t1": ("2016-03", "2016-06"), "t2": ("2016-05", "2016-09")}}, r"overlaps window"),
        ({"windows": {"t1": ("2016-3x", "2016-06")}}, r"entry window 't1': cannot read"),
        ({"windows": {"t1": "2016-03"}}, r"entry window 't1' must be \(first month, last month\)"),
        ({"age_groups": [("young", 20, 15)]}, r"age group 'young' highest age must be a whole number of at least 20"),
        ({"age_groups": [("young", 0.5, 15)]}, r"lowest age must be a whole number"),
    ],
)
def test_find_entries_arguments_are_checked(make_person, options, message):
    panel = read_panel(pd.DataFrame(make_person(1, "2015-01", "2016-12", nav={"2016-03": "standard"})))
    with pytest.raises(EvalkitError, match=message):
        find_entries(panel, **options)


@pytest.mark.parametrize(
    "horizons, message",
    [((2.5,), r"positive whole numbers of months after entry, got \[2.5\]; not: \[2.5\]"),
     ((0, 3), r"not: \[0\]"), ((-3,), r"not: \[-3\]"), ((), r"got \[\]"), ("3", r"a sequence"),
     (3, r"a sequence")],
)
def test_outcomes_at_horizons_takes_whole_positive_months(make_person, horizons, message):
    panel = read_panel(pd.DataFrame(make_person(1, "2015-01", "2016-12", nav={"2016-03": "standard"})))
    entries = find_entries(panel)
    with pytest.raises(EvalkitError, match=message):
        outcomes_at_horizons(panel, entries, horizons=horizons)


def test_integral_floats_are_whole_numbers(make_person):
    panel = read_panel(pd.DataFrame(make_person(1, "2015-01", "2016-12", nav={"2016-03": "standard"})))
    entries = find_entries(panel, washout=12.0)
    assert entries.washout == 12 and isinstance(entries.washout, int)
    assert outcomes_at_horizons(panel, entries, horizons=(1.0, np.int64(3))).horizons == (1, 3)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"county": [], "region": [], "start_month": []}), "no rows"),
        (pd.DataFrame({"county": ["Oslo", None], "region": ["rest", "rest"], "start_month": ["2017-07"] * 2}),
         r"column 'county' is missing in 1 row\(s\)"),
        (pd.DataFrame({"county": ["Oslo"], "region": [""], "start_month": ["2017-07"]}), "column 'region' is missing"),
        ("county,region\nOslo,rest", "built from a pandas DataFrame"),
    ],
)
def test_schedule_table_errors(frame, message):
    with pytest.raises(ScheduleError, match=message):
        RolloutSchedule.from_frame(frame)


def _reference_entries(frame: pd.DataFrame, washout: int, first: pd.Period) -> tuple[set, int, int]:
    """The definition by a lag over each person's months at NAV: (kept entries, spell
    starts, starts excluded by the washout), months before the panel unknown."""
    nav = frame[frame["nav_category"].notna()].assign(
        m=lambda f: pd.PeriodIndex(f["month"], freq="M").map(lambda p: (p - first).n))
    nav = nav.sort_values(["person_id", "m"])
    previous = nav.groupby("person_id")["m"].shift()
    starts = nav[previous.isna() | (nav["m"] - previous > 1)]
    previous = previous[starts.index]
    unknown = previous.isna() & (starts["m"] < washout)
    too_soon = previous.notna() & (starts["m"] - previous <= washout)
    kept = starts[~unknown & ~too_soon]
    return set(zip(kept["person_id"], kept["m"])), len(starts), int(too_soon.sum())


@pytest.mark.parametrize("washout", [1, 12, 70])
def test_spell_starts_and_washout_over_a_long_panel_equal_a_lag(make_person, washout):
    # 150 months, spells at NAV that start or end at the 62nd and 124th months, and a
    # washout of up to 70 months, against the definition by a lag in pandas
    rng = np.random.default_rng(washout)
    first = pd.Period("2005-01", freq="M")
    months = [str(first + k) for k in range(150)]
    rows = []
    for person in range(1, 121):
        at_nav = rng.random(150) < rng.choice([0.03, 0.2, 0.6])
        at_nav[rng.choice([61, 62, 63, 123, 124, 125], size=2)] = True
        rows += make_person(person, months[0], months[-1],
                            nav={m: "standard" for m, a in zip(months, at_nav) if a})
    frame = pd.DataFrame(rows)
    entries = find_entries(read_panel(frame), washout=washout)
    found = {(int(p), (pd.Period(m, freq="M") - first).n)
             for p, m in entries.frame[["person_id", "entry_period"]].astype(str).itertuples(index=False)}
    kept, n_starts, too_soon = _reference_entries(frame, washout, first)
    assert found == kept
    assert entries.report.steps["spells at NAV starting in the panel"] == n_starts
    assert entries.report.steps[f"excluded: at NAV within the {washout} months before"] == too_soon
