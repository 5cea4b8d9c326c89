"""Event-study figures built only from ``tidy()`` frames, so any estimator can reuse them.

A frame needs ``event_time``, ``estimate``, ``conf_low`` and ``conf_high`` (pointwise
interval); ``uniform_low`` / ``uniform_high`` (a simultaneous sup-t band) are drawn when
present.  Several estimators are overlaid on one axis, offset horizontally.

Publication rules: one legend per figure (below the panels, never over data), integer
event-time ticks, every reference line named in the legend, the interval level stated in
the figure's caption, Okabe-Ito colours (safe for colour-blind readers), and, for an
outcome with a known range (a share's effect lies in ``[-1, 1]``), estimates or
intervals beyond the range clipped at the axis edge, marked with a triangle and counted
in the caption, so that one noisy estimate neither sets the scale nor passes unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evalkit.errors import EvalkitError

_REQUIRED = ("event_time", "estimate", "conf_low", "conf_high")

#: Okabe & Ito (2008) colour-blind-safe palette (black last: it is used for reference lines).
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: Line styles of reference lines, in the order given.
_REFERENCE_STYLES = (":", "-.", (0, (5, 2)))

_WORDS = {
    "en": {"no_effect": "no effect (0)", "ci": "{level:g}% pointwise confidence intervals",
           "band": "shaded: {level:g}% uniform (sup-t) band",
           "flag": "{n} estimate(s) or interval(s) beyond the outcome's range [{lo:g}, {hi:g}] are cut at the "
                   "axis edge and marked with a triangle",
           "xlabel": "event time (periods since treatment)", "ylabel": "effect"},
    "nb": {"no_effect": "ingen effekt (0)", "ci": "{level:g} % punktvise konfidensintervaller",
           "band": "skyggelagt: {level:g} % simultant (sup-t) bånd",
           "flag": "{n} estimat(er) eller intervall(er) utenfor utfallets verdiområde [{lo:g}, {hi:g}] er kuttet "
                   "ved aksekanten og merket med en trekant",
           "xlabel": "hendelsestid (perioder siden tiltaket)", "ylabel": "effekt"},
}


@dataclass(frozen=True)
class Panel:
    """One panel of an event-study figure.

    Parameters
    ----------
    series
        ``{label: tidy frame}``, one per estimator (or cohort), drawn in the given order.
    title
        Panel title.
    reference_lines
        ``{event time: label}`` of vertical reference lines (each named in the legend).
    """

    series: Mapping[str, pd.DataFrame]
    title: str = ""
    reference_lines: Mapping[float, str] | None = None


def plot_event_study(
    tidy_frames: Mapping[str, pd.DataFrame],
    *,
    ax: Axes | None = None,
    uniform: bool = True,
    reference_lines: Mapping[float, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    alpha: float = 0.05,
    value_range: tuple[float, float] | None = None,
    lang: str = "en",
) -> Figure:
    """Event-study estimates with pointwise intervals (and uniform bands) on one axis.

    Parameters
    ----------
    tidy_frames
        ``{label: tidy frame}``; each frame one estimator (or cohort).
    ax
        Axis to draw on (then no legend or caption is added: the caller's figure owns
        them, see :func:`plot_event_grid`); a new figure is made when ``None``.
    uniform
        Draw ``uniform_low``/``uniform_high`` as a shaded band when a frame has them.
    reference_lines
        ``{event time: label}`` of vertical reference lines, e.g. ``{-0.5: "treatment
        starts"}``; each is named in the legend.  ``None``: none.
    title, xlabel, ylabel
        Labels (defaults in ``lang``).
    alpha
        The frames' interval level is ``1 - alpha`` (stated in the caption).
    value_range
        The range of possible values of the estimates, e.g. ``(-1, 1)`` for an effect on a
        share; values beyond it are cut at the axis edge, marked and counted.
    lang
        ``"en"`` or ``"nb"``.

    Returns
    -------
    matplotlib.figure.Figure
        Save with :func:`save_figure` (300 dpi PNG, reproducible SVG).
    """
    panel = Panel(series=tidy_frames, title=title or "", reference_lines=reference_lines)
    if ax is not None:
        _draw_panel(ax, panel, uniform=uniform, value_range=value_range, words=_words(lang))
        if value_range is not None:
            _clip_limits(ax, value_range)
        ax.set_xlabel(xlabel or _words(lang)["xlabel"])
        ax.set_ylabel(ylabel or _words(lang)["ylabel"])
        return ax.figure
    return plot_event_grid([panel], ncols=1, uniform=uniform, xlabel=xlabel, ylabel=ylabel, alpha=alpha,
                           value_range=value_range, lang=lang, figsize=(7.0, 4.8))


def plot_event_grid(
    panels: Sequence[Panel],
    *,
    ncols: int,
    sharey: bool = True,
    uniform: bool = True,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    alpha: float = 0.05,
    value_range: tuple[float, float] | None = None,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    note: str | None = None,
) -> Figure:
    """Several event-study panels in one figure, with one legend and one caption.

    Parameters
    ----------
    panels
        The panels, filled row by row.
    ncols
        Panels per row.
    sharey
        One y-scale for all panels (``True``) or one per panel (``False``).
    note
        Text added to the caption (e.g. what the reference lines mean).

    Notes
    -----
    The other parameters are those of :func:`plot_event_study`.
    """
    if not panels:
        raise EvalkitError("plot_event_grid: no panels given")
    words = _words(lang)
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=figsize or (4.2 * ncols, 3.3 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    flagged, has_band = 0, False
    for ax, panel in zip(axes.flat, panels):
        n, band = _draw_panel(ax, panel, uniform=uniform, value_range=value_range, words=words)
        flagged, has_band = flagged + n, has_band or band
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel or words["xlabel"])
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel or words["ylabel"])
    if value_range is not None:
        for ax in axes.flat[: 1 if sharey else len(panels)]:
            _clip_limits(ax, value_range)
    handles: dict[str, object] = {}
    series = [label for panel in panels for label in panel.series]
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    ordered = sorted(handles, key=lambda label: (label not in series, series.index(label) if label in series else 0))
    level = 100 * (1 - alpha)
    caption = [words["ci"].format(level=level)]
    if has_band:
        caption.append(words["band"].format(level=level))
    if flagged and value_range is not None:
        caption.append(words["flag"].format(n=flagged, lo=value_range[0], hi=value_range[1]))
    if note:
        caption.append(note)
    fig.legend([handles[k] for k in ordered], ordered, loc="outside lower center", ncols=min(len(handles), 3),
               frameon=False, fontsize=8, title=";\n".join(caption) + ".", title_fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def save_figure(fig: Figure, path, *, dpi: int = 300) -> None:
    """Save ``fig`` reproducibly: 300 dpi PNG, SVG without date and with fixed element ids.

    The SVG's ids come from a hash salted with the file name (``svg.hashsalt``), and no
    ``Date`` is written into SVG or PNG metadata, so the same figure gives the same bytes.
    """
    from pathlib import Path

    import matplotlib

    path = Path(path)
    with matplotlib.rc_context({"svg.hashsalt": path.stem}):
        fig.savefig(path, dpi=dpi, metadata=_metadata(path.suffix))


def svg_document(fig: Figure, *, salt: str) -> str:
    """The figure as a whole SVG document, reproducible like :func:`save_figure`.

    The text is what :func:`save_figure` writes to ``<salt>.svg``, so one drawing can
    serve both the SVG file and the figure inlined in an HTML report (:func:`svg_text`).
    """
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def svg_text(fig: Figure, *, salt: str) -> str:
    """The figure as an ``<svg>`` element (for inlining in HTML), reproducible like :func:`save_figure`."""
    return svg_element(svg_document(fig, salt=salt))


def svg_element(document: str) -> str:
    """The ``<svg>`` element of an SVG document (without the XML declaration and doctype)."""
    return document[document.index("<svg"):]


def _metadata(suffix: str) -> dict:
    suffix = suffix.lower()
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None, "ModDate": None}
    return {}


def _draw_panel(ax: Axes, panel: Panel, *, uniform: bool, value_range: tuple[float, float] | None,
                words: Mapping[str, str]) -> tuple[int, bool]:
    """Draw one panel; returns (number of values cut at the range, whether a band was drawn)."""
    from matplotlib.ticker import MaxNLocator

    frames = panel.series
    if not frames:
        raise EvalkitError(f"panel {panel.title!r}: no series; pass {{label: result.tidy()}}")
    for label, frame in frames.items():
        missing = [c for c in _REQUIRED if c not in frame.columns]
        if missing:
            raise EvalkitError(f"tidy frame {label!r} lacks column(s) {missing}; it needs {list(_REQUIRED)}")
    k = len(frames)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.6 / max(k, 2))
    flagged, band = 0, False
    lo_edge, hi_edge = value_range if value_range is not None else (-np.inf, np.inf)
    for (label, frame), off, color in zip(frames.items(), offsets, _colors(k)):
        f = frame.sort_values("event_time")
        x = f["event_time"].to_numpy(float) + off
        est = f["estimate"].to_numpy(float)
        low, high = f["conf_low"].to_numpy(float), f["conf_high"].to_numpy(float)
        if uniform and {"uniform_low", "uniform_high"} <= set(f.columns):
            ax.fill_between(x, np.clip(f["uniform_low"].to_numpy(float), lo_edge, hi_edge),
                            np.clip(f["uniform_high"].to_numpy(float), lo_edge, hi_edge),
                            color=color, alpha=0.15, linewidth=0)
            band = True
        out = (est < lo_edge) | (est > hi_edge) | (low < lo_edge) | (high > hi_edge)
        shown = np.clip(est, lo_edge, hi_edge)
        yerr = np.vstack([shown - np.clip(low, lo_edge, hi_edge), np.clip(high, lo_edge, hi_edge) - shown])
        ax.errorbar(x, shown, yerr=np.nan_to_num(yerr), fmt="o", color=color, capsize=2.5, markersize=3.5,
                    elinewidth=1, label=label)
        if out.any():
            flagged += int(out.sum())
            edge = np.where((est > hi_edge) | (high > hi_edge), hi_edge, lo_edge)
            marker = np.where(edge == hi_edge, "^", "v")
            for xi, yi, mi in zip(x[out], edge[out], marker[out]):
                ax.plot([xi], [yi], marker=mi, color=color, markersize=6, linestyle="none")
    ax.axhline(0.0, color="0.35", linewidth=0.8, label=words["no_effect"])
    for (position, label), style in zip((panel.reference_lines or {}).items(), _REFERENCE_STYLES):
        ax.axvline(position, color="0.2", linewidth=0.9, linestyle=style, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if panel.title:
        ax.set_title(panel.title, fontsize=10)
    ax.grid(axis="y", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    return flagged, band


def _clip_limits(ax: Axes, value_range: tuple[float, float]) -> None:
    lo, hi = ax.get_ylim()
    pad = 0.04 * (value_range[1] - value_range[0])
    ax.set_ylim(max(lo, value_range[0] - pad), min(hi, value_range[1] + pad))


def _words(lang: str) -> Mapping[str, str]:
    if lang not in _WORDS:
        raise EvalkitError(f"lang must be one of {sorted(_WORDS)} (English, Norwegian bokmål), got {lang!r}")
    return _WORDS[lang]


def _colors(k: int) -> list[str]:
    return [OKABE_ITO[i % (len(OKABE_ITO) - 1)] for i in range(k)]


__all__ = ["OKABE_ITO", "Panel", "plot_event_grid", "plot_event_study", "save_figure", "svg_text"]
