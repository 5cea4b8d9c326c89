"""ATT(g,t) and every aggregation on mpdta against R did (frozen from moderndid, csdid, diff-diff).

Reference: tests/reference/att_gt_mpdta.json, made by tests/reference/make_att_gt_mpdta.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators.att_gt import ATTgtResult, att_gt
from evalkit.results import WaldTest

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "att_gt_mpdta.json").read_text())
RESULTS = REF["results"]
AGGREGATIONS = {
    "simple": {"kind": "simple"},
    "group": {"kind": "group"},
    "calendar": {"kind": "calendar"},
    "dynamic": {"kind": "dynamic"},
    "dynamic_balance1": {"kind": "dynamic", "balance_e": 1},
    "dynamic_window": {"kind": "dynamic", "min_e": -2, "max_e": 2},
}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "mpdta.csv")


_CACHE: dict[str, ATTgtResult] = {}


def fit(mpdta: pd.DataFrame, key: str) -> ATTgtResult:
    if key not in _CACHE:
        control, base, method, cov, panel = key.split("-")
        _CACHE[key] = att_gt(
            mpdta, y="lemp", time="year", group="first.treat", unit="countyreal",
            covariates=None if cov == "none" else "~ lpop", control_group=control,
            base_period=base, est_method=method, panel=panel == "panel",
        )
    return _CACHE[key]


@pytest.mark.parametrize("key", sorted(RESULTS), ids=sorted(RESULTS))
def test_att_gt_matches_r_did(mpdta: pd.DataFrame, key: str) -> None:
    ref = RESULTS[key]
    res = fit(mpdta, key)
    np.testing.assert_array_equal(res.group, ref["group"])
    np.testing.assert_array_equal(res.time, ref["time"])
    np.testing.assert_allclose(res.params.to_numpy(), ref["att"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.array(ref["se"], dtype=float), rtol=1e-4)
    assert isinstance(res.pretest, WaldTest)
    np.testing.assert_allclose(res.pretest.statistic, ref["wald_stat"], rtol=1e-4)


@pytest.mark.parametrize("agg", sorted(AGGREGATIONS), ids=sorted(AGGREGATIONS))
@pytest.mark.parametrize("key", sorted(RESULTS), ids=sorted(RESULTS))
def test_aggregations_match_r_did(mpdta: pd.DataFrame, key: str, agg: str) -> None:
    ref = RESULTS[key]["aggregations"][agg]
    out = fit(mpdta, key).aggregate(**AGGREGATIONS[agg])
    np.testing.assert_allclose(out.params["ATT"], ref["overall_att"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out.std_errors["ATT"], ref["overall_se"], rtol=1e-4)
    if "att" in ref:
        np.testing.assert_array_equal(out.term_values.drop("ATT").to_numpy(dtype=float), ref["terms"])
        np.testing.assert_allclose(out.params.drop("ATT").to_numpy(), ref["att"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(out.std_errors.drop("ATT").to_numpy(), np.array(ref["se"], dtype=float), rtol=1e-4)


def test_vignette_numbers(mpdta: pd.DataFrame) -> None:
    """R did's vignette: simple ATT -0.0400 without covariates (bootstrap SE 0.0118)."""
    simple = fit(mpdta, "never_treated-varying-dr-none-panel").aggregate("simple")
    assert round(simple.params["ATT"], 4) == -0.0400
    assert simple.std_errors["ATT"] == pytest.approx(0.0118, abs=0.0005)


def test_peers_agree_with_each_other() -> None:
    """The frozen reference is only trusted because csdid and diff-diff agree with moderndid."""
    for key, entry in REF["crosscheck_att_gt_vs_moderndid"].items():
        assert entry["csdid_max_abs_diff"] < 1e-10, key
        assert entry["diff_diff_max_abs_diff"] < 1e-5, key


def test_tidy_columns(mpdta: pd.DataFrame) -> None:
    tidy = fit(mpdta, "never_treated-varying-dr-none-panel").tidy()
    assert list(tidy.columns[:4]) == ["term", "group", "time", "event_time"]
    np.testing.assert_array_equal(tidy["event_time"], tidy["time"] - tidy["group"])
    assert tidy.loc[0, "term"] == "cohort::2004:time::2004"
    assert tidy["group"].dtype == tidy["time"].dtype == np.int64  # 2004, not 2004.0
    dyn = fit(mpdta, "never_treated-varying-dr-none-panel").aggregate("dynamic").tidy()
    assert dyn["term"].tolist()[-2:] == ["event_time::3", "ATT"]
    assert str(dyn["event_time"].dtype) == "Int64" and dyn["event_time"].iloc[0] == -3


def test_universal_reference_cell_is_zero_with_nan_se(mpdta: pd.DataFrame) -> None:
    res = fit(mpdta, "never_treated-universal-dr-none-panel")
    ref_cells = res.event_time == -1
    assert ref_cells.sum() == 3
    np.testing.assert_array_equal(res.params.to_numpy()[ref_cells], 0.0)
    assert np.isnan(res.std_errors.to_numpy()[ref_cells]).all()
