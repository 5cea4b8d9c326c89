"""The FUI rollout as a staggered design: event studies of monthly entry cohorts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from evalkit.errors import CellDesignError, DesignError
from evalkit.estimators.att_gt import att_gt
from evalkit.panel import read_panel
from evalkit.replications.fui.event_study import entry_cohorts, event_study_covariates, fui_event_study
from evalkit.replications.fui.labels import warning_text
from evalkit.replications.fui.run import run_fui
from evalkit.replications.fui.sample import FuiSpec
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel

ESTIMATORS = {"imputation (BJS)", "two-stage (Gardner)", "Callaway-Sant'Anna (DR)"}


@pytest.fixture(scope="module")
def truth_study():
    # no county shocks: the recovery checks pool event times with inverse-variance weights,
    # which assumes their errors independent (county x month shocks correlate them)
    data = simulate_fui_panel(
        scale=0.4, seed=5, effects={"education": 0.06, "employment": 0.0}, noise="bernoulli", county_icc=0
    )
    cohorts = entry_cohorts(read_panel(data.panel), data.unemployment, norway_2017_schedule())
    return cohorts, fui_event_study(cohorts, horizons=(1, 3, 6))


def test_layout_and_event_time(truth_study):
    cohorts, study = truth_study
    est = study.estimates
    assert set(est["estimator"]) == ESTIMATORS
    assert set(est["horizon"]) == {1, 3, 6}
    # the reference cohort of the two-stage event study is the last one followed up entirely before FUI
    two_stage = est[(est["estimator"] == "two-stage (Gardner)") & (est["outcome"] == "employed")]
    for k in (1, 3, 6):
        times = set(two_stage.loc[two_stage["horizon"] == k, "event_time"])
        assert -k - 1 not in times and -k in times
    # no cohort whose outcome month falls in or after the rest of Norway's start is used
    row = study.cohorts.set_index(["outcome", "horizon"]).loc[("employed", 3)]
    assert row["last_month"] == "2017-03"
    # every new user is used or excluded for a counted reason
    excluded = study.cohorts.filter(like="excluded_").sum(axis=1)
    assert (study.cohorts["entrants"] == study.cohorts["used"] + excluded).all()
    assert (study.cohorts["entrants"] == len(cohorts)).all()
    assert (study.cohorts["excluded_missing_education_level"] > 0).all()
    assert row["excluded_missing_education_level"] == int(
        (cohorts["education_level"].isna() & cohorts["female"].notna() & cohorts["employed_3"].notna()
         & (cohorts["entry_month"] < cohorts["start_month"].max() - 3)).sum())


def test_effect_of_cohorts_entering_under_fui_is_recovered(truth_study):
    _, study = truth_study
    exposed = study.exposed_effects()
    entered_under_fui = exposed[(exposed["event_time"] >= 0) & (exposed["outcome"] == "in_education")]
    assert len(entered_under_fui) > 0
    # pooled over event times, the imputation estimate is close to the true +0.06
    weights = 1 / entered_under_fui["std_error"] ** 2
    pooled = np.sum(weights * entered_under_fui["estimate"]) / np.sum(weights)
    pooled_se = np.sqrt(1 / np.sum(weights))
    assert abs(pooled - 0.06) < 3 * pooled_se, (pooled, pooled_se)
    employed = exposed[(exposed["event_time"] >= 0) & (exposed["outcome"] == "employed")]
    w = 1 / employed["std_error"] ** 2
    assert abs(np.sum(w * employed["estimate"]) / np.sum(w)) < 3 * np.sqrt(1 / np.sum(w))


def test_imputation_and_two_stage_agree_on_post_periods(truth_study):
    _, study = truth_study
    est = study.estimates.set_index(["outcome", "horizon", "event_time", "estimator"])["estimate"].unstack()
    both = est[["imputation (BJS)", "two-stage (Gardner)"]].dropna()
    # equal without covariates; with covariates the second stage reweights slightly
    np.testing.assert_allclose(both.iloc[:, 0], both.iloc[:, 1], atol=0.02)


def test_pretrend_tests_are_reported(truth_study):
    _, study = truth_study
    tests = study.pretrend_tests
    assert len(tests) == 6
    computed = tests["p_value"].notna()
    assert computed.any()
    assert tests.loc[computed, "p_value"].between(0, 1).all()


def test_plots(truth_study):
    import matplotlib

    matplotlib.use("Agg")
    _, study = truth_study
    fig = study.plot_all()
    assert len(fig.axes) == 6
    assert study.plot("employed", 1).axes[0].get_title() == "Employed, 1 month after entry"


def test_sensitivity_to_parallel_trend_violations(truth_study):
    _, study = truth_study
    sens = study.sensitivity
    assert set(sens["horizon"]) == {1, 3, 6}
    assert set(sens["m"]) == {0.0, 0.25, 0.5, 0.75, 1.0}
    for _, part in sens.groupby(["outcome", "horizon"]):
        part = part.sort_values("m")
        # relative-magnitude sets are nested: intervals only widen as Mbar grows
        assert (part["conf_low"].diff().dropna() <= 1e-12).all()
        assert (part["conf_high"].diff().dropna() >= -1e-12).all()
        assert part["breakdown"].nunique() == 1


@pytest.fixture(scope="module")
def small_extract():
    """A 2% national panel: some ATT(g,t) cells hold a couple of dozen entrants."""
    data = simulate_fui_panel(scale=0.02)
    return data, entry_cohorts(read_panel(data.panel), data.unemployment, norway_2017_schedule())


@pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")
def test_a_cell_too_small_for_callaway_santanna_names_the_cell(small_extract):
    _, cohorts = small_extract
    data = cohorts[cohorts["employed_1"].notna() & cohorts["education_level"].notna()
                   & (cohorts["entry_month"] < cohorts["start_month"].max() - 1)]
    data = data.assign(group=data["start_month"] - 1, entry_month=data["entry_month"].astype("int64"))
    with pytest.raises(CellDesignError, match=r"ATT\(g,t\) of cohort \d+ in period \d+: covariates are collinear") \
            as caught:
        att_gt(data, y="employed_1", time="entry_month", group="group", covariates=list(event_study_covariates(
            FuiSpec())), control_group="not_yet_treated", est_method="dr", panel=False, cluster="county")
    error = caught.value
    assert error.group in set(data["group"]) and error.period in set(data["entry_month"])
    assert isinstance(error.__cause__, DesignError)  # the singular outcome regression within the cell
    # the reason alone: no cell (month indices in the FUI) and no advice on att_gt's arguments
    assert re.fullmatch(r"covariates are collinear among the \d+ units of an outcome regression", error.reason)


def test_small_extract_keeps_the_other_estimators_and_says_why(small_extract):
    _, cohorts = small_extract
    study = fui_event_study(cohorts, horizons=(1, 6), n_boot=None)
    left_out = study.not_estimated
    assert list(left_out.columns) == ["outcome", "horizon", "estimator", "entry_month", "start_month", "reason"]
    assert set(zip(left_out["outcome"], left_out["horizon"])) == {("employed", 1), ("in_education", 1)}
    assert set(left_out["estimator"]) == {"Callaway-Sant'Anna (DR)"}
    assert left_out["reason"].str.startswith("covariates are collinear among the").all()
    assert (left_out["entry_month"] >= left_out["start_month"]).all()  # a treated cohort's post-period cell
    est = study.estimates
    for (outcome, horizon), shown in est.groupby(["outcome", "horizon"])["estimator"]:
        expected = ESTIMATORS - ({"Callaway-Sant'Anna (DR)"} if horizon == 1 else set())
        assert set(shown) == expected, (outcome, horizon)


def test_the_run_reports_an_estimator_left_out_as_a_coded_warning(small_extract):
    data, _ = small_extract
    rep = run_fui(read_panel(data.panel), data.unemployment, few_clusters=False, n_boot=99, placebo=False,
                  event_study_horizons=(1,))
    coded = [w for w in rep.coded_warnings() if w["code"] == "event_study_not_estimated"]
    assert [(w["outcome"], w["horizon"]) for w in coded] == [("employed", 1), ("in_education", 1)]
    assert coded[0]["message"].startswith("Event study, employed 1 mo: Callaway-Sant'Anna (DR) not estimated: its "
                                          f"ATT(g,t) cell of the {coded[0]['entry_month']} entrants")
    norwegian = warning_text(coded[0], "nb", few_clusters=False)
    assert norwegian.startswith("Hendelsesstudie, I arbeid 1 mnd.: Callaway-Sant'Anna (DR) er ikke estimert")
    assert "event_study_not_estimated" in rep.summary().notes[0]
