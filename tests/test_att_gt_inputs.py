"""Bad input gets clear evalkit errors; excluded rows are warned about and counted."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import (
    CellDesignError,
    DesignError,
    EvalkitError,
    ExcludedRowsWarning,
    PanelValidationError,
    ScheduleError,
)
from evalkit.estimators.att_gt import att_gt
from evalkit.staggered import first_treated_from_indicator, first_treated_from_schedule

DATA = Path(__file__).parent / "data" / "mpdta.csv"
KW = dict(y="lemp", time="year", group="first.treat", unit="countyreal")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_group_varying_within_unit(mpdta: pd.DataFrame) -> None:
    bad = mpdta.copy()
    bad.loc[(bad["countyreal"] == 8001) & (bad["year"] == 2005), "first.treat"] = 2006
    with pytest.raises(ScheduleError, match=r"first.treat.*8001"):
        att_gt(bad, **KW)


def test_treatment_switching_off() -> None:
    df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3] * 2, "d": [0, 1, 0, 0, 1, 1]})
    with pytest.raises(ScheduleError, match=r"switches off.*\[1\]"):
        first_treated_from_indicator(df, unit="id", time="t", treated="d")
    ok = first_treated_from_indicator(df.assign(d=[0, 0, 0, 0, 1, 1]), unit="id", time="t", treated="d")
    assert ok.to_dict() == {1: 0, 2: 2}


def test_schedule_mapping() -> None:
    schedule = pd.DataFrame({"county": ["A", "B"], "start": [3, 5]})
    out = first_treated_from_schedule(pd.Series(["A", "B", "C"]), schedule, unit="county", start="start", unscheduled="never")
    assert out.tolist() == [3, 5, 0]
    with pytest.raises(ScheduleError, match="C"):
        first_treated_from_schedule(pd.Series(["A", "C"]), schedule, unit="county", start="start")


def test_cohort_treated_in_first_period_is_dropped_with_count(mpdta: pd.DataFrame) -> None:
    data = mpdta.copy()
    early = data["countyreal"].isin(data["countyreal"].unique()[:7])
    data.loc[early, "first.treat"] = 2003
    with pytest.warns(ExcludedRowsWarning, match="excluded 7 units: treated in or before the first period"):
        res = att_gt(data, **KW)
    assert res.nobs == 493
    assert 2003 not in res.group


def test_no_never_treated_units(mpdta: pd.DataFrame) -> None:
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(DesignError, match="no never-treated units"):
        att_gt(treated_only, **KW)
    with pytest.warns(ExcludedRowsWarning, match="periods >= 2007"):
        res = att_gt(treated_only, **KW, control_group="not_yet_treated")
    assert set(res.group) == {2004, 2006}
    assert res.time.max() == 2006


def test_unbalanced_panel_units_kept_or_dropped(mpdta: pd.DataFrame) -> None:
    data = mpdta.drop(index=[0, 7])  # one row of each of two counties
    assert att_gt(data, **KW).nobs == 500
    with pytest.warns(ExcludedRowsWarning, match="excluded 2 units: not observed in all 5 periods"):
        res = att_gt(data, **KW, allow_unbalanced_panel=False)
    assert res.nobs == 498


def test_missing_group_is_an_error(mpdta: pd.DataFrame) -> None:
    data = mpdta.astype({"first.treat": float})
    data.loc[[5, 6], "first.treat"] = np.nan
    with pytest.raises(ScheduleError, match=r"'first.treat'.*missing in 2 rows, e.g. rows \[5, 6\].*as 0"):
        att_gt(data, **KW, control_group="not_yet_treated")


def test_never_treated_coded_inf_equals_zero(mpdta: pd.DataFrame) -> None:
    data = mpdta.astype({"first.treat": float})
    data.loc[data["first.treat"] == 0, "first.treat"] = np.inf
    a, b = att_gt(mpdta, **KW), att_gt(data, **KW)
    pd.testing.assert_series_equal(a.params, b.params)


def test_non_integer_time_is_an_error(mpdta: pd.DataFrame) -> None:
    data = mpdta.astype({"year": float})
    data.loc[3, "year"] = 2004.5
    with pytest.raises(PanelValidationError, match=r"'year' must hold integer-valued periods.*rows \[3\]"):
        att_gt(data, **KW)


def test_missing_values_dropped(mpdta: pd.DataFrame) -> None:
    data = mpdta.copy()
    data.loc[[3, 4, 5], "lemp"] = np.nan
    with pytest.warns(ExcludedRowsWarning, match="excluded 3 rows: missing values \\('lemp': 3\\)"):
        att_gt(data, **KW, panel=False)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"y": "nope"}, PanelValidationError, "nope"),
        ({"unit": None}, PanelValidationError, "unit column"),
        ({"control_group": "everyone"}, ValueError, "control_group"),
        ({"base_period": "fixed"}, ValueError, "base_period"),
        ({"est_method": "ols"}, ValueError, "est_method"),
        ({"anticipation": -1}, ValueError, "anticipation"),
    ],
    ids=["missing-column", "panel-without-unit", "bad-control", "bad-base", "bad-method", "bad-anticipation"],
)
def test_bad_arguments(mpdta: pd.DataFrame, change: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        att_gt(mpdta, **{**KW, **change})


def test_duplicate_unit_period(mpdta: pd.DataFrame) -> None:
    with pytest.raises(PanelValidationError, match="more than one row"):
        att_gt(pd.concat([mpdta, mpdta.iloc[:1]]), **KW)


def test_aggregation_event_time_without_data(mpdta: pd.DataFrame) -> None:
    res = att_gt(mpdta, **KW)
    with pytest.raises(DesignError, match="no ATT\\(g,t\\) with event time in \\[5"):
        res.aggregate("dynamic", min_e=5)
    with pytest.raises(DesignError, match="balance_e=9"):
        res.aggregate("dynamic", balance_e=9)
    with pytest.raises(ValueError, match="kind"):
        res.aggregate("cohort")


def test_inputs_not_mutated(mpdta: pd.DataFrame) -> None:
    before = mpdta.copy()
    att_gt(mpdta, **KW, covariates=["lpop"])
    pd.testing.assert_frame_equal(mpdta, before)


def test_list_covariates_equal_formula(mpdta: pd.DataFrame) -> None:
    a = att_gt(mpdta, **KW, covariates=["lpop"])
    b = att_gt(mpdta, **KW, covariates="~ lpop")
    pd.testing.assert_series_equal(a.params, b.params)


def test_custom_cell_estimator(mpdta: pd.DataFrame) -> None:
    from evalkit.estimators.att_gt_cells import reg_panel

    def my_reg(y1, y0, treated, covariates, weights):
        return reg_panel(y1, y0, treated, covariates, weights)

    res = att_gt(mpdta, **KW, est_method=my_reg)
    ref = att_gt(mpdta, **KW, est_method="reg")
    pd.testing.assert_series_equal(res.params, ref.params)
    assert res.extra["est_method"] == "my_reg"


def test_collinear_covariates_named(mpdta: pd.DataFrame) -> None:
    data = mpdta.assign(lpop2=2 * mpdta["lpop"] + 1)
    with pytest.raises(DesignError, match=r"covariate\(s\) \['lpop2'\] are collinear"):
        att_gt(data, **KW, covariates=["lpop", "lpop2"])


def test_integer_periods_are_coded_as_by_sorting_the_distinct_values() -> None:
    from evalkit.staggered.design import code_periods

    rng = np.random.default_rng(4)
    for values in (rng.integers(-5, 30, 500), rng.integers(0, 10**9, 50), rng.integers(0, 9, 300).astype(np.uint16),
                   np.array([201701, 201703, 201702, 201701])):
        t = values.astype(float)
        periods, code = code_periods(t, values)
        expected = np.sort(pd.unique(t))
        np.testing.assert_array_equal(periods, expected)
        np.testing.assert_array_equal(code, np.searchsorted(expected, t))
        assert periods.dtype == np.float64 and code.dtype == np.intp


@pytest.mark.parametrize("method", ["ipw", "reg", "dr"])
@pytest.mark.parametrize("missing, message, reason", [
    (0, "no comparison observations (never-treated) for cohort 3 in period 4",
     "no comparison observations (never-treated) in one of the cell's periods"),
    (3, "no observations of cohort 3 in period 4", "no observations of the cohort in one of the cell's periods"),
])
def test_cross_section_cell_without_one_side_in_a_period_names_it(method, missing, message, reason) -> None:
    # repeated cross-sections: the comparison group (or the cohort) is not observed in
    # period 4; every estimator says so for the cell, instead of NaN or a singular fit
    rng = np.random.default_rng(1)
    rows = pd.DataFrame([{"time": t, "g": g, "y": rng.normal()} for t in range(1, 6) for g in (0, 3, 5)
                         for _ in range(15)])
    rows = rows[~((rows["g"] == missing) & (rows["time"] == 4))]
    with pytest.raises(CellDesignError, match=re.escape(message)) as caught:
        att_gt(rows, y="y", time="time", group="g", panel=False, est_method=method)
    assert (caught.value.group, caught.value.period, caught.value.reason) == (3, 4, reason)


@pytest.mark.parametrize("option, message", [
    ({"control_group": "later_treated"}, "control_group must be 'never_treated' or 'not_yet_treated'"),
    ({"base_period": "fixed"}, "base_period must be 'varying' or 'universal'"),
    ({"anticipation": -1}, "anticipation must be a non-negative integer"),
    ({"est_method": "ols"}, "est_method must be 'dr', 'ipw', 'reg' or a callable"),
    ({"y": ["lemp", "lemp"]}, "y must name an outcome or distinct outcomes"),
])
def test_bad_options_are_evalkit_errors(mpdta: pd.DataFrame, option, message) -> None:
    with pytest.raises(EvalkitError, match=re.escape(message)):
        att_gt(mpdta, **{**KW, **option})
