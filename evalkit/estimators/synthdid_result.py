"""The result of :func:`evalkit.estimators.synthdid.synthdid`: estimates, weights, trajectories."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.estimators.synthdid_block import Method
from evalkit.estimators.synthdid_randomization import randomization_test_arrays
from evalkit.inference.pvalues import Alternative
from evalkit.inference.rng import RNG, as_generator
from evalkit.results import EstimationResult, RandomizationTest
from evalkit.results.base import _Copied, freeze_arrays

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SynthDiDResult"]


@dataclass(frozen=True, kw_only=True, repr=False)
class SynthDiDResult(EstimationResult):
    """Synthetic DiD (or SC, or DiD) estimates with their weights; immutable.

    ``params`` holds ``"ATT"`` and, with staggered adoption, each cohort's effect
    ``"cohort::<g>"``; ``cov`` comes from the ``vcov`` draws (``cov_type``).

    Attributes
    ----------
    method
        ``"sdid"``, ``"sc"`` or ``"did"``.
    unit_weights
        ``omega``: each control unit's weight per cohort (index: cohort, unit; they sum to
        one within a cohort), e.g. ``result.unit_weights.loc[1989]``.
    time_weights
        ``lambda``: each pre period's weight per cohort (index: cohort, period).
    cohorts
        One row per cohort: ``cohort``, ``n_treated``, ``n_control``, ``n_pre``,
        ``n_post``, ``estimate`` and ``share`` (its weight in the ATT: its share of the
        treated unit-periods).
    trajectories
        Per cohort and period: the treated units' mean (``treated``), the unit-weighted
        controls (``synthetic``, omega'Y), the time weight (``time_weight``, 0 in post
        periods), ``post`` and the period's effect (``effect``, post periods only).
    draws
        The estimates under each placebo, bootstrap or leave-one-out draw (read-only,
        ``n x len(params)``).
    outcomes, adoption
        The ``N x T`` outcome matrix (never-treated units first, then the cohorts in
        adoption order, units sorted within each, as R synthdid orders them) and each row's
        first treated column (``-1`` never treated), read-only; :meth:`randomization_test`
        uses them.
    covariates
        The ``N x T x K`` time-varying covariates in the same row order (read-only), or
        ``None``; the coefficients are the ``beta::<column>`` columns of ``cohorts``.
    control_group
        The donors of each cohort: ``"never_treated"`` or ``"not_yet_treated"``.
    """

    method: str
    unit_weights: pd.Series = _Copied()  # type: ignore[assignment]
    time_weights: pd.Series = _Copied()  # type: ignore[assignment]
    cohorts: pd.DataFrame = _Copied()  # type: ignore[assignment]
    trajectories: pd.DataFrame = _Copied()  # type: ignore[assignment]
    draws: np.ndarray = field(repr=False)
    outcomes: np.ndarray = field(repr=False)
    adoption: np.ndarray = field(repr=False)
    covariates: np.ndarray | None = field(default=None, repr=False)
    control_group: str = "never_treated"

    def __post_init__(self) -> None:
        super().__post_init__()
        freeze_arrays(self)

    @property
    def att(self) -> float:
        """The overall effect ``ATT``."""
        return float(self.params["ATT"])

    def randomization_test(self, *, n_perm: int = 999, rng: RNG = None,
                           alternative: Alternative = "two-sided") -> RandomizationTest:
        """Randomization test of ``ATT = 0`` over assignments of the adoption dates to units.

        All assignments are used when there are at most ``n_perm`` (e.g. the 39 states of
        Proposition 99 with one treated state); otherwise ``n_perm`` random ones
        (:mod:`evalkit.estimators.synthdid_randomization`).  Each refits the weights, so
        it costs ``n_perm`` estimations.
        """
        method: Method = self.method  # type: ignore[assignment]
        return randomization_test_arrays(self.outcomes, self.adoption, method, n_perm=n_perm,
                                         rng=as_generator(rng), alternative=alternative, X=self.covariates,
                                         control_group=self.control_group)  # type: ignore[arg-type]

    def plot(self, **kwargs: Any) -> Figure:
        """Treated and synthetic trajectories with the time weights, and the unit weights
        (:func:`evalkit.report.synthdid_plot.plot_synthdid`)."""
        from evalkit.report.synthdid_plot import plot_synthdid

        return plot_synthdid(self, **kwargs)
