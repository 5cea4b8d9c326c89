"""Staggered adoption: one SDID block per adoption cohort, averaged by treated unit-periods.

Each cohort ``a`` (units first treated in period ``a``) is compared with the never-treated
units over all periods, ``a`` being its first post period, and the overall effect is

``ATT = sum_a (N_a T_a / sum_b N_b T_b) tau_a``

with ``N_a`` the cohort's units and ``T_a`` its post periods: each cohort counts by its
treated unit-periods (Arkhangelsky et al. 2021, appendix on staggered adoption; Clarke,
Pailanir, Athey & Imbens 2023, the Stata ``sdid`` command).  A block design is the case of
one cohort.  The panel is held as an ``N x T`` matrix ``Y`` and, per row, the column of
the first treated period (``-1``: never treated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.estimators.synthdid_block import Block, Method, block_effect, fit_block, refit_block

__all__ = ["NEVER", "CohortFit", "Staggered", "fit_cohorts", "refit_cohorts", "fixed_weight_effects"]

#: Adoption column of never-treated rows.
NEVER = -1


@dataclass(frozen=True)
class CohortFit:
    """One cohort's block: its first post column, its rows in ``Y`` and its fit."""

    start: int
    controls: np.ndarray
    treated: np.ndarray
    block: Block

    def n_post(self, n_periods: int) -> int:
        """Post periods of the cohort."""
        return n_periods - self.start


@dataclass(frozen=True)
class Staggered:
    """The fitted cohorts of one panel and their aggregate."""

    cohorts: tuple[CohortFit, ...]
    n_periods: int

    @property
    def taus(self) -> np.ndarray:
        """Cohort estimates in cohort order."""
        return np.array([c.block.tau for c in self.cohorts])

    @property
    def shares(self) -> np.ndarray:
        """Each cohort's share of the treated unit-periods: its weight in the ATT."""
        cells = np.array([len(c.treated) * c.n_post(self.n_periods) for c in self.cohorts], dtype=float)
        return cells / cells.sum()

    @property
    def att(self) -> float:
        """The overall effect."""
        return float(self.shares @ self.taus)

    def estimates(self) -> np.ndarray:
        """``[ATT, tau_1, ..., tau_A]`` (the ATT alone for one cohort)."""
        return np.array([self.att]) if len(self.cohorts) == 1 else np.concatenate([[self.att], self.taus])


def _blocks(adoption: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    controls = np.flatnonzero(adoption == NEVER)
    return [(int(a), controls, np.flatnonzero(adoption == a)) for a in np.unique(adoption[adoption != NEVER])]


def fit_cohorts(Y: np.ndarray, adoption: np.ndarray, method: Method) -> Staggered:
    """Fit every cohort of the panel with the default penalties and uniform starting weights."""
    fits = []
    for start, controls, treated in _blocks(adoption):
        rows = np.concatenate([controls, treated])
        fits.append(CohortFit(start, controls, treated, fit_block(Y[rows], len(controls), start, method)))
    return Staggered(tuple(fits), Y.shape[1])


def refit_cohorts(Y: np.ndarray, adoption: np.ndarray, method: Method, original: Staggered,
                  control_pos: np.ndarray) -> Staggered:
    """Refit a resampled panel from the original fit (placebo and bootstrap draws).

    ``Y`` and ``adoption`` are the resampled rows; ``control_pos[r]`` is the position of
    resampled row ``r`` among the original never-treated rows (its unit weight in the
    original fit), for the rows that are controls in the resample.  Every cohort of the
    resample must be a cohort of ``original``, whose penalty and weights start the solver.
    """
    by_start = {c.start: c for c in original.cohorts}
    fits = []
    for start, controls, treated in _blocks(adoption):
        rows = np.concatenate([controls, treated])
        block = refit_block(Y[rows], len(controls), start, method, by_start[start].block, control_pos[controls])
        fits.append(CohortFit(start, controls, treated, block))
    return Staggered(tuple(fits), Y.shape[1])


def fixed_weight_effects(Y: np.ndarray, fitted: Staggered, keep: np.ndarray) -> np.ndarray:
    """``[ATT, tau_a...]`` on the rows ``keep`` (a boolean mask) with the fitted weights held
    fixed: the kept controls' unit weights rescaled to one (Algorithm 3, the jackknife)."""
    cohorts = []
    for c in fitted.cohorts:
        kept_controls = keep[c.controls]
        omega = c.block.omega[kept_controls]
        omega = omega / omega.sum()
        treated = c.treated[keep[c.treated]]
        controls = c.controls[kept_controls]
        tau = block_effect(Y[np.concatenate([controls, treated])], len(controls), c.start, omega, c.block.lam)
        cohorts.append(CohortFit(c.start, controls, treated, Block(tau, omega, c.block.lam, c.block.penalty)))
    return Staggered(tuple(cohorts), fitted.n_periods).estimates()
