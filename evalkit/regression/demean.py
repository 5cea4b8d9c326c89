"""Absorbing fixed effects: weighted within transformation and fixed-effect singletons.

One fixed effect is absorbed exactly (subtract weighted group means).  Several are absorbed
by the method of alternating projections (Guimaraes & Portugal 2010; Gaure 2013): sweep
over the fixed effects, subtracting weighted group means, until the largest mean removed in
a full sweep is below ``tol`` (relative to the column's scale).  By the Frisch-Waugh-Lovell
theorem, least squares on the demeaned variables gives the coefficients and residuals of
the regression with one dummy per fixed-effect level.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from evalkit.errors import DesignError

__all__ = ["demean", "fe_codes", "singleton_mask"]


def fe_codes(fe: np.ndarray) -> np.ndarray:
    """Fixed-effect labels (n,) or (n, m) -> integer codes 0..G_j-1 per column, shape (n, m)."""
    arr = np.asarray(fe)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"fixed effects must have shape (n,) or (n, m), got {np.asarray(fe).shape}")
    return np.column_stack([np.unique(arr[:, j], return_inverse=True)[1].ravel() for j in range(arr.shape[1])])


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
        indicator = sparse.csr_matrix((w, (c, np.arange(n))), shape=(G, n))
        projections.append((c, indicator, np.bincount(c, weights=w, minlength=G)))
    scale = tol * (1.0 + np.abs(out).max(axis=0, initial=0.0))
    for _ in range(maxiter):
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
