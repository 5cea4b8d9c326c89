"""The saturated design of extended two-way fixed effects (Wooldridge 2021, 2023).

Every treated cohort ``g`` gets one indicator per period it is compared in,
``D_gt = 1{G = g, T = t}``, and, with covariates ``x``, the interactions ``D_gt (x - xbar_g)``
with ``x`` demeaned within the cohort (``xbar_g`` the cohort's mean over the rows used), so
that the coefficient of ``D_gt`` is the cell's effect at the cohort's mean covariates.  The
covariates also enter alone and interacted with the cohort and the period indicators
(``x``, ``1{G = g} x`` for treated cohorts, ``1{T = t} x`` for periods after the first),
Wooldridge (2021, eq. 6.33), R etwfe's formula.

* ``control_group="not_yet_treated"``: cells ``t >= g`` only, so untreated periods of every
  cohort identify the trends (Wooldridge's pooled OLS, equal to TWFE with unit effects on a
  balanced panel without covariates).  Without never-treated units the last cohort is the
  control cohort and the periods from its start on are excluded.
* ``control_group="never_treated"``: cells for every period but ``g - 1`` (the reference),
  so the pre-treatment cells are placebo estimates against never-treated units.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.results.base import freeze_arrays
from evalkit.staggered.event_data import EventData
from evalkit.staggered.terms import cell_term

__all__ = ["ControlGroup", "ETWFEDesign", "etwfe_design"]

ControlGroup = Literal["not_yet_treated", "never_treated"]


@dataclass(frozen=True, eq=False)
class ETWFEDesign:
    """Arrays of the saturated regression on the rows kept.

    Attributes
    ----------
    keep
        Mask over the rows of the :class:`~evalkit.staggered.event_data.EventData` used.
    y, w, cluster
        Outcome, weights (ones when unweighted) and cluster code per kept row.
    group, time
        Cohort (0 = control cohort) and period per kept row.
    cohort_code, period_code
        Codes of the cohort (control cohort included) and of the period per kept row.
    cell_group, cell_time
        Cohort and period of each cell ``D_gt``.
    cell
        Index of the row's cell (``-1``: none; the row's effect is zero).
    x_dm
        Covariates demeaned within cohort, ``(n, p)``.
    cells
        ``(n, K_cells)``: the treatment part of the design, ``D_gt`` and ``D_gt x_dm``: what
        switching a row's treatment on adds to its design row (zeros for rows without a cell).
    controls
        ``(n, K_controls)``: ``x``, ``1{G = g} x`` and ``1{T = t} x``.
    cell_names, control_names
        Column names of ``cells`` and ``controls``.
    control_cohort
        First treated period of the control cohort (0: never treated).
    """

    keep: np.ndarray
    y: np.ndarray
    w: np.ndarray
    cluster: np.ndarray
    group: np.ndarray
    time: np.ndarray
    cohort_code: np.ndarray
    period_code: np.ndarray
    cell_group: np.ndarray
    cell_time: np.ndarray
    cell: np.ndarray
    x_dm: np.ndarray
    cells: np.ndarray
    controls: np.ndarray
    cell_names: tuple[str, ...]
    control_names: tuple[str, ...]
    control_cohort: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_cells(self) -> int:
        """Number of cells ``D_gt``."""
        return int(len(self.cell_group))


def _control_cohort(ed: EventData, control_group: ControlGroup, group: str) -> tuple[float, np.ndarray]:
    """The control cohort and the mask of rows kept (periods before it starts)."""
    if control_group not in ("not_yet_treated", "never_treated"):
        raise DesignError(f"control_group must be 'not_yet_treated' or 'never_treated', got {control_group!r}")
    never = ed.group == 0
    if never.any():
        return 0.0, np.ones(ed.nobs, dtype=bool)
    if control_group == "never_treated":
        raise DesignError(f"no never-treated units ('{group}' == 0 or inf); use control_group='not_yet_treated', "
                          "which then takes the last-treated cohort as the control cohort")
    if len(ed.cohorts) < 2:
        raise DesignError(f"'{group}' has one cohort ({ed.cohorts[0]:g}) and no never-treated units: "
                          "there is no control cohort")
    last = float(ed.cohorts[-1])
    keep = ed.time < last
    warnings.warn(f"excluded {int((~keep).sum())} rows: periods >= {last:g}, when the control cohort {last:g} "
                  f"(the last-treated cohort of '{group}'; no unit is never treated) is treated",
                  ExcludedRowsWarning, stacklevel=4)
    return last, keep


def etwfe_design(ed: EventData, control_group: ControlGroup, group: str) -> ETWFEDesign:
    """Build the saturated design of the module docstring from validated event data."""
    control, keep = _control_cohort(ed, control_group, group)
    g = np.where(ed.group == control, 0.0, ed.group)[keep]
    t = ed.time[keep]
    X = ed.X[keep]
    names_x = ed.covariate_names
    cohorts = np.unique(g[g > 0])
    periods = np.unique(t)
    cohort_code = np.searchsorted(np.unique(g), g)
    period_code = np.searchsorted(periods, t)

    treated_rows = g > 0
    if control_group == "never_treated":
        in_cell = treated_rows & (t != g - 1)
    else:
        in_cell = treated_rows & (t >= g)
    if not in_cell.any():
        raise DesignError(f"no treated period is observed for any cohort of '{group}'")
    pairs = np.unique(np.column_stack([g[in_cell], t[in_cell]]), axis=0)
    cell = np.full(len(g), -1)
    lookup = {(a, b): k for k, (a, b) in enumerate(map(tuple, pairs))}
    rows = np.flatnonzero(in_cell)
    cell[rows] = [lookup[(a, b)] for a, b in zip(g[rows], t[rows])]

    # covariates demeaned within cohort (unweighted means over the rows used, as R etwfe)
    codes, inverse = np.unique(g, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(codes)).astype(float)
    means = np.column_stack([np.bincount(inverse, weights=X[:, j], minlength=len(codes)) / counts
                             for j in range(X.shape[1])]) if X.shape[1] else np.empty((len(codes), 0))
    x_dm = X - means[inverse]

    K, p = len(pairs), X.shape[1]
    cells = np.zeros((len(g), K * (1 + p)))
    cells[rows, cell[rows]] = 1.0
    for j in range(p):
        cells[rows, K * (1 + j) + cell[rows]] = x_dm[rows, j]
    base = [cell_term(a, b) for a, b in pairs]
    cell_names = tuple(base + [f"{b}:{x}_dm" for x in names_x for b in base])

    control_cols, control_names = [], []
    for j, x in enumerate(names_x):
        control_cols.append(X[:, j])
        control_names.append(x)
        for c in cohorts:
            control_cols.append(X[:, j] * (g == c))
            control_names.append(f"cohort::{int(c)}:{x}")
        for s in periods[1:]:
            control_cols.append(X[:, j] * (t == s))
            control_names.append(f"time::{int(s)}:{x}")
    controls = np.column_stack(control_cols) if control_cols else np.empty((len(g), 0))
    return ETWFEDesign(
        keep=keep, y=ed.y[keep], w=ed.w[keep], cluster=np.unique(ed.cluster[keep], return_inverse=True)[1].ravel(), group=g, time=t,
        cohort_code=cohort_code, period_code=period_code, cell_group=pairs[:, 0], cell_time=pairs[:, 1],
        cell=cell, x_dm=x_dm, cells=cells, controls=controls, cell_names=cell_names,
        control_names=tuple(control_names), control_cohort=control,
    )
