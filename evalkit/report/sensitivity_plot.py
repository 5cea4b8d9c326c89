"""The HonestDiD sensitivity figure: robust intervals against the bound ``M`` (or ``Mbar``).

Rambachan & Roth (2023): for each bound on how far post-period violations of parallel
trends may go, a robust confidence interval of the target effect.  The original
(parallel-trends) interval stands at its own labelled position left of the grid, apart
from the bounds, so it is never read as a bound (the R package puts it at ``M`` one step
below the grid, e.g. ``Mbar = -0.5``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from evalkit.errors import EvalkitError
from evalkit.report.event_plot import OKABE_ITO

_WORDS = {
    "en": {"original": "original\n(parallel trends)", "robust": "robust ({method})", "no_effect": "no effect (0)",
           "rm": r"$\bar M$: post-period violations up to $\bar M$ times the largest pre-period one",
           "sd": "M: bound on the change in the slope of the trend violation",
           "sdrm": r"$\bar M$: post-period changes in slope up to $\bar M$ times the largest pre-period one",
           "ylabel": "{level:g}% confidence interval", "title": "Sensitivity to violations of parallel trends",
           "open": "open-ended interval: it reaches the edge of the search grid"},
    "nb": {"original": "opprinnelig\n(parallelle trender)", "robust": "robust ({method})",
           "no_effect": "ingen effekt (0)",
           "rm": r"$\bar M$: brudd etter start inntil $\bar M$ ganger det største før start",
           "sd": "M: grense for endringen i helningen til trendbruddet",
           "sdrm": r"$\bar M$: endring i helning etter start inntil $\bar M$ ganger den største før start",
           "ylabel": "{level:g} % konfidensintervall", "title": "Følsomhet for brudd på parallelle trender",
           "open": "åpent intervall: det når kanten av søkegitteret"},
}


def plot_sensitivity(
    m: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    original: tuple[float, float],
    *,
    alpha: float = 0.05,
    method: str = "relative_magnitudes",
    ci_method: str = "C-LF",
    open_end: Sequence[bool] | None = None,
    title: str | None = None,
    ax=None,
    lang: str = "en",
) -> Figure:
    """Robust intervals by bound, with the original interval at its own position.

    Parameters
    ----------
    m, lower, upper
        The bounds and the robust interval at each.
    original
        The interval under exact parallel trends.
    alpha
        Intervals are ``1 - alpha`` (stated on the y-axis).
    method, ci_method
        ``"relative_magnitudes"``, ``"smoothness"`` or ``"smoothness_relative_magnitudes"``; the
        interval's construction.
    open_end
        Per bound, whether the interval reached the edge of the search grid (drawn dashed).
    """
    if lang not in _WORDS:
        raise EvalkitError(f"lang must be one of {sorted(_WORDS)}, got {lang!r}")
    words = _WORDS[lang]
    m, lower, upper = (np.asarray(v, dtype=float) for v in (m, lower, upper))
    if not (len(m) == len(lower) == len(upper)) or len(m) == 0:
        raise EvalkitError(f"plot_sensitivity: m, lower and upper need one value per bound, got {len(m)}, "
                           f"{len(lower)}, {len(upper)}")
    opened = np.zeros(len(m), bool) if open_end is None else np.asarray(open_end, bool)
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    step = float(np.diff(np.sort(m)).min()) if len(m) > 1 else 1.0
    x0 = float(m.min()) - 2 * step
    lo, hi = original
    ax.errorbar([x0], [(lo + hi) / 2], yerr=[[(hi - lo) / 2]], fmt="none", capsize=4, color=OKABE_ITO[1],
                linewidth=1.6, label=words["original"].replace("\n", " "))
    mid, half = (lower + upper) / 2, (upper - lower) / 2
    bars = ax.errorbar(m, mid, yerr=half, fmt="none", capsize=4, color=OKABE_ITO[0], linewidth=1.6,
                       label=words["robust"].format(method=ci_method))
    if opened.any():
        bars[2][0].set_linestyles(["--" if o else "-" for o in opened])
    ax.axhline(0.0, color="0.35", linewidth=0.8, linestyle=":", label=words["no_effect"])
    ax.axvline(x0 + step, color="0.8", linewidth=0.8)
    ticks = [x0, *m.tolist()]
    ax.set_xticks(ticks, [words["original"], *[f"{v:g}" for v in m]])
    ax.set_xlim(x0 - step, float(m.max()) + step)
    label = {"relative_magnitudes": "rm", "smoothness": "sd", "smoothness_relative_magnitudes": "sdrm"}.get(method, "sd")
    ax.set_xlabel(words[label], fontsize=9)
    ax.set_ylabel(words["ylabel"].format(level=100 * (1 - alpha)))
    ax.set_title(title or words["title"], fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    if opened.any():
        fig.text(0.01, 0.0, "-- " + words["open"], fontsize=7, va="bottom")
    return fig


__all__ = ["plot_sensitivity"]
