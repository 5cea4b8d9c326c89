"""Integer counts of long-term NEET per cell whose sample moments match the calibration.

Systematic rounding (:func:`evalkit.simulate.stratified_ones`) leaves each cell within one
of its expected count, but with thousands of small cells the errors add up in the score
of the logit (``sum_c x_c (k_c - n_c p_c)``) to a few hundredths in the coefficients at
the default scale.  :func:`match_moments` then moves single cells by one (staying within
one of their expectation, bounds ``0..n_c``), greedily, while that lowers

    || I1^-1 S1 ||^2 / tol_coef^2 + || I3^-1 S3 ||^2 / tol_coef^2 + || e_g / N_g ||^2 / tol_share^2,

with ``S1``, ``S3`` the count errors of the model 1 and model 3 scores (``I`` their
information at the calibrated probabilities: the coefficient errors to first order) and
``e_g / N_g`` the share errors of the area x gender x immigrant groups.
"""

from __future__ import annotations

import numpy as np

#: Tolerances of the objective: coefficients and group shares.
TOL_COEF, TOL_SHARE = 0.002, 0.0002


def match_moments(
    ones: np.ndarray,
    expected: np.ndarray,
    size: np.ndarray,
    scores: list[tuple[np.ndarray, np.ndarray]],
    groups: np.ndarray,
    *,
    max_steps: int = 5000,
) -> np.ndarray:
    """Adjusted ones per cell.

    Parameters
    ----------
    ones, expected, size
        Per cell: the rounded count, the expected count ``n_c p_c`` and ``n_c``.
    scores
        Per model: the cells' regressor rows (``cells x k``, zero rows for cells outside
        the model's sample) and the information matrix (``k x k``).
    groups
        Group code of each cell (shares are matched per group).
    """
    blocks, weights = [], []
    for X, info in scores:
        inv = np.linalg.inv(info)
        blocks.append(X)
        weights.append(inv @ inv / TOL_COEF**2)
    n_groups = int(groups.max()) + 1
    G = np.zeros((len(ones), n_groups))
    G[np.arange(len(ones)), groups] = 1.0
    group_size = np.bincount(groups, weights=size, minlength=n_groups)
    blocks.append(G)
    weights.append(np.diag(1.0 / (group_size**2 * TOL_SHARE**2)))
    A = np.hstack(blocks)
    W = np.zeros((A.shape[1], A.shape[1]))
    at = 0
    for w in weights:
        W[at : at + len(w), at : at + len(w)] = w
        at += len(w)
    k = ones.astype(float).copy()
    low = np.maximum(np.floor(expected) - 1, 0)
    high = np.minimum(np.ceil(expected) + 1, size)
    E = A.T @ (k - expected)
    AW = A @ W
    self_cost = np.einsum("ij,ij->i", AW, A)
    for _ in range(max_steps):
        lin = 2 * AW @ E
        gain_up = np.where(k + 1 <= high, lin + self_cost, np.inf)
        gain_down = np.where(k - 1 >= low, -lin + self_cost, np.inf)
        up, down = int(np.argmin(gain_up)), int(np.argmin(gain_down))
        if min(gain_up[up], gain_down[down]) >= 0:
            break
        if gain_up[up] <= gain_down[down]:
            k[up] += 1
            E += A[up]
        else:
            k[down] -= 1
            E -= A[down]
    return k.astype(np.int64)
