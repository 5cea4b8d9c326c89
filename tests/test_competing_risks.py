"""Tests of the Aalen-Johansen cumulative incidence and of first-exit durations from the panel."""

from __future__ import annotations

import json
from fractions import Fraction as Fr
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from evalkit.cohorts import find_entries  # noqa: E402
from evalkit.errors import EvalkitError, PanelValidationError  # noqa: E402
from evalkit.outcomes import (  # noqa: E402
    EXIT_STATES,
    CumulativeIncidenceResult,
    aalen_johansen,
    cumulative_incidence,
    first_exit_times,
)
from evalkit.panel import read_panel, scan_panel  # noqa: E402
from evalkit.panel.load import in_memory_panel  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "reference" / "aalen_johansen.json").read_text())
NAMES = REFERENCE["event_names"]


def _curve(result: CumulativeIncidenceResult, event: str) -> pd.DataFrame:
    return result.tidy().query("event == @event").reset_index(drop=True)


# -- against lifelines (frozen) ------------------------------------------------------------
@pytest.mark.parametrize("code", [1, 2], ids=["work", "education"])
def test_distinct_times_match_frozen_lifelines(code: int) -> None:
    case = REFERENCE["distinct_times"]
    ref = case["curves"][str(code)]
    result = aalen_johansen(case["durations"], case["events"], event_names=NAMES, alpha=case["alpha"])
    curve = _curve(result, NAMES[code - 1])
    np.testing.assert_allclose(curve["time"], ref["time"], rtol=0, atol=0)
    np.testing.assert_allclose(curve["estimate"], ref["cif"], rtol=1e-10, atol=1e-14)
    var = np.array([np.nan if v is None else v for v in ref["variance"]])
    ok = ~np.isnan(var)
    # lifelines leaves the variance NaN only where everyone at risk exits (n = d)
    assert (~ok).sum() <= 1
    np.testing.assert_allclose(curve["std_error"][ok] ** 2, var[ok], rtol=1e-8, atol=1e-15)
    low = np.array([np.nan if v is None else v for v in ref["conf_low"]])
    high = np.array([np.nan if v is None else v for v in ref["conf_high"]])
    has_ci = ~np.isnan(low)
    assert has_ci.sum() > 50
    np.testing.assert_allclose(curve["conf_low"][has_ci], low[has_ci], rtol=1e-8)
    np.testing.assert_allclose(curve["conf_high"][has_ci], high[has_ci], rtol=1e-8)


@pytest.mark.parametrize("code", [1, 2], ids=["work", "education"])
def test_monthly_ties_match_frozen_untied_lifelines(code: int) -> None:
    case = REFERENCE["monthly_ties"]
    ref = case["curves"][str(code)]
    result = aalen_johansen(case["durations"], case["events"], event_names=NAMES)
    at = result.at(ref["time"]).query("event == @NAMES[@code - 1]")
    np.testing.assert_allclose(at["estimate"], ref["cif"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(at["std_error"] ** 2, ref["variance"], rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("code", [1, 2], ids=["work", "education"])
def test_gamma_times_match_frozen_lifelines(code: int) -> None:
    case = REFERENCE["gamma_times"]
    ref = case["curves"][str(code)]
    result = aalen_johansen(case["durations"], case["events"], event_names=NAMES)
    curve = _curve(result, NAMES[code - 1])
    np.testing.assert_allclose(curve["time"], ref["time"], rtol=0, atol=0)
    np.testing.assert_allclose(curve["estimate"], ref["cif"], rtol=1e-10, atol=1e-14)
    var = np.array([np.nan if v is None else v for v in ref["variance"]])
    ok = ~np.isnan(var)
    assert ok.sum() > 70
    np.testing.assert_allclose(curve["std_error"][ok] ** 2, var[ok], rtol=1e-8, atol=1e-15)


# -- hand computation --------------------------------------------------------------------
TINY_T = [1, 1, 1, 2, 3, 3]
TINY_E = [1, 2, 0, 1, 0, 1]


def test_tiny_example_by_hand() -> None:
    result = aalen_johansen(TINY_T, TINY_E, event_names=["work", "education"])
    work = _curve(result, "work").set_index("time")
    edu = _curve(result, "education").set_index("time")
    # t=1: n=6, one work, one education, one censored; S(1) = 2/3
    # t=2: n=3, one work: F_work = 1/6 + (2/3)(1/3); S(2) = 4/9
    # t=3: n=2, one work, one censored: F_work += (4/9)(1/2); S(3) = 2/9
    np.testing.assert_allclose(work["estimate"], [0, 1 / 6, 7 / 18, 11 / 18], rtol=1e-12)
    np.testing.assert_allclose(edu["estimate"], [0, 1 / 6, 1 / 6, 1 / 6], rtol=1e-12)
    np.testing.assert_allclose(result.survival["survival"], [1, 2 / 3, 4 / 9, 2 / 9], rtol=1e-12)
    assert work["n_at_risk"].tolist() == [6, 6, 3, 2]
    assert work["n_censored"].tolist() == [0, 1, 0, 1]
    # variance of F_education(1): S0^2 d (n - d) / n^3 = 5/216
    np.testing.assert_allclose(edu.loc[1, "std_error"] ** 2, 5 / 216, rtol=1e-12)
    # variance of F_work(2) by the three sums of the Greenwood-type formula
    f1, f2 = Fr(1, 6), Fr(7, 18)
    first = (f2 - f1) ** 2 * Fr(2, 6 * 4)  # a_1 = d/(n(n-d)) at t=1; a_2 term has weight 0
    second = Fr(1 * 5, 216) + Fr(4, 9) * Fr(1 * 2, 27)
    third = -2 * (f2 - f1) * 1 * Fr(1, 36)
    np.testing.assert_allclose(work.loc[2, "std_error"] ** 2, float(first + second + third), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=2)),
        min_size=1,
        max_size=60,
    )
)
def test_cifs_plus_survival_sum_to_one(rows: list[tuple[int, int]]) -> None:
    durations, events = zip(*rows)
    result = aalen_johansen(list(durations), list(events), event_names=NAMES)
    total = result.table.groupby("time")["estimate"].sum().to_numpy() + result.survival["survival"].to_numpy()
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)
    steps = result.table.groupby("event")["estimate"].diff().dropna()
    assert (steps >= -1e-15).all()
    tidy = result.tidy()
    assert (tidy["conf_low"] <= tidy["estimate"] + 1e-12).all()
    assert (tidy["conf_high"] >= tidy["estimate"] - 1e-12).all()
    assert tidy[["conf_low", "conf_high"]].stack().between(0, 1).all()


def test_groups_equal_separate_fits() -> None:
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame({
        "duration": rng.integers(0, 10, n),
        "event": rng.choice([0, 1, 2], n),
        "region": rng.choice(["south_west", "rest"], n),
    })
    together = aalen_johansen(frame["duration"], frame["event"], event_names=NAMES, by=frame["region"])
    assert together.by == ("region",)
    for region, part in frame.groupby("region"):
        alone = aalen_johansen(part["duration"], part["event"], event_names=NAMES).tidy()
        mine = together.tidy().query("region == @region").drop(columns="region").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, rtol=1e-12)


def test_result_is_immutable_in_fact() -> None:
    result = aalen_johansen(TINY_T, TINY_E, event_names=["work", "education"])
    table, survival = result.table, result.survival
    table.loc[0, "estimate"] = 0.5
    survival.loc[0, "survival"] = 0.5
    assert result.table.loc[0, "estimate"] == 0 and result.survival.loc[0, "survival"] == 1


def test_at_is_a_step_function() -> None:
    result = aalen_johansen(TINY_T, TINY_E, event_names=["work", "education"])
    at = result.at([0.5, 2, 2.9, 10]).query("event == 'work'")
    np.testing.assert_allclose(at["estimate"], [0, 7 / 18, 7 / 18, 11 / 18], rtol=1e-12)
    assert at["n_at_risk"].tolist() == [6, 3, 3, 0]


@pytest.mark.parametrize(
    ("durations", "events", "by", "match"),
    [
        ([1, -1], [1, 0], None, "non-negative"),
        ([1, np.nan], [1, 0], None, "non-negative"),
        ([1, 2], [1, 3], None, "integer codes"),
        ([1, 2], [1, 0.5], None, "integer codes"),
        ([1, 2], [1], None, "events has 1"),
        ([1, 2], [1, 0], ["a"], "by has 1"),
    ],
    ids=["negative", "missing", "unknown-code", "fractional-code", "short-events", "short-by"],
)
def test_bad_input_raises(durations, events, by, match) -> None:
    with pytest.raises(EvalkitError, match=match):
        aalen_johansen(durations, events, event_names=NAMES, by=by)


def test_summary_glance_and_plot() -> None:
    result = aalen_johansen(TINY_T, TINY_E, event_names=["work", "education"], by=["a"] * 6)
    glance = result.glance().iloc[0]
    assert (glance["n_work"], glance["n_education"], glance["n_censored"], glance["nobs"]) == (3, 1, 2, 6)
    assert "Aalen-Johansen" in str(result.summary(times=[1, 3]))
    fig = result.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)


# -- durations from the panel -------------------------------------------------------------
def _rows(person: int, months: list[tuple[str, int, int]], *, nav_month: str, county: str) -> list[dict]:
    return [
        {"person_id": person, "month": m, "employed": emp, "in_education": edu, "county": county,
         "nav_category": "standard" if m == nav_month else None, "birth_year": 1995}
        for m, emp, edu in months
    ]


ROWS = (
    _rows(1, [("2017-03", 1, 0), ("2017-04", 0, 0), ("2017-05", 1, 0), ("2017-06", 0, 1)],
          nav_month="2017-03", county="Oslo")  # employed at 2
    + _rows(2, [("2017-03", 0, 0), ("2017-04", 0, 1), ("2017-05", 1, 0)], nav_month="2017-03", county="Oslo")
    + _rows(3, [("2017-03", 0, 0), ("2017-04", 0, 0), ("2017-05", 1, 1)], nav_month="2017-03", county="Agder")
    + _rows(4, [("2017-03", 0, 0), ("2017-04", 0, 0), ("2017-06", 1, 0)], nav_month="2017-03", county="Agder")
    + _rows(5, [("2017-03", 0, 0), ("2017-04", 0, 0), ("2017-05", 0, 0), ("2017-06", 0, 0)],
            nav_month="2017-03", county="Agder")  # to the panel's end
    + _rows(6, [("2017-06", 0, 0)], nav_month="2017-06", county="Oslo")  # enters in the last month
)
PANEL = read_panel(pd.DataFrame(ROWS))
ENTRIES = find_entries(PANEL, unknown_history="assume_new")


def test_entries_are_the_hand_made_ones() -> None:
    assert ENTRIES.frame["person_id"].tolist() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("tie", "code_3"), [("employed", 1), ("in_education", 2)], ids=["tie-to-employed", "tie-to-education"]
)
def test_first_exit_times_by_hand(tie: str, code_3: int) -> None:
    out = first_exit_times(PANEL, ENTRIES, tie=tie)
    assert out.index.equals(ENTRIES.frame.index)
    # 1: employed at 2; 2: education at 1; 3: both at 2 (tie); 4: gap in April -> censored at 1;
    # 5: censored at the panel's end (3); 6: no month after entry -> 0
    assert out["duration"].tolist() == [2, 1, 2, 1, 3, 0]
    assert out["event"].tolist() == [1, 2, code_3, 0, 0, 0]
    assert EXIT_STATES[code_3 - 1] == tie


def test_first_exit_times_max_months_and_no_mutation() -> None:
    before = ENTRIES.frame.copy()
    out = first_exit_times(PANEL, ENTRIES, max_months=1)
    assert out["duration"].tolist() == [1, 1, 1, 1, 1, 0]
    assert out["event"].tolist() == [0, 2, 0, 0, 0, 0]
    pd.testing.assert_frame_equal(ENTRIES.frame, before)


def test_stored_panel_gives_the_same_exits(tmp_path) -> None:
    pd.DataFrame(ROWS).to_parquet(tmp_path / "panel.parquet")
    stored = scan_panel(tmp_path / "panel.parquet")
    assert stored.is_lazy
    entries = find_entries(stored, unknown_history="assume_new")
    pd.testing.assert_frame_equal(
        first_exit_times(stored, entries)[["duration", "event"]],
        first_exit_times(PANEL, ENTRIES)[["duration", "event"]],
    )


def test_cumulative_incidence_from_the_panel_equals_aalen_johansen() -> None:
    result = cumulative_incidence(PANEL, ENTRIES, by="county")
    exits = first_exit_times(PANEL, ENTRIES)
    direct = aalen_johansen(exits["duration"], exits["event"], event_names=EXIT_STATES, by=exits["county"])
    pd.testing.assert_frame_equal(result.tidy(), direct.tidy())
    assert result.by == ("county",) and result.event_names == EXIT_STATES
    assert set(result.tidy()["county"]) == {"Agder", "Oslo"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tie": "work"}, "tie must be one of"),
        ({"max_months": 0}, "max_months"),
        ({"max_months": 1.5}, "max_months"),
    ],
    ids=["unknown-tie", "zero-months", "fractional-months"],
)
def test_first_exit_times_bad_arguments(kwargs, match) -> None:
    with pytest.raises(EvalkitError, match=match):
        first_exit_times(PANEL, ENTRIES, **kwargs)


def test_cumulative_incidence_unknown_group() -> None:
    with pytest.raises(EvalkitError, match=r"\['region'\] are not in the entries"):
        cumulative_incidence(PANEL, ENTRIES, by="region")


def test_missing_status_in_follow_up_is_an_error() -> None:
    canonical = PANEL.frame.copy()
    canonical["in_education"] = canonical["in_education"].astype("Int8").mask(canonical.index == 1)
    panel = in_memory_panel(canonical, PANEL.report)
    with pytest.raises(PanelValidationError, match=r"missing in 1 month.*persons \[1\]"):
        first_exit_times(panel, ENTRIES)
