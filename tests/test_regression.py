"""The regression core: statsmodels, pyfixest (frozen) and linearmodels (frozen) agreement, FWL vs LSDV,
collinearity, missing values, singletons, term names and immutability."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.regression import feols, fit_ols, readable_term
from evalkit.regression.ols import fit_ols_outcomes

REFERENCE = json.loads((Path(__file__).parent / "reference" / "regression_pyfixest.json").read_text())


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.DataFrame(REFERENCE["data"])


@pytest.fixture(scope="module")
def cross_section() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n) * 10,
            "age_group": rng.choice(["under 20", "20-24", "25-29"], size=n),
            "cl": rng.integers(0, 35, size=n),
            "w": rng.uniform(0.5, 2.0, size=n),
        }
    )
    df["y"] = 1 + df.x1 - 0.05 * df.x2 + (df.age_group == "25-29") * 0.3 + rng.normal(size=n) * (1 + df.x1**2)
    return df


def _statsmodels(df, cov_type, weighted):
    X = pd.get_dummies(df[["x1", "x2", "age_group"]], columns=["age_group"], drop_first=False, dtype=float)
    X = sm.add_constant(X.drop(columns="age_group_20-24"))
    model = sm.WLS(df.y, X, weights=df.w if weighted else np.ones(len(df)))
    if cov_type == "iid":
        return model.fit()
    if cov_type == "CR1":
        return model.fit(cov_type="cluster", cov_kwds={"groups": df.cl}, use_t=True)
    return model.fit(cov_type=cov_type, use_t=True)


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
@pytest.mark.parametrize("cov_type", ["iid", "HC1", "HC3", "CR1"])
def test_matches_statsmodels(cross_section, cov_type, weighted):
    res = feols(
        "y ~ x1 + x2 + C(age_group)",
        cross_section,
        vcov=cov_type,
        cluster="cl" if cov_type == "CR1" else None,
        weights="w" if weighted else None,
    )
    ref = _statsmodels(cross_section, cov_type, weighted)
    assert list(res.params.index) == ["Intercept", "x1", "x2", "age_group: 25-29", "age_group: under 20"]
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.pvalues.to_numpy(), ref.pvalues.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(res.glance()["r2"].iloc[0], ref.rsquared, rtol=1e-10)
    np.testing.assert_allclose(res.glance()["adj_r2"].iloc[0], ref.rsquared_adj, rtol=1e-10)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_frozen_pyfixest(panel, case):
    vcov = case["vcov"]
    if isinstance(vcov, dict):
        cols = vcov["CRV1"].split("+")
        kwargs = {"cluster": cols[0] if len(cols) == 1 else cols}
    else:
        kwargs = {"vcov": {"iid": "iid", "hetero": "HC1"}[vcov]}
    with pytest.warns(ExcludedRowsWarning, match="2 fixed-effect singleton") if "|" in case["formula"] else warnings.catch_warnings():
        res = feols(case["formula"], panel, weights=case["weights"], **kwargs)
    terms = [readable_term(t) for t in case["terms"]]
    assert sorted(res.params.index) == sorted(terms)
    assert res.nobs == case["nobs"]
    order = [list(res.params.index).index(t) for t in terms]
    np.testing.assert_allclose(res.params.to_numpy()[order], case["coef"], rtol=1e-9)
    np.testing.assert_allclose(res.std_errors.to_numpy()[order], case["se"], rtol=1e-8)
    np.testing.assert_allclose(res.pvalues.to_numpy()[order], case["pvalue"], rtol=1e-6, atol=1e-14)


def test_matches_linearmodels_two_way_effects(panel):
    # frozen by tests/reference/make_regression_linearmodels.py
    ref = json.loads((Path(__file__).parent / "reference" / "regression_linearmodels.json").read_text())
    df = panel[panel.unit < 100]
    res = feols("y ~ x1 + x2 | unit + time", df)
    assert list(res.params.index) == ref["terms"] and res.nobs == ref["nobs"]
    np.testing.assert_allclose(res.params.to_numpy(), ref["params"], rtol=1e-10)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["std_errors"], rtol=1e-8)


@pytest.mark.parametrize("cov", ["iid", "HC1"])
@pytest.mark.parametrize("weights", [None, "w"], ids=["unweighted", "weighted"])
def test_fwl_equals_lsdv(panel, cov, weights):
    df = panel[panel.unit < 100]
    within = feols("y ~ x1 + x2 | unit + time", df, vcov=cov, weights=weights)
    lsdv = feols("y ~ x1 + x2 + C(unit) + C(time)", df, vcov=cov, weights=weights)
    np.testing.assert_allclose(within.params, lsdv.params[["x1", "x2"]], rtol=1e-10)
    np.testing.assert_allclose(within.std_errors, lsdv.std_errors[["x1", "x2"]], rtol=1e-8)
    np.testing.assert_allclose(within.fit.resid, lsdv.fit.resid, atol=1e-9)
    np.testing.assert_allclose(within.glance()["r2"].iloc[0], lsdv.glance()["r2"].iloc[0], rtol=1e-10)


def test_interacted_fixed_effects_equal_dummies(panel):
    df = panel[panel.unit < 100]
    a = feols("y ~ x1 | region^time", df)
    b = feols("y ~ x1 + C(region):C(time)", df)
    np.testing.assert_allclose(a.params["x1"], b.params["x1"], rtol=1e-9)


@pytest.mark.parametrize(
    ("formula", "pattern"),
    [
        ("y ~ x1 + x2 + x3", r"'x3' is a linear combination of ('x1', 'x2'|'x2', 'x1')|'x[12]' is a linear combination"),
        ("y ~ x1 + region | unit", r"\['region'\] are constant within the fixed effects"),
        ("y ~ x1 + x1b", r"linear combination of"),
    ],
    ids=["combination", "absorbed-by-fe", "duplicate"],
)
def test_collinear_regressors_raise_naming_columns(panel, formula, pattern):
    df = panel.assign(x3=panel.x1 + 2 * panel.x2, x1b=2 * panel.x1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        with pytest.raises(DesignError, match=pattern):
            feols(formula, df)


def test_missing_values_are_excluded_with_a_warning(cross_section):
    df = cross_section.copy()
    df.loc[[0, 1, 2], "x1"] = np.nan
    df.loc[[2, 3], "age_group"] = None
    before = df.copy()
    with pytest.warns(ExcludedRowsWarning, match=r"4 of 400 rows .*(?=.*x1: 3)(?=.*age_group: 2)"):
        res = feols("y ~ x1 + C(age_group)", df)
    assert res.nobs == 396
    pd.testing.assert_frame_equal(df, before)
    ref = feols("y ~ x1 + C(age_group)", df.iloc[4:])
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12)


def test_singletons_dropped_and_counted(panel):
    with pytest.warns(ExcludedRowsWarning, match="2 fixed-effect singleton rows"):
        res = feols("y ~ x1 | unit", panel)
    assert res.nobs == len(panel) - 2
    kept = feols("y ~ x1 | unit", panel, drop_singletons=False)
    np.testing.assert_allclose(res.params, kept.params, rtol=1e-10)
    assert kept.nobs == len(panel)


@pytest.mark.parametrize(
    ("kwargs", "formula", "terms"),
    [
        ({}, "y ~ C(age_group)", ["Intercept", "age_group: 25-29", "age_group: under 20"]),
        ({"reference": {"age_group": "under 20"}}, "y ~ C(age_group)", ["Intercept", "age_group: 20-24", "age_group: 25-29"]),
        ({}, "y ~ C(age_group, levels=['under 20', '20-24', '25-29'])", ["Intercept", "age_group: 20-24", "age_group: 25-29"]),
        ({}, "y ~ age_group", ["Intercept", "age_group: 25-29", "age_group: under 20"]),
    ],
    ids=["default", "reference-mapping", "levels-in-formula", "string-column"],
)
def test_readable_terms_and_reference_levels(cross_section, kwargs, formula, terms):
    res = feols(formula, cross_section, **kwargs)
    assert list(res.params.index) == terms


def test_bad_reference_level(cross_section):
    with pytest.raises(EvalkitError, match=r"'under 18' does not occur in column 'age_group'"):
        feols("y ~ C(age_group)", cross_section, reference={"age_group": "under 18"})


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y x1", "no '~'"),
        ("y ~ x1 | unit | time", "more than one"),
        ("y ~ nosuch", r"\['nosuch'\] are not in the data"),
    ],
    ids=["no-tilde", "two-bars", "unknown-column"],
)
def test_bad_formulas(panel, formula, message):
    with pytest.raises(EvalkitError, match=message):
        feols(formula, panel)


def test_vcov_returns_new_result_and_keeps_original(cross_section):
    res = feols("y ~ x1 + x2", cross_section)
    clustered = res.vcov("CR1", cluster="cl")
    direct = feols("y ~ x1 + x2", cross_section, cluster="cl")
    assert res.cov_type == "iid" and clustered.cov_type == "CR1"
    assert clustered.n_clusters == 35 and clustered.df_resid == 34
    np.testing.assert_allclose(clustered.std_errors, direct.std_errors, rtol=1e-12)
    np.testing.assert_allclose(res.std_errors, feols("y ~ x1 + x2", cross_section).std_errors, rtol=1e-12)
    with pytest.raises(DesignError, match="HC3"):
        feols("y ~ x1 | age_group", cross_section).vcov("HC3")
    with pytest.raises(ValueError, match="valid ones are"):
        res.vcov("HC9")


def test_tidy_glance_summary(cross_section):
    res = feols("y ~ x1 + x2", cross_section, vcov="HC1")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert {"nobs", "cov_type", "r2", "adj_r2", "df_resid"} <= set(res.glance().columns)
    text = str(res.summary())
    assert "x1" in text and "HC1" in text


def test_fit_ols_validates_arrays():
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    with pytest.raises(EvalkitError, match="non-finite"):
        fit_ols(np.array([1.0, np.nan, 2, 3, 4]), X)
    with pytest.raises(EvalkitError, match="positive"):
        fit_ols(np.arange(5.0), X, weights=np.array([1, 1, 0, 1, 1.0]))
    with pytest.raises(DesignError, match=re.escape("'b' is a linear combination of 'a'")):
        fit_ols(np.arange(5.0), np.column_stack([np.arange(5.0), 2 * np.arange(5.0)]), names=["a", "b"])


@pytest.mark.parametrize("cov_type", ["iid", "HC1", "CR1"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_fit_ols_outcomes_equal_one_fit_per_outcome(panel, cov_type, weighted):
    """Several outcomes on one design (two fixed effects, singletons dropped) give each the fit of
    its own fit_ols call, up to the rounding of demeaning several columns at once."""
    df = pd.concat([panel[panel.unit < 100], panel[panel.unit == 100].iloc[:1]])  # unit 100: a singleton
    X = df[["x1", "x2"]].to_numpy()
    Y = np.column_stack([df.y, df.y**2 - df.x1, df.x2 * 0.3 + df.y])
    kwargs = dict(fe=df[["unit", "time"]].to_numpy(), cluster=df.unit.to_numpy() if cov_type == "CR1" else None,
                  cov_type=cov_type, weights=df.w.to_numpy() if weighted else None, names=["x1", "x2"])
    with pytest.warns(ExcludedRowsWarning, match="1 fixed-effect singleton"):
        joint = fit_ols_outcomes(Y, X, **kwargs)
    assert len(joint) == 3
    for j, fit in enumerate(joint):
        with pytest.warns(ExcludedRowsWarning):
            alone = fit_ols(Y[:, j], X, **kwargs)
        np.testing.assert_allclose(fit.beta, alone.beta, rtol=1e-12)
        np.testing.assert_allclose(fit.cov, alone.cov, rtol=1e-12)
        np.testing.assert_allclose(fit.resid, alone.resid, rtol=1e-12, atol=1e-12 * np.abs(alone.resid).max())
        assert fit.df_resid == alone.df_resid and fit.names == alone.names
        np.testing.assert_array_equal(fit.sample, alone.sample)
        np.testing.assert_allclose([fit.ssr, fit.tss, fit.tss_within], [alone.ssr, alone.tss, alone.tss_within],
                                   rtol=1e-12)
    single = fit_ols_outcomes(Y[:, :1], X, **{**kwargs, "fe": None})[0]
    np.testing.assert_array_equal(single.beta, fit_ols(Y[:, 0], X, **{**kwargs, "fe": None}).beta)
    with pytest.raises(EvalkitError, match="outcome 1 of Y has 1 non-finite"):
        fit_ols_outcomes(np.column_stack([Y[:, 0], np.r_[np.nan, Y[1:, 1]]]), X, **kwargs)
    with pytest.raises(EvalkitError, match="one column per outcome"):
        fit_ols_outcomes(Y[:, 0], X, **kwargs)


# -- edge data, covariance spellings and immutable results ----------------------------------


def test_constant_outcome_gives_a_correct_fit(cross_section):
    res = feols("y ~ x1", cross_section.assign(y=3.0))
    np.testing.assert_allclose(res.params.to_numpy(), [3.0, 0.0], atol=1e-12)
    assert np.isnan(res.glance()["r2"].iloc[0])


def test_one_cluster_is_a_design_error(cross_section):
    with pytest.raises(DesignError, match=r"clustering on 'one' gives 1 cluster"):
        feols("y ~ x1", cross_section.assign(one="a"), cluster="one")


def test_few_clusters_warn_with_treated_counts(cross_section):
    from evalkit.errors import FewClustersWarning

    df = cross_section.assign(block=cross_section.cl % 10, tr=(cross_section.cl % 10 < 2).astype(int))
    with pytest.warns(FewClustersWarning, match=r"'block' with 10 clusters \(2 with treated rows, 8 with untreated"):
        feols("y ~ x1 + tr", df, cluster="block", treated="tr")
    with pytest.warns(FewClustersWarning, match=r"'cl' with 35 clusters \(2 with treated rows"):
        feols("y ~ x1", df.assign(tr=(df.cl < 2).astype(int)), cluster="cl", treated="tr")


@pytest.mark.parametrize(
    ("vcov", "message"),
    [
        ({"CRV1": "cl"}, r"evalkit's is vcov='CR1', cluster='cl'"),
        ("hetero", r"evalkit's spelling is vcov='HC1'"),
        ("CRV1", r"vcov='CR1', cluster=<column>"),
        ("HC2", r"evalkit does not compute it"),
        ("robust", r"unknown vcov 'robust'"),
    ],
)
def test_pyfixest_vcov_spellings(cross_section, vcov, message):
    with pytest.raises(EvalkitError, match=message):
        feols("y ~ x1", cross_section, vcov=vcov)


def test_results_are_immutable_in_fact(cross_section):
    res = feols("y ~ x1 + x2", cross_section, vcov="HC1")
    before = res.params.copy()
    params, se, cov = res.params, res.std_errors, res.cov
    params.iloc[0] = se.iloc[0] = cov.iloc[0, 0] = 99.0
    pd.testing.assert_series_equal(res.params, before)
    assert res.std_errors.iloc[0] != 99.0 and res.cov.iloc[0, 0] != 99.0
    with pytest.raises(TypeError):
        res.extra["r2"] = 1.0  # type: ignore[index]
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), res.std_errors, rtol=1e-12)


def test_a_covariance_inconsistent_with_the_standard_errors_is_refused(cross_section):
    from dataclasses import replace

    res = feols("y ~ x1", cross_section)
    with pytest.raises(ValueError, match="inconsistent"):
        replace(res, std_errors=res.std_errors * 2)


def test_fit_arrays_are_read_only_views(cross_section):
    X = np.column_stack([np.ones(len(cross_section)), cross_section.x1.to_numpy()])
    fit = fit_ols(cross_section.y.to_numpy(), X)
    for name in ("beta", "X", "resid", "bread", "cov"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(fit, name)[0] = 1.0
    X[0, 1] = 5.0  # the caller's array stays writable
