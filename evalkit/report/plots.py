"""One entry point for figures: :func:`plot` draws any evalkit result.

Event-study, ATT(g,t), aggregation, HonestDiD and cumulative-incidence results draw
themselves (their ``.plot()`` calls :mod:`evalkit.report.event_plot` or
:mod:`evalkit.report.sensitivity_plot`).  Results of the layers below the report
(``evalkit.results``: regressions, 2x2 DiD, test results) cannot import the report, so
:func:`plot` draws them here from their ``tidy()`` frame: by event time when the terms are
``event_time::e``, else as a coefficient plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.errors import EvalkitError

_WORDS = {
    "en": {"ci": "{level:g}% confidence intervals", "no_effect": "no effect (0)", "xlabel": "estimate"},
    "nb": {"ci": "{level:g} % konfidensintervaller", "no_effect": "ingen effekt (0)", "xlabel": "estimat"},
}


def plot(result: Any, **kwargs: Any) -> Figure:
    """A publication figure of ``result``.

    Parameters
    ----------
    result
        Any evalkit result: one with its own ``plot()`` is drawn by it (``kwargs`` passed
        on); otherwise its ``tidy()`` frame is drawn by event time (terms
        ``event_time::e``, see :func:`~evalkit.report.event_plot.plot_event_study`) or as
        a coefficient plot (:func:`plot_coefficients`).
    """
    own = getattr(result, "plot", None)
    if callable(own):
        return own(**kwargs)
    if not callable(getattr(result, "tidy", None)):
        raise EvalkitError(f"plot: a {type(result).__name__} has neither plot() nor tidy(); pass an evalkit result")
    alpha = kwargs.pop("alpha", 0.05)
    tidy = result.tidy(alpha=alpha) if _takes_alpha(result.tidy) else result.tidy()
    if "term" in tidy.columns and "event_time" not in tidy.columns:
        found = tidy["term"].astype(str).str.extract(r"^event_time::(-?\d+)$")[0]
        if found.notna().any():
            tidy = tidy.loc[found.notna()].assign(event_time=found.dropna().astype(float))
    if "event_time" in tidy.columns and tidy["event_time"].notna().any():
        from evalkit.report.event_plot import plot_event_study

        label = str(getattr(result, "model_name", "estimate"))
        return plot_event_study({label: tidy.loc[tidy["event_time"].notna()]}, alpha=alpha, **kwargs)
    return plot_coefficients(tidy, alpha=alpha, **kwargs)


def plot_coefficients(tidy: pd.DataFrame, *, alpha: float = 0.05, title: str | None = None,
                      labels: dict[str, str] | None = None, lang: str = "en") -> Figure:
    """Dot-and-whisker plot of ``estimate`` with ``[conf_low, conf_high]`` per ``term``.

    One legend (the zero line), the interval level stated below the axis, Okabe-Ito colour.
    """
    from evalkit.report.event_plot import OKABE_ITO

    if lang not in _WORDS:
        raise EvalkitError(f"lang must be one of {sorted(_WORDS)}, got {lang!r}")
    missing = [c for c in ("term", "estimate", "conf_low", "conf_high") if c not in tidy.columns]
    if missing:
        raise EvalkitError(f"plot_coefficients: the tidy frame lacks {missing}; it has {list(tidy.columns)}")
    words = _WORDS[lang]
    terms = [(labels or {}).get(t, t) for t in tidy["term"].astype(str)]
    y = np.arange(len(terms))[::-1]
    est = tidy["estimate"].to_numpy(float)
    err = np.vstack([est - tidy["conf_low"].to_numpy(float), tidy["conf_high"].to_numpy(float) - est])
    fig = Figure(figsize=(6.4, 1.2 + 0.35 * len(terms)), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(est, y, xerr=np.nan_to_num(err), fmt="o", color=OKABE_ITO[0], capsize=3, markersize=4)
    ax.axvline(0.0, color="0.35", linewidth=0.8, linestyle=":", label=words["no_effect"])
    ax.set_yticks(y, terms)
    ax.set_xlabel(f"{words['xlabel']} ({words['ci'].format(level=100 * (1 - alpha))})")
    if title:
        ax.set_title(title, fontsize=10)
    fig.legend(loc="outside lower center", frameon=False, fontsize=8)
    return fig


def _takes_alpha(fn: Any) -> bool:
    import inspect

    try:
        return "alpha" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


__all__ = ["plot", "plot_coefficients"]
