"""Unit and time weights of synthetic difference-in-differences (Frank-Wolfe on the simplex).

Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021), "Synthetic Difference-in-
Differences", American Economic Review 111(12), 4088-4118, equations (2.2)-(2.5) and
Algorithm 1.  On the collapsed ``(N0 + 1) x (T0 + 1)`` panel (controls x pre periods, with
the treated units averaged into the last row and the post periods into the last column):

- unit weights ``omega`` (on the simplex of the ``N0`` controls) minimise
  ``sum_t (omega0 + omega' Y_co,t - Ybar_tr,t)^2 + zeta_omega^2 T0 ||omega||^2`` over the
  pre periods ``t``, with an intercept ``omega0`` (none for synthetic control);
- time weights ``lambda`` (on the simplex of the ``T0`` pre periods) minimise
  ``sum_i (lambda0 + lambda' Y_i,pre - Ybar_i,post)^2 + zeta_lambda^2 N0 ||lambda||^2``
  over the controls ``i``, with an intercept ``lambda0``.

The intercepts are profiled out by centring the columns of the regression.  Both problems
are solved by Frank-Wolfe with exact line search, first for at most
:data:`ITER_BEFORE_SPARSIFY` steps, then from the sparsified solution (weights at most a
quarter of the largest set to zero) until the penalised loss decreases by less than
``min_decrease^2`` per step; these are the defaults of the reference implementation (R
package ``synthdid``), so the weights agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ITER_BEFORE_SPARSIFY",
    "MAX_ITER",
    "Penalty",
    "collapse",
    "covariate_weights",
    "default_penalty",
    "noise_level",
    "simplex_regression",
    "sparsify",
    "sum_normalize",
]

#: Frank-Wolfe steps before the weights are sparsified.
ITER_BEFORE_SPARSIFY = 100
#: Frank-Wolfe steps at most after sparsifying.
MAX_ITER = 10_000


@dataclass(frozen=True)
class Penalty:
    """Regularisation of the weights of one treated block.

    Attributes
    ----------
    zeta_omega, zeta_lambda
        Ridge penalties of the unit and time weights (``zeta`` of the paper, eq. 2.3).
    min_decrease
        Frank-Wolfe stops when one step lowers the penalised loss by less than
        ``min_decrease ** 2``.
    """

    zeta_omega: float
    zeta_lambda: float
    min_decrease: float


def noise_level(Y_control_pre: np.ndarray) -> float:
    """Standard deviation (``ddof=1``) of all first differences over time of the controls'
    pre-period outcomes: ``sigma-hat`` of the paper, eq. (2.3)."""
    return float(np.std(np.diff(Y_control_pre, axis=1), ddof=1))


def default_penalty(Y: np.ndarray, n_control: int, n_pre: int, method: str) -> Penalty:
    """The paper's penalties for a block with controls in the first ``n_control`` rows and
    pre periods in the first ``n_pre`` columns of ``Y``.

    ``zeta_omega = (N1 T1)^(1/4) sigma`` for SDID (eq. 2.3) and ``1e-6 sigma`` for synthetic
    control; ``zeta_lambda = 1e-6 sigma``; ``min_decrease = 1e-5 sigma``.
    """
    n_treated, n_post = Y.shape[0] - n_control, Y.shape[1] - n_pre
    sigma = noise_level(Y[:n_control, :n_pre])
    eta_omega = (n_treated * n_post) ** 0.25 if method == "sdid" else 1e-6
    return Penalty(zeta_omega=eta_omega * sigma, zeta_lambda=1e-6 * sigma, min_decrease=1e-5 * sigma)


def collapse(Y: np.ndarray, n_control: int, n_pre: int) -> np.ndarray:
    """The ``(N0 + 1) x (T0 + 1)`` panel: treated rows and post columns replaced by their means."""
    co, tr = Y[:n_control], Y[n_control:]
    top = np.column_stack([co[:, :n_pre], co[:, n_pre:].mean(axis=1)])
    bottom = np.append(tr[:, :n_pre].mean(axis=0), tr[:, n_pre:].mean())
    return np.vstack([top, bottom])


def sparsify(weights: np.ndarray) -> np.ndarray:
    """Weights at most a quarter of the largest set to zero, the rest rescaled to sum to one."""
    kept = np.where(weights <= weights.max() / 4, 0.0, weights)
    return kept / kept.sum()


def sum_normalize(weights: np.ndarray) -> np.ndarray:
    """Weights rescaled to sum to one; uniform when they sum to zero (a starting point only)."""
    total = weights.sum()
    return weights / total if total != 0 else np.full(len(weights), 1.0 / len(weights))


def _fw_step(A: np.ndarray, At: np.ndarray, b: np.ndarray, eta: float, x: np.ndarray, Ax: np.ndarray) -> np.ndarray:
    """One Frank-Wolfe step for ``||A x - b||^2 + eta ||x||^2`` on the simplex from ``x``
    (``At = A'``, ``Ax = A x``): towards the vertex with the smallest gradient coordinate, by
    the exact minimiser of the quadratic along that direction, clipped to ``[0, 1]``."""
    half_grad = At @ (Ax - b) + eta * x
    i = int(half_grad.argmin())
    direction = -x
    direction[i] += 1.0
    if not direction.any():
        return x
    d_fit = At[i] - Ax
    curvature = float(d_fit @ d_fit + eta * (direction @ direction))
    step = min(1.0, max(0.0, -float(half_grad @ direction) / curvature))
    return x + step * direction


def _frank_wolfe(A: np.ndarray, b: np.ndarray, eta: float, x: np.ndarray, min_decrease: float,
                 max_iter: int) -> np.ndarray:
    """Minimise ``||A x - b||^2 + eta ||x||^2`` over the simplex from ``x``.

    :func:`_fw_step` until ``max_iter`` steps or until the loss ``(eta ||x||^2 + ||A x -
    b||^2) / n`` fell by less than ``min_decrease^2`` in the last step.
    """
    n = A.shape[0]
    tol = min_decrease**2
    At = np.ascontiguousarray(A.T)
    Ax = A @ x
    previous = np.inf
    for step_count in range(max_iter):
        x = _fw_step(A, At, b, eta, x, Ax)
        Ax = A @ x
        resid = Ax - b
        loss = float(eta * (x @ x) + resid @ resid) / n
        if step_count >= 1 and previous - loss <= tol:
            break
        previous = loss
    return x


def simplex_regression(M: np.ndarray, zeta: float, *, intercept: bool, start: np.ndarray | None,
                       min_decrease: float, sparse: bool = True) -> np.ndarray:
    """Weights on the simplex fitting the last column of ``M`` by its other columns.

    Parameters
    ----------
    M
        ``n x (k + 1)``: ``k`` regressor columns and the target column.
    zeta
        Ridge penalty; the loss is ``||A x - b||^2 + n zeta^2 ||x||^2``.
    intercept
        Centre every column first (an unpenalised intercept).
    start
        Starting weights (default uniform ``1/k``).
    min_decrease
        Stopping rule of :func:`_frank_wolfe`.
    sparse
        Solve in two rounds, the second from the sparsified first solution
        (:data:`ITER_BEFORE_SPARSIFY`, :func:`sparsify`).
    """
    if intercept:
        M = M - M.mean(axis=0)
    A, b = M[:, :-1], M[:, -1]
    k = A.shape[1]
    x = np.full(k, 1.0 / k) if start is None else np.asarray(start, dtype=float)
    eta = A.shape[0] * zeta**2
    x = _frank_wolfe(A, b, eta, x, min_decrease, ITER_BEFORE_SPARSIFY if sparse else MAX_ITER)
    if sparse:
        x = _frank_wolfe(A, b, eta, sparsify(x), min_decrease, MAX_ITER)
    return x


def _centred(M: np.ndarray, intercept: bool) -> np.ndarray:
    return M - M.mean(axis=0) if intercept else M


def covariate_weights(
    Yc: np.ndarray,
    Xc: np.ndarray,
    penalty: Penalty,
    *,
    omega: np.ndarray,
    lam: np.ndarray,
    update_omega: bool,
    update_lambda: bool,
    omega_intercept: bool,
    max_iter: int = MAX_ITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit weights, time weights and covariate coefficients fitted together on the collapsed panel.

    Time-varying covariates enter as ``Y - X beta``: the weights solve the problems of the
    module docstring for the outcome net of ``X beta``, and ``beta`` minimises the sum of
    the two weighted losses, ``sum_t err_omega,t^2 / T0 + sum_i err_lambda,i^2 / N0`` (plus
    the penalties), as in the reference implementation's covariate option (R ``synthdid``,
    argument ``X``).  The three are updated in turn: one Frank-Wolfe step (:func:`_fw_step`)
    for ``lambda`` and for ``omega`` (each only if it is to be updated), then a gradient
    step of length ``1/t`` for ``beta`` (from ``beta = 0``), until the penalised loss
    changes by at most ``min_decrease^2`` in a step or after ``max_iter`` steps.  No
    sparsifying round.

    Parameters
    ----------
    Yc, Xc
        ``(N0 + 1) x (T0 + 1)`` collapsed outcome (:func:`collapse`) and ``(N0 + 1) x (T0 +
        1) x K`` collapsed covariates.
    penalty
        Penalties and stopping rule of the block.
    omega, lam
        Starting (or, when not updated, fixed) weights.
    update_omega, update_lambda
        Whether to fit them.
    omega_intercept
        Intercept in the unit-weight problem (SDID; not synthetic control); the time-weight
        problem always has one.

    Returns
    -------
    omega, lam, beta
    """
    n0, t0 = Yc.shape[0] - 1, Yc.shape[1] - 1
    z_omega, z_lambda = penalty.zeta_omega**2, penalty.zeta_lambda**2
    tol = penalty.min_decrease**2
    omega, lam = np.asarray(omega, dtype=float).copy(), np.asarray(lam, dtype=float).copy()
    beta = np.zeros(Xc.shape[2])
    # the two regressions' data are linear in beta: centre once, then subtract X beta
    X_lambda = np.moveaxis(Xc[:n0], 2, 0)  # (K, N0, T0 + 1), uncentred, for the gradient
    X_omega = np.moveaxis(Xc[:, :t0], 2, 0)  # (K, N0 + 1, T0)
    Yl0, Xl = _centred(Yc[:n0], True), _centred(Xc[:n0], True)
    Yo0 = _centred(Yc[:, :t0].T, omega_intercept)
    Xo = _centred(np.transpose(Xc[:, :t0], (1, 0, 2)), omega_intercept)
    v_lambda, v_omega = np.full(t0 + 1, -1.0), np.full(n0 + 1, -1.0)

    def update(beta: np.ndarray, omega: np.ndarray, lam: np.ndarray) -> tuple:
        Yl = Yl0 - Xl @ beta
        if update_lambda:
            A = Yl[:, :t0]
            lam = _fw_step(A, np.ascontiguousarray(A.T), Yl[:, t0], n0 * z_lambda, lam, A @ lam)
        v_lambda[:t0] = lam
        err_lambda = Yl @ v_lambda
        Yo = Yo0 - Xo @ beta
        if update_omega:
            A = Yo[:, :n0]
            omega = _fw_step(A, np.ascontiguousarray(A.T), Yo[:, n0], t0 * z_omega, omega, A @ omega)
        v_omega[:n0] = omega
        err_omega = Yo @ v_omega
        value = (z_omega * (omega @ omega) + z_lambda * (lam @ lam) + (err_omega @ err_omega) / t0
                 + (err_lambda @ err_lambda) / n0)
        return omega, lam, err_lambda, err_omega, float(value)

    omega, lam, err_lambda, err_omega, _ = update(beta, omega, lam)
    values: list[float] = []
    while len(values) < max_iter and (len(values) < 2 or abs(values[-2] - values[-1]) > tol):
        step = len(values) + 1
        # v_lambda, v_omega hold the weights the errors were computed with
        grad = -((X_lambda @ v_lambda) @ err_lambda / n0 + (X_omega @ err_omega) @ v_omega / t0)
        beta = beta - grad / step
        omega, lam, err_lambda, err_omega, value = update(beta, omega, lam)
        values.append(value)
    return omega, lam, beta
