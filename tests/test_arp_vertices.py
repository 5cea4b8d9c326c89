"""The conditional test's dual vertices: one basis per ray, found once per moment matrix.

:func:`evalkit.sensitivity.arp._dual_vertices` solves the vertices only on one basis per
extreme ray of the cone, found once per ``X`` and shared by every ``Mbar`` and piece; the
vertices must be those of solving every basis of ``[sd, X]`` (the enumeration it replaced)
to 1e-12, that enumeration's near-copies of a degenerate vertex (bases of the same ray that
round differently) aside, and the tests must accept the same ``theta``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit.sensitivity.arp as arp
from evalkit.sensitivity import honest_did_arrays
from evalkit.sensitivity.arp import _bases, _dual_vertices, _gamma_matrix, _vertices_on
from evalkit.sensitivity.restrictions import restriction_pieces


def _full_enumeration(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    if X.shape[1]:
        u, sv, _ = np.linalg.svd(X, full_matrices=False)
        X = u[:, sv > 1e-10 * max(sv.max(), 1.0)]
    W = np.column_stack([sd, X])
    return _vertices_on(W, _bases(len(sd), W.shape[1]))


def _assert_same_vertices(new: np.ndarray, old: np.ndarray) -> None:
    """Every vertex of one set is within 1e-12 (relative to its size) of one of the other."""
    assert len(new) <= len(old) and (len(new) == 0) == (len(old) == 0)
    for a, b in ((new, old), (old, new)):
        for row in a:
            gap = np.abs(b - row).max(axis=1).min()
            assert gap <= 1e-12 * max(1.0, np.abs(row).max()), gap


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
                _assert_same_vertices(new, _full_enumeration(sd, X))
                n_vertices += len(new)
    assert n_vertices > 0


def test_random_moments_and_no_nuisance():
    rng = np.random.default_rng(3)
    for m, k in [(6, 0), (8, 2), (10, 3), (9, 4)]:
        X = rng.normal(size=(m, k))
        X[: m // 2] = np.abs(X[: m // 2])  # some cones with rays, some without
        sd = rng.uniform(0.01, 5.0, size=m)
        _assert_same_vertices(_dual_vertices(sd, X), _full_enumeration(sd, X))


@pytest.mark.parametrize("scale", [1e-3, 1.0])
@pytest.mark.parametrize(("method", "ci_method"), [("relative_magnitudes", "C-LF"), ("smoothness", "conditional"),
                                                   ("smoothness_relative_magnitudes", "C-LF")])
def test_confidence_sets_equal_those_of_full_enumeration(monkeypatch, method, ci_method, scale):
    rng = np.random.default_rng(11)
    n = 7
    L = rng.normal(size=(n, n))
    sigma = scale**2 * (L @ L.T / n + 0.3 * np.eye(n))
    betahat = scale * rng.normal(size=n)
    kwargs = dict(method=method, ci_method=ci_method, target="average", grid_points=400, rng=5)
    new = honest_did_arrays(betahat, sigma, 4, 3, **kwargs).tidy()
    monkeypatch.setattr(arp, "_dual_vertices", _full_enumeration)
    old = honest_did_arrays(betahat, sigma, 4, 3, **kwargs).tidy()
    pd.testing.assert_frame_equal(new, old, check_exact=True)
