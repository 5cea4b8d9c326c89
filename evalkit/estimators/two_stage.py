"""Gardner (2022) two-stage difference-in-differences.

Stage 1 fits ``y_it = alpha_i + lambda_t + x_it'delta + e_it`` on the untreated
observations (never treated, and not yet treated: ``t < g_i``) and residualises every
observation: ``y~_it = y_it - alpha^_i - lambda^_t - x_it'delta^``.  Stage 2 regresses
``y~`` on the treatment indicator ``D_it`` (the overall ATT) and, separately, on
event-time indicators; both are reported, with the joint covariance of the stacked moments.

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
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.covariance import influence_cov
from evalkit.inference.wild_bootstrap_scores import InfluenceScores
from evalkit.staggered.design import outcome_names
from evalkit.staggered.event_data import event_designs
from evalkit.staggered.terms import OVERALL, event_term
from evalkit.staggered.untreated_model import UntreatedModel

__all__ = ["two_stage_did"]


def _second_stages(
    model: UntreatedModel, cluster: np.ndarray, rel: np.ndarray, u1s: list[np.ndarray], w: np.ndarray,
    keep: np.ndarray, untreated: np.ndarray, observed: np.ndarray, times: Sequence[int],
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Second-stage coefficients, cluster sums of the stacked-GMM influence functions and weight shares.

    The second stages regress ``u1`` on the treatment indicator (the overall ATT) and on
    event-time indicators, mutually exclusive dummies, so each coefficient is a weighted
    mean of ``u1`` in its category, and every category (``D = 1`` and each term) is a union
    of observed event times.  All quantities are therefore formed once per observed event
    time and combined; the first-stage corrections ``X2'W Z (Z_0'W Z_0)^{-1} z_i`` of all
    event times come from one joint solve (:meth:`UntreatedModel.category_moments`,
    ``solve``, ``cluster_scores``), which does not depend on the outcome: it is shared by the
    first-stage residuals ``u1s`` of several outcomes (the same rows ``keep``).

    Returns
    -------
    list of (beta, psi, shares)
        ``(k,)``, ``(G, k)`` and ``(G, k)`` for the ``k = 1 + len(times)`` terms (ATT first),
        one triple per outcome.
    """
    n_e = len(observed)
    event = np.full(rel.shape[0], -1)
    sel = keep & np.isfinite(rel)
    if np.array_equal(observed, np.arange(observed[0], observed[0] + n_e)):
        event[sel] = rel[sel] - observed[0]  # consecutive event times: the code is the offset
    else:
        event[sel] = np.searchsorted(observed, rel[sel])
    combine = np.vstack([observed >= 0, observed[None, :] == np.asarray(times)[:, None]]).astype(float)
    every = bool(keep.all())
    wk = w if every else np.where(keep, w, 0.0)
    n_groups = int(cluster.max()) + 1
    key = cluster[sel] * n_e + event[sel]
    weight_ge = np.bincount(key, weights=wk[sel], minlength=n_groups * n_e).reshape(n_groups, n_e)
    denom = combine @ weight_ge.sum(axis=0)
    projections = model.solve(*model.category_moments(event, n_e, wk))
    out = []
    for u1 in u1s:
        wu = wk * (u1 if every else np.where(keep, u1, 0.0))
        sum_ge = np.bincount(key, weights=wu[sel], minlength=n_groups * n_e).reshape(n_groups, n_e)
        beta = combine @ sum_ge.sum(axis=0) / denom
        rho = np.where(untreated, wu, 0.0)
        correction = model.cluster_scores(*projections, rho, cluster, n_groups)
        psi = (sum_ge @ combine.T - (weight_ge @ combine.T) * beta - correction @ combine.T) / denom
        out.append((beta, psi, weight_ge @ combine.T / denom))
    return out


def two_stage_did(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    time: str,
    group: str,
    unit: str,
    ref: int = -1,
    min_e: int | None = None,
    max_e: int | None = None,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
) -> EventStudyResult | dict[str, EventStudyResult]:
    """Two-stage DiD (Gardner 2022): untreated-model residualisation, then treatment effects.

    Parameters
    ----------
    data
        Panel or repeated cross-sections (``unit`` = region); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
        ``y`` may list several outcomes missing on the same rows: they share the design,
        the first stage's normal equations and the second stages' first-stage
        projections, and each gets the result of its own call.
    ref
        Reference event time, left out of the event-time second stage.
    min_e, max_e
        Event window: one term ``event_time::e`` for every observed event time of the
        treated units in ``[min_e, max_e]`` except ``ref`` (``None``: no limit; the leads are
        pre-trend checks).  The overall effect ``ATT`` (second stage on the treatment
        indicator) is always the first term; the covariance is joint (stacked GMM).
    covariates
        Numeric controls of the first stage.
    weights
        Analytic weights (used in both stages).
    cluster
        Cluster column (default ``unit``).

    Returns
    -------
    EventStudyResult or dict of str to EventStudyResult
        One result; for a list of outcomes a dict ``outcome -> result`` in their order.

    Raises
    ------
    DesignError
        No treated observation, a period without untreated observations (no never- or
        not-yet-treated unit), or collinear first-stage covariates.
    PanelValidationError
        Outcomes of ``y`` missing on different rows.
    """
    outcomes = outcome_names(y)
    design = dict(time=time, group=group, unit=unit, covariates=covariates, weights=weights, cluster=cluster)
    eds = event_designs(data, ys=outcomes, **design)
    ed = eds[0]
    treated = ed.treated
    if not treated.any():
        raise DesignError(f"no treated observation: no row has '{time}' >= '{group}' > 0")
    if treated.all():
        raise DesignError("no untreated observation (no never- or not-yet-treated unit) to fit the first stage")
    w = ed.w
    model = UntreatedModel.build(ed.unit, ed.period, ed.X, w, ~treated)
    u1s = [one.y - model.fit(one.y) for one in eds]
    keep = np.isfinite(u1s[0])
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} rows were excluded: their unit has no untreated period (treated from the "
            "first period on), so its unit effect cannot be estimated",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    rel = ed.rel
    observed = np.unique(rel[np.isfinite(rel) & keep]).astype(int)
    lo = -np.inf if min_e is None else min_e
    hi = np.inf if max_e is None else max_e
    times = [int(e) for e in observed if lo <= e <= hi and int(e) != ref]
    if not times:
        raise DesignError(f"no event time in [{min_e}, {max_e}] besides the reference {ref} has observations; "
                          f"observed: {observed.tolist()}")
    names = [OVERALL] + [event_term(e) for e in times]
    events = [np.nan] + [float(e) for e in times]
    untreated = ~treated & keep
    used = np.flatnonzero(np.bincount(ed.cluster[keep], minlength=int(ed.cluster.max()) + 1))  # clusters with rows
    results = {}
    for outcome, (beta, psi, shares) in zip(
            outcomes, _second_stages(model, ed.cluster, rel, u1s, w, keep, untreated, observed, times)):
        cov = influence_cov(psi)  # rows of psi are already cluster sums
        results[outcome] = EventStudyResult(
            params=pd.Series(beta, index=names, name="estimate"),
            std_errors=pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_error"),
            cov=pd.DataFrame(cov, index=names, columns=names),
            nobs=int(keep.sum()),
            cov_type="GMM two-stage, clustered",
            n_clusters=len(used),
            model_name=f"Two-stage DiD (Gardner 2022): {outcome}",
            extra={"outcome": outcome, "n_untreated": int(untreated.sum()), "n_treated": int((treated & keep).sum())},
            event_time=pd.Series(events, index=names, dtype=float),
            reference=(ref,),
            scores=InfluenceScores(tuple(names), beta, psi[used], shares[used]),
        )
    return results[y] if isinstance(y, str) else results
