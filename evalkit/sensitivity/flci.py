"""Optimal fixed-length confidence interval (FLCI) under smoothness ``Delta^SD(M)``.

Following Rambachan & Roth (2023, sec. 4.2) after Armstrong & Kolesar (2018), the interval is
``v'beta_hat +- chi`` for an affine estimator with ``v_post = l`` (unbiased for ``l'tau_post``
when ``delta = 0``) and free pre-period weights ``w = v_pre``.  Its worst-case bias over
``Delta^SD(M)`` is finite only when ``v`` is orthogonal to linear trends
(``sum_t t v_t = 0``, ``t`` counted from the reference period); then, because the second
differences ``D2`` determine ``delta`` up to a linear trend, ``v = D2'u`` for a unique
``u`` and the worst-case bias is ``b(w) = M ||u||_1`` (LP duality).  With
``sigma(w) = sqrt(v'Sigma v)`` the half-length is ``chi = sigma * cv_alpha(b / sigma)``,
``cv_alpha(t)`` the ``1 - alpha`` quantile of ``|N(t, 1)|``.  This is convex in ``w`` and is
minimised exactly (SLSQP on the epigraph of the L1 norm) rather than over a grid of
standard deviations as in the R package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.errors import DesignError
from evalkit.results.distributions import ncx2_quantile, upper_quantile
from evalkit.sensitivity.restrictions import second_differences

__all__ = ["FLCI", "cv_alpha", "optimal_flci"]


def cv_alpha(t: float, alpha: float) -> float:
    """``1 - alpha`` quantile of ``|N(t, 1)|``: ``sqrt`` of the noncentral chi-square quantile.

    For ``t > 8`` the lower tail ``P(N(t, 1) < -c)`` is below ``1e-50``, so the quantile is
    ``t + z_{1-alpha}`` to machine precision (and the noncentral quantile is slow there).
    """
    t = abs(float(t))
    if t < 1e-12:
        return float(upper_quantile(alpha / 2))
    if t > 8.0:
        return t + float(upper_quantile(alpha))
    return float(np.sqrt(ncx2_quantile(1 - alpha, 1, t * t)))


@dataclass(frozen=True)
class FLCI:
    """An FLCI: estimate ``v'beta_hat``, half-length, worst-case bias, sd and weights ``v``."""

    estimate: float
    half_length: float
    max_bias: float
    sd: float
    weights: np.ndarray

    @property
    def lower(self) -> float:
        return self.estimate - self.half_length

    @property
    def upper(self) -> float:
        return self.estimate + self.half_length


def optimal_flci(
    betahat: np.ndarray, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray, m: float, *, alpha: float
) -> FLCI:
    """Shortest FLCI of ``l'tau_post`` under ``Delta^SD(m)`` (RR 2023, eq. 4.4)."""
    num_post = len(l_vec)
    t_index = np.r_[np.arange(-num_pre, 0), np.arange(1, num_post + 1)].astype(float)
    D2 = second_differences(num_pre, num_post)  # (T_pre + T_post - 1, T_pre + T_post)
    # v = D2'u  <=>  u = P v for v orthogonal to linear trends
    P = np.linalg.solve(D2 @ D2.T, D2)
    post = np.r_[np.zeros(num_pre), l_vec]

    def v_of(w: np.ndarray) -> np.ndarray:
        return post + np.r_[w, np.zeros(num_post)]

    # minimum-variance w subject to t'v = 0 (the M = 0 solution): a small equality-constrained QP
    S_pp, S_pq = sigma[:num_pre, :num_pre], sigma[:num_pre, num_pre:]
    c_pre, c0 = t_index[:num_pre], float(t_index[num_pre:] @ l_vec)
    kkt = np.block([[2 * S_pp, c_pre[:, None]], [c_pre[None, :], np.zeros((1, 1))]])
    w0 = np.linalg.solve(kkt, np.r_[-2 * S_pq @ l_vec, -c0])[:num_pre]

    def half_length(x: np.ndarray) -> float:
        w, e = x[:num_pre], x[num_pre:]
        v = v_of(w)
        sd = float(np.sqrt(max(v @ sigma @ v, 1e-300)))
        return sd * cv_alpha(m * e.sum() / sd, alpha)

    if m > 0:
        from scipy import optimize  # loaded only where the optimizer runs

        u0 = P @ v_of(w0)
        x0 = np.r_[w0, np.abs(u0)]
        Pw, Pc = P[:, :num_pre], P @ post
        cons = [
            {"type": "eq", "fun": lambda x: np.array([c_pre @ x[:num_pre] + c0])},
            {"type": "ineq", "fun": lambda x: x[num_pre:] - (Pw @ x[:num_pre] + Pc)},
            {"type": "ineq", "fun": lambda x: x[num_pre:] + (Pw @ x[:num_pre] + Pc)},
        ]
        sol = optimize.minimize(half_length, x0, method="SLSQP", constraints=cons,
                                options={"ftol": 1e-14, "maxiter": 1000})
        if not sol.success and half_length(sol.x) > half_length(x0):
            raise DesignError(f"FLCI optimisation failed: {sol.message}")
        x = sol.x if half_length(sol.x) <= half_length(x0) else x0
        w = x[:num_pre]
        bias = m * float(np.abs(Pw @ w + Pc).sum())
    else:
        w, bias = w0, 0.0
    v = v_of(w)
    sd = float(np.sqrt(v @ sigma @ v))
    chi = sd * cv_alpha(bias / sd, alpha)
    return FLCI(estimate=float(v @ betahat), half_length=chi, max_bias=bias, sd=sd, weights=v)
