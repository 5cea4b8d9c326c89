"""2x2 DiD: statsmodels and frozen pyfixest agreement, recovery of a known effect, errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning, FewClustersWarning
from evalkit.estimators import DiD2x2Result, did2x2

REFERENCE = json.loads((Path(__file__).parent / "reference" / "regression_pyfixest.json").read_text())


def simulate(n: int = 2000, effect: float = 0.05, n_regions: int = 40, seed: int = 5) -> pd.DataFrame:
    """Repeated cross-sections: region-level treatment, two periods, binary outcome."""
    rng = np.random.default_rng(seed)
    region = rng.integers(0, n_regions, n)
    treated = (region < n_regions // 2).astype(int)
    post = rng.integers(0, 2, n)
    age_group = rng.choice(["under 20", "20-24", "25-29"], n)
    female = rng.integers(0, 2, n)
    unemp = 2 + region % 5 + rng.normal(scale=0.2, size=n)
    p = (0.3 + 0.05 * treated + 0.04 * post + effect * treated * post + 0.03 * female
         + 0.05 * (age_group == "25-29") - 0.01 * unemp)
    y = (rng.uniform(size=n) < p).astype(float)
    return pd.DataFrame({"y": y, "tr": treated, "po": post, "region": region, "age_group": age_group,
                         "female": female, "unemp": unemp, "w": rng.uniform(0.5, 2, n)})


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate()


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
@pytest.mark.parametrize("cov_type", ["iid", "HC1", "HC3", "CR1"])
def test_matches_statsmodels(data, cov_type, weighted):
    formula = "y ~ po + tr + tr:po + female + unemp + C(age_group, Treatment('under 20'))"
    kwargs = {"weights": data.w} if weighted else {}
    model = smf.wls(formula, data, **kwargs) if weighted else smf.ols(formula, data)
    if cov_type == "iid":
        ref = model.fit()
    elif cov_type == "CR1":
        ref = model.fit(cov_type="cluster", cov_kwds={"groups": data.region}, use_t=True)
    else:
        ref = model.fit(cov_type=cov_type, use_t=True)
    res = did2x2(
        data, "y", treated="tr", post="po", covariates=["female", "unemp"], categorical=["age_group"],
        reference={"age_group": "under 20"}, vcov=cov_type, weights="w" if weighted else None,
        cluster="region" if cov_type == "CR1" else None,
    )
    assert isinstance(res, DiD2x2Result)
    ref_terms = {
        "Intercept": "Intercept", "po": "po", "tr": "tr", "tr:po": "tr:po", "female": "female", "unemp": "unemp",
        "age_group: 20-24": "C(age_group, Treatment('under 20'))[T.20-24]",
        "age_group: 25-29": "C(age_group, Treatment('under 20'))[T.25-29]",
    }
    assert set(res.params.index) == set(ref_terms)
    order = list(ref_terms)
    sm_order = [ref_terms[t] for t in order]
    np.testing.assert_allclose(res.params[order], ref.params[sm_order], rtol=1e-10)
    np.testing.assert_allclose(res.std_errors[order], ref.bse[sm_order], rtol=1e-8)
    np.testing.assert_allclose(res.pvalues[order], ref.pvalues[sm_order], rtol=1e-7)
    assert res.effect == pytest.approx(ref.params["tr:po"], rel=1e-10)
    assert res.effect_se == pytest.approx(ref.bse["tr:po"], rel=1e-8)


@pytest.mark.parametrize(
    ("case_id", "absorb"), [("did_cr1_region", ()), ("did_fe_cr1_region", ("unit", "time"))], ids=["pooled", "two-way-fe"]
)
def test_cluster_matches_frozen_pyfixest(case_id, absorb):
    case = next(c for c in REFERENCE["cases"] if c["id"] == case_id)
    panel = pd.DataFrame(REFERENCE["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        with pytest.warns(FewClustersWarning, match="8 clusters"):
            res = did2x2(panel, "y", treated="treated", post="post", covariates=["x1"], absorb=absorb, cluster="region")
    ref = dict(zip(case["terms"], zip(case["coef"], case["se"], case["pvalue"], strict=True), strict=True))
    assert set(res.params.index) == set(ref)
    for term, (coef, se, p) in ref.items():
        assert res.params[term] == pytest.approx(coef, rel=1e-9)
        assert res.std_errors[term] == pytest.approx(se, rel=1e-8)
        assert res.pvalues[term] == pytest.approx(p, rel=1e-6)
    assert res.nobs == case["nobs"]


def test_recovers_known_effect():
    sim = simulate(n=40_000, effect=0.08, seed=9)
    res = did2x2(sim, "y", treated="tr", post="po", covariates=["female", "unemp"], categorical=["age_group"],
                 vcov="HC1")
    assert abs(res.effect - 0.08) < 4 * res.effect_se
    assert res.effect_se < 0.02


def test_cells_and_effect_equal_difference_of_means(data):
    res = did2x2(data, "y", treated="tr", post="po")
    c = res.cells.set_index(["tr", "po"])["mean"]
    assert res.effect == pytest.approx((c[1, 1] - c[1, 0]) - (c[0, 1] - c[0, 0]), rel=1e-10)
    assert res.cells["nobs"].sum() == len(data)


def test_no_warning_with_many_clusters(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        res = did2x2(data, "y", treated="tr", post="po", cluster="region")
    assert res.n_clusters == 40 and res.df_resid == 39


def test_few_treated_clusters_warn(data):
    few = data.assign(tr=(data.region < 3).astype(int))
    with pytest.warns(FewClustersWarning, match="3 with treated rows"):
        did2x2(few, "y", treated="tr", post="po", cluster="region")


def test_main_effects_absorbed_by_fixed_effects_are_left_out(data):
    res = did2x2(data, "y", treated="tr", post="po", absorb=["region", "po"])
    assert list(res.params.index) == ["tr:po"]
    dummies = smf.ols("y ~ C(region) + po + tr:po", data).fit()
    assert res.effect == pytest.approx(dummies.params["tr:po"], rel=1e-9)
    assert res.effect_se == pytest.approx(dummies.bse["tr:po"], rel=1e-8)


def test_vcov_returns_new_result(data):
    res = did2x2(data, "y", treated="tr", post="po")
    robust = res.vcov("HC1")
    assert isinstance(robust, DiD2x2Result)
    assert res.cov_type == "iid" and robust.cov_type == "HC1"
    assert robust.effect == res.effect and robust.effect_se != res.effect_se


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(tr=d.tr * 2), {}, r"column 'tr' must be 0/1; \d+ rows"),
        (lambda d: d.assign(po=d.po.astype(float) + 0.5), {}, r"column 'po' must be 0/1"),
        (lambda d: d[~((d.tr == 1) & (d.po == 0))], {}, r"cell tr=1, po=0 is empty"),
        (lambda d: d.assign(f2=1 - d.female), {"covariates": ["female", "f2"]}, r"linear combination"),
    ],
    ids=["treated-not-binary", "post-not-binary", "empty-cell", "collinear-covariate"],
)
def test_errors(data, change, kwargs, message):
    with pytest.raises(DesignError, match=message):
        did2x2(change(data), "y", treated="tr", post="po", **kwargs)


def test_missing_rows_warned_and_input_untouched(data):
    df = data.copy()
    df.loc[:9, "unemp"] = np.nan
    before = df.copy()
    with pytest.warns(ExcludedRowsWarning, match="10 of 2000 rows .*unemp: 10"):
        res = did2x2(df, "y", treated="tr", post="po", covariates=["unemp"])
    assert res.nobs == 1990
    pd.testing.assert_frame_equal(df, before)


# -- edge data (issue 9): a clear EvalkitError or a correct result, never a raw Python error --


def test_constant_outcome_is_a_named_design_error(data):
    with pytest.raises(DesignError, match=r"outcome 'y' is constant \(1\) in all 2000 rows"):
        did2x2(data.assign(y=1.0), "y", treated="tr", post="po")


def test_one_cluster_is_a_design_error(data):
    with pytest.raises(DesignError, match=r"clustering on 'one' gives 1 cluster"):
        did2x2(data.assign(one=7), "y", treated="tr", post="po", cluster="one")


@pytest.mark.parametrize(
    "convert",
    [lambda s: s.astype("category"), lambda s: s.astype(bool), lambda s: s.astype(float)],
    ids=["categorical", "bool", "float"],
)
def test_treated_as_categorical_bool_or_float(data, convert):
    plain = did2x2(data, "y", treated="tr", post="po", cluster="region")
    other = did2x2(data.assign(tr=convert(data.tr), po=convert(data.po)), "y", treated="tr", post="po", cluster="region")
    assert other.effect_term == "tr:po"
    assert other.effect == pytest.approx(plain.effect, rel=1e-12)
    assert other.effect_se == pytest.approx(plain.effect_se, rel=1e-12)


def test_few_clusters_warn_again_on_vcov(data):
    res = did2x2(data.assign(block=data.region // 5), "y", treated="tr", post="po")  # 8 blocks
    with pytest.warns(FewClustersWarning, match=r"'block' with 8 clusters \(4 with treated rows"):
        clustered = res.vcov("CR1", cluster="block")
    assert clustered.n_clusters == 8 and clustered.effect == res.effect


def test_pyfixest_vcov_spelling_gets_evalkit_spelling(data):
    with pytest.raises(EvalkitError, match=r"evalkit's is vcov='CR1', cluster='region'"):
        did2x2(data, "y", treated="tr", post="po", vcov={"CRV1": "region"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(y=np.where(d.index == 3, "a", d.y.astype(str))), {},
         r"outcome column 'y' must be numeric; 1 rows are not, e.g. 'a' \(first rows: \[3\]\)"),
        (lambda d: d.assign(unemp="high"), {"covariates": ["unemp"]},
         r"covariate column 'unemp' must be numeric.*categorical="),
        (lambda d: d.assign(w=np.where(d.index < 2, -1.0, d.w)), {"weights": "w"},
         r"weights column 'w' must be finite and positive; 2 of 2000 rows are not, e.g. \['-1'\] \(first rows: \[0, 1\]\)"),
        (lambda d: d.assign(w="heavy"), {"weights": "w"}, r"weights column 'w' must be numeric"),
    ],
    ids=["text-outcome", "text-covariate", "negative-weights", "text-weights"],
)
def test_bad_column_types_are_named(data, change, kwargs, message):
    with pytest.raises(EvalkitError, match=message):
        did2x2(change(data), "y", treated="tr", post="po", **kwargs)


def test_unweighted_cells_equal_those_of_unit_weights_exactly() -> None:
    """Without weights each cell's mean and weight are those of weights of one, to the last bit."""
    from evalkit.estimators.did2x2 import treatment_cells

    rng = np.random.default_rng(5)
    treated, post = rng.integers(0, 2, 10_001), rng.integers(0, 2, 10_001)
    y = rng.normal(size=10_001) * 1e3 + (rng.random(10_001) < 0.3)
    unweighted = treatment_cells(treated, post, y, None, treated="d", post="t")
    unit = treatment_cells(treated, post, y, np.ones(len(y)), treated="d", post="t")
    pd.testing.assert_frame_equal(unweighted, unit, check_exact=True)
    assert unweighted["mean"].tolist() == [y[(treated == d) & (post == t)].mean() for d in (0, 1) for t in (0, 1)]
