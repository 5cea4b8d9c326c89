"""Multiplier bootstrap, clustering, uniform bands and the parallel-trends pre-test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators.att_gt import att_gt
from evalkit.inference.multiplier_bootstrap import multiplier_bootstrap
from evalkit.results import InvalidTest

DATA = Path(__file__).parent / "data" / "mpdta.csv"
KW = dict(y="lemp", time="year", group="first.treat", unit="countyreal")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def analytic(mpdta: pd.DataFrame):
    return att_gt(mpdta, **KW)


def test_same_seed_same_bootstrap(mpdta: pd.DataFrame) -> None:
    a = att_gt(mpdta, **KW, n_boot=199, rng=np.random.default_rng(7))
    b = att_gt(mpdta, **KW, n_boot=199, rng=np.random.default_rng(7))
    c = att_gt(mpdta, **KW, n_boot=199, rng=np.random.default_rng(8))
    pd.testing.assert_series_equal(a.std_errors, b.std_errors)
    assert a.crit_uniform == b.crit_uniform
    assert not np.allclose(a.std_errors, c.std_errors)


def test_bootstrap_se_close_to_analytic(mpdta: pd.DataFrame, analytic) -> None:
    boot = att_gt(mpdta, **KW, n_boot=999, rng=np.random.default_rng(1))
    np.testing.assert_allclose(boot.std_errors, analytic.std_errors, rtol=0.1)
    pd.testing.assert_series_equal(boot.params, analytic.params)
    agg_a = analytic.aggregate("dynamic")
    agg_b = analytic.aggregate("dynamic", n_boot=999, rng=np.random.default_rng(2))
    np.testing.assert_allclose(agg_b.std_errors, agg_a.std_errors, rtol=0.1)
    # after a bootstrap the covariance is consistent with the standard errors
    np.testing.assert_allclose(np.sqrt(np.diag(boot.cov)), boot.std_errors, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(agg_b.cov)), agg_b.std_errors, rtol=1e-12)


def test_uniform_band_wider_than_pointwise(mpdta: pd.DataFrame) -> None:
    boot = att_gt(mpdta, **KW, n_boot=999, rng=np.random.default_rng(3))
    assert 1.96 < boot.crit_uniform < 4.0
    tidy = boot.tidy()
    assert (tidy["uniform_high"] - tidy["uniform_low"] > tidy["conf_high"] - tidy["conf_low"]).all()
    assert boot.conf_int(uniform=True).shape == (12, 2)


def test_analytic_has_no_uniform_band(analytic) -> None:
    assert analytic.crit_uniform is None
    with pytest.raises(ValueError, match="uniform"):
        analytic.conf_int(uniform=True)


def test_bootstrap_without_rng_uses_the_default_seed(mpdta: pd.DataFrame) -> None:
    from evalkit.inference.rng import DEFAULT_SEED

    a = att_gt(mpdta, **KW, n_boot=99)
    b = att_gt(mpdta, **KW, n_boot=99, rng=DEFAULT_SEED)
    pd.testing.assert_series_equal(a.std_errors, b.std_errors)


def test_mammen_weights_have_mean_zero_variance_one() -> None:
    """With an identity influence matrix each draw's column j is V_j / n."""
    n = 4000
    boot = multiplier_bootstrap(np.eye(n)[:, :3] * n, n_boot=20000, rng=np.random.default_rng(0))
    v = boot.draws
    assert set(np.round(np.unique(v), 6)) == {round((1 - 5**0.5) / 2, 6), round((1 + 5**0.5) / 2, 6)}
    assert v.mean() == pytest.approx(0, abs=0.02)
    assert v.var() == pytest.approx(1, rel=0.02)


def test_cluster_by_unit_equals_no_cluster(mpdta: pd.DataFrame, analytic) -> None:
    res = att_gt(mpdta, **KW, cluster="countyreal")
    np.testing.assert_allclose(res.std_errors, analytic.std_errors, rtol=1e-12)
    assert res.n_clusters == 500


def test_coarser_cluster_se_is_cluster_sum_formula(mpdta: pd.DataFrame, analytic) -> None:
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    res = att_gt(data, **KW, cluster="state")
    state = data.drop_duplicates("countyreal").sort_values("countyreal")["state"].to_numpy()
    sums = pd.DataFrame(analytic.influence).groupby(state).sum().to_numpy()
    expected = np.sqrt((sums**2).sum(axis=0)) / analytic.nobs
    np.testing.assert_allclose(res.std_errors, expected, rtol=1e-10)
    assert res.n_clusters == len(np.unique(state))
    boot = att_gt(data, **KW, cluster="state", n_boot=999, rng=np.random.default_rng(4))
    assert boot.n_clusters == res.n_clusters
    np.testing.assert_allclose(boot.std_errors, expected, rtol=0.3)  # few clusters: loose


def test_pretest_invalid_without_pre_periods(mpdta: pd.DataFrame) -> None:
    late = mpdta[mpdta["first.treat"].isin([0, 2004])]
    res = att_gt(late, **KW)
    assert isinstance(res.pretest, InvalidTest)
    assert "pre-treatment" in res.pretest.reason


def test_aggregation_weights_sum_to_one(analytic) -> None:
    """An aggregate of a constant ATT(g,t) is that constant: its weights sum to one."""
    from dataclasses import replace

    const = replace(analytic, params=analytic.params * 0 + 0.25)
    for kind in ("simple", "group", "calendar", "dynamic"):
        out = const.aggregate(kind)
        np.testing.assert_allclose(out.params, 0.25, rtol=1e-12)
        assert out.params.index[-1] == "ATT"


def test_summary_and_glance(analytic) -> None:
    text = str(analytic.summary())
    assert "cohort::2004:time::2004" in text
    agg = analytic.aggregate("group")
    assert list(agg.params.index) == ["cohort::2004", "cohort::2006", "cohort::2007", "ATT"]
    assert list(agg.tidy()["group"].iloc[:3]) == [2004, 2006, 2007]
    assert agg.cov.shape == (4, 4)
    np.testing.assert_allclose(np.sqrt(np.diag(agg.cov)), agg.std_errors, rtol=1e-12)


@pytest.mark.parametrize("kind", ["simple", "group", "calendar", "dynamic"])
def test_aggregate_reuses_stored_draws(mpdta: pd.DataFrame, kind: str) -> None:
    """Without rng, aggregate() combines att_gt's stored draws: the same as fresh draws from the same seed."""
    boot = att_gt(mpdta, **KW, n_boot=199, rng=np.random.default_rng(7))
    assert boot.boot_draws.shape == (199, len(boot.params) + len(boot.cohorts))
    reused = boot.aggregate(kind)
    fresh = boot.aggregate(kind, n_boot=199, rng=np.random.default_rng(7))
    again = boot.aggregate(kind, n_boot=199)
    assert reused.cov_type == "multiplier bootstrap (199 draws, Mammen)"
    pd.testing.assert_series_equal(reused.std_errors, fresh.std_errors)
    pd.testing.assert_series_equal(reused.std_errors, again.std_errors)
    assert reused.crit_uniform == fresh.crit_uniform


@pytest.mark.parametrize("cluster", [None, "state"], ids=["unit", "state"])
def test_aggregate_draws_equal_bootstrap_of_its_influence(mpdta: pd.DataFrame, cluster: str | None) -> None:
    """Linear combinations of the joint draws equal a direct bootstrap of the aggregate's
    influence function with the same multipliers (same seed, same number of clusters)."""
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    res = att_gt(data, **KW, cluster=cluster)
    agg = res.aggregate("dynamic", n_boot=299, rng=np.random.default_rng(5))
    band = np.r_[np.ones(agg.influence.shape[1] - 1, dtype=bool), False]
    direct = multiplier_bootstrap(agg.influence, n_boot=299, rng=np.random.default_rng(5), cluster=res.cluster, band=band)
    np.testing.assert_allclose(agg.std_errors, direct.se, rtol=1e-10)
    assert agg.crit_uniform == pytest.approx(direct.crit_uniform, rel=1e-10)


def test_aggregate_alpha_and_cluster_overrides(mpdta: pd.DataFrame, analytic) -> None:
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    state = data.drop_duplicates("countyreal").set_index("countyreal")["state"]
    by_state = att_gt(data, **KW, cluster="state").aggregate("dynamic")
    override = analytic.aggregate("dynamic", cluster=state)
    pd.testing.assert_series_equal(override.std_errors, by_state.std_errors, rtol=1e-12)
    pd.testing.assert_frame_equal(override.cov, by_state.cov, rtol=1e-12)
    assert override.n_clusters == by_state.n_clusters
    wide = analytic.aggregate("dynamic", alpha=0.1)
    assert wide.alpha == 0.1
    assert (wide.tidy()["conf_high"] < analytic.aggregate("dynamic").tidy()["conf_high"]).all()
    with pytest.raises(Exception, match="no value for 1 of the 500"):
        analytic.aggregate("dynamic", cluster=state.iloc[1:])


def test_aggregate_rng_may_be_an_int_seed(analytic) -> None:
    a = analytic.aggregate("group", n_boot=99, rng=3)
    b = analytic.aggregate("group", n_boot=99, rng=np.random.default_rng(3))
    pd.testing.assert_series_equal(a.std_errors, b.std_errors)


def test_aggregate_of_analytic_result_draws_when_asked(analytic) -> None:
    assert analytic.boot_draws is None
    assert analytic.aggregate("dynamic").cov_type == "analytic"
    boot = analytic.aggregate("dynamic", n_boot=99)
    assert boot.cov_type == "multiplier bootstrap (99 draws, Mammen)"
    pd.testing.assert_series_equal(boot.std_errors, analytic.aggregate("dynamic", n_boot=99, rng=None).std_errors)


def test_few_clusters_warn_and_one_cluster_is_an_error(mpdta: pd.DataFrame) -> None:
    from evalkit.errors import DesignError, FewClustersWarning

    two = mpdta.assign(half=(mpdta["countyreal"] % 2))
    with pytest.warns(FewClustersWarning, match=r"clustering on 'half' with 2 clusters.*wild cluster bootstrap"):
        att_gt(two, **KW, cluster="half")
    with pytest.raises(DesignError, match="'one' gives 1 cluster"):
        att_gt(mpdta.assign(one=1), **KW, cluster="one")
