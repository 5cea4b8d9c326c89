"""CR3 (cluster jackknife) covariance: pyfixest's frozen CRV3 numbers and a brute-force refit."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference import compute_cov, cov_cr3, cr1_factor
from evalkit.regression import feols, fit_ols

REFERENCE = json.loads((Path(__file__).parent / "reference" / "cr3_pyfixest.json").read_text())
G = 18


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.DataFrame(REFERENCE["data"])


def _fit(data: pd.DataFrame, formula: str, weights: str | None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few clusters (18, 6 treated)
        return feols(formula, data, vcov="CR3", cluster="county", weights=weights, **kw)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pyfixest_crv3(data, case):
    res = _fit(data, case["formula"], case["weights"])
    assert list(res.params.index) == case["terms"]
    np.testing.assert_allclose(res.params.to_numpy(), case["coef"], rtol=1e-10)
    cov = res.cov.to_numpy()
    # evalkit: (G-1)/G * jackknife sum; pyfixest with ssc(k_adj=False, G_adj=False): the sum itself
    np.testing.assert_allclose(cov, (G - 1) / G * np.array(case["cov_raw"]), rtol=1e-8)
    # pyfixest's default multiplies the sum by its CR1 factor G/(G-1) (n-1)/(n-df_k)
    factor = cr1_factor(G, res.fit.nobs, res.fit.df_k)
    np.testing.assert_allclose(cov * factor * G / (G - 1), case["cov_default"], rtol=1e-8)
    assert res.fit.df_resid == G - 1  # t(G - 1) reference distribution, as for CR1


def _brute_force_cr3(y, X, w, cluster):
    """Refit the weighted regression without each cluster (lstsq), independent of the formula."""
    root = np.sqrt(w)
    b = np.linalg.lstsq(X * root[:, None], y * root, rcond=None)[0]
    diffs = []
    for g in np.unique(cluster):
        keep = cluster != g
        bg = np.linalg.lstsq(X[keep] * root[keep, None], y[keep] * root[keep], rcond=None)[0]
        diffs.append(bg - b)
    D = np.array(diffs)
    return (len(diffs) - 1) / len(diffs) * D.T @ D


def test_matches_leave_one_cluster_out_refits() -> None:
    rng = np.random.default_rng(5)
    n = 150
    cluster = rng.integers(0, 9, size=n)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n) + cluster * 0.1])
    y = X @ [1.0, 0.5, -0.2] + rng.normal(size=9)[cluster] + rng.normal(size=n)
    w = rng.uniform(0.5, 2, size=n)
    fit = fit_ols(y, X, weights=w, cluster=cluster, cov_type="CR3")
    np.testing.assert_allclose(fit.cov, _brute_force_cr3(y, X, w, cluster), rtol=1e-10)
    direct = compute_cov("CR3", fit.X, fit.resid, fit.bread, weights=w, cluster=cluster)
    np.testing.assert_allclose(direct, fit.cov, rtol=1e-12)
    np.testing.assert_allclose(cov_cr3(fit.X, fit.resid, fit.bread, cluster, weights=w), fit.cov, rtol=1e-12)


def test_vcov_switch_equals_direct_fit(data) -> None:
    formula = "y ~ post + treated + treated:post + x1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cr1 = feols(formula, data, cluster="county")
        switched = cr1.vcov("CR3", cluster="county")
    direct = _fit(data, formula, None)
    np.testing.assert_allclose(switched.cov.to_numpy(), direct.cov.to_numpy(), rtol=1e-12)


def test_errors(data) -> None:
    formula = "y ~ post + treated + treated:post + x1"
    with pytest.raises(EvalkitError, match="'CR3' needs cluster codes"):
        feols(formula, data, vcov="CR3")
    with pytest.raises(EvalkitError, match="vcov='CR3', cluster='county'"):
        feols(formula, data, vcov={"CRV3": "county"})
    with pytest.raises(EvalkitError, match="evalkit's spelling is vcov='CR3', cluster=<column>"):
        feols(formula, data, vcov="CRV3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EvalkitError, match="one dimension"):
            feols(formula, data.assign(p2=data["post"]), vcov="CR3", cluster=["county", "post"])
        with pytest.raises(DesignError, match=r"fixed effect\(s\) number \[2\].*not.*C\(\) dummies"):
            feols("y ~ treated:post + x1 | county + post", data, vcov="CR3", cluster="county")
        one_treated = data.assign(treated=(data["county"] == 0).astype(int))
        with pytest.raises(DesignError, match="without cluster number 1 of 18.*collinear"):
            feols(formula, one_treated, vcov="CR3", cluster="county")


def test_did2x2_takes_cr3(data) -> None:
    from evalkit.estimators import did2x2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = did2x2(data, "y", treated="treated", post="post", covariates=["x1"], vcov="CR3", cluster="county")
    case = next(c for c in REFERENCE["cases"] if c["id"] == "did")
    j = case["terms"].index("treated:post")
    expected = np.sqrt((G - 1) / G * np.array(case["cov_raw"])[j, j])
    assert res.std_errors[res.effect_term] == pytest.approx(expected, rel=1e-8)
