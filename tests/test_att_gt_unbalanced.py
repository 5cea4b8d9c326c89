"""Unbalanced panels in att_gt as R did's ``allow_unbalanced_panel=TRUE``, against frozen R did numbers.

Reference: tests/reference/att_gt_unbalanced.json (csdid 0.4.3, a port of R did 2.5.1; the
standard errors of R DRDID's doubly robust form from moderndid 0.2.0), made by
tests/reference/make_att_gt_unbalanced.py on mpdta with 10 % of its rows removed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ExcludedRowsWarning
from evalkit.estimators.att_gt import ATTgtResult, att_gt

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "att_gt_unbalanced.json").read_text())
RESULTS = REF["results"]
AGGREGATIONS = {
    "simple": {"kind": "simple"},
    "group": {"kind": "group"},
    "calendar": {"kind": "calendar"},
    "dynamic": {"kind": "dynamic"},
    "dynamic_balance1": {"kind": "dynamic", "balance_e": 1},
    "dynamic_window": {"kind": "dynamic", "min_e": -2, "max_e": 2},
}
TOL = 1e-8


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    sys.path.insert(0, str(HERE / "reference"))
    try:
        from make_att_gt_unbalanced import unbalanced_mpdta
    finally:
        sys.path.pop(0)
    data = unbalanced_mpdta()
    assert len(data) == REF["data"]["n_rows"]
    return data


_CACHE: dict[str, ATTgtResult] = {}


def fit(panel: pd.DataFrame, key: str) -> ATTgtResult:
    if key not in _CACHE:
        control, base, method, cov = key.split("-")
        _CACHE[key] = att_gt(
            panel, y="lemp", time="year", group="first.treat", unit="countyreal",
            covariates=None if cov == "none" else "~ lpop", control_group=control,
            base_period=base, est_method=method,
        )
    return _CACHE[key]


@pytest.mark.parametrize("key", sorted(RESULTS), ids=sorted(RESULTS))
def test_att_gt_matches_r_did(panel: pd.DataFrame, key: str) -> None:
    ref = RESULTS[key]
    res = fit(panel, key)
    assert res.nobs == ref["n_units"] == REF["data"]["n_units"]  # every unit is kept
    np.testing.assert_array_equal(res.group, ref["group"])
    np.testing.assert_array_equal(res.time, ref["time"])
    np.testing.assert_allclose(res.params.to_numpy(), ref["att"], rtol=TOL, atol=1e-12)
    se = np.array(ref.get("se_r_drdid", ref["se"]), dtype=float)
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=TOL)
    if "se_r_drdid" not in ref:
        np.testing.assert_allclose(res.pretest.statistic, ref["wald_stat"], rtol=TOL)


@pytest.mark.parametrize("agg", sorted(AGGREGATIONS), ids=sorted(AGGREGATIONS))
@pytest.mark.parametrize("key", sorted(RESULTS), ids=sorted(RESULTS))
def test_aggregations_match_r_did(panel: pd.DataFrame, key: str, agg: str) -> None:
    ref = RESULTS[key]["aggregations"][agg]
    out = fit(panel, key).aggregate(**AGGREGATIONS[agg])
    # csdid's doubly robust influence function with covariates differs from R's (see the script)
    check_se = "se_r_drdid" not in RESULTS[key]
    np.testing.assert_allclose(out.params["ATT"], ref["overall_att"], rtol=TOL, atol=1e-12)
    if check_se:
        np.testing.assert_allclose(out.std_errors["ATT"], ref["overall_se"], rtol=TOL)
    if "att" in ref:
        np.testing.assert_array_equal(out.term_values.drop("ATT").to_numpy(dtype=float), ref["terms"])
        np.testing.assert_allclose(out.params.drop("ATT").to_numpy(), ref["att"], rtol=TOL, atol=1e-12)
        if check_se:
            np.testing.assert_allclose(out.std_errors.drop("ATT").to_numpy(), np.array(ref["se"], dtype=float), rtol=TOL)


def test_balancing_drops_units_when_asked(panel: pd.DataFrame) -> None:
    n_complete = REF["data"]["n_complete_units"]
    with pytest.warns(ExcludedRowsWarning, match=f"excluded {500 - n_complete} units: not observed in all 5 periods"):
        res = att_gt(panel, y="lemp", time="year", group="first.treat", unit="countyreal",
                     allow_unbalanced_panel=False)
    assert res.nobs == n_complete


def test_balanced_panel_is_unchanged_by_the_option() -> None:
    data = pd.read_csv(HERE / "data" / "mpdta.csv")
    kw = dict(y="lemp", time="year", group="first.treat", unit="countyreal")
    a = att_gt(data, **kw, allow_unbalanced_panel=True)
    b = att_gt(data, **kw, allow_unbalanced_panel=False)
    pd.testing.assert_series_equal(a.params, b.params)
    pd.testing.assert_series_equal(a.std_errors, b.std_errors)
