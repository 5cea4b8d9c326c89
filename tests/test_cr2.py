"""CR2 (Bell-McCaffrey) covariance and its Satterthwaite / Imbens-Kolesar degrees of freedom.

References: dense brute-force matrix algebra written here from the definitions
(``(I - H_gg)^{-1/2}`` by eigendecomposition of the full hat matrix, the df from
``M = Q' Omega Q``), statsmodels' HC2 when every row is its own cluster and the
dummy-variable regression for absorbed fixed effects.  R clubSandwich's numbers on
evalkit's own panel are checked in tests/test_cr2_clubsandwich.py.  pyfixest has no CR2
(its vcov offers iid, hetero, CRV1 and CRV3), so it is no reference here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference import compute_cov
from evalkit.inference.cr2 import cr2
from evalkit.regression import feols, fit_ols


def _inv_sqrt(M: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    inv = np.where(vals > 1e-10, 1 / np.sqrt(np.clip(vals, 1e-300, None)), 0.0)
    return (vecs * inv) @ vecs.T


def _brute(Xfull: np.ndarray, y: np.ndarray, cluster: np.ndarray, w: np.ndarray | None, keep: list[int], rho=None):
    """Dense CR2 of the coefficients ``keep`` of the full regression (dummies included)."""
    n = len(y)
    r = np.ones(n) if w is None else np.sqrt(w)
    Xt, yt = Xfull * r[:, None], y * r
    B = np.linalg.pinv(Xt.T @ Xt)
    e = yt - Xt @ (B @ Xt.T @ yt)
    H = Xt @ B @ Xt.T
    IH = np.eye(n) - H
    groups = [cluster == g for g in np.unique(cluster)]
    A = [_inv_sqrt(IH[np.ix_(m, m)]) for m in groups]
    meat = sum(np.outer(Xt[m].T @ Ag @ e[m], Xt[m].T @ Ag @ e[m]) for m, Ag in zip(groups, A))
    V = (B @ meat @ B)[np.ix_(keep, keep)]
    if rho is None:
        Omega = np.eye(n)
    else:
        Omega = (1 - rho) * np.eye(n)
        for m in groups:
            v = np.where(m, r, 0.0)
            Omega += rho * np.outer(v, v)
    dfs = []
    for j in keep:
        cols = []
        for m, Ag in zip(groups, A):
            z = np.zeros(n)
            z[m] = Ag @ Xt[m] @ B[:, j]
            cols.append(IH @ z)
        Q = np.column_stack(cols)
        M = Q.T @ Omega @ Q
        dfs.append(np.trace(M) ** 2 / np.trace(M @ M))
    return V, np.array(dfs), e


def _data(seed: int = 0, G: int = 9, n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    county = rng.integers(0, G, size=n)
    county[:G] = np.arange(G)
    period = rng.integers(0, 4, size=n)
    df = pd.DataFrame(
        {
            "county": county,
            "period": period,
            "treated": (county < 3).astype(float),
            "x": rng.normal(size=n) + 0.2 * county,
            "w": rng.uniform(0.5, 2.0, size=n),
        }
    )
    df["post"] = (df.period >= 2).astype(float)
    df["y"] = (
        0.3 * df.x
        + 0.5 * df.treated * df.post
        + rng.normal(size=G)[county]
        + rng.normal(size=4)[period]
        + rng.normal(size=n) * (1 + df.treated)
    )
    return df


@pytest.mark.parametrize("weighted", [False, True])
def test_no_fixed_effects_matches_brute_force(weighted: bool) -> None:
    df = _data(1)
    w = df.w.to_numpy() if weighted else None
    X = np.column_stack([np.ones(len(df)), df.x, df.treated, df.post, df.treated * df.post])
    fit = fit_ols(df.y.to_numpy(), X, weights=w, cluster=df.county.to_numpy(), cov_type="CR2")
    V, dof, _ = _brute(X, df.y.to_numpy(), df.county.to_numpy(), w, list(range(5)))
    np.testing.assert_allclose(fit.cov, V, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fit.df_terms, dof, rtol=1e-10)
    direct = compute_cov("CR2", fit.X, fit.resid, fit.bread, weights=w, cluster=df.county.to_numpy())
    np.testing.assert_allclose(direct, fit.cov, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_imbens_kolesar_df_matches_brute_force(weighted: bool) -> None:
    df = _data(2)
    w = df.w.to_numpy() if weighted else None
    X = np.column_stack([np.ones(len(df)), df.x, df.treated * df.post])
    cl = df.county.to_numpy()
    fit = fit_ols(df.y.to_numpy(), X, weights=w, cluster=cl, cov_type="CR2", cr2_df="imbens-kolesar")
    _, _, e = _brute(X, df.y.to_numpy(), cl, w, [0])
    # moment estimate of rho from the (whitened) OLS residuals, written out
    num = sum(e[cl == g].sum() ** 2 - (e[cl == g] ** 2).sum() for g in np.unique(cl))
    pairs = sum((cl == g).sum() * ((cl == g).sum() - 1) for g in np.unique(cl))
    rho = float(np.clip(num / pairs / np.mean(e**2), 0, 1))
    assert 0 < rho < 1
    V, dof, _ = _brute(X, df.y.to_numpy(), cl, w, [0, 1, 2], rho=rho)
    np.testing.assert_allclose(fit.cov, V, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fit.df_terms, dof, rtol=1e-9)
    bm = fit.vcov("CR2", cl)
    assert not np.allclose(bm.df_terms, fit.df_terms)  # the working model matters
    np.testing.assert_allclose(bm.cov, fit.cov, rtol=1e-12)  # but not for the covariance


@pytest.mark.parametrize("weighted", [False, True])
def test_absorbed_fixed_effects_equal_the_dummy_regression(weighted: bool) -> None:
    """County FE nested in the clusters, period FE not: both enter the full projection."""
    df = _data(3)
    wcol = "w" if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        absorbed = feols("y ~ x + treated:post | county + period", df, vcov="CR2", cluster="county", weights=wcol)
        half = feols("y ~ x + treated:post + C(period) | county", df, vcov="CR2", cluster="county", weights=wcol)
        dummies = feols("y ~ x + treated:post + C(county) + C(period)", df, vcov="CR2", cluster="county", weights=wcol)
    terms = ["x", "treated:post"]
    for res in (absorbed, half):
        np.testing.assert_allclose(res.params[terms], dummies.params[terms], rtol=1e-9)
        np.testing.assert_allclose(res.cov.loc[terms, terms], dummies.cov.loc[terms, terms], rtol=1e-8)
        np.testing.assert_allclose(res.df_terms[terms], dummies.df_terms[terms], rtol=1e-8)
    # and the dummy regression itself against dense algebra
    Xfull = np.column_stack(
        [df.x, df.treated * df.post, pd.get_dummies(df.county).to_numpy(float), pd.get_dummies(df.period).to_numpy(float)[:, 1:]]
    )
    V, dof, _ = _brute(Xfull, df.y.to_numpy(), df.county.to_numpy(), df.w.to_numpy() if weighted else None, [0, 1])
    np.testing.assert_allclose(absorbed.cov.loc[terms, terms].to_numpy(), V, rtol=1e-8)
    np.testing.assert_allclose(absorbed.df_terms[terms].to_numpy(), dof, rtol=1e-8)


def test_each_row_its_own_cluster_is_hc2() -> None:
    import statsmodels.api as sm

    df = _data(4, n=80)
    X = np.column_stack([np.ones(len(df)), df.x, df.treated])
    for w in (None, df.w.to_numpy()):
        fit = fit_ols(df.y.to_numpy(), X, weights=w, cluster=np.arange(len(df)), cov_type="CR2")
        model = sm.OLS(df.y, X) if w is None else sm.WLS(df.y, X, weights=w)
        np.testing.assert_allclose(fit.cov, model.fit(cov_type="HC2").cov_params(), rtol=1e-10)


def test_singular_adjustment_uses_the_moore_penrose_root() -> None:
    """A dummy for one cluster makes I - H_gg singular; the pseudo-inverse root applies."""
    df = _data(5)
    X = np.column_stack([np.ones(len(df)), df.x, (df.county == 0).astype(float)])
    fit = fit_ols(df.y.to_numpy(), X, cluster=df.county.to_numpy(), cov_type="CR2")
    V, dof, _ = _brute(X, df.y.to_numpy(), df.county.to_numpy(), None, [0, 1, 2])
    np.testing.assert_allclose(fit.cov[:2, :2], V[:2, :2], rtol=1e-8)
    np.testing.assert_allclose(fit.df_terms[:2], dof[:2], rtol=1e-8)


def test_t_tests_and_intervals_use_the_per_term_df() -> None:
    df = _data(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feols("y ~ x + treated * post", df, vcov="CR2", cluster="county")
    dof = res.df_terms.to_numpy()
    assert np.all(dof > 1) and np.all(dof < 9) and len(set(np.round(dof, 6))) > 1
    t = (res.params / res.std_errors).to_numpy()
    np.testing.assert_allclose(res.pvalues.to_numpy(), 2 * stats.t.sf(np.abs(t), dof), rtol=1e-12)
    ci = res.conf_int(0.1)
    crit = stats.t.ppf(0.95, dof)
    np.testing.assert_allclose(ci["upper"].to_numpy(), (res.params + crit * res.std_errors).to_numpy(), rtol=1e-12)
    tidy = res.tidy()
    np.testing.assert_allclose(tidy["p_value"].to_numpy(), res.pvalues.to_numpy())
    assert res.glance()["df_method"].iloc[0] == "Satterthwaite (bell-mccaffrey)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cr1 = res.vcov("CR1", cluster="county")
        ik = res.vcov("CR2", cluster="county", cr2_df="imbens-kolesar")
    assert (cr1.df_terms == 8).all() and "df_method" not in cr1.glance()
    assert ik.glance()["df_method"].iloc[0] == "Satterthwaite (imbens-kolesar)"


def test_did2x2_and_vcov_switch() -> None:
    from evalkit.estimators import did2x2

    df = _data(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = did2x2(df, "y", treated="treated", post="post", cluster="county", vcov="CR2")
        switched = did2x2(df, "y", treated="treated", post="post", cluster="county").vcov("CR2", cluster="county")
    np.testing.assert_allclose(direct.cov.to_numpy(), switched.cov.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(direct.df_terms.to_numpy(), switched.df_terms.to_numpy(), rtol=1e-12)
    assert direct.pvalues[direct.effect_term] == pytest.approx(
        2 * stats.t.sf(abs(direct.tstats[direct.effect_term]), direct.df_terms[direct.effect_term])
    )


def test_errors() -> None:
    df = _data(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EvalkitError, match="needs cluster"):
            feols("y ~ x", df, vcov="CR2")
        with pytest.raises(EvalkitError, match="one dimension"):
            feols("y ~ x", df, vcov="CR2", cluster=["county", "period"])
        with pytest.raises(EvalkitError, match="cr2_df must be one of"):
            feols("y ~ x", df, vcov="CR2", cluster="county", cr2_df="kenward-roger")
    with pytest.raises(DesignError, match="two clusters"):
        cr2(np.ones((5, 1)), np.arange(5.0), np.eye(1), np.zeros(5))
