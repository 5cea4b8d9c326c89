"""Outcomes at horizons after entry: hand-computed states, ever-by-k, censoring, absent rows."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evalkit.cohorts import find_entries
from evalkit.errors import EvalkitError
from evalkit.outcomes import outcomes_at_horizons
from evalkit.panel import read_panel


@pytest.fixture
def outcomes(make_person):
    # person 1 enters Jan 2016, leaves NAV Apr, employed from Jul, no row in May 2016
    nav = {"2016-01": "standard", "2016-02": "standard", "2016-03": "standard"}
    rows = make_person(
        1, "2016-01", "2016-12", nav=nav, skip=("2016-05",),
        employed=tuple(f"2016-{m:02d}" for m in range(7, 13)),
    )
    # person 2 enters Oct 2016: 3-month outcome observed, 6 and 9 censored by the panel end
    rows += make_person(2, "2016-01", "2016-12", nav={"2016-10": "situational"}, education=("2016-11",))
    panel = read_panel(pd.DataFrame(rows))
    entries = find_entries(panel, unknown_history="assume_new")
    return outcomes_at_horizons(panel, entries, horizons=(1, 2, 4, 6, 9))


def value(outcomes, person, column):
    return outcomes.frame.set_index("person_id").loc[person, column]


def test_state_at_horizon(outcomes):
    assert value(outcomes, 1, "at_nav_1") == 1.0
    assert value(outcomes, 1, "at_nav_6") == 0.0
    assert value(outcomes, 1, "employed_6") == 1.0
    assert value(outcomes, 1, "employed_2") == 0.0
    assert value(outcomes, 1, "none_2") == 0.0  # still at NAV in March
    assert value(outcomes, 2, "in_education_1") == 1.0
    assert value(outcomes, 2, "in_education_2") == 0.0


def test_absent_row_is_missing_not_zero(outcomes):
    assert np.isnan(value(outcomes, 1, "employed_4"))
    assert outcomes.report.table.loc[4, "no_row_in_month"] == 1


def test_censoring_is_missing_and_counted(outcomes):
    for k in (6, 9):
        assert np.isnan(value(outcomes, 2, f"employed_{k}"))
        assert np.isnan(value(outcomes, 2, f"ever_in_education_{k}"))
    assert value(outcomes, 2, "ever_in_education_2") == 1.0
    table = outcomes.report.table
    assert table.loc[6, "censored_panel_end"] == 1
    assert table.loc[1, "censored_panel_end"] == 0
    assert table.loc[2, "observed"] == 2


def test_ever_by_horizon(outcomes):
    assert value(outcomes, 1, "ever_employed_4") == 0.0
    assert value(outcomes, 1, "ever_employed_6") == 1.0
    assert value(outcomes, 1, "ever_none_4") == 1.0  # April: no NAV, no job, no school
    assert outcomes.columns("employed", ever=True) == [f"ever_employed_{k}" for k in (1, 2, 4, 6, 9)]


def test_bad_horizon(make_person):
    rows = make_person(1, "2016-01", "2016-03", nav={"2016-02": "standard"})
    panel = read_panel(pd.DataFrame(rows))
    entries = find_entries(panel, unknown_history="assume_new")
    for horizons, shown in [((0, 3), "[0]"), ((1.5, 3), "[1.5]"), ((True,), "[True]"), (("3",), "['3']")]:
        with pytest.raises(EvalkitError, match=r"positive whole numbers.*not: " + re.escape(shown)):
            outcomes_at_horizons(panel, entries, horizons=horizons)
    with pytest.raises(EvalkitError, match="positive whole numbers"):
        outcomes_at_horizons(panel, entries, horizons=())
    with pytest.raises(EvalkitError, match=r"unknown state\(s\) \['work'\]"):
        outcomes_at_horizons(panel, entries, states=("work",))
    assert outcomes_at_horizons(panel, entries, horizons=(2.0, np.int64(1))).horizons == (2, 1)


def test_status_declared_missing_is_a_missing_outcome_counted_apart():
    """A NULL ``employed`` the user declared missing is neither observed nor "no row"."""
    from evalkit.panel import ColumnRoles

    rows = []
    for pid in (1, 2):
        for m in pd.period_range("2015-01", "2016-12", freq="M"):
            rows.append(dict(person_id=pid, month=str(m), county="c1",
                             nav_category="standard" if m >= pd.Period("2016-03", "M") else None,
                             employed=0.0, in_education=0, female=1, birth_year=1995,
                             education_level="upper_secondary"))
    frame = pd.DataFrame(rows)
    frame.loc[(frame.person_id == 1) & (frame.month == "2016-06"), "employed"] = np.nan
    panel = read_panel(frame, roles=ColumnRoles(missing={"employed": ()}))
    entries = find_entries(panel, washout=12, windows={"t1": ("2016-03", "2016-06")})
    out = outcomes_at_horizons(panel, entries, horizons=(1, 3))
    table = out.report.table
    assert table.loc[3, ["observed", "no_row_in_month", "status_not_recorded"]].tolist() == [1, 0, 1]
    assert table.loc[1, ["observed", "status_not_recorded"]].tolist() == [2, 0]
    person_one = out.frame["person_id"].astype(str) == "1"
    assert np.isnan(out.frame.loc[person_one, "employed_3"]).all()
    assert out.has_row[3].all()
