"""Goodman-Bacon (2021) decomposition of the static two-way fixed-effects DiD estimate.

In a balanced panel with timing groups ``k`` (first treated period; ``U`` = never
treated), the TWFE coefficient of ``y_it = alpha_i + lambda_t + beta D_it + e_it`` is a
weighted average of all 2x2 DiD estimates (Goodman-Bacon 2021, Theorem 1):

* treated vs never treated, ``beta_kU`` (whole sample period);
* earlier vs later treated, ``beta_kl^k`` (periods before ``l`` starts; ``l`` is control);
* later vs earlier treated, ``beta_kl^l`` (periods after ``k`` started; ``k`` is the
  control: the "forbidden" comparison that biases TWFE under dynamic effects).

With ``n_k`` the share of units in group ``k``, ``Dbar_k`` the share of periods it is
treated, ``n_kl = n_k / (n_k + n_l)`` and ``V^D`` the variance of the two-way demeaned
treatment, the weights are (eqs. 10a-10c)

    s_kU   = (n_k + n_U)^2 n_kU (1 - n_kU) Dbar_k (1 - Dbar_k) / V^D
    s_kl^k = ((n_k + n_l)(1 - Dbar_l))^2 n_kl (1 - n_kl)
             (Dbar_k - Dbar_l)/(1 - Dbar_l) (1 - Dbar_k)/(1 - Dbar_l) / V^D
    s_kl^l = ((n_k + n_l) Dbar_k)^2 n_kl (1 - n_kl) Dbar_l/Dbar_k (Dbar_k - Dbar_l)/Dbar_k / V^D

They sum to one and ``sum s beta = beta^TWFE`` exactly.  Units treated from the first
period on form a timing group with ``Dbar = 1`` (they are only ever controls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.results import Summary
from evalkit.results.display import NotebookDisplay, short_repr
from evalkit.staggered.design import build_design
from evalkit.staggered.event_data import event_data

__all__ = ["BaconResult", "bacon_decomposition"]


@dataclass(frozen=True)
class BaconResult(NotebookDisplay):
    """The TWFE estimate and its 2x2 components.

    Attributes
    ----------
    twfe
        Static TWFE coefficient of the treatment indicator.
    comparisons
        One row per 2x2 comparison: ``treated`` and ``control`` (first treated periods, as
        integers; ``control`` 0 = the never-treated units),
        ``type`` (``treated_vs_never``, ``earlier_vs_later``, ``later_vs_earlier``),
        ``estimate`` and ``weight``.
    """

    twfe: float
    comparisons: pd.DataFrame

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate per comparison type."""
        c = self.comparisons.assign(weighted=self.comparisons["estimate"] * self.comparisons["weight"])
        out = c.groupby("type", sort=False)[["weight", "weighted"]].sum()
        return pd.DataFrame({"weight": out["weight"], "estimate": out["weighted"] / out["weight"]})

    def tidy(self) -> pd.DataFrame:
        """The comparisons, one row each."""
        return self.comparisons.copy()

    def summary(self) -> Summary:
        """Printable summary: weights and average estimates by comparison type."""
        return Summary(title="Goodman-Bacon decomposition", facts={"TWFE estimate": round(self.twfe, 6),
                       "Comparisons": len(self.comparisons)}, table=self.by_type())

    def __repr__(self) -> str:
        return short_repr("BaconResult", {"twfe": self.twfe, "comparisons": len(self.comparisons)})


def _did(means: np.ndarray, treat: int, control: int, pre: np.ndarray, post: np.ndarray) -> float:
    return float((means[treat, post].mean() - means[treat, pre].mean()) - (means[control, post].mean() - means[control, pre].mean()))


def bacon_decomposition(data: pd.DataFrame, *, y: str, time: str, group: str, unit: str) -> BaconResult:
    """Goodman-Bacon decomposition of the static TWFE DiD estimate (balanced panels only).

    Parameters
    ----------
    data
        One row per unit and period, every unit in every period.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.

    Raises
    ------
    DesignError
        Unbalanced panel, or fewer than two timing groups (nothing to compare).
    """
    design = build_design(data, y=y, time=time, group=group, unit=unit, panel=True, keep_always_treated=True)
    n_units, n_periods = design.n_units, len(design.periods)
    if not design.balanced:
        missing = n_units * n_periods - design.nobs
        raise DesignError(
            f"the Goodman-Bacon decomposition needs a balanced panel: every unit of '{unit}' in each of the "
            f"{n_periods} periods of '{time}'; {missing} unit-period rows are missing"
        )
    ed = event_data(design)
    Y = np.zeros((n_units, n_periods))
    Y[ed.unit, ed.period] = ed.y
    g_unit = np.zeros(n_units)
    g_unit[ed.unit] = ed.group
    labels = np.unique(g_unit)
    if len(labels) < 2:
        raise DesignError("only one timing group: every unit has the same first treated period")
    idx = np.searchsorted(labels, g_unit)
    size = np.bincount(idx).astype(float)
    means = np.vstack([Y[idx == k].mean(axis=0) for k in range(len(labels))])
    share = size / n_units
    treated_at = (labels[:, None] > 0) & (ed.periods[None, :] >= labels[:, None])
    dbar = treated_at.mean(axis=1)
    D = treated_at[idx]
    Dt = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    vd = float(np.mean(Dt**2))
    if vd < 1e-12:
        raise DesignError("the treatment does not vary after removing unit and period effects: no unit changes "
                          "treatment status within the data, so there is no TWFE estimate to decompose")
    twfe = float(np.sum(Dt * Y) / np.sum(Dt**2))
    rows = []
    never = np.flatnonzero(labels == 0)
    for k in np.flatnonzero((labels > 0) & (dbar < 1)):
        post = treated_at[k]
        if never.size:
            u = never[0]
            nku = share[k] / (share[k] + share[u])
            wgt = (share[k] + share[u]) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / vd
            rows.append((labels[k], 0.0, "treated_vs_never", _did(means, k, u, ~post, post), wgt))
        for l in np.flatnonzero((labels > 0) & (dbar < dbar[k])):
            nkl = share[k] / (share[k] + share[l])
            scale = nkl * (1 - nkl)
            pre_l = ~treated_at[l]
            w_k = ((share[k] + share[l]) * (1 - dbar[l])) ** 2 * scale * (dbar[k] - dbar[l]) / (1 - dbar[l]) \
                * (1 - dbar[k]) / (1 - dbar[l]) / vd
            rows.append((labels[k], labels[l], "earlier_vs_later",
                         _did(means, k, l, pre_l & ~post, pre_l & post), w_k))
            w_l = ((share[k] + share[l]) * dbar[k]) ** 2 * scale * (dbar[l] / dbar[k]) \
                * (dbar[k] - dbar[l]) / dbar[k] / vd
            rows.append((labels[l], labels[k], "later_vs_earlier",
                         _did(means, l, k, post & ~treated_at[l], treated_at[l]), w_l))
    for k in np.flatnonzero((labels > 0) & (dbar == 1)):
        for l in np.flatnonzero((labels > 0) & (dbar < 1)):
            nkl = share[k] / (share[k] + share[l])
            w_l = (share[k] + share[l]) ** 2 * nkl * (1 - nkl) * dbar[l] * (1 - dbar[l]) / vd
            rows.append((labels[l], labels[k], "later_vs_always", _did(means, l, k, ~treated_at[l], treated_at[l]), w_l))
    comparisons = pd.DataFrame(rows, columns=["treated", "control", "type", "estimate", "weight"])
    comparisons = comparisons.astype({"treated": np.int64, "control": np.int64})
    return BaconResult(twfe=twfe, comparisons=comparisons)
