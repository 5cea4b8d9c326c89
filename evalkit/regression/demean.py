"""Absorbing fixed effects: weighted within transformation and fixed-effect singletons.

One fixed effect is absorbed exactly (subtract weighted group means), and so are two
unweighted fixed effects whose level pairs each occur once (a balanced panel: subtracting
unit means, then period means, is the exact two-way within transformation).  Otherwise several are absorbed
by the method of alternating projections (Guimaraes & Portugal 2010; Gaure 2013): sweep
over the fixed effects, subtracting weighted group means, until the largest mean removed in
a full sweep is below ``tol`` (relative to the column's scale).  By the Frisch-Waugh-Lovell
theorem, least squares on the demeaned variables gives the coefficients and residuals of
the regression with one dummy per fixed-effect level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.inference.clusters import indicator as group_indicator
from evalkit.progress import progress

__all__ = ["demean", "dense_codes", "fe_codes", "singleton_mask"]


def fe_codes(fe: np.ndarray) -> np.ndarray:
    """Fixed-effect labels (n,) or (n, m) -> integer codes 0..G_j-1 per column, shape (n, m)."""
    arr = np.asarray(fe)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"fixed effects must have shape (n,) or (n, m), got {np.asarray(fe).shape}")
    return np.column_stack([dense_codes(arr[:, j]) for j in range(arr.shape[1])])


def dense_codes(labels: np.ndarray) -> np.ndarray:
    """Integer codes 0..G-1 of ``labels`` in sorted label order (as ``np.unique``'s inverse).

    Hash-based (``pandas.factorize``), so only the distinct labels are sorted: several
    times faster than ``np.unique`` on millions of rows; integer labels that are already
    ``0..G-1`` are returned as they are.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind in "iu" and arr.size and arr.min() == 0 and np.bincount(arr).all():
        return arr.astype(np.intp, copy=False)
    return pd.factorize(arr, sort=True)[0].astype(np.intp, copy=False)


def singleton_mask(codes: np.ndarray) -> np.ndarray:
    """Rows that are NOT fixed-effect singletons, found iteratively as fixest does.

    A singleton is a row alone in its level of some fixed effect; it is fitted perfectly and
    carries no information on the coefficients, but would inflate the degrees of freedom.
    Dropping one singleton can create another, so the search repeats until none is left.
    """
    keep = np.ones(codes.shape[0], dtype=bool)
    while True:
        single = np.zeros_like(keep)
        for j in range(codes.shape[1]):
            counts = np.bincount(codes[keep, j], minlength=int(codes[:, j].max()) + 1)
            single[keep] |= counts[codes[keep, j]] == 1
        if not single.any():
            return keep
        keep &= ~single


def _balanced_pair(codes: np.ndarray) -> bool:
    """Two fixed effects whose level pairs each occur exactly once (a balanced panel)."""
    if codes.shape[1] != 2:
        return False
    g1, g2 = int(codes[:, 0].max()) + 1, int(codes[:, 1].max()) + 1
    if codes.shape[0] != g1 * g2:
        return False
    return bool(np.bincount(codes[:, 0] * g2 + codes[:, 1], minlength=g1 * g2).min() == 1)


def demean(
    A: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    maxiter: int = 10_000,
) -> np.ndarray:
    """Subtract weighted fixed-effect means from the columns of ``A`` (a new array).

    Parameters
    ----------
    A
        Array (n,) or (n, p) of variables to demean.
    codes
        Integer fixed-effect codes 0..G_j-1, shape (n, m); see :func:`fe_codes`.
    weights
        Analytic weights (n,); weighted means ``sum_g w a / sum_g w``.
    tol
        Convergence tolerance of the alternating projections, relative to ``1 + max|a|``
        of each column.
    maxiter
        Maximum number of sweeps over the fixed effects.

    Raises
    ------
    DesignError
        When the alternating projections do not converge within ``maxiter`` sweeps.
    """
    out = np.array(A, dtype=float, copy=True)
    vector = out.ndim == 1
    if vector:
        out = out[:, None]
    n = out.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    projections = []
    for j in range(codes.shape[1]):
        c = codes[:, j]
        G = int(c.max()) + 1
        projections.append((c, group_indicator(c, G, weights=w), np.bincount(c, weights=w, minlength=G)))
    if weights is None and _balanced_pair(codes):
        # every pair of levels once: one sweep is the exact two-way within transformation
        for c, indicator, wsum in projections:
            out -= ((indicator @ out) / wsum[:, None])[c]
        return out[:, 0] if vector else out
    scale = tol * (1.0 + np.abs(out).max(axis=0, initial=0.0))
    for _ in progress(range(maxiter), "alternating projections (sweeps, at most)"):
        largest = np.zeros(out.shape[1])
        for c, indicator, wsum in projections:
            means = (indicator @ out) / wsum[:, None]
            out -= means[c]
            largest = np.maximum(largest, np.abs(means).max(axis=0))
        if len(projections) == 1 or np.all(largest <= scale):
            return out[:, 0] if vector else out
    raise DesignError(
        f"absorbing {codes.shape[1]} fixed effects did not converge in {maxiter} sweeps "
        f"(largest remaining mean {largest.max():.3g}); the fixed effects may be poorly connected"
    )
