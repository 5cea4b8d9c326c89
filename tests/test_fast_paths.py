"""Every fast path equals the general path to 1e-10: ATT(g,t) without covariates, the
cell-level TWFE kernel (event study, Sun-Abraham), the exact two-way demeaning (balanced,
or one fixed effect with few levels), the Gram-matrix rank check, the sparse cluster meat,
the O(n) nesting check, the hash codes and the codes of text columns factorized in their
own dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ExcludedRowsWarning
from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_cells import dr_panel
from evalkit.estimators.event_study import event_study
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.inference.covariance import cov_cr1
from evalkit.regression.demean import demean, dense_codes, fe_codes
from evalkit.regression.ols import _nested_in_any, fit_ols
from evalkit.simulate import simulate_staggered
from evalkit.staggered.design import factorize_rows

TOL = {"rtol": 1e-10, "atol": 1e-10}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    sim = simulate_staggered(600, 7, {3: 0.3, 5: 0.25, 6: 0.2}, effect=lambda e, g: 0.2 * (e + 1) + 0.05 * g,
                             rng=np.random.default_rng(3))
    data = sim.data
    rng = np.random.default_rng(4)
    unit_w = rng.uniform(0.5, 2.0, data["unit"].nunique())
    region = rng.integers(0, 12, data["unit"].nunique())
    return data.assign(w=unit_w[data["unit"].to_numpy()], region=region[data["unit"].to_numpy()])


def _general_dr(*args: np.ndarray):
    """The doubly robust cell estimator behind a callable, which forces the general path."""
    return dr_panel(*args)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("options", [{}, {"weights": "w"}, {"cluster": "region"}], ids=["plain", "weights", "cluster"])
def test_att_gt_without_covariates_equals_cell_loop(panel, control_group, base_period, options) -> None:
    kw = dict(y="y", time="time", group="first_treated", unit="unit", control_group=control_group,
              base_period=base_period, **options)
    fast, slow = att_gt(panel, **kw), att_gt(panel, est_method=_general_dr, **kw)
    np.testing.assert_allclose(fast.params, slow.params, **TOL)
    np.testing.assert_allclose(fast.influence, slow.influence, **TOL)
    np.testing.assert_allclose(fast.cov, slow.cov, **TOL)
    dyn_fast, dyn_slow = fast.aggregate("dynamic"), slow.aggregate("dynamic")
    np.testing.assert_allclose(dyn_fast.params, dyn_slow.params, **TOL)
    np.testing.assert_allclose(dyn_fast.std_errors, dyn_slow.std_errors, **TOL)


@pytest.mark.parametrize("est_method", ["reg", "ipw"])
def test_att_gt_fast_path_matches_each_estimator(panel, est_method) -> None:
    kw = dict(y="y", time="time", group="first_treated", unit="unit")
    fast = att_gt(panel, est_method=est_method, **kw)
    slow = att_gt(panel, est_method=_general_dr, **kw)
    np.testing.assert_allclose(fast.params, slow.params, **TOL)
    np.testing.assert_allclose(fast.influence, slow.influence, **TOL)


def _dense_twfe(data: pd.DataFrame, cluster: str, leads=None, lags=None):
    """The event study through fit_ols with an explicit dummy matrix (the general path)."""
    g, t = data["first_treated"].to_numpy(float), data["time"].to_numpy(float)
    rel = np.where(g > 0, t - g, np.nan)
    lo = -np.inf if leads is None else -leads
    hi = np.inf if lags is None else lags
    rel = np.where(np.isfinite(rel), np.clip(rel, lo, hi), np.nan)
    times = [e for e in np.unique(rel[np.isfinite(rel)]) if e != -1]
    X = np.column_stack([rel == e for e in times]).astype(float)
    return fit_ols(data["y"].to_numpy(), X, fe=data[["unit", "time"]].to_numpy(), cluster=data[cluster].to_numpy(),
                   cov_type="CR1")


@pytest.mark.parametrize("cluster,window", [("unit", (None, None)), ("region", (2, 3))], ids=["unit", "region-binned"])
def test_event_study_cells_equal_dummy_regression(panel, cluster, window) -> None:
    leads, lags = window
    res = event_study(panel, y="y", time="time", group="first_treated", unit="unit", min_e=None if leads is None else -leads, max_e=lags,
                      cluster=None if cluster == "unit" else cluster)
    ref = _dense_twfe(panel, cluster, leads, lags)
    np.testing.assert_allclose(res.params, ref.beta, **TOL)
    np.testing.assert_allclose(res.cov, ref.cov, **TOL)
    assert res.df_resid == ref.df_resid
    np.testing.assert_allclose(res.extra["r2_within"], ref.r2_within, **TOL)


def test_event_study_unbalanced_panel_takes_general_path(panel) -> None:
    data = panel.iloc[5:]
    res = event_study(data, y="y", time="time", group="first_treated", unit="unit")
    ref = _dense_twfe(data, "unit")
    np.testing.assert_allclose(res.params, ref.beta, **TOL)


def test_sun_abraham_cells_equal_dummy_regression(panel) -> None:
    kw = dict(y="y", time="time", group="first_treated", unit="unit")
    fast = sun_abraham(panel, **kw)
    slow = sun_abraham(panel.assign(one=1.0), weights="one", **kw)  # weights force the general path
    np.testing.assert_allclose(fast.params, slow.params, **TOL)
    np.testing.assert_allclose(fast.cov, slow.cov, **TOL)
    np.testing.assert_allclose(fast.extra["catt"]["std_error"], slow.extra["catt"]["std_error"], **TOL)


def _dummy_residuals(A: np.ndarray, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Residuals of weighted least squares of ``A`` on one dummy per level of every fixed effect."""
    D = np.hstack([np.eye(int(c.max()) + 1)[c] for c in codes.T])
    root = np.ones(len(A)) if weights is None else np.sqrt(weights)
    coef = np.linalg.lstsq(D * root[:, None], A * root[:, None], rcond=None)[0]
    return A - D @ coef


def test_balanced_demeaning_equals_the_dummy_regression() -> None:
    rng = np.random.default_rng(0)
    codes = np.column_stack([np.repeat(np.arange(50), 8), np.tile(np.arange(8), 50)])
    order = rng.permutation(len(codes))
    codes = codes[order]
    A = rng.normal(size=(len(codes), 3))
    np.testing.assert_allclose(demean(A, codes), _dummy_residuals(A, codes), **TOL)


def _unbalanced(rng: np.random.Generator, n: int, g1: int, g2: int) -> np.ndarray:
    """Two fixed effects, every level pair possible, a third of the rows dropped."""
    codes = np.column_stack([rng.integers(0, g1, n), rng.integers(0, g2, n)])
    return fe_codes(codes[rng.random(n) > 1 / 3])


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("levels", [(60, 9), (9, 60), (40, 1), (300, 250)], ids=["units x periods", "transposed",
                                                                                  "one level", "many levels"])
def test_two_way_demeaning_equals_the_dummy_regression(weighted, levels) -> None:
    # small second fixed effect: the exact solve; 250 levels: the alternating projections
    rng = np.random.default_rng(7)
    codes = _unbalanced(rng, 3000, *levels)
    A = rng.normal(size=(len(codes), 3)) + codes @ np.array([0.3, -0.2])[:, None]
    w = rng.uniform(0.5, 2.0, len(codes)) if weighted else None
    np.testing.assert_allclose(demean(A, codes, w, tol=1e-14), _dummy_residuals(A, codes, w), **TOL)
    np.testing.assert_allclose(demean(A[:, 0], codes, w, tol=1e-14), _dummy_residuals(A, codes, w)[:, 0], **TOL)


def test_disconnected_two_way_demeaning_equals_the_dummy_regression() -> None:
    # two blocks of units observed in disjoint periods: the reduced system is singular, so
    # the alternating projections run, and the residuals are still the dummy regression's
    rng = np.random.default_rng(8)
    units = rng.integers(0, 40, 1200)
    periods = np.where(units < 20, rng.integers(0, 5, 1200), rng.integers(5, 10, 1200))
    codes = fe_codes(np.column_stack([units, periods]))
    A = rng.normal(size=(1200, 2))
    np.testing.assert_allclose(demean(A, codes, tol=1e-14), _dummy_residuals(A, codes), **TOL)


def test_gram_rank_route_equals_least_squares() -> None:
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(400), rng.normal(size=(400, 4))])
    y = X @ np.arange(5.0) + rng.normal(size=400)
    fit = fit_ols(y, X)
    np.testing.assert_allclose(fit.beta, np.linalg.lstsq(X, y, rcond=None)[0], **TOL)
    np.testing.assert_allclose(fit.bread, np.linalg.inv(X.T @ X), rtol=1e-9)


def test_sparse_cluster_meat_equals_explicit_sums() -> None:
    rng = np.random.default_rng(2)
    X, e, clusters = rng.normal(size=(300, 3)), rng.normal(size=300), rng.integers(0, 17, 300)
    bread = np.linalg.inv(X.T @ X)
    sums = np.array([(X[clusters == c] * e[clusters == c, None]).sum(axis=0) for c in range(17)])
    explicit = 17 / 16 * 299 / 297 * bread @ sums.T @ sums @ bread
    np.testing.assert_allclose(cov_cr1(X, e, bread, clusters), explicit, **TOL)


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "crossed"])
def test_nesting_check_equals_pair_count(nested) -> None:
    rng = np.random.default_rng(5)
    fe = rng.integers(0, 40, 500)
    cluster = (fe // 4 if nested else rng.integers(0, 10, 500))[:, None]
    by_pairs = np.unique(np.column_stack([fe, cluster[:, 0]]), axis=0).shape[0] == fe.max() + 1
    assert _nested_in_any(fe, cluster) == by_pairs == nested


@pytest.mark.parametrize("labels", [np.array([3, 1, 3, 2]), np.array(["b", "a", "b"]), np.array([0, 2, 1, 0])],
                         ids=["int", "str", "dense"])
def test_hash_codes_equal_unique_inverse(labels) -> None:
    np.testing.assert_array_equal(dense_codes(labels), np.unique(labels, return_inverse=True)[1])
    np.testing.assert_array_equal(fe_codes(labels)[:, 0], np.unique(labels, return_inverse=True)[1])


def test_prepare_unsorted_input_equals_sorted(panel) -> None:
    """The sort is skipped for sorted panels; a shuffled panel gives the same estimates."""
    kw = dict(y="y", time="time", group="first_treated", unit="unit", cluster="region")
    ordered = att_gt(panel, **kw)
    shuffled = att_gt(panel.sample(frac=1.0, random_state=0), **kw)
    np.testing.assert_allclose(shuffled.params, ordered.params, **TOL)
    np.testing.assert_allclose(shuffled.influence, ordered.influence, **TOL)
    np.testing.assert_allclose(shuffled.std_errors, ordered.std_errors, **TOL)


def test_prepare_does_not_mutate_input(panel) -> None:
    data = panel.copy()
    data.loc[data.index[:3], "y"] = np.nan
    before = data.copy()
    with pytest.warns(ExcludedRowsWarning) as record:
        att_gt(data, y="y", time="time", group="first_treated", unit="unit", allow_unbalanced_panel=False)
    assert [str(w.message).split(":")[0] for w in record] == ["excluded 3 rows", "excluded 1 units"]
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize("dtype", ["str", "object", "category", "int64"])
@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "first seen"])
@pytest.mark.parametrize("rows", ["all", "sorted subset", "shuffled subset"])
def test_factorized_rows_equal_pandas_factorize_of_the_rows(dtype, sort, rows) -> None:
    rng = np.random.default_rng(9)
    words = np.array(["Østfold", "Oslo", "Akershus", "Troms", "ab", "Ab", "b", "é", "Z", "ø"])
    values = pd.Series(words[rng.integers(0, 10, 3000)]).astype(dtype) if dtype != "int64" \
        else pd.Series(rng.integers(-5, 40, 3000))
    chosen = {"all": None, "sorted subset": np.sort(rng.choice(3000, 700, replace=False)),
              "shuffled subset": rng.choice(3000, 700, replace=False)}[rows]
    codes, labels = factorize_rows(values, chosen, sort=sort)
    expected_codes, expected_labels = pd.factorize(values.to_numpy() if chosen is None else values.to_numpy()[chosen],
                                                   sort=sort)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(labels) == list(expected_labels)
