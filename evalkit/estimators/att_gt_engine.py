"""ATT(g,t) of a stored panel from cell sums computed inside the engine (out of core).

:func:`att_gt_in_engine` is :func:`~evalkit.estimators.att_gt.att_gt` for panels that do
not fit in memory.  The engine (DuckDB under a ``memory_limit``, or Spark) returns the
sums of :func:`evalkit.engine.staggered_cells.staggered_cells`: per cell ``k`` (units of
one cohort, cluster and combination of discrete covariates) and period, the number of
units ``N_k``, their summed weight ``W_k`` and the weighted outcome sum.  Each cell
becomes one *pseudo-unit* with weight ``W_k`` and outcome the cell's weighted mean, and
the in-memory cell estimators run on those pseudo-units.  This is exact, not an
approximation:

* every 2x2 estimator of :mod:`evalkit.estimators.att_gt_cells` (outcome regression, IPW,
  doubly robust; any model in the covariates) is a function of weighted sums over units
  of ``f(D_i, x_i) * (1, dY_i)``, and such sums are the same over units and over cells
  whose units share ``(D, x)``;
* the influence function of a unit is ``w_i (a(D_i, x_i) dY_i + b(D_i, x_i))``, so a
  pseudo-unit's influence function is the sum of its units', scaled by ``n_cells /
  n_units``; the covariance ``S'S / n^2`` with ``S`` the cluster sums (units nested in
  clusters) is therefore the same, and so is every multiplier-bootstrap draw;
* the cohort-share influence functions ``w_i 1{G_i = g} - p_g`` count units in their
  centring term, so the result keeps ``N_k`` and returns the cells' sums
  (:meth:`EngineATTgtResult.share_influence`); aggregations, their covariance and
  bootstrap then equal the in-memory ones.

Clusters must be coarser than units (the inference is cluster-robust; with one unit per
cluster the cells would be the units).  Numbers equal ``att_gt`` on the same panel to
about 1e-12 (tests/test_out_of_core_att_gt.py).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.engine.sources import Engine, Table
from evalkit.engine.staggered_cells import StaggeredCells, staggered_cells
from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators.att_gt import BasePeriod, ControlGroup, EstMethod, att_gt
from evalkit.estimators.att_gt_cells import CellEstimate
from evalkit.estimators.att_gt_result import ATTgtResult
from evalkit.inference.multiplier_bootstrap import (
    bootstrap_cov,
    bootstrap_draws,
    bootstrap_summary,
)
from evalkit.inference.rng import RNG, as_generator
from evalkit.staggered.gt_data import covariate_columns

__all__ = ["EngineATTgtResult", "att_gt_in_engine", "pseudo_panel"]

#: Column names of the pseudo-unit panel handed to the in-memory estimator.
_UNIT, _WEIGHT = "cell", "cell_weight"


@dataclass(frozen=True, repr=False)
class EngineATTgtResult(ATTgtResult):
    """:class:`~evalkit.estimators.att_gt_result.ATTgtResult` estimated from cells.

    Observations are the cells (cohort x cluster x covariates) rather than units:
    ``influence`` holds each cell's summed unit influence functions scaled by
    ``n_cells / n_units``, ``obs_labels`` the cells' cluster labels (so that
    ``aggregate(cluster=...)`` takes a Series mapping clusters to coarser clusters) and
    ``obs_units`` the number of units per cell.  ``nobs`` counts units.
    """

    obs_units: np.ndarray = field(default_factory=lambda: np.empty(0))

    def share_influence(self) -> np.ndarray:
        """The cells' sums of the units' cohort-share influence functions, on the cells' scale.

        A unit's is ``w_i 1{G_i = g} - p_g``; summed over the ``N_k`` units of cell ``k``
        and scaled by ``n_cells / n_units`` it is ``w_k 1{G_k = g} - N_k (n_cells /
        n_units) p_g`` with ``w_k`` the cell's normalized weight.
        """
        cohorts = self.cohorts
        member = self.obs_weights[:, None] * (self.obs_group[:, None] == cohorts[None, :])
        shares = member.mean(axis=0)
        scale = self.obs_units * (len(self.obs_units) / self.obs_units.sum())
        return member - scale[:, None] * shares[None, :]


def pseudo_panel(cells: StaggeredCells, covariates: Sequence[str]) -> pd.DataFrame:
    """One pseudo-unit per cell: every period, the cell's weighted mean outcome, ``N_k`` and ``W_k``.

    Raises
    ------
    DesignError
        When a cell does not have the same units in every period (cannot happen on a
        validated balanced panel; a guard against an engine returning partial sums).
    """
    frame = cells.frame
    keys = ["group", "cluster", *covariates]
    key = frame.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    # cells numbered in the order of their smallest unit label: clusters are then coded in
    # the order in which att_gt meets them among sorted units (the same bootstrap draws)
    first_unit = frame.groupby(key)["first_unit"].min()
    order = np.empty(len(first_unit), dtype=np.int64)
    order[np.argsort(first_unit.to_numpy(), kind="stable")] = np.arange(len(first_unit))
    cell = order[key]
    n_cells = len(first_unit)
    periods = np.unique(frame["time"].to_numpy())
    counts = np.bincount(cell, minlength=n_cells)
    units = frame["n_units"].to_numpy()
    first = np.zeros(n_cells, dtype=np.int64)
    first[cell] = units
    if np.any(counts != len(periods)) or np.any(units != first[cell]):
        raise DesignError("the engine returned cells without the same units in every period; "
                          "the panel must be balanced (one row per unit and period)")
    out = frame[keys + ["time"]].copy()
    out[_UNIT] = cell
    out["y"] = frame["y_sum"].to_numpy() / frame["weight"].to_numpy()
    out[_WEIGHT] = frame["weight"].to_numpy()
    out["n_units"] = units
    return out


def _drop_always_treated(panel: pd.DataFrame, anticipation: int, group: str) -> pd.DataFrame:
    """Exclude cells first treated in or before the first period (+ anticipation), warning with unit counts."""
    first_period = panel["time"].min()
    g = panel["group"].to_numpy(dtype=float)
    early = (g > 0) & (g <= first_period + anticipation)
    if not early.any():
        return panel
    per_cell = panel.loc[early].drop_duplicates(_UNIT)
    cohorts = np.unique(per_cell["group"].to_numpy(dtype=float)).astype(int).tolist()
    warnings.warn(f"excluded {int(per_cell['n_units'].sum())} units: treated in or before the first period "
                  f"{first_period:g} (+ anticipation {anticipation}) by '{group}' (cohorts {cohorts}); they have "
                  "no untreated period", ExcludedRowsWarning, stacklevel=3)
    return panel.loc[~early]


def att_gt_in_engine(
    table: Table,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    cluster: str,
    covariates: str | Sequence[str] | None = None,
    control_group: ControlGroup = "never_treated",
    base_period: BasePeriod = "varying",
    est_method: EstMethod | Callable[..., CellEstimate] = "dr",
    weights: str | None = None,
    anticipation: int = 0,
    alpha: float = 0.05,
    n_boot: int | None = None,
    rng: RNG = None,
    engine: Engine | None = None,
) -> EngineATTgtResult:
    """Callaway & Sant'Anna's ATT(g,t) of a stored balanced panel, summed inside the engine.

    Parameters
    ----------
    table
        The panel: a :class:`~evalkit.engine.ParquetSource` (file, directory or glob), a
        :class:`~evalkit.engine.DuckDBTable`, a pandas frame or a Spark DataFrame.  Only
        cell x period sums leave the engine.
    y, time, group, unit
        As :func:`~evalkit.estimators.att_gt`: outcome, integer period, first treated
        period (0 or ``inf`` = never treated), unit.
    cluster
        Cluster column, constant within unit and coarser than units (required: standard
        errors are cluster-robust, as ``att_gt(..., cluster=...)``).
    covariates
        Discrete covariates, constant within unit: a list of columns or a formula over
        them (``"~ C(education) + C(sex)"``).  Every combination of their values is a
        cell, so they must take few values.
    control_group, base_period, est_method, weights, anticipation, alpha, n_boot, rng
        As :func:`~evalkit.estimators.att_gt`.
    engine
        :class:`~evalkit.engine.DuckDBEngine` (default; set ``memory_limit`` to spill)
        or :class:`~evalkit.engine.SparkEngine`.

    Returns
    -------
    EngineATTgtResult
        The same estimates, covariance, pre-test, bootstrap and aggregations
        (``.aggregate()``) as ``att_gt`` on the panel in memory.

    Raises
    ------
    PanelValidationError
        A missing value, a duplicated or missing unit-period, fractional periods, or a
        cohort, cluster, covariate or weight varying within a unit (counted in the engine).
    """
    rhs, columns = covariate_columns(covariates)
    cells = staggered_cells(table, y=y, time=time, group=group, unit=unit, cluster=cluster, covariates=columns,
                            weights=weights, engine=engine)
    panel = _drop_always_treated(pseudo_panel(cells, columns), anticipation, group)
    if panel.empty:
        raise DesignError(f"no units left after excluding those treated in or before the first period by {group!r}")
    res = att_gt(panel, y="y", time="time", group="group", unit=_UNIT, covariates=covariates if rhs else columns or None,
                 control_group=control_group, base_period=base_period, est_method=est_method, weights=_WEIGHT,
                 anticipation=anticipation, cluster="cluster", alpha=alpha)
    per_cell = panel.drop_duplicates(_UNIT).set_index(_UNIT).loc[res.obs_labels]
    fields: dict[str, Any] = {f.name: getattr(res, f.name) for f in dataclasses.fields(ATTgtResult)}
    fields.update(
        nobs=int(per_cell["n_units"].sum()),
        obs_labels=per_cell["cluster"].to_numpy(),
        obs_units=per_cell["n_units"].to_numpy(dtype=float),
        extra={**res.extra, "engine": getattr(engine, "name", "duckdb"), "n_cells": len(per_cell)},
    )
    out = EngineATTgtResult(**fields)
    if n_boot is None:
        return out
    # the multiplier bootstrap of att_gt.cell_results, with the cells' cohort-share influence
    joint = np.hstack([out.influence, out.share_influence()])
    draws = bootstrap_draws(joint, n_boot=n_boot, rng=as_generator(rng), cluster=out.cluster)
    k = len(out.params)
    se, crit = bootstrap_summary(draws[:, :k], alpha=alpha)
    terms = out.params.index
    return dataclasses.replace(
        out, std_errors=pd.Series(se, index=terms, name="std_error"),
        cov=pd.DataFrame(bootstrap_cov(draws[:, :k], se), index=terms, columns=terms),
        cov_type=f"multiplier bootstrap ({n_boot} draws, Mammen)",
        crit_uniform=crit if np.isfinite(crit) else None, boot_draws=draws,
    )
