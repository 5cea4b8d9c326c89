"""The efficient estimator under staggered random timing (Roth & Sant'Anna 2023) against
the R package staggered's README (procedural-justice training of Chicago police officers)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.estimators import staggered_efficient
from evalkit.inference import wild_cluster_bootstrap
from evalkit.sensitivity import honest_did

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "staggered_pj.json").read_text())
COLUMNS = dict(y="complaints", time="period", group="first_trained", unit="uid")


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    y = wide.filter(like="complaints_").to_numpy()
    n, T = y.shape
    return pd.DataFrame({
        "uid": np.repeat(wide["uid"].to_numpy(), T),
        "period": np.tile(np.arange(1, T + 1), n),
        "first_trained": np.repeat(wide["first_trained"].to_numpy(), T),
        "complaints": y.ravel().astype(float),
    })


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "pj_officer_complaints.csv.gz")


@pytest.fixture(scope="module")
def officers(wide) -> pd.DataFrame:
    return _long(wide)


@pytest.fixture(scope="module")
def subset(wide) -> pd.DataFrame:
    """Six cohorts (about 1,500 officers): small enough for randomization tests."""
    keep = wide["first_trained"].isin([19, 21, 33, 34, 45, 46])
    return _long(wide[keep])


def _check(res, term: str, key: str) -> None:
    est, se, se_neyman = REF["printed"][key]
    # 7 significant digits as printed
    assert res.params[term] == pytest.approx(est, rel=5e-7, abs=0), key
    assert res.std_errors[term] == pytest.approx(se, rel=5e-7), key
    assert res.std_errors_neyman[term] == pytest.approx(se_neyman, rel=5e-7), key


@pytest.mark.parametrize("estimand", ["simple", "cohort", "calendar"])
def test_aggregations_match_readme(officers, estimand):
    _check(staggered_efficient(officers, estimand=estimand, **COLUMNS), "ATT", estimand)


def test_event_study_matches_readme_and_feeds_honest_did(officers):
    res = staggered_efficient(officers, estimand="eventstudy", event_times=range(-3, 6), **COLUMNS)
    for e in range(6):
        _check(res, f"event_time::{e}", f"eventstudy_{e}")
    assert res.params["event_time::-1"] == pytest.approx(0, abs=1e-12)
    assert np.isnan(res.std_errors["event_time::-1"])
    cov = res.cov.to_numpy()
    ok = np.isfinite(res.std_errors.to_numpy())
    np.testing.assert_allclose(np.sqrt(np.diag(cov))[ok], res.std_errors.to_numpy()[ok], rtol=1e-12)
    assert res.reference == (-1,)
    sens = honest_did(res, m=[0.5])
    assert np.isfinite(sens.tidy()["conf_low"]).all()


def test_callaway_santanna_and_sun_abraham_special_cases(officers):
    """beta = 1 with not-yet-treated (staggered_cs) and last-treated (staggered_sa) cohorts."""
    _check(staggered_efficient(officers, beta=1, **COLUMNS), "ATT", "cs_simple")
    _check(staggered_efficient(officers, beta=1, control_group="last_treated", **COLUMNS), "ATT", "sa_simple")


def test_fisher_randomization_test(subset):
    """Studentized Fisher test over adoption dates: the observed statistic is the t-ratio,
    and a true effect is detected.  (R's 500 draws cannot be reproduced: its RNG differs.)"""
    res = staggered_efficient(subset, **COLUMNS)
    test = res.fisher_test(n_permutations=39, rng=5)
    assert test.statistic == pytest.approx(res.params["ATT"] / res.std_errors["ATT"], rel=1e-12)
    assert test.distribution.shape == (39,) and 0 < test.p_value <= 1
    again = res.fisher_test(n_permutations=39, rng=5)
    assert again.p_value == test.p_value
    shifted = subset.assign(complaints=subset["complaints"] + 0.2 * (subset["period"] >= subset["first_trained"]))
    strong = staggered_efficient(shifted, **COLUMNS).fisher_test(n_permutations=39, rng=5, vcov="neyman")
    assert strong.p_value <= 1 / 39


def test_wild_bootstrap_and_result_contract(subset):
    res = staggered_efficient(subset, estimand="cohort", **COLUMNS)
    wb = wild_cluster_bootstrap(res, "ATT", n_boot=199, rng=1)
    assert 0 < wb.p_value <= 1
    tidy = res.tidy()
    assert {"std_error_neyman", "beta", "event_time"} <= set(tidy.columns)
    assert res.extra["estimand"] == "cohort" and "<table" in res._repr_html_()
    assert res.beta["ATT"] != 0
    zero = staggered_efficient(subset, beta=0, **COLUMNS)
    assert zero.beta["ATT"] == 0 and zero.params["ATT"] != res.params["ATT"]


def test_user_errors_name_the_columns(subset):
    with pytest.raises(DesignError, match="estimand must be one of"):
        staggered_efficient(subset, estimand="dynamic", **COLUMNS)
    with pytest.raises(DesignError, match="event_times are for"):
        staggered_efficient(subset, event_times=[0], **COLUMNS)
    with pytest.raises(EvalkitError, match="control_group"):
        staggered_efficient(subset, control_group="never_treated", **COLUMNS)
    unbalanced = subset.drop(index=subset.index[:3])
    with pytest.raises(DesignError, match="balanced panel.*'uid'"):
        staggered_efficient(unbalanced, **COLUMNS)
    one = subset.loc[subset["first_trained"] == 19, "uid"].iloc[0]
    single = subset[(subset["first_trained"] != 19) | (subset["uid"] == one)]
    with pytest.warns(ExcludedRowsWarning, match="single unit"):
        staggered_efficient(single, **COLUMNS)
    before = subset.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        staggered_efficient(subset, **COLUMNS)
    pd.testing.assert_frame_equal(subset, before)
