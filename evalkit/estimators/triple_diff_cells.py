"""One triple-difference cell: DDD = three doubly robust DiDs (Ortiz-Villavicencio & Sant'Anna 2025).

A unit belongs to one of four subgroups by whether its group (state, region) enables
treatment (``treated``, S) and whether the unit is eligible (``eligible``, Q, e.g. under
an age limit).  Only eligible units of enabling groups (S = 1, Q = 1) are treated.  Under
DDD parallel trends conditional on covariates, Ortiz-Villavicencio & Sant'Anna (2025,
"Better Understanding Triple Differences Estimators", arXiv:2505.09942) show that

    ATT = DiD(S=1,Q=1 vs S=1,Q=0) + DiD(S=1,Q=1 vs S=0,Q=1) - DiD(S=1,Q=1 vs S=0,Q=0),

where each DiD compares the treated subgroup with one comparison subgroup, on those two
subgroups only, by any 2x2 DiD estimator (:mod:`evalkit.estimators.att_gt_cells`: outcome
regression, IPW or doubly robust, panel or repeated cross-sections; propensity scores and
outcome models are fitted within each pair).  A DDD regression on the pooled sample
(``y ~ S*Q*post + X``) is not consistent when covariates are distributed differently
across the subgroups; this combination is.

Each pairwise influence function (scaled for its own subsample) enters the cell's
influence function multiplied by ``n_cell / n_pair``, as R triplediff's ``att_dr``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from evalkit.errors import DesignError
from evalkit.estimators.att_gt_cells import CellEstimate

#: The three comparison subgroups (S, Q) and their sign in the DDD.
COMPARISONS: tuple[tuple[int, int, int], ...] = ((1, 0, 1), (0, 1, 1), (0, 0, -1))

_NAMES = {(1, 0): "enabled but ineligible", (0, 1): "eligible but not enabled", (0, 0): "neither enabled nor eligible"}


def _pairs(treated: np.ndarray, eligible: np.ndarray, label: str) -> list[tuple[np.ndarray, int]]:
    focal = treated & eligible
    if not focal.any():
        raise DesignError(f"no treated-and-eligible observations {label}: a triple difference needs units "
                          "that are both in an enabling group and eligible")
    out = []
    for s, q, sign in COMPARISONS:
        members = (treated == bool(s)) & (eligible == bool(q))
        if not members.any():
            raise DesignError(f"no {_NAMES[(s, q)]} observations {label}: a triple difference needs all four "
                              "subgroups (enabled x eligible)")
        out.append((focal | members, sign))
    return out


def _combine(parts: list[tuple[np.ndarray, int, CellEstimate]], n: int) -> CellEstimate:
    att = 0.0
    inf = np.zeros(n)
    for mask, sign, est in parts:
        att += sign * est.att
        inf[mask] += sign * est.inf * (n / mask.sum())
    return CellEstimate(att, inf)


def ddd_panel(
    y1: np.ndarray, y0: np.ndarray, treated: np.ndarray, eligible: np.ndarray, covariates: np.ndarray,
    weights: np.ndarray, est: Callable[..., CellEstimate], label: str = "",
) -> CellEstimate:
    """Triple difference of one panel cell (two periods per unit).

    Parameters
    ----------
    y1, y0
        Outcomes in the later and the base period, ``(n,)``.
    treated, eligible
        Booleans: the unit's group enables treatment in the later period (S); the unit is
        eligible (Q).
    covariates, weights
        ``(n, k)`` design (intercept first) and positive weights.
    est
        A panel 2x2 estimator of :mod:`evalkit.estimators.att_gt_cells`.
    label
        Describes the cell in error messages.

    Returns
    -------
    CellEstimate
        The DDD and its influence function on the ``n`` units (``sqrt(mean(inf**2) / n)``
        is its standard error).
    """
    parts = [(m, sign, est(y1[m], y0[m], (treated & eligible)[m], covariates[m], weights[m]))
             for m, sign in _pairs(treated, eligible, label)]
    return _combine(parts, len(y1))


def ddd_rcs(
    y: np.ndarray, post: np.ndarray, treated: np.ndarray, eligible: np.ndarray, covariates: np.ndarray,
    weights: np.ndarray, est: Callable[..., CellEstimate], label: str = "",
) -> CellEstimate:
    """Triple difference of one repeated cross-section cell (rows of two periods).

    As :func:`ddd_panel`, with ``post`` marking the rows of the later period and ``est`` a
    repeated cross-section 2x2 estimator; the influence function is per row.
    """
    parts = [(m, sign, est(y[m], post[m], (treated & eligible)[m], covariates[m], weights[m]))
             for m, sign in _pairs(treated, eligible, label)]
    return _combine(parts, len(y))


def gmm_combine(att: np.ndarray, influence: np.ndarray, omega: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Optimal (minimum variance) combination of estimates of one ATT(g,t).

    With several not-yet-treated comparison cohorts, each gives its own DDD of ATT(g,t)
    (pooling them is not valid for DDD, Ortiz-Villavicencio & Sant'Anna 2025);
    the GMM estimate weights them by ``w = Omega^-1 1 / (1' Omega^-1 1)``, ``Omega`` their
    covariance, and its influence function is ``influence @ w``.

    Returns
    -------
    (att, influence, w)
    """
    if 1 / np.linalg.cond(omega) <= np.finfo(float).eps:
        raise DesignError("the covariance of the DDD estimates from the not-yet-treated cohorts is singular; "
                          "use control_group='never_treated'")
    inv = np.linalg.inv(omega)
    w = inv.sum(axis=0) / inv.sum()
    return float(w @ att), influence @ w, w
