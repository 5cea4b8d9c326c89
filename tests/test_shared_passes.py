"""Entries and outcome rows found once and shared by several selections of entries (one engine pass each)."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import EvalkitError
from evalkit.cohorts import entry_pool, find_entries, younger_pool
from evalkit.outcomes import outcome_rows, outcomes_at_horizons
from evalkit.panel import read_panel, scan_panel


def panel_of(make_person):
    rows = (make_person(1, "2015-01", "2017-06", nav={"2016-01": "standard", "2017-02": "standard"})
            + make_person(2, "2015-01", "2017-06", nav={"2016-03": "situational", "2016-04": "situational"})
            + make_person(3, "2015-01", "2017-06", nav={"2016-05": "standard", "2016-12": "standard"}))
    return read_panel(pd.DataFrame(rows))


@pytest.mark.parametrize("rules", [{}, {"first_only": True}, {"categories": ["standard"], "max_age": 30}])
@pytest.mark.parametrize("windows", [None, {"a": ("2016-01", "2016-04")}, {"a": ("2016-01", "2016-03"),
                                                                         "b": ("2016-05", "2017-06")}])
def test_entries_selected_from_a_pool_equal_entries_found_in_the_engine(make_person, rules, windows):
    panel = panel_of(make_person)
    pool = entry_pool(panel, washout=12, **rules)
    before = pool.frame.copy()
    shared = find_entries(panel, washout=12, windows=windows, pool=pool, **rules)
    alone = find_entries(panel, washout=12, windows=windows, **rules)
    pd.testing.assert_frame_equal(shared.frame, alone.frame)
    assert shared.report.steps == alone.report.steps
    pd.testing.assert_frame_equal(pool.frame, before)  # never modified


def aged_panel(make_person):
    """Entrants of 2016 aged 21 to 36 (two entries for some), one without a birth year."""
    rows = []
    for person, birth in enumerate(range(1980, 1996), start=1):
        rows += make_person(person, "2015-01", "2017-06", birth_year=birth,
                            nav={"2016-02": "standard", **({"2017-05": "situational"} if person % 3 else {})})
    rows += make_person(99, "2015-01", "2017-06", birth_year=None, nav={"2016-02": "standard"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("stored", [False, True])
@pytest.mark.parametrize("rules", [{}, {"min_age": 25}, {"first_only": True, "categories": ["standard"]}])
def test_a_younger_pool_equals_the_pool_found_with_its_age_limit(make_person, tmp_path, stored, rules):
    frame = aged_panel(make_person)
    if stored:
        frame.to_parquet(tmp_path / "panel.parquet")
    panel = scan_panel(str(tmp_path / "panel.parquet")) if stored else read_panel(frame)
    wide = entry_pool(panel, washout=12, max_age=34, **rules)
    before = wide.frame.copy()
    younger, alone = younger_pool(wide, 29), entry_pool(panel, washout=12, max_age=29, **rules)
    order = ["person_id", "entry_month"]
    assert 0 < len(younger.frame) < len(wide.frame)
    pd.testing.assert_frame_equal(younger.frame.sort_values(order).reset_index(drop=True),
                                  alone.frame.sort_values(order).reset_index(drop=True))
    assert younger.steps == alone.steps and list(younger.steps) == list(alone.steps)
    assert younger.rules == alone.rules
    pd.testing.assert_frame_equal(wide.frame, before)
    shared = find_entries(panel, washout=12, max_age=29, windows={"t1": ("2016-01", "2016-06")}, pool=younger,
                          **rules)
    own = find_entries(panel, washout=12, max_age=29, windows={"t1": ("2016-01", "2016-06")}, **rules)
    pd.testing.assert_frame_equal(shared.frame, own.frame)
    assert shared.report.steps == own.report.steps


def test_a_younger_pool_needs_an_age_limit_within_the_pool(make_person):
    panel = read_panel(aged_panel(make_person))
    with pytest.raises(EvalkitError, match="age limits None..None"):
        younger_pool(entry_pool(panel), 29)
    with pytest.raises(EvalkitError, match="age limits 25..34.*max_age=40"):
        younger_pool(entry_pool(panel, max_age=34, min_age=25), 40)


def test_a_pool_of_other_rules_is_refused(make_person):
    panel = panel_of(make_person)
    with pytest.raises(EvalkitError, match="washout=6.*washout=12"):
        find_entries(panel, washout=12, pool=entry_pool(panel, washout=6))
    with pytest.raises(EvalkitError, match="max_age=None.*max_age=29"):
        find_entries(panel, max_age=29, pool=entry_pool(panel))


@pytest.mark.parametrize("ever", [True, False])
def test_outcomes_looked_up_in_shared_rows_equal_outcomes_queried_alone(make_person, ever):
    panel = panel_of(make_person)
    every = find_entries(panel)
    rows = outcome_rows(panel, every, horizons=(1, 2, 3, 20), states=("employed", "at_nav"), ever=True)
    before = rows.frame.copy()
    some = find_entries(panel, windows={"a": ("2016-03", "2016-12")})
    assert 0 < len(some) < len(every)
    shared = outcomes_at_horizons(panel, some, horizons=(3, 20), states=("at_nav",), ever=ever, rows=rows)
    alone = outcomes_at_horizons(panel, some, horizons=(3, 20), states=("at_nav",), ever=ever)
    pd.testing.assert_frame_equal(shared.frame, alone.frame)
    pd.testing.assert_frame_equal(shared.report.table, alone.report.table)
    pd.testing.assert_frame_equal(shared.has_row, alone.has_row)
    pd.testing.assert_frame_equal(rows.frame, before)


def test_shared_rows_must_cover_the_entries_and_outcomes(make_person):
    panel = panel_of(make_person)
    some = find_entries(panel, windows={"a": ("2016-03", "2016-12")})
    rows = outcome_rows(panel, some, horizons=(1, 3), states=("employed",), ever=False)
    with pytest.raises(EvalkitError, match="asked for horizons \\[6\\]"):
        outcomes_at_horizons(panel, some, horizons=(6,), states=("employed",), ever=False, rows=rows)
    with pytest.raises(EvalkitError, match="ever: True"):
        outcomes_at_horizons(panel, some, horizons=(1,), states=("employed",), ever=True, rows=rows)
    with pytest.raises(EvalkitError, match="not among the outcome rows"):
        outcomes_at_horizons(panel, find_entries(panel), horizons=(1,), states=("employed",), ever=False, rows=rows)
