"""The result of every event-time estimator (``event_study``, ``sun_abraham``,
``imputation_did``, ``two_stage_did``): estimates by event time, with the overall effect
``ATT`` where the estimator defines one.  Terms follow :mod:`evalkit.staggered.terms`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.results import EstimationResult

__all__ = ["EventStudyResult"]


@dataclass(frozen=True, kw_only=True, repr=False)
class EventStudyResult(EstimationResult):
    """Estimates by event time (and possibly an overall ATT or covariates).

    Attributes
    ----------
    event_time
        Event time of each term (indexed like ``params``); NaN for terms that are not
        event-time effects (overall ATT, covariates).
    reference
        Reference event time(s) normalised to zero (empty when there is none).
    """

    event_time: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    reference: tuple[int, ...] = ()

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Broom-style rows with an ``event_time`` column (NaN for other terms)."""
        out = super().tidy(alpha)
        out.insert(1, "event_time", self.event_time.reindex(self.params.index).to_numpy(dtype=float))
        return out

    def plot(self, *, alpha: float = 0.05, label: str | None = None, **kwargs: Any) -> Any:
        """Event-study plot via :func:`evalkit.report.event_plot.plot_event_study`."""
        from evalkit.report.event_plot import plot_event_study

        frame = self.tidy(alpha)
        frame = frame.loc[np.isfinite(frame["event_time"])]
        kwargs.setdefault("title", self.model_name)
        return plot_event_study({label or self.model_name: frame}, **kwargs)


