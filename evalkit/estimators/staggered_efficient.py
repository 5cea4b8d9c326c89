"""The efficient estimator for staggered rollouts with random timing (Roth & Sant'Anna 2023).

When the period in which each unit starts treatment is (as good as) randomly assigned,
as in a phased rollout whose order was drawn by lot, pre-treatment outcomes carry
information about the comparison: the estimator adjusts the difference in means by
``beta`` times a pre-period contrast and picks ``beta`` to minimise the variance.  With
``beta = 1`` it is the Callaway & Sant'Anna (2021) estimator with not-yet-treated
comparisons (``control_group="last_treated"``: Sun & Abraham 2021), with ``beta = 0``
the difference in means.  Standard errors are design-based (the ``"refined"`` variance of
their Section 4 by default, or ``"neyman"``); :meth:`StaggeredEfficientResult.fisher_test`
is the studentized Fisher randomization test over adoption dates.

Checked against the R package staggered (tests/test_staggered_efficient.py).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.estimators.staggered_efficient_core import CohortMoments, cohort_moments, efficient_fit
from evalkit.estimators.staggered_efficient_weights import EstimandWeights, check_estimand, estimand_weights
from evalkit.inference.covariance import standard_errors
from evalkit.inference.pvalues import resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.inference.wild_bootstrap_scores import InfluenceScores, influence_scores
from evalkit.results import RandomizationTest
from evalkit.results.base import read_only
from evalkit.staggered.design import build_design
from evalkit.staggered.terms import OVERALL, event_term

__all__ = ["StaggeredEfficientResult", "staggered_efficient"]

ControlGroup = Literal["not_yet_treated", "last_treated"]
Vcov = Literal["refined", "neyman"]


@dataclass(frozen=True)
class _Sample:
    """Outcomes ``(N, T)`` by unit, each unit's cohort code, cohorts and periods."""

    y: np.ndarray
    cohort: np.ndarray
    cohorts: np.ndarray
    periods: np.ndarray


@dataclass(frozen=True, kw_only=True, repr=False)
class StaggeredEfficientResult(EventStudyResult):
    """Estimates of :func:`staggered_efficient`: ``ATT`` or one term per event time.

    Attributes
    ----------
    std_errors_neyman
        The Neyman (conservative) standard errors; ``std_errors`` are those of ``vcov``.
    beta
        The coefficient on the pre-period contrast of each term.
    """

    std_errors_neyman: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    beta: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    _sample: _Sample | None = field(default=None, repr=False)
    _weights: tuple[EstimandWeights, ...] = field(default=(), repr=False)
    _fixed_beta: float | None = None

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Broom-style rows with ``event_time``, the Neyman SE and ``beta``."""
        out = super().tidy(alpha)
        out["std_error_neyman"] = self.std_errors_neyman.reindex(self.params.index).to_numpy()
        out["beta"] = self.beta.reindex(self.params.index).to_numpy()
        return out

    def fisher_test(self, term: str | None = None, *, n_permutations: int = 500, vcov: Vcov | None = None,
                    rng: RNG = None) -> RandomizationTest:
        """Fisher randomization test of no effect for any unit (Roth & Sant'Anna 2023, Section 5).

        Adoption dates are permuted across units (keeping the cohort sizes) and the
        estimator is recomputed, ``beta`` included; the statistic is the estimate divided by
        its standard error (``vcov``: the result's own by default), so the test is exact for
        the sharp null and asymptotically valid for the null of a zero average effect.
        The p-value counts permutations with ``|T_b| >= |T|`` (the tie rule of
        :func:`evalkit.inference.resampling_p_value`; R staggered counts ``>`` only).

        Parameters
        ----------
        term
            The term tested (default: the first).
        n_permutations
            Random permutations drawn.
        vcov
            ``"refined"`` or ``"neyman"`` standard errors in the statistic.
        rng
            Generator or seed (:func:`evalkit.inference.as_generator`).
        """
        if self._sample is None:
            raise EvalkitError(f"{self.model_name}: this result keeps no data for a randomization test")
        terms = list(self.params.index)
        term = terms[0] if term is None else term
        if term not in terms:
            raise EvalkitError(f"term {term!r} is not among the result's terms {terms}")
        if n_permutations < 1:
            raise EvalkitError(f"n_permutations must be a positive integer, got {n_permutations}")
        vcov = self.extra["vcov"] if vcov is None else vcov
        _check_vcov(vcov)
        j = terms.index(term)
        w = [self._weights[j]]
        s = self._sample
        gen = as_generator(rng)

        def statistic(cohort: np.ndarray) -> float:
            moments = cohort_moments(s.y, cohort, len(s.cohorts))
            fit = efficient_fit(moments, w, s.cohorts, s.periods, self._fixed_beta)
            cov = fit.cov if vcov == "refined" else fit.cov_neyman
            se = math.sqrt(cov[0, 0])
            return fit.estimates[0] / se if se > 0 else float("nan")

        observed = statistic(s.cohort)
        draws = np.array([statistic(gen.permutation(s.cohort)) for _ in range(n_permutations)])
        sizes = np.bincount(s.cohort).tolist()
        n_possible = math.factorial(len(s.cohort)) // math.prod(math.factorial(k) for k in sizes)
        return RandomizationTest(
            statistic=observed, p_value=resampling_p_value(observed, draws[np.isfinite(draws)], add_observed=True),
            distribution=read_only(draws), n_units=len(s.cohort), n_treated=len(s.cohort) - sizes[-1],
            n_possible=n_possible, exact=False, alternative="two-sided", term=term,
        )


def _check_vcov(vcov: str) -> None:
    if vcov not in ("refined", "neyman"):
        raise EvalkitError(f"vcov must be 'refined' or 'neyman', got {vcov!r}")


def _sample(data: pd.DataFrame, y: str, time: str, group: str, unit: str) -> _Sample:
    """The balanced panel as an ``(N, T)`` array; singleton cohorts are dropped (warned)."""
    design = build_design(data, y=y, time=time, group=group, unit=unit, panel=True, keep_always_treated=True)
    if not design.balanced:
        counts = np.bincount(design.unit_code, minlength=design.n_units)
        short = np.flatnonzero(counts < len(design.periods))
        raise DesignError(
            f"staggered_efficient needs a balanced panel: {len(short)} of {design.n_units} units in {unit!r} are "
            f"not observed in all {len(design.periods)} periods of {time!r} (e.g. {design.unit_labels[short[:3]].tolist()})"
        )
    periods = design.periods.astype(float)
    if len(periods) > 1 and np.any(np.diff(periods) != 1):
        raise DesignError(f"the periods in {time!r} must be consecutive integers; got {periods.astype(int).tolist()}")
    wide = np.zeros((design.n_units, len(periods)))
    wide[design.unit_code, design.period_code] = design.column(y).astype(float)
    g_unit = np.zeros(design.n_units)
    g_unit[design.unit_code] = design.g
    g_unit = np.where(g_unit == 0, np.inf, g_unit)
    cohorts, cohort, sizes = np.unique(g_unit, return_inverse=True, return_counts=True)
    single = cohorts[sizes == 1]
    if len(single):
        warnings.warn(
            f"cohorts of {group!r} with a single unit are dropped (their outcome covariance is undefined): "
            f"{single.tolist()}", ExcludedRowsWarning, stacklevel=3,
        )
        keep = np.isin(g_unit, single, invert=True)
        wide, g_unit = wide[keep], g_unit[keep]
        cohorts, cohort = np.unique(g_unit, return_inverse=True)
    if len(cohorts) < 2:
        raise DesignError(f"staggered_efficient needs at least two cohorts in {group!r}; got {cohorts.tolist()}")
    return _Sample(wide, cohort.ravel(), cohorts, periods)


def staggered_efficient(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    estimand: str = "simple",
    event_times: Sequence[int] | None = None,
    beta: float | None = None,
    control_group: ControlGroup = "not_yet_treated",
    vcov: Vcov = "refined",
) -> StaggeredEfficientResult:
    """Efficient estimator for staggered rollouts under random timing (Roth & Sant'Anna 2023).

    Parameters
    ----------
    data
        Balanced panel, one row per unit and period; not modified.
    y, time, group, unit
        Outcome, consecutive integer period, first treated period (0 or inf = never
        treated; units treated from the first period on stay in as a cohort) and unit.
    estimand
        ``"simple"``, ``"cohort"``, ``"calendar"`` (one term ``ATT``) or ``"eventstudy"``
        (one term ``event_time::e`` per event time; the default event time is 0).  The
        event study's reference is event time -1, where the efficient estimate is 0 by
        construction (``beta`` makes the pre-period contrast vanish); its SE is NaN.
    event_times
        Event times of ``"eventstudy"`` (negative ones are placebos).
    beta
        ``None``: the plug-in efficient coefficient; ``1``: Callaway & Sant'Anna
        (``control_group="last_treated"``: Sun & Abraham); ``0``: difference in means.
    control_group
        ``"not_yet_treated"`` (cohorts first treated after ``max(g, t)``) or
        ``"last_treated"`` (the last-treated cohort only).
    vcov
        Standard errors reported: ``"refined"`` (Section 4's ``sigma_**``, R's ``se``) or
        ``"neyman"`` (conservative, R's ``se_neyman``); both are kept.

    Returns
    -------
    StaggeredEfficientResult
        ``.params``, ``.std_errors`` (``.std_errors_neyman``), ``.cov`` (joint over event
        times), ``.beta``, ``.fisher_test()``, and unit-level scores for
        :func:`~evalkit.inference.wild_cluster_bootstrap`.
    """
    check_estimand(estimand, event_times)
    _check_vcov(vcov)
    if control_group not in ("not_yet_treated", "last_treated"):
        raise EvalkitError(f"control_group must be 'not_yet_treated' or 'last_treated', got {control_group!r}")
    sample = _sample(data, y, time, group, unit)
    moments = cohort_moments(sample.y, sample.cohort, len(sample.cohorts))
    last = control_group == "last_treated"
    if estimand == "eventstudy":
        times = [0] if event_times is None else [int(e) for e in event_times]
        terms = [event_term(e) for e in times]
        weights = [estimand_weights(estimand, sample.cohorts, sample.periods, moments.sizes, event_time=e,
                                    last_treated=last) for e in times]
        event = pd.Series(np.asarray(times, dtype=float), index=terms)
    else:
        terms = [OVERALL]
        weights = [estimand_weights(estimand, sample.cohorts, sample.periods, moments.sizes, last_treated=last)]
        event = pd.Series([np.nan], index=terms)
    fit = efficient_fit(moments, weights, sample.cohorts, sample.periods, beta)
    cov = fit.cov if vcov == "refined" else fit.cov_neyman
    se = standard_errors(cov)
    name = {None: "Efficient staggered estimator", 1.0: "Callaway-Sant'Anna (staggered, beta=1)",
            0.0: "Difference in means (staggered, beta=0)"}.get(None if beta is None else float(beta),
                                                                  f"Staggered estimator (beta={beta})")
    index = pd.Index(terms)
    return StaggeredEfficientResult(
        params=pd.Series(fit.estimates, index=index),
        std_errors=pd.Series(se, index=index),
        cov=pd.DataFrame(cov, index=index, columns=index),
        nobs=int(sample.y.size),
        cov_type=f"design-based ({vcov})",
        model_name=name,
        extra={"estimand": estimand, "control_group": control_group, "vcov": vcov, "n_units": len(sample.cohort),
               "n_cohorts": len(sample.cohorts), "n_periods": len(sample.periods)},
        event_time=event,
        reference=(-1,) if estimand == "eventstudy" else (),
        scores=_scores(terms, fit.estimates, sample, moments, weights, fit.beta),
        std_errors_neyman=pd.Series(standard_errors(fit.cov_neyman), index=index),
        beta=pd.Series(fit.beta, index=index),
        _sample=sample,
        _weights=tuple(weights),
        _fixed_beta=None if beta is None else float(beta),
    )


def _scores(terms: list[str], estimates: np.ndarray, sample: _Sample, moments: CohortMoments,
            weights: list[EstimandWeights], beta: np.ndarray) -> InfluenceScores:
    """Unit-level influence ``c_g (Y_i - Ybar_g) / N_g`` with ``c = A_theta - beta A_0`` (beta
    held fixed), each unit its own cluster, for the wild (multiplier) bootstrap."""
    sizes = moments.sizes
    centred = sample.y - moments.means[sample.cohort]
    n_i = sizes[sample.cohort]
    influence = np.column_stack([
        np.sum((w.a_theta - b * w.a_zero)[sample.cohort] * centred, axis=1) / n_i for w, b in zip(weights, beta)
    ])
    share = np.column_stack([np.clip(w.a_theta.sum(axis=1), 0, None)[sample.cohort] / n_i for w in weights])
    return influence_scores(terms, estimates, influence, share, None)
