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

import itertools
import math
from collections.abc import Iterator

import numpy as np

from evalkit.estimators.synthdid_block import Method
from evalkit.estimators.synthdid_cohorts import NEVER, fit_cohorts
from evalkit.inference.pvalues import Alternative, resampling_p_value
from evalkit.results import RandomizationTest

__all__ = ["n_assignments", "randomization_test_arrays"]


def n_assignments(adoption: np.ndarray) -> int:
    """Number of distinct assignments of the cohorts' sizes to the units (a multinomial)."""
    count, left = 1, len(adoption)
    for size in np.unique(adoption[adoption != NEVER], return_counts=True)[1]:
        count *= math.comb(left, int(size))
        left -= int(size)
    return count


def _all_assignments(n: int, starts: np.ndarray, sizes: np.ndarray) -> Iterator[np.ndarray]:
    """Every adoption vector giving ``sizes[k]`` of the ``n`` units the start ``starts[k]``."""
    def fill(free: tuple[int, ...], k: int, current: np.ndarray) -> Iterator[np.ndarray]:
        if k == len(starts):
            yield current.copy()
            return
        for chosen in itertools.combinations(free, int(sizes[k])):
            current[list(chosen)] = starts[k]
            yield from fill(tuple(u for u in free if u not in chosen), k + 1, current)
            current[list(chosen)] = NEVER

    yield from fill(tuple(range(n)), 0, np.full(n, NEVER))


def randomization_test_arrays(Y: np.ndarray, adoption: np.ndarray, method: Method, *, n_perm: int,
                              rng: np.random.Generator, alternative: Alternative = "two-sided",
                              term: str = "ATT") -> RandomizationTest:
    """Randomization test of the ATT over assignments of the adoption dates to units.

    Parameters
    ----------
    Y, adoption
        ``N x T`` outcomes and each row's first treated column (``-1`` never treated).
    method
        The estimator (:mod:`evalkit.estimators.synthdid_block`).
    n_perm
        Random assignments drawn when there are more than ``n_perm`` possible ones;
        otherwise all are enumerated (exact test).
    rng
        Generator of the draws.
    """
    observed = fit_cohorts(Y, adoption, method).att
    starts, sizes = np.unique(adoption[adoption != NEVER], return_counts=True)
    n = len(adoption)
    n_possible = n_assignments(adoption)
    exact = n_possible <= n_perm
    if exact:
        assignments: Iterator[np.ndarray] = _all_assignments(n, starts, sizes)
    else:
        pattern = np.concatenate([np.full(n - int(sizes.sum()), NEVER), np.repeat(starts, sizes)])
        assignments = (pattern[rng.permutation(n)] for _ in range(n_perm))
    dist = np.array([fit_cohorts(Y, a, method).att for a in assignments])
    return RandomizationTest(
        statistic=observed,
        p_value=resampling_p_value(observed, dist, alternative, add_observed=not exact),
        distribution=dist,
        n_units=n,
        n_treated=int(sizes.sum()),
        n_possible=n_possible,
        exact=exact,
        alternative=alternative,
        term=term,
    )
