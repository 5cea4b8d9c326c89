"""The joint solve of imputation and two-stage DiD against dense brute-force formulas.

``imputation_did`` and ``two_stage_did`` compute the projection weights of every target
from one solve of the untreated model and cluster sums without an ``n x K`` matrix
(:class:`~evalkit.staggered.untreated_model.UntreatedModel`).  Here the same influence
functions are built the slow way, with the dense regressor matrix ``Z`` and one solve per
target, on an unbalanced panel with covariates, weights and clusters that units cross.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.two_stage import two_stage_did
from evalkit.staggered.untreated_model import UntreatedModel

COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}


def _panel(seed: int = 11, n_units: int = 60, n_periods: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 5, 7], n_units, p=[0.3, 0.25, 0.25, 0.2])
    d = pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods), "time": np.tile(np.arange(1, n_periods + 1), n_units),
                      "g": np.repeat(g, n_periods)})
    d = d.drop(d[d["time"] >= 3].sample(frac=0.1, random_state=seed).index)  # unbalanced; every unit keeps t = 1, 2
    d["region"] = (d["unit"] % 9 + (d["time"] > 4) * (d["unit"] % 4 == 0)) % 9  # some units change cluster
    d["x"] = rng.normal(size=len(d)) + 0.2 * d["time"]
    d["w"] = rng.uniform(0.5, 2.0, len(d))
    effect = np.where((d["g"] > 0) & (d["time"] >= d["g"]), 1.0 + 0.2 * (d["time"] - d["g"]), 0.0)
    d["y"] = rng.normal(size=len(d)) + d["unit"] * 0.05 + 0.4 * d["x"] + effect
    return d


def _dense(d: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Z = (unit dummies, period dummies but the first, x), treated mask, rel, codes."""
    unit = pd.factorize(d["unit"], sort=True)[0]
    period = pd.factorize(d["time"], sort=True)[0]
    Z = np.hstack([np.eye(unit.max() + 1)[unit], np.eye(period.max() + 1)[period][:, 1:], d[["x"]].to_numpy()])
    treated = ((d["g"] > 0) & (d["time"] >= d["g"])).to_numpy()
    rel = np.where(d["g"] > 0, d["time"] - d["g"], np.nan)
    cluster = pd.factorize(d["region"], sort=True)[0]
    return Z, treated, rel, unit, cluster


def _untreated_fit(Z, treated, w, y):
    Z0, w0 = Z[~treated], w[~treated]
    A = Z0.T @ (w0[:, None] * Z0)
    resid = y - Z @ np.linalg.solve(A, Z0.T @ (w0 * y[~treated]))
    return A, resid


def test_imputation_scores_equal_the_dense_bjs_formula() -> None:
    d = _panel()
    Z, treated, rel, unit, cluster = _dense(d)
    w, y = d["w"].to_numpy(), d["y"].to_numpy()
    A, resid = _untreated_fit(Z, treated, w, y)
    res = imputation_did(d, **COLS, covariates=["x"], weights="w", cluster="region")
    G = cluster.max() + 1
    cohorts = d["g"].to_numpy()
    for term, h in zip(res.params.index, res.event_time.reindex(res.params.index)):
        target = treated & (np.isnan(h) | (rel == h))
        v1 = np.where(target, w, 0.0) / w[target].sum()
        v0 = np.where(treated, 0.0, -w * (Z @ np.linalg.solve(A, Z.T @ v1)))
        tau = np.where(treated, resid, 0.0)
        eps = np.zeros_like(tau)
        for c in {(gc, e) for gc, e in zip(cohorts[target], rel[target])}:
            rows = target & (cohorts == c[0]) & (rel == c[1])
            a = np.array([v1[rows & (unit == i)].sum() for i in np.unique(unit[rows])])
            b = np.array([(v1 * tau)[rows & (unit == i)].sum() for i in np.unique(unit[rows])])
            eps[rows] = tau[rows] - (a @ b) / (a @ a)
        psi = np.bincount(cluster, weights=v1 * eps + v0 * resid, minlength=G)
        np.testing.assert_allclose(res.params[term], v1 @ tau, rtol=1e-12)
        j = list(res.params.index).index(term)
        # the wild bootstrap's scores: treated residuals around the estimate (not the cells' means)
        boot = np.bincount(cluster, weights=np.where(target, v1 * (tau - v1 @ tau), 0.0) + v0 * resid, minlength=G)
        np.testing.assert_allclose(res.scores.scores[:, j], boot, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(res.std_errors[term], np.sqrt(psi @ psi), rtol=1e-10)


@pytest.mark.parametrize("window", [{}, {"min_e": -3, "max_e": 2}])
def test_two_stage_scores_equal_the_dense_gmm_formula(window: dict) -> None:
    d = _panel(seed=4)
    Z, treated, rel, unit, cluster = _dense(d)
    w, y = d["w"].to_numpy(), d["y"].to_numpy()
    A, u1 = _untreated_fit(Z, treated, w, y)
    res = two_stage_did(d, **COLS, covariates=["x"], weights="w", cluster="region", **window)
    G = cluster.max() + 1
    for j, (term, e) in enumerate(zip(res.params.index, res.event_time)):
        col = treated if np.isnan(e) else rel == e
        bread = w[col].sum()
        beta = (w * u1)[col].sum() / bread
        correction = Z @ np.linalg.solve(A, Z[col].T @ w[col])
        score = w * (np.where(col, u1 - beta, 0.0) - np.where(treated, 0.0, correction * u1)) / bread
        psi = np.bincount(cluster, weights=score, minlength=G)
        np.testing.assert_allclose(res.params[term], beta, rtol=1e-12)
        np.testing.assert_allclose(res.scores.scores[:, j], psi, rtol=1e-10, atol=1e-14)
    assert res.n_clusters == G


def test_cluster_scores_equal_the_row_level_sums() -> None:
    d = _panel(seed=7)
    Z, treated, rel, unit, cluster = _dense(d)
    period = pd.factorize(d["time"], sort=True)[0]
    X, w = d[["x"]].to_numpy(), d["w"].to_numpy()
    model = UntreatedModel.build(unit, period, X, w, ~treated)
    category = np.where(treated, np.nan_to_num(rel, nan=-1), -1).astype(int)
    K = category.max() + 1
    bu, br = model.category_moments(category, K, w)
    dense = np.column_stack([w * (category == k) for k in range(K)])
    mu, mr = model.moments(dense)
    np.testing.assert_allclose(bu, mu, rtol=1e-13)
    np.testing.assert_allclose(br, mr, rtol=1e-13)
    a_unit, a_rest = model.solve(bu, br)
    rho = np.random.default_rng(0).normal(size=len(d))
    for codes in (cluster, unit % 5):  # units crossing clusters, units nested in clusters
        expected = np.column_stack([np.bincount(codes, weights=rho * p) for p in model.predict(a_unit, a_rest).T])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = model.cluster_scores(a_unit, a_rest, rho, codes, codes.max() + 1)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
