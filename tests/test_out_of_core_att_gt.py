"""ATT(g,t) from cell sums computed in the engine equals att_gt on the panel in memory.

A small staggered panel (units nested in 12 regions, a discrete covariate, sampling
weights) is written to Parquet; att_gt_in_engine sums it in DuckDB (and in a local Spark
session when PySpark is installed) and must reproduce att_gt's estimates, covariance,
pre-test, multiplier bootstrap and aggregations to 1e-10.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from out_of_core_support import ARGS, assert_same, fit_both, staggered_panel

from evalkit.engine import ParquetSource, SparkEngine
from evalkit.engine.staggered_cells import (
    cells_query,
    staggered_cells,
    validation_query,
)
from evalkit.errors import (
    DesignError,
    EvalkitError,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
)
from evalkit.estimators import att_gt, event_study
from evalkit.estimators.att_gt_engine import att_gt_in_engine
from evalkit.estimators.event_study_engine import event_study_in_engine
from evalkit.inference import wild_cluster_bootstrap


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return staggered_panel()


@pytest.fixture(scope="module")
def parquet(data, tmp_path_factory) -> ParquetSource:
    path = tmp_path_factory.mktemp("ooc") / "panel.parquet"
    data.to_parquet(path)
    return ParquetSource(str(path))


def _both(data, source, engine=None, **kwargs):
    return fit_both(att_gt, att_gt_in_engine, data, source, engine, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"est_method": "dr"},
    {"est_method": "reg", "control_group": "not_yet_treated", "weights": "wt"},
    {"est_method": "dr", "covariates": ["edu"], "weights": "wt"},
    {"est_method": "ipw", "covariates": "~ C(edu)", "base_period": "universal"},
])
def test_duckdb_cells_equal_att_gt_in_memory(data, parquet, kwargs):
    memory, stored = _both(data, parquet, **kwargs)
    assert_same(memory, stored)
    assert stored.pretest.statistic == pytest.approx(memory.pretest.statistic, rel=1e-10)
    assert stored.extra["n_cells"] < memory.nobs / 10
    for kind in ("dynamic", "group", "simple", "calendar"):
        assert_same(memory.aggregate(kind), stored.aggregate(kind))


def test_bootstrap_and_wild_bootstrap_equal(data, parquet):
    memory, stored = _both(data, parquet, covariates=["edu"], n_boot=199, rng=5)
    assert_same(memory, stored)
    assert stored.crit_uniform == pytest.approx(memory.crit_uniform, rel=1e-10)
    dyn_m, dyn_s = memory.aggregate("dynamic"), stored.aggregate("dynamic")
    assert_same(dyn_m, dyn_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        wm = wild_cluster_bootstrap(dyn_m, "ATT", n_boot=99, rng=2)
        ws = wild_cluster_bootstrap(dyn_s, "ATT", n_boot=99, rng=2)
    assert ws.p_value == pytest.approx(wm.p_value, abs=1e-12)
    assert ws.statistic == pytest.approx(wm.statistic, rel=1e-10)


def test_always_treated_cells_are_excluded_with_unit_counts(data, tmp_path):
    early = data.copy()
    early.loc[early["person"] < 1030, "first"] = 1.0
    path = tmp_path / "early.parquet"
    early.to_parquet(path)
    with pytest.warns(ExcludedRowsWarning, match="excluded 30 units"):
        memory, stored = _both(early, ParquetSource(str(path)))
    assert_same(memory, stored)


def test_engine_errors_name_columns_counts_and_units(data, tmp_path):
    bad = data.copy()
    bad.loc[(bad["person"] == 1003) & (bad["month"] == 2), "county"] = "x"  # cluster varies within unit
    bad = bad[~((bad["person"].isin([1005, 1007])) & (bad["month"] == 6))]  # unbalanced
    path = tmp_path / "bad.parquet"
    bad.to_parquet(path)
    with pytest.raises(PanelValidationError) as err:
        att_gt_in_engine(ParquetSource(str(path)), **ARGS)
    text = str(err.value)
    assert "1 of the 600 units of 'person' have more than one value of 'county'" in text and "[1003]" in text
    assert "2 of the 600 units of 'person' miss periods of 'month'" in text and "[1005, 1007]" in text
    with pytest.raises(DesignError, match="more than one role"):
        att_gt_in_engine(ParquetSource(str(path)), **{**ARGS, "cluster": "person"})


def test_cells_are_small_and_one_query_each(data):
    cells = staggered_cells(data, y="outcome", time="month", group="first", unit="person", cluster="county",
                            covariates=["edu"])
    assert cells.n_units == 600 and cells.n_periods == 6 and cells.n_rows == 3600
    assert cells.frame["n_units"].sum() == 3600
    assert len(cells.frame) <= 12 * 3 * 3 * 6
    np.testing.assert_allclose(cells.frame["y_sum"].sum(), data["outcome"].sum(), rtol=1e-12)
    assert "GROUP BY" in cells_query(1, False) and "GROUP BY" in validation_query(1, True, 6)
    assert "COUNT(DISTINCT" not in validation_query(1, True, 6)  # no per-unit distinct: it spills a panel-sized table


@pytest.mark.parametrize("n_periods", [6, 120])
def test_balance_check_is_exact_without_count_distinct(n_periods):
    """A unit with a period twice and another missing has the full row count; the bit sums catch it."""
    units = np.repeat(np.arange(40) + 1, n_periods)
    t = np.tile(np.arange(1, n_periods + 1), 40)
    t[(units == 7) & (t == 3)] = 2  # unit 7: period 2 twice, period 3 missing
    t[(units == 9) & (t == n_periods - 1)] = n_periods  # the same in the last bit bucket
    frame = pd.DataFrame({"u": units, "t": t, "g": 0.0, "c": units % 4, "y": 1.0})
    with pytest.raises(PanelValidationError) as err:
        staggered_cells(frame, y="y", time="t", group="g", unit="u", cluster="c")
    text = str(err.value)
    assert "2 of the 40 units of 'u' have more than one row in a period of 't'" in text and "[7, 9]" in text
    assert "2 of the 40 units of 'u' miss periods of 't'" in text
    ok = staggered_cells(frame[~frame["u"].isin([7, 9])], y="y", time="t", group="g", unit="u", cluster="c")
    assert ok.n_units == 38 and ok.n_periods == n_periods


def test_spark_runs_the_same_sums(data, parquet, spark):
    memory, stored = _both(data, parquet, engine=SparkEngine(spark), covariates=["edu"], weights="wt")
    assert_same(memory, stored)
    assert_same(memory.aggregate("dynamic"), stored.aggregate("dynamic"))
    assert stored.extra["engine"] == "spark"


@pytest.mark.parametrize("kwargs", [{}, {"weights": "wt", "min_e": -3, "max_e": 2}])
def test_event_study_from_cells_equals_in_memory(data, parquet, kwargs):
    memory, stored = fit_both(event_study, event_study_in_engine, data, parquet, **kwargs)
    assert_same(memory, stored)
    assert stored.nobs == 3600
    with pytest.raises(EvalkitError, match="keeps no scores"):
        wild_cluster_bootstrap(stored, "event_time::0", n_boot=9)
