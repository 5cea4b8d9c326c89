"""Doubly robust ATT(g,t) of repeated cross-sections from covariate cells equals ``dr_rcs``.

``att_gt(est_method="dr", panel=False)`` (and the unbalanced-panel path, which estimates
each cell on rows) with listed discrete covariates computes every 2x2 cell from weighted
counts and outcome sums per covariate cell
(:func:`evalkit.estimators.att_gt_covariate_cells.dr_rcs_cell`); passing the row-level
estimator itself (``est_method=dr_rcs``, checked against R did in
tests/test_att_gt_unbalanced.py) forces the general path.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from test_att_gt_covariate_cells import assert_cells_equal_rows

from evalkit.errors import DesignError, PanelValidationError
from evalkit.estimators import att_gt_covariate_cells
from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_cells import PSCORE_TRIM, dr_rcs
from evalkit.estimators.att_gt_covariate_cells import dr_rcs_cell

COLS = {"y": "y", "time": "time", "group": "g"}


def _cross_sections(seed: int = 2, n: int = 3000, n_periods: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"time": rng.integers(1, n_periods + 1, n), "g": rng.choice([0, 3, 4, 6], n, p=[0.4, 0.2, 0.2, 0.2]),
                      "region": rng.integers(0, 30, n), "unit": rng.integers(0, 600, n)})
    c = rng.integers(0, 4, n)
    c = np.where(rng.random(n) < 0.3 * (d["g"] > 0), 3, c)  # treatment depends on the category
    for k in (1, 2, 3):
        d[f"c{k}"] = (c == k).astype(float)
    d["b"] = rng.integers(0, 2, n).astype(float)
    d["rate"] = np.round(rng.uniform(3, 9, 30), 1)[d["region"]]  # a discrete regional covariate
    d["w"] = rng.uniform(0.5, 2.0, n)
    effect = np.where((d["g"] > 0) & (d["time"] >= d["g"]), 1.0, 0.0)
    d["y"] = rng.normal(size=n) + 0.3 * c * d["time"] + effect + 0.2 * d["b"] * c * d["time"] + 0.1 * d["rate"]
    return d


def _compare(d: pd.DataFrame, **kw) -> None:
    assert_cells_equal_rows(d, dr_rcs, COLS, **kw)


@pytest.mark.parametrize("kw", [
    {"covariates": ["c1", "c2", "c3"]},
    {"covariates": ["c1", "c2", "c3", "b", "rate"], "weights": "w", "control_group": "not_yet_treated",
     "cluster": "region"},
    {"covariates": ["c1", "b"], "base_period": "universal"},
], ids=["dummies", "weights_not_yet_cluster", "universal"])
def test_dr_rcs_from_covariate_cells_equals_the_row_level_estimator(kw: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(_cross_sections(), panel=False, **kw)


def test_unbalanced_panel_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # a custom est_method is refused on unbalanced panels: the general path is forced by
    # making the cell estimator decline every cell
    d = _cross_sections(seed=4).drop_duplicates(["unit", "time"])
    d["g"] = d.groupby("unit")["g"].transform("first")
    kw = {"unit": "unit", "covariates": ["c1", "c2", "c3", "b"], "weights": "w", "control_group": "not_yet_treated"}
    d["w"] = d.groupby("unit")["w"].transform("first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = att_gt(d, **COLS, **kw)
        monkeypatch.setattr(sys.modules["evalkit.estimators.att_gt"], "dr_rcs_cell", lambda *a: None)
        slow = att_gt(d, **COLS, **kw)
    assert fast.extra["unbalanced_panel"]
    np.testing.assert_allclose(fast.params, slow.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.std_errors, slow.std_errors, rtol=1e-10)
    np.testing.assert_allclose(fast.influence, slow.influence, rtol=1e-9, atol=1e-10)


def test_trimmed_propensity_scores() -> None:
    d = _cross_sections(seed=9)
    # comparison rows of category 3 weigh little: their propensity score exceeds the trimming bound
    d.loc[(d["c3"] == 1) & (d["g"] == 0), "w"] = 1e-4
    sub = d[d["time"].isin([1, 2]) & d["g"].isin([0, 3]) & (d["c3"] == 1)]
    assert (sub["w"] * (sub["g"] == 3)).sum() / sub["w"].sum() > PSCORE_TRIM
    _compare(d, panel=False, covariates=["c1", "c2", "c3", "b"], weights="w")


def test_cell_estimate_equals_dr_rcs_directly() -> None:
    rng = np.random.default_rng(0)
    distinct = np.column_stack([np.ones(12), rng.integers(0, 2, 12), rng.normal(size=12)])
    cell = rng.integers(0, 12, 2000)
    x = distinct[cell]
    treated = rng.random(2000) < 1 / (1 + np.exp(-(x[:, 1] - 0.5 + 0.3 * x[:, 2])))
    post = rng.random(2000) < 0.5
    y = x @ [1.0, 2.0, -1.0] + 0.5 * treated * post + rng.normal(size=2000)
    w = rng.uniform(0.5, 2.0, 2000)
    inputs = (y.copy(), post.copy(), treated.copy(), w.copy())
    att, inf = dr_rcs_cell(y, post, treated, cell, distinct, w)
    row = dr_rcs(y, post, treated, x, w)
    assert att == pytest.approx(row.att, rel=1e-12, abs=1e-13)
    np.testing.assert_allclose(inf, row.inf, rtol=1e-10, atol=1e-11)
    for before, after in zip(inputs, (y, post, treated, w)):
        np.testing.assert_array_equal(before, after)


def test_a_singular_regression_takes_the_general_path_and_its_error() -> None:
    d = _cross_sections(seed=3)
    # no comparison row of category 3 in period 2: that regression of cohort 3's first cell is singular
    d = d[~((d["c3"] == 1) & (d["g"] == 0) & (d["time"] == 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DesignError, match="collinear"):
            att_gt(d, **COLS, panel=False, covariates=["c1", "c2", "c3"])


def test_the_cell_path_is_taken_for_discrete_covariates(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["evalkit.estimators.att_gt"]
    taken = []

    def spy(*args, **kwargs):
        out = att_gt_covariate_cells.dr_rcs_cell(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(module, "dr_rcs_cell", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = att_gt(_cross_sections(), **COLS, panel=False, covariates=["c1", "c2", "c3"])
    assert len(taken) == len(res.params) and all(taken)


def test_cell_estimate_of_several_outcomes_equals_each_alone() -> None:
    rng = np.random.default_rng(1)
    distinct = np.column_stack([np.ones(8), rng.integers(0, 2, 8), rng.normal(size=8)])
    cell = rng.integers(0, 8, 1500)
    treated, post = rng.random(1500) < 0.4, rng.random(1500) < 0.5
    Y = np.column_stack([distinct[cell] @ [1.0, 2.0, -1.0] + rng.normal(size=1500), rng.random(1500) < 0.3])
    w = rng.uniform(0.5, 2.0, 1500)
    joint = dr_rcs_cell(Y, post, treated, cell, distinct, w)
    assert len(joint) == 2
    for j, (att, inf) in enumerate(joint):
        alone = dr_rcs_cell(Y[:, j], post, treated, cell, distinct, w)
        assert att == alone[0]
        np.testing.assert_array_equal(inf, alone[1])


@pytest.mark.parametrize("kw", [
    {"panel": False, "covariates": ["c1", "c2", "c3", "b"], "weights": "w", "control_group": "not_yet_treated",
     "cluster": "region", "n_boot": 99, "rng": 5},
    {"panel": False, "covariates": ["c1", "c2"], "est_method": "ipw"},
    {"unit": "unit", "covariates": ["c1", "c2", "c3", "b"], "control_group": "not_yet_treated"},
], ids=["rcs_dr_cells_bootstrap", "rcs_ipw", "unbalanced_panel"])
def test_several_outcomes_equal_one_call_per_outcome(kw: dict) -> None:
    """A list of outcomes shares the design (and the cells' counts, logit and normal matrices):
    each result is bit for bit that of its own call."""
    d = _cross_sections(seed=6)
    if "unit" in kw:
        d = d.drop_duplicates(["unit", "time"])
        d["g"] = d.groupby("unit")["g"].transform("first")
    d = d.assign(y2=(d["y"] > 0.5).astype(float), y3=d["y"] * d["b"] - d["time"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        joint = att_gt(d, y=["y", "y2", "y3"], time="time", group="g", **kw)
        assert list(joint) == ["y", "y2", "y3"]
        for outcome, res in joint.items():
            alone = att_gt(d, y=outcome, time="time", group="g", **kw)
            pd.testing.assert_frame_equal(res.tidy(), alone.tidy(), check_exact=True)
            np.testing.assert_array_equal(res.influence, alone.influence)
            pd.testing.assert_frame_equal(res.aggregate("dynamic").tidy(), alone.aggregate("dynamic").tidy(),
                                          check_exact=True)
        with pytest.raises(PanelValidationError, match="'y2' is missing on other rows than 'y'"):
            att_gt(d.assign(y2=d["y2"].where(d.index != d.index[3])), y=["y", "y2"], time="time", group="g", **kw)


@pytest.mark.parametrize("covariates", [None, ["c1"]], ids=["no_covariates", "dr_cells"])
def test_several_outcomes_of_a_balanced_panel_equal_one_call_per_outcome(covariates: list[str] | None) -> None:
    rng = np.random.default_rng(8)
    units, periods = np.arange(300), np.arange(1, 6)
    d = pd.DataFrame({"unit": np.repeat(units, 5), "time": np.tile(periods, 300)})
    d["g"] = rng.choice([0, 3, 4], 300)[d["unit"]]
    d["c1"] = rng.integers(0, 2, 300)[d["unit"]].astype(float)
    d["y"] = rng.normal(size=len(d)) + d["c1"] * d["time"] + ((d["g"] > 0) & (d["time"] >= d["g"]))
    d["y2"] = d["y"] ** 2
    kw = {"time": "time", "group": "g", "unit": "unit", "covariates": covariates}
    joint = att_gt(d, y=["y", "y2"], **kw)
    for outcome, res in joint.items():
        alone = att_gt(d, y=outcome, **kw)
        pd.testing.assert_frame_equal(res.tidy(), alone.tidy(), check_exact=True)
        np.testing.assert_array_equal(res.influence, alone.influence)
