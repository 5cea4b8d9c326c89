"""Local-projections difference-in-differences (Dube, Girardi, Jordà & Taylor 2023).

For every horizon ``h`` one regression of the long difference on the treatment's switch-on,
with period effects of the anchor period ``t``,

    y_{i,t+h} - b_it = beta_h 1{g_i = t} + delta_t^h (+ x_it'gamma_h) + e_it^h,

on the *clean* sample: units that start treatment at ``t`` (the newly treated) and clean
controls, untreated through ``t + h`` (``g > t + h`` or never treated;
``control_group="not_yet_treated"``) or never treated (``"never_treated"``).  For
pre-treatment horizons ``h <= -2`` (placebos) the controls are units untreated at ``t``;
``h = -1`` is the reference.  The baseline ``b_it`` is ``y_{i,t-1}``, or with pre-mean
differencing (``pmd``) the mean of ``y_i`` over the ``pmd`` periods before ``t``
(``"max"``: over all earlier periods).  The term ``ATT`` pools the horizons ``0..max_e``:
the outcome is the mean of ``y_{i,t..t+max_e}`` minus the baseline, with controls clean
through ``t + max_e``.

Without reweighting, ``beta_h`` is a variance-weighted average of the anchor periods' 2x2
effects (weights ``n_t p_t (1 - p_t)``, ``p_t`` the treated share at ``t``).
``reweight=True`` weighs every row at anchor period ``t`` by ``1 / (1 - p_t)`` (the
sample's rows at ``t`` over its controls), so that every treated unit counts once: the
equally weighted ATT of DGJT (2023, sec. 3.3), the Callaway & Sant'Anna estimand.

Standard errors are CR1 by ``cluster`` (default ``unit``) for each horizon; horizons are
fitted on different samples, and their covariance is ``sqrt(c_h c_k) sum_g S_gh S_gk`` with
``S_gh`` the cluster sums of horizon ``h``'s influence function and ``c_h`` its CR1 factor,
so that its diagonal is each regression's own variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.clusters import cluster_sums
from evalkit.inference.wild_bootstrap_scores import InfluenceScores
from evalkit.regression.ols import OLSFit, fit_ols
from evalkit.staggered.design import build_design
from evalkit.staggered.event_data import EventData, event_data
from evalkit.staggered.terms import OVERALL, event_term

__all__ = ["lpdid"]

LPControl = Literal["not_yet_treated", "never_treated"]


@dataclass(frozen=True, eq=False)
class _Grid:
    """Outcomes on the unit x calendar-period grid (NaN where a unit misses a period)."""

    Y: np.ndarray
    start: int

    def at(self, unit: np.ndarray, time: np.ndarray) -> np.ndarray:
        """``y`` of ``unit`` at ``time`` (NaN outside the grid or where missing)."""
        col = time.astype(int) - self.start
        inside = (col >= 0) & (col < self.Y.shape[1])
        out = np.full(len(unit), np.nan)
        out[inside] = self.Y[unit[inside], col[inside]]
        return out


def _grid(ed: EventData) -> _Grid:
    start, stop = int(ed.periods[0]), int(ed.periods[-1])
    Y = np.full((int(ed.unit.max()) + 1, stop - start + 1), np.nan)
    Y[ed.unit, ed.time.astype(int) - start] = ed.y
    return _Grid(Y, start)


def _baseline(ed: EventData, grid: _Grid, pmd: int | str | None) -> np.ndarray:
    """``y_{t-1}``, or the mean over the ``pmd`` periods before ``t`` (all observed, ``"max"``)."""
    if pmd is None:
        return grid.at(ed.unit, ed.time - 1)
    if pmd == "max":
        observed = np.isfinite(grid.Y)
        sums = np.cumsum(np.where(observed, grid.Y, 0.0), axis=1)
        counts = np.cumsum(observed, axis=1)
        col = ed.time.astype(int) - grid.start - 1  # strictly before t
        valid = col >= 0
        out = np.full(ed.nobs, np.nan)
        c = counts[ed.unit[valid], col[valid]]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[valid] = np.where(c > 0, sums[ed.unit[valid], col[valid]] / np.maximum(c, 1), np.nan)
        return out
    lags = np.column_stack([grid.at(ed.unit, ed.time - k) for k in range(1, int(pmd) + 1)])
    return lags.mean(axis=1)  # NaN unless all pmd periods are observed


def _check_pmd(pmd: object) -> None:
    if pmd is None or pmd == "max":
        return
    if isinstance(pmd, bool) or not isinstance(pmd, (int, np.integer)) or pmd < 1:
        raise EvalkitError(f"pmd must be None, 'max' or a positive number of periods, got {pmd!r}")


@dataclass(frozen=True)
class _Horizon:
    """One local projection: its fit and the cluster sums of its influence function."""

    estimate: float
    fit: OLSFit
    scores: np.ndarray
    shares: np.ndarray

    @property
    def factor(self) -> float:
        """The CR1 factor ``c_h``: ``cov = c_h sum_g S_g^2``."""
        return float(self.fit.cov[0, 0] / (self.scores @ self.scores))


def _project(ed: EventData, target: np.ndarray, base: np.ndarray, entry: np.ndarray, clean: np.ndarray,
             reweight: bool, n_clusters: int, label: str) -> _Horizon:
    rows = np.flatnonzero((entry | clean) & np.isfinite(target) & np.isfinite(base))
    d = entry[rows]
    if not d.any() or d.all():
        raise DesignError(f"LP-DiD {label}: the clean sample has {int(d.sum())} newly treated and "
                          f"{int((~d).sum())} control rows with the outcome observed at both ends of the long "
                          "difference; both are needed (narrow the horizons min_e, max_e)")
    weights = None
    if reweight:  # 1 / (1 - p_t); anchor periods without treated or control rows carry no comparison
        anchor = ed.period[rows]
        n = np.bincount(anchor, minlength=len(ed.periods)).astype(float)
        n_treated = np.bincount(anchor, weights=d.astype(float), minlength=len(ed.periods))
        both = (n_treated > 0) & (n_treated < n)
        rows, d = rows[both[anchor]], d[both[anchor]]
        anchor = ed.period[rows]
        weights = n[anchor] / (n - n_treated)[anchor]
    anchor = ed.period[rows]
    X = np.column_stack([d.astype(float), ed.X[rows]])
    names = ["treated", *ed.covariate_names]
    fit = fit_ols(target[rows] - base[rows], X, weights=weights, fe=anchor, cluster=ed.cluster[rows],
                  cov_type="CR1", names=names)
    kept = rows[fit.sample]
    w = np.ones(fit.nobs) if fit.weights is None else fit.weights
    dtheta_dy = (fit.X @ fit.bread[:, 0]) * w  # d beta / d y_i
    scores = cluster_sums(dtheta_dy * fit.resid, ed.cluster[kept], n_clusters)
    shares = cluster_sums(np.where(entry[kept], dtheta_dy, 0.0), ed.cluster[kept], n_clusters)
    return _Horizon(float(fit.beta[0]), fit, scores, shares / shares.sum())


def lpdid(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    min_e: int | None = None,
    max_e: int | None = None,
    control_group: LPControl = "not_yet_treated",
    pmd: int | Literal["max"] | None = None,
    reweight: bool = False,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
) -> EventStudyResult:
    """Local-projections DiD (Dube, Girardi, Jordà & Taylor 2023) of a panel.

    Parameters
    ----------
    data
        Panel, one row per unit and period (gaps allowed: long differences that reach a
        missing period are left out); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
    min_e, max_e
        Horizons ``min_e..max_e`` (``-1`` is the reference); default: every event time
        observed for a treated unit.  ``ATT`` pools ``0..max_e``.
    control_group
        ``"not_yet_treated"`` (clean controls: untreated through ``t + h``) or ``"never_treated"``.
    pmd
        Pre-mean differencing: the baseline is the mean over the ``pmd`` periods before
        ``t`` (``"max"``: all earlier periods) instead of ``y_{t-1}``.
    reweight
        Weigh the rows so that every treated unit counts once (the equally weighted ATT);
        default: the regression's variance weighting.
    covariates
        Numeric controls at the anchor period (not with ``reweight``; DGJT then adjust by
        regression).
    cluster
        Cluster column (default ``unit``); CR1, ``t(G - 1)`` p-values.

    Returns
    -------
    EventStudyResult
        Terms ``event_time::h`` and ``ATT``; ``extra["nobs_by_term"]`` the rows of each regression.
    """
    _check_pmd(pmd)
    if control_group not in ("not_yet_treated", "never_treated"):
        raise DesignError(f"control_group must be 'not_yet_treated' or 'never_treated', got {control_group!r}")
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    if reweight and covariates:
        raise EvalkitError("lpdid: reweight=True with covariates is not supported (the reweighted estimand needs "
                           "regression adjustment); drop covariates= or reweight=")
    design = build_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates, cluster=cluster,
                          panel=True)
    design.check_clusters(stacklevel=3)
    ed = event_data(design)
    if ed.cohorts.size == 0:
        raise DesignError(f"no treated unit: '{group}' is 0 or inf in every row")
    g = np.where(ed.group == 0, np.inf, ed.group)
    t = ed.time
    rel = t[np.isfinite(g)] - g[np.isfinite(g)]
    lo = int(rel.min()) if min_e is None else int(min_e)
    hi = int(rel.max()) if max_e is None else int(max_e)
    if lo > hi:
        raise DesignError(f"min_e={lo} is after max_e={hi}")
    grid = _grid(ed)
    base = _baseline(ed, grid, pmd)
    entry = t == g
    never = ~np.isfinite(g)
    n_clusters = int(ed.cluster.max()) + 1

    def clean(h: int) -> np.ndarray:
        if control_group == "never_treated":
            return never
        return (t < g) & (t + max(h, 0) < g)

    horizons: dict[str, _Horizon] = {}
    event: list[float] = []
    for h in range(lo, hi + 1):
        if h == -1:
            continue
        horizons[event_term(h)] = _project(ed, grid.at(ed.unit, t + h), base, entry, clean(h), reweight,
                                           n_clusters, f"horizon {h}")
        event.append(float(h))
    if hi >= 0:
        pooled = np.mean([grid.at(ed.unit, t + h) for h in range(hi + 1)], axis=0)
        horizons[OVERALL] = _project(ed, pooled, base, entry, clean(hi), reweight, n_clusters, f"pooled 0..{hi}")
        event.append(np.nan)
    if not horizons:
        raise DesignError(f"no horizon to estimate in [{lo}, {hi}] besides the reference -1")
    terms = list(horizons)
    S = np.column_stack([hz.scores for hz in horizons.values()])
    root = np.sqrt([hz.factor for hz in horizons.values()])
    cov = (S.T @ S) * np.outer(root, root)
    estimates = np.array([hz.estimate for hz in horizons.values()])
    fits = [hz.fit for hz in horizons.values()]
    return EventStudyResult(
        params=pd.Series(estimates, index=terms, name="estimate"),
        std_errors=pd.Series(np.sqrt(np.diag(cov)), index=terms, name="std_error"),
        cov=pd.DataFrame(cov, index=terms, columns=terms),
        nobs=max(f.nobs for f in fits), cov_type="CR1", df_resid=min(f.df_resid for f in fits),
        n_clusters=n_clusters,
        model_name=f"LP-DiD{' (reweighted)' if reweight else ''}: {y}",
        extra={"outcome": y, "control_group": control_group, "pmd": "none" if pmd is None else str(pmd),
               "reweight": reweight, "nobs_by_term": {k: f.nobs for k, f in zip(terms, fits)}},
        event_time=pd.Series(event, index=terms),
        reference=(-1,),
        scores=InfluenceScores(tuple(terms), estimates, S, np.column_stack([hz.shares for hz in horizons.values()])),
    )
