"""The imputation estimator of a stored panel from cohort x cluster x period sums computed in the engine.

:func:`imputation_in_engine` is :func:`~evalkit.estimators.imputation_did` (Borusyak,
Jaravel & Spiess 2024; unit and period effects, no covariates) for balanced panels that do
not fit in memory.  The engine returns, per cohort x cluster cell ``k`` and period ``t``
(:func:`~evalkit.engine.staggered_cells.staggered_cells`), the units' count ``N_k``, summed
weight ``W_k``, weighted outcome sum, and the sums ``Q_k = sum_i w_i^2`` and
``sum_i w_i^2 y_it``.  Units of one cell share their untreated and treated periods, so:

* **Untreated model and imputation.**  A unit's effect is ``alpha_i = mean_{t < g}(y_it -
  lambda_t)``, so the normal equations of the period effects involve only cell sums, and
  weighted least squares on the pseudo-units (cell means, weight ``W_k``) gives the same
  ``lambda_t``, the cell mean of the ``alpha_i`` and the cell mean ``tau_kt`` of the
  units' ``tau^_it``.  Every estimate (``ATT``, ``event_time::h``) is a ``W``-weighted
  mean of ``tau_kt``, and the projection weights ``v_it = -w_i f(g_i, t)`` of the
  untreated rows depend on the unit only through ``w_i``: the untreated part of each
  cluster's influence sum and the wild bootstrap's scores are those of the pseudo-units.
* **Auxiliary model** (BJS eq. 8, the conservative variance).  ``tau~_c = sum_i w_i^2
  tau^_it / sum_i w_i^2`` over the units of cohort x event-time cell ``c`` is not a
  function of cell means; it is one of the cells' ``w^2``-weighted sums:
  ``sum_{i in k} w_i^2 tau^_it = Q_k (tau_kt + d_kt - mean_{s < g} d_ks)`` with
  ``d_kt = sum_i w_i^2 y_it / Q_k - ybar_kt``.  With the bootstrap scores ``B_g`` and
  weight shares ``omega_g`` of the pseudo-unit estimate (their definitions in
  :mod:`evalkit.estimators.imputation`), the cluster sums of the influence functions are
  ``psi_g = B_g + omega_g tau^_w - sum_{it in g} v_it tau~_c``, and the covariance
  ``sum_g psi_g psi_g'``.
* **Pre-trend test** (``min_e < 0``).  The lead regression on untreated rows has
  regressors that depend on the cohort and period only: the pseudo-unit fit has the
  unit-level coefficients and cluster scores, and only CR1's ``(n-1)/(n-df_k)`` is
  recomputed with the panel's untreated row count (``F(K, G - 1)`` as in memory).

Requirements: a cluster coarser than units and constant within unit, and a balanced
panel.  ``effects`` holds the cells' mean ``tau^`` per period (the units' are not
computed).  Numbers equal ``imputation_did`` on the same panel to about 1e-12
(tests/test_out_of_core_imputation.py; docs/out_of_core.md).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.engine.sources import Engine, Table
from evalkit.engine.staggered_cells import staggered_cells
from evalkit.errors import ExcludedRowsWarning
from evalkit.estimators.att_gt_engine import pseudo_panel
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.inference.clusters import cluster_codes
from evalkit.inference.covariance import influence_cov
from evalkit.results import WaldTest

__all__ = ["imputation_in_engine"]


def _unit_level_sums(panel: pd.DataFrame, effects: pd.Series) -> pd.Series:
    """``sum_{i in k} w_i^2 tau^_it`` per imputed pseudo-row (index of ``effects``).

    ``d_kt = sum w^2 y / Q_k - ybar_kt`` is the gap between the cell's ``w^2``- and
    ``w``-weighted means; the unit-level sum is ``Q_k (tau_kt + d_kt - mean_{s < g} d_ks)``.
    """
    d = panel["y_sq_sum"] / panel["weight_sq"] - panel["y"]
    pre = panel["time"] < panel["group"]
    d_pre = d.where(pre).groupby(panel["cell"]).mean()
    rows = effects.index
    cell = panel.loc[rows, "cell"]
    return panel.loc[rows, "weight_sq"] * (effects + d.loc[rows] - d_pre.loc[cell].to_numpy())


def _influence_sums(res: ImputationResult, panel: pd.DataFrame, cluster: np.ndarray) -> np.ndarray:
    """``psi (G, k)``: cluster sums of the units' BJS influence functions (module docstring)."""
    scores = res.scores
    rows = res.effects.index
    part = panel.loc[rows]
    rel = (part["time"] - part["group"]).to_numpy()
    cohort_event = pd.MultiIndex.from_arrays([part["group"].to_numpy(), rel])
    q_tau = _unit_level_sums(panel, res.effects)
    q = part["weight_sq"]
    tau_tilde = (q_tau.groupby(cohort_event).transform("sum") / q.groupby(cohort_event).transform("sum")).to_numpy()
    w = part["cell_weight"].to_numpy()
    horizons = res.event_time.to_numpy()
    n_clusters = scores.scores.shape[0]
    code = cluster[panel.index.get_indexer(rows)]
    psi = np.empty_like(scores.scores)
    for j, h in enumerate(horizons):
        target = np.ones(len(rows), dtype=bool) if np.isnan(h) else rel == h
        weight = w[target].sum()
        imputed = np.bincount(code[target], weights=(w * tau_tilde)[target], minlength=n_clusters) / weight
        psi[:, j] = scores.scores[:, j] + scores.shares[:, j] * scores.estimates[j] - imputed
    return psi


def _pretrend(res: ImputationResult, panel: pd.DataFrame, n_clusters: int) -> dict[str, object]:
    """The pre-trend test with CR1's factor counted in the panel's untreated rows."""
    test = res.pretrend_test
    if not isinstance(test, WaldTest):
        return {}
    untreated = ~((panel["group"] > 0) & (panel["time"] >= panel["group"]))
    n_unit, n_pseudo = int(panel.loc[untreated, "n_units"].sum()), int(untreated.sum())
    df_k = test.df_num + int(panel.loc[untreated, "time"].nunique())
    ratio = ((n_unit - 1) / (n_unit - df_k)) / ((n_pseudo - 1) / (n_pseudo - df_k))
    stat = test.statistic / ratio
    df_denom = n_clusters - 1
    leads = res.pretrend_estimates.copy()
    leads["std_error"] = leads["std_error"] * np.sqrt(ratio)
    return {"pretrend_test": WaldTest(statistic=stat, df_num=test.df_num,
                                      p_value=float(stats.f.sf(stat, test.df_num, df_denom)), null=test.null,
                                      df_denom=df_denom),
            "pretrend_estimates": leads}


def imputation_in_engine(
    table: Table,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    cluster: str,
    min_e: int | None = None,
    max_e: int | None = None,
    weights: str | None = None,
    engine: Engine | None = None,
) -> ImputationResult:
    """BJS imputation estimates of a stored balanced panel, from sums computed in the engine.

    Parameters
    ----------
    table
        A :class:`~evalkit.engine.ParquetSource`, :class:`~evalkit.engine.DuckDBTable`,
        pandas frame or Spark DataFrame; only cohort x cluster x period sums leave the engine.
    y, time, group, unit, min_e, max_e, weights
        As :func:`~evalkit.estimators.imputation_did` (no covariates: a covariate constant
        within unit is absorbed by the unit effects).
    cluster
        Cluster column, constant within unit and coarser than units (required).
    engine
        :class:`~evalkit.engine.DuckDBEngine` (default) or :class:`~evalkit.engine.SparkEngine`.

    Returns
    -------
    ImputationResult
        Equal to ``imputation_did(data, ..., cluster=cluster)`` on the panel in memory:
        estimates, BJS conservative covariance, wild-bootstrap scores and pre-trend test;
        ``nobs`` and the counts in ``extra`` count the panel's rows; ``effects`` are the
        cells' mean effects, indexed by ``(group, cluster, time)``.

    Raises
    ------
    PanelValidationError
        Missing values, duplicated or missing unit-periods, fractional periods, or a
        cohort, cluster or weight varying within a unit (counted in the engine).
    DesignError
        As ``imputation_did``: no treated or untreated rows, a period without untreated
        rows, a horizon or pre-trend lead without data.
    """
    cells = staggered_cells(table, y=y, time=time, group=group, unit=unit, cluster=cluster, weights=weights,
                            squares=True, engine=engine)
    panel = pseudo_panel(cells, [])
    panel["weight_sq"] = cells.frame["weight_sq"].to_numpy()
    panel["y_sq_sum"] = cells.frame["y_sq_sum"].to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = imputation_did(panel, y="y", time="time", group="group", unit="cell", min_e=min_e, max_e=max_e,
                             weights="cell_weight", cluster="cluster")
    treated = (panel["group"] > 0) & (panel["time"] >= panel["group"])
    imputed = panel.index.isin(res.effects.index)
    excluded = int(panel.loc[treated & ~imputed, "n_units"].sum())
    for w in caught:
        if issubclass(w.category, ExcludedRowsWarning):
            warnings.warn(f"{excluded} treated rows were excluded: their unit has no untreated period, so its unit "
                          "effect (and Y(0)) cannot be imputed", ExcludedRowsWarning, stacklevel=2)
        else:
            warnings.warn(w.message, w.category, stacklevel=2)
    codes = cluster_codes(panel["cluster"].to_numpy())[:, 0]
    psi = _influence_sums(res, panel, codes)
    cov = influence_cov(psi)
    names = res.params.index
    part = panel.loc[res.effects.index]
    effects = pd.Series(res.effects.to_numpy(), name="effect",
                        index=pd.MultiIndex.from_frame(part[["group", "cluster", "time"]], names=[group, cluster, time]))
    return dataclasses.replace(
        res,
        std_errors=pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_error"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=cells.n_rows - excluded,
        effects=effects,
        model_name=f"Imputation DiD (Borusyak, Jaravel & Spiess 2024): {y}",
        extra={**res.extra, "outcome": y, "n_untreated": int(panel.loc[~treated, "n_units"].sum()),
               "n_treated": int(panel.loc[imputed, "n_units"].sum()), "engine": getattr(engine, "name", "duckdb"),
               "n_cells": int(panel["cell"].nunique())},
        **_pretrend(res, panel, psi.shape[0]),
    )
