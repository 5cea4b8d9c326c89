"""Extended TWFE (Wooldridge 2021, 2023) against R etwfe 0.6.2 and pyfixest on mpdta.

References: tests/reference/make_etwfe.py -> tests/reference/etwfe.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.estimators import etwfe
from evalkit.inference import wild_cluster_bootstrap
from evalkit.simulate import simulate_staggered

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "etwfe.json").read_text())
R = REF["r_etwfe"]
PF = REF["pyfixest"]
COLS = dict(time="year", group="first.treat", unit="countyreal")
KINDS = {"event": "dynamic", "simple": "simple", "group": "group", "calendar": "calendar"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "mpdta.csv")
    df["emp"] = np.exp(df["lemp"])
    df["high"] = (df["lemp"] > df.groupby("countyreal")["lemp"].transform("mean")).astype(float)
    df["w"] = 1.0 + (df["countyreal"] % 7) / 3.0
    return df


@pytest.fixture(scope="module")
def fits(mpdta: pd.DataFrame) -> dict:
    lpop = dict(COLS, covariates=["lpop"])
    return {
        "linear_notyet_lpop": etwfe(mpdta, y="lemp", **lpop),
        "linear_never_lpop": etwfe(mpdta, y="lemp", **lpop, control_group="never_treated"),
        "poisson_notyet_lpop": etwfe(mpdta, y="emp", **lpop, family="poisson"),
        "poisson_never_lpop_window": etwfe(mpdta, y="emp", **lpop, family="poisson", control_group="never_treated"),
        "logit_notyet_lpop": etwfe(mpdta, y="high", **lpop, family="logit"),
        "logit_never": etwfe(mpdta, y="high", **COLS, family="logit", control_group="never_treated"),
        "linear_notyet_lpop_weighted": etwfe(mpdta, y="lemp", **lpop, weights="w"),
        "poisson_never_weighted": etwfe(mpdta, y="emp", **COLS, family="poisson", control_group="never_treated",
                                        weights="w"),
    }


def _terms(kind: str, keys: list) -> list[str]:
    prefix = {"event": "event_time", "group": "cohort", "calendar": "time"}
    return ["ATT"] if kind == "simple" else [f"{prefix[kind]}::{k}" for k in keys]


@pytest.mark.parametrize("case", list(PF))
def test_matches_pyfixest(fits: dict, case: str) -> None:
    """Cell coefficients and every aggregation (points and delta-method SEs) at 1e-6."""
    ref = PF[case]
    # the link-scale effects are those of the same fit, aggregated with scale="link"
    res = fits[case.removesuffix("_link")]
    scale = "link" if case.endswith("_link") else None
    coef = res.coefficients()
    n = len(ref["cells"]["estimate"])  # the cells D_gt, then D_gt x (lpop - cohort mean)
    assert all(name.startswith("cohort::") for name in coef.index[:n])
    np.testing.assert_allclose(coef["estimate"].iloc[:n], ref["cells"]["estimate"], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(coef["std_error"].iloc[:n], ref["cells"]["std_error"], rtol=1e-6)
    window = dict(min_e=-2, max_e=3) if case.endswith("window") else {}
    for kind, want in ref.items():
        if kind == "cells":
            continue
        agg = res.aggregate(KINDS[kind], **window, scale=scale)
        terms = _terms(kind, want["keys"])
        np.testing.assert_allclose(agg.params[terms], want["estimate"], rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(agg.std_errors[terms], want["std_error"], rtol=1e-6)


def test_linear_matches_r_etwfe(mpdta: pd.DataFrame, fits: dict) -> None:
    """fixest::coeftable of m1 to 1e-8; emfx of m3 (simple, calendar, group, event) and m3n
    (never treated, window c(2, 3)): points 1e-8, SEs 1e-6 (emfx's numerical Jacobian)."""
    m1 = etwfe(mpdta, y="lemp", **COLS)
    np.testing.assert_allclose(m1.params, R["m1_coeftable"]["estimate"], rtol=1e-8)
    np.testing.assert_allclose(m1.std_errors, R["m1_coeftable"]["std_error"], rtol=1e-8)
    m3 = fits["linear_notyet_lpop"]
    for name, kind in (("m3_simple", "simple"), ("m3_calendar", "calendar"), ("m3_group", "group"),
                       ("m3_event", "dynamic")):
        agg = m3.aggregate(kind)
        n = len(R[name]["estimate"])
        np.testing.assert_allclose(agg.params.iloc[:n], R[name]["estimate"], rtol=1e-8)
        np.testing.assert_allclose(agg.std_errors.iloc[:n], R[name]["std_error"], rtol=1e-6)
    agg = fits["linear_never_lpop"].aggregate("dynamic", min_e=-2, max_e=3)
    terms = [f"event_time::{e}" for e in (-2, 0, 1, 2, 3)]
    np.testing.assert_allclose(agg.params[terms], R["m3n_event_window"]["estimate"], rtol=1e-8)
    np.testing.assert_allclose(agg.std_errors[terms], R["m3n_event_window"]["std_error"], rtol=1e-6)


def test_poisson_matches_r_etwfe(fits: dict) -> None:
    """emfx of m3p: points to 1e-7 (fixest stops its IRLS at glm.tol = 1e-8); SEs to 3e-5,
    fixest's covariance at its last IRLS step (pyfixest's converged fit agrees with evalkit to
    1e-6, test_matches_pyfixest)."""
    for name, scale in (("m3p_event", "response"), ("m3p_event_link", "link")):
        agg = fits["poisson_notyet_lpop"].aggregate("dynamic", scale=scale)
        np.testing.assert_allclose(agg.params.iloc[:4], R[name]["estimate"], rtol=1e-7)
        np.testing.assert_allclose(agg.std_errors.iloc[:4], R[name]["std_error"], rtol=3e-5)


def test_result_vocabulary(fits: dict) -> None:
    res = fits["linear_never_lpop"]
    assert res.params.index[0] == "cohort::2004:time::2004"
    assert "cohort::2006:time::2005" not in res.params.index  # the reference period g - 1
    dyn = res.aggregate("dynamic")
    assert list(dyn.params.index) == [f"event_time::{e}" for e in (-4, -3, -2, 0, 1, 2, 3)] + ["ATT"]
    assert dyn.reference == (-1,)
    tidy = dyn.tidy()
    assert list(tidy.columns[:3]) == ["term", "event_time", "estimate"]
    assert np.isnan(tidy["event_time"].iloc[-1])
    assert dyn.df_resid == 499 and dyn.n_clusters == 500
    # the overall ATT is the simple aggregation, whatever the kind
    simple = res.aggregate("simple")
    for kind in ("group", "calendar", "dynamic"):
        assert res.aggregate(kind).params["ATT"] == pytest.approx(simple.params["ATT"], rel=1e-12)
    assert "Extended TWFE" in str(dyn.summary()) and "<table" in dyn._repr_html_()
    assert "Extended TWFE" in repr(res) and "<table" in res._repr_html_()
    with pytest.raises(ValueError, match="read-only"):
        res.design.y[0] = 1.0


def test_wild_bootstrap_honest_did_and_etable(fits: dict) -> None:
    from evalkit.report import etable
    from evalkit.sensitivity import honest_did

    lin = fits["linear_never_lpop"].aggregate("dynamic")
    wb = wild_cluster_bootstrap(lin, "ATT", n_boot=199, rng=1, ci=False)
    # the restricted wild bootstrap's observed statistic is the result's own CR1 t-statistic
    assert wb.statistic == pytest.approx(lin.tstats["ATT"], rel=1e-8)
    pois_fit = fits["poisson_notyet_lpop"]
    pois = pois_fit.aggregate("simple")
    wbp = wild_cluster_bootstrap(pois, "ATT", n_boot=199, rng=1, ci=False)
    # the score bootstrap studentises with G/(G-1) sum_g S_g^2 (the GLM scores sum to zero), the
    # result's CR1 covariance has the factor G/(G-1) (n-1)/(n-K) on the same sum
    n, k = pois_fit.nobs, pois_fit.model.df_k
    assert wbp.statistic == pytest.approx(pois.tstats["ATT"] * np.sqrt((n - 1) / (n - k)), rel=1e-8)
    assert 0 <= wbp.p_value <= 1
    cell = wild_cluster_bootstrap(fits["logit_never"], "cohort::2004:time::2005", n_boot=99, rng=2, ci=False)
    assert np.isfinite(cell.statistic)
    sens = honest_did(lin, m=[0.5, 1.0])
    assert len(sens.tidy()) >= 2
    table = etable([lin, fits["linear_notyet_lpop"].aggregate("dynamic")])
    assert "| event_time=0 |" in table.to_markdown()


def test_known_truth_under_heterogeneous_effects() -> None:
    """Dynamic, cohort-specific effects: the ETWFE event study recovers the truth (where the
    static TWFE event study is biased); a wrong cell set would fail the 0.06 tolerance."""
    sim = simulate_staggered(600, 8, {3: 0.3, 5: 0.3}, effect=lambda e, g: 0.2 + 0.3 * e + 0.4 * (g == 3),
                             rng=np.random.default_rng(7), noise_sd=0.5)
    res = etwfe(sim.data, y="y", time="time", group="first_treated", unit="unit")
    dyn = res.aggregate("dynamic")
    truth = sim.true_dynamic()
    for e in range(4):
        assert dyn.params[f"event_time::{e}"] == pytest.approx(truth[e], abs=0.06)


def test_last_cohort_is_the_control_without_never_treated(mpdta: pd.DataFrame) -> None:
    treated = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(ExcludedRowsWarning, match="control cohort 2007"):
        res = etwfe(treated, y="lemp", **COLS)
    assert set(res.params.index) == {"cohort::2004:time::2004", "cohort::2004:time::2005",
                                     "cohort::2004:time::2006", "cohort::2006:time::2006"}
    with pytest.raises(DesignError, match="no never-treated units"):
        etwfe(treated, y="lemp", **COLS, control_group="never_treated")


def test_user_errors(mpdta: pd.DataFrame) -> None:
    with pytest.raises(EvalkitError, match="outcome 'lemp' in \\[0, 1\\]"):
        etwfe(mpdta, y="lemp", **COLS, family="logit")
    with pytest.raises(EvalkitError, match="family must be one of"):
        etwfe(mpdta, y="lemp", **COLS, family="probit")  # type: ignore[arg-type]
    with pytest.raises(EvalkitError, match="control_group"):
        etwfe(mpdta, y="lemp", **COLS, control_group="last_treated")  # type: ignore[arg-type]
    with pytest.raises(EvalkitError, match="kind must be one of"):
        etwfe(mpdta, y="lemp", **COLS).aggregate("event")  # type: ignore[arg-type]
    zeros = mpdta.assign(z=np.where((mpdta["first.treat"] == 2004) & (mpdta["year"] >= 2004), 0.0, mpdta["emp"]))
    with pytest.raises(DesignError, match="did not converge: some cohort and period cells are predicted perfectly"):
        etwfe(zeros, y="z", **COLS, family="poisson")
    with pytest.raises(DesignError, match="outcome 'z' is 0 in every row"):
        etwfe(zeros.assign(z=0.0), y="z", **COLS, family="poisson")
    before = mpdta.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        etwfe(mpdta, y="lemp", **COLS, covariates=["lpop"], weights="lpop")
    pd.testing.assert_frame_equal(mpdta, before)


def test_linear_equals_imputation_on_a_balanced_panel(mpdta: pd.DataFrame) -> None:
    """Wooldridge (2021): without covariates, not-yet-treated ETWFE is the imputation estimator."""
    from evalkit.estimators import imputation_did

    dyn = etwfe(mpdta, y="lemp", **COLS).aggregate("dynamic")
    imp = imputation_did(mpdta, y="lemp", **COLS)
    np.testing.assert_allclose(dyn.params[imp.params.index], imp.params, rtol=1e-9)
