"""The design of de Chaisemartin & D'Haultfoeuille's DID_l: a unit x period panel and its switches.

de Chaisemartin & D'Haultfoeuille (2024, "Difference-in-Differences Estimators of
Intertemporal Treatment Effects", REStat), Section 3 and Design Restriction 1, with the
sample conventions of the companion note on DIDmultiplegtDYN's estimators (de
Chaisemartin, Ciccia, D'Haultfoeuille, Knau, Malezieux & Sow 2024, Appendix A):

* periods are ranked ``1..T``; a unit's baseline treatment ``d_sq`` is its treatment in
  its first observed period, ``F_g`` the first period in which its treatment differs from
  it (``T_max + 1`` when it never does);
* units whose treatment goes both above and below the baseline are dropped (warned);
* baseline values whose units all switch in the same period, or none switches, are
  dropped (warned): they have no comparison;
* cells in which no unit with the same baseline is still unswitched are left out;
* ``T_g = max F - 1`` over units with the same baseline (a never-switcher leaving the
  panel early counts up to its last period), ``L_g = T_g - F_g + 1`` the number of
  effects that unit contributes to, ``S_g = 1`` for a switcher in (its mean treatment
  from ``F_g`` to ``T_g`` above the baseline), ``0`` for a switcher out.

Units may enter late and leave early; a gap in a unit's treatment between its first and
last observed periods is an error (the package's imputations are not reproduced).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.rows import numeric_column

__all__ = ["SwitchDesign", "switch_design"]


@dataclass(frozen=True)
class SwitchDesign:
    """Arrays of the design, units in rows and periods ``1..T`` in columns.

    Attributes
    ----------
    y, d
        Outcome and treatment ``(G, T)``; NaN where the cell is not used.
    d_sq, first_switch, t_g, l_g, s_g, d_fg
        Per unit: baseline treatment, ``F_g``, ``T_g``, ``L_g``, ``S_g`` (NaN for
        never-switchers) and the treatment at ``F_g``.
    stratum
        Code of the baseline treatment per unit.
    cluster
        Cluster code per unit.
    units, periods
        Unit labels and the period labels of the columns.
    """

    y: np.ndarray
    d: np.ndarray
    d_sq: np.ndarray
    first_switch: np.ndarray
    t_g: np.ndarray
    l_g: np.ndarray
    s_g: np.ndarray
    d_fg: np.ndarray
    stratum: np.ndarray
    cluster: np.ndarray
    units: np.ndarray
    periods: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.y.shape[0])


def _wide(data: pd.DataFrame, unit: str, time: str, columns: list[str]) -> tuple[pd.Index, pd.Index, list[np.ndarray]]:
    duplicated = data.duplicated([unit, time], keep=False)
    if duplicated.any():
        rows = data.loc[duplicated, [unit, time]].head(3).to_dict("records")
        raise DesignError(f"{int(duplicated.sum())} rows share their ({unit!r}, {time!r}); one row per unit and "
                          f"period is expected (e.g. {rows})")
    units = pd.Index(np.sort(data[unit].unique()))
    periods = pd.Index(np.sort(data[time].unique()))
    r = units.get_indexer(data[unit])
    c = periods.get_indexer(data[time])
    out = []
    for col in columns:
        a = np.full((len(units), len(periods)), np.nan)
        a[r, c] = data[col].to_numpy(dtype=float)
        out.append(a)
    return units, periods, out


def _warn_dropped(units: np.ndarray, mask: np.ndarray, unit: str, reason: str) -> None:
    if mask.any():
        warnings.warn(f"{int(mask.sum())} units of {unit!r} are dropped: {reason} (e.g. {units[mask][:3].tolist()})",
                      ExcludedRowsWarning, stacklevel=4)


def switch_design(data: pd.DataFrame, *, y: str, unit: str, time: str, treatment: str,
                  cluster: str | None = None) -> SwitchDesign:
    """Validate the panel and compute each unit's switch (module docstring)."""
    missing = [c for c in dict.fromkeys([y, unit, time, treatment, cluster]) if c is not None and c not in data]
    if missing:
        raise DesignError(f"columns {missing} are not in the data (columns: {list(data.columns)[:12]})")
    for col, role in ((y, "outcome"), (treatment, "treatment")):
        numeric_column(data, col, role)
    for col in [c for c in (unit, time, treatment, cluster) if c is not None]:
        bad = data[col].isna()
        if bad.any():
            raise DesignError(f"{int(bad.sum())} rows have a missing {col!r} (e.g. rows {data.index[bad][:3].tolist()}); "
                              f"drop them or fill them in")
    columns = [y, treatment]
    units, periods, (yw, dw) = _wide(data, unit, time, columns)
    observed = ~np.isnan(dw)
    first = observed.argmax(axis=1)
    last = observed.shape[1] - 1 - observed[:, ::-1].argmax(axis=1)
    span = np.arange(dw.shape[1])
    gap = ((span >= first[:, None]) & (span <= last[:, None]) & ~observed).any(axis=1)
    if gap.any():
        raise DesignError(f"{int(gap.sum())} units of {unit!r} have no row in some period between their first and last "
                          f"(e.g. {units[gap][:3].tolist()}); DID_l needs each unit's treatment in every period it spans")
    labels = units.to_numpy()
    d_sq = dw[np.arange(len(units)), first]
    dev = np.where(observed, dw - d_sq[:, None], 0.0)
    both = (dev > 0).any(axis=1) & (dev < 0).any(axis=1)
    _warn_dropped(labels, both, unit, f"their {treatment!r} goes both above and below its first value")
    changed = np.maximum.accumulate(dev != 0, axis=1)
    switches = changed.any(axis=1)
    f_raw = np.where(switches, changed.argmax(axis=1) + 1, 0)  # 1-based period, 0 = never
    keep = ~both
    strata_f = pd.DataFrame({"d": d_sq, "f": f_raw})[keep].groupby("d")["f"].nunique()
    flat = keep & np.isin(d_sq, strata_f.index[strata_f <= 1].to_numpy())
    _warn_dropped(labels, flat, unit, f"no other unit with the same first {treatment!r} switches at another "
                                      "period (Design Restriction 1: no comparison)")
    keep &= ~flat
    if not keep.any():
        raise DesignError(f"no unit is left to compare: every first value of {treatment!r} has all its units switch "
                          "in one period or none switching")
    yw, dw, d_sq, f_raw, observed, last = yw[keep], dw[keep], d_sq[keep], f_raw[keep], observed[keep], last[keep]
    labels, changed = labels[keep], changed[keep]
    clusters = None
    if cluster is not None:
        coded = data.assign(**{cluster: pd.factorize(data[cluster])[0]})
        cw = _wide(coded, unit, time, [cluster])[2][0]
        cw = cw[keep]
        lo, hi = np.nanmin(cw, axis=1), np.nanmax(cw, axis=1)
        if np.any(lo != hi):
            raise DesignError(f"units of {unit!r} must be nested within clusters of {cluster!r}: "
                              f"{int(np.sum(lo != hi))} units change cluster (e.g. {labels[lo != hi][:3].tolist()})")
        clusters = pd.factorize(lo)[0]
    # cells with no unit of the same baseline still unswitched are left out
    strata, stratum = np.unique(d_sq, return_inverse=True)
    unswitched = observed & ~changed
    any_control = np.zeros((len(strata), dw.shape[1]), dtype=bool)
    np.logical_or.at(any_control, stratum, unswitched)
    used = observed & any_control[stratum]
    T_max = int(np.flatnonzero(used.any(axis=0)).max()) + 1
    yw = np.where(used, yw, np.nan)[:, :T_max]
    dw = np.where(used, dw, np.nan)[:, :T_max]
    first_switch = np.where(f_raw == 0, T_max + 1, f_raw).astype(float)
    truncated = np.where(f_raw == 0, np.minimum(last + 2, T_max + 1), first_switch)
    t_g = pd.Series(truncated).groupby(stratum).transform("max").to_numpy() - 1
    cols = np.arange(1, T_max + 1)
    post = (cols >= first_switch[:, None]) & (cols <= t_g[:, None]) & ~np.isnan(dw)
    with np.errstate(invalid="ignore"):
        avg_post = np.where(post, dw, 0).sum(axis=1) / post.sum(axis=1)
    switcher = first_switch <= T_max
    s_g = np.where(switcher, np.where(np.isnan(avg_post), np.nan, (avg_post > d_sq).astype(float)), np.nan)
    rows = np.arange(len(labels))
    d_fg = np.where(switcher, dw[rows, np.minimum(first_switch, T_max).astype(int) - 1], d_sq)
    return SwitchDesign(
        y=yw, d=dw, d_sq=d_sq, first_switch=first_switch, t_g=t_g.astype(float), l_g=t_g - first_switch + 1,
        s_g=s_g, d_fg=d_fg, stratum=stratum, cluster=rows if clusters is None else clusters, units=labels,
        periods=periods.to_numpy()[:T_max],
    )
