"""One treated block: SDID, synthetic control and DiD as one weighted double difference.

For a block with ``N0`` controls (first rows), ``N1`` treated units, ``T0`` pre periods
(first columns) and ``T1`` post periods, all three estimators are

``tau = (Ybar_tr,post - sum_t lambda_t Ybar_tr,t) - (sum_i omega_i Ybar_i,post - sum_i sum_t omega_i lambda_t Y_it)``

(Arkhangelsky et al. 2021, eq. 1.1 and Algorithm 1) and differ only in the weights:

- ``"sdid"``: ``omega`` and ``lambda`` both fitted (:mod:`evalkit.estimators.synthdid_weights`),
  with unit-weight penalty ``(N1 T1)^(1/4) sigma`` and intercepts;
- ``"sc"``: ``omega`` fitted with a vanishing penalty and no intercept, ``lambda = 0``
  (Abadie, Diamond & Hainmueller 2010);
- ``"did"``: uniform ``omega = 1/N0`` and ``lambda = 1/T0``.

With time-varying covariates ``X`` (``N x T x K``) the estimate is the same double
difference of ``Y - X beta``, with ``beta`` fitted together with the weights
(:func:`~evalkit.estimators.synthdid_weights.covariate_weights`, the reference
implementation's ``X`` option); DiD's uniform weights stay fixed while ``beta`` is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from evalkit.estimators.synthdid_weights import (
    Penalty,
    collapse,
    covariate_weights,
    default_penalty,
    simplex_regression,
    sum_normalize,
)

__all__ = ["METHODS", "Block", "Method", "block_effect", "effect_curve", "fit_block", "net_outcome", "refit_block"]

Method = Literal["sdid", "sc", "did"]
METHODS: tuple[str, ...] = ("sdid", "sc", "did")


@dataclass(frozen=True)
class Block:
    """A fitted block: the estimate, its weights, the penalty they were fitted with and the
    coefficients of the covariates (empty without covariates)."""

    tau: float
    omega: np.ndarray
    lam: np.ndarray
    penalty: Penalty
    beta: np.ndarray = field(default_factory=lambda: np.zeros(0))


def net_outcome(Y: np.ndarray, X: np.ndarray | None, beta: np.ndarray) -> np.ndarray:
    """``Y - X beta`` (``Y`` itself without covariates)."""
    return Y if X is None or beta.size == 0 else Y - X @ beta


def block_effect(Y: np.ndarray, n_control: int, n_pre: int, omega: np.ndarray, lam: np.ndarray) -> float:
    """The weighted double difference ``tau`` for given weights (eq. 1.1)."""
    n_treated, n_post = Y.shape[0] - n_control, Y.shape[1] - n_pre
    unit = np.concatenate([-omega, np.full(n_treated, 1.0 / n_treated)])
    time = np.concatenate([-lam, np.full(n_post, 1.0 / n_post)])
    return float(unit @ Y @ time)


def effect_curve(Y: np.ndarray, n_control: int, n_pre: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The effect in each post period, ``tau_t``; their mean is ``tau``."""
    gap = Y[n_control:].mean(axis=0) - omega @ Y[:n_control]
    return gap[n_pre:] - gap[:n_pre] @ lam


def fit_block(
    Y: np.ndarray,
    n_control: int,
    n_pre: int,
    method: Method,
    *,
    X: np.ndarray | None = None,
    penalty: Penalty | None = None,
    omega_start: np.ndarray | None = None,
    lam_start: np.ndarray | None = None,
    omega: np.ndarray | None = None,
    lam: np.ndarray | None = None,
) -> Block:
    """Fit the weights of one block and its estimate.

    Parameters
    ----------
    Y
        ``N x T`` outcomes, controls in the first ``n_control`` rows, pre periods in the
        first ``n_pre`` columns.
    method
        ``"sdid"``, ``"sc"`` or ``"did"`` (module docstring).
    X
        ``N x T x K`` time-varying covariates, or ``None``.  With covariates ``beta`` is
        fitted (from zero) in every call, also when the weights are fixed, as the
        reference implementation does.
    penalty
        The penalty to fit with; default :func:`default_penalty` of this block.  Resampled
        blocks (placebo, bootstrap) keep the penalty of the original fit, as the paper's
        Algorithms 2 and 4 do.
    omega_start, lam_start
        Starting weights of the solver (default uniform).
    omega, lam
        Fixed weights: not fitted (the jackknife's Algorithm 3).
    """
    if penalty is None:
        penalty = default_penalty(Y, n_control, n_pre, method)
    if method == "did":
        omega = np.full(n_control, 1.0 / n_control) if omega is None else omega
        lam = np.full(n_pre, 1.0 / n_pre) if lam is None else lam
    elif method == "sc":
        lam = np.zeros(n_pre) if lam is None else lam
    if X is not None and X.shape[2] > 0:
        Xc = np.stack([collapse(X[:, :, k], n_control, n_pre) for k in range(X.shape[2])], axis=2)
        omega, lam, beta = covariate_weights(
            collapse(Y, n_control, n_pre), Xc, penalty,
            omega=omega if omega is not None else _start(omega_start, n_control),
            lam=lam if lam is not None else _start(lam_start, n_pre),
            update_omega=omega is None, update_lambda=lam is None, omega_intercept=method != "sc",
        )
        tau = block_effect(net_outcome(Y, X, beta), n_control, n_pre, omega, lam)
        return Block(tau=tau, omega=omega, lam=lam, penalty=penalty, beta=beta)
    needs_collapse = omega is None or lam is None
    Yc = collapse(Y, n_control, n_pre) if needs_collapse else None
    if lam is None:
        lam = simplex_regression(Yc[:n_control], penalty.zeta_lambda, intercept=True, start=lam_start,
                                 min_decrease=penalty.min_decrease)
    if omega is None:
        omega = simplex_regression(Yc[:, :n_pre].T, penalty.zeta_omega, intercept=method == "sdid",
                                   start=omega_start, min_decrease=penalty.min_decrease)
    return Block(tau=block_effect(Y, n_control, n_pre, omega, lam), omega=omega, lam=lam, penalty=penalty)


def _start(start: np.ndarray | None, k: int) -> np.ndarray:
    return np.full(k, 1.0 / k) if start is None else np.asarray(start, dtype=float)


def refit_block(Y: np.ndarray, n_control: int, n_pre: int, method: Method, fitted: Block,
                control_rows: np.ndarray, X: np.ndarray | None = None) -> Block:
    """Refit a resampled block from the original fit (placebo and bootstrap, Algorithms 2 and 4).

    ``control_rows`` are the positions, among the original block's controls, of the
    resampled block's controls (repeats allowed): their original unit weights, rescaled,
    start the solver; the time weights start at the original ones; the penalty is the
    original one; covariates' ``beta`` is fitted again.  DiD keeps its uniform weights;
    synthetic control keeps ``lambda = 0``.
    """
    return fit_block(
        Y, n_control, n_pre, method, X=X, penalty=fitted.penalty,
        omega_start=sum_normalize(fitted.omega[control_rows]), lam_start=fitted.lam,
    )
