"""The imputation estimator from cell sums computed in the engine equals imputation_did in memory.

A small staggered panel (units nested in 12 regions, sampling weights) is written to
Parquet; imputation_in_engine sums it in DuckDB (and in a local Spark session) and must
reproduce imputation_did's estimates, BJS conservative covariance, pre-trend test and
wild cluster bootstrap to 1e-10.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from out_of_core_support import ARGS, TOL, assert_same, fit_both, staggered_panel

from evalkit.engine import ParquetSource, SparkEngine
from evalkit.engine.staggered_cells import cells_query, staggered_cells
from evalkit.errors import (
    DesignError,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
)
from evalkit.estimators import imputation_did
from evalkit.estimators.att_gt_engine import pseudo_panel
from evalkit.estimators.imputation_engine import imputation_in_engine
from evalkit.inference import wild_cluster_bootstrap


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return staggered_panel(n_units=480, n_periods=7, seed=5)


@pytest.fixture(scope="module")
def parquet(data, tmp_path_factory) -> ParquetSource:
    path = tmp_path_factory.mktemp("ooc_imp") / "panel.parquet"
    data.to_parquet(path)
    return ParquetSource(str(path))


def _both(data, source, engine=None, **kwargs):
    return fit_both(imputation_did, imputation_in_engine, data, source, engine, **kwargs)


def _assert_same(memory, stored):
    assert_same(memory, stored, extra=("outcome", "n_untreated", "n_treated"))


@pytest.mark.parametrize("kwargs", [{}, {"weights": "wt"}, {"weights": "wt", "min_e": -3, "max_e": 2}])
def test_duckdb_cells_equal_imputation_in_memory(data, parquet, kwargs):
    memory, stored = _both(data, parquet, **kwargs)
    _assert_same(memory, stored)
    assert stored.extra["n_cells"] < memory.nobs / 50
    if "min_e" in kwargs:
        assert stored.pretrend_test.statistic == pytest.approx(memory.pretrend_test.statistic, rel=1e-10)
        assert stored.pretrend_test.p_value == pytest.approx(memory.pretrend_test.p_value, rel=1e-10)
        assert stored.pretrend_test.df_denom == memory.pretrend_test.df_denom
        np.testing.assert_allclose(stored.pretrend_estimates, memory.pretrend_estimates, **TOL)
    # the cells' mean effects are the W-weighted means of the units' effects
    rows = data.loc[memory.effects.index]
    w = rows[kwargs["weights"]] if "weights" in kwargs else pd.Series(1.0, index=rows.index)
    keys = [rows["first"], rows["county"], rows["month"]]
    by_cell = (memory.effects * w).groupby(keys).sum() / w.groupby(keys).sum()
    np.testing.assert_allclose(stored.effects.sort_index(), by_cell.sort_index(), **TOL)


def test_the_auxiliary_model_is_the_units_not_the_cells(data):
    """Without the w^2 sums the cells' conservative variance would differ (the test can fail)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        memory = imputation_did(data, **ARGS, weights="wt")
        cells = staggered_cells(data, **ARGS, weights="wt", squares=True)
        naive = imputation_did(pseudo_panel(cells, []), y="y", time="time", group="group", unit="cell",
                               weights="cell_weight", cluster="cluster")
    np.testing.assert_allclose(naive.params, memory.params, **TOL)
    assert np.max(np.abs(naive.std_errors / memory.std_errors - 1)) > 1e-4
    np.testing.assert_allclose(cells.frame.groupby("time")["weight_sq"].sum(), (data["wt"] ** 2).groupby(
        data["month"]).sum(), rtol=1e-12)
    assert "weight_sq" in cells_query(0, True, squares=True) and "weight_sq" not in cells_query(0, True)


def test_wild_bootstrap_equal(data, parquet):
    memory, stored = _both(data, parquet, weights="wt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        for term in ("ATT", "event_time::1"):
            wm = wild_cluster_bootstrap(memory, term, n_boot=99, rng=3)
            ws = wild_cluster_bootstrap(stored, term, n_boot=99, rng=3)
            assert ws.statistic == pytest.approx(wm.statistic, rel=1e-10)
            assert ws.p_value == pytest.approx(wm.p_value, abs=1e-12)


def test_always_treated_rows_are_excluded_with_row_counts(data, tmp_path):
    early = data.copy()
    early.loc[early["person"] < 1025, "first"] = 1.0
    path = tmp_path / "early.parquet"
    early.to_parquet(path)
    with pytest.warns(ExcludedRowsWarning, match="175 treated rows were excluded"):
        memory, stored = _both(early, ParquetSource(str(path)))
    _assert_same(memory, stored)


def test_errors_as_in_memory(data, tmp_path):
    late = data[data["month"] <= 2]  # no period has a treated row
    with pytest.raises(DesignError, match="no treated observation"):
        imputation_in_engine(late, **ARGS)
    bad = data[~((data["person"] == 1004) & (data["month"] == 3))]
    with pytest.raises(PanelValidationError, match="1 of the 480 units of 'person' miss periods"):
        imputation_in_engine(bad, **ARGS)


def test_spark_runs_the_same_sums(data, parquet, spark):
    memory, stored = _both(data, parquet, engine=SparkEngine(spark), weights="wt", min_e=-2)
    _assert_same(memory, stored)
    assert stored.pretrend_test.statistic == pytest.approx(memory.pretrend_test.statistic, rel=1e-10)
    assert stored.extra["engine"] == "spark"
