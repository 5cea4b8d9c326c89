"""The FUI event-study figure: one panel per outcome and horizon, in English or Norwegian.

Reference lines: the dotted line marks the first entry month whose outcome month falls
under FUI (event time ``-horizon``: cohorts to its left were followed up entirely before
the county's start); the dash-dotted line the first cohort that entered under FUI (event
time 0).  Effects on a share lie in ``[-1, 1]``; estimates or intervals beyond are cut at
the axis edge and flagged (:func:`evalkit.report.event_plot.plot_event_grid`).
"""

from __future__ import annotations

import pandas as pd

from evalkit.replications.fui.labels import after_entry, label, words

#: The value range of an effect on a share (flagged in figures beyond it).
SHARE_EFFECT_RANGE = (-1.0, 1.0)


def event_study_panels(estimates: pd.DataFrame, *, lang: str = "en", outcome: str | None = None,
                       horizon: int | None = None) -> list:
    """One :class:`~evalkit.report.event_plot.Panel` per outcome and horizon of ``estimates``
    (the tidy frame of :class:`~evalkit.replications.fui.event_study.FuiEventStudy`)."""
    from evalkit.report.event_plot import Panel

    w = words(lang)
    outcomes = [outcome] if outcome is not None else list(dict.fromkeys(estimates["outcome"]))
    horizons = [horizon] if horizon is not None else sorted(set(estimates["horizon"]))
    panels = []
    for o in outcomes:
        for h in horizons:
            part = estimates[(estimates["outcome"] == o) & (estimates["horizon"] == h)]
            panels.append(Panel(
                series={name: frame for name, frame in part.groupby("estimator", sort=False)},
                title=str(w["figure_title"]).format(outcome=label(o, lang), after=after_entry(h, lang)),
                reference_lines={-h - 0.5: str(w["ref_outcome"]), -0.5: str(w["ref_entry"])},
            ))
    return panels


def event_study_figure(estimates: pd.DataFrame, *, lang: str = "en", sharey: bool = True,
                       outcome: str | None = None, horizon: int | None = None):
    """The figure of all (or one) outcome and horizon panels, one legend, CI level stated."""
    from evalkit.report.event_plot import plot_event_grid

    w = words(lang)
    panels = event_study_panels(estimates, lang=lang, outcome=outcome, horizon=horizon)
    ncols = 1 if horizon is not None else len(set(estimates["horizon"]))
    return plot_event_grid(panels, ncols=ncols, sharey=sharey, title=None if horizon is not None else str(w["fig_suptitle"]),
                           xlabel=str(w["fig_xlabel"]), ylabel=str(w["fig_ylabel"]),
                           value_range=SHARE_EFFECT_RANGE, lang=lang,
                           figsize=(7.0, 4.8) if horizon is not None else None)


__all__ = ["SHARE_EFFECT_RANGE", "event_study_figure", "event_study_panels"]
