"""The synthetic DiD figure: treated and synthetic trajectories, time weights and unit weights.

One row per adoption cohort.  Left: the treated units' mean and the unit-weighted controls
(``omega' Y``), the latter shifted by the time-weighted pre-period gap so that the two
coincide on average over the pre periods the time weights ``lambda`` select; the post-period
gap is then the effect, as in the paper's Figure 1 (Arkhangelsky et al. 2021).  The time
weights are drawn as bars along the bottom.  Right: the controls with the largest unit
weights.  Built from a result's ``trajectories``, ``unit_weights`` and ``cohorts`` frames
(duck-typed: :class:`evalkit.estimators.synthdid_result.SynthDiDResult`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evalkit.errors import EvalkitError
from evalkit.report.event_plot import OKABE_ITO

__all__ = ["plot_synthdid"]


def plot_synthdid(result: Any, *, top_units: int = 10, figsize: tuple[float, float] | None = None) -> Figure:
    """Trajectories with time weights (left) and the largest unit weights (right), per cohort.

    Parameters
    ----------
    result
        A synthetic DiD result (``trajectories``, ``unit_weights``, ``cohorts``).
    top_units
        Controls shown by unit weight (those with weight 0 are never shown).
    figsize
        Figure size in inches; default grows with the number of cohorts.
    """
    if top_units < 1:
        raise EvalkitError(f"top_units must be at least 1, got {top_units}")
    paths, weights, cohorts = result.trajectories, result.unit_weights, result.cohorts
    n = len(cohorts)
    fig = Figure(figsize=figsize or (10.0, 3.6 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False, gridspec_kw={"width_ratios": [2.2, 1]})
    for (ax, ax_w), row in zip(axes, cohorts.itertuples(), strict=True):
        path = paths[paths["cohort"] == row.cohort]
        pre = ~path["post"].to_numpy()
        treated, synthetic = path["treated"].to_numpy(), path["synthetic"].to_numpy()
        lam = path["time_weight"].to_numpy()
        shift = float(lam[pre] @ (treated - synthetic)[pre])
        t = path["time"].to_numpy()
        ax.plot(t, treated, color=OKABE_ITO[1], label="treated")
        ax.plot(t, synthetic + shift, color=OKABE_ITO[0], linestyle="--", label="synthetic control")
        ax.axvline(row.cohort, color="grey", linewidth=0.8)
        bars = ax.twinx()
        bars.bar(t[pre], lam[pre], color=OKABE_ITO[2], alpha=0.5, width=0.8, label="time weight")
        bars.set_ylim(0, max(4 * lam.max(), 1e-12))
        bars.set_yticks([])
        ax.set_title(f"cohort {row.cohort}: effect {row.estimate:.3g}")
        ax.set_ylabel(str(result.extra.get("outcome", "")))
        ax.legend(loc="best", fontsize="small", frameon=False)
        omega = weights.xs(row.cohort, level=0)
        shown = omega[omega > 0].sort_values(ascending=False).head(top_units)[::-1]
        ax_w.barh(np.arange(len(shown)), shown.to_numpy(), color=OKABE_ITO[0])
        ax_w.set_yticks(np.arange(len(shown)), [str(u) for u in shown.index])
        ax_w.set_xlabel("unit weight")
    return fig
