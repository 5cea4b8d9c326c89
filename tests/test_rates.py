"""Tests of transition rates and the Wilson score interval."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from evalkit.cohorts import find_entries
from evalkit.errors import EvalkitError
from evalkit.outcomes import OutcomeReport, Outcomes, TransitionRates, outcomes_at_horizons
from evalkit.outcomes.rates import transition_rates, wilson_interval
from evalkit.panel import read_panel
from evalkit.results.base import Summary


def _wilson_by_formula(x: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) written out, independently of statsmodels."""
    z = norm.isf(alpha / 2)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(np.minimum(centre - half, p), 0, 1), np.clip(np.maximum(centre + half, p), 0, 1)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01], ids=["a05", "a10", "a01"])
def test_wilson_equals_the_formula_and_statsmodels(alpha: float) -> None:
    events = np.array([0, 1, 3, 17, 50, 99, 100, 0, 5, 2.5, 0.75])
    n = np.array([10, 10, 10, 40, 100, 100, 100, 1, 5, 7.2, 1.5])
    low, high = wilson_interval(events, n, alpha)
    ref_low, ref_high = _wilson_by_formula(events, n, alpha)
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-15)
    sm_low, sm_high = proportion_confint(events, n, alpha=alpha, method="wilson")
    np.testing.assert_allclose(low, sm_low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(high, sm_high, rtol=1e-12, atol=1e-15)


def test_wilson_numbers_unchanged() -> None:
    # frozen from evalkit's closed-form implementation before it moved to statsmodels
    low, high = wilson_interval(np.array([2, 0, 7]), np.array([3, 4, 7]))
    np.testing.assert_allclose(low, [0.2076596008020477, 0.0, 0.6456695649333125], rtol=1e-12, atol=0)
    np.testing.assert_allclose(high, [0.9385080552796037, 0.4898908364545974, 1.0], rtol=1e-12)
    low, high = wilson_interval(np.array([2, 0, 7, 3.5]), np.array([3, 4, 7, 7.2]), alpha=0.1)
    np.testing.assert_allclose(low, [0.253533868281224, 0.0, 0.7212373045474578, 0.22866668166913617], rtol=1e-12)
    np.testing.assert_allclose(high, [0.9217342736662715, 0.4034786252027049, 1.0, 0.7511426038156181], rtol=1e-12)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(EvalkitError, match="events <= n"):
        wilson_interval(np.array([3]), np.array([2]))
    with pytest.raises(EvalkitError, match="alpha"):
        wilson_interval(1, 2, alpha=0)


def test_wilson_empty_group_is_nan() -> None:
    low, high = wilson_interval(np.array([0, 2]), np.array([0, 4]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 < low[1] < 0.5 < high[1] < 1


def _outcomes(frame: pd.DataFrame, horizons=(3, 6), states=("employed", "in_education")) -> Outcomes:
    """Entries with outcome columns, as outcomes_at_horizons returns them."""
    return Outcomes(frame=frame, report=OutcomeReport(pd.DataFrame()), horizons=horizons, states=states)


def _entries() -> Outcomes:
    return _outcomes(pd.DataFrame({
        "region": ["sw", "sw", "sw", "sw", "rest", "rest", "rest"],
        "window": ["t1", "t1", "t2", "t2", "t1", "t1", "t2"],
        "employed_3": [1.0, 0.0, 1.0, np.nan, 0.0, 0.0, 1.0],
        "in_education_6": [np.nan, 1.0, 0.0, np.nan, 1.0, 1.0, np.nan],
        "female": [1, 0, 1, 0, 1, 1, 0],
    }))


def test_rates_by_hand() -> None:
    result = transition_rates(_entries(), by="region")
    assert isinstance(result, TransitionRates)
    out = result.tidy()
    assert list(out.columns) == [
        "region", "outcome", "n_at_risk", "n_events", "rate", "conf_low", "conf_high", "n_censored",
    ]
    got = out.set_index(["region", "outcome"])
    # sw: employed_3 = 1, 0, 1, NaN -> 2 of 3; education 1, 0 of 2 with 2 censored
    assert got.loc[("sw", "employed_3"), ["n_at_risk", "n_events", "n_censored"]].tolist() == [3, 2, 1]
    assert got.loc[("sw", "in_education_6"), ["n_at_risk", "n_events", "n_censored"]].tolist() == [2, 1, 2]
    assert got.loc[("rest", "employed_3"), "rate"] == pytest.approx(1 / 3, rel=1e-12)
    assert got.loc[("rest", "in_education_6"), "rate"] == pytest.approx(1.0, rel=1e-12)
    low, high = _wilson_by_formula(np.array([2.0]), np.array([3.0]), 0.05)
    assert got.loc[("sw", "employed_3"), ["conf_low", "conf_high"]].tolist() == pytest.approx(
        [low[0], high[0]], rel=1e-12
    )


def test_result_object() -> None:
    result = transition_rates(_entries(), by="region", alpha=0.1)
    assert (result.by, result.columns, result.alpha, result.n_entries) == (
        ("region",), ("employed_3", "in_education_6"), 0.1, 7,
    )
    summary = result.summary()
    assert isinstance(summary, Summary)
    assert "Wilson 90%" in str(summary) and "in_education_6" in str(summary)
    assert "<table" in result._repr_html_()
    assert "2 outcome(s) x 2 group(s)" in repr(result)
    glance = result.glance().iloc[0]
    assert (glance["n_entries"], glance["n_groups"], glance["n_outcomes"]) == (7, 2, 2)
    assert glance["coverage"] == pytest.approx(0.9)
    for copy in (result.tidy(), result.table):
        copy.loc[0, "rate"] = -1.0
    assert result.tidy().loc[0, "rate"] != -1.0 and result.table.loc[0, "rate"] != -1.0
    with pytest.raises(AttributeError):
        result.alpha = 0.5  # type: ignore[misc]


def test_censored_is_never_zero() -> None:
    outcomes = _outcomes(pd.DataFrame({"employed_9": [1.0, np.nan, np.nan, np.nan]}), horizons=(9,))
    out = transition_rates(outcomes).tidy()
    assert out.loc[0, "rate"] == 1.0
    assert out.loc[0, "n_censored"] == 3


def test_default_outcomes_and_several_groups() -> None:
    out = transition_rates(_entries(), by=["region", "window"]).tidy()
    assert sorted(out["outcome"].unique()) == ["employed_3", "in_education_6"]
    assert len(out) == 4 * 2
    assert out["n_at_risk"].add(out["n_censored"]).groupby(out["outcome"]).sum().tolist() == [7, 7]
    only = out.query("region == 'rest' and window == 't2' and outcome == 'in_education_6'").iloc[0]
    assert only["n_at_risk"] == 0 and np.isnan(only["rate"]) and np.isnan(only["conf_low"])


def test_missing_group_label_is_its_own_group() -> None:
    frame = _entries().frame.assign(region=["sw", None, "sw", "sw", "rest", "rest", "rest"])
    out = transition_rates(_outcomes(frame), by="region", columns=["employed_3"]).tidy()
    assert out["region"].isna().sum() == 1
    assert out["n_at_risk"].add(out["n_censored"]).sum() == 7


def test_weights_change_rate_not_counts() -> None:
    frame = _entries().frame.assign(w=[1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    result = transition_rates(_outcomes(frame), by="region", columns=["employed_3"], weights="w")
    out = result.tidy().set_index("region")
    assert out.loc["sw", "rate"] == pytest.approx(2 / 5, rel=1e-12)
    assert out.loc["sw", "n_at_risk"] == 3
    assert "Kish" in str(result.summary())
    unit = transition_rates(_outcomes(frame.assign(w=1.0)), by="region", columns=["employed_3"], weights="w")
    plain = transition_rates(_outcomes(frame), by="region", columns=["employed_3"])
    pd.testing.assert_frame_equal(unit.tidy(), plain.tidy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("values", "shown"),
    [([1.0, 2.0, 0.0], "[2.0]"), ([1, 0, -1], "[-1]"), (["1", "yes", None], "['yes']")],
    ids=["two", "negative", "text"],
)
def test_bad_outcome_values_name_column_and_rows(values, shown) -> None:
    outcomes = _outcomes(pd.DataFrame({"employed_1": values}, index=[10, 11, 12]), horizons=(1,))
    with pytest.raises(EvalkitError, match=r"'employed_1'.*rows \[1[12]\].*" + re.escape(shown)):
        transition_rates(outcomes)


def test_bad_arguments() -> None:
    with pytest.raises(EvalkitError, match=r"grouping column\(s\) \['county'\]"):
        transition_rates(_entries(), by="county")
    with pytest.raises(EvalkitError, match=r"\['employed_12'\] not in the outcomes"):
        transition_rates(_entries(), columns=["employed_12"])
    with pytest.raises(EvalkitError, match="no outcome columns"):
        transition_rates(_outcomes(pd.DataFrame({"x": [1]})))
    with pytest.raises(EvalkitError, match="columns is empty"):
        transition_rates(_entries(), columns=[])
    with pytest.raises(EvalkitError, match="weight column 'w'"):
        transition_rates(_entries(), weights="w")
    with pytest.raises(EvalkitError, match="alpha"):
        transition_rates(_entries(), alpha=1.5)


def test_input_not_mutated() -> None:
    outcomes = _entries()
    before = outcomes.frame.copy()
    transition_rates(outcomes, by=["region", "window"], weights="female")
    pd.testing.assert_frame_equal(outcomes.frame, before)


def test_from_the_panel_by_hand(make_person) -> None:
    # person 1 enters Jan 2016 and is employed from July; person 2 enters Oct 2016, in
    # education in November, and its 6-month outcome is censored by the panel's end
    rows = make_person(1, "2016-01", "2016-12", nav={"2016-01": "standard"},
                       employed=tuple(f"2016-{m:02d}" for m in range(7, 13)))
    rows += make_person(2, "2016-01", "2016-12", nav={"2016-10": "situational"}, education=("2016-11",))
    panel = read_panel(pd.DataFrame(rows))
    outcomes = outcomes_at_horizons(panel, find_entries(panel, unknown_history="assume_new"), horizons=(1, 6))
    out = transition_rates(outcomes).tidy().set_index("outcome")
    assert out.loc["employed_6", ["n_at_risk", "n_events", "n_censored"]].tolist() == [1, 1, 1]
    assert out.loc["in_education_1", ["n_at_risk", "n_events", "rate"]].tolist() == [2, 1, 0.5]
    assert list(out.index) == [f"{s}_{k}" for s in ("employed", "in_education", "at_nav", "none") for k in (1, 6)]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([0.0, 1.0, np.nan])),
        min_size=1,
        max_size=80,
    )
)
def test_rates_stay_in_unit_interval(rows) -> None:
    frame = pd.DataFrame(rows, columns=["g", "employed_3"])
    out = transition_rates(_outcomes(frame, horizons=(3,)), by="g").tidy()
    valid = out["n_at_risk"] > 0
    assert out.loc[valid, ["rate", "conf_low", "conf_high"]].stack().between(0, 1).all()
    assert (out.loc[valid, "conf_low"] <= out.loc[valid, "rate"]).all()
    assert (out.loc[valid, "rate"] <= out.loc[valid, "conf_high"]).all()
    assert out["n_at_risk"].add(out["n_censored"]).sum() == len(frame)
