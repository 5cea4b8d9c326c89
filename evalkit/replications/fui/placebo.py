"""Placebo test of the FUI design: the same 2x2 comparison where no reform happened.

The published authors ran placebo tests they did not show.  Here the 2x2 model is fitted
with two entry windows that both lie before the rollout (by default March-May 2016 as the
"pre" and June-August 2016 as the "post" window); the "FUI effect" must then be zero up to
noise.  A horizon is only a valid placebo when no entrant of either window reaches FUI by
the outcome month; later horizons are reported but flagged.  Entry-month dummies are season
controls and need windows of the same calendar months: the placebo keeps them only when
its windows cover the same months (the default windows do not, so the placebo model has
none; the season then enters the placebo's period term, not its "effect").
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from evalkit.cohorts import EntryPool, RolloutSchedule
from evalkit.outcomes import OutcomeRows
from evalkit.panel import StatusPanel
from evalkit.replications.fui.diagnostics import contamination
from evalkit.replications.fui.regressions import fit_fui_regressions
from evalkit.replications.fui.sample import FuiSpec, calendar_months, prepare_sample

#: Two pre-rollout windows of equal length within 2016.
PLACEBO_WINDOWS: dict[str, tuple[str, str]] = {"p1": ("2016-03", "2016-05"), "p2": ("2016-06", "2016-08")}


def placebo_test(
    panel: StatusPanel,
    unemployment: pd.DataFrame,
    schedule: RolloutSchedule,
    spec: FuiSpec | None = None,
    *,
    windows: dict[str, tuple[str, str]] | None = None,
    pool: EntryPool | None = None,
    rows: OutcomeRows | None = None,
) -> pd.DataFrame:
    """The 2x2 "FUI effect" between two pre-rollout windows, per outcome and horizon.

    Returns the effects frame of :meth:`FuiRegressions.effects` with the windows and a
    column ``valid`` (no entrant of the placebo windows exposed by the outcome month).
    ``pool`` holds the panel's entries of the main analysis before any window
    (:func:`~evalkit.replications.fui.sample.fui_entry_pool`), reused rather than found again, and ``rows``
    its states after entry (:func:`~evalkit.outcomes.outcome_rows`), looked up.
    """
    windows = dict(windows or PLACEBO_WINDOWS)
    spec = spec or FuiSpec()
    seasons = {frozenset(calendar_months(span)) for span in windows.values()}
    spec = replace(spec, windows=windows, entry_month_dummies=spec.entry_month_dummies and len(seasons) == 1)
    sample = prepare_sample(panel, unemployment, schedule, spec, check_design=False, pool=pool, rows=rows)
    effects = fit_fui_regressions(sample).effects()
    exposed = contamination(sample).groupby("horizon")["share_exposed"].max()
    effects["valid"] = effects["horizon"].map(exposed).eq(0.0)
    (pre, pre_span), (post, post_span) = spec.windows.items()
    effects["windows"] = f"{pre} {pre_span[0]}..{pre_span[1]} vs {post} {post_span[0]}..{post_span[1]}"
    return effects
