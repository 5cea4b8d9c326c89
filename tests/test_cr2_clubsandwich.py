"""evalkit's CR2 (Satterthwaite / Bell-McCaffrey df) and CR3 against R clubSandwich.

The panel (tests/reference/cr2_clubsandwich_panel.csv) is evalkit's own: seeded,
unbalanced, 12 county clusters of 2 to 9 units, a staggered treatment, analytic weights.
clubSandwich's numbers were frozen by tests/reference/make_cr2_clubsandwich.py (which runs
make_cr2_clubsandwich.R; R and clubSandwich versions in the JSON) from ``lm`` fits with the
fixed effects as dummies; evalkit absorbs them, or keeps them as dummies, and must agree.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.regression import feols

HERE = Path(__file__).parent / "reference"
REFERENCE = json.loads((HERE / "cr2_clubsandwich.json").read_text())
PANEL = pd.read_csv(HERE / REFERENCE["data"])
CASES = {case["id"]: case for case in REFERENCE["cases"]}
RTOL = 1e-8

#: evalkit formulas of each lm() model: absorbed and as dummies.
FORMULAS = {
    "county_fe": ["y ~ x + D | county + period", "y ~ x + D + C(period) | county", "y ~ x + D + C(period) + C(county)"],
    "county_fe_weighted": ["y ~ x + D | county + period", "y ~ x + D + C(period) + C(county)"],
    "unit_fe_weighted": ["y ~ x + D | unit + period", "y ~ x + D + C(period) | unit"],
    "period_fe": ["y ~ x + D | period", "y ~ x + D + C(period)"],
    "period_fe_weighted": ["y ~ x + D | period", "y ~ x + D + C(period)"],
}
PAIRS = [(case_id, formula) for case_id, formulas in FORMULAS.items() for formula in formulas]


def _fit(formula: str, case: dict, vcov: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feols(formula, PANEL, vcov=vcov, cluster="county", weights="w" if case["weighted"] else None)


def test_reference_panel_is_the_generated_one() -> None:
    """The CSV is what the make script's seeded generator draws (so it can be remade)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_cr2", HERE / "make_cr2_clubsandwich.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pd.testing.assert_frame_equal(module.panel(), PANEL, check_dtype=False, rtol=1e-15)
    sizes = PANEL.groupby("county")["unit"].nunique()
    assert len(PANEL) == CASES["county_fe"]["nobs"] and sizes.min() == 2 and sizes.max() == 9


@pytest.mark.parametrize("case_id, formula", PAIRS)
def test_cr2_se_df_and_p_match_clubsandwich(case_id: str, formula: str) -> None:
    case = CASES[case_id]
    res = _fit(formula, case, "CR2")
    terms = case["terms"]
    assert res.nobs == case["nobs"]
    np.testing.assert_allclose(res.params[terms], case["estimate"], rtol=RTOL)
    np.testing.assert_allclose(res.cov.loc[terms, terms].to_numpy(), np.array(case["cr2_cov"]), rtol=RTOL)
    np.testing.assert_allclose(res.std_errors[terms], case["cr2_se"], rtol=RTOL)
    np.testing.assert_allclose(res.tstats[terms], case["cr2_tstat"], rtol=RTOL)
    np.testing.assert_allclose(res.df_terms[terms], case["cr2_df"], rtol=RTOL)
    np.testing.assert_allclose(res.pvalues[terms], case["cr2_p"], rtol=RTOL)


@pytest.mark.parametrize("case_id", [c for c, case in CASES.items() if "cr3_cov" in case])
def test_cr3_matches_clubsandwich_up_to_its_factor(case_id: str) -> None:
    """clubSandwich's CR3 has no factor; evalkit's has ``(G - 1) / G`` (cluster_jackknife.py)."""
    case = CASES[case_id]
    res = _fit("y ~ x + D + C(period)", case, "CR3")
    G = case["n_clusters"]
    terms = case["terms"]
    np.testing.assert_allclose(res.cov.loc[terms, terms].to_numpy() * G / (G - 1), np.array(case["cr3_cov"]), rtol=RTOL)


@pytest.mark.parametrize("case_id, formula", PAIRS)
def test_htz_wald_test_matches_clubsandwich(case_id: str, formula: str) -> None:
    """``wald_test`` under CR2 is Pustejovsky & Tipton's HTZ: clubSandwich's ``Wald_test(...,
    test = "HTZ")`` of x = D = 0; its ``wald`` part is the Naive-F statistic times q."""
    from evalkit.inference.cr2 import htz_test
    from evalkit.regression.ols import cr2_absorbed

    case = CASES[case_id]
    res = _fit(formula, case, "CR2")
    test = res.wald_test(case["terms"])
    assert test.df_num == case["htz"]["df_num"] == 2
    assert test.statistic == pytest.approx(case["htz"]["F"], rel=RTOL)
    assert test.df_denom == pytest.approx(case["htz"]["df_denom"], rel=RTOL)
    assert test.p_value == pytest.approx(case["htz"]["p"], rel=RTOL)
    fit = res.fit
    contrasts = np.zeros((2, len(fit.names)))
    contrasts[[0, 1], [list(fit.names).index(t) for t in case["terms"]]] = 1.0
    h = htz_test(fit.X, fit.resid, fit.bread, fit.cluster, fit.beta, contrasts, weights=fit.weights,
                 absorbed=cr2_absorbed(fit))
    assert h.delta == pytest.approx(case["htz"]["delta"], rel=RTOL)
    assert h.wald / 2 == pytest.approx(case["naive_f"]["F"], rel=RTOL)


def test_htz_with_one_constraint_is_the_cr2_t_test() -> None:
    res = _fit("y ~ x + D | county + period", CASES["county_fe_weighted"], "CR2")
    test = res.wald_test(["D"], null=[0.3])
    t = (res.params["D"] - 0.3) / res.std_errors["D"]
    assert test.statistic == pytest.approx(t**2, rel=1e-12)
    assert test.df_denom == pytest.approx(res.df_terms["D"], rel=1e-12)
    cr1 = _fit("y ~ x + D | county + period", CASES["county_fe_weighted"], "CR1").wald_test(["x", "D"])
    assert cr1.df_denom == CASES["county_fe"]["n_clusters"] - 1 and "CR1" in cr1.null
    with pytest.raises(EvalkitError, match="'z'"):
        res.wald_test(["x", "z"])
    with pytest.raises(EvalkitError, match="null has 1 values for 2 terms"):
        res.wald_test(["x", "D"], null=[0.0])
