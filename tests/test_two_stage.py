"""Gardner (2022) two-stage DiD: frozen pyfixest ``did2s`` reference and equivalences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ExcludedRowsWarning
from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.two_stage import two_stage_did

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}
CASES = [("att", {}), ("event_time", {"event_time": True}),
         ("att_covariate_weighted", {"covariates": ["x"], "weights": "w"})]


@pytest.mark.parametrize(("key", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_matches_pyfixest_did2s(key: str, kwargs: dict) -> None:
    ref = REF["did2s"][key]
    res = two_stage_did(DATA, **COLS, **kwargs)
    assert len(res.params) == len(ref["coef"])
    np.testing.assert_allclose(res.params, ref["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.std_errors, ref["se"], rtol=1e-6)


def test_point_estimate_equals_imputation_without_covariates() -> None:
    a = two_stage_did(DATA, **COLS)
    b = imputation_did(DATA, **COLS)
    np.testing.assert_allclose(a.params["att"], b.params["att"], rtol=1e-10)


def test_always_treated_unit_is_excluded_with_warning() -> None:
    extra = pd.DataFrame({"unit": 999, "time": np.arange(1, 9), "g": 1, "x": 0.0, "w": 1.0, "y": np.arange(8.0)})
    with pytest.warns(ExcludedRowsWarning, match="no untreated period"):
        res = two_stage_did(pd.concat([DATA, extra], ignore_index=True), **COLS)
    np.testing.assert_allclose(res.params["att"], REF["did2s"]["att"]["coef"][0], rtol=1e-8)


def test_several_rows_per_unit_and_period() -> None:
    rng = np.random.default_rng(5)
    rows = DATA.loc[DATA.index.repeat(2)].reset_index(drop=True)
    rows["y"] = rows["y"] + rng.normal(size=len(rows))
    res = two_stage_did(rows, y="y", time="time", group="g", unit="unit", event_time=True)
    assert np.all(np.isfinite(res.std_errors)) and res.n_clusters == DATA["unit"].nunique()
