"""The TWFE event study of a stored panel from cohort x cluster x period sums computed in the engine.

:func:`event_study_in_engine` is :func:`~evalkit.estimators.event_study` (unit and
period effects, event-time dummies, CR1 clustered) for balanced panels that do not fit in
memory.  The regressors of a unit depend only on its cohort and the period, and units are
nested in clusters, so each cohort x cluster cell of ``N_k`` units (summed weight
``W_k``) is one pseudo-unit with the cell's weighted mean outcome and weight ``W_k``:

* weighted least squares with pseudo-unit and period effects has the normal equations of
  the unit-level regression (the within-unit mean of a cell mean is the cell mean of the
  within-unit means), so the coefficients are equal;
* a cluster's score ``sum_i sum_t x~_it e_it`` is the sum over its cells of
  ``W_k sum_t x~_kt e_kt``, so the cluster-robust meat and the bread are equal;
* only CR1's small-sample factor ``G/(G-1) (n-1)/(n-df_k)`` counts rows: it is recomputed
  with the panel's ``n`` (``df_k`` = dummies + periods, the unit effects being nested in
  the clusters, as :mod:`evalkit.regression.ols` counts them).

The result keeps no scores for the wild cluster bootstrap: refitting the pseudo-unit
regression would give the unit-level p-values (every bootstrap t-statistic carries the
same factor) but a t-statistic with the pseudo-units' small-sample factor; bootstrap
:func:`~evalkit.estimators.att_gt_engine.att_gt_in_engine`'s aggregations instead.
``r2_within`` is not reported (it needs unit-level sums of squares).  See
docs/out_of_core.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.engine.sources import Engine, Table
from evalkit.engine.staggered_cells import staggered_cells
from evalkit.errors import DesignError
from evalkit.estimators.att_gt_engine import pseudo_panel
from evalkit.estimators.event_study import event_study
from evalkit.estimators.event_study_result import EventStudyResult

__all__ = ["event_study_in_engine"]


def event_study_in_engine(
    table: Table,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    cluster: str,
    ref: int | Sequence[int] = -1,
    min_e: int | None = None,
    max_e: int | None = None,
    bin_endpoints: bool = True,
    weights: str | None = None,
    engine: Engine | None = None,
) -> EventStudyResult:
    """TWFE event study of a stored balanced panel, from sums computed in the engine.

    Parameters
    ----------
    table
        A :class:`~evalkit.engine.ParquetSource`, :class:`~evalkit.engine.DuckDBTable`,
        pandas frame or Spark DataFrame; only cohort x cluster x period sums leave the engine.
    y, time, group, unit, ref, min_e, max_e, bin_endpoints, weights
        As :func:`~evalkit.estimators.event_study` (unit and period effects).
    cluster
        Cluster column, constant within unit and coarser than units (required).
    engine
        :class:`~evalkit.engine.DuckDBEngine` (default) or :class:`~evalkit.engine.SparkEngine`.

    Returns
    -------
    EventStudyResult
        Equal to ``event_study(data, ..., cluster=cluster)`` on the panel in memory
        (estimates, CR1 covariance); ``nobs`` counts the panel's rows; no wild-bootstrap scores.
    """
    cells = staggered_cells(table, y=y, time=time, group=group, unit=unit, cluster=cluster, weights=weights,
                            engine=engine)
    panel = pseudo_panel(cells, [])
    res = event_study(panel, y="y", time="time", group="group", unit="cell", ref=ref, min_e=min_e, max_e=max_e,
                      bin_endpoints=bin_endpoints, cluster="cluster", weights="cell_weight")
    n_rows, n_pseudo = cells.n_rows, len(panel)
    df_k = len(res.params) + cells.n_periods
    if n_rows <= df_k:
        raise DesignError(f"no residual degrees of freedom: {n_rows} rows for {df_k} parameters")
    ratio = ((n_rows - 1) / (n_rows - df_k)) / ((n_pseudo - 1) / (n_pseudo - df_k))
    terms = res.params.index
    extra = {k: v for k, v in res.extra.items() if k != "r2_within"}
    return dataclasses.replace(
        res, nobs=n_rows, std_errors=pd.Series(res.std_errors.to_numpy() * np.sqrt(ratio), index=terms,
                                               name="std_error"),
        cov=pd.DataFrame(res.cov.to_numpy() * ratio, index=terms, columns=terms),
        model_name=f"TWFE event study: {y}", scores=None,
        extra={**extra, "outcome": y, "engine": getattr(engine, "name", "duckdb"),
               "n_cells": int(panel["cell"].nunique())},
    )
