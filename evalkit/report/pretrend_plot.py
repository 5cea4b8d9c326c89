"""The pre-trend power figure (Roth 2022): the event study, a hypothesised trend, and what
the estimates are expected to look like after passing the pre-test.

Drawn from :meth:`evalkit.sensitivity.PretrendPower.tidy`: the estimates with their
pointwise intervals, the hypothesised difference in trends ``delta`` (solid line) and the
expected estimates given that the pre-test passes under ``delta`` and no effect (dashed
line; in the post periods the bias that survives the pre-test).  Colours are Okabe-Ito,
one legend below the plot, the interval level and the power stated in the caption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.errors import EvalkitError
from evalkit.report.event_plot import OKABE_ITO

_WORDS = {
    "en": {"estimate": "estimates ({level:g}% CI)", "delta": "hypothesised trend",
           "after": "expected after passing the pre-test", "no_effect": "no effect (0)",
           "xlabel": "event time (periods since treatment)", "ylabel": "coefficient",
           "title": "Power of the pre-trend test: {power:.0%} against this trend"},
    "nb": {"estimate": "estimater ({level:g} % KI)", "delta": "antatt trendbrudd",
           "after": "forventet etter bestått fortest", "no_effect": "ingen effekt (0)",
           "xlabel": "hendelsestid (perioder siden tiltaket)", "ylabel": "koeffisient",
           "title": "Styrken til fortesten: {power:.0%} mot denne trenden"},
}
_REQUIRED = ("event_time", "estimate", "conf_low", "conf_high", "delta", "mean_after_pretest")


def plot_pretrend_power(
    frame: pd.DataFrame,
    *,
    alpha: float = 0.05,
    power: float | None = None,
    ax=None,
    title: str | None = None,
    lang: str = "en",
) -> Figure:
    """Event-study estimates, the hypothesised trend and the mean after pre-testing.

    Parameters
    ----------
    frame
        :meth:`PretrendPower.tidy` (columns ``event_time, estimate, conf_low, conf_high,
        delta, mean_after_pretest``).
    alpha
        The intervals are ``1 - alpha`` (stated in the legend).
    power
        Power of the pre-test against ``delta`` (stated in the title).
    """
    if lang not in _WORDS:
        raise EvalkitError(f"lang must be one of {sorted(_WORDS)}, got {lang!r}")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise EvalkitError(f"plot_pretrend_power: the frame lacks columns {missing}; pass PretrendPower.tidy()")
    words = _WORDS[lang]
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    t = frame["event_time"].to_numpy(dtype=float)
    est = frame["estimate"].to_numpy(dtype=float)
    err = np.vstack([est - frame["conf_low"].to_numpy(dtype=float), frame["conf_high"].to_numpy(dtype=float) - est])
    ax.errorbar(t, est, yerr=err, fmt="o", capsize=3, color=OKABE_ITO[0], markersize=4,
                label=words["estimate"].format(level=100 * (1 - alpha)))
    ax.plot(t, frame["delta"], "-s", color=OKABE_ITO[1], markersize=4, label=words["delta"])
    ax.plot(t, frame["mean_after_pretest"], "--^", color=OKABE_ITO[2], markersize=4, label=words["after"])
    ax.axhline(0.0, color="0.35", linewidth=0.8, linestyle=":", label=words["no_effect"])
    ax.set_xticks(t, [f"{v:g}" for v in t])
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    default = words["title"].format(power=power) if power is not None else ""
    ax.set_title(title or default, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    return fig


__all__ = ["plot_pretrend_power"]
