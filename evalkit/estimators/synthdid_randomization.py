"""Randomization inference for synthetic DiD: the treated units' adoption dates permuted over units.

Under the sharp null of no effect for any unit, every assignment of the observed adoption
dates (``N_a`` units to each cohort ``a``) to the ``N`` units is as likely as the observed
one when adoption was random (Fisher 1935; for synthetic control, the "placebo in space"
test of Abadie, Diamond & Hainmueller 2010).  The estimator, weights refitted with their
default penalties, is recomputed under each assignment; all assignments are enumerated
when there are at most ``n_perm`` of them, otherwise ``n_perm`` are drawn at random and the
observed one is counted in (:func:`evalkit.inference.resampling_p_value`).
"""

from __future__ import annotations

import numpy as np

from evalkit.estimators.synthdid_block import Method
from evalkit.estimators.synthdid_cohorts import NEVER, ControlGroup, fit_cohorts
from evalkit.inference.pvalues import Alternative, resampling_p_value
from evalkit.inference.schedule_randomization import (
    n_schedule_assignments,
    schedule_assignments,
)
from evalkit.results import RandomizationTest

__all__ = ["randomization_test_arrays"]


def randomization_test_arrays(Y: np.ndarray, adoption: np.ndarray, method: Method, *, n_perm: int,
                              rng: np.random.Generator, alternative: Alternative = "two-sided",
                              term: str = "ATT", X: np.ndarray | None = None,
                              control_group: ControlGroup = "never_treated") -> RandomizationTest:
    """Randomization test of the ATT over assignments of the adoption dates to units.

    Parameters
    ----------
    Y, adoption
        ``N x T`` outcomes and each row's first treated column (``-1`` never treated).
    method
        The estimator (:mod:`evalkit.estimators.synthdid_block`).
    X
        ``N x T x K`` time-varying covariates, or ``None``.
    control_group
        The donors of each cohort (:mod:`evalkit.estimators.synthdid_cohorts`).
    n_perm
        Random assignments drawn when there are more than ``n_perm`` possible ones;
        otherwise all are enumerated (exact test); both by
        :func:`evalkit.inference.schedule_randomization.schedule_assignments`, the never
        treated forming one more wave.
    rng
        Generator of the draws.
    """
    observed = fit_cohorts(Y, adoption, method, X, control_group).att
    n_possible = n_schedule_assignments(adoption)
    assignments, exact = schedule_assignments(adoption, max_assignments=n_perm, n_draws=n_perm, rng=rng)
    dist = np.array([fit_cohorts(Y, a, method, X, control_group).att for a in assignments])
    return RandomizationTest(
        statistic=observed,
        p_value=resampling_p_value(observed, dist, alternative, add_observed=not exact),
        distribution=dist,
        n_units=len(adoption),
        n_treated=int((adoption != NEVER).sum()),
        n_possible=n_possible,
        exact=exact,
        alternative=alternative,
        term=term,
    )
