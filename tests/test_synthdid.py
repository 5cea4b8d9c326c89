"""Synthetic DiD on California's Proposition 99 against the paper and a reference implementation.

Paper: Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021, AER), Table 1: SDID -15.6,
SC -19.6, DID -27.3.  Reference: tests/reference/synthdid.json, made by
tests/reference/make_synthdid.py with synthdid-py 0.1.0 (a port of R synthdid) on the R
package's data (tests/data/california_prop99.csv).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.estimators import SynthDiDResult, synthdid

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "synthdid.json").read_text())
PAPER = {"sdid": -15.6, "sc": -19.6, "did": -27.3}
_CACHE: dict[tuple, SynthDiDResult] = {}


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    data = pd.read_csv(HERE / "data" / "california_prop99.csv", sep=";")
    return data.assign(first=np.where(data["State"] == "California", 1989, 0))


def with_starts(data: pd.DataFrame, starts: dict[str, int]) -> pd.DataFrame:
    return data.assign(first=data["State"].map(starts).fillna(0).astype(int))


def fit(data: pd.DataFrame, key: tuple, **kwargs) -> SynthDiDResult:
    if key not in _CACHE:
        _CACHE[key] = synthdid(data, y="PacksPerCapita", time="Year", group="first", unit="State", **kwargs)
    return _CACHE[key]


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_prop99_matches_paper_and_reference(prop99, method):
    res = fit(prop99, ("block", method), method=method, n_reps=2, rng=1)
    ref = REF["block"][method]
    assert round(res.att, 1) == PAPER[method]
    np.testing.assert_allclose(res.att, ref["estimate"], rtol=1e-6)
    omega = res.unit_weights.loc[1989]
    assert list(omega.index) == list(ref["omega"]) and omega.index.name == "State"
    np.testing.assert_allclose(omega.to_numpy(), list(ref["omega"].values()), rtol=1e-6, atol=1e-8)
    lam = res.time_weights.loc[1989]
    assert [int(t) for t in lam.index] == [int(t) for t in ref["lambda"]]
    np.testing.assert_allclose(lam.to_numpy(), list(ref["lambda"].values()), rtol=1e-6, atol=1e-8)
    assert omega.sum() == pytest.approx(1.0) and (omega >= 0).all()


def test_weights_follow_the_method(prop99):
    sdid, sc, did = (fit(prop99, ("block", m), method=m, n_reps=2, rng=1) for m in ("sdid", "sc", "did"))
    assert (sc.time_weights == 0).all()
    assert np.allclose(did.unit_weights, 1 / 38) and np.allclose(did.time_weights, 1 / 19)
    # sparse: the paper's SDID puts weight on a few states and on the last pre periods
    assert (sdid.unit_weights > 0).sum() < 38 and sdid.time_weights.loc[1989].idxmax() >= 1986


def test_did_is_the_double_difference_of_means(prop99):
    res = fit(prop99, ("block", "did"), method="did", n_reps=2, rng=1)
    y = prop99.set_index(["State", "Year"])["PacksPerCapita"].unstack()
    post = y.columns >= 1989
    treated = y.index == "California"
    by_hand = (y.loc[treated, post].mean(axis=None) - y.loc[treated, ~post].mean(axis=None)) - (
        y.loc[~treated, post].mean(axis=None) - y.loc[~treated, ~post].mean(axis=None)
    )
    assert res.att == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_placebo_se_matches_reference_draw_for_draw(prop99, method):
    # the same seed gives the same permutations of the controls as the reference's default_rng
    res = fit(prop99, ("placebo", method), method=method, n_reps=REF["reps"], rng=REF["seed"])
    np.testing.assert_allclose(res.std_errors["ATT"], REF["block"][method]["placebo_se"], rtol=1e-6)


@pytest.mark.parametrize("vcov", ["placebo", "bootstrap"])
@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_resampling_se_with_five_treated_matches_reference(prop99, method, vcov):
    data = with_starts(prop99, dict.fromkeys(REF["block5"]["treated"], 1989))
    res = fit(data, ("block5", method, vcov), method=method, vcov=vcov, n_reps=REF["reps"], rng=REF["seed"])
    np.testing.assert_allclose(res.std_errors["ATT"], REF["block5"][method][f"{vcov}_se"], rtol=1e-6)


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_jackknife_matches_reference(prop99, method):
    ref = REF["block5"]
    data = with_starts(prop99, dict.fromkeys(ref["treated"], 1989))
    res = fit(data, ("block5", method), method=method, vcov="jackknife")
    np.testing.assert_allclose(res.att, ref[method]["estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.unit_weights.to_numpy(), list(ref[method]["omega"].values()), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.std_errors["ATT"], ref[method]["jackknife_se"], rtol=1e-6)
    assert res.draws.shape == (39, 1) and res.cov_type == "jackknife"


def test_staggered_matches_reference(prop99):
    ref = REF["staggered"]
    res = fit(with_starts(prop99, ref["cohorts"]), ("staggered",), vcov="jackknife")
    assert list(res.params.index) == ["ATT", "cohort::1985", "cohort::1989", "cohort::1995"]
    np.testing.assert_allclose(res.att, ref["att"], rtol=1e-6)
    for g, tau in ref["tau"].items():
        np.testing.assert_allclose(res.params[f"cohort::{g}"], tau, rtol=1e-6)
    np.testing.assert_allclose(res.cohorts["share"], list(ref["share"].values()), rtol=1e-12)
    np.testing.assert_allclose(res.std_errors["ATT"], ref["jackknife_se"], rtol=1e-6)
    # cohort shares are treated unit-periods: 2 x 16, 2 x 12, 2 x 6 of 68
    assert list(res.cohorts["n_post"]) == [16, 12, 6]
    assert res.att == pytest.approx(float(res.cohorts["share"] @ res.cohorts["estimate"]))
    assert res.cov.shape == (4, 4) and np.allclose(np.sqrt(np.diag(res.cov)), res.std_errors)


def test_single_cohort_is_the_block_design(prop99):
    ref = REF["block5"]
    data = with_starts(prop99, dict.fromkeys(ref["treated"], 1989))
    res = fit(data, ("block5", "sdid"), method="sdid", vcov="jackknife")
    assert list(res.params.index) == ["ATT"]
    assert list(res.cohorts["share"]) == [1.0]


def test_result_is_immutable_and_displays(prop99):
    before = prop99.copy()
    res = fit(prop99, ("block", "sdid"), method="sdid", n_reps=2, rng=1)
    pd.testing.assert_frame_equal(prop99, before)
    weights = res.unit_weights
    weights.iloc[0] = 99.0
    assert res.unit_weights.iloc[0] != 99.0
    with pytest.raises(ValueError):
        res.draws[0, 0] = 0.0
    with pytest.raises(ValueError):
        res.outcomes[0, 0] = 0.0
    tidy = res.tidy()
    assert list(tidy["term"]) == ["ATT"] and {"std_error", "p_value", "conf_low"} <= set(tidy.columns)
    assert "Synthetic DiD: PacksPerCapita" in str(res.summary())
    assert "<h4>" in res._repr_html_()
    paths = res.trajectories
    post = paths[paths["post"]]
    assert post["effect"].mean() == pytest.approx(res.att)


def test_not_yet_treated_donors_by_hand(prop99):
    """``control_group="not_yet_treated"``: the 1985 cohort (Nevada, Utah) is the block design
    on the years before 1989 with the 1989 cohort (California, Montana) among its donors; the
    1989 cohort is the block design against the never-treated states; the ATT weights them
    by treated unit-periods within their blocks (2 x 4 and 2 x 12)."""
    starts = {"Nevada": 1985, "Utah": 1985, "California": 1989, "Montana": 1989}
    data = with_starts(prop99, starts)
    res = synthdid(data, y="PacksPerCapita", time="Year", group="first", unit="State",
                   control_group="not_yet_treated", vcov="jackknife")
    early = with_starts(prop99.loc[prop99["Year"] < 1989], {"Nevada": 1985, "Utah": 1985})
    late = with_starts(prop99.loc[~prop99["State"].isin(["Nevada", "Utah"])], {"California": 1989, "Montana": 1989})
    by_hand = [synthdid(d, y="PacksPerCapita", time="Year", group="first", unit="State", vcov="jackknife")
               for d in (early, late)]
    for term, hand, cohort in (("cohort::1985", by_hand[0], 1985), ("cohort::1989", by_hand[1], 1989)):
        # the same donors, in another row order (never-treated first, then later cohorts)
        assert res.params[term] == pytest.approx(hand.att, rel=1e-8)
        pd.testing.assert_series_equal(res.unit_weights.loc[cohort].sort_index(),
                                       hand.unit_weights.loc[cohort].sort_index(), rtol=1e-8, atol=1e-10)
        pd.testing.assert_series_equal(res.time_weights.loc[cohort], hand.time_weights.loc[cohort], rtol=1e-8,
                                       atol=1e-10)
    assert {"California", "Montana"} <= set(res.unit_weights.loc[1985].index)
    assert list(res.cohorts["n_post"]) == [4, 12] and list(res.cohorts["n_control"]) == [37, 35]
    assert res.att == pytest.approx((8 * by_hand[0].att + 24 * by_hand[1].att) / 32, rel=1e-8)
    assert res.extra["control_group"] == "not_yet_treated" and np.isfinite(res.std_errors).all()
    assert res.trajectories.groupby("cohort")["time"].max().to_dict() == {1985: 1988, 1989: 2000}
    never = fit(data, ("staggered2",), vcov="jackknife")
    assert never.params["cohort::1989"] == pytest.approx(res.params["cohort::1989"], rel=1e-12)
    assert never.params["cohort::1985"] != pytest.approx(res.params["cohort::1985"], rel=1e-3)
    with pytest.raises(EvalkitError, match="control_group must be one of"):
        synthdid(data, y="PacksPerCapita", time="Year", group="first", unit="State", control_group="later")
