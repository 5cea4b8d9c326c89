"""Wild cluster bootstrap of staggered-adoption results: hand enumeration, the analytic SE
with many clusters, the regression path, and size with the FUI design (18 clusters, 6 treated)."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.estimators import att_gt
from evalkit.inference import wild_cluster_bootstrap
from evalkit.results import WildBootstrapTest

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")


def staggered_panel(
    rng: np.random.Generator, *, cohorts: dict[int, int], n_clusters: int, per: int = 3, n_periods: int = 6,
    effect: float = 0.0,
) -> pd.DataFrame:
    """Balanced panel of ``per`` units in each of ``n_clusters`` counties; county ``c`` starts
    treatment in the period its cohort says (``cohorts``: first period -> number of counties),
    the other counties never; county and county x period shocks."""
    first = np.zeros(n_clusters, dtype=int)
    start = 0
    for period, count in cohorts.items():
        first[start : start + count] = period
        start += count
    county = np.repeat(np.arange(n_clusters), per)
    n = county.size
    t = np.arange(1, n_periods + 1)
    shock = rng.normal(size=n_clusters)[county][:, None] + 0.7 * rng.normal(size=(n_clusters, n_periods))[county]
    g = first[county]
    treated = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = shock + rng.normal(size=n)[:, None] + 0.3 * t[None, :] + effect * treated + rng.normal(size=(n, n_periods))
    return pd.DataFrame(
        {"county": np.repeat(county, n_periods), "unit": np.repeat(np.arange(n), n_periods),
         "t": np.tile(t, n), "g": np.repeat(g, n_periods), "y": y.ravel()}
    )


def hand_enumeration(S: np.ndarray, omega: np.ndarray, estimate: float, r: float, impose_null: bool) -> np.ndarray:
    """Bootstrap t-statistics over all 2**G sign vectors, one draw at a time (the definition)."""
    G = len(S)
    c = G / (G - 1)
    scores = S + omega * (estimate - r) if impose_null else S
    out = []
    for signs in itertools.product((1.0, -1.0), repeat=G):
        v = np.array(signs)
        N = v @ scores
        psi = v * scores - omega * N
        out.append(N / np.sqrt(c * psi @ psi))
    return np.array(out)


def unit_scores(result, data: pd.DataFrame, term: str, unit_weight: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cluster sums of the result's influence function of ``term`` and the clusters' shares
    of ``unit_weight`` (the estimand's weight on each unit), computed from the data."""
    units = data.drop_duplicates("unit").set_index("unit")
    col = list(result.params.index).index(term)
    inf = pd.Series(np.asarray(result.influence)[:, col], index=units.index)
    S = inf.groupby(units["county"]).sum().to_numpy() / len(units)
    w = unit_weight.reindex(units.index).fillna(0.0)
    omega = w.groupby(units["county"]).sum().to_numpy()
    return S, omega / omega.sum()


@pytest.fixture(scope="module")
def small():
    df = staggered_panel(np.random.default_rng(3), cohorts={3: 2, 5: 2}, n_clusters=9)
    res = att_gt(df, y="y", time="t", group="g", unit="unit", cluster="county")
    return df, res


def p_of(draws: np.ndarray, t: float) -> float:
    return float(np.mean(np.abs(draws) >= abs(t) * (1 - 1e-10)))


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("null_value", [0.0, 0.4])
def test_att_gt_term_matches_hand_enumeration(small, impose_null: bool, null_value: float) -> None:
    df, res = small
    term = "cohort::3:time::5"
    units = df.drop_duplicates("unit").set_index("unit")
    in_cohort = (units["g"] == 3).astype(float)
    S, omega = unit_scores(res, df, term, in_cohort / in_cohort.sum())
    est = float(res.params[term])
    wb = wild_cluster_bootstrap(res, term, impose_null=impose_null, null_value=null_value, ci=False)
    slow = hand_enumeration(S, omega, est, null_value, impose_null)
    se = np.sqrt(9 / 8 * np.sum((S - omega * S.sum()) ** 2))
    assert wb.enumerated and wb.n_boot == 2**9 and wb.n_clusters == 9
    np.testing.assert_allclose(np.sort(wb.draws), np.sort(slow), rtol=1e-9, atol=1e-12)
    assert wb.statistic == pytest.approx((est - null_value) / se, rel=1e-12)
    assert wb.p_value == p_of(slow, (est - null_value) / se)
    # the CR1-style SE is sqrt(G/(G-1)) times att_gt's analytic SE
    assert se == pytest.approx(np.sqrt(9 / 8) * res.std_errors[term], rel=1e-10)


@pytest.mark.parametrize("kind, term", [("simple", "ATT"), ("dynamic", "event_time::1"), ("dynamic", "ATT"),
                                         ("group", "cohort::5"), ("calendar", "time::5")])
def test_aggregations_match_hand_enumeration(small, kind: str, term: str) -> None:
    df, res = small
    agg = res.aggregate(kind)
    units = df.drop_duplicates("unit").set_index("unit")
    g = units["g"]
    # the estimand's weight on each unit: cohort-size weighted ATT(g,t), each ATT(g,t) a
    # mean over its cohort's units -> every unit of a contributing cohort weighs the
    # combination's coefficient on its cohort divided by the cohort size
    size = g.value_counts()
    if kind == "simple":  # post-treatment cells weighted by cohort size
        cells = [(c, t) for c in (3, 5) for t in range(c, 7)]
        coef = {c: sum(size[c] for cc, _ in cells if cc == c) for c in (3, 5)}
    elif term == "event_time::1":
        coef = {3: size[3], 5: size[5]}
    elif kind == "dynamic":  # mean over e = 0..3 of cohort-size weighted means
        coef = {c: sum(size[c] / sum(size[cc] for cc in (3, 5) if cc + e <= 6) for e in range(4) if c + e <= 6) for c in (3, 5)}
    elif kind == "group":
        coef = {5: 1.0}
    else:
        coef = {3: size[3], 5: size[5]}
    weight = pd.Series([coef.get(c, 0.0) / size[c] if c in coef else 0.0 for c in g], index=g.index)
    S, omega = unit_scores(agg, df, term, weight / weight.sum())
    est = float(agg.params[term])
    wb = wild_cluster_bootstrap(agg, term, ci=False)
    slow = hand_enumeration(S, omega, est, 0.0, True)
    np.testing.assert_allclose(np.sort(wb.draws), np.sort(slow), rtol=1e-9, atol=1e-12)
    se = np.sqrt(9 / 8 * np.sum((S - omega * S.sum()) ** 2))
    assert wb.p_value == p_of(slow, est / se)


def test_interval_inverts_the_test(small) -> None:
    _, res = small
    agg = res.aggregate("simple")
    for impose_null in (True, False):
        wb = wild_cluster_bootstrap(agg, "ATT", impose_null=impose_null, alpha=0.1)
        lo, hi = wb.interval
        assert lo < wb.estimate < hi
        se = wb.estimate / wb.statistic
        for end, outward in ((lo, -1), (hi, 1)):
            inside = wild_cluster_bootstrap(agg, "ATT", impose_null=impose_null, null_value=end - outward * 1e-6 * se, ci=False)
            outside = wild_cluster_bootstrap(agg, "ATT", impose_null=impose_null, null_value=end + outward * 1e-6 * se, ci=False)
            assert inside.p_value > 0.1 >= outside.p_value
        if not impose_null:  # the symmetric studentised interval: estimate -+ q(|t*|) se
            assert wb.estimate - lo == pytest.approx(hi - wb.estimate, rel=1e-8)


def test_several_terms_share_draws(small) -> None:
    _, res = small
    dyn = res.aggregate("dynamic")
    tests = wild_cluster_bootstrap(dyn, weight_type="webb", n_boot=499, rng=4)
    assert list(tests) == list(dyn.params.index)
    one = wild_cluster_bootstrap(dyn, "event_time::1", weight_type="webb", n_boot=499, rng=4)
    np.testing.assert_allclose(tests["event_time::1"].draws, one.draws, rtol=1e-12)
    assert tests["event_time::1"].p_value == pytest.approx(one.p_value, abs=1.5 / 499)
    pair = wild_cluster_bootstrap(dyn, ["event_time::0", "ATT"], weight_type="mammen", n_boot=99, rng=1)
    assert set(pair) == {"event_time::0", "ATT"} and all(isinstance(t, WildBootstrapTest) for t in pair.values())
    assert all(t.draws.shape == (99,) for t in pair.values())
    with pytest.raises(ValueError):
        one.draws[0] = 0.0


def test_many_clusters_agree_with_the_analytic_se() -> None:
    """With many clusters the bootstrap-t distribution is close to N(0, 1): the interval is
    the analytic one (and the multiplier bootstrap's) and the p-value the normal one."""
    df = staggered_panel(np.random.default_rng(8), cohorts={3: 40, 5: 40}, n_clusters=200, per=2, effect=0.15)
    agg = att_gt(df, y="y", time="t", group="g", unit="unit", cluster="county").aggregate("simple")
    se = float(agg.std_errors["ATT"]) * np.sqrt(200 / 199)
    multiplier = att_gt(df, y="y", time="t", group="g", unit="unit", cluster="county", n_boot=1999,
                        rng=5).aggregate("simple")
    for impose_null in (True, False):
        wb = wild_cluster_bootstrap(agg, "ATT", impose_null=impose_null, rng=2)
        lo, hi = wb.interval
        assert (hi - lo) / (2 * 1.959964 * se) == pytest.approx(1.0, abs=0.05)
        assert (hi - lo) / (2 * 1.959964 * float(multiplier.std_errors["ATT"])) == pytest.approx(1.0, abs=0.08)
        assert wb.p_value == pytest.approx(float(agg.pvalues["ATT"]), abs=0.02)


def test_size_with_the_fui_design() -> None:
    """18 clusters, 6 treated (two cohorts of 3), true effect 0: the wild bootstrap of the
    simple ATT rejects at 5 % about 5 % of the time; CR1 (normal) over-rejects."""
    rng = np.random.default_rng(2026)
    reps, rejections, naive = 400, 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(reps):
            df = staggered_panel(rng, cohorts={3: 3, 5: 3}, n_clusters=18, per=4)
            agg = att_gt(df, y="y", time="t", group="g", unit="unit", cluster="county").aggregate("simple")
            rejections += wild_cluster_bootstrap(agg, "ATT", n_boot=199, rng=rep, ci=False).p_value <= 0.05
            naive += agg.pvalues["ATT"] <= 0.05
    rate, mc_se = rejections / reps, np.sqrt(0.05 * 0.95 / reps)
    assert abs(rate - 0.05) < 2.5 * mc_se, rate
    assert naive / reps > rate


def test_errors_name_the_problem(small) -> None:
    df, res = small
    with pytest.raises(EvalkitError, match="cluster= applies to feols"):
        wild_cluster_bootstrap(res, "ATT" if "ATT" in res.params.index else res.params.index[0], cluster="county")
    with pytest.raises(EvalkitError, match="not in the result"):
        wild_cluster_bootstrap(res.aggregate("simple"), "event_time::0")
    with pytest.raises(EvalkitError, match="repeated"):
        wild_cluster_bootstrap(res.aggregate("dynamic"), ["ATT", "ATT"])


# -- regression-based results: event_study and sun_abraham ---------------------------------
def with_event_dummies(df: pd.DataFrame, times: list[int]) -> tuple[pd.DataFrame, list[str]]:
    out = df.copy()
    rel = np.where(out["g"] > 0, out["t"] - out["g"], np.nan)
    names = []
    for e in times:
        name = f"e_{'m' if e < 0 else ''}{abs(e)}"
        out[name] = (rel == e).astype(float)
        names.append(name)
    return out, names


@pytest.mark.parametrize("impose_null", [True, False])
def test_event_study_equals_the_feols_path(small, impose_null: bool) -> None:
    from evalkit.estimators import event_study
    from evalkit.regression import feols

    df, _ = small
    es = event_study(df, y="y", time="t", group="g", unit="unit", cluster="county")
    times = [int(e) for e in es.event_time.dropna()]
    data, names = with_event_dummies(df, times)
    fe = feols(f"y ~ {' + '.join(names)} | unit + t", data, cluster="county")
    for e, name in zip(times, names):
        a = wild_cluster_bootstrap(es, f"event_time::{e}", impose_null=impose_null, null_value=0.2)
        b = wild_cluster_bootstrap(fe, name, impose_null=impose_null, null_value=0.2)
        assert a.method == b.method and a.enumerated and a.n_clusters == b.n_clusters == 9
        np.testing.assert_allclose(a.draws, b.draws, rtol=1e-8, atol=1e-10)
        assert a.p_value == b.p_value
        np.testing.assert_allclose(a.interval, b.interval, rtol=1e-8)
        # the statistic is the result's own CR1 t-statistic
        assert a.statistic == pytest.approx((es.params.iloc[times.index(e)] - 0.2) / es.std_errors.iloc[times.index(e)], rel=1e-8)


def two_way_demeaned(df: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Columns minus unit and period means plus the grand mean (balanced panel)."""
    frame = pd.DataFrame(values)
    by_unit = frame.groupby(df["unit"].to_numpy()).transform("mean")
    by_period = frame.groupby(df["t"].to_numpy()).transform("mean")
    return (frame - by_unit - by_period + frame.mean()).to_numpy()


def test_sun_abraham_matches_brute_force_restricted_refits(small) -> None:
    """Every draw refits the two-way demeaned regression on y* = X b~ + u~ v (b~: restricted
    least squares with w'b = r, w the Sun-Abraham aggregation weights).  Period effects are
    not nested in the clusters, so the bootstrap is of the demeaned regression (as
    boottest/fwildclusterboot project out fixed effects)."""
    from evalkit.estimators import sun_abraham

    df, _ = small
    sa = sun_abraham(df, y="y", time="t", group="g", unit="unit", cluster="county")
    catt = sa.extra["catt"]
    cells = list(zip(catt["cohort"].astype(int), catt["event_time"].astype(int)))
    rel = np.where(df["g"] > 0, df["t"] - df["g"], np.nan)
    X = two_way_demeaned(df, np.column_stack([((df["g"] == g) & (rel == e)).to_numpy(float) for g, e in cells]))
    y = two_way_demeaned(df, df[["y"]].to_numpy(float))[:, 0]
    county = df["county"].to_numpy()
    term, r = "event_time::1", 0.3
    on = catt["event_time"].to_numpy() == 1
    w = np.where(on, catt["share"].to_numpy(), 0.0)
    XtX_inv = np.linalg.inv(X.T @ X)

    def ols_t(yy: np.ndarray, centre: float) -> float:
        b = XtX_inv @ X.T @ yy
        u = yy - X @ b
        scores = pd.DataFrame(X * u[:, None]).groupby(county).sum().to_numpy()
        cov = XtX_inv @ scores.T @ scores @ XtX_inv
        return float((w @ b - centre) / np.sqrt(w @ cov @ w))

    b_hat = XtX_inv @ X.T @ y
    b_r = b_hat - XtX_inv @ w * (w @ b_hat - r) / (w @ XtX_inv @ w)
    u_r = y - X @ b_r
    t_obs = ols_t(y, r)
    slow = np.array([ols_t(X @ b_r + u_r * v[county], r)
                     for v in itertools.product((1.0, -1.0), repeat=9) for v in [np.array(v)]])
    wb = wild_cluster_bootstrap(sa, term, null_value=r, ci=False)
    assert wb.estimate == pytest.approx(float(w @ b_hat), rel=1e-9)
    # the small-sample factor scales t and t* alike: compare them relative to t
    np.testing.assert_allclose(np.sort(wb.draws / wb.statistic), np.sort(slow / t_obs), rtol=1e-7)
    assert wb.p_value == p_of(slow, t_obs)


# -- imputation and two-stage DiD: influence functions -------------------------------------
@pytest.mark.parametrize("estimator", ["imputation_did", "two_stage_did"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_imputation_and_two_stage_match_hand_enumeration(small, estimator: str, impose_null: bool) -> None:
    import evalkit.estimators as est

    df, _ = small
    res = getattr(est, estimator)(df, y="y", time="t", group="g", unit="unit", cluster="county")
    treated = ((df["g"] > 0) & (df["t"] >= df["g"])).to_numpy()
    for term in ("ATT", "event_time::1"):
        rows = treated if term == "ATT" else treated & (df["t"] - df["g"] == 1).to_numpy()
        # unweighted: the estimand weighs every target row equally
        omega = pd.Series(rows.astype(float)).groupby(df["county"].to_numpy()).sum().to_numpy() / rows.sum()
        sc = res.bootstrap_scores([term])
        np.testing.assert_allclose(sc.shares[:, 0], omega, rtol=1e-12)
        if estimator == "two_stage_did":  # the scores are the result's own: their squares sum to its variance
            assert np.sum(sc.scores[:, 0] ** 2) == pytest.approx(res.std_errors[term] ** 2, rel=1e-10)
        # (imputation's scores are two-stage's, not BJS's cell-centred ones: tests/test_imputation_bootstrap.py)
        wb = wild_cluster_bootstrap(res, term, impose_null=impose_null, null_value=0.1, ci=False)
        slow = hand_enumeration(sc.scores[:, 0], omega, float(res.params[term]), 0.1, impose_null)
        np.testing.assert_allclose(np.sort(wb.draws), np.sort(slow), rtol=1e-9, atol=1e-12)
        se = np.sqrt(9 / 8 * np.sum((sc.scores[:, 0] - omega * sc.scores[:, 0].sum()) ** 2))
        assert wb.p_value == p_of(slow, (float(res.params[term]) - 0.1) / se)


EVENT_REFERENCE = json.loads((Path(__file__).parent / "reference" / "wild_bootstrap_event_study.json").read_text())


@pytest.mark.parametrize("case", EVENT_REFERENCE["cases"], ids=[c["id"] for c in EVENT_REFERENCE["cases"]])
def test_event_study_matches_wildboottest(case: dict) -> None:
    """event_study with unit effects (nested in the county clusters) and period dummies vs
    pyfixest's wildboottest of the same dummy-variable regression, all 2**10 draws."""
    from evalkit.estimators import event_study

    data = pd.DataFrame(EVENT_REFERENCE["data"])
    es = event_study(data, y="y", time="t", group="g", unit="unit", cluster="county", fe=("unit",),
                     covariates=EVENT_REFERENCE["period_dummies"])
    wb = wild_cluster_bootstrap(es, f"event_time::{case['event_time']}", impose_null=case["impose_null"])
    assert wb.n_boot == case["n_draws"] and wb.enumerated
    assert wb.statistic == pytest.approx(case["pyfixest_cr1_tstat"], rel=1e-9)
    # wildboottest's small-sample factor counts the unit dummies: t and t* scale alike
    scale = case["tstat"] / wb.statistic
    np.testing.assert_allclose(np.sort(wb.draws * scale), case["t_boot_sorted"], rtol=1e-9, atol=1e-12)
    # wildboottest counts |t*| > |t| strictly, so the exact ties (v = +-1 under the null
    # imposed: y* = +-y) fall on either side by its rounding; evalkit counts them
    strict = np.mean(np.abs(wb.draws) > abs(wb.statistic) * (1 + 1e-10))
    ties = np.mean(np.abs(np.abs(wb.draws) - abs(wb.statistic)) <= 1e-10 * abs(wb.statistic))
    assert strict - 1e-12 <= case["p_value"] <= strict + ties + 1e-12
    assert wb.p_value == pytest.approx(strict + ties, abs=1e-15)



@pytest.mark.parametrize("weight_type", ["webb", "mammen", "rademacher"])
def test_drawn_weights_follow_the_formula(small, weight_type: str) -> None:
    """Drawn (not enumerated) weights: the draws are the formula's for draw_weights(rng)."""
    from evalkit.inference import as_generator, draw_weights

    df, res = small
    agg = res.aggregate("group")
    sc = agg.bootstrap_scores(["cohort::3"])
    S, omega, est = sc.scores[:, 0], sc.shares[:, 0], float(agg.params["cohort::3"])
    wb = wild_cluster_bootstrap(agg, "cohort::3", weight_type=weight_type, n_boot=99, rng=7, null_value=0.1,
                                ci=False)
    assert not wb.enumerated and wb.n_boot == 99
    V = draw_weights(weight_type, 99, 9, as_generator(7))
    restricted = S + omega * (est - 0.1)
    N = V @ restricted
    psi = V * restricted - omega * N[:, None]
    np.testing.assert_allclose(wb.draws, N / np.sqrt(9 / 8 * (psi**2).sum(axis=1)), rtol=1e-10)


def test_a_result_without_scores_is_named() -> None:
    from evalkit.estimators.event_study_result import EventStudyResult

    index = pd.Index(["event_time::0"], name="term")
    bare = EventStudyResult(params=pd.Series([0.1], index=index), std_errors=pd.Series([0.05], index=index),
                            nobs=10, cov_type="CR1", model_name="hand-made event study")
    with pytest.raises(EvalkitError, match="hand-made event study: this result keeps no scores"):
        wild_cluster_bootstrap(bare, "event_time::0")
