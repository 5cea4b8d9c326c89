"""Wild cluster bootstrap: fast algorithm vs brute-force refits, vs pyfixest/wildboottest, size."""

from __future__ import annotations

import json
import warnings
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.regression import feols, fit_ols, result_from_fit
from evalkit.inference.weights import draw_weights, enumerate_rademacher
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")

REFERENCE = json.loads((Path(__file__).parent / "reference" / "wild_bootstrap.json").read_text())


def make_panel(seed: int = 5, n_clusters: int = 7, per: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    county = np.repeat(np.arange(n_clusters), per)
    n = county.size
    df = pd.DataFrame(
        {
            "county": county,
            "post": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "period": rng.integers(0, 3, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    df["treated"] = (df.county < 3).astype(int)
    df["y"] = 0.4 * df.x + 0.1 * df.treated * df.post + rng.normal(size=n_clusters)[county] + rng.normal(size=n)
    return df


def brute_force_t(data, formula_terms, term, V, *, fe=None, weights=None, null_value=0.0, impose_null=True):
    """Bootstrap t-statistics by refitting the model for every draw (the slow definition).

    ``y* = fitted + u * v_g`` with ``u`` the restricted (or unrestricted) residuals of the
    regression with the fixed effects as they are (not demeaned by hand).
    """
    X = np.column_stack([np.ones(len(data)) if t == "1" else data[t].to_numpy(float) for t in formula_terms])
    j = formula_terms.index(term)
    y = data["y"].to_numpy(float)
    codes = data["county"].to_numpy()
    w = None if weights is None else data[weights].to_numpy(float)
    if impose_null:
        others = np.delete(X, j, axis=1)
        target = y - null_value * X[:, j]
        if others.shape[1]:
            u = fit_ols(target, others, fe=fe, weights=w).resid
        elif fe is None:
            u = target
        else:  # only the fixed effects are left: residuals around the (weighted) level means
            u = target - pd.Series(target).groupby(fe).transform("mean").to_numpy()
        centre = null_value
    else:
        full = fit_ols(y, X, fe=fe, weights=w)
        u = full.resid
        centre = full.beta[j]
    out = []
    for b in range(V.shape[1]):
        star = y + u * (V[codes, b] - 1)
        f = fit_ols(star, X, fe=fe, weights=w, cluster=codes, cov_type="CR1")
        out.append((f.beta[j] - centre) / np.sqrt(f.cov[j, j]))
    return np.array(out)


CASES = [
    pytest.param(dict(formula="y ~ treated + post + treated:post + x", terms=["1", "treated", "post", "tp", "x"], term="tp", fe=None), id="did-no-fe"),
    pytest.param(dict(formula="y ~ x + tp | county", terms=["x", "tp"], term="tp", fe="county"), id="county-fe-nested"),
    pytest.param(dict(formula="y ~ x | county", terms=["x"], term="x", fe="county"), id="single-regressor-fe"),
    pytest.param(dict(formula="y ~ treated + post + treated:post + x", terms=["1", "treated", "post", "tp", "x"], term="tp", fe=None, weights="w"), id="weighted"),
    pytest.param(dict(formula="y ~ treated + post + treated:post + x", terms=["1", "treated", "post", "tp", "x"], term="tp", fe=None, null_value=0.3), id="null-0.3"),
    pytest.param(dict(formula="y ~ treated + post + treated:post + x", terms=["1", "treated", "post", "tp", "x"], term="tp", fe=None, impose_null=False), id="wcu"),
]


@pytest.mark.parametrize("case", CASES)
def test_equals_brute_force_enumerated(case):
    df = make_panel()
    df["tp"] = df.treated * df.post
    formula = case["formula"].replace("treated:post", "tp")
    res = feols(formula, df, cluster="county", weights=case.get("weights"))
    null_value = case.get("null_value", 0.0)
    impose_null = case.get("impose_null", True)
    wb = wild_cluster_bootstrap(res, case["term"], cluster="county", null_value=null_value, impose_null=impose_null, ci=False)
    assert wb.enumerated and wb.n_boot == 2**7
    fe = None if case["fe"] is None else df[case["fe"]].to_numpy()
    slow = brute_force_t(df, case["terms"], case["term"], enumerate_rademacher(7).T, fe=fe, weights=case.get("weights"),
                         null_value=null_value, impose_null=impose_null)
    np.testing.assert_allclose(wb.draws, slow, rtol=1e-8, atol=1e-10)
    t_obs = (res.params[case["term"]] - null_value) / res.std_errors[case["term"]]
    assert wb.statistic == pytest.approx(t_obs, rel=1e-10)
    assert wb.p_value == np.mean(np.abs(slow) >= abs(t_obs) * (1 - 1e-10))


@pytest.mark.parametrize("kind", ["webb", "mammen", "rademacher"])
def test_random_draws_equal_brute_force_with_same_seed(kind):
    df = make_panel(seed=9, n_clusters=14, per=10)
    res = feols("y ~ treated + post + treated:post + x", df, cluster="county")
    wb = wild_cluster_bootstrap(res, "treated:post", cluster="county", weight_type=kind, n_boot=99, rng=11, ci=False)
    assert not wb.enumerated and wb.n_boot == 99
    V = draw_weights(kind, 99, 14, np.random.default_rng(11)).T
    df["tp"] = df.treated * df.post
    slow = brute_force_t(df, ["1", "treated", "post", "x", "tp"], "tp", V)
    np.testing.assert_allclose(wb.draws, slow, rtol=1e-8, atol=1e-10)
    assert wb.p_value == np.mean(np.abs(slow) >= abs(wb.statistic) * (1 - 1e-10))


def test_non_nested_fe_is_the_bootstrap_of_the_demeaned_regression():
    df = make_panel()
    res = feols("y ~ x | period", df, cluster="county")
    wb = wild_cluster_bootstrap(res, "x", cluster="county", ci=False)
    demeaned = df.assign(y=res.fit.X[:, 0] * res.fit.beta[0] + res.fit.resid, x=res.fit.X[:, 0])
    slow = brute_force_t(demeaned, ["x"], "x", enumerate_rademacher(7).T)
    # the refit without fixed effects counts df_k = 1 parameter, evalkit 1 + 3 levels = 4
    assert res.fit.df_k == 4
    np.testing.assert_allclose(wb.draws, slow * np.sqrt((len(df) - 4) / (len(df) - 1)), rtol=1e-8)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pyfixest_wildboottest(case):
    data = pd.DataFrame(REFERENCE["data"])
    res = feols(case["formula"], data, cluster="county")
    wb = wild_cluster_bootstrap(res, case["term"], cluster="county", impose_null=case["impose_null"])
    assert wb.n_boot == case["n_draws"]
    assert wb.statistic == pytest.approx(case["pyfixest_cr1_tstat"], rel=1e-9)
    # wildboottest counts k with one-hot fixed effects in its small-sample factor: t* / t agree
    scale = case["tstat"] / wb.statistic
    np.testing.assert_allclose(np.sort(wb.draws * scale), case["t_boot_sorted"], rtol=1e-9, atol=1e-12)
    strict = np.mean(np.abs(wb.draws) > abs(wb.statistic) * (1 + 1e-10))  # wildboottest: ties not counted
    assert strict == case["p_value"]
    ties = np.mean(np.abs(np.abs(wb.draws) - abs(wb.statistic)) <= 1e-10 * abs(wb.statistic))
    assert wb.p_value == pytest.approx(strict + ties, abs=1e-15)


@pytest.mark.parametrize("impose_null", [True, False], ids=["wcr", "wcu"])
def test_confidence_interval_inverts_the_test(impose_null):
    data = pd.DataFrame(REFERENCE["data"])
    res = feols("y ~ treated + post + treated:post + x", data, cluster="county")
    wb = wild_cluster_bootstrap(res, "x", cluster="county", impose_null=impose_null, alpha=0.1)
    lo, hi = wb.conf_int().iloc[0]
    assert lo < wb.estimate < hi
    se = res.std_errors["x"]
    for end, outward in ((lo, -1), (hi, 1)):
        inside = wild_cluster_bootstrap(res, "x", cluster="county", impose_null=impose_null, null_value=end - outward * 1e-6 * se, ci=False)
        outside = wild_cluster_bootstrap(res, "x", cluster="county", impose_null=impose_null, null_value=end + outward * 1e-6 * se, ci=False)
        assert inside.p_value > 0.1 >= outside.p_value


def test_unbounded_interval_with_few_clusters():
    # 5 clusters: 32 enumerated draws, the two draws v = +-1 reproduce |t| for every null value,
    # so p >= 2/32 > 0.05 everywhere and the 95% interval is the whole line
    df = make_panel(n_clusters=5)
    res = feols("y ~ x", df, cluster="county")
    wb = wild_cluster_bootstrap(res, "x")
    assert wb.n_boot == 32 and wb.interval == (-np.inf, np.inf)
    assert wb.p_value >= 2 / 32


def test_size_with_few_treated_clusters():
    """Under the null, 12 clusters, 3 treated: CR1 over-rejects, WCR does not."""
    rng = np.random.default_rng(2024)
    G, per = 12, 20
    county = np.repeat(np.arange(G), per)
    post = np.tile([0, 1], G * per // 2)
    treated = (county < 3).astype(float)
    X = np.column_stack([np.ones(G * per), treated, post, treated * post])
    base = pd.DataFrame({"county": county})
    reject_wcr = reject_cr1 = 0
    reps = 200
    for r in range(reps):
        y = rng.normal(size=G)[county] + rng.normal(size=G)[county] * post + rng.normal(size=G * per)
        res = result_from_fit(fit_ols(y, X, cluster=county, cov_type="CR1", names=["1", "treated", "post", "effect"]), base)
        reject_cr1 += res.pvalues["effect"] <= 0.05
        reject_wcr += wild_cluster_bootstrap(res, "effect", ci=False).p_value <= 0.05
    assert reject_cr1 / reps > 0.08
    assert reject_wcr / reps <= 0.08
    assert reject_cr1 > reject_wcr


def test_result_is_immutable_and_reproducible():
    df = make_panel(n_clusters=14, per=8)
    res = feols("y ~ treated + post + treated:post", df, cluster="county")
    a = wild_cluster_bootstrap(res, "treated:post", weight_type="webb", n_boot=199, rng=3)
    b = wild_cluster_bootstrap(res, "treated:post", weight_type="webb", n_boot=199, rng=np.random.default_rng(3))
    assert a.p_value == b.p_value and a.interval == b.interval
    with pytest.raises(FrozenInstanceError):
        a.p_value = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.draws[0] = 1.0
    text = str(a)
    assert "webb" in text and "199 draws" in text and "treated:post" in text


def test_bad_input_is_named():
    df = make_panel()
    res = feols("y ~ treated + post + x", df)
    with pytest.raises(EvalkitError, match="not clustered"):
        wild_cluster_bootstrap(res, "x")
    with pytest.raises(EvalkitError, match="'nope'"):
        wild_cluster_bootstrap(res, "nope", cluster="county")
    with pytest.raises(EvalkitError, match="'region'"):
        wild_cluster_bootstrap(res, "x", cluster="region")
    with pytest.raises(EvalkitError, match="weight_type"):
        wild_cluster_bootstrap(res, "x", cluster="county", weight_type="normal")  # type: ignore[arg-type]
    with pytest.raises(EvalkitError, match="at least two clusters"):
        wild_cluster_bootstrap(res, "x", cluster=np.zeros(len(df)))


def test_did2x2_result_is_accepted():
    from evalkit.estimators.did2x2 import did2x2

    df = make_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = did2x2(df, "y", treated="treated", post="post", covariates=["x"], cluster="county")
        plain = feols("y ~ post + treated + treated:post + x", df, cluster="county")
    a = wild_cluster_bootstrap(res, res.effect_term, cluster="county", ci=False)
    b = wild_cluster_bootstrap(plain, "treated:post", cluster="county", ci=False)
    assert a.p_value == b.p_value
    np.testing.assert_allclose(a.draws, b.draws, rtol=1e-10)


def test_result_follows_the_test_protocol():
    data = pd.DataFrame(REFERENCE["data"])
    res = feols("y ~ treated + post + treated:post + x", data, cluster="county")
    wb = wild_cluster_bootstrap(res, "x", alpha=0.1)
    ci = wb.conf_int()
    assert list(ci.index) == ["x"] and (ci.iloc[0]["lower"], ci.iloc[0]["upper"]) == wb.interval
    row = wb.tidy().iloc[0]
    assert row["term"] == "x" and row["p_value"] == wb.p_value and row["weight_type"] == "rademacher"
    assert row["conf_low"] == wb.interval[0]
    assert "x" in str(wb.summary()) and "n_boot" in str(wb.summary())
    with pytest.raises(EvalkitError, match=r"alpha=0.1; rerun the test with alpha=0.05"):
        wb.conf_int(0.05)


def test_wrong_argument_types_are_named():
    df = make_panel()
    res = feols("y ~ x", df, cluster="county")
    with pytest.raises(EvalkitError, match="needs a result of feols"):
        wild_cluster_bootstrap(df, "x")  # type: ignore[arg-type]
    with pytest.raises(EvalkitError, match="null_value must be a number"):
        wild_cluster_bootstrap(res, "x", null_value="0")  # type: ignore[arg-type]
    for bad in (0, 99.5, True):
        with pytest.raises(EvalkitError, match="n_boot must be a positive integer"):
            wild_cluster_bootstrap(res, "x", n_boot=bad)  # type: ignore[arg-type]
    with pytest.raises(EvalkitError, match="rng"):
        wild_cluster_bootstrap(res, "x", rng=-1)
