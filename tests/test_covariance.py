"""The inference core: covariance estimators against statsmodels and brute-force definitions;
cluster sums, influence covariances, the SE floor, weight draws, the RNG rule, the tie rule
and the few-clusters check."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

import warnings

from evalkit.errors import DesignError, EvalkitError, FewClustersWarning
from evalkit.inference import (
    DEFAULT_SEED,
    MIN_CLUSTERS,
    MIN_TREATED_CLUSTERS,
    SE_FLOOR,
    TIE_RTOL,
    as_generator,
    bootstrap_cov,
    cluster_codes,
    cluster_sums,
    count_clusters,
    count_extreme,
    cr1_factor,
    draw_weights,
    enumerate_rademacher,
    influence_cov,
    multiplier_bootstrap,
    resampling_p_value,
    standard_errors,
    warn_few_clusters,
)
from evalkit.inference.covariance import COVARIANCE_ESTIMATORS, compute_cov, cov_cr1, cov_hc1


@pytest.fixture(scope="module")
def design():
    rng = np.random.default_rng(7)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=n) * (1 + X[:, 2])
    w = rng.uniform(0.5, 2.0, n)
    g1 = rng.integers(0, 25, n)
    g2 = rng.integers(0, 15, n)
    return X, y, w, g1, g2


def _ols(X, y, w):
    Xw, yw = X * np.sqrt(w)[:, None], y * np.sqrt(w)
    bread = np.linalg.inv(Xw.T @ Xw)
    beta = bread @ Xw.T @ yw
    return beta, y - X @ beta, bread


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
@pytest.mark.parametrize("cov_type", ["iid", "HC0", "HC1", "HC3", "CR1"])
def test_matches_statsmodels(design, cov_type, weighted):
    X, y, w, g1, _ = design
    wts = w if weighted else np.ones(len(y))
    model = sm.WLS(y, X, weights=wts)
    if cov_type == "iid":
        ref = model.fit()
    elif cov_type == "CR1":
        ref = model.fit(cov_type="cluster", cov_kwds={"groups": g1})
    else:
        ref = model.fit(cov_type=cov_type)
    _, resid, bread = _ols(X, y, wts)
    V = compute_cov(
        cov_type, X, resid, bread, weights=wts if weighted else None, cluster=g1 if cov_type == "CR1" else None
    )
    np.testing.assert_allclose(V, ref.cov_params(), rtol=1e-10, atol=1e-14)


def test_cr1_uses_cluster_sums_like_a_dense_loop(design):
    X, y, _, g1, _ = design
    _, resid, bread = _ols(X, y, np.ones(len(y)))
    meat = np.zeros((3, 3))
    for g in np.unique(g1):
        s = X[g1 == g].T @ resid[g1 == g]
        meat += np.outer(s, s)
    n, k, G = len(y), 3, len(np.unique(g1))
    expected = G / (G - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    np.testing.assert_allclose(cov_cr1(X, resid, bread, g1), expected, rtol=1e-12)


def test_twoway_is_v1_plus_v2_minus_v12_with_min_g_factor(design):
    X, y, _, g1, g2 = design
    _, resid, bread = _ols(X, y, np.ones(len(y)))
    n, k = X.shape
    G = min(len(np.unique(g1)), len(np.unique(g2)))
    inter = g1 * 100 + g2

    def raw(codes):
        one = cov_cr1(X, resid, bread, codes)
        Gc = len(np.unique(codes))
        return one / (Gc / (Gc - 1) * (n - 1) / (n - k))

    expected = G / (G - 1) * (n - 1) / (n - k) * (raw(g1) + raw(g2) - raw(inter))
    got = cov_cr1(X, resid, bread, np.column_stack([g1, g2]))
    if np.linalg.eigvalsh(expected).min() >= 0:
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.linalg.eigvalsh(got).min() >= -1e-12


def test_twoway_negative_eigenvalues_are_zeroed():
    # few, crossed clusters: V1 + V2 - V12 is indefinite for this draw
    rng = np.random.default_rng(0)
    n = 40
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    resid = rng.normal(size=n)
    bread = np.linalg.inv(X.T @ X)
    g1, g2 = rng.integers(0, 4, n), rng.integers(0, 4, n)
    n_, k = X.shape
    def raw(g):
        G = len(np.unique(g))
        return cov_cr1(X, resid, bread, g) / (G / (G - 1) * (n_ - 1) / (n_ - k))

    raw = [raw(g) for g in (g1, g2, g1 * 10 + g2)]
    unfixed = 4 / 3 * (n_ - 1) / (n_ - k) * (raw[0] + raw[1] - raw[2])
    vals, vecs = np.linalg.eigh(unfixed)
    assert vals.min() < 0  # the case the fix is for
    V = cov_cr1(X, resid, bread, np.column_stack([g1, g2]))
    np.testing.assert_allclose(V, (vecs * np.clip(vals, 0, None)) @ vecs.T, rtol=1e-10, atol=1e-15)
    assert np.linalg.eigvalsh(V).min() >= -1e-14


def test_df_k_enters_small_sample_factor(design):
    X, y, _, _, _ = design
    _, resid, bread = _ols(X, y, np.ones(len(y)))
    n = len(y)
    ratio = cov_hc1(X, resid, bread, df_k=10) / cov_hc1(X, resid, bread)
    np.testing.assert_allclose(ratio, (n - 3) / (n - 10), rtol=1e-12)


@pytest.mark.parametrize(
    ("cov_type", "cluster", "message"),
    [
        ("HC2", None, "valid ones are"),
        ("CR1", None, "needs cluster"),
        ("HC1", "g", "not cluster-robust"),
    ],
    ids=["unknown", "cr1-without-cluster", "cluster-with-hc1"],
)
def test_registry_rejects_bad_requests(design, cov_type, cluster, message):
    X, y, _, g1, _ = design
    _, resid, bread = _ols(X, y, np.ones(len(y)))
    with pytest.raises(ValueError, match=message):
        compute_cov(cov_type, X, resid, bread, cluster=g1 if cluster else None)


def test_registry_names():
    assert set(COVARIANCE_ESTIMATORS) == {"iid", "HC0", "HC1", "HC3", "CR1", "CR2", "CR3"}


def test_cluster_codes_accepts_strings():
    codes = cluster_codes(np.array(["b", "a", "b", "c"]))
    assert codes.shape == (4, 1)
    assert codes[:, 0].tolist() == [1, 0, 1, 2]


# -- the one implementation of each core job ------------------------------------------------


def test_cluster_sums_equal_a_loop_over_clusters():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(50, 3))
    codes = rng.integers(0, 7, 50)
    loop = np.array([values[codes == g].sum(axis=0) for g in range(7)])
    np.testing.assert_allclose(cluster_sums(values, codes), loop, rtol=1e-14)
    np.testing.assert_allclose(cluster_sums(values[:, 0], codes), loop[:, 0], rtol=1e-14)
    assert cluster_sums(values, codes, n_groups=9).shape == (9, 3)  # unused trailing codes
    np.testing.assert_array_equal(cluster_sums(values, None), values)


def test_cluster_sums_with_one_row_per_cluster_are_the_rows_in_cluster_order():
    rng = np.random.default_rng(5)
    values = rng.normal(size=(30, 4))
    codes = rng.permutation(30)  # units as clusters, rows in any order
    loop = np.array([values[codes == g].sum(axis=0) for g in range(30)])
    np.testing.assert_array_equal(cluster_sums(values, codes), loop)
    # as many rows as clusters but one cluster twice (and one empty): summed, not reordered
    codes[0] = codes[1]
    loop = np.array([values[codes == g].sum(axis=0) for g in range(30)])
    np.testing.assert_allclose(cluster_sums(values, codes, n_groups=30), loop, rtol=1e-14)


def test_cluster_codes_reject_missing_labels():
    with pytest.raises(EvalkitError, match="missing"):
        cluster_codes(np.array(["a", None, "b"], dtype=object))


def test_influence_cov_is_the_clustered_sandwich():
    rng = np.random.default_rng(4)
    psi = rng.normal(size=(40, 2))
    codes = rng.integers(0, 5, 40)
    S = np.array([psi[codes == g].sum(axis=0) for g in range(5)])
    np.testing.assert_allclose(influence_cov(psi, codes, divisor=40), S.T @ S / 1600, rtol=1e-13)
    np.testing.assert_allclose(influence_cov(psi, codes, small_sample=True), S.T @ S * 5 / 4, rtol=1e-13)
    np.testing.assert_allclose(influence_cov(psi), psi.T @ psi, rtol=1e-13)
    with pytest.raises(EvalkitError, match="two clusters"):
        influence_cov(psi, np.zeros(40, dtype=int), small_sample=True)


def test_standard_errors_apply_the_one_floor():
    cov = np.diag([4.0, SE_FLOOR**2 / 4, 0.0, -1e-30])
    se = standard_errors(cov)
    assert se[0] == 2.0 and np.isnan(se[1:]).all()
    assert np.isnan(standard_errors(np.diag([1e-6]), scale=1e4))[0]


def test_cr1_factor_and_one_cluster(design):
    assert cr1_factor(10, 100, 3) == pytest.approx(10 / 9 * 99 / 97, rel=1e-15)
    X, y, w, _, _ = design
    _, resid, bread = _ols(X, y, np.ones(len(y)))
    with pytest.raises(DesignError, match="at least two clusters"):
        cov_cr1(X, resid, bread, np.zeros(len(y)))


@pytest.mark.parametrize("kind", ["rademacher", "mammen", "webb"])
def test_weight_draws_have_mean_zero_variance_one(kind):
    v = draw_weights(kind, 4000, 50, np.random.default_rng(0))
    assert v.shape == (4000, 50)
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01
    support = {"rademacher": 2, "mammen": 2, "webb": 6}[kind]
    assert np.unique(v).size == support
    np.testing.assert_array_equal(v, draw_weights(kind, 4000, 50, np.random.default_rng(0)))


def test_mammen_weights_have_third_moment_one():
    v = draw_weights("mammen", 20000, 50, np.random.default_rng(1))
    assert abs((v**3).mean() - 1) < 0.03


def test_weight_type_is_checked_and_enumeration_is_complete():
    with pytest.raises(EvalkitError, match="weight_type"):
        draw_weights("normal", 2, 2, np.random.default_rng(0))  # type: ignore[arg-type]
    signs = enumerate_rademacher(3)
    assert signs.shape == (8, 3) and (signs[0] == 1).all()
    assert len({tuple(r) for r in signs}) == 8


def test_rng_rule():
    a = as_generator(None).random(3)
    np.testing.assert_array_equal(a, np.random.default_rng(DEFAULT_SEED).random(3))  # never OS entropy
    np.testing.assert_array_equal(as_generator(5).random(3), np.random.default_rng(5).random(3))
    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen
    for bad in (-1, 1.5, "7", True):
        with pytest.raises(EvalkitError, match="rng"):
            as_generator(bad)  # type: ignore[arg-type]


def test_tie_rule():
    draws = np.array([1.0, -1.0 * (1 - TIE_RTOL / 2), 0.5, np.nan, 2.0])
    assert count_extreme(1.0, draws) == 3  # 1, the near-tie and 2; NaN never counts
    assert count_extreme(1.0, draws, "greater") == 2
    assert count_extreme(1.0, draws, "less") == 3
    assert resampling_p_value(1.0, draws) == 3 / 5
    assert resampling_p_value(1.0, draws, add_observed=True) == 4 / 6
    assert np.isnan(resampling_p_value(float("nan"), draws))
    with pytest.raises(EvalkitError, match="alternative"):
        resampling_p_value(1.0, draws, "both")  # type: ignore[arg-type]


def test_multiplier_bootstrap_covariance_is_consistent_with_its_standard_errors():
    rng = np.random.default_rng(2)
    psi = rng.normal(size=(500, 3))
    psi[:, 2] = psi[:, 0] + 0.1 * rng.normal(size=500)
    boot = multiplier_bootstrap(psi, n_boot=2000, rng=0, cluster=rng.integers(0, 60, 500))
    np.testing.assert_allclose(np.sqrt(np.diag(boot.cov)), boot.se, rtol=1e-12)
    assert boot.cov[0, 2] / (boot.se[0] * boot.se[2]) > 0.9  # the draws' correlation
    assert not boot.draws.flags.writeable
    zero = np.column_stack([psi[:, 0], np.zeros(500)])
    assert np.isnan(bootstrap_cov(np.column_stack([rng.normal(size=10), np.zeros(10)]), np.array([1.0, np.nan]))[1]).all()
    assert np.isnan(multiplier_bootstrap(zero, n_boot=50, rng=1).se[1])
    with pytest.raises(EvalkitError, match="n_boot"):
        multiplier_bootstrap(psi, n_boot=1, rng=0)


def test_few_clusters_rule():
    with pytest.raises(DesignError, match="'county' gives 1 cluster"):
        warn_few_clusters(1, column="county")
    with pytest.warns(FewClustersWarning, match=r"'county' with 18 clusters.*wild_cluster_bootstrap.*randomization_test"):
        warn_few_clusters(18, column="county")
    with pytest.warns(FewClustersWarning, match=r"3 with treated rows, 40 with untreated rows"):
        warn_few_clusters(43, n_treated=3, n_control=40, column="county")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        warn_few_clusters(MIN_CLUSTERS, n_treated=MIN_TREATED_CLUSTERS, n_control=MIN_CLUSTERS - MIN_TREATED_CLUSTERS)
    codes = np.array([0, 0, 1, 2, 2, 3])
    assert count_clusters(codes) == (4, None, None)
    assert count_clusters(codes, np.array([1, 0, 0, 1, 1, 0])) == (4, 2, 3)
