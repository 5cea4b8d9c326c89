"""Results of Callaway & Sant'Anna's ATT(g,t) and their aggregations (Callaway & Sant'Anna 2021, Sec. 3).

:class:`ATTgtResult` (what :func:`~evalkit.estimators.att_gt.att_gt` returns) keeps the
influence function of every ATT(g,t); :meth:`ATTgtResult.aggregate` combines them as R
did's ``aggte``.  With ``P(G = g)`` the (weighted) share of cohort ``g`` and ``e = t - g``:

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
column (integer periods).  Every result carries the covariance of its estimates,
``S'S / n^2`` with ``S`` the (cluster) sums of the influence functions, so that tests and
sensitivity analyses (:func:`~evalkit.sensitivity.honest_did`) use the result's own,
cluster-robust covariance.  After a multiplier bootstrap the standard errors are the
bootstrap's and the covariance is the draws' correlation scaled to them
(:func:`~evalkit.inference.multiplier_bootstrap.bootstrap_cov`), so ``sqrt(diag(cov))``
always equals ``std_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.inference.covariance import influence_cov, standard_errors
from evalkit.inference.multiplier_bootstrap import bootstrap_cov, bootstrap_draws, bootstrap_summary
from evalkit.inference.rng import RNG, as_generator
from evalkit.inference.wild_bootstrap_scores import InfluenceScores, influence_scores
from evalkit.results import EstimationResult, InvalidTest, WaldTest
from evalkit.results.base import freeze_arrays
from evalkit.staggered.terms import OVERALL, cohort_term, event_term, period_term

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ATTgtResult", "AggregateResult", "aggregate_att_gt", "cohort_coefficients", "cohort_shares",
           "observation_weights", "share_influence"]


def share_influence(obs_group: np.ndarray, obs_weights: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """Influence functions of the cohort shares ``p_g = mean(w_i 1{G_i = g})``, ``(n, n_cohorts)``."""
    member = obs_weights[:, None] * (obs_group[:, None] == cohorts[None, :])
    return member - member.mean(axis=0)


def cohort_shares(group: np.ndarray, obs_group: np.ndarray, obs_weights: np.ndarray,
                  member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each observation's cohort (index into ``np.unique(group)``) and its share of it.

    ``group`` is the cohort of each ATT(g,t); ``obs_group`` and ``obs_weights`` those of the
    observations, ``member`` the observations whose outcomes the ATT(g,t) average.  The
    share of a member of cohort ``g`` is ``w_i / sum_{G_j = g, member} w_j``; 0 (cohort 0)
    for the other observations.
    """
    cohorts = np.unique(group)
    idx = np.searchsorted(cohorts, obs_group[member])
    size = np.bincount(idx, weights=obs_weights[member], minlength=len(cohorts))
    obs_cohort = np.zeros(len(obs_group), dtype=np.intp)
    obs_share = np.zeros(len(obs_group))
    obs_cohort[member], obs_share[member] = idx, obs_weights[member] / size[idx]
    return obs_cohort, obs_share


def cohort_coefficients(group: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """``(n_cohorts, k)``: the ``coefficients`` of the ATT(g,t) (rows, cohort ``group``) summed by cohort."""
    cohorts = np.unique(group)
    per_cohort = np.zeros((len(cohorts), coefficients.shape[1]))
    np.add.at(per_cohort, np.searchsorted(cohorts, group), coefficients)
    return per_cohort


def observation_weights(obs_cohort: np.ndarray, obs_share: np.ndarray, per_cohort: np.ndarray) -> np.ndarray:
    """Weight of each observation in linear combinations of ATT(g,t), ``(n, k)``.

    ATT(g,t) moves one for one with the outcomes of cohort ``g``: its weight on an
    observation of cohort ``g`` is the observation's share of the cohort
    (:func:`cohort_shares`), times the combination's coefficients on cohort ``g``'s ATT(g,t)
    (``per_cohort``, :func:`cohort_coefficients`).  The wild bootstrap re-centres the
    bootstrap influence function with these weights
    (:mod:`evalkit.inference.wild_bootstrap_influence`).
    """
    return obs_share[:, None] * per_cohort[obs_cohort]


@dataclass(frozen=True, repr=False)
class ATTgtResult(EstimationResult):
    """ATT(g,t) estimates with their influence functions.

    Attributes (beyond :class:`~evalkit.results.EstimationResult`)
    ------------------------------------------------------------------
    group, time
        Cohort and period of each term (integer arrays aligned with ``params``; terms are
        named ``cohort::g:time::t``).
    influence
        ``(n, n_terms)`` influence functions (``n`` units for panels, rows otherwise).
    periods
        All periods of the estimation sample (including base periods).
    obs_group, obs_weights, cluster
        Cohort, normalized weight and cluster code of each of the ``n`` observations.
    obs_labels
        Label of each observation: the unit (panels) or the data's row label
        (repeated cross-sections); ``aggregate(cluster=...)`` maps them to clusters.
    alpha
        Level used for the bootstrap's uniform band.
    pretest
        Wald test that all pre-treatment ATT(g,t) are zero, or an :class:`InvalidTest`.
    boot_draws
        ``(n_boot, n_terms + n_cohorts)`` multiplier-bootstrap draws of the ATT(g,t) and of
        the cohort shares (columns of :meth:`share_influence`), all from the same
        multipliers; ``None`` without bootstrap.  Aggregations reuse them.
    """

    group: np.ndarray = field(default_factory=lambda: np.empty(0))
    time: np.ndarray = field(default_factory=lambda: np.empty(0))
    influence: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    periods: np.ndarray = field(default_factory=lambda: np.empty(0))
    obs_group: np.ndarray = field(default_factory=lambda: np.empty(0))
    obs_weights: np.ndarray = field(default_factory=lambda: np.empty(0))
    cluster: np.ndarray | None = None
    obs_labels: np.ndarray = field(default_factory=lambda: np.empty(0))
    alpha: float = 0.05
    pretest: WaldTest | InvalidTest = InvalidTest("not computed")
    boot_draws: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        freeze_arrays(self)

    @property
    def cohorts(self) -> np.ndarray:
        """Sorted treated cohorts (the order of the share columns)."""
        return np.unique(self.group)

    def share_influence(self) -> np.ndarray:
        """Influence functions of the cohort shares ``p_g = mean(w_i 1{G_i = g})``, ``(n, n_cohorts)``."""
        return share_influence(self.obs_group, self.obs_weights, self.cohorts)

    @property
    def event_time(self) -> np.ndarray:
        """``time - group`` of each term."""
        return self.time - self.group

    def estimand_members(self) -> np.ndarray:
        """Observations whose outcomes the ATT(g,t) average: those of a treated cohort."""
        return np.isin(self.obs_group, self.cohorts)

    def estimand_weights(self, coefficients: np.ndarray) -> np.ndarray:
        """Weight of each observation in linear combinations ``ATT(g,t) @ coefficients``, ``(n, k)``
        (:func:`observation_weights`; the observations of :meth:`estimand_members`)."""
        obs_cohort, obs_share = cohort_shares(self.group, self.obs_group, self.obs_weights, self.estimand_members())
        return observation_weights(obs_cohort, obs_share, cohort_coefficients(self.group, coefficients))

    def bootstrap_scores(self, terms: list[str]) -> InfluenceScores:
        """Cluster sums of the influence functions of ``terms`` and their weights, for
        :func:`~evalkit.inference.wild_cluster_bootstrap` (unrestricted bootstrap-t)."""
        cols = self.params.index.get_indexer(terms)
        return influence_scores(terms, self.params.to_numpy()[cols], self.influence[:, cols],
                                self.estimand_weights(np.eye(len(self.group))[:, cols]), self.cluster,
                                divisor=len(self.influence))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Broom-style frame with ``group``, ``time`` and ``event_time`` columns added."""
        out = super().tidy(alpha)
        out.insert(1, "group", self.group)
        out.insert(2, "time", self.time)
        out.insert(3, "event_time", self.event_time)
        return out

    def aggregate(
        self,
        kind: Literal["simple", "group", "calendar", "dynamic"] = "dynamic",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        alpha: float | None = None,
        cluster: pd.Series | None = None,
        n_boot: int | None = None,
        rng: RNG = None,
    ) -> "AggregateResult":
        """Aggregate ATT(g,t) as R did's ``aggte``; see :func:`aggregate_att_gt`."""
        return aggregate_att_gt(self, kind, min_e=min_e, max_e=max_e, balance_e=balance_e, alpha=alpha,
                                cluster=cluster, n_boot=n_boot, rng=rng)

    def plot(self, *, alpha: float = 0.05, uniform: bool = True, **kwargs: Any) -> "Figure":
        """Event-study plot of ATT(g,t) by cohort (one series per cohort, on event time)."""
        from evalkit.report.event_plot import plot_event_study

        tidy = self.tidy(alpha)
        frames = {f"g = {g:g}": tidy[tidy["group"] == g] for g in np.unique(self.group)}
        return plot_event_study(frames, uniform=uniform and self.crit_uniform is not None, **kwargs)


AggregationKind = Literal["simple", "group", "calendar", "dynamic"]
_TERM_COLUMN = {"dynamic": "event_time", "group": "group", "calendar": "time"}
_TERM_NAME = {"dynamic": event_term, "group": cohort_term, "calendar": period_term}


@dataclass(frozen=True, repr=False)
class AggregateResult(EstimationResult):
    """An aggregation of ATT(g,t): one term per event time (``event_time::e``), cohort
    (``cohort::g``) or period (``time::t``), and the overall effect as the last term
    ``ATT`` (the only one for ``"simple"``), all with full inference.

    Attributes (beyond :class:`~evalkit.results.EstimationResult`)
    ------------------------------------------------------------------
    kind
        ``"simple"``, ``"group"``, ``"calendar"`` or ``"dynamic"``.
    term_values
        Event time, cohort or period of each term (``<NA>`` for ``ATT``), integers.
    influence
        ``(n, n_terms)`` influence functions of the terms (the last one of ``ATT``).
    cluster
        Cluster code per observation used for the covariance (``None``: observations).
    alpha
        Level of the uniform band (``crit_uniform``).
    cohort_coefficients
        ``(n_cohorts, n_terms)``: each term's coefficients on the ATT(g,t), summed by cohort.
    obs_cohort, obs_share
        Each observation's cohort (row of ``cohort_coefficients``) and its share of it
        (:func:`cohort_shares`); with ``cohort_coefficients`` they give :attr:`estimand_weights`.
    """

    kind: str = "simple"
    term_values: pd.Series = field(default_factory=lambda: pd.Series(dtype="Int64"))
    influence: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    cluster: np.ndarray | None = None
    alpha: float = 0.05
    cohort_coefficients: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    obs_cohort: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    obs_share: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        super().__post_init__()
        freeze_arrays(self)

    @property
    def estimand_weights(self) -> np.ndarray:
        """``(n, n_terms)`` weight of each observation in each term (:func:`observation_weights`;
        computed when asked, for the wild bootstrap)."""
        return observation_weights(self.obs_cohort, self.obs_share, self.cohort_coefficients)

    def bootstrap_scores(self, terms: list[str]) -> InfluenceScores:
        """Cluster sums of the influence functions of ``terms`` and their weights, for
        :func:`~evalkit.inference.wild_cluster_bootstrap` (unrestricted bootstrap-t)."""
        cols = self.params.index.get_indexer(terms)
        weights = observation_weights(self.obs_cohort, self.obs_share, self.cohort_coefficients[:, cols])
        return influence_scores(terms, self.params.to_numpy()[cols], self.influence[:, cols], weights, self.cluster,
                                divisor=len(self.influence))

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """Broom-style frame; adds ``event_time``, ``group`` or ``time`` by kind (``<NA>`` for ``ATT``)."""
        out = super().tidy(self.alpha if alpha is None else alpha)
        if self.kind in _TERM_COLUMN:
            out.insert(1, _TERM_COLUMN[self.kind], self.term_values.array)
        return out

    def plot(self, *, alpha: float | None = None, uniform: bool = True, label: str = "ATT(g,t), dynamic",
             **kwargs: Any) -> "Figure":
        """Event-study plot (dynamic aggregation only) with pointwise and uniform bands."""
        if self.kind != "dynamic":
            raise ValueError(f"plot() draws event studies: aggregate with kind='dynamic', not {self.kind!r}")
        from evalkit.report.event_plot import plot_event_study

        frame = self.tidy(alpha).loc[lambda f: f["event_time"].notna()].astype({"event_time": float})
        return plot_event_study({label: frame}, uniform=uniform and self.crit_uniform is not None, **kwargs)


def _share_coefficients(groups: np.ndarray, values: np.ndarray, pg: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """Influence of estimated weights, as coefficients on the cohort-share influence functions.

    ``sum_j values_j pg_j / P`` with ``P = sum_j pg_j`` has weight influence
    ``sum_j psi_{g_j} (values_j / P - S / P^2)``, ``S = sum_j pg_j values_j`` and
    ``psi_g`` the influence function of cohort ``g``'s share (R did's ``wif``).
    """
    total, s = pg.sum(), pg @ values
    return np.bincount(np.searchsorted(cohorts, groups), weights=values / total - s / total**2, minlength=len(cohorts))


def _combine(
    att: np.ndarray, group: np.ndarray, cohorts: np.ndarray, keep: np.ndarray, pg: np.ndarray, with_wif: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """Cohort-share weighted average of the ATT(g,t) ``att`` (of cohorts ``group``) in ``keep``,
    with its influence function as coefficients ``(a, b)``: ``influence @ a + share_influence @ b``."""
    a = np.zeros(len(att))
    a[keep] = pg[keep] / pg[keep].sum()
    b = np.zeros(len(cohorts))
    if with_wif:
        b = _share_coefficients(group[keep], att[keep], pg[keep], cohorts)
    return float(att @ a), a, b


def _draws(res: ATTgtResult, n_boot: int | None, rng: RNG, cluster: np.ndarray | None,
           reuse: bool) -> np.ndarray | None:
    """Joint draws of the ATT(g,t) and cohort shares: the stored ones (no ``n_boot``, or the
    same ``n_boot`` and no ``rng``), else fresh ones from ``rng``."""
    stored = res.boot_draws
    if n_boot is not None and (rng is not None or stored is None or len(stored) != n_boot):
        joint = np.hstack([res.influence, res.share_influence()])
        return bootstrap_draws(joint, n_boot=n_boot, rng=as_generator(rng), cluster=cluster)
    if stored is not None and not reuse:
        raise ValueError("the stored bootstrap draws were made with att_gt's clusters; pass n_boot and rng "
                         "to bootstrap with the new cluster")
    return stored


def _cluster_codes(res: ATTgtResult, cluster: pd.Series | None) -> tuple[np.ndarray | None, bool]:
    """Cluster codes per observation for an ``aggregate(cluster=...)`` override, and whether
    they are att_gt's own."""
    if cluster is None:
        return res.cluster, True
    if not isinstance(cluster, pd.Series):
        raise TypeError("cluster must be a pandas Series mapping each unit (the index: att_gt's unit labels, "
                        "or the data's row labels for repeated cross-sections) to its cluster")
    values = cluster.reindex(res.obs_labels)
    if values.isna().any():
        absent = pd.Index(res.obs_labels)[values.isna().to_numpy()]
        raise DesignError(f"cluster has no value for {len(absent)} of the {len(res.obs_labels)} observations, "
                          f"e.g. {absent[:5].tolist()}")
    return pd.factorize(values.to_numpy())[0], False


def aggregate_att_gt(
    res: ATTgtResult,
    kind: AggregationKind = "dynamic",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    alpha: float | None = None,
    cluster: pd.Series | None = None,
    n_boot: int | None = None,
    rng: RNG = None,
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
    alpha
        Level of the uniform band and the default of ``tidy()`` (default: att_gt's).
    cluster
        Cluster override as R did's ``aggte(clustervars=)``: a Series mapping each
        observation label (``res.obs_labels``: units of a panel, rows of repeated
        cross-sections) to its cluster.  Default: att_gt's clusters.
    n_boot, rng
        Multiplier bootstrap (Mammen) for standard errors and the uniform band over terms.
        Every aggregate is a linear combination ``influence @ A + share_influence @ B``,
        so its draws are ``draws @ [A; B]`` of joint draws of the ATT(g,t) and the cohort
        shares.  Without ``n_boot`` (or with att_gt's ``n_boot`` and no ``rng``) the draws
        stored by ``att_gt(..., n_boot=...)`` are reused (no new multipliers), so a
        bootstrapped ``att_gt`` result gives bootstrapped aggregates by default and all its
        aggregations share one set of multipliers; otherwise ``n_boot`` new joint draws are
        made from ``rng`` (a ``numpy.random.Generator`` or an int seed; ``None``: the
        default seed, :func:`evalkit.inference.rng.as_generator`).

    Returns
    -------
    AggregateResult
        The terms and, last, the overall effect ``ATT``; ``cov`` their covariance
        (cluster-robust; scaled to the bootstrap standard errors after a bootstrap).
    """
    if kind not in ("simple", "group", "calendar", "dynamic"):
        raise ValueError(f"kind must be 'simple', 'group', 'calendar' or 'dynamic', got {kind!r}")
    if balance_e is not None and kind != "dynamic":
        raise ValueError("balance_e applies to kind='dynamic' only")
    alpha = res.alpha if alpha is None else float(alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    codes, own = _cluster_codes(res, cluster)
    draws = _draws(res, n_boot, rng, codes, own)
    g, t = res.group, res.time
    e = t - g
    cohorts = res.cohorts
    att = res.params.to_numpy()
    share = {c: np.mean(res.obs_weights * (res.obs_group == c)) for c in cohorts}
    pg = np.array([share[c] for c in g])
    post = (g <= t) & (e <= max_e)

    def combine_each(masks: list[np.ndarray], with_wif: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = [_combine(att, g, cohorts, m, pg, with_wif) for m in masks]
        return np.array([p[0] for p in parts]), np.column_stack([p[1] for p in parts]), np.column_stack([p[2] for p in parts])

    term_values = np.empty(0, dtype=np.int64)
    if kind == "simple":
        if not post.any():
            raise DesignError(f"no post-treatment ATT(g,t) with event time <= {max_e}")
        overall, a_all, b_all = _combine(att, g, cohorts, post, pg, with_wif=True)
        values, A, B = np.empty(0), np.zeros((len(g), 0)), np.zeros((len(cohorts), 0))
    elif kind == "group":
        for c in cohorts:
            if not (post & (g == c)).any():
                raise DesignError(f"cohort {c} has no post-treatment ATT(g,t) with event time <= {max_e}")
        values, A, B = combine_each([post & (g == c) for c in cohorts], with_wif=False)
        term_values = cohorts
        pgg = np.array([share[c] for c in cohorts])
        overall = float(values @ pgg / pgg.sum())
        a_all = A @ (pgg / pgg.sum())
        b_all = B @ (pgg / pgg.sum()) + _share_coefficients(cohorts, values, pgg, cohorts)
    elif kind == "calendar":
        term_values = np.unique(t[t >= g.min()])
        values, A, B = combine_each([(t == p) & (g <= t) for p in term_values], with_wif=True)
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
        term_values = np.unique(e[window])
        if len(term_values) == 0:
            raise DesignError(
                f"no ATT(g,t) with event time in [{min_e}, {max_e}]; available event times are {np.unique(e).tolist()}"
            )
        values, A, B = combine_each([window & (e == ev) for ev in term_values], with_wif=True)
        nonneg = term_values >= 0
        if nonneg.any():
            overall, a_all, b_all = float(values[nonneg].mean()), A[:, nonneg].mean(axis=1), B[:, nonneg].mean(axis=1)
        else:
            overall, a_all, b_all = float("nan"), np.zeros(len(g)), np.zeros(len(cohorts))

    # the terms and, last, the overall effect: coefficients on (ATT(g,t), cohort shares)
    A = np.column_stack([A, a_all])
    B = np.column_stack([B, b_all])
    estimates = np.r_[values, overall]
    infs = res.influence @ A + res.share_influence() @ B
    cov = influence_cov(infs, codes, divisor=len(infs))
    se = standard_errors(cov)
    crit, cov_type = None, "analytic"
    if draws is not None:
        band = np.r_[np.ones(len(values), dtype=bool), False]
        term_draws = draws @ np.vstack([A, B])
        se, boot_crit = bootstrap_summary(term_draws, alpha=alpha, band=band)
        cov = bootstrap_cov(term_draws, se)
        cov_type = f"multiplier bootstrap ({len(draws)} draws, Mammen)"
        crit = boot_crit if np.isfinite(boot_crit) else None
    if not np.isfinite(overall):
        se[-1] = np.nan
        cov[-1, :] = cov[:, -1] = 0.0
    names = [] if kind == "simple" else [_TERM_NAME[kind](v) for v in term_values]
    index = pd.Index([*names, OVERALL], name="term")
    obs_cohort, obs_share = cohort_shares(res.group, res.obs_group, res.obs_weights, res.estimand_members())
    return AggregateResult(
        params=pd.Series(estimates, index=index, name="estimate"),
        std_errors=pd.Series(se, index=index, name="std_error"),
        cov=pd.DataFrame(cov, index=index, columns=index),
        nobs=res.nobs,
        cov_type=cov_type,
        n_clusters=None if codes is None else int(codes.max()) + 1,
        crit_uniform=crit,
        model_name=f"ATT(g,t) aggregation: {kind}",
        extra={**res.extra, "aggregation": kind},
        kind=kind,
        term_values=pd.Series(pd.array([*np.asarray(term_values, dtype=np.int64), pd.NA], dtype="Int64"),
                              index=index, name=_TERM_COLUMN.get(kind, "term")),
        influence=infs,
        cluster=codes,
        alpha=alpha,
        cohort_coefficients=cohort_coefficients(res.group, A),
        obs_cohort=obs_cohort,
        obs_share=obs_share,
    )
