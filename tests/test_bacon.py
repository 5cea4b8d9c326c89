"""Goodman-Bacon decomposition: exact identity with TWFE, frozen diff-diff reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import DesignError
from evalkit.estimators.bacon import bacon_decomposition
from evalkit.regression import feols

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}


def test_matches_diff_diff_components() -> None:
    res = bacon_decomposition(DATA, **COLS)
    ref = pd.DataFrame(REF["bacon"]["comparisons"]).replace({"control": {"never_treated": "0"}})
    ref = ref.astype({"treated": np.int64, "control": np.int64})
    key = ["treated", "control", "type"]
    merged = res.comparisons.merge(ref, on=key, suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(ref) == len(res.comparisons)
    np.testing.assert_allclose(merged["estimate"], merged["estimate_ref"], rtol=1e-8)
    np.testing.assert_allclose(merged["weight"], merged["weight_ref"], rtol=1e-8)
    np.testing.assert_allclose(res.twfe, REF["bacon"]["twfe"], rtol=1e-10)


def _panel(seed: int, n_units: int, cohorts: list[int], never_share: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_periods = 7
    choices = np.array([0, *cohorts])
    p = np.array([never_share, *[(1 - never_share) / len(cohorts)] * len(cohorts)])
    g = rng.choice(choices, size=n_units, p=p / p.sum())
    g[: len(choices)] = choices  # every timing group present
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    gi = np.repeat(g, n_periods)
    y = rng.normal(size=unit.size) + np.where((gi > 0) & (time >= gi), 1 + 0.5 * (time - gi), 0.0)
    return pd.DataFrame({"unit": unit, "time": time, "g": gi, "y": y})


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cohorts=st.sets(st.integers(2, 7), min_size=1, max_size=4),
       never_share=st.sampled_from([0.0, 0.3]))
def test_weights_sum_to_one_and_reproduce_twfe(seed: int, cohorts: set[int], never_share: float) -> None:
    df = _panel(seed, 30, sorted(cohorts), never_share)
    res = bacon_decomposition(df, **COLS)
    c = res.comparisons
    np.testing.assert_allclose(c["weight"].sum(), 1.0, rtol=1e-10)
    np.testing.assert_allclose(np.sum(c["weight"] * c["estimate"]), res.twfe, rtol=1e-9, atol=1e-12)
    twfe = feols("y ~ d | unit + time", df.assign(d=((df["g"] > 0) & (df["time"] >= df["g"])).astype(float)))
    np.testing.assert_allclose(res.twfe, twfe.params["d"], rtol=1e-8)


def test_no_treatment_variation_is_an_error() -> None:
    always = _panel(1, 20, [1], 0.5)
    with pytest.raises(DesignError, match="does not vary"):
        bacon_decomposition(always, **COLS)


def test_control_column_has_one_type() -> None:
    c = bacon_decomposition(DATA, **COLS).comparisons
    assert c["treated"].dtype == c["control"].dtype == np.int64
    assert set(c.loc[c["type"] == "treated_vs_never", "control"]) == {0}


def test_unbalanced_panel_is_an_error() -> None:
    with pytest.raises(DesignError, match="balanced panel"):
        bacon_decomposition(DATA.iloc[1:], **COLS)


def test_summary_by_type() -> None:
    table = bacon_decomposition(DATA, **COLS).by_type()
    assert set(table.index) == {"treated_vs_never", "earlier_vs_later", "later_vs_earlier"}
    assert "Goodman-Bacon" in str(bacon_decomposition(DATA, **COLS).summary())
