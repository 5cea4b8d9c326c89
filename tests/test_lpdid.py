"""LP-DiD (Dube, Girardi, Jordà & Taylor 2023) against pyfixest's lpdid and diff-diff's LPDiD
(tests/reference/make_lpdid.py -> lpdid.json), and its equally weighted estimand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators import lpdid
from evalkit.inference import wild_cluster_bootstrap
from evalkit.simulate import simulate_staggered

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "lpdid.json").read_text())
COLS = dict(y="lemp", time="year", group="first.treat", unit="countyreal")


@pytest.fixture(scope="module")
def mpdta() -> dict[str, pd.DataFrame]:
    full = pd.read_csv(HERE / "data" / "mpdta.csv")
    return {"balanced": full, "unbalanced": full.iloc[np.arange(len(full)) % 10 != 3]}


def _check(res, horizons: list[int], estimate: list[float], std_error: list[float], nobs: list[int]) -> None:
    terms = [f"event_time::{h}" for h in horizons]
    np.testing.assert_allclose(res.params[terms], estimate, rtol=1e-8)
    np.testing.assert_allclose(res.std_errors[terms], std_error, rtol=1e-8)
    assert [res.extra["nobs_by_term"][t] for t in terms] == [int(n) for n in nobs]


def test_matches_pyfixest_lpdid(mpdta: dict) -> None:
    ref = REF["pyfixest"]
    res = lpdid(mpdta["balanced"], **COLS, min_e=-3, max_e=3)
    assert list(res.params.index) == [f"event_time::{h}" for h in (-3, -2, 0, 1, 2, 3)] + ["ATT"]
    _check(res, ref["horizons"], ref["estimate"], ref["std_error"], ref["nobs"])
    assert res.params["ATT"] == pytest.approx(ref["att"], rel=1e-8)
    assert res.std_errors["ATT"] == pytest.approx(ref["att_se"], rel=1e-8)


@pytest.mark.parametrize("case", REF["diff_diff"],
                         ids=lambda c: f"{c['data']}{c['min_e']}{c['max_e']}{c['control_group']}-rw{c['reweight']}-pmd{c['pmd']}")
def test_matches_diff_diff(mpdta: dict, case: dict) -> None:
    control = "never_treated" if case["control_group"] == "never_treated" else "not_yet_treated"
    res = lpdid(mpdta[case["data"]], **COLS, min_e=case["min_e"], max_e=case["max_e"], control_group=control,
                pmd=case["pmd"], reweight=case["reweight"])
    _check(res, case["horizons"], case["estimate"], case["std_error"], case["nobs"])
    post = case["pooled"]["post"]
    assert res.params["ATT"] == pytest.approx(post["estimate"], rel=1e-8)
    assert res.std_errors["ATT"] == pytest.approx(post["std_error"], rel=1e-8)
    assert res.extra["nobs_by_term"]["ATT"] == post["nobs"]


def test_reweighted_is_the_equally_weighted_att(mpdta: dict) -> None:
    """Every newly treated unit counts once: the treated-count weighted mean of the anchor
    periods' 2x2 differences of means (clean controls), computed here by hand."""
    df = mpdta["balanced"]
    wide = df.pivot(index="countyreal", columns="year", values="lemp")
    g = df.drop_duplicates("countyreal").set_index("countyreal")["first.treat"].replace(0, np.inf)
    for h in (0, 1):
        num = den = 0.0
        for t in (2004, 2006, 2007):
            if t + h > 2007:
                continue
            dy = wide[t + h] - wide[t - 1]
            treated, control = g == t, g > t + h
            num += treated.sum() * (dy[treated].mean() - dy[control].mean())
            den += treated.sum()
        res = lpdid(df, **COLS, min_e=0, max_e=1, reweight=True)
        assert res.params[f"event_time::{h}"] == pytest.approx(num / den, rel=1e-10)


def test_known_truth_and_inference() -> None:
    from evalkit.report import etable
    from evalkit.sensitivity import honest_did

    sim = simulate_staggered(600, 8, {3: 0.25, 5: 0.25}, effect=lambda e, g: 0.3 + 0.2 * e + 0.4 * (g == 3),
                             rng=np.random.default_rng(11), noise_sd=0.3, time_sd=0.3)
    res = lpdid(sim.data, y="y", time="time", group="first_treated", unit="unit", min_e=-3, max_e=2, reweight=True)
    truth = sim.true_dynamic()
    for e in range(3):
        assert res.params[f"event_time::{e}"] == pytest.approx(truth[e], abs=0.06)  # SEs ~0.025
    for e in (-3, -2):
        assert abs(res.params[f"event_time::{e}"]) < 0.06
    cov = res.cov.to_numpy()
    assert np.allclose(cov, cov.T) and np.linalg.eigvalsh(cov).min() > -1e-12
    wb = wild_cluster_bootstrap(res, "event_time::0", n_boot=199, rng=5, ci=False)
    # the cluster sums S_g of the influence function sum to zero (normal equations), so the
    # bootstrap-t studentises with G/(G-1) sum_g S_g^2; the CR1 variance is c_h sum_g S_g^2 with
    # c_h = G_h/(G_h-1) (n-1)/(n-k) of the horizon's regression (k = 3: the switch-on, anchors 3 and 5)
    S = res.bootstrap_scores(["event_time::0"]).scores[:, 0]
    G, n = res.n_clusters, res.extra["nobs_by_term"]["event_time::0"]
    assert abs(S.sum()) < 1e-10 * np.abs(S).sum()
    assert res.std_errors["event_time::0"] ** 2 == pytest.approx(
        (n - 1) / (n - 3) * int((S != 0).sum()) / (int((S != 0).sum()) - 1) * (S @ S), rel=1e-10)
    assert wb.statistic == pytest.approx(res.params["event_time::0"] / np.sqrt(G / (G - 1) * (S @ S)), rel=1e-8)
    assert 0 <= wb.p_value <= 1
    assert len(honest_did(res, m=[0.5]).tidy()) >= 1
    assert "| event_time=0 |" in etable([res]).to_markdown()
    assert "LP-DiD (reweighted)" in str(res.summary()) and "<table" in res._repr_html_()


def test_user_errors(mpdta: dict) -> None:
    df = mpdta["balanced"]
    with pytest.raises(EvalkitError, match="pmd must be"):
        lpdid(df, **COLS, pmd=0)
    with pytest.raises(EvalkitError, match="reweight=True with covariates"):
        lpdid(df, **COLS, reweight=True, covariates=["lpop"])
    with pytest.raises(DesignError, match="control_group"):
        lpdid(df, **COLS, control_group="last_treated")  # type: ignore[arg-type]
    with pytest.raises(DesignError, match="min_e=2 is after max_e=1"):
        lpdid(df, **COLS, min_e=2, max_e=1)
    with pytest.raises(DesignError, match="horizon 4: the clean sample has 0 newly treated"):
        lpdid(df, **COLS, min_e=-1, max_e=5)
    before = df.copy()
    lpdid(df, **COLS, min_e=-2, max_e=1, covariates=["lpop"])
    pd.testing.assert_frame_equal(df, before)
