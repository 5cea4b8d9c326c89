"""TWFE event study: frozen pyfixest reference, binning, errors, and the simulation where
static TWFE is biased while Sun-Abraham, imputation and two-stage DiD recover the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, ExcludedRowsWarning, ScheduleError
from evalkit.estimators.event_study import EventStudyResult, event_study
from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.two_stage import two_stage_did
from evalkit.regression import feols
from evalkit.simulate import simulate_staggered
from evalkit.staggered.cohorts import relative_period
from evalkit.staggered.event_data import bin_event_times

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}


@pytest.mark.parametrize("case", REF["twfe"], ids=[c["id"] for c in REF["twfe"]])
def test_matches_pyfixest(case: dict) -> None:
    res = event_study(DATA, **COLS, **case["kwargs"])
    assert [t.replace("rel::", "event_time::") for t in case["terms"]] == list(res.params.index)
    np.testing.assert_allclose(res.params, case["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.std_errors, case["se"], rtol=1e-8)


def test_tidy_has_event_time_and_plot_draws() -> None:
    res = event_study(DATA, **COLS, min_e=-3, max_e=3)
    tidy = res.tidy()
    assert tidy["event_time"].tolist() == [-3, -2, 0, 1, 2, 3]
    assert {"conf_low", "conf_high", "estimate"} <= set(tidy.columns)
    fig = res.plot()
    assert len(fig.axes[0].lines) >= 1


def test_unbinned_window_excludes_rows_with_warning() -> None:
    with pytest.warns(ExcludedRowsWarning, match="outside"):
        res = event_study(DATA, **COLS, min_e=-2, max_e=2, bin_endpoints=False)
    assert res.event_time.tolist() == [-2, 0, 1, 2]
    assert res.nobs < len(DATA)


def test_input_not_mutated() -> None:
    before = DATA.copy()
    event_study(DATA, **COLS)
    pd.testing.assert_frame_equal(DATA, before)


def test_binning_helper() -> None:
    rel = relative_period(np.array([1, 5, 9, 3]), np.array([4, 4, 4, 0]))
    binned, outside = bin_event_times(rel, min_e=-2, max_e=3, bin_endpoints=True)
    np.testing.assert_array_equal(binned[:3], [-2, 1, 3])
    assert np.isnan(binned[3]) and not outside.any()


ESTIMATORS = {
    "event_study": event_study,
    "sun_abraham": sun_abraham,
    "imputation": imputation_did,
    "two_stage": two_stage_did,
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_group_varying_within_unit_is_an_error(name: str) -> None:
    bad = DATA.copy()
    unit0 = bad["unit"] == bad.loc[bad["g"] > 0, "unit"].iloc[0]
    bad.loc[unit0 & (bad["time"] > 6), "g"] = 0
    with pytest.raises(ScheduleError, match="varies within 1 unit"):
        ESTIMATORS[name](bad, **COLS)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_always_treated_units_are_excluded_with_count(name: str) -> None:
    late = DATA.loc[DATA["time"] >= 4]
    n_always = late.loc[late["g"].between(1, 4), "unit"].nunique()
    with pytest.warns(ExcludedRowsWarning, match=f"excluded {n_always} units: treated in or before the first period 4"):
        res = ESTIMATORS[name](late, **COLS)
    expected = ESTIMATORS[name](late.loc[~late["g"].between(1, 4)], **COLS)
    pd.testing.assert_series_equal(res.params, expected.params)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_missing_group_is_an_error(name: str) -> None:
    bad = DATA.astype({"g": float})
    bad.loc[bad.index[:2], "g"] = np.nan
    with pytest.raises(ScheduleError, match="missing in 2 rows"):
        ESTIMATORS[name](bad, **COLS)


@pytest.mark.parametrize("name", ["imputation", "two_stage", "sun_abraham"])
def test_no_untreated_comparison_is_an_error(name: str) -> None:
    only_treated = DATA.loc[DATA["g"] == 3]
    with pytest.raises(DesignError):
        ESTIMATORS[name](only_treated, **COLS)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("event_study", {"min_e": -9}), ("event_study", {"max_e": 12}), ("imputation", {"max_e": 9}),
     ("imputation", {"min_e": -9})],
    ids=["min_e", "max_e", "horizon", "pretrends"],
)
def test_event_time_without_data_is_an_error(name: str, kwargs: dict) -> None:
    with pytest.raises(DesignError, match="event time|horizon"):
        ESTIMATORS[name](DATA, **COLS, **kwargs)


def test_simulation_static_twfe_biased_robust_estimators_recover_truth() -> None:
    """Dynamic effects 0.5 + 0.6 e: static TWFE is off by > 3 SE, robust estimators are not."""
    sim = simulate_staggered(300, 10, {3: 0.4, 6: 0.4}, effect=lambda e, g: 0.5 + 0.6 * e,
                             rng=np.random.default_rng(3))
    df = sim.data
    treated = df["treated"] == 1
    truth = float((0.5 + 0.6 * (df["time"] - df["first_treated"]))[treated].mean())
    twfe = feols("y ~ treated | unit + time", df, cluster="unit")
    assert abs(twfe.params.iloc[0] - truth) > 3 * twfe.std_errors.iloc[0]
    cols = {"y": "y", "time": "time", "group": "first_treated", "unit": "unit"}
    for estimator in (sun_abraham, imputation_did, two_stage_did):
        res = estimator(df, **cols)
        assert isinstance(res, EventStudyResult)
        assert abs(res.params["ATT"] - truth) < 3 * res.std_errors["ATT"], estimator.__name__
    dynamic = sim.true_dynamic()
    sa = sun_abraham(df, **cols)
    post = sa.event_time[sa.event_time >= 0]
    z = (sa.params[post.index] - dynamic.reindex(post.to_numpy()).to_numpy()) / sa.std_errors[post.index]
    assert np.all(np.abs(z) < 3)
