"""Tests of transition rates and the Wilson score interval."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import EvalkitError
from evalkit.outcomes.rates import transition_rates, wilson_interval


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01], ids=["a05", "a10", "a01"])
def test_wilson_matches_statsmodels(alpha: float) -> None:
    events = np.array([0, 1, 3, 17, 50, 99, 100, 0, 5])
    n = np.array([10, 10, 10, 40, 100, 100, 100, 1, 5])
    low, high = wilson_interval(events, n, alpha)
    ref_low, ref_high = proportion_confint(events, n, alpha=alpha, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-15)


def test_wilson_empty_group_is_nan() -> None:
    low, high = wilson_interval(np.array([0, 2]), np.array([0, 4]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 < low[1] < 0.5 < high[1] < 1


def _entries() -> pd.DataFrame:
    return pd.DataFrame({
        "region": ["sw", "sw", "sw", "sw", "rest", "rest", "rest"],
        "window": ["t1", "t1", "t2", "t2", "t1", "t1", "t2"],
        "employed_3": [1.0, 0.0, 1.0, np.nan, 0.0, 0.0, 1.0],
        "in_education_6": [np.nan, 1.0, 0.0, np.nan, 1.0, 1.0, np.nan],
        "female": [1, 0, 1, 0, 1, 1, 0],
    })


def test_rates_by_hand() -> None:
    out = transition_rates(_entries(), by="region")
    assert list(out.columns) == [
        "region", "outcome", "n_at_risk", "n_events", "rate", "conf_low", "conf_high", "n_censored",
    ]
    got = out.set_index(["region", "outcome"])
    # sw: employed_3 = 1, 0, 1, NaN -> 2 of 3; education 1, 0 of 2 with 2 censored
    assert got.loc[("sw", "employed_3"), ["n_at_risk", "n_events", "n_censored"]].tolist() == [3, 2, 1]
    assert got.loc[("sw", "in_education_6"), ["n_at_risk", "n_events", "n_censored"]].tolist() == [2, 1, 2]
    assert got.loc[("rest", "employed_3"), "rate"] == pytest.approx(1 / 3, rel=1e-12)
    assert got.loc[("rest", "in_education_6"), "rate"] == pytest.approx(1.0, rel=1e-12)
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")
    assert got.loc[("sw", "employed_3"), ["conf_low", "conf_high"]].tolist() == pytest.approx([low, high], rel=1e-12)


def test_censored_is_never_zero() -> None:
    frame = pd.DataFrame({"employed_9": [1.0, np.nan, np.nan, np.nan]})
    out = transition_rates(frame, by=None)
    assert out.loc[0, "rate"] == 1.0
    assert out.loc[0, "n_censored"] == 3


def test_default_outcomes_and_several_groups() -> None:
    out = transition_rates(_entries(), by=["region", "window"])
    assert sorted(out["outcome"].unique()) == ["employed_3", "in_education_6"]
    assert len(out) == 4 * 2
    assert out["n_at_risk"].add(out["n_censored"]).groupby(out["outcome"]).sum().tolist() == [7, 7]
    only = out.query("region == 'rest' and window == 't2' and outcome == 'in_education_6'").iloc[0]
    assert only["n_at_risk"] == 0 and np.isnan(only["rate"]) and np.isnan(only["conf_low"])


def test_missing_group_label_is_its_own_group() -> None:
    frame = _entries().assign(region=["sw", None, "sw", "sw", "rest", "rest", "rest"])
    out = transition_rates(frame, by="region", outcomes_cols=["employed_3"])
    assert out["region"].isna().sum() == 1
    assert out["n_at_risk"].add(out["n_censored"]).sum() == 7


def test_weights_change_rate_not_counts() -> None:
    frame = _entries().assign(w=[1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    out = transition_rates(frame, by="region", outcomes_cols=["employed_3"], weights="w").set_index("region")
    assert out.loc["sw", "rate"] == pytest.approx(2 / 5, rel=1e-12)
    assert out.loc["sw", "n_at_risk"] == 3
    unit = transition_rates(frame.assign(w=1.0), by="region", outcomes_cols=["employed_3"], weights="w")
    plain = transition_rates(frame, by="region", outcomes_cols=["employed_3"])
    pd.testing.assert_frame_equal(unit, plain, rtol=1e-12)


@pytest.mark.parametrize(
    ("values", "shown"),
    [([1.0, 2.0, 0.0], "[2.0]"), ([1, 0, -1], "[-1]"), (["1", "yes", None], "['yes']")],
    ids=["two", "negative", "text"],
)
def test_bad_outcome_values_name_column_and_rows(values, shown) -> None:
    frame = pd.DataFrame({"employed_1": values}, index=[10, 11, 12])
    with pytest.raises(EvalkitError, match=r"'employed_1'.*rows \[1[12]\].*" + re.escape(shown)):
        transition_rates(frame, by=None)


def test_bad_arguments() -> None:
    with pytest.raises(EvalkitError, match="grouping column"):
        transition_rates(_entries(), by="county")
    with pytest.raises(EvalkitError, match="not in the outcomes frame"):
        transition_rates(_entries(), by=None, outcomes_cols=["employed_12"])
    with pytest.raises(EvalkitError, match="no outcome columns"):
        transition_rates(pd.DataFrame({"x": [1]}), by=None)
    with pytest.raises(ValueError, match="alpha"):
        transition_rates(_entries(), by=None, alpha=1.5)


def test_input_not_mutated() -> None:
    frame = _entries()
    before = frame.copy()
    transition_rates(frame, by=["region", "window"], weights="female")
    pd.testing.assert_frame_equal(frame, before)


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
    out = transition_rates(frame, by="g")
    valid = out["n_at_risk"] > 0
    assert out.loc[valid, ["rate", "conf_low", "conf_high"]].stack().between(0, 1).all()
    assert (out.loc[valid, "conf_low"] <= out.loc[valid, "rate"]).all()
    assert (out.loc[valid, "rate"] <= out.loc[valid, "conf_high"]).all()
    assert out["n_at_risk"].add(out["n_censored"]).sum() == len(frame)
