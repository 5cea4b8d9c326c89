"""Stacked difference-in-differences (Cengiz et al. 2019) with corrective weights
(Wing, Freedman & Hollingsworth 2024).

1. **Sub-experiments.**  For every treated cohort ``a`` whose event window
   ``[a + min_e, a + max_e]`` lies inside the observed periods (WFH's inclusion criterion
   IC1) and that has clean controls (IC2), the sub-experiment holds the rows of cohort
   ``a`` and of its clean controls in the window: units not treated by the window's end
   (``g > a + max_e`` or never treated, ``control_group="not_yet_treated"``) or never
   treated only (``"never_treated"``).  Cohorts failing IC1 or IC2 are trimmed (warned).
2. **Corrective weights.**  Treated rows weigh 1; a control row of sub-experiment ``a`` at
   event time ``e`` weighs ``Q_ae = (N^D_ae / N^D_e) / (N^C_ae / N^C_e)``, the
   sub-experiment's share of the stack's treated rows at ``e`` over its share of the control
   rows (WFH 2024, Table 1, "aggregate" weights; by event time as the authors' R code, so
   that unbalanced panels are covered; on balanced panels the shares are those of units).
   The stacked regression then estimates the *trimmed aggregate ATT*, the average of the
   cohorts' effects weighted by their numbers of treated units, instead of an
   implicit variance-weighted average.
3. **Regression.**  Weighted least squares on the stack:
   ``y = a0 + a1 D + sum_{e != -1} l_e 1{e} + sum_{e != -1} d_e D 1{e}``, with ``D`` the
   sub-experiment's treated indicator (WFH 2024, eq. 3); CR1 by ``cluster`` (default: the
   original unit, which appears in several sub-experiments).  ``d_e`` are the terms
   ``event_time::e``; ``ATT`` is the mean of ``d_e`` over ``e = 0..max_e``.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.wild_bootstrap_scores import regression_scores
from evalkit.regression.ols import fit_ols
from evalkit.staggered.event_data import EventData, event_design
from evalkit.staggered.terms import OVERALL, event_term

__all__ = ["corrective_weights", "stack_rows", "stacked_did"]

StackControl = Literal["not_yet_treated", "never_treated"]


def _check_window(min_e: int, max_e: int) -> None:
    for name, value in (("min_e", min_e), ("max_e", max_e)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise DesignError(f"{name} must be an integer event time, got {value!r}")
    if min_e > -1:
        raise DesignError(f"min_e={min_e}: the window must contain the reference event time -1 (min_e <= -1)")
    if max_e < 0:
        raise DesignError(f"max_e={max_e}: the window must contain a treated event time (max_e >= 0)")


def stack_rows(ed: EventData, min_e: int, max_e: int, control_group: StackControl, group: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """The stacked rows: positions into ``ed``, sub-experiment (cohort) and treated flag per
    stacked row, and the cohorts kept (IC1 and IC2 of the module docstring)."""
    if control_group not in ("not_yet_treated", "never_treated"):
        raise DesignError(f"control_group must be 'not_yet_treated' or 'never_treated', got {control_group!r}")
    g, t = ed.group, ed.time
    first, last = ed.periods[0], ed.periods[-1]
    kept: list[float] = []
    outside: list[int] = []
    no_control: list[int] = []
    rows, subs, treated = [], [], []
    for a in ed.cohorts:
        clean = (g == 0) if control_group == "never_treated" else (g == 0) | (g > a + max_e)
        if a + min_e < first or a + max_e > last:
            outside.append(int(a))
            continue
        if not clean.any():
            no_control.append(int(a))
            continue
        take = np.flatnonzero(((g == a) | clean) & (t >= a + min_e) & (t <= a + max_e))
        kept.append(float(a))
        rows.append(take)
        subs.append(np.full(len(take), a))
        treated.append(g[take] == a)
    if outside or no_control:
        parts = []
        if outside:
            parts.append(f"cohorts {outside}: the window [{min_e}, {max_e}] leaves the periods "
                         f"{first:g}..{last:g}")
        if no_control:
            parts.append(f"cohorts {no_control}: no clean control ({control_group}) in the window")
        warnings.warn(f"stacked DiD trims {len(outside) + len(no_control)} of {len(ed.cohorts)} cohorts of "
                      f"'{group}' (their rows are not stacked): " + "; ".join(parts),
                      ExcludedRowsWarning, stacklevel=3)
    if not kept:
        raise DesignError(f"no cohort of '{group}' has the whole window [{min_e}, {max_e}] in the data and clean "
                          "controls; narrow the window (min_e, max_e)")
    return np.concatenate(rows), np.concatenate(subs), np.concatenate(treated), kept


def corrective_weights(sub: np.ndarray, event: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """WFH (2024) aggregate weights: 1 for treated rows, ``Q_ae`` for controls (0 where the
    sub-experiment has no treated row at ``e``)."""
    keys = pd.MultiIndex.from_arrays([sub, event])
    frame = pd.DataFrame({"t": treated.astype(float), "c": (~treated).astype(float)}, index=keys)
    cell = frame.groupby(level=[0, 1]).sum()
    stack = frame.groupby(level=1).sum()
    share_t = cell["t"] / stack["t"].reindex(cell.index, level=1).to_numpy()
    share_c = cell["c"] / stack["c"].reindex(cell.index, level=1).to_numpy()
    q = (share_t / share_c).reindex(keys).to_numpy()
    return np.where(treated, 1.0, q)


def stacked_did(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    min_e: int,
    max_e: int,
    control_group: StackControl = "not_yet_treated",
    cluster: str | None = None,
) -> EventStudyResult:
    """Stacked DiD with WFH (2024) corrective weights: the trimmed aggregate ATT by event time.

    Parameters
    ----------
    data
        Panel (one row per unit and period) or repeated cross-sections; not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
    min_e, max_e
        The event window ``[min_e, max_e]`` of every sub-experiment (``min_e <= -1 <= max_e``;
        WFH's ``kappa_pre = -min_e``, ``kappa_post = max_e``).
    control_group
        ``"not_yet_treated"`` (clean controls: not treated before the window ends, never
        treated included) or ``"never_treated"``.
    cluster
        Cluster column (default ``unit``); CR1, ``t(G - 1)`` p-values.

    Returns
    -------
    EventStudyResult
        Terms ``event_time::e`` (``e != -1``) and ``ATT`` (mean over ``e >= 0``);
        ``extra`` lists the cohorts stacked and the stack's size.
    """
    _check_window(min_e, max_e)
    ed = event_design(data, y=y, time=time, group=group, unit=unit, cluster=cluster)
    rows, sub, treated, kept = stack_rows(ed, min_e, max_e, control_group, group)
    event = ed.time[rows] - sub
    q = corrective_weights(sub, event, treated)
    on = q > 0
    rows, sub, treated, event, q = rows[on], sub[on], treated[on], event[on], q[on]
    times = [e for e in range(min_e, max_e + 1) if e != -1]
    X = np.column_stack([treated.astype(float)] + [treated & (event == e) for e in times]).astype(float)
    names = ["treated"] + [event_term(e) for e in times]
    event_code = np.searchsorted(np.arange(min_e, max_e + 1), event)
    fit = fit_ols(ed.y[rows], X, weights=q, fe=event_code, cluster=ed.cluster[rows], cov_type="CR1", names=names,
                  drop_singletons=False)
    post = [j + 1 for j, e in enumerate(times) if e >= 0]
    W = np.zeros((len(times) + 1, len(names)))
    W[np.arange(len(times)), np.arange(1, len(times) + 1)] = 1.0
    W[-1, post] = 1.0 / len(post)
    terms = [event_term(e) for e in times] + [OVERALL]
    est, cov = W @ fit.beta, W @ fit.cov @ W.T
    return EventStudyResult(
        params=pd.Series(est, index=terms, name="estimate"),
        std_errors=pd.Series(np.sqrt(np.diag(cov)), index=terms, name="std_error"),
        cov=pd.DataFrame(cov, index=terms, columns=terms),
        nobs=fit.nobs, cov_type="CR1", df_resid=fit.df_resid, n_clusters=fit.n_clusters[0],
        model_name=f"Stacked DiD (WFH weights): {y}",
        extra={"outcome": y, "control_group": control_group, "window": f"[{min_e}, {max_e}]",
               "cohorts": ", ".join(str(int(a)) for a in kept), "n_sub_experiments": len(kept),
               "n_treated_units": int(len(np.unique(ed.unit[rows][treated])))},
        event_time=pd.Series([float(e) for e in times] + [np.nan], index=terms),
        reference=(-1,),
        scores=regression_scores(fit, W, terms),
    )
