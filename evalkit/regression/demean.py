"""Absorbing fixed effects: weighted within transformation and fixed-effect singletons.

One fixed effect is absorbed exactly (subtract weighted group means), and so are two
unweighted fixed effects whose level pairs each occur once (a balanced panel: subtracting
unit means, then period means, is the exact two-way within transformation).  Two fixed
effects of which one has few levels (periods, regions) are absorbed exactly by solving
their normal equations with the other eliminated (:func:`_two_way_within`).  Otherwise several are absorbed
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


#: The exact two-way solve (:func:`_two_way_within`) is used when the smaller fixed effect
#: has at most this many levels and the cross-tabulation of the two at most ``_MAX_CELLS``.
_MAX_SMALL_LEVELS = 200
_MAX_CELLS = 5_000_000
#: Above this condition number of the reduced normal matrix the exact solve could lose more
#: digits than the alternating projections' tolerance: they are used instead.
_MAX_CONDITION = 1e6


def _two_way_within(out: np.ndarray, projections: list, w: np.ndarray) -> bool:
    """The exact weighted two-way within transformation of ``out`` in place, from the
    normal equations with the larger fixed effect eliminated; ``False`` (``out``
    untouched) when the smaller one has too many levels or the reduced system is
    singular or ill-conditioned (disconnected levels), for the alternating projections.

    With ``a`` a column, ``alpha`` and ``lambda`` the effects of the larger and smaller
    fixed effect, ``W_1``, ``W_2`` their levels' summed weights and ``C`` the weights
    cross-tabulated by level pair, the normal equations ``W_1 alpha + C lambda = r_1``,
    ``C' alpha + W_2 lambda = r_2`` (``r`` the weighted sums of ``a`` by level) reduce to
    ``(W_2 - C' W_1^{-1} C) lambda = r_2 - C' W_1^{-1} r_1`` with ``lambda_0 = 0`` (the
    matrix has the constant in its null space when the levels are connected); then
    ``alpha = W_1^{-1} (r_1 - C lambda)`` and ``a - alpha - lambda`` is the residual of the
    regression on both sets of dummies (Gaure 2013, sec. 2).
    """
    (c1, ind1, w1), (c2, ind2, w2) = sorted(projections, key=lambda p: -len(p[2]))
    g1, g2 = len(w1), len(w2)
    if g2 > _MAX_SMALL_LEVELS or g1 * g2 > _MAX_CELLS:
        return False
    cross = np.bincount(c1 * g2 + c2, weights=w, minlength=g1 * g2).reshape(g1, g2)
    reduced = np.diag(w2) - cross.T @ (cross / w1[:, None])
    reduced = reduced[1:, 1:]
    if g2 > 1:
        scale = np.sqrt(np.diag(reduced))
        if not np.all(scale > 0) or np.linalg.cond(reduced / np.outer(scale, scale)) > _MAX_CONDITION:
            return False
    r1, r2 = ind1 @ out, ind2 @ out
    lam = np.zeros((g2, out.shape[1]))
    if g2 > 1:
        rhs = r2 - cross.T @ (r1 / w1[:, None])
        lam[1:] = np.linalg.solve(reduced, rhs[1:])
    alpha = (r1 - cross @ lam) / w1[:, None]
    out -= alpha[c1]
    out -= lam[c2]
    return True


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
    if len(projections) == 2 and _two_way_within(out, projections, w):
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
