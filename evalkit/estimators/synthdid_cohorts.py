"""Staggered adoption: one SDID block per adoption cohort, averaged by treated unit-periods.

Each cohort ``a`` (units first treated in period ``a``) is a block with ``a`` its first
post period, and the overall effect is

``ATT = sum_a (N_a T_a / sum_b N_b T_b) tau_a``

with ``N_a`` the cohort's units and ``T_a`` its post periods: each cohort counts by its
treated unit-periods (Arkhangelsky et al. 2021, appendix on staggered adoption; Clarke,
Pailanir, Athey & Imbens 2023, the Stata ``sdid`` command).  The donors of a cohort
(``control_group``):

- ``"never_treated"``: the never-treated units, over all periods (``T_a`` = the periods
  from ``a`` on);
- ``"not_yet_treated"``: the never-treated units and the units of every later cohort,
  over the periods before the next cohort's adoption ``a'`` (``T_a = a' - a``; the last
  cohort keeps all periods and the never-treated units alone), so that no donor is
  treated within the block.

A block design is the case of one cohort.  The panel is held as an ``N x T`` matrix ``Y``
and, per row, the column of the first treated period (``-1``: never treated);
time-varying covariates, when there are any, as an ``N x T x K`` array ``X`` (``None``
otherwise), each cohort fitting its own coefficients
(:mod:`evalkit.estimators.synthdid_block`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.estimators.synthdid_block import Block, Method, fit_block, refit_block

__all__ = [
    "CONTROL_GROUPS",
    "NEVER",
    "CohortFit",
    "ControlGroup",
    "Staggered",
    "fit_cohorts",
    "fixed_weight_effects",
    "refit_cohorts",
]

#: Adoption column of never-treated rows.
NEVER = -1
ControlGroup = Literal["never_treated", "not_yet_treated"]
CONTROL_GROUPS: tuple[str, ...] = ("never_treated", "not_yet_treated")


@dataclass(frozen=True)
class CohortFit:
    """One cohort's block: its first post column, the end of its columns (exclusive), its
    rows in ``Y`` (donors and treated) and its fit."""

    start: int
    end: int
    controls: np.ndarray
    treated: np.ndarray
    block: Block

    @property
    def n_post(self) -> int:
        """Post periods of the cohort's block."""
        return self.end - self.start


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
        cells = np.array([len(c.treated) * c.n_post for c in self.cohorts], dtype=float)
        return cells / cells.sum()

    @property
    def att(self) -> float:
        """The overall effect."""
        return float(self.shares @ self.taus)

    def estimates(self) -> np.ndarray:
        """``[ATT, tau_1, ..., tau_A]`` (the ATT alone for one cohort)."""
        return np.array([self.att]) if len(self.cohorts) == 1 else np.concatenate([[self.att], self.taus])


def cohort_blocks(adoption: np.ndarray, n_periods: int,
                  control_group: ControlGroup) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """Per cohort: first post column, end column (exclusive), donor rows and treated rows."""
    starts = np.unique(adoption[adoption != NEVER])
    out = []
    for k, a in enumerate(starts):
        if control_group == "not_yet_treated" and k + 1 < len(starts):
            end, donors = int(starts[k + 1]), (adoption == NEVER) | (adoption > a)
        else:
            end, donors = n_periods, adoption == NEVER
        out.append((int(a), end, np.flatnonzero(donors), np.flatnonzero(adoption == a)))
    return out


def _cells(A: np.ndarray | None, rows: np.ndarray, end: int) -> np.ndarray | None:
    return None if A is None else A[rows, :end]


def fit_cohorts(Y: np.ndarray, adoption: np.ndarray, method: Method, X: np.ndarray | None = None,
                control_group: ControlGroup = "never_treated") -> Staggered:
    """Fit every cohort of the panel with the default penalties and uniform starting weights."""
    fits = []
    for start, end, controls, treated in cohort_blocks(adoption, Y.shape[1], control_group):
        rows = np.concatenate([controls, treated])
        block = fit_block(Y[rows, :end], len(controls), start, method, X=_cells(X, rows, end))
        fits.append(CohortFit(start, end, controls, treated, block))
    return Staggered(tuple(fits), Y.shape[1])


def refit_cohorts(Y: np.ndarray, adoption: np.ndarray, method: Method, original: Staggered,
                  source: np.ndarray, X: np.ndarray | None = None,
                  control_group: ControlGroup = "never_treated") -> Staggered:
    """Refit a resampled panel from the original fit (placebo and bootstrap draws).

    ``Y``, ``adoption`` and ``X`` are the resampled rows; ``source[r]`` is the original row
    of resampled row ``r``, so that a donor starts from its unit weight in the original
    fit of the cohort (placebo draws give the never-treated the treated units' dates: the
    never-treated come first among every cohort's donors, in row order).  Every cohort of
    the resample must be a cohort of ``original``, whose penalty and weights start the
    solver.
    """
    by_start = {c.start: c for c in original.cohorts}
    fits = []
    for start, end, controls, treated in cohort_blocks(adoption, Y.shape[1], control_group):
        fitted = by_start[start]
        position = np.searchsorted(fitted.controls, source[controls])  # the original donors, sorted
        rows = np.concatenate([controls, treated])
        block = refit_block(Y[rows, :end], len(controls), start, method, fitted.block, position,
                            X=_cells(X, rows, end))
        fits.append(CohortFit(start, end, controls, treated, block))
    return Staggered(tuple(fits), Y.shape[1])


def fixed_weight_effects(Y: np.ndarray, fitted: Staggered, keep: np.ndarray, method: Method,
                         X: np.ndarray | None = None) -> np.ndarray:
    """``[ATT, tau_a...]`` on the rows ``keep`` (a boolean mask) with the fitted weights held
    fixed: the kept controls' unit weights rescaled to one (Algorithm 3, the jackknife).
    Covariates' coefficients are fitted again on the kept rows, as the reference
    implementation does."""
    cohorts = []
    for c in fitted.cohorts:
        kept_controls = keep[c.controls]
        omega = c.block.omega[kept_controls]
        omega = omega / omega.sum()
        treated = c.treated[keep[c.treated]]
        controls = c.controls[kept_controls]
        rows = np.concatenate([controls, treated])
        block = fit_block(Y[rows, :c.end], len(controls), c.start, method, X=_cells(X, rows, c.end),
                          penalty=c.block.penalty, omega=omega, lam=c.block.lam)
        cohorts.append(CohortFit(c.start, c.end, controls, treated, block))
    return Staggered(tuple(cohorts), fitted.n_periods).estimates()
