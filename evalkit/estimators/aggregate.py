"""Aggregations of ATT(g,t) into summary parameters (Callaway & Sant'Anna 2021, Sec. 3).

With ``P(G = g)`` the (weighted) share of cohort ``g`` and ``e = t - g`` the event time:

* ``"simple"``: average of post-treatment ATT(g,t) weighted by cohort size;
* ``"group"``: theta(g) = mean of ATT(g,t) over ``t >= g``; overall = sum_g theta(g) P(G=g|treated);
* ``"calendar"``: theta(t) = cohort-size weighted mean of ATT(g,t) over ``g <= t``;
  overall = mean over periods;
* ``"dynamic"``: theta(e) = cohort-size weighted mean of ATT(g, g+e); overall = mean of
  theta(e) over ``e >= 0``.  ``balance_e`` keeps only cohorts observed at least
  ``balance_e`` periods after treatment (a fixed composition up to ``e = balance_e``).

Influence functions are linear combinations of the ATT(g,t) influence functions plus,
where the weights are estimated cohort shares, the influence function of those weights,
exactly as R did's ``aggte``; event times are ``time - group`` in the units of the time
column (use consecutive integer periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.inference.multiplier_bootstrap import cluster_sums, multiplier_bootstrap
from evalkit.results.base import EstimationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evalkit.estimators.att_gt import ATTgtResult

AggregationKind = Literal["simple", "group", "calendar", "dynamic"]
_TERM_COLUMN = {"dynamic": "event_time", "group": "group", "calendar": "time"}
_SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10


@dataclass(frozen=True, repr=False)
class AggregateResult(EstimationResult):
    """An aggregation of ATT(g,t): one term per event time, cohort or period (one term
    ``ATT`` for ``"simple"``) and the overall ATT with its standard error."""

    kind: str = "simple"
    term_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    overall_att: float = float("nan")
    overall_se: float = float("nan")
    influence: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    overall_influence: np.ndarray = field(default_factory=lambda: np.empty(0))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Broom-style frame; adds ``event_time``, ``group`` or ``time`` by kind."""
        out = super().tidy(alpha)
        if self.kind in _TERM_COLUMN:
            out.insert(1, _TERM_COLUMN[self.kind], self.term_values)
        return out

    def plot(self, *, alpha: float = 0.05, uniform: bool = True, label: str = "ATT(g,t), dynamic", **kwargs: Any) -> "Figure":
        """Event-study plot (dynamic aggregation only) with pointwise and uniform bands."""
        if self.kind != "dynamic":
            raise ValueError(f"plot() draws event studies: aggregate with kind='dynamic', not {self.kind!r}")
        from evalkit.report.event_plot import plot_event_study

        return plot_event_study({label: self.tidy(alpha)}, uniform=uniform and self.crit_uniform is not None, **kwargs)


def _weight_influence(keep: np.ndarray, pg: np.ndarray, res: "ATTgtResult") -> np.ndarray:
    """Influence function of the estimated weights ``pg[keep] / sum(pg[keep])`` (n x len(keep))."""
    g_keep = res.group[keep]
    dev = res.obs_weights[:, None] * (res.obs_group[:, None] == g_keep[None, :]) - pg[keep][None, :]
    total = pg[keep].sum()
    return dev / total - np.outer(dev.sum(axis=1), pg[keep] / total**2)


def _combine(res: "ATTgtResult", keep: np.ndarray, pg: np.ndarray, with_wif: bool) -> tuple[float, np.ndarray]:
    """Cohort-share weighted average of the ATT(g,t) in ``keep`` and its influence function."""
    w = pg[keep] / pg[keep].sum()
    inf = res.influence[:, keep] @ w
    if with_wif:
        inf = inf + _weight_influence(keep, pg, res) @ res.params.to_numpy()[keep]
    return float(res.params.to_numpy()[keep] @ w), inf


def _analytic_se(inf: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    sums = cluster_sums(inf.reshape(len(inf), -1), cluster)
    se = np.sqrt((sums**2).sum(axis=0)) / len(inf)
    return np.where(se > _SE_FLOOR, se, np.nan)


def aggregate_att_gt(
    res: "ATTgtResult",
    kind: AggregationKind = "dynamic",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    n_boot: int | None = None,
    rng: np.random.Generator | None = None,
) -> AggregateResult:
    """Aggregate ATT(g,t) as R did's ``aggte`` (Callaway & Sant'Anna 2021, eqs. 3.3-3.12).

    Parameters
    ----------
    res
        Result of :func:`evalkit.estimators.att_gt.att_gt`.
    kind
        ``"simple"``, ``"group"``, ``"calendar"`` or ``"dynamic"``.
    min_e, max_e
        Event-time window: ``dynamic`` reports only these event times; ``simple`` and
        ``group`` use only post-treatment cells with ``t - g <= max_e``.
    balance_e
        Dynamic only: keep cohorts observed at least ``balance_e`` periods after
        treatment and event times ``e <= balance_e``.
    n_boot, rng
        Multiplier bootstrap (Mammen) for standard errors and the uniform band over terms.
    """
    if kind not in ("simple", "group", "calendar", "dynamic"):
        raise ValueError(f"kind must be 'simple', 'group', 'calendar' or 'dynamic', got {kind!r}")
    if balance_e is not None and kind != "dynamic":
        raise ValueError("balance_e applies to kind='dynamic' only")
    if n_boot is not None and rng is None:
        raise ValueError("n_boot needs an explicit rng, e.g. rng=numpy.random.default_rng(42)")
    g, t, att = res.group, res.time, res.params.to_numpy()
    e = t - g
    cohorts = np.unique(g)
    share = {c: np.mean(res.obs_weights * (res.obs_group == c)) for c in cohorts}
    pg = np.array([share[c] for c in g])
    post = (g <= t) & (e <= max_e)

    if kind == "simple":
        if not post.any():
            raise DesignError(f"no post-treatment ATT(g,t) with event time <= {max_e}")
        overall, overall_inf = _combine(res, post, pg, with_wif=True)
        values, infs, labels = np.array([overall]), overall_inf[:, None], ["ATT"]
    elif kind == "group":
        values, cols = [], []
        for c in cohorts:
            keep = post & (g == c)
            if not keep.any():
                raise DesignError(f"cohort {c:g} has no post-treatment ATT(g,t) with event time <= {max_e}")
            v, inf = _combine(res, keep, pg, with_wif=False)
            values.append(v)
            cols.append(inf)
        values, infs = np.array(values), np.column_stack(cols)
        labels = [f"g={c:g}" for c in cohorts]
        pgg = np.array([share[c] for c in cohorts])
        wif = _weight_influence(np.searchsorted(g, cohorts), np.array([share[c] for c in g]), res)
        overall = float(values @ pgg / pgg.sum())
        overall_inf = infs @ (pgg / pgg.sum()) + wif @ values
    elif kind == "calendar":
        periods = np.unique(t[t >= g.min()])
        values, cols = [], []
        for p in periods:
            v, inf = _combine(res, (t == p) & (g <= t), pg, with_wif=True)
            values.append(v)
            cols.append(inf)
        values, infs = np.array(values), np.column_stack(cols)
        labels = [f"t={p:g}" for p in periods]
        overall, overall_inf = float(values.mean()), infs.mean(axis=1)
    else:
        include = np.ones(len(g), dtype=bool)
        if balance_e is not None:
            include = t.max() - g >= balance_e
            if not include.any():
                raise DesignError(f"balance_e={balance_e}: no cohort is observed {balance_e} periods after treatment")
        window = include & (e >= min_e) & (e <= max_e)
        if balance_e is not None:
            window &= (e <= balance_e) & (e >= balance_e - (t.max() - res.periods.min()))
        event_times = np.unique(e[window])
        if len(event_times) == 0:
            raise DesignError(
                f"no ATT(g,t) with event time in [{min_e}, {max_e}]; available event times are {np.unique(e).tolist()}"
            )
        values, cols = [], []
        for ev in event_times:
            v, inf = _combine(res, window & (e == ev), pg, with_wif=True)
            values.append(v)
            cols.append(inf)
        values, infs = np.array(values), np.column_stack(cols)
        periods = event_times
        labels = [f"e={ev:g}" for ev in event_times]
        nonneg = event_times >= 0
        if nonneg.any():
            overall, overall_inf = float(values[nonneg].mean()), infs[:, nonneg].mean(axis=1)
        else:
            overall, overall_inf = float("nan"), np.full(len(infs), np.nan)

    se = _analytic_se(infs, res.cluster)
    overall_se = float(_analytic_se(overall_inf, res.cluster)[0])
    crit, cov_type = None, "analytic"
    if n_boot is not None:
        # one set of draws for the terms (uniform band) and the overall ATT
        joint = np.column_stack([infs, np.nan_to_num(overall_inf)])
        band = np.r_[np.ones(infs.shape[1], dtype=bool), False]
        boot = multiplier_bootstrap(joint, n_boot=n_boot, rng=rng, cluster=res.cluster, alpha=res.alpha, band=band)
        se, cov_type = boot.se[:-1], f"multiplier bootstrap ({n_boot} draws, Mammen)"
        crit = boot.crit_uniform if np.isfinite(boot.crit_uniform) else None
        overall_se = float(boot.se[-1]) if np.isfinite(overall_inf).all() else float("nan")
    index = pd.Index(labels, name="term")
    term_values = {"dynamic": event_times if kind == "dynamic" else None, "group": cohorts,
                   "calendar": periods if kind == "calendar" else None, "simple": np.array([np.nan])}[kind]
    return AggregateResult(
        params=pd.Series(values, index=index, name="estimate"),
        std_errors=pd.Series(se, index=index, name="std_error"),
        nobs=res.nobs,
        cov_type=cov_type,
        n_clusters=res.n_clusters,
        crit_uniform=crit,
        model_name=f"ATT(g,t) aggregation: {kind}",
        extra={**res.extra, "aggregation": kind, "overall_att": overall, "overall_se": overall_se},
        kind=kind,
        term_values=np.asarray(term_values, dtype=float),
        overall_att=overall,
        overall_se=overall_se,
        influence=infs,
        overall_influence=overall_inf,
    )
