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
from evalkit.inference.clusters import cluster_sums
from evalkit.inference.multiplier_bootstrap import bootstrap_draws, bootstrap_summary
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


def _share_coefficients(groups: np.ndarray, values: np.ndarray, pg: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """Influence of estimated weights, as coefficients on the cohort-share influence functions.

    ``sum_j values_j pg_j / P`` with ``P = sum_j pg_j`` has weight influence
    ``sum_j psi_{g_j} (values_j / P - S / P^2)``, ``S = sum_j pg_j values_j`` and
    ``psi_g`` the influence function of cohort ``g``'s share (R did's ``wif``).
    """
    total, s = pg.sum(), pg @ values
    return np.bincount(np.searchsorted(cohorts, groups), weights=values / total - s / total**2, minlength=len(cohorts))


def _combine(
    res: "ATTgtResult", keep: np.ndarray, pg: np.ndarray, with_wif: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """Cohort-share weighted average of the ATT(g,t) in ``keep``, with its influence function
    as coefficients ``(a, b)``: ``influence @ a + share_influence @ b``."""
    att = res.params.to_numpy()
    a = np.zeros(len(att))
    a[keep] = pg[keep] / pg[keep].sum()
    b = np.zeros(len(res.cohorts))
    if with_wif:
        b = _share_coefficients(res.group[keep], att[keep], pg[keep], res.cohorts)
    return float(att @ a), a, b


def _analytic_se(inf: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    sums = cluster_sums(inf.reshape(len(inf), -1), cluster)
    se = np.sqrt((sums**2).sum(axis=0)) / len(inf)
    return np.where(se > _SE_FLOOR, se, np.nan)


def _draws(res: "ATTgtResult", n_boot: int | None, rng: np.random.Generator | None) -> np.ndarray | None:
    """Joint draws of the ATT(g,t) and cohort shares: fresh with ``rng``, else the stored ones."""
    if n_boot is not None and rng is not None:
        joint = np.hstack([res.influence, res.share_influence()])
        return bootstrap_draws(joint, n_boot=n_boot, rng=rng, cluster=res.cluster)
    stored = res.boot_draws
    if n_boot is not None and (stored is None or len(stored) != n_boot):
        raise ValueError("n_boot needs an explicit rng, e.g. rng=numpy.random.default_rng(42)")
    return stored


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
        Every aggregate is a linear combination ``influence @ A + share_influence @ B``,
        so its draws are ``draws @ [A; B]`` of joint draws of the ATT(g,t) and the cohort
        shares.  With ``rng``, ``n_boot`` new joint draws are made; without, the draws
        stored by ``att_gt(..., n_boot=..., rng=...)`` are reused (no new multipliers), so
        a bootstrapped ``att_gt`` result gives bootstrapped aggregates by default and all
        its aggregations share one set of multipliers.
    """
    if kind not in ("simple", "group", "calendar", "dynamic"):
        raise ValueError(f"kind must be 'simple', 'group', 'calendar' or 'dynamic', got {kind!r}")
    if balance_e is not None and kind != "dynamic":
        raise ValueError("balance_e applies to kind='dynamic' only")
    draws = _draws(res, n_boot, rng)
    g, t = res.group, res.time
    e = t - g
    cohorts = res.cohorts
    share = {c: np.mean(res.obs_weights * (res.obs_group == c)) for c in cohorts}
    pg = np.array([share[c] for c in g])
    post = (g <= t) & (e <= max_e)

    def combine_each(masks: list[np.ndarray], with_wif: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = [_combine(res, m, pg, with_wif) for m in masks]
        return np.array([p[0] for p in parts]), np.column_stack([p[1] for p in parts]), np.column_stack([p[2] for p in parts])

    if kind == "simple":
        if not post.any():
            raise DesignError(f"no post-treatment ATT(g,t) with event time <= {max_e}")
        values, A, B = combine_each([post], with_wif=True)
        labels = ["ATT"]
        overall, a_all, b_all = float(values[0]), A[:, 0], B[:, 0]
    elif kind == "group":
        for c in cohorts:
            if not (post & (g == c)).any():
                raise DesignError(f"cohort {c:g} has no post-treatment ATT(g,t) with event time <= {max_e}")
        values, A, B = combine_each([post & (g == c) for c in cohorts], with_wif=False)
        labels = [f"g={c:g}" for c in cohorts]
        pgg = np.array([share[c] for c in cohorts])
        overall = float(values @ pgg / pgg.sum())
        a_all = A @ (pgg / pgg.sum())
        b_all = B @ (pgg / pgg.sum()) + _share_coefficients(cohorts, values, pgg, cohorts)
    elif kind == "calendar":
        periods = np.unique(t[t >= g.min()])
        values, A, B = combine_each([(t == p) & (g <= t) for p in periods], with_wif=True)
        labels = [f"t={p:g}" for p in periods]
        overall, a_all, b_all = float(values.mean()), A.mean(axis=1), B.mean(axis=1)
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
        values, A, B = combine_each([window & (e == ev) for ev in event_times], with_wif=True)
        periods = event_times
        labels = [f"e={ev:g}" for ev in event_times]
        nonneg = event_times >= 0
        if nonneg.any():
            overall, a_all, b_all = float(values[nonneg].mean()), A[:, nonneg].mean(axis=1), B[:, nonneg].mean(axis=1)
        else:
            overall, a_all, b_all = float("nan"), np.zeros(len(g)), np.zeros(len(cohorts))

    shares = res.share_influence()
    infs = res.influence @ A + shares @ B
    overall_inf = res.influence @ a_all + shares @ b_all if np.isfinite(overall) else np.full(len(infs), np.nan)
    se = _analytic_se(infs, res.cluster)
    overall_se = float(_analytic_se(overall_inf, res.cluster)[0])
    crit, cov_type = None, "analytic"
    if draws is not None:
        # the terms' and the overall ATT's draws are linear combinations of the joint draws
        coef = np.vstack([np.column_stack([A, a_all]), np.column_stack([B, b_all])])
        band = np.r_[np.ones(A.shape[1], dtype=bool), False]
        boot_se, boot_crit = bootstrap_summary(draws @ coef, alpha=res.alpha, band=band)
        se, cov_type = boot_se[:-1], f"multiplier bootstrap ({len(draws)} draws, Mammen)"
        crit = boot_crit if np.isfinite(boot_crit) else None
        overall_se = float(boot_se[-1]) if np.isfinite(overall) else float("nan")
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
