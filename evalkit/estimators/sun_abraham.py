"""Sun & Abraham (2021) interaction-weighted event-study estimator.

1. Regress ``y`` on cohort x event-time indicators ``1{g_i = g, t - g_i = e}`` for every
   treated cohort ``g`` and event time ``e != ref``, with unit and period effects (and
   covariates); the control cohort (never treated, or the last-treated cohort) has none.
   The coefficient ``CATT(g, e)`` is the cohort-specific effect.
2. Average the ``CATT(g, e)`` over cohorts with their shares among the observations at
   event time ``e``: ``beta_e = sum_g n_{g,e} CATT(g, e) / sum_g n_{g,e}`` (weighted
   counts with analytic weights).  The term ``att`` averages all ``e >= 0`` cells by
   their shares.
3. Standard errors by the delta method ``w' V w`` with ``V`` the CR1 covariance of the
   CATTs, treating the shares as fixed (as fixest's ``sunab`` and diff-diff).

With ``control_group="last_treated"`` (no never-treated units) the last-treated cohort is the control
group and periods from its start on are excluded (Sun & Abraham 2021, sec. 4.1).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators.event_study_result import EventStudyResult, RowRegression
from evalkit.inference.conley_taber import GroupPeriods
from evalkit.inference.wild_bootstrap_scores import RegressionScores, regression_scores
from evalkit.regression.cells import CellFit, balanced_panel, fit_twfe_cells
from evalkit.regression.ols import OLSFit, fit_ols
from evalkit.staggered.event_data import EventData, event_design
from evalkit.staggered.terms import OVERALL, cohort_event_term, event_term

__all__ = ["sun_abraham"]


def _fit_balanced(ed: EventData, g: np.ndarray, cells: list[tuple[float, int]],
                  names: list[str]) -> tuple[CellFit, np.ndarray] | None:
    """Step 1 from cohort x period sufficient statistics on a balanced panel
    (:mod:`evalkit.regression.cells`) and the cell sizes; ``None`` when not balanced."""
    cohort_code, cohorts = pd.factorize(g, sort=True)
    panel = balanced_panel(ed.y, ed.unit, ed.period, cohort_code, ed.cluster)
    if panel is None:
        return None
    period_time = np.empty(panel.Y.shape[1])
    period_time[ed.period] = ed.time
    X_cells = np.zeros((len(cohorts), len(period_time), len(cells)))
    for j, (gg, e) in enumerate(cells):
        X_cells[np.searchsorted(cohorts, gg), :, j] = period_time - gg == e
    size = np.bincount(panel.cell, minlength=len(cohorts)).astype(float)
    return fit_twfe_cells(panel, X_cells, names), np.einsum("c,ctk->k", size, X_cells)


def sun_abraham(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    ref: int = -1,
    control_group: Literal["never_treated", "last_treated"] = "never_treated",
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
) -> EventStudyResult:
    """Interaction-weighted event study (Sun & Abraham 2021).

    Parameters
    ----------
    data
        Panel or repeated cross-sections (``unit`` = region); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
    ref
        Reference event time (default -1).
    control_group
        ``"never_treated"``: never-treated units are the controls.  ``"last_treated"``: the last-treated
        cohort is, and periods from its start on are excluded (with a warning).
    covariates, weights, cluster
        Numeric controls, analytic weights, cluster column (default ``unit``; CR1).

    Returns
    -------
    EventStudyResult
        Terms ``att`` and ``event_time::e``; ``extra["catt"]`` holds the cohort-level
        estimates as a data frame (cohort, event_time, estimate, std_error, share).

    Raises
    ------
    DesignError
        No never-treated units with ``control_group="never_treated"``, fewer than two cohorts with
        ``control_group="last_treated"``, no observation at the reference event time.
    """
    if control_group not in ("never_treated", "last_treated"):
        raise ValueError(f"control_group must be 'never_treated' or 'last_treated', got {control_group!r}")
    ed = event_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates,
                            weights=weights, cluster=cluster)
    g = ed.group.copy()
    keep = np.ones(ed.nobs, dtype=bool)
    if control_group == "never_treated":
        if not np.any(g == 0):
            raise DesignError(f"no never-treated units ('{group}' == 0 or inf); use control_group='last_treated'")
    else:
        if len(ed.cohorts) < 2:
            raise DesignError("control_group='last_treated' needs at least two treated cohorts (the last one becomes the control)")
        last = ed.cohorts[-1]
        keep = ed.time < last
        warnings.warn(f"{int((~keep).sum())} rows were excluded: periods >= {last:g}, when the control cohort "
                      f"{last:g} is treated (control_group='last_treated')", ExcludedRowsWarning, stacklevel=2)
        g = np.where(g == last, 0.0, g)
    rel = np.where(g > 0, ed.time - g, np.nan)
    if not np.any((rel == ref) & keep):
        raise DesignError(f"the reference event time {ref} has no observations")
    treated_rows = keep & (g > 0)
    pairs = pd.DataFrame({"g": g[treated_rows], "e": rel[treated_rows]}).drop_duplicates().sort_values(["g", "e"])
    cells = [(gg, int(e)) for gg, e in pairs.itertuples(index=False) if e != ref]
    cell_names = [cohort_event_term(gg, e) for gg, e in cells]
    names = cell_names + list(ed.covariate_names)
    fit: CellFit | OLSFit | None = None
    sizes = None
    if ed.weights is None and ed.X.shape[1] == 0 and keep.all():
        balanced = _fit_balanced(ed, g, cells, names)
        if balanced is not None:
            fit, sizes = balanced

    row_fit = None
    if fit is None:
        X = np.zeros((ed.nobs, len(cells)))
        for j, (gg, e) in enumerate(cells):
            X[:, j] = (g == gg) & (rel == e)
        w = ed.weights
        fit = fit_ols(
            ed.y[keep], np.hstack([X, ed.X])[keep], weights=None if w is None else w[keep],
            fe=np.column_stack([ed.unit, ed.period])[keep], cluster=ed.cluster[keep], cov_type="CR1", names=names,
        )
        sizes = (X[keep] * ed.w[keep][:, None]).sum(axis=0)
        row_fit = fit
    cell_e = np.array([e for _, e in cells])
    times = sorted(set(cell_e.tolist()))
    W = np.zeros((1 + len(times), len(names)))
    post = cell_e >= 0
    W[0, : len(cells)] = np.where(post, sizes, 0.0) / sizes[post].sum() if post.any() else 0.0
    for k, e in enumerate(times, start=1):
        on = cell_e == e
        W[k, : len(cells)] = np.where(on, sizes, 0.0) / sizes[on].sum()
    agg_names = [OVERALL] + [event_term(e) for e in times]
    if not post.any():
        W, agg_names = W[1:], agg_names[1:]
    est, cov = W @ fit.beta, W @ fit.cov @ W.T

    # the terms are contrasts of the cell coefficients: beta_e = W_e' CATT
    if row_fit is None:  # fitted from cells: the regressors are the cell indicators
        column = np.full(ed.nobs, -1)
        for j, (gg, e) in enumerate(cells):
            column[(g == gg) & (rel == e)] = j
        scores: RegressionScores | RowRegression = RowRegression(
            ed.y, column, np.column_stack([ed.unit, ed.period]), ed.cluster, tuple(names), W, tuple(agg_names))
    else:
        scores = regression_scores(row_fit, W, agg_names)

    shares = np.zeros(len(cells))
    for e in times:
        on = cell_e == e
        shares[on] = sizes[on] / sizes[on].sum()
    catt = pd.DataFrame({"cohort": [gg for gg, _ in cells], "event_time": cell_e, "estimate": fit.beta[: len(cells)],
                         "std_error": fit.std_errors[: len(cells)], "share": shares}, index=cell_names)
    return EventStudyResult(
        params=pd.Series(est, index=agg_names, name="estimate"),
        std_errors=pd.Series(np.sqrt(np.diag(cov)), index=agg_names, name="std_error"),
        cov=pd.DataFrame(cov, index=agg_names, columns=agg_names),
        nobs=fit.nobs,
        cov_type=fit.cov_type,
        df_resid=fit.df_resid,
        n_clusters=fit.n_clusters[0],
        model_name=f"Sun & Abraham (2021): {y}",
        extra={"outcome": y, "control_group": control_group, "reference": ref, "catt": catt},
        event_time=pd.Series([np.nan if n == OVERALL else float(n.split("::")[1]) for n in agg_names], index=agg_names),
        reference=(ref,),
        scores=scores,
        group_periods=GroupPeriods(ed.cluster[keep], ed.period[keep], (g > 0)[keep]),
    )
