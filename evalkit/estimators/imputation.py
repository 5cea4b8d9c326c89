"""Borusyak, Jaravel & Spiess (2024) imputation estimator, with their pre-trend test.

1. Fit ``y_it = alpha_i + lambda_t + x_it'delta + e_it`` on untreated observations
   (``D_it = 0``: never treated, or ``t < g_i``).
2. Impute ``Y_it(0)`` for every treated observation and take ``tau^_it = y_it - Y^_it(0)``.
3. Estimate ``tau_w = sum_it w_it tau^_it`` for weights over treated observations:
   equal (analytic-weighted) averages per event time ``h`` and over all treated rows.

Every estimate is linear in ``y``: ``tau_w = sum_it v_it y_it`` with ``v_it = w_it`` on
treated rows and ``v = -W Z_0 (Z_0'W Z_0)^{-1} Z_1' w_1`` on untreated rows.  The
conservative variance of Theorem 3 is ``sum_g (sum_{it in g} v_it e~_it)^2`` over clusters,
with ``e~`` the untreated-model residual on untreated rows and ``tau^_it - tau~_c`` on
treated rows, ``tau~_c`` the auxiliary-model average of ``tau^`` in cohort x event-time
cell ``c`` (BJS eq. 8: ``sum_i a_ic b_ic / sum_i a_ic^2`` with ``a_ic = sum_t v_it`` and
``b_ic = sum_t v_it tau^_it`` over unit ``i``'s rows in ``c``), as in R ``didimputation``
and diff-diff's ``ImputationDiD`` (no leave-out correction).

The wild cluster bootstrap (``bootstrap_scores``) does not use these cell-centred
residuals.  Its scores are ``S_g = sum_{it in g} v_it e_it`` with ``e_it = tau^_it - tau^_w``
on the target's treated rows and the untreated-model residual elsewhere: the residuals of
the model ``y_it = alpha_i + lambda_t + tau_w D_it + e_it`` in which the target's effect is
one constant.  The restricted scores ``S_g + omega_g (tau^_w - r)`` are then those of that
model with the tested null ``tau_w = r`` imposed, and ``sum_g v_g (S_g + omega_g (tau^_w - r))``
is exactly ``tau*_w - r`` of the imputation estimator refitted to
``y* = Y^(0) + r D + v_g e~`` (the restricted wild cluster bootstrap of the linear estimator
``tau_w = sum v_it y_it``; Cameron, Gelbach & Miller 2008, Kline & Santos 2012).  They are
Gardner's (2022) two-stage GMM scores of the same estimate.  Centring within cohort x
event-time cells would remove each cell's own variation: with three clusters per cell
the bootstrap over-rejected (docs/few_clusters.md).

Test 1 of BJS (pre-trends): on untreated rows only, add indicators of the ``K`` periods
before treatment to the untreated model and test them jointly (cluster-robust Wald test,
``F(K, G - 1)``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.covariance import influence_cov
from evalkit.inference.wild_bootstrap_scores import InfluenceScores
from evalkit.regression.ols import fit_ols_outcomes
from evalkit.results import InvalidTest, WaldTest
from evalkit.results.distributions import f_survival
from evalkit.staggered.design import outcome_names
from evalkit.staggered.event_data import EventData, event_designs, event_dummies
from evalkit.staggered.terms import OVERALL, event_term
from evalkit.staggered.untreated_model import UntreatedModel

__all__ = ["ImputationResult", "imputation_did"]


@dataclass(frozen=True, kw_only=True, repr=False)
class ImputationResult(EventStudyResult):
    """Imputation estimates (term ``ATT`` and one per horizon) and the pre-trend test.

    Attributes
    ----------
    pretrend_test
        BJS Test 1 as a :class:`WaldTest`, or an :class:`~evalkit.results.InvalidTest`
        saying why it was not computed.
    pretrend_estimates
        Lead coefficients of the test regression (``None`` when not computed).
    effects
        ``tau^_it`` per treated row, indexed like the input data.
    """

    pretrend_test: WaldTest | InvalidTest = InvalidTest("no pre-trend test requested (min_e=None)")
    pretrend_estimates: pd.DataFrame | None = None
    effects: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))


def _cohort_event_cells(group: np.ndarray, rel: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense codes ``0..C-1`` of the cohort x event-time cells (never-treated rows: one cell)."""
    cohort = np.searchsorted(np.unique(group), group)
    finite = np.isfinite(rel)
    lo = rel[finite].min() if finite.any() else 0.0
    span = int(rel[finite].max() - lo) + 2 if finite.any() else 1
    key = cohort * span + np.where(finite, rel - lo + 1, 0).astype(np.int64)
    present = np.zeros(int(key.max()) + 1, dtype=bool)
    present[key] = True
    return (np.cumsum(present) - 1)[key], int(present.sum())


def _bjs_scores(
    ed: EventData, model: UntreatedModel, rel: np.ndarray, resid: np.ndarray, imputable: np.ndarray,
    observed: np.ndarray, hs: Sequence[int], n_clusters: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimates, cluster sums of the BJS influence functions, bootstrap scores and weight shares.

    The targets (all treated rows, then each horizon in ``hs``) are sums of the horizons'
    indicators, so every quantity is computed once per observed horizon and combined:
    the projection weights ``v0 = -W Z_0 (Z_0'W Z_0)^{-1} Z_1' w_1`` of all horizons come
    from one joint solve (:meth:`UntreatedModel.category_moments`, ``solve``,
    ``cluster_scores``), and the auxiliary-model averages ``tau~_c`` (BJS eq. 8) do not
    depend on the target, since every cohort x event-time cell lies inside one horizon.

    Returns
    -------
    estimates, psi, boot, shares
        ``(k,)``, ``(G, k)``, ``(G, k)`` and ``(G, k)`` for the ``k = 1 + len(hs)`` targets.
        ``boot`` are the wild bootstrap's scores, ``sum_it v_it (y_it - tau_w D_it - Y^_it(0))``:
        the treated residuals around the target's estimate, not around the cells' means.
    """
    w, cluster = ed.w, ed.cluster
    horizon = np.full(ed.nobs, -1)
    horizon[imputable] = np.searchsorted(observed, rel[imputable])
    n_h = len(observed)
    combine = np.vstack([np.ones(n_h), (observed[None, :] == np.asarray(hs)[:, None]).astype(float)])
    tau = np.where(imputable, resid, 0.0)
    weight = combine @ np.bincount(horizon[imputable], weights=w[imputable], minlength=n_h)
    estimates = combine @ np.bincount(horizon[imputable], weights=(w * tau)[imputable], minlength=n_h) / weight
    key = cluster[imputable] * n_h + horizon[imputable]
    by_cluster = np.bincount(key, weights=w[imputable], minlength=n_clusters * n_h).reshape(n_clusters, n_h)
    shares = by_cluster @ combine.T / weight
    # auxiliary model: unit-clustered cohort x event-time averages of tau^ (BJS eq. 8)
    cell, n_cells = _cohort_event_cells(ed.group, rel)
    n_units = int(ed.unit.max()) + 1
    cu = cell[imputable] * n_units + ed.unit[imputable]
    a = np.bincount(cu, weights=w[imputable], minlength=n_cells * n_units).reshape(n_cells, n_units)
    b = np.bincount(cu, weights=(w * tau)[imputable], minlength=n_cells * n_units).reshape(n_cells, n_units)
    tau_tilde = (a * b).sum(axis=1) / np.maximum((a**2).sum(axis=1), np.finfo(float).tiny)
    eps = tau[imputable] - tau_tilde[cell[imputable]]
    treated_part = np.bincount(key, weights=w[imputable] * eps, minlength=n_clusters * n_h).reshape(n_clusters, n_h)
    rho = np.where(ed.treated, 0.0, w * resid)
    untreated_part = model.cluster_scores(*model.solve(*model.category_moments(horizon, n_h, w)), rho,
                                          cluster, n_clusters)
    psi = (treated_part - untreated_part) @ combine.T / weight
    treated_sums = np.bincount(key, weights=(w * tau)[imputable], minlength=n_clusters * n_h).reshape(n_clusters, n_h)
    boot = (treated_sums - untreated_part) @ combine.T / weight - shares * estimates
    return estimates, psi, boot, shares


def _pretrend_tests(eds: list[EventData], pretrends: int) -> list[tuple[WaldTest, pd.DataFrame]]:
    """BJS Test 1 per outcome: leads ``-1..-K`` added to the untreated model, on untreated rows.

    ``eds`` share every array but ``y`` (:func:`~evalkit.staggered.event_data.event_designs`):
    the test regressions of all outcomes are one :func:`~evalkit.regression.ols.fit_ols_outcomes`.
    """
    ed = eds[0]
    untreated = ~ed.treated
    rel = ed.rel[untreated]
    leads = [-k for k in range(pretrends, 0, -1)]
    observed = set(np.unique(rel[np.isfinite(rel)]).astype(int).tolist())
    absent = [e for e in leads if e not in observed]
    if absent:
        raise DesignError(f"min_e={-pretrends} asks for event time(s) {absent}, which have no untreated rows")
    names = [event_term(e) for e in leads] + list(ed.covariate_names)
    X = np.hstack([event_dummies(rel, leads), ed.X[untreated]])
    fits = fit_ols_outcomes(
        np.column_stack([e.y[untreated] for e in eds]), X,
        weights=None if ed.weights is None else ed.weights[untreated],
        fe=np.column_stack([ed.unit, ed.period])[untreated], cluster=ed.cluster[untreated],
        cov_type="CR1", names=names,
    )
    k = len(leads)
    out = []
    for fit in fits:
        b, V = fit.beta[:k], fit.cov[:k, :k]
        stat = float(b @ np.linalg.solve(V, b)) / k
        df_denom = fit.df_resid
        test = WaldTest(
            statistic=stat, df_num=k, p_value=float(f_survival(stat, k, df_denom)),
            null=f"no effect in the {k} periods before treatment", df_denom=df_denom,
        )
        frame = pd.DataFrame({"event_time": leads, "estimate": b, "std_error": np.sqrt(np.diag(V))}, index=names[:k])
        out.append((test, frame))
    return out


def imputation_did(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    time: str,
    group: str,
    unit: str,
    min_e: int | None = None,
    max_e: int | None = None,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
) -> ImputationResult | dict[str, ImputationResult]:
    """Imputation DiD estimator of Borusyak, Jaravel & Spiess (2024).

    Parameters
    ----------
    data
        Panel or repeated cross-sections (``unit`` = region); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
        ``y`` may list several outcomes missing on the same rows: they share the design,
        the untreated model's normal equations and the pre-trend test's regressors
        (absorbed and factored once), and each gets the result of its own call (the
        pre-trend test equal to rounding, :func:`~evalkit.regression.ols.fit_ols_outcomes`).
    min_e, max_e
        Event window.  Effects ``event_time::h`` are estimated for the observed horizons
        ``0 <= h <= max_e`` (``None``: all); with ``min_e < 0`` the pre-trend test (BJS
        Test 1) covers the event times ``min_e .. -1`` of the untreated rows.
    covariates
        Numeric controls of the untreated-outcome model.
    weights
        Analytic weights: the model is fitted by WLS and effects are weighted averages.
    cluster
        Cluster column (default ``unit``) of the conservative variance.

    Returns
    -------
    ImputationResult or dict of str to ImputationResult
        Term ``ATT`` (all treated rows) and ``event_time::h`` per horizon; for a list of
        outcomes a dict ``outcome -> result`` in their order.

    Raises
    ------
    DesignError
        No treated or no untreated observation, a period without untreated rows, a
        horizon (or pre-trend lead) without data.
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
        raise DesignError("no untreated observation (no never- or not-yet-treated unit) to impute Y(0) from")
    w = ed.w
    model = UntreatedModel.build(ed.unit, ed.period, ed.X, w, ~treated)
    n_clusters = int(ed.cluster.max()) + 1
    rel = ed.rel
    fields = []
    for outcome, one in zip(outcomes, eds):
        fitted = model.fit(one.y)
        resid = one.y - fitted
        imputable = treated & np.isfinite(fitted)
        if (treated & ~imputable).any():
            warnings.warn(
                f"{int((treated & ~imputable).sum())} treated rows were excluded: their unit has no untreated "
                "period, so its unit effect (and Y(0)) cannot be imputed", ExcludedRowsWarning, stacklevel=2,
            )
        observed = np.unique(rel[imputable]).astype(int)
        if max_e is not None and max_e > observed.max():
            raise DesignError(f"max_e={max_e} asks for horizons up to {max_e}, but the latest with treated "
                              f"observations is {observed.max()}")
        hs = [int(h) for h in observed if max_e is None or h <= max_e]
        names = [OVERALL] + [event_term(h) for h in hs]
        tau = np.where(imputable, resid, 0.0)
        estimates, psi, boot, shares = _bjs_scores(one, model, rel, resid, imputable, observed, hs, n_clusters)
        cov = influence_cov(psi)  # rows of psi are already cluster sums
        fields.append(dict(
            params=pd.Series(estimates, index=names, name="estimate"),
            std_errors=pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_error"),
            cov=pd.DataFrame(cov, index=names, columns=names),
            nobs=int(one.nobs - (treated & ~imputable).sum()),
            cov_type="BJS conservative, clustered",
            n_clusters=n_clusters,
            model_name=f"Imputation DiD (Borusyak, Jaravel & Spiess 2024): {outcome}",
            extra={"outcome": outcome, "n_untreated": int((~treated).sum()), "n_treated": int(imputable.sum())},
            event_time=pd.Series([np.nan] + [float(h) for h in hs], index=names),
            effects=pd.Series(tau[imputable], index=one.index[imputable], name="effect"),
            scores=InfluenceScores(tuple(names), estimates, boot, shares),
        ))
    if min_e is None or min_e >= 0:
        pretrends = [(InvalidTest("no pre-trend test requested (min_e=None)"), None)] * len(eds)
    else:
        pretrends = _pretrend_tests(eds, -int(min_e))
    results = {outcome: ImputationResult(**kw, pretrend_test=test, pretrend_estimates=leads)
               for outcome, kw, (test, leads) in zip(outcomes, fields, pretrends)}
    return results[y] if isinstance(y, str) else results
