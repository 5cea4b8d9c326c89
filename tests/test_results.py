"""Result objects: one protocol for test results; estimation results immutable in fact."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

from evalkit.results import EstimationResult, HypothesisTest, InvalidTest, WaldTest, read_only


def test_wald_test_protocol():
    test = WaldTest(statistic=4.2, df_num=3, p_value=0.24, null="pre-trends = 0")
    assert isinstance(test, HypothesisTest)
    row = test.tidy().iloc[0]
    assert row["term"] == "pre-trends = 0" and row["statistic"] == 4.2 and row["p_value"] == 0.24
    assert row["df_num"] == 3 and np.isnan(row["conf_low"])
    assert list(test.conf_int().columns) == ["lower", "upper"]
    assert "chi2(3)" in str(test) and "Wald test" in str(test.summary())
    with pytest.raises(FrozenInstanceError):
        test.p_value = 0.5  # type: ignore[misc]


def test_invalid_test_protocol():
    test = InvalidTest("fewer than two pre-periods")
    assert np.isnan(test.statistic) and np.isnan(test.p_value)
    assert test.tidy().iloc[0]["reason"] == "fewer than two pre-periods"
    assert "fewer than two pre-periods" in str(test.summary())


def _result(**changes):
    terms = pd.Index(["a", "b"])
    fields = dict(
        params=pd.Series([1.0, 2.0], index=terms),
        std_errors=pd.Series([0.5, 0.25], index=terms),
        nobs=10,
        cov_type="test",
        cov=pd.DataFrame([[0.25, 0.01], [0.01, 0.0625]], index=terms, columns=terms),
        extra={"k": 1},
    )
    fields.update(changes)
    return EstimationResult(**fields)


def test_estimation_result_returns_copies_and_a_read_only_mapping():
    params = pd.Series([1.0, 2.0], index=["a", "b"])
    res = _result(params=params)
    params.iloc[0] = 5.0  # the caller's series is not the result's
    assert res.params.iloc[0] == 1.0
    got = res.params
    got.iloc[1] = 7.0
    assert res.params.iloc[1] == 2.0
    with pytest.raises(TypeError):
        res.extra["k"] = 2  # type: ignore[index]
    assert dict(res.extra) == {"k": 1}
    assert res.tidy()["estimate"].tolist() == [1.0, 2.0]


def test_covariance_must_match_standard_errors():
    with pytest.raises(ValueError, match="inconsistent"):
        _result(std_errors=pd.Series([0.5, 0.3], index=["a", "b"]))
    nan_se = _result(std_errors=pd.Series([0.5, np.nan], index=["a", "b"]))  # NaN (floored) SEs are skipped
    assert np.isnan(nan_se.std_errors["b"])
    assert _result(cov=None).cov is None


def test_read_only_copies_arrays():
    arr = np.arange(3.0)
    ro = read_only(arr)
    arr[0] = 9.0
    assert ro[0] == 0.0 and not ro.flags.writeable
    assert read_only(None) is None
