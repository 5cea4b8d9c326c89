"""The conditional test's dual vertices: bases found once per moment matrix equal full enumeration.

:func:`evalkit.sensitivity.arp._dual_vertices` solves the vertices only on the bases of the
cone's extreme rays, found once per ``X`` and shared by every ``Mbar`` and piece; the
vertices must be those of solving every basis of ``[sd, X]`` (the enumeration it replaced),
to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.sensitivity.arp import _bases, _dual_vertices, _gamma_matrix, _vertices_on
from evalkit.sensitivity.restrictions import restriction_pieces


def _full_enumeration(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    if X.shape[1]:
        u, sv, _ = np.linalg.svd(X, full_matrices=False)
        X = u[:, sv > 1e-10 * max(sv.max(), 1.0)]
    W = np.column_stack([sd, X])
    return _vertices_on(W, _bases(len(sd), W.shape[1]))


def _moments(method, num_pre, num_post, m, sigma, l_vec, bias=None):
    for piece in restriction_pieces(method, num_pre, num_post, m, bias=bias):
        A = piece.A[np.abs(piece.A[:, num_pre:]).sum(axis=1) > 0]
        agi = A[:, num_pre:] @ np.linalg.inv(_gamma_matrix(l_vec))
        yield np.sqrt(np.diag(A @ sigma @ A.T)), agi[:, 1:]


@pytest.mark.parametrize(("method", "num_pre", "num_post", "bias"), [
    ("relative_magnitudes", 3, 3, None), ("relative_magnitudes", 4, 2, "positive"),
    ("smoothness_relative_magnitudes", 3, 3, None), ("smoothness", 3, 3, None), ("smoothness", 2, 4, "negative"),
])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_vertices_equal_full_enumeration(method, num_pre, num_post, bias, scale):
    rng = np.random.default_rng(7)
    n = num_pre + num_post
    L = rng.normal(size=(n, n))
    sigma = scale**2 * (L @ L.T / n + 0.2 * np.eye(n))
    n_vertices = 0
    for l_vec in (np.full(num_post, 1 / num_post), np.eye(num_post)[0]):
        for m in (0.0, 0.5, 1.0, 2.0):
            for sd, X in _moments(method, num_pre, num_post, m, sigma, l_vec, bias):
                new = _dual_vertices(sd, X)
                np.testing.assert_array_equal(new, _full_enumeration(sd, X))
                n_vertices += len(new)
    assert n_vertices > 0


def test_random_moments_and_no_nuisance():
    rng = np.random.default_rng(3)
    for m, k in [(6, 0), (8, 2), (10, 3), (9, 4)]:
        X = rng.normal(size=(m, k))
        X[: m // 2] = np.abs(X[: m // 2])  # some cones with rays, some without
        sd = rng.uniform(0.01, 5.0, size=m)
        np.testing.assert_array_equal(_dual_vertices(sd, X), _full_enumeration(sd, X))
