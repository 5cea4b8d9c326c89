"""Borusyak-Jaravel-Spiess imputation: frozen diff-diff ``ImputationDiD`` reference, pre-trend test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError, PanelValidationError
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.results import WaldTest
from evalkit.results import InvalidTest
from evalkit.staggered.untreated_model import UntreatedModel

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}
IMP = REF["imputation"]


def test_overall_att_matches_diff_diff() -> None:
    res = imputation_did(DATA, **COLS)
    np.testing.assert_allclose(res.params["ATT"], IMP["overall"]["coef"], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors["ATT"], IMP["overall"]["se"], rtol=1e-6)


def test_horizons_match_diff_diff() -> None:
    ref = IMP["event_time"]
    post = [i for i, e in enumerate(ref["event_times"]) if e >= 0]
    res = imputation_did(DATA, **COLS)
    assert res.event_time.drop("ATT").tolist() == [ref["event_times"][i] for i in post]
    np.testing.assert_allclose(res.params.drop("ATT"), np.array(ref["coef"])[post], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors.drop("ATT"), np.array(ref["se"])[post], rtol=1e-6)


def test_pretrend_test_is_a_wald_test_or_says_why_not() -> None:
    res = imputation_did(DATA, **COLS, min_e=-3)
    assert isinstance(res.pretrend_test, WaldTest)
    assert res.pretrend_test.df_num == 3 and 0 <= res.pretrend_test.p_value <= 1
    assert res.pretrend_estimates["event_time"].tolist() == [-3, -2, -1]
    assert isinstance(imputation_did(DATA, **COLS).pretrend_test, InvalidTest)


def test_pretrend_test_detects_a_pre_trend() -> None:
    trended = DATA.assign(y=DATA["y"] + np.where((DATA["g"] > 0) & (DATA["time"] < DATA["g"]),
                                                 0.8 * (DATA["time"] - DATA["g"]), 0.0))
    assert imputation_did(trended, **COLS, min_e=-3).pretrend_test.p_value < 0.01


def test_selected_horizons_and_weights() -> None:
    res = imputation_did(DATA, **COLS, max_e=2, weights="w")
    assert isinstance(res, ImputationResult)
    assert list(res.params.index) == ["ATT", "event_time::0", "event_time::1", "event_time::2"]
    with pytest.raises(DesignError, match="horizon"):
        imputation_did(DATA, **COLS, max_e=7)


def test_untreated_model_matches_dense_least_squares() -> None:
    """The Schur-complement solver equals lstsq on unit and period dummies plus x."""
    d = DATA.assign(treated=(DATA["g"] > 0) & (DATA["time"] >= DATA["g"]))
    unit, period = d["unit"].to_numpy(), d["time"].to_numpy() - 1
    X, w, s = d[["x"]].to_numpy(), d["w"].to_numpy(), ~d["treated"].to_numpy()
    fitted = UntreatedModel.build(unit, period, X, w, s).fit(d["y"].to_numpy())
    Z = np.hstack([np.eye(60)[unit], np.eye(8)[period][:, 1:], X])
    coef = np.linalg.lstsq(Z[s] * np.sqrt(w[s])[:, None], d["y"].to_numpy()[s] * np.sqrt(w[s]), rcond=None)[0]
    np.testing.assert_allclose(fitted, Z @ coef, rtol=1e-10, atol=1e-10)


def test_effects_index_points_at_treated_rows() -> None:
    res = imputation_did(DATA, **COLS)
    treated = DATA.index[(DATA["g"] > 0) & (DATA["time"] >= DATA["g"])]
    assert res.effects.index.equals(treated)
    np.testing.assert_allclose(res.effects.mean(), res.params["ATT"], rtol=1e-12)


def test_several_outcomes_equal_one_call_per_outcome() -> None:
    """A list of outcomes shares the design; each result is that of its own call (pre-trend test to rounding)."""
    data = DATA.assign(y2=DATA["y"] ** 2 - DATA["x"], y3=0.5 * DATA["y"] + DATA["time"])
    kwargs = dict(time="time", group="g", unit="unit", covariates=["x"], weights="w", min_e=-3)
    joint = imputation_did(data, y=["y", "y2", "y3"], **kwargs)
    assert list(joint) == ["y", "y2", "y3"]
    for outcome, res in joint.items():
        alone = imputation_did(data, y=outcome, **kwargs)
        pd.testing.assert_frame_equal(res.tidy(), alone.tidy(), check_exact=True)
        pd.testing.assert_frame_equal(res.cov, alone.cov, check_exact=True)
        assert res.model_name == alone.model_name and res.extra == alone.extra
        pd.testing.assert_series_equal(res.effects, alone.effects, check_exact=True)
        np.testing.assert_allclose(res.pretrend_test.statistic, alone.pretrend_test.statistic, rtol=1e-12)
        np.testing.assert_allclose(res.pretrend_test.p_value, alone.pretrend_test.p_value, rtol=1e-12)
        pd.testing.assert_frame_equal(res.pretrend_estimates, alone.pretrend_estimates, rtol=1e-12)
    assert isinstance(imputation_did(data, y=["y"], **kwargs)["y"], ImputationResult)
    gappy = data.assign(y2=data["y2"].where(data.index != 5))
    with pytest.raises(PanelValidationError, match="'y2' is missing on other rows than 'y'"):
        imputation_did(gappy, y=["y", "y2"], **kwargs)
    with pytest.raises(EvalkitError, match="distinct outcomes"):
        imputation_did(data, y=["y", "y"], **kwargs)
