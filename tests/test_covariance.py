"""Covariance estimators against statsmodels and against brute-force definitions."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from evalkit.inference.covariance import (
    COVARIANCE_ESTIMATORS,
    cluster_codes,
    compute_cov,
    cov_cr1,
    cov_hc1,
)


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
    assert set(COVARIANCE_ESTIMATORS) == {"iid", "HC0", "HC1", "HC3", "CR1"}


def test_cluster_codes_accepts_strings():
    codes = cluster_codes(np.array(["b", "a", "b", "c"]))
    assert codes.shape == (4, 1)
    assert codes[:, 0].tolist() == [1, 0, 1, 2]
