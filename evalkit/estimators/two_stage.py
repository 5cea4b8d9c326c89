"""Gardner (2022) two-stage difference-in-differences.

Stage 1 fits ``y_it = alpha_i + lambda_t + x_it'delta + e_it`` on the untreated
observations (never treated, and not yet treated: ``t < g_i``) and residualises every
observation: ``y~_it = y_it - alpha^_i - lambda^_t - x_it'delta^``.  Stage 2 regresses
``y~`` on the treatment indicator ``D_it`` (overall ATT) or on event-time indicators.

The second-stage regressors are indicators of disjoint categories, so the second stage is
a weighted mean of ``y~`` per category.  Standard errors are the GMM sandwich of the
stacked moment conditions (Gardner 2022, sec. 3; Butts & Gardner's ``did2s``), clustered:

    V = (X2'WX2)^{-1} [sum_g psi_g psi_g'] (X2'WX2)^{-1},
    psi_g = sum_{i in g} w_i [x2_i u2_i - (1 - D_i) (X2'W Z (Z_0'W Z_0)^{-1} z_i) u1_i],

with ``u1`` the first-stage and ``u2`` the second-stage residuals.  No small-sample factor
is applied (as in ``did2s`` and pyfixest).  Memory is O(n) per second-stage column: no unit
or event-time dummy matrix is formed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators.event_study import EventStudyResult, event_term
from evalkit.staggered.event_data import event_design
from evalkit.staggered.untreated_model import UntreatedModel

__all__ = ["two_stage_did"]


def two_stage_did(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    event_time: bool = False,
    ref: int = -1,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
) -> EventStudyResult:
    """Two-stage DiD (Gardner 2022): untreated-model residualisation, then treatment effects.

    Parameters
    ----------
    data
        Panel or repeated cross-sections (``unit`` = region); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 / missing = never) and unit.
    event_time
        ``False``: one term ``att`` (the overall ATT).  ``True``: one term per event time
        of the treated units except ``ref`` (leads included: they are pre-trend checks).
    ref
        Reference event time left out of the second stage when ``event_time=True``.
    covariates
        Numeric controls of the first stage.
    weights
        Analytic weights (used in both stages).
    cluster
        Cluster column (default ``unit``).

    Raises
    ------
    DesignError
        No treated observation, a period without untreated observations (no never- or
        not-yet-treated unit), or collinear first-stage covariates.
    """
    ed = event_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates,
                            weights=weights, cluster=cluster)
    treated = ed.treated
    if not treated.any():
        raise DesignError(f"no treated observation: no row has '{time}' >= '{group}' > 0")
    if treated.all():
        raise DesignError("no untreated observation (no never- or not-yet-treated unit) to fit the first stage")
    w = ed.w
    model = UntreatedModel.build(ed.unit, ed.period, ed.X, w, ~treated)
    u1 = ed.y - model.fit(ed.y)
    keep = np.isfinite(u1)
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} rows were excluded: their unit has no untreated period (treated from the "
            "first period on), so its unit effect cannot be estimated",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    rel = ed.rel
    if event_time:
        times = [int(e) for e in np.unique(rel[np.isfinite(rel) & keep]) if int(e) != ref]
        cat = np.full(ed.nobs, -1)
        for k, e in enumerate(times):
            cat[rel == e] = k
        names = [event_term(e) for e in times]
        events = [float(e) for e in times]
    else:
        cat = np.where(treated, 0, -1)
        names, events = ["att"], [np.nan]
    cat = np.where(keep, cat, -1)
    k = len(names)
    if k == 0:
        raise DesignError("no event time besides the reference period has observations")
    u1 = np.where(keep, u1, 0.0)
    wk = np.where(keep, w, 0.0)
    in_cat = cat >= 0
    denom = np.bincount(cat[in_cat], weights=wk[in_cat], minlength=k)
    beta = np.bincount(cat[in_cat], weights=(wk * u1)[in_cat], minlength=k) / denom
    u2 = u1 - np.where(in_cat, beta[np.maximum(cat, 0)], 0.0)
    untreated = ~treated & keep
    n_clusters = int(ed.cluster[keep].max()) + 1 if keep.any() else 0
    psi = np.zeros((int(ed.cluster.max()) + 1, k))
    for j in range(k):
        col = (cat == j).astype(float)
        correction = model.projection(wk * col)[:, 0]
        contrib = wk * (col * u2 - np.where(untreated, correction * u1, 0.0))
        psi[:, j] = np.bincount(ed.cluster, weights=contrib, minlength=psi.shape[0]) / denom[j]
    cov = psi.T @ psi
    return EventStudyResult(
        params=pd.Series(beta, index=names, name="estimate"),
        std_errors=pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_error"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=int(keep.sum()),
        cov_type="GMM two-stage, clustered",
        n_clusters=len(np.unique(ed.cluster[keep])) if n_clusters else 0,
        model_name=f"Two-stage DiD (Gardner 2022): {y}",
        extra={"outcome": y, "n_untreated": int(untreated.sum()), "n_treated": int((treated & keep).sum())},
        event_time=pd.Series(events, index=names, dtype=float),
        reference=(ref,) if event_time else (),
    )
