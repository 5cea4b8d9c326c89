"""Monthly employment and education states through a persistent Gaussian copula.

Each person has, per outcome, a latent Gaussian AR(1) series
``z_t = rho z_{t-1} + sqrt(1 - rho^2) eps_t`` (stationary N(0, 1); the two outcomes'
innovations are negatively correlated) and ``u_t = Phi(z_t)``.  The person's probability
in month t is interpolated linearly, in months since entry, between the horizon
probabilities of the linear probability model (entry month, 1, 3, 6, 9 months; a slow
drift afterwards), and the state is ``1{u_t < p_t}``.  Employed at 3 and at 6 months are
therefore positively correlated, as in register data.

With ``noise="stratified"`` the analysis entrants' states at the horizons are instead set
within fine cells (group x entry month x category x age group x education x female): the
cells are laid out in that order, the number of ones of each cell is the systematic
rounding of the running sum of probabilities (one uniform offset per outcome and horizon,
so every group, and every run of consecutive cells, gets its expected number of ones up to
one) and the ones go to the persons with the lowest ``Phi^-1(u) - Phi^-1(p)``: the draw
``1{z < Phi^-1(p) + c}`` with the one threshold shift ``c`` per cell that gives the cell
its number of ones.  Then X'y is close to X'p for every regressor that is constant within
cells, and OLS on the panel reproduces the calibrated projection (the published
coefficients) up to rounding and the sampling noise of the county-level regressor
(unemployment).  Counties are not cells: which counties' entrants get a cell's ones is
left to the draw, so county shares carry binomial-like sampling noise as in real data.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import ndtr

from evalkit.replications.fui.synthetic.counties import N_MONTHS
from evalkit.replications.fui.synthetic.population import Persons
from evalkit.replications.fui.synthetic.published import HORIZONS
from evalkit.simulate.rounding import stratified_ones

#: Month-to-month autocorrelation of the latent series.
RHO = 0.93
#: Correlation of the employment and education innovations.
CROSS_CORRELATION = -0.3
#: Months since entry at which probabilities are given: entry month, then HORIZONS.
KNOTS = np.array([0, *HORIZONS])
#: Probability in the entry month (and before) relative to one month after.
ENTRY_FACTOR = {"employment": 0.6, "education": 1.0}
#: Drift of the probability per month after the last horizon.
LATE_DRIFT = {"employment": 0.004, "education": -0.002}


def _interpolate(knot_values: np.ndarray, k: np.ndarray, drift: float) -> np.ndarray:
    """Probability at months-since-entry ``k`` from per-person values at :data:`KNOTS`."""
    kc = np.clip(k, KNOTS[0], KNOTS[-1])
    seg = np.clip(np.searchsorted(KNOTS, kc, side="right") - 1, 0, len(KNOTS) - 2)
    w = (kc - KNOTS[seg]) / (KNOTS[seg + 1] - KNOTS[seg])
    rows = np.arange(len(k))
    p = knot_values[rows, seg] * (1 - w) + knot_values[rows, seg + 1] * w
    return np.clip(p + drift * np.maximum(k - KNOTS[-1], 0), 0.0, 1.0)


def monthly_states(
    persons: Persons,
    horizon_p: dict[str, np.ndarray],
    cells: list[np.ndarray],
    analysis: np.ndarray,
    *,
    noise: Literal["stratified", "bernoulli"],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Outcome states per person and month (``n x 36`` int8) for each outcome.

    ``horizon_p[outcome]`` is ``n x len(HORIZONS)``; ``cells`` are the stratification keys
    of the persons flagged by ``analysis``.
    """
    n = len(persons)
    outcomes = list(horizon_p)
    knot_values = {
        o: np.column_stack([ENTRY_FACTOR[o] * horizon_p[o][:, 0], horizon_p[o]]) for o in outcomes
    }
    since = np.where(persons.kind == 1, persons.months_at_start, -persons.first_nav)
    states = {o: np.zeros((n, N_MONTHS), dtype=np.int8) for o in outcomes}
    at_horizon = {o: np.zeros((n, len(HORIZONS))) for o in outcomes}
    z = rng.standard_normal((len(outcomes), n))
    mix = np.array([[1.0, 0.0], [CROSS_CORRELATION, np.sqrt(1 - CROSS_CORRELATION**2)]])
    z = mix[: len(outcomes), : len(outcomes)] @ z
    for t in range(N_MONTHS):
        if t > 0:
            eps = mix[: len(outcomes), : len(outcomes)] @ rng.standard_normal((len(outcomes), n))
            z = RHO * z + np.sqrt(1 - RHO**2) * eps
        u = ndtr(z)
        k = since + t
        for j, o in enumerate(outcomes):
            p = _interpolate(knot_values[o], k, LATE_DRIFT[o])
            states[o][:, t] = u[j] < p
            for m, h in enumerate(HORIZONS):
                hit = k == h
                at_horizon[o][hit, m] = u[j][hit]
    if noise == "stratified":
        idx = np.flatnonzero(analysis)
        for o in outcomes:
            for m, h in enumerate(HORIZONS):
                ones = stratified_ones(
                    horizon_p[o][idx, m], at_horizon[o][idx, m], [c[idx] for c in cells], rng
                )
                states[o][idx, persons.first_nav[idx] + h] = ones
    return states
