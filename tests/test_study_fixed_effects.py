"""Fixed effects with the few-cluster inference of the 2x2: absorbed county, region and entry-month effects.

The wild cluster bootstrap of a model with absorbed fixed effects works on the demeaned
data (Frisch-Waugh-Lovell); it must give the p-values of the same bootstrap of the
dummy-variable regression with the same seed.  The randomization test over counties must
give, for every assignment, the coefficient a refit of the dummy-variable regression gives.
A study with county effects and the few-cluster inference runs end to end in test_study.py
(``test_a_study_with_its_own_age_bands_and_county_effects_runs_end_to_end``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators.did2x2 import did2x2
from evalkit.inference.randomization import did_randomization_test
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap
from evalkit.regression.feols import feols
from evalkit.replications.fui.inference import bootstrap_model

TERM = "treated:post"


@pytest.fixture(scope="module")
def design() -> pd.DataFrame:
    """8 counties (3 treated), 4 entry months (2 before, 2 after), county and month shocks."""
    rng = np.random.default_rng(12)
    rows = []
    for county, month in itertools.product(range(8), range(4)):
        n = int(rng.integers(6, 14))
        rows.append(pd.DataFrame({
            "county": f"c{county}", "entry_month": month, "treated": int(county < 3), "post": int(month >= 2),
            "x": rng.normal(size=n),
        }))
    data = pd.concat(rows, ignore_index=True)
    county_shock = data["county"].map({f"c{c}": s for c, s in enumerate(rng.normal(0, 0.3, 8))})
    data["y"] = (0.2 * data["treated"] * data["post"] + 0.5 * data["x"] + county_shock + 0.1 * data["entry_month"]
                 + rng.normal(size=len(data)))
    return data


def _dummy_variable_fit(design: pd.DataFrame, absorb: list[str]):
    """The reference: every fixed effect as dummies, the main effects they absorb left out."""
    rhs = ["effect", "x", *(f"C({c})" for c in absorb)]
    rhs += [m for m, fe in (("treated", "county"), ("post", "entry_month")) if fe not in absorb]
    data = design.assign(effect=design["treated"] * design["post"])
    return feols("y ~ " + " + ".join(rhs), data, vcov="CR1", cluster="county")


@pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")
@pytest.mark.parametrize("absorb", [["county"], ["entry_month"], ["county", "entry_month"]])
def test_the_fui_wild_bootstrap_with_fixed_effects_is_the_dummy_variable_regressions(design, absorb):
    """Absorbed county effects (nested in the clusters) bootstrap as their dummies do; entry-month
    effects are refitted as dummies by bootstrap_model, so every p-value is the dummy regression's."""
    absorbed = did2x2(design, "y", treated="treated", post="post", covariates=["x"], absorb=absorb,
                      vcov="CR1", cluster="county")
    model = bootstrap_model(absorbed, tuple(absorb))
    assert (model is absorbed) == (absorb == ["county"])
    dummies = _dummy_variable_fit(design, absorb)
    np.testing.assert_allclose(model.params[TERM], dummies.params["effect"], rtol=1e-10)
    for weight_type in ("webb", "rademacher"):
        a = wild_cluster_bootstrap(model, TERM, cluster="county", n_boot=999, weight_type=weight_type, rng=5)
        b = wild_cluster_bootstrap(dummies, "effect", cluster="county", n_boot=999, weight_type=weight_type, rng=5)
        assert abs(a.p_value - b.p_value) <= 1e-10
        np.testing.assert_allclose(a.interval, b.interval, rtol=1e-6)


def _refit(data: pd.DataFrame, treated: set[str], absorb: list[str]) -> float:
    """The effect by an explicit least-squares refit with every dummy spelled out (the reference)."""
    d = data["county"].isin(treated).astype(float)
    columns = {"one": np.ones(len(data)), "effect": d * data["post"], "x": data["x"]}
    if "county" not in absorb:
        columns["treated"] = d
    if "entry_month" not in absorb:
        columns["post"] = data["post"].astype(float)
    X = pd.DataFrame(columns)
    for column in absorb:
        X = pd.concat([X, pd.get_dummies(data[column].astype(str), prefix=column, drop_first=True, dtype=float)], axis=1)
    beta = np.linalg.lstsq(X.to_numpy(), data["y"].to_numpy(), rcond=None)[0]
    return float(beta[list(X.columns).index("effect")])


@pytest.mark.parametrize("absorb", [["county"], ["entry_month"], ["county", "entry_month"]])
def test_randomization_with_absorbed_effects_equals_refits_of_every_assignment(design, absorb):
    test = did_randomization_test(design, "y", unit="county", treated="treated", post="post", covariates=["x"],
                                  categorical=absorb, alpha=0.1)
    counties = sorted(design["county"].unique())
    refits = np.sort([_refit(design, set(z), absorb) for z in itertools.combinations(counties, 3)])
    assert test.exact and test.n_possible == len(refits) == 56
    np.testing.assert_allclose(np.sort(test.distribution), refits, rtol=1e-9, atol=1e-12)
    observed = _refit(design, {"c0", "c1", "c2"}, absorb)
    assert test.statistic == pytest.approx(observed, rel=1e-9)
    assert test.p_value == pytest.approx(np.mean(np.abs(refits) >= abs(observed) * (1 - 1e-10)), abs=1e-12)
    assert np.isfinite(test.interval).all()


def test_region_effects_keep_the_effect_of_every_assignment(design):
    """Region effects absorb the observed assignment's treated column, not the others': every
    assignment's statistic is still the refit's coefficient of treated x post given treated."""
    data = design.assign(region=np.where(design["treated"] == 1, "south", "rest"))
    test = did_randomization_test(data, "y", unit="county", treated="treated", post="post", covariates=["x"],
                                  categorical=["region"], ci=False)
    fit = did2x2(data, "y", treated="treated", post="post", covariates=["x"], absorb=["region"])
    assert test.statistic == pytest.approx(float(fit.params[TERM]), rel=1e-9)
    plain = did_randomization_test(data, "y", unit="county", treated="treated", post="post", covariates=["x"], ci=False)
    assert test.statistic == pytest.approx(plain.statistic, rel=1e-9)  # region = treated: the same model
