"""The result of every event-time estimator (``event_study``, ``sun_abraham``,
``imputation_did``, ``two_stage_did``): estimates by event time, with the overall effect
``ATT`` where the estimator defines one.  Terms follow :mod:`evalkit.staggered.terms`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference.conley_taber import GroupPeriods
from evalkit.inference.wild_bootstrap_scores import InfluenceScores, RegressionScores, regression_scores
from evalkit.regression.ols import fit_ols
from evalkit.results import EstimationResult
from evalkit.results.base import freeze_arrays

__all__ = ["EventStudyResult", "RowRegression"]


@dataclass(frozen=True)
class RowRegression:
    """The row-level regression of an estimator fitted from cohort x period cells, kept
    without its design matrix and fitted only when a wild bootstrap asks for it.

    The regressors are indicators of mutually exclusive categories (event times, or
    cohort x event-time cells) with unit and period effects absorbed.

    Attributes
    ----------
    y
        Outcome per row.
    column
        Index of the row's indicator among ``names`` (``-1``: none).
    fe, cluster
        Unit and period codes ``(n, 2)``; cluster codes ``(n,)``.
    names
        Regressor names.
    contrasts, terms
        The result's terms as contrasts of the coefficients (one row per term).
    """

    y: np.ndarray
    column: np.ndarray
    fe: np.ndarray
    cluster: np.ndarray
    names: tuple[str, ...]
    contrasts: np.ndarray
    terms: tuple[str, ...]

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def __call__(self) -> RegressionScores:
        """Fit the regression (CR1 on ``cluster``) and return its scores for every term."""
        X = np.zeros((len(self.y), len(self.names)))
        rows = np.flatnonzero(self.column >= 0)
        X[rows, self.column[rows]] = 1.0
        fit = fit_ols(self.y, X, fe=self.fe, cluster=self.cluster, cov_type="CR1", names=list(self.names))
        return regression_scores(fit, self.contrasts, self.terms)


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
    scores
        What :func:`~evalkit.inference.wild_cluster_bootstrap` needs, for every term:
        :class:`~evalkit.inference.wild_bootstrap_scores.InfluenceScores` (imputation,
        two-stage), :class:`~evalkit.inference.wild_bootstrap_scores.RegressionScores`
        (event study, Sun-Abraham fitted row by row) or a :class:`RowRegression` (fitted
        from cells: the row-level regression is fitted only when a bootstrap asks for
        it); ``None`` when the estimator keeps none.
    group_periods
        The cluster, period and ever-treated flag of the rows of that regression, for
        :func:`~evalkit.inference.conley_taber_test` (``event_study``, ``sun_abraham``);
        ``None`` otherwise.
    """

    event_time: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    reference: tuple[int, ...] = ()
    scores: InfluenceScores | RegressionScores | RowRegression | None = field(default=None, repr=False)
    group_periods: GroupPeriods | None = field(default=None, repr=False)

    def bootstrap_scores(self, terms: Sequence[str]) -> InfluenceScores | RegressionScores:
        """The scores of ``terms`` for :func:`~evalkit.inference.wild_cluster_bootstrap`."""
        if self.scores is None:
            raise EvalkitError(f"{self.model_name}: this result keeps no scores for the wild cluster bootstrap")
        scores = self.scores() if isinstance(self.scores, RowRegression) else self.scores
        return scores.select(terms)

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


