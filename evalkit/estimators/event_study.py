"""Two-way fixed-effects event study with relative-period dummies, and its result object.

The regression (e.g. Freyaldenhoven et al. 2021; Schmidheiny & Siegloch 2023) is

    y_it = alpha_i + lambda_t + sum_{e != ref} beta_e 1{t - g_i = e} + x_it'delta + eps_it,

with never-treated units having all dummies zero.  Event times outside ``[min_e, max_e]``
are pooled into the endpoints (``bin_endpoints=True``) or excluded.  Under heterogeneous
effects across cohorts the ``beta_e`` are contaminated by other periods' effects (Sun &
Abraham 2021); use :func:`~evalkit.estimators.sun_abraham.sun_abraham`,
:func:`~evalkit.estimators.imputation.imputation_did` or
:func:`~evalkit.estimators.two_stage.two_stage_did` then.

Its result is an :class:`~evalkit.estimators.event_study_result.EventStudyResult`, the
result of every event-time estimator in evalkit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning, PanelValidationError
from evalkit.estimators.event_study_result import EventStudyResult, RowRegression
from evalkit.inference.conley_taber import GroupPeriods
from evalkit.inference.wild_bootstrap_scores import RegressionScores, regression_scores
from evalkit.regression.cells import CellFit, balanced_panel, fit_twfe_cells
from evalkit.regression.ols import OLSFit, fit_ols
from evalkit.staggered.event_data import (
    EventData,
    bin_event_times,
    event_design,
    event_dummies,
)
from evalkit.staggered.terms import event_term

__all__ = ["event_study"]


def _fe_codes(data: pd.DataFrame, rows: pd.Index, fe: Sequence[str], roles: dict[str, np.ndarray]) -> np.ndarray | None:
    cols = []
    for name in fe:
        if name in roles:
            cols.append(roles[name])
        elif name in data.columns:
            values = data.loc[rows, name]
            if values.isna().any():
                raise PanelValidationError(f"fixed-effect column '{name}' has missing values")
            cols.append(pd.factorize(values)[0])
        else:
            raise PanelValidationError(f"fixed effect '{name}' is neither 'unit', 'time' nor a column of the data")
    return np.column_stack(cols) if cols else None


def _fit_balanced(ed: EventData, times: list[int], names: list[str], *, min_e: int | None, max_e: int | None,
                  bin_endpoints: bool) -> CellFit | None:
    """The unit + period effects regression from cohort x period cells on a balanced panel
    (:mod:`evalkit.regression.cells`); ``None`` when the panel is not balanced."""
    cohort_code, cohorts = pd.factorize(ed.group, sort=True)
    panel = balanced_panel(ed.y, ed.unit, ed.period, cohort_code, ed.cluster)
    if panel is None:
        return None
    period_time = np.empty(panel.Y.shape[1])
    period_time[ed.period] = ed.time
    rel = np.where(cohorts[:, None] > 0, period_time[None, :] - cohorts[:, None], np.nan)
    binned, _ = bin_event_times(rel.ravel(), min_e=min_e, max_e=max_e, bin_endpoints=bin_endpoints)
    X_cells = event_dummies(binned, times).reshape(len(cohorts), len(period_time), len(times))
    return fit_twfe_cells(panel, X_cells, names)


def event_study(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    ref: int | Sequence[int] = -1,
    min_e: int | None = None,
    max_e: int | None = None,
    bin_endpoints: bool = True,
    covariates: Sequence[str] = (),
    fe: Sequence[str] = ("unit", "time"),
    cluster: str | None = None,
    weights: str | None = None,
) -> EventStudyResult:
    """TWFE event study: outcome on relative-period dummies with unit and period effects.

    Parameters
    ----------
    data
        Panel (one row per unit and period) or repeated cross-sections (``unit`` = the
        region, rows = persons).  Not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
    ref
        Reference event time(s), normalised to zero (default -1).  Without never-treated
        units a second reference is needed (e.g. ``ref=(-1, -5)``).
    min_e, max_e
        Event window: show event times ``min_e..max_e`` (``None``: all observed).
    bin_endpoints
        Pool event times beyond the window into the endpoints (default) or exclude
        those rows (with an :class:`~evalkit.errors.ExcludedRowsWarning`).
    covariates
        Numeric control columns.
    fe
        Fixed effects to absorb: ``"unit"``, ``"time"`` (the roles above) or other columns.
    cluster
        Cluster column (default: ``unit``); CR1 standard errors, ``t(G - 1)`` p-values.
    weights
        Column of analytic weights.

    Notes
    -----
    On a balanced panel with unit and period effects, no covariates and no weights the
    regression is computed from cohort x period sufficient statistics
    (:mod:`evalkit.regression.cells`): the same numbers without an n x k design matrix.

    Raises
    ------
    DesignError
        An event time outside the data is asked for (``min_e``/``max_e``/``ref``), no
        treated unit, or collinear dummies (e.g. no never-treated units and one reference).
    """
    refs = (int(ref),) if np.isscalar(ref) else tuple(int(r) for r in ref)  # type: ignore[arg-type]
    ed = event_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates,
                            weights=weights, cluster=cluster)
    rel = ed.rel
    observed = np.unique(rel[np.isfinite(rel)])
    if observed.size == 0:
        raise DesignError(f"no treated unit: '{group}' is 0 or missing in every row")
    if min_e is not None and min_e < observed.min():
        raise DesignError(f"min_e={min_e} asks for event time {min_e}, but the earliest observed is {observed.min():g}")
    if max_e is not None and max_e > observed.max():
        raise DesignError(f"max_e={max_e} asks for event time {max_e}, but the latest observed is {observed.max():g}")
    binned, outside = bin_event_times(rel, min_e=min_e, max_e=max_e, bin_endpoints=bin_endpoints)
    keep = ~outside
    if outside.any():
        warnings.warn(f"{int(outside.sum())} rows with event times outside [{min_e}, {max_e}] were excluded "
                      "(bin_endpoints=False)", ExcludedRowsWarning, stacklevel=2)
    present = np.unique(binned[keep & np.isfinite(binned)])
    absent = [r for r in refs if r not in present]
    if absent:
        raise DesignError(f"reference event time(s) {absent} have no observations; observed: {present.astype(int).tolist()}")
    times = [int(e) for e in present if int(e) not in refs]
    if not times:
        raise DesignError("no event time is left to estimate besides the reference period(s)")
    names = [event_term(e) for e in times] + list(ed.covariate_names)
    fit: CellFit | OLSFit | None = None
    if sorted(fe) == ["time", "unit"] and ed.weights is None and ed.X.shape[1] == 0 and keep.all():
        fit = _fit_balanced(ed, times, names, min_e=min_e, max_e=max_e, bin_endpoints=bin_endpoints)
    row_fit = None
    if fit is None:
        X = np.hstack([event_dummies(binned, times), ed.X])
        fe_codes = _fe_codes(data, ed.index, fe, {"unit": ed.unit, "time": ed.period})
        w = ed.weights
        fit = fit_ols(
            ed.y[keep], X[keep], weights=None if w is None else w[keep],
            fe=None if fe_codes is None else fe_codes[keep], cluster=ed.cluster[keep],
            cov_type="CR1", names=names,
        )
        row_fit = fit

    contrasts = np.eye(len(names))
    if row_fit is None:  # fitted from cells: the regressors are the event-time indicators
        column = np.full(ed.nobs, -1)
        for j, e in enumerate(times):
            column[binned == e] = j
        scores: RegressionScores | RowRegression = RowRegression(
            ed.y, column, np.column_stack([ed.unit, ed.period]), ed.cluster, tuple(names), contrasts, tuple(names))
    else:
        scores = regression_scores(row_fit, contrasts, names)

    params = pd.Series(fit.beta, index=names, name="estimate")
    event = pd.Series([float(e) for e in times] + [np.nan] * len(ed.covariate_names), index=names)
    return EventStudyResult(
        params=params,
        std_errors=pd.Series(fit.std_errors, index=names, name="std_error"),
        cov=pd.DataFrame(fit.cov, index=names, columns=names),
        nobs=fit.nobs,
        cov_type=fit.cov_type,
        df_resid=fit.df_resid,
        n_clusters=fit.n_clusters[0],
        model_name=f"TWFE event study: {y}",
        extra={"outcome": y, "reference": ",".join(map(str, refs)), "fixed_effects": " + ".join(fe),
               "binned_endpoints": bool(bin_endpoints and (min_e is not None or max_e is not None)),
               "r2_within": fit.r2_within},
        event_time=event,
        reference=refs,
        scores=scores,
        group_periods=GroupPeriods(ed.cluster[keep], ed.period[keep], np.isfinite(rel[keep])),
    )
