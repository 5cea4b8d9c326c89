"""DID_l, its placebos and their influence functions on the arrays of a :class:`SwitchDesign`.

de Chaisemartin & D'Haultfoeuille (2024), eq. (6)-(8), with the variance of the
companion note on DIDmultiplegtDYN's estimators (Section 2, "coverage-improving"
demeaning).  For a horizon ``l`` and the switchers of one direction (in: ``S_g = 1``,
out: ``S_g = 0``) let ``dY_{g,t} = Y_{g,t} - Y_{g,t-l}``; a switcher enters at
``t = F_g - 1 + l`` when ``l <= L_g`` and some unit with its baseline is still
unswitched at ``t``; those units are its comparison.  With ``N_l`` switchers,

    DID_l = sum_g U_g / G,
    U_g = G / N_l * sum_t [switcher_{g,t} - N_{t,d}/N^c_{t,d} * control_{g,t}] dY_{g,t},

``N_{t,d}`` / ``N^c_{t,d}`` the switchers / comparison units at ``t`` with baseline ``d``.
The variance is ``sum_c (sum_{g in c} U^var_g)^2 / G^2`` where ``U^var`` replaces ``dY``
by its deviation from a cohort mean (comparison units: same baseline and period;
switchers: same baseline, ``F_g`` and ``D_{g,F_g}``; a cohort of one cluster borrows the
union of both) times ``sqrt(k / (k - 1))`` for a cohort of ``k`` clusters.  Placebo
``l`` uses the same switchers and comparisons with ``dY = Y_{g,t-2l} - Y_{g,t-l}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.estimators.dcdh_design import SwitchDesign

__all__ = ["Horizon", "horizon", "same_switchers_mask"]


@dataclass(frozen=True)
class Horizon:
    """One direction at one horizon: ``U`` and ``U^var`` per unit ``(G,)``, the number of
    switchers ``n``, the mean treatment change ``delta`` (at ``F_g - 1 + l``) and the mean
    cumulated change ``delta_cum`` (from ``F_g`` to ``F_g - 1 + l``) of those switchers,
    and the cells used ``(G, T)``."""

    u: np.ndarray
    u_var: np.ndarray
    n: float
    delta: float
    delta_cum: float
    used: np.ndarray
    switchers: np.ndarray


def _sum_by(values: np.ndarray, mask: np.ndarray, keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Sum of ``values`` over the cells in ``mask``, by key."""
    return np.bincount(keys[mask], weights=values[mask], minlength=n_keys)


def _distinct_clusters(mask: np.ndarray, keys: np.ndarray, clusters: np.ndarray, n_keys: int) -> np.ndarray:
    """Number of distinct clusters among the cells in ``mask``, by key."""
    pairs = np.unique(np.column_stack([keys[mask], clusters[mask]]), axis=0)
    return np.bincount(pairs[:, 0], minlength=n_keys).astype(float) if len(pairs) else np.zeros(n_keys)


def _demeaning(dy: np.ndarray, ns: np.ndarray, sw: np.ndarray, design: SwitchDesign,
               cohort_s: np.ndarray, n_cohorts: int) -> tuple[np.ndarray, np.ndarray]:
    """Cohort means ``E`` and degrees-of-freedom factors of the comparison cells ``ns`` and
    the switcher cells ``sw`` (zero elsewhere)."""
    G, T = dy.shape
    cl = np.broadcast_to(design.cluster[:, None], (G, T))
    n_dt = (design.stratum.max() + 1) * T
    key_dt = design.stratum[:, None] * T + np.arange(T)[None, :]
    key_s = np.broadcast_to(cohort_s[:, None], (G, T))
    out_e = np.zeros((G, T))
    out_f = np.ones((G, T))

    def means(mask: np.ndarray, keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        total = _sum_by(dy, mask, keys, n)
        count = np.bincount(keys[mask], minlength=n).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / count, _distinct_clusters(mask, keys, cl, n)

    m_ns, k_ns = means(ns, key_dt, n_dt)
    m_s, k_s = means(sw, key_s, n_cohorts)
    both = ns | sw
    m_u, k_u = means(both, key_dt, n_dt)
    # a switcher alone in its cohort and its period leaves the variance (the package's missing mean)
    for mask, m_own, k_own, keys, alone in ((ns, m_ns, k_ns, key_dt, 1.0), (sw, m_s, k_s, key_s, 0.0)):
        own, union = k_own[keys[mask]], k_u[key_dt[mask]]
        e = np.where(own >= 2, m_own[keys[mask]], np.where(union >= 2, m_u[key_dt[mask]], 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(own > 1, np.sqrt(own / (own - 1)), np.where(union >= 2, np.sqrt(union / (union - 1)), alone))
        out_e[mask] = e
        out_f[mask] = f
    return out_e, out_f


def horizon(design: SwitchDesign, l: int, increase: int, *, placebo: bool = False,
            same_switchers: np.ndarray | None = None) -> Horizon:
    """``U`` and ``U^var`` of effect ``l`` (or placebo ``l``) for the switchers in
    (``increase=1``) or out (``0``).

    ``same_switchers``: a per-unit mask of the switchers allowed (all effects estimable).
    """
    y = design.y
    G, T = y.shape
    time = np.arange(1, T + 1)[None, :]
    lagged = np.full_like(y, np.nan)
    if l < T:
        lagged[:, l:] = y[:, :-l]
    dy_l = y - lagged
    f, d_sq = design.first_switch[:, None], design.d_sq
    ok_l = ~np.isnan(dy_l)
    control = ok_l & (f > time)
    n_strata = int(design.stratum.max()) + 1
    key = design.stratum[:, None] * T + np.arange(T)[None, :]
    n_control = np.bincount(key[control], minlength=n_strata * T).reshape(n_strata, T)[design.stratum]
    eligible = (design.s_g == increase) & (l <= design.l_g)
    if same_switchers is not None:
        eligible &= same_switchers
    switcher = ok_l & (time == f - 1 + l) & eligible[:, None] & (n_control > 0)
    if placebo:
        back = np.full_like(y, np.nan)
        if 2 * l < T:
            back[:, 2 * l:] = y[:, :-2 * l]
        dy = back - lagged
        ok = ~np.isnan(dy)
        control &= ok
        n_control = np.bincount(key[control], minlength=n_strata * T).reshape(n_strata, T)[design.stratum]
        switcher &= ok & (n_control > 0)
    else:
        dy = dy_l
    n_t = switcher.sum(axis=0)
    n = float(n_t.sum())
    empty = np.zeros(G)
    if n == 0:
        return Horizon(empty, empty, 0.0, np.nan, np.nan, np.zeros((G, T), dtype=bool), np.zeros(G, dtype=bool))
    n_sw = np.bincount(key[switcher], minlength=n_strata * T).reshape(n_strata, T)[design.stratum]
    window = (time >= l + 1) & (time <= design.t_g[:, None]) & (l <= design.t_g[:, None] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_control > 0, n_sw / n_control, 0.0)
    coef = np.where(window, switcher - share * control, 0.0) * (G / n)
    used = (coef != 0) & ~np.isnan(dy)
    dy0 = np.where(np.isnan(dy), 0.0, dy)
    u = (coef * dy0).sum(axis=1)
    ns = control & (n_t > 0)[None, :]
    cohorts = np.unique(np.column_stack([design.d_sq, design.first_switch, design.d_fg]), axis=0, return_inverse=True)[1]
    e, dof = _demeaning(dy0, ns, switcher, design, cohorts.ravel(), int(cohorts.max()) + 1)
    u_var = (coef * dof * (dy0 - e)).sum(axis=1)
    change = np.where(np.isnan(design.d), 0.0, np.abs(design.d - d_sq[:, None]))
    delta = float(change[switcher].sum() / n)
    cum = np.where((time >= f) & (time <= f - 1 + l), change, 0.0).sum(axis=1)
    delta_cum = float(cum[switcher.any(axis=1)].sum() / n)
    return Horizon(u, u_var, n, delta, delta_cum, used, switcher.any(axis=1))


def _comparisons(design: SwitchDesign, l: int) -> tuple[np.ndarray, np.ndarray]:
    """``dY`` over ``l`` periods ``(G, T)`` and the number of comparison units of each
    unit's baseline in each period."""
    y = design.y
    G, T = y.shape
    lagged = np.full_like(y, np.nan)
    if l < T:
        lagged[:, l:] = y[:, :-l]
    dy = y - lagged
    control = ~np.isnan(dy) & (design.first_switch[:, None] > np.arange(1, T + 1)[None, :])
    n_strata = int(design.stratum.max()) + 1
    key = design.stratum[:, None] * T + np.arange(T)[None, :]
    counts = np.bincount(key[control], minlength=n_strata * T).reshape(n_strata, T)[design.stratum]
    return dy, counts


def same_switchers_mask(design: SwitchDesign, effects: int) -> np.ndarray:
    """Switchers for which all ``effects`` effects are estimable (``same_switchers``):
    ``F_g - 1 + L <= T_g`` and, at every horizon, an outcome change and a comparison."""
    G, T = design.y.shape
    f = design.first_switch
    keep = f - 1 + effects <= design.t_g
    rows = np.arange(G)
    for q in range(1, effects + 1):
        dy, counts = _comparisons(design, q)
        col = (f - 1 + q - 1).astype(int)
        inside = (col >= 0) & (col < T)
        c = np.clip(col, 0, T - 1)
        keep &= inside & ~np.isnan(dy[rows, c]) & (counts[rows, c] > 0)
    return keep
