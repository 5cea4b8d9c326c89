"""The linear probability model that generates the outcomes, and its calibration.

For outcome y (employment or education) and horizon k the data-generating process is
``P(y_{e+k} = 1 | x) = clip(x' theta_k, 0, 1)`` with x the regressors of tables 8.2/8.3:
period (t2), south-west, FUI exposure, need category, female, age group, education,
county unemployment at entry and entry-month dummies.  ``theta_k`` is calibrated so that
the population least-squares projection of the clipped probabilities on x, over the
simulated analysis design, equals the published coefficients (the fixed point of
``theta <- theta + (beta_published - beta_projection(theta))``); the FUI coefficient is held
at the true effect and the unpublished entry-month coefficients are projected onto zero.
"""

from __future__ import annotations

import numpy as np

from evalkit.replications.fui.synthetic.counties import window_month_indices
from evalkit.replications.fui.synthetic.population import PERMANENTLY_ADAPTED, SITUATIONAL, SPECIALLY_ADAPTED, Persons
from evalkit.replications.fui.synthetic.published import HORIZONS, MONTH_TERMS, TERMS, published_coefficients

#: Columns of the design matrix.
COLUMNS: tuple[str, ...] = TERMS + MONTH_TERMS
FUI = COLUMNS.index("fui_effect")
#: Employment probability of the permanently adapted, relative to specially adapted.
PERMANENT_EMPLOYMENT_FACTOR = 0.6
#: Outcome probabilities of new users aged 30-34 relative to 25-29 year olds with the same
#: regressors (a level difference only: their period and region coefficients are the
#: under-30s', so the DDD parallel trends hold by construction).
AGE_BAND_SHIFT = {"employment": 0.03, "education": -0.04}


def period_weight(entry: np.ndarray) -> np.ndarray:
    """Period term of an entry month: 0 up to June 2016, 1 from March 2017, linear between."""
    t1_end, t2_start = window_month_indices("t1")[-1], window_month_indices("t2")[0]
    return np.clip((entry - t1_end) / (t2_start - t1_end), 0.0, 1.0)


def entry_month(persons: Persons) -> np.ndarray:
    """Month of the entry the outcome model refers to (the stock: January 2016)."""
    return np.where(persons.kind == 1, 0, persons.first_nav)


def exposure(
    persons: Persons, start: np.ndarray, horizon: int, *, late_exposure: bool
) -> np.ndarray:
    """FUI exposure at a horizon: new users entering in or after their county's start month.

    With ``late_exposure`` new users who reach the start month during follow-up are exposed
    from that horizon on.
    """
    county_start = start[persons.county]
    reached = persons.first_nav + (horizon if late_exposure else 0)
    return ((persons.kind == 0) & (reached >= county_start)).astype(float)


def regressors(
    persons: Persons,
    rates: np.ndarray,
    start: np.ndarray,
    south_west: np.ndarray,
    horizon: int,
    *,
    late_exposure: bool,
) -> np.ndarray:
    """Design matrix (``n x len(COLUMNS)``) of every person at one horizon.

    ``rates`` is the county x month unemployment table, ``start`` the FUI start month
    index and ``south_west`` the region dummy of each county (rows of the county profile).
    """
    e = entry_month(persons)
    category = persons.category
    age = 2016 + e // 12 - persons.birth_year
    calendar = e % 12 + 1
    cols = [
        np.ones(len(persons)),
        period_weight(e),
        south_west[persons.county].astype(float),
        exposure(persons, start, horizon, late_exposure=late_exposure),
        (category == SITUATIONAL).astype(float),
        np.isin(category, (SPECIALLY_ADAPTED, PERMANENTLY_ADAPTED)).astype(float),
        persons.female.astype(float),
        ((age >= 20) & (age < 25)).astype(float),
        (age >= 25).astype(float),
        (persons.education == 1).astype(float),
        (persons.education == 2).astype(float),
        rates[persons.county, e],
        *[(calendar == m).astype(float) for m in (4, 5, 6)],
    ]
    return np.column_stack(cols)


def calibrate(
    X: np.ndarray,
    target: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    factor: tuple[np.ndarray, np.ndarray] | None = None,
    n_iter: int = 25,
) -> np.ndarray:
    """Coefficients whose clipped linear probabilities project onto ``target``.

    The probabilities are ``clip(X theta + offset, 0, 1)`` (``offset``: the county shocks,
    zero by default).  The FUI coefficient stays at ``target[FUI]`` (the true effect); the
    others move by the gap between target and projection until it vanishes.  ``factor``
    is ``numpy.linalg.qr(X)`` when already computed.
    """
    theta = target.copy()
    shift = 0.0 if offset is None else offset
    free = np.arange(len(target)) != FUI
    q, r = np.linalg.qr(X) if factor is None else factor
    for _ in range(n_iter):
        beta = np.linalg.solve(r, q.T @ np.clip(X @ theta + shift, 0.0, 1.0))
        gap = target - beta
        theta[free] += gap[free]
        if np.max(np.abs(gap[free])) < 1e-10:
            break
    return theta


def targets(effects: dict[str, dict[int, float]]) -> dict[str, np.ndarray]:
    """Published coefficients per outcome (``len(HORIZONS) x len(COLUMNS)``), FUI = truth."""
    out = {}
    for outcome, per_horizon in effects.items():
        coefs = published_coefficients(outcome)["coef"]
        mat = np.zeros((len(HORIZONS), len(COLUMNS)))
        for j, h in enumerate(HORIZONS):
            mat[j, : len(TERMS)] = [coefs[(term, h)] for term in TERMS]
            mat[j, FUI] = per_horizon[h]
        out[outcome] = mat
    return out


def probabilities(
    X: np.ndarray, theta: np.ndarray, persons: Persons, outcome: str, *, offset: np.ndarray | None = None
) -> np.ndarray:
    """Clipped probabilities ``x' theta + offset`` (the county shocks); the permanently adapted work less."""
    p = np.clip(X @ theta if offset is None else X @ theta + offset, 0.0, 1.0)
    if outcome == "employment":
        p = np.where(persons.category == PERMANENTLY_ADAPTED, PERMANENT_EMPLOYMENT_FACTOR * p, p)
    return p


def region_shift(persons: Persons, south_west: np.ndarray, size: float) -> np.ndarray:
    """A shock of ``size`` to the outcome probabilities of the new users (kinds 0, 4 and 5, every
    age) of the treated region, by the period weight of their entry month: a region-specific
    change that FUI did not cause, which biases the 2x2 but not the triple difference."""
    new_user = np.isin(persons.kind, (0, 4, 5))
    return size * new_user * south_west[persons.county] * period_weight(entry_month(persons))
