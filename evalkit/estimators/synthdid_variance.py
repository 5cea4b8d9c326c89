"""Variance of synthetic DiD: placebo, jackknife and bootstrap (Arkhangelsky et al. 2021, sec. 5).

Each returns the draws of the estimates ``[ATT, tau_a...]`` (:meth:`Staggered.estimates`)
and the covariance they imply:

- **bootstrap** (Algorithm 2): resample all units with replacement, refit the weights
  (starting from the original ones, with the original penalty), recompute; a draw without
  controls or without some cohort is drawn again, so every draw estimates the same cohorts.
  ``V = (B - 1)/B * var(draws)``.  Needs several treated units.
- **jackknife** (Algorithm 3): leave one unit out, keep the fitted weights (the kept
  controls' unit weights rescaled), recompute; ``V = (n - 1)/n * sum (u_i - ubar)^2``.
  Needs at least two treated units in each cohort and two controls with positive weight;
  deterministic.  Not recommended for synthetic control (the paper, sec. 5).
- **placebo** (Algorithm 4): give the treated units' adoption dates to randomly chosen
  never-treated units, drop the real treated units, refit and recompute:
  ``V = (B - 1)/B * var(draws)``.  Works with one treated unit; needs more controls than
  treated units and assumes homoskedastic errors across units.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from evalkit.errors import DesignError
from evalkit.estimators.synthdid_block import Method
from evalkit.estimators.synthdid_cohorts import (
    NEVER,
    ControlGroup,
    Staggered,
    fixed_weight_effects,
    refit_cohorts,
)

__all__ = [
    "VCOV_METHODS",
    "Vcov",
    "bootstrap_draws",
    "jackknife_cov",
    "jackknife_draws",
    "placebo_draws",
    "resampling_cov",
]

Vcov = Literal["placebo", "jackknife", "bootstrap"]
VCOV_METHODS: tuple[str, ...] = ("placebo", "jackknife", "bootstrap")

#: Draws tried per bootstrap draw kept before the bootstrap gives up.
_MAX_TRIES_PER_DRAW = 100


def resampling_cov(draws: np.ndarray) -> np.ndarray:
    """``(B - 1)/B`` times the sample covariance of the draws (``B x k``)."""
    return np.atleast_2d(np.cov(draws, rowvar=False, ddof=0))


def jackknife_cov(draws: np.ndarray) -> np.ndarray:
    """``(n - 1)/n * sum_i (u_i - ubar)(u_i - ubar)'`` of the leave-one-out estimates (``n x k``)."""
    n = draws.shape[0]
    dev = draws - draws.mean(axis=0)
    return (n - 1) / n * (dev.T @ dev)


def jackknife_draws(Y: np.ndarray, fitted: Staggered, labels: np.ndarray, cohort_labels: list[str], method: Method,
                    X: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-unit-out estimates with fixed weights, one row per unit (Algorithm 3).

    Raises
    ------
    DesignError
        A cohort with one treated unit, or fewer than two controls with positive weight
        (naming them): leaving it out changes what is estimated.
    """
    for c, label in zip(fitted.cohorts, cohort_labels, strict=True):
        if len(c.treated) < 2:
            raise DesignError(
                f"the jackknife needs at least 2 treated units in each cohort; cohort {label} has "
                f"{len(c.treated)} ({labels[c.treated].tolist()}); use vcov='placebo'"
            )
        positive = int(np.count_nonzero(c.block.omega))
        if positive < 2:
            raise DesignError(
                f"the jackknife needs at least 2 controls with positive unit weight; cohort {label} "
                f"has {positive}; use vcov='placebo' or vcov='bootstrap'"
            )
    n = Y.shape[0]
    draws = []
    for i in range(n):
        keep = np.ones(n, dtype=bool)
        keep[i] = False
        draws.append(fixed_weight_effects(Y, fitted, keep, method, X))
    return np.array(draws)


def placebo_draws(Y: np.ndarray, adoption: np.ndarray, method: Method, fitted: Staggered, n_reps: int,
                  rng: np.random.Generator, X: np.ndarray | None = None,
                  control_group: ControlGroup = "never_treated") -> np.ndarray:
    """Placebo estimates: the treated units' adoption dates given to random controls (Algorithm 4).

    Raises
    ------
    DesignError
        Not more never-treated than treated units.
    """
    controls = np.flatnonzero(adoption == NEVER)
    pattern = np.sort(adoption[adoption != NEVER])
    n_treated = len(pattern)
    if len(controls) <= n_treated:
        raise DesignError(
            f"the placebo variance needs more never-treated units than treated units; there are "
            f"{len(controls)} never-treated and {n_treated} treated; use vcov='bootstrap' or vcov='jackknife'"
        )
    n_left = len(controls) - n_treated
    fake = np.concatenate([np.full(n_left, NEVER), pattern])
    draws = []
    for _ in range(n_reps):
        order = rng.permutation(len(controls))
        rows = controls[order]
        draws.append(refit_cohorts(Y[rows], fake, method, fitted, rows, None if X is None else X[rows],
                                   control_group).estimates())
    return np.array(draws)


def bootstrap_draws(Y: np.ndarray, adoption: np.ndarray, method: Method, fitted: Staggered, n_reps: int,
                    rng: np.random.Generator, X: np.ndarray | None = None,
                    control_group: ControlGroup = "never_treated") -> np.ndarray:
    """Bootstrap estimates over units resampled with replacement (Algorithm 2).

    Raises
    ------
    DesignError
        One treated unit (every draw with it repeats it or drops it), or no usable draw in
        ``100 * n_reps`` tries.
    """
    n = Y.shape[0]
    n_treated = int(np.count_nonzero(adoption != NEVER))
    if n_treated < 2:
        raise DesignError("the bootstrap needs at least 2 treated units; there is 1; use vcov='placebo'")
    starts = {c.start for c in fitted.cohorts}
    draws: list[np.ndarray] = []
    tries = 0
    while len(draws) < n_reps:
        tries += 1
        if tries > _MAX_TRIES_PER_DRAW * n_reps:
            raise DesignError(
                f"the bootstrap drew {tries - 1} resamples and only {len(draws)} had never-treated units "
                f"and every cohort; use vcov='placebo' or vcov='jackknife'"
            )
        rows = np.sort(rng.integers(0, n, size=n))
        resampled = adoption[rows]
        if not (resampled == NEVER).any() or set(np.unique(resampled[resampled != NEVER]).tolist()) != starts:
            continue
        draws.append(refit_cohorts(Y[rows], resampled, method, fitted, rows, None if X is None else X[rows],
                                   control_group).estimates())
    return np.array(draws)
