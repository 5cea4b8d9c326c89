"""Binary draws whose number of ones per cell is the systematic rounding of the expected number.

Used by the synthetic panels that must reproduce published regressions on the simulated
sample (the FUI register panel and the NEET population): when the outcome of every cell of
identical regressors has exactly its expected number of ones (up to one), the sample
moments ``X'y`` equal ``X'p`` up to rounding, so least squares or a logit fitted on the
sample lands on the calibrated coefficients.  Systematic rounding of the running sum
(one uniform offset) keeps every run of consecutive cells within one of its expected
total as well.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["stratified_ones"]


def stratified_ones(
    p: np.ndarray, u: np.ndarray, cells: list[np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """Binary draws with exactly the cells' systematically rounded sums of ``p`` as ones.

    ``cells`` are integer keys, most significant first.  Within a cell the ones go to the
    lowest ``Phi^-1(u) - Phi^-1(p)`` (the lowest ``u`` where ``p`` is constant): persons
    with ``p = 1`` first, never one with ``p = 0``.  This is the draw ``1{z < Phi^-1(p) + c}``
    with one threshold shift ``c`` per cell, so ``p`` may vary within a cell.
    """
    with np.errstate(invalid="ignore"):
        score = ndtri(u) - ndtri(np.clip(p, 0.0, 1.0))
    score = np.where(p <= 0, np.inf, np.where(p >= 1, -np.inf, score))
    order = np.lexsort((score, *reversed(cells)))
    keys = np.column_stack([c[order] for c in cells])
    change = np.ones(len(order), dtype=bool)
    change[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    starts = np.flatnonzero(change)
    cell_of = np.cumsum(change) - 1
    totals = np.add.reduceat(p[order], starts)
    upper = np.cumsum(totals)
    offset = rng.random()
    ones = np.floor(upper + offset) - np.floor(upper - totals + offset)
    rank = np.arange(len(order)) - starts[cell_of]
    out = np.empty(len(order), dtype=bool)
    out[order] = rank < ones[cell_of]
    return out
