"""The one tie rule and the p-values of resampling tests (bootstrap, randomization).

A resampled statistic ``T_b`` counts as at least as extreme as the observed ``T`` when
``|T_b| >= |T| - TIE_RTOL * |T|`` (two-sided; ``T_b >= T - tol`` for ``"greater"``,
``T_b <= T + tol`` for ``"less"``).  The relative tolerance makes draws that reproduce
the observed statistic up to rounding (e.g. the identity draw of a wild bootstrap, or
the observed assignment among enumerated ones) count as ties, as they are in exact
arithmetic.

Two ways to turn the count into a p-value (:func:`resampling_p_value`):

* ``count / B`` when the ``B`` draws are the whole reference distribution (all
  assignments or all sign vectors enumerated, the observed one among them) or when they
  estimate a bootstrap distribution (the share of draws; boottest's convention);
* ``(1 + count) / (1 + B)`` for random permutations, which adds the observed assignment
  once and keeps the test exact (Phipson & Smyth 2010).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from evalkit.errors import EvalkitError

__all__ = ["MAX_DOUBLINGS", "TIE_RTOL", "Alternative", "count_extreme", "invert_test", "resampling_p_value"]

Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES = ("two-sided", "greater", "less")

#: Relative tolerance under which a resampled statistic ties with the observed one.
TIE_RTOL = 1e-10
#: Confidence interval ends beyond ``2**MAX_DOUBLINGS`` steps are reported as infinite.
MAX_DOUBLINGS = 30


def count_extreme(observed: float, draws: np.ndarray, alternative: Alternative = "two-sided") -> int:
    """Number of ``draws`` at least as extreme as ``observed`` (NaN draws never count)."""
    draws = np.asarray(draws, dtype=float)
    tol = TIE_RTOL * abs(observed)
    if alternative == "two-sided":
        hits = np.abs(draws) >= abs(observed) - tol
    elif alternative == "greater":
        hits = draws >= observed - tol
    elif alternative == "less":
        hits = draws <= observed + tol
    else:
        raise EvalkitError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    return int(np.count_nonzero(hits))


def resampling_p_value(
    observed: float, draws: np.ndarray, alternative: Alternative = "two-sided", *, add_observed: bool = False
) -> float:
    """p-value of ``observed`` against ``draws`` by the tie rule of this module.

    ``add_observed=False``: ``count / B``; ``True``: ``(1 + count) / (1 + B)`` (random
    permutations).  NaN when the observed statistic is NaN.
    """
    if alternative not in ALTERNATIVES:
        raise EvalkitError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if not np.isfinite(observed):
        return float("nan")
    count = count_extreme(observed, draws, alternative)
    size = np.asarray(draws).size
    return (1 + count) / (1 + size) if add_observed else count / size


def invert_test(p_value: Callable[[float], float], estimate: float, step: float, alpha: float) -> float:
    """End of the confidence set ``{r: p(r) > alpha}`` on the side of ``step``.

    Doubling from ``estimate`` by ``step`` brackets the end, bisection finds it to
    ``1e-9 |step|``.  When ``p(r) > alpha`` still holds ``2**MAX_DOUBLINGS`` steps away the
    end is infinite: with few (treated) clusters some draws reproduce the observed
    statistic for every ``r`` (e.g. ``v = +-1`` in a restricted wild bootstrap), so
    ``p(r)`` never falls below their share.
    """
    inner, outer = estimate, estimate + step
    for _ in range(MAX_DOUBLINGS):
        if p_value(outer) <= alpha:
            break
        inner, outer = outer, estimate + 2 * (outer - estimate)
    else:
        return float(np.copysign(np.inf, step))
    tol = 1e-9 * abs(step)
    while abs(outer - inner) > tol:
        mid = (inner + outer) / 2
        if p_value(mid) > alpha:
            inner = mid
        else:
            outer = mid
    return (inner + outer) / 2
