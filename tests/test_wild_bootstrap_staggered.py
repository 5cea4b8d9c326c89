"""Wild cluster bootstrap of staggered-adoption results: hand enumeration, the analytic SE
with many clusters, the regression path, and size with the FUI design (18 clusters, 6 treated)."""

from __future__ import annotations

import itertools
import warnings

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
    the analytic one and the p-value the normal one."""
    df = staggered_panel(np.random.default_rng(8), cohorts={3: 40, 5: 40}, n_clusters=200, per=2, effect=0.15)
    agg = att_gt(df, y="y", time="t", group="g", unit="unit", cluster="county").aggregate("simple")
    se = float(agg.std_errors["ATT"]) * np.sqrt(200 / 199)
    for impose_null in (True, False):
        wb = wild_cluster_bootstrap(agg, "ATT", impose_null=impose_null, rng=2)
        lo, hi = wb.interval
        assert (hi - lo) / (2 * 1.959964 * se) == pytest.approx(1.0, abs=0.05)
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
