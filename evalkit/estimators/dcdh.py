"""de Chaisemartin & D'Haultfoeuille's DID_l for treatments that switch on and off.

When a unit's exposure can start, stop and start again (a person moving into and out of
a treated county, a region lifting and restoring a rule), absorbing-treatment
estimators (TWFE event studies, Callaway & Sant'Anna) compare the wrong cells.  DID_l
(de Chaisemartin & D'Haultfoeuille 2024, REStat; the R/Stata package
DIDmultiplegtDYN) compares, ``l`` periods after a unit's first switch, its outcome change
since the period before the switch with that of the units with the same baseline
treatment that have not switched yet.  Switchers in and out are pooled (a switch out
enters with its sign flipped), placebos compare the ``l`` periods before the switch,
and the average total effect per unit of treatment weights the effects by their
switchers.  Standard errors are the package's (cluster sums of influence functions,
demeaned by cohort).  Checked against DIDmultiplegtDYN's Favara & Imbs example
(tests/test_dcdh.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.dcdh_core import Horizon, horizon, same_switchers_mask
from evalkit.estimators.dcdh_design import SwitchDesign, switch_design
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.clusters import cluster_sums
from evalkit.inference.covariance import standard_errors
from evalkit.inference.few_clusters import warn_few_clusters
from evalkit.inference.wild_bootstrap_scores import InfluenceScores
from evalkit.results import InvalidTest, WaldTest
from evalkit.results.base import read_only
from evalkit.staggered.terms import OVERALL, event_term

__all__ = ["DcdhResult", "dcdh"]

Switchers = Literal["both", "in", "out"]


@dataclass(frozen=True, kw_only=True, repr=False)
class DcdhResult(EventStudyResult):
    """Estimates of :func:`dcdh`: ``event_time::e`` for effect ``l = e + 1`` and placebo
    ``l = -1 - e``, and ``ATT``, the average total effect per unit of treatment.

    Attributes
    ----------
    n_switchers, n_cells
        Per term, the switchers it averages over and the unit x period cells it uses
        (the package's ``Switchers`` and ``N``).
    """

    n_switchers: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    n_cells: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Broom-style rows with ``event_time``, ``n_switchers`` and ``n_cells``."""
        out = super().tidy(alpha)
        out["n_switchers"] = self.n_switchers.reindex(self.params.index).to_numpy()
        out["n_cells"] = self.n_cells.reindex(self.params.index).to_numpy()
        return out

    def _joint(self, terms: list[str], what: str) -> WaldTest | InvalidTest:
        if not terms:
            return InvalidTest(f"no {what} were estimated")
        b = self.params[terms].to_numpy()
        if not np.all(np.isfinite(b)):
            return InvalidTest(f"some {what} could not be estimated")
        v = self.cov.loc[terms, terms].to_numpy()
        stat = float(b @ np.linalg.pinv(v) @ b)
        from scipy import stats

        return WaldTest(statistic=stat, df_num=len(terms), p_value=float(stats.chi2.sf(stat, len(terms))),
                        null=f"all {len(terms)} {what} are 0")

    def placebo_test(self) -> WaldTest | InvalidTest:
        """Wald test that every placebo is zero (the package's ``p_jointplacebo``), with the
        clustered covariance of the placebos."""
        return self._joint([t for t, e in self.event_time.items() if e < -1], "placebos")

    def effects_test(self) -> WaldTest | InvalidTest:
        """Wald test that every effect is zero (the package's ``p_jointeffects``)."""
        return self._joint([t for t, e in self.event_time.items() if e >= 0], "effects")


def _combine(parts: tuple[Horizon, Horizon], normalized: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """Pooled ``U``, ``U^var`` and number of switchers of switchers in and out (an out
    switch enters with its sign flipped), normalised by the mean cumulated change."""
    inn, out = parts
    n = inn.n + out.n
    if n == 0:
        nan = np.full_like(inn.u, np.nan)
        return nan, nan, 0.0
    w_in, w_out = inn.n / n, out.n / n
    u = w_in * inn.u - w_out * out.u
    u_var = w_in * inn.u_var - w_out * out.u_var
    if normalized:
        delta = (w_in * inn.delta_cum if inn.n else 0.0) + (w_out * out.delta_cum if out.n else 0.0)
        u, u_var = u / delta, u_var / delta
    return u, u_var, n


def _average_total(effects: list[tuple[Horizon, Horizon]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Average total effect per unit of treatment: per direction ``sum_l w_l U_l / sum_l
    w_l delta_l`` with ``w_l = N_l / sum N_l``, directions weighted by ``delta N``."""
    sides = []
    for k, sign in ((0, 1.0), (1, -1.0)):
        hs = [h[k] for h in effects if h[k].n > 0]
        total = sum(h.n for h in hs)
        if not hs:
            sides.append((np.zeros_like(effects[0][0].u), np.zeros_like(effects[0][0].u), 0.0, 0.0))
            continue
        den = sum(h.n / total * h.delta for h in hs)
        u = sign * sum(h.n / total * h.u for h in hs) / den
        u_var = sign * sum(h.n / total * h.u_var for h in hs) / den
        sides.append((u, u_var, den, total))
    (u1, v1, d1, n1), (u0, v0, d0, n0) = sides
    w = d1 * n1 / (d1 * n1 + d0 * n0)
    return w * u1 + (1 - w) * u0, w * v1 + (1 - w) * v0, n1 + n0


def dcdh(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    treatment: str,
    effects: int = 1,
    placebos: int = 0,
    cluster: str | None = None,
    normalized: bool = False,
    same_switchers: bool = False,
    switchers: Switchers = "both",
) -> DcdhResult:
    """DID_l event-study estimators of de Chaisemartin & D'Haultfoeuille (2024).

    Parameters
    ----------
    data
        Panel, one row per unit and period (units may enter late and leave early); not
        modified.  A missing outcome leaves its cell out.
    y, unit, time, treatment
        Outcome, unit (the package's ``group``), period (ranked; periods must be evenly
        spaced) and treatment (binary or discrete; it may go up and down, but a unit
        whose treatment goes both above and below its first value is dropped, warned).
    effects
        ``L``: effects ``l = 1..L`` (``event_time::0`` .. ``event_time::L-1``; ``l = 1``
        is the period of the first switch).
    placebos
        ``P``: placebos ``l = 1..P`` (``event_time::-2`` .. ``event_time::-1-P``),
        comparing the ``l`` periods before the switch; the reference is event time -1.
    cluster
        Cluster column (units must be nested in clusters); default: the unit.
    normalized
        Divide each effect by the switchers' mean cumulated treatment change (the
        effect per unit of treatment per period of exposure).
    same_switchers
        Use only switchers for which all ``L`` effects can be estimated.
    switchers
        ``"both"``, ``"in"`` (switches up only) or ``"out"`` (down only).

    Returns
    -------
    DcdhResult
        ``.params``, ``.std_errors``, ``.cov`` (clustered, joint over terms),
        ``.placebo_test()``, ``.effects_test()``, ``.n_switchers``, ``.n_cells``; scores
        for :func:`~evalkit.inference.wild_cluster_bootstrap`.
    """
    if int(effects) < 1 or int(placebos) < 0:
        raise EvalkitError(f"effects must be >= 1 and placebos >= 0; got effects={effects}, placebos={placebos}")
    if switchers not in ("both", "in", "out"):
        raise EvalkitError(f"switchers must be 'both', 'in' or 'out', got {switchers!r}")
    design = switch_design(data, y=y, unit=unit, time=time, treatment=treatment, cluster=cluster)
    n_clusters = int(design.cluster.max()) + 1
    switcher_units = design.first_switch <= design.y.shape[1]
    if cluster is not None:
        warn_few_clusters(n_clusters, n_treated=np.unique(design.cluster[switcher_units]).size,
                          n_control=np.unique(design.cluster[~switcher_units]).size, column=cluster)
    same = same_switchers_mask(design, int(effects)) if same_switchers else None
    directions = {"both": (1, 0), "in": (1,), "out": (0,)}[switchers]

    def pair(l: int, placebo: bool) -> tuple[Horizon, Horizon]:
        hs = {k: horizon(design, l, k, placebo=placebo, same_switchers=same) for k in (1, 0)}
        for k in (1, 0):
            if k not in directions:
                hs[k] = Horizon(np.zeros(design.n_units), np.zeros(design.n_units), 0.0, np.nan, np.nan,
                                np.zeros_like(hs[k].used), np.zeros(design.n_units, dtype=bool))
        return hs[1], hs[0]

    eff = [pair(l, False) for l in range(1, int(effects) + 1)]
    pla = [pair(l, True) for l in range(1, int(placebos) + 1)]
    terms, event, us, uvars, n_sw, n_cells, members = [], [], [], [], [], [], []
    for l, parts in enumerate(eff, start=1):
        u, v, n = _combine(parts, normalized)
        terms.append(event_term(l - 1)), event.append(l - 1.0)
        us.append(u), uvars.append(v), n_sw.append(n)
        n_cells.append(int((parts[0].used | parts[1].used).sum()))
        members.append(parts[0].switchers | parts[1].switchers)
    if all(n == 0 for n in n_sw):
        raise DesignError(f"no effect can be estimated (switchers={switchers!r}): no such switcher of {treatment!r} has "
                          "a comparison unit with the same baseline that has not switched yet")
    u, v, n = _average_total(eff)
    terms.append(OVERALL), event.append(np.nan), us.append(u), uvars.append(v), n_sw.append(n)
    n_cells.append(int(np.logical_or.reduce([p.used for parts in eff for p in parts]).sum()))
    members.append(np.logical_or.reduce(members))
    for l, parts in enumerate(pla, start=1):
        u, v, n = _combine(parts, normalized)
        terms.append(event_term(-1 - l)), event.append(-1.0 - l)
        us.append(u), uvars.append(v), n_sw.append(n)
        n_cells.append(int((parts[0].used | parts[1].used).sum()))
        members.append(parts[0].switchers | parts[1].switchers)
    return _result(design, terms, event, us, uvars, n_sw, n_cells, members, n_clusters, cluster, normalized)


def _result(design: SwitchDesign, terms: list[str], event: list[float], us: list[np.ndarray],
            uvars: list[np.ndarray], n_sw: list[float], n_cells: list[int], members: list[np.ndarray],
            n_clusters: int, cluster: str | None, normalized: bool) -> DcdhResult:
    G = design.n_units
    U = np.column_stack(us)
    V = np.nan_to_num(np.column_stack(uvars))
    estimates = U.sum(axis=0) / G
    missing = np.array([n == 0 for n in n_sw])
    estimates[missing] = np.nan
    sums = cluster_sums(V, design.cluster, n_clusters) / G
    cov = sums.T @ sums
    cov[missing, :] = np.nan
    cov[:, missing] = np.nan
    index = pd.Index(terms)
    shares = cluster_sums(np.column_stack(members).astype(float), design.cluster, n_clusters)
    shares = shares / np.where(shares.sum(axis=0) > 0, shares.sum(axis=0), 1.0)
    scores = InfluenceScores(tuple(terms), read_only(estimates), read_only(sums), read_only(shares))
    se = standard_errors(cov)
    return DcdhResult(
        params=pd.Series(estimates, index=index),
        std_errors=pd.Series(se, index=index),
        cov=pd.DataFrame(cov, index=index, columns=index),
        nobs=int(np.sum(~np.isnan(design.y))),
        cov_type="CR (DID_l influence)" if cluster else "DID_l influence",
        n_clusters=n_clusters,
        model_name="DID_l (de Chaisemartin & D'Haultfoeuille)" + (", normalized" if normalized else ""),
        extra={"n_units": G, "n_switchers_total": int((design.first_switch <= design.y.shape[1]).sum()),
               "normalized": normalized},
        event_time=pd.Series(event, index=index),
        reference=(-1,),
        scores=scores,
        n_switchers=pd.Series(n_sw, index=index),
        n_cells=pd.Series(n_cells, index=index, dtype=float),
    )
