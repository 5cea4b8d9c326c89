"""Doubly robust ATT(g,t) from covariate cells equals the unit-level ``dr_panel`` path.

``att_gt(est_method="dr")`` on a balanced panel with discrete covariates estimates every
cell from sums within covariate cells (:mod:`evalkit.estimators.att_gt_covariate_cells`);
passing the cell estimator itself (``est_method=dr_panel``) forces the general path, which
fits the logit and the outcome regression on the units.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import att_gt_covariate_cells
from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_cells import PSCORE_TRIM, dr_panel
from evalkit.staggered.covariate_cells import covariate_cells

COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}


def _panel(seed: int = 2, n_units: int = 400, n_periods: int = 6, varying: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 6], n_units, p=[0.4, 0.2, 0.2, 0.2])
    cat = rng.integers(0, 4, n_units)
    d = pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods), "time": np.tile(np.arange(1, n_periods + 1), n_units),
                      "g": np.repeat(g, n_periods), "region": np.repeat(rng.integers(0, 40, n_units), n_periods)})
    c = np.repeat(cat, n_periods)
    if varying:  # a category that some units leave over time
        c = np.where((d["time"].to_numpy() > 3) & (d["unit"].to_numpy() % 5 == 0), (c + 1) % 4, c)
    for k in (1, 2, 3):
        d[f"c{k}"] = (c == k).astype(float)
    d["b"] = np.repeat(rng.integers(0, 2, n_units), n_periods).astype(float)  # with c: 8 cells, 5 coefficients
    # treatment depends on the category (so the propensity score matters), trends too
    d["w"] = np.repeat(rng.uniform(0.5, 2.0, n_units), n_periods)
    effect = np.where((d["g"] > 0) & (d["time"] >= d["g"]), 1.0, 0.0)
    d["y"] = (rng.normal(size=len(d)) + np.repeat(rng.normal(size=n_units), n_periods) + 0.3 * c * d["time"] + effect
              + 0.2 * d["b"] * c * d["time"])  # an interaction the linear outcome model misses
    return d


def assert_cells_equal_rows(d: pd.DataFrame, reference, columns: dict, **kw) -> None:
    """att_gt's doubly robust path from covariate cells equals the row-level ``reference`` estimator.

    Estimates, SEs, influence functions and the dynamic aggregation, to 1e-10 (influence 1e-9).
    """
    fast = att_gt(d, **columns, est_method="dr", **kw)
    assert fast.influence.shape[1] == len(fast.params)
    slow = att_gt(d, **columns, est_method=reference, **kw)
    np.testing.assert_allclose(fast.params, slow.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.std_errors, slow.std_errors, rtol=1e-10)
    np.testing.assert_allclose(fast.influence, slow.influence, rtol=1e-9, atol=1e-10)
    dyn_fast, dyn_slow = fast.aggregate("dynamic"), slow.aggregate("dynamic")
    np.testing.assert_allclose(dyn_fast.params, dyn_slow.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dyn_fast.std_errors, dyn_slow.std_errors, rtol=1e-10)


def _compare(d: pd.DataFrame, **kw) -> None:
    assert_cells_equal_rows(d, dr_panel, COLS, **kw)


@pytest.mark.parametrize("kw", [
    {"covariates": ["c1", "c2", "c3"]},
    {"covariates": ["c1", "c2", "c3", "b"], "weights": "w", "control_group": "not_yet_treated"},
    {"covariates": ["c1", "c2"], "base_period": "universal", "cluster": "region"},
], ids=["dummies", "weights_not_yet", "universal_cluster"])
def test_dr_from_covariate_cells_equals_the_unit_level_estimator(kw: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(_panel(), **kw)


def test_time_varying_discrete_covariates_use_each_base_period() -> None:
    _compare(_panel(seed=5, varying=True), covariates=["c1", "c2", "c3", "b"])


def test_trimmed_propensity_scores() -> None:
    d = _panel(seed=9)
    # never-treated units of category 3 weigh little: their propensity score in cohort 3's cells
    # exceeds the trimming bound, so they leave the comparison group
    light = (d["c3"] == 1) & (d["g"] == 0)
    d.loc[light, "w"] = 1e-4
    sub = d[(d["time"] == 2) & d["g"].isin([0, 3]) & (d["c3"] == 1)]
    assert (sub["w"] * (sub["g"] == 3)).sum() / sub["w"].sum() > PSCORE_TRIM
    _compare(d, covariates=["c1", "c2", "c3", "b"], weights="w")


def test_continuous_covariates_take_the_general_path() -> None:
    d = _panel(seed=3)
    d["x"] = np.random.default_rng(1).normal(size=len(d))
    assert covariate_cells(np.column_stack([np.ones(len(d)), d["x"]])) is None
    _compare(d, covariates=["c1", "x"])


def test_covariate_cells_codes_reproduce_the_rows() -> None:
    x = np.column_stack([np.ones(1000), np.random.default_rng(0).integers(0, 3, (1000, 2))]).astype(float)
    rows, codes = covariate_cells(x)
    assert len(rows) == len(np.unique(x, axis=0))
    np.testing.assert_array_equal(rows[codes], x)


def test_the_cell_path_is_taken_for_discrete_covariates(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["evalkit.estimators.att_gt"]
    taken = []

    def spy(*args, **kwargs):
        out = att_gt_covariate_cells.dr_cell(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(module, "dr_cell", spy)
    res = att_gt(_panel(), **COLS, covariates=["c1", "c2", "c3"])
    assert len(taken) == len(res.params) and all(taken)


def test_listed_discrete_covariates_are_stored_as_cells_equal_to_the_dense_design() -> None:
    from evalkit.staggered.design import build_design
    from evalkit.staggered.gt_data import staggered_data

    d = _panel(seed=5, varying=True)
    d["big"] = np.repeat(np.random.default_rng(2).choice([-(2**21), 7, 2**21], 400), 6)  # factorised, not offset
    d["u"] = (d["b"] * 3).astype(np.uint8)
    cols = ["c1", "c2", "big", "u"]

    def arrays(covariates):
        design = build_design(d, **COLS, covariates=cols, panel=True)
        return staggered_data(design, covariates=covariates, control_group="never_treated", anticipation=0,
                              allow_unbalanced_panel=True, clustered=False)

    cells, dense = arrays(cols), arrays("~ c1 + c2 + big + u")  # a formula takes the dense path
    assert cells.dense_design is None and dense.covariate_cells is None
    distinct, code = cells.covariate_cells
    assert code.shape == cells.outcome.shape and len(distinct) == len(np.unique(distinct, axis=0))
    np.testing.assert_array_equal(cells.design, dense.design)
    # the cells are numbered by first appearance, as covariate_cells numbers the dense rows
    rows, codes = covariate_cells(dense.design.reshape(-1, distinct.shape[1]))
    np.testing.assert_array_equal(rows, distinct)
    np.testing.assert_array_equal(codes, code.reshape(-1))
