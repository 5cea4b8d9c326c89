"""Conditional and conditional-least-favorable hybrid tests of moment inequalities with
nuisance parameters (Andrews, Roth & Pakes 2023), inverted over a grid of ``theta``.

For a polyhedron ``{delta : A delta <= d}`` and ``theta = l'tau_post``, the null
``theta = theta0`` says that for some nuisance ``gamma``

    Y(theta0) - X gamma <= 0 in expectation,   Y(theta0) = A beta_hat - d - a theta0,

with ``a`` and ``X`` the columns of ``A_post Gamma^{-1}`` (``Gamma`` an invertible matrix with
first row ``l'``).  The statistic is the linear program

    eta = min_{eta, gamma} eta  s.t.  Y - X gamma <= eta * sigma_Y,

whose dual is ``max_g g'Y`` over the polytope ``P = {g >= 0 : sigma_Y'g = 1, X'g = 0}``.
``P`` does not depend on ``theta0``, so its vertices are enumerated once and ``eta`` is the
largest vertex value at every grid point.  Conditional on the optimal vertex ``g*`` (ARP
2023, sec. 3 and app. D), ``eta`` is normal with variance ``g*'Sigma_Y g*`` truncated to
``[v_lo, v_up]``: with ``rho_k = g_k'Sigma_Y g* / g*'Sigma_Y g*`` and ``s_k = g_k'Y -
rho_k eta``, ``v_lo = max_{rho_k < 1} s_k / (1 - rho_k)``, ``v_up = min_{rho_k > 1} s_k /
(1 - rho_k)``.  The conditional test rejects when ``eta / sigma_B`` exceeds ``max(0, c)``,
``c`` the ``1 - alpha`` quantile of the standard normal truncated to
``[v_lo, v_up] / sigma_B``.  The hybrid with the least-favorable test (``"C-LF"``) first
rejects when ``eta`` exceeds ``c_LF``, the ``1 - kappa`` quantile of ``eta`` under
``Y ~ N(0, Sigma_Y)`` (simulated), then runs the conditional test at level
``(alpha - kappa) / (1 - kappa)`` with ``v_up`` capped at ``c_LF`` (ARP 2023, sec. 4).

The hybrid with the FLCI (``"C-F"``, the R package's default under smoothness with a sign
or monotonicity restriction; RR 2023, sec. 5.3) first rejects ``theta`` outside the FLCI
``v'beta_hat +- h`` of level ``kappa`` under ``Delta^SD(M)``, then runs the conditional test
at level ``(alpha - kappa) / (1 - kappa)`` conditioning also on that first stage: with
``T = v'beta_hat - theta``, ``c = Cov(T, eta) / Var(eta)`` and ``r = T - c eta`` (independent
of ``eta``), ``|T| <= h`` bounds ``eta`` by ``(+-h - r) / c``, which tightens ``[v_lo, v_up]``.

Following the HonestDiD R package (``postPeriodMomentsOnly = TRUE``), only the moments that
involve post-period coefficients enter the test (``post_moments_only``); the package keeps
every moment under smoothness with a single post period, and so does
:func:`evalkit.sensitivity.honest_did.honest_did_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import combinations
from math import comb

import numpy as np

from evalkit.errors import DesignError
from evalkit.results.distributions import quantile, survival
from evalkit.sensitivity.flci import FLCI
from evalkit.sensitivity.restrictions import Polyhedron

__all__ = ["ConditionalTest", "MAX_BASES", "conditional_accept"]

MAX_BASES = 2_000_000
_TOL = 1e-10


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix with first row ``l'``, completed by unit vectors (a copy of the one made per ``l'``)."""
    return _gamma_of(tuple(np.asarray(l_vec, dtype=float).tolist())).copy()


@lru_cache(maxsize=64)
def _gamma_of(l_vec: tuple[float, ...]) -> np.ndarray:
    rows = [np.array(l_vec)]
    for j in range(len(l_vec)):
        e = np.zeros(len(l_vec))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([*rows, e])) > len(rows):
            rows.append(e)
    return np.vstack(rows)


def _dual_vertices(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0 : sd'g = 1, X'g = 0}`` (rows); empty when the polytope is.

    A vertex is the solution ``g_b`` of ``[sd, X]_b' g_b = e_1`` on a basis ``b`` of rows with
    ``g_b >= 0``.  For ``sd > 0`` these bases are those of the extreme rays of the cone
    ``{g >= 0 : X'g = 0}``, whatever ``sd``; they are found once per ``X``
    (:func:`_candidate_bases`, shared by every ``Mbar`` and piece with the same post-period
    moments) and the vertices are solved on them for this ``sd``.
    """
    m = len(sd)
    if X.shape[1]:
        X = _column_basis(np.asarray(X, dtype=float).tobytes(), X.shape)
    W = np.column_stack([sd, X])
    r = W.shape[1]
    if np.linalg.matrix_rank(W) < r:
        return np.empty((0, m))
    n_bases = comb(m, r)
    if n_bases > MAX_BASES:
        raise DesignError(
            f"the conditional test would enumerate {n_bases} bases of {m} moments; use fewer post periods "
            f"(at most about {r - 1} nuisance directions with {m} moments are feasible) or ci_method='FLCI'"
        )
    idx = _candidate_bases(X.tobytes(), X.shape)
    return _vertices_on(W, idx)


@lru_cache(maxsize=64)
def _column_basis(x_bytes: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Orthonormal basis of the column space of ``X`` (left singular vectors above ``1e-10``
    of the largest singular value), found once per ``X``: every piece and ``Mbar`` with the
    same post-period moments has the same ``X`` (read-only)."""
    u, sv, _ = np.linalg.svd(np.frombuffer(x_bytes).reshape(shape), full_matrices=False)
    basis = u[:, sv > 1e-10 * max(sv.max(), 1.0)]
    basis.setflags(write=False)
    return basis


def _vertices_on(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The distinct ``g_b`` (rounded to 12 decimals) of the nonsingular bases ``idx`` of ``W`` with ``g_b >= 0``."""
    m, r = W.shape
    Wb = W[idx]  # (n, r, r): rows of the basis
    det = np.linalg.det(Wb)
    ok = np.abs(det) > 1e-12
    idx, Wb = idx[ok], Wb[ok]
    e1 = np.zeros(r)
    e1[0] = 1.0
    g_b = np.linalg.solve(np.transpose(Wb, (0, 2, 1)), np.broadcast_to(e1, (len(Wb), r))[..., None])[..., 0]
    feasible = (g_b >= -1e-10).all(axis=1)
    G = np.zeros((int(feasible.sum()), m))
    rows = np.repeat(np.arange(len(G)), r)
    G[rows, idx[feasible].ravel()] = np.clip(g_b[feasible], 0.0, None).ravel()
    return _unique_rows(np.round(G, 12))


@lru_cache(maxsize=64)
def _candidate_bases(x_bytes: bytes, shape: tuple[int, int]) -> np.ndarray:
    """One basis (row of indices) per extreme ray of ``{g >= 0 : X'g = 0}``, in lexicographic order.

    On a basis ``b`` of ``r = k + 1`` rows (``X`` has ``k`` columns) the ray is the null
    vector ``n_b`` of ``X_b'`` (the last right singular vector); the basis is a candidate
    when ``X_b`` has rank ``k`` (smallest singular value above ``1e-15``) and ``n_b`` has
    one sign (``>= -1e-6 max|n_b|``).  For any ``sd > 0`` the vertex of such a basis is
    ``n_b / sd'n_b``, so bases with the same ray (a degenerate vertex) give the same vertex;
    of those the best conditioned (largest smallest singular value) is kept, and the exact
    tests of :func:`_vertices_on` are applied to it per ``sd``.
    """
    X = np.frombuffer(x_bytes).reshape(shape)
    m, k = shape
    idx = _bases(m, k + 1)
    if k == 0:
        return idx
    _, sv, vt = np.linalg.svd(np.transpose(X[idx], (0, 2, 1)), full_matrices=True)  # (n, k, k + 1)
    ray = vt[:, -1, :]
    ray = ray * np.where(ray.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    keep = (sv.min(axis=1) > 1e-15) & (ray >= -1e-6 * np.abs(ray).max(axis=1, keepdims=True)).all(axis=1)
    idx, conditioning = idx[keep], sv.min(axis=1)[keep]
    full = np.zeros((len(idx), m))
    full[np.repeat(np.arange(len(idx)), k + 1), idx.ravel()] = np.clip(ray[keep], 0.0, None).ravel()
    full = np.round(full / full.sum(axis=1, keepdims=True), 9)
    order = np.lexsort((-conditioning, *full.T[::-1]))  # same ray together, best conditioned first
    first = np.ones(len(order), dtype=bool)
    first[1:] = (full[order][1:] != full[order][:-1]).any(axis=1)
    out = np.ascontiguousarray(idx[np.sort(order[first])])
    out.setflags(write=False)
    return out


@lru_cache(maxsize=32)
def _bases(m: int, r: int) -> np.ndarray:
    """Every ``r``-subset of ``range(m)`` in lexicographic order (rows; read-only, made once per size)."""
    idx = np.array(list(combinations(range(m), r)), dtype=int).reshape(-1, r)
    idx.setflags(write=False)
    return idx


def _unique_rows(G: np.ndarray) -> np.ndarray:
    """The distinct rows of ``G`` in lexicographic order: ``np.unique(G, axis=0)`` by a stable lexsort."""
    if len(G) < 2:
        return G
    order = np.lexsort(G.T[::-1])
    S = G[order]
    keep = np.ones(len(S), dtype=bool)
    keep[1:] = (S[1:] != S[:-1]).any(axis=1)
    return S[keep]


@dataclass(frozen=True)
class ConditionalTest:
    """ARP conditional test, or its C-LF (``lf_cv``) or C-F (``flci``) hybrid, for one polyhedron.

    Build it with :meth:`build`; :meth:`accepts` tests a grid of ``theta`` values.
    """

    y0: np.ndarray
    a: np.ndarray
    sigma_y: np.ndarray
    vertices: np.ndarray
    alpha: float
    lf_cv: float | None
    kappa: float
    flci: tuple[float, float, np.ndarray] | None = None  # v'beta_hat, h, Cov(A beta_hat, v'beta_hat)

    @classmethod
    def build(
        cls,
        piece: Polyhedron,
        betahat: np.ndarray,
        sigma: np.ndarray,
        num_pre: int,
        l_vec: np.ndarray,
        *,
        alpha: float,
        hybrid: bool,
        kappa: float,
        n_sims: int,
        rng: np.random.Generator,
        flci: FLCI | None = None,
        post_moments_only: bool = True,
    ) -> "ConditionalTest":
        """Moments of ``piece`` at ``betahat`` (only those with a post-period coefficient when
        ``post_moments_only``); the LF critical value is simulated with ``rng``; ``flci`` (the
        FLCI of level ``kappa``) makes it the C-F hybrid."""
        A, d = piece.A, piece.d
        if post_moments_only:
            keep = np.abs(A[:, num_pre:]).sum(axis=1) > 0
            A, d = A[keep], d[keep]
        agi = A[:, num_pre:] @ np.linalg.inv(_gamma_matrix(l_vec))
        sigma_y = A @ sigma @ A.T
        sd = np.sqrt(np.clip(np.diag(sigma_y), 0.0, None))
        if (sd <= _TOL).any():
            raise DesignError("a moment of the restriction has zero variance: the covariance of the estimates is singular")
        vertices = _dual_vertices(sd, agi[:, 1:])
        lf_cv = None
        if hybrid and len(vertices):
            draws = rng.multivariate_normal(np.zeros(len(sd)), sigma_y, size=n_sims, method="eigh")
            # the largest vertex value per draw, taken column by column (np.max along the short
            # last axis is several times slower)
            lf_cv = float(np.quantile(reduce(np.maximum, (draws @ vertices.T).T), 1 - kappa))
        flci_part = None
        if flci is not None:
            flci_part = (float(flci.weights @ betahat), flci.half_length, A @ sigma @ flci.weights)
        return cls(y0=A @ betahat - d, a=agi[:, 0], sigma_y=sigma_y, vertices=vertices, alpha=alpha,
                   lf_cv=lf_cv, kappa=kappa, flci=flci_part)

    def accepts(self, thetas: np.ndarray) -> np.ndarray:
        """Boolean array: ``theta`` is not rejected."""
        thetas = np.asarray(thetas, dtype=float)
        if not len(self.vertices):  # eta = -inf: the moments can be made arbitrarily slack
            return np.ones(len(thetas), dtype=bool)
        G = self.vertices
        Y = self.y0[:, None] - self.a[:, None] * thetas[None, :]  # (m, n_theta)
        values = G @ Y  # (n_vert, n_theta)
        best = values.argmax(axis=0)
        eta = values[best, np.arange(len(thetas))]
        g_star = G[best]  # (n_theta, m)
        sig_g = g_star @ self.sigma_y  # (n_theta, m)
        var_b = np.einsum("ij,ij->i", sig_g, g_star)
        sigma_b = np.sqrt(np.clip(var_b, 0.0, None))
        rho = (G @ sig_g.T) / np.where(var_b > 0, var_b, 1.0)  # (n_vert, n_theta)
        s = values - rho * eta
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = s / (1.0 - rho)
        v_lo = np.where(rho < 1 - 1e-9, bound, -np.inf).max(axis=0)
        v_up = np.where(rho > 1 + 1e-9, bound, np.inf).min(axis=0)
        size = self.alpha
        if self.lf_cv is not None:
            size = (self.alpha - self.kappa) / (1 - self.kappa)
            v_up = np.minimum(v_up, self.lf_cv)
        if self.flci is not None:
            size = (self.alpha - self.kappa) / (1 - self.kappa)
            est, h, cov_v = self.flci
            t_stat = est - thetas
            c = (g_star @ cov_v) / np.where(var_b > 0, var_b, 1.0)
            r = t_stat - c * eta
            with np.errstate(divide="ignore", invalid="ignore"):
                first, second = (h - r) / c, -(h + r) / c
            v_up = np.minimum(v_up, np.where(c > 1e-14, first, np.where(c < -1e-14, second, np.inf)))
            v_lo = np.maximum(v_lo, np.where(c > 1e-14, second, np.where(c < -1e-14, first, -np.inf)))
        accept = np.ones(len(thetas), dtype=bool)
        degenerate = sigma_b < _TOL
        accept[degenerate] = eta[degenerate] <= 0
        ok = ~degenerate
        z = eta[ok] / sigma_b[ok]
        z_lo, z_up = v_lo[ok] / sigma_b[ok], v_up[ok] / sigma_b[ok]
        inside = (z_lo <= z + 1e-12) & (z <= z_up + 1e-12)
        crit = np.full(len(z), np.inf)
        crit[inside] = np.maximum(0.0, _truncnorm_quantile(1 - size, z_lo[inside], np.maximum(z_up[inside], z_lo[inside])))
        accept[ok] = ~inside | (z <= crit)
        if self.lf_cv is not None:
            accept &= eta <= self.lf_cv
        if self.flci is not None:
            accept &= np.abs(self.flci[0] - thetas) <= self.flci[1]
        return accept


def _truncnorm_quantile(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``p`` quantile of the standard normal truncated to ``[lo, hi]`` (tail-stable)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    out = np.empty(lo.shape)
    upper = lo > 0  # work with survival functions in the upper tail
    sf_lo, sf_hi = survival(lo[upper]), survival(hi[upper])
    out[upper] = -quantile(sf_lo - p * (sf_lo - sf_hi))  # the inverse survival function
    cdf_lo, cdf_hi = survival(-lo[~upper]), survival(-hi[~upper])
    out[~upper] = quantile(cdf_lo + p * (cdf_hi - cdf_lo))
    return out


def conditional_accept(
    pieces: list[Polyhedron],
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    l_vec: np.ndarray,
    grid: np.ndarray,
    *,
    alpha: float,
    hybrid: bool,
    n_sims: int,
    rng: np.random.Generator,
    flci: FLCI | None = None,
    post_moments_only: bool = True,
) -> np.ndarray:
    """Grid points of ``theta`` accepted for at least one piece of the union (C-LF when
    ``hybrid``, C-F when ``flci`` is the FLCI of level ``alpha / 10``; ``post_moments_only``
    as in :meth:`ConditionalTest.build`)."""
    accept = np.zeros(len(grid), dtype=bool)
    for piece in pieces:
        test = ConditionalTest.build(piece, betahat, sigma, num_pre, l_vec, alpha=alpha, hybrid=hybrid,
                                     kappa=alpha / 10, n_sims=n_sims, rng=rng, flci=flci,
                                     post_moments_only=post_moments_only)
        accept |= test.accepts(grid)
    return accept
