"""The FUI regressions from one design per sample equal did2x2 fitted model by model.

:func:`~evalkit.replications.fui.regressions.fit_fui_regressions` builds the regressors
once and solves each outcome and horizon by ``fit_ols`` on its rows; the reference is the
user's path, :func:`~evalkit.estimators.did2x2` with the formula, per model, on the same
rows (what ``fit_fui_regressions`` did before).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import FewClustersWarning
from evalkit.panel import read_panel
from evalkit.estimators.did2x2 import did2x2
from evalkit.replications.fui.regressions import design_frame, fit_fui_regressions, required_columns
from evalkit.replications.fui.sample import FuiSpec, prepare_sample
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel


@pytest.fixture(scope="module")
def data():
    sim = simulate_fui_panel(scale=0.05, seed=11)
    panel = sim.panel.copy()
    persons = panel["person_id"].drop_duplicates()
    panel.loc[panel["person_id"].isin(persons.sample(frac=0.03, random_state=2)), "female"] = np.nan
    return read_panel(panel), sim.unemployment


def _reference(sample, *, vcov="iid", cluster=None, control_for_category=True):
    """did2x2 per model from a formula: the path of the user (and of fit_fui_regressions before)."""
    design = design_frame(sample, control_for_category=control_for_category)
    covariates = [c for c in design.columns if c not in ("t2", "south_west")]
    fixed_effects = sample.spec.fixed_effects
    known = sample.frame[list(required_columns(sample.spec))].notna().all(axis=1)
    base = design.assign(county=sample.frame["county"].astype(str))
    for column in fixed_effects:
        if column != "county":
            base[column] = sample.frame[column].astype(str)
    out = {}
    for outcome in sample.spec.outcomes:
        for h in sample.spec.horizons:
            y = sample.frame[f"{outcome}_{h}"]
            use = known & y.notna()
            out[(outcome, h)] = did2x2(base[use].assign(y=y[use]), "y", treated="south_west", post="t2",
                                       covariates=covariates, absorb=fixed_effects, vcov=vcov, cluster=cluster)
    return out


def _assert_same(new, old):
    assert list(new.params.index) == list(old.params.index)
    np.testing.assert_allclose(new.params.to_numpy(), old.params.to_numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(new.std_errors.to_numpy(), old.std_errors.to_numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(new.cov.to_numpy(), old.cov.to_numpy(), rtol=1e-9, atol=1e-16)
    np.testing.assert_allclose(new.fit.resid, old.fit.resid, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new.fit.X, old.fit.X, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new.pvalues.to_numpy(), old.pvalues.to_numpy(), rtol=1e-8, atol=1e-14)
    assert (new.nobs, new.df_resid, new.n_clusters, new.cov_type) == (old.nobs, old.df_resid, old.n_clusters,
                                                                      old.cov_type)
    assert (new.formula, new.model_name, new.effect_term, new.treated, new.post) == (
        old.formula, old.model_name, old.effect_term, old.treated, old.post)
    assert new.extra.keys() == old.extra.keys()
    for key, value in old.extra.items():
        assert new.extra[key] == (pytest.approx(value, rel=1e-10) if isinstance(value, float) else value), key
    pd.testing.assert_frame_equal(new.data, old.data)
    pd.testing.assert_frame_equal(new.cells, old.cells)


@pytest.mark.parametrize(
    "options",
    [{}, {"control_for_category": False}, {"vcov": "CR1", "cluster": "county"}, {"vcov": "HC1"}],
    ids=["published", "without-category", "county-CR1", "HC1"],
)
def test_each_fui_model_equals_did2x2_of_its_rows(data, options):
    panel, unemployment = data
    sample = prepare_sample(panel, unemployment, norway_2017_schedule(), FuiSpec(horizons=(1, 6)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fast = fit_fui_regressions(sample, **options)
        old = _reference(sample, **options)
    assert fast.models.keys() == old.keys()
    for key, res in old.items():
        _assert_same(fast.models[key], res)


@pytest.mark.parametrize("fixed_effects", [("county",), ("entry_month",), ("county", "entry_month")])
def test_fui_models_with_absorbed_fixed_effects_equal_did2x2(data, fixed_effects):
    """County effects absorb south_west (left out); entry-month effects absorb t2 and the month dummies."""
    panel, unemployment = data
    spec = FuiSpec(horizons=(3,), fixed_effects=fixed_effects,
                   entry_month_dummies="entry_month" not in fixed_effects)
    sample = prepare_sample(panel, unemployment, norway_2017_schedule(), spec)
    fast = fit_fui_regressions(sample)
    old = _reference(sample)
    for key, res in old.items():
        _assert_same(fast.models[key], res)
    absorbed = {"county": "south_west", "entry_month": "t2"}
    for fe in fixed_effects:
        assert absorbed[fe] not in fast.models[key].params.index
