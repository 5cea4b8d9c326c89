"""Gardner (2022) two-stage DiD: frozen pyfixest ``did2s`` reference and equivalences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ExcludedRowsWarning, PanelValidationError
from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.two_stage import two_stage_did

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}
CASES = [("att", {}), ("att_covariate_weighted", {"covariates": ["x"], "weights": "w"})]


@pytest.mark.parametrize(("key", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_overall_att_matches_pyfixest_did2s(key: str, kwargs: dict) -> None:
    ref = REF["did2s"][key]
    res = two_stage_did(DATA, **COLS, **kwargs)
    np.testing.assert_allclose(res.params["ATT"], ref["coef"][0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.std_errors["ATT"], ref["se"][0], rtol=1e-6)


def test_event_times_match_pyfixest_did2s_and_covariance_is_joint() -> None:
    ref = REF["did2s"]["event_time"]
    res = two_stage_did(DATA, **COLS)
    terms = res.params.drop("ATT")
    assert res.params.index[0] == "ATT" and len(terms) == len(ref["coef"])
    np.testing.assert_allclose(terms, ref["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.std_errors.drop("ATT"), ref["se"], rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), res.std_errors, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(res.cov.to_numpy()) > -1e-12)
    window = two_stage_did(DATA, **COLS, min_e=-2, max_e=2)
    assert list(window.params.index) == ["ATT", "event_time::-2", "event_time::0", "event_time::1", "event_time::2"]
    pd.testing.assert_series_equal(window.params, res.params[window.params.index])


def test_point_estimate_equals_imputation_without_covariates() -> None:
    a = two_stage_did(DATA, **COLS)
    b = imputation_did(DATA, **COLS)
    np.testing.assert_allclose(a.params["ATT"], b.params["ATT"], rtol=1e-10)


def test_always_treated_unit_is_excluded_with_warning() -> None:
    extra = pd.DataFrame({"unit": 999, "time": np.arange(1, 9), "g": 1, "x": 0.0, "w": 1.0, "y": np.arange(8.0)})
    with pytest.warns(ExcludedRowsWarning, match="no untreated period"):
        res = two_stage_did(pd.concat([DATA, extra], ignore_index=True), **COLS)
    np.testing.assert_allclose(res.params["ATT"], REF["did2s"]["att"]["coef"][0], rtol=1e-8)


def test_several_rows_per_unit_and_period() -> None:
    rng = np.random.default_rng(5)
    rows = DATA.loc[DATA.index.repeat(2)].reset_index(drop=True)
    rows["y"] = rows["y"] + rng.normal(size=len(rows))
    res = two_stage_did(rows, y="y", time="time", group="g", unit="unit")
    assert np.all(np.isfinite(res.std_errors)) and res.n_clusters == DATA["unit"].nunique()


@pytest.mark.parametrize(("key", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_several_outcomes_equal_one_call_per_outcome(key: str, kwargs: dict) -> None:
    """A list of outcomes shares the design, the first stage and its projections: each result is
    bit for bit that of its own call."""
    data = DATA.assign(y2=DATA["y"] ** 2 - DATA["x"], y3=0.5 * DATA["y"] + DATA["time"])
    joint = two_stage_did(data, y=["y", "y2", "y3"], time="time", group="g", unit="unit", min_e=-3, **kwargs)
    assert list(joint) == ["y", "y2", "y3"]
    for outcome, res in joint.items():
        alone = two_stage_did(data, y=outcome, time="time", group="g", unit="unit", min_e=-3, **kwargs)
        pd.testing.assert_frame_equal(res.tidy(), alone.tidy(), check_exact=True)
        pd.testing.assert_frame_equal(res.cov, alone.cov, check_exact=True)
        assert res.model_name == alone.model_name and res.extra == alone.extra
        np.testing.assert_array_equal(res.scores.scores, alone.scores.scores)
        np.testing.assert_array_equal(res.scores.shares, alone.scores.shares)
    with pytest.raises(PanelValidationError, match="'y2' is missing on other rows than 'y'"):
        two_stage_did(data.assign(y2=data["y2"].where(data.index != 7)), y=["y", "y2"], time="time", group="g",
                      unit="unit")
