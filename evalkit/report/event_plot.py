"""Event-study plots built only from ``tidy()`` frames, so any estimator can reuse them.

A frame needs ``event_time``, ``estimate``, ``conf_low`` and ``conf_high`` (pointwise
interval); ``uniform_low`` / ``uniform_high`` (a simultaneous sup-t band) are drawn when
present.  Several estimators are overlaid on one axis, offset horizontally.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

_REQUIRED = ("event_time", "estimate", "conf_low", "conf_high")


def plot_event_study(
    tidy_frames: Mapping[str, pd.DataFrame],
    *,
    ax: Axes | None = None,
    uniform: bool = True,
    reference_period: float | None = -0.5,
    title: str | None = None,
    xlabel: str = "event time (periods since treatment)",
    ylabel: str = "effect",
) -> Figure:
    """Overlay event-study estimates with pointwise intervals and uniform bands.

    Parameters
    ----------
    tidy_frames
        ``{label: tidy frame}``; each frame one estimator (or cohort).
    ax
        Axis to draw on; a new figure is made when ``None``.
    uniform
        Draw ``uniform_low``/``uniform_high`` as a shaded band when a frame has them.
    reference_period
        x position of a dotted vertical line marking treatment onset (``None``: no line).
    title, xlabel, ylabel
        Labels.

    Returns
    -------
    matplotlib.figure.Figure
        Save with ``fig.savefig("plot.png")`` or ``.svg``.
    """
    if not tidy_frames:
        raise ValueError("tidy_frames is empty: pass {label: result.tidy()}")
    for label, frame in tidy_frames.items():
        missing = [c for c in _REQUIRED if c not in frame.columns]
        if missing:
            raise ValueError(f"tidy frame {label!r} lacks column(s) {missing}; needs {list(_REQUIRED)}")
    if ax is None:
        fig = Figure(figsize=(7, 4.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    k = len(tidy_frames)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.6 / max(k, 2))
    for (label, frame), off, color in zip(tidy_frames.items(), offsets, _colors(k)):
        f = frame.sort_values("event_time")
        x = f["event_time"].to_numpy(float) + off
        est = f["estimate"].to_numpy(float)
        if uniform and {"uniform_low", "uniform_high"} <= set(f.columns):
            ax.fill_between(x, f["uniform_low"], f["uniform_high"], color=color, alpha=0.15, step=None, linewidth=0)
        yerr = np.vstack([est - f["conf_low"].to_numpy(float), f["conf_high"].to_numpy(float) - est])
        ax.errorbar(x, est, yerr=yerr, fmt="o", color=color, capsize=3, markersize=4, label=label)
    ax.axhline(0.0, color="0.4", linewidth=0.8)
    if reference_period is not None:
        ax.axvline(reference_period, color="0.4", linewidth=0.8, linestyle=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return fig


def _colors(k: int) -> list[str]:
    cycle = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    return [cycle[i % len(cycle)] for i in range(k)]
