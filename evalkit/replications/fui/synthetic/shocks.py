"""County x month shocks to the outcome probabilities, with a stated intra-county correlation.

Entrants of one county who reach an outcome month together share that county's labour
market (employers, schools, the local NAV office) beyond what the county unemployment
rate measures.  The simulator gives every outcome, county and calendar month a shock
``eta[o, c, t] = sigma_o * zeta[o, c, t]``, ``zeta`` a stationary Gaussian AR(1) over
months within each county (autocorrelation :data:`SHOCK_PERSISTENCE`, independent across
counties and outcomes).  The shock moves a person's probability on the logit scale, to
first order, in the outcome month ``t = entry + k`` of horizon ``k``::

    p = q + eta[o, c, entry + k] * q * (1 - q),      q = clip(x' theta_k, 0, 1)

so the shock has mean zero at every ``q``, never moves ``p`` out of [0, 1] for
``|eta| < 1`` and vanishes where ``q`` is 0 or 1.  ``sigma_o`` is set so that the
*intra-county correlation* -- the share of the outcome's variance given the regressors,
``E[q (1 - q)]`` over the analysis entrants, that two entrants of the same county and
outcome month have in common, ``Var(p - q) / E[q (1 - q)]`` (Moulton's residual
intraclass correlation) -- equals ``county_icc``, pooled over the horizons.

With ``noise="stratified"`` the shocks are *centred*: their least-squares projection on
the published regressors over the analysis entrants (region x window, unemployment,
entry months, ...) is removed, so tables 8.2/8.3 stay on the published coefficients and
only the residuals carry the county correlation.  With ``noise="bernoulli"`` they are
used as drawn, so that simulated estimates vary across seeds as under real county shocks.

References
----------
Moulton (1990), "An illustration of a pitfall in estimating the effects of aggregate
variables on micro units", REStat 72(2) (why a small intra-cluster correlation matters
for regressors that vary only between clusters); Snijders & Bosker (2012), *Multilevel
Analysis*, ch. 17 (shocks on the logit scale).
"""

from __future__ import annotations

import numbers

import numpy as np

from evalkit.errors import EvalkitError
from evalkit.replications.fui.synthetic.counties import N_MONTHS

#: Default intra-county correlation of the outcomes (see docs/simulate.md, "County shocks").
DEFAULT_COUNTY_ICC = 0.005
#: Month-to-month autocorrelation of a county's shock (0.8**12 ~ 0.07 a year apart).
SHOCK_PERSISTENCE = 0.8
#: Stream of the shock draws, kept apart from the panel's own draws (``[seed, stream]``).
SHOCK_STREAM = 1


def check_icc(county_icc: object) -> float:
    """``county_icc`` as a float in [0, 0.2]; EvalkitError naming the value otherwise."""
    ok = isinstance(county_icc, numbers.Real) and not isinstance(county_icc, bool)
    if not ok or not (0.0 <= float(county_icc) <= 0.2):
        raise EvalkitError(
            f"county_icc must be a number from 0 to 0.2 (the intra-county correlation of the "
            f"outcomes, default {DEFAULT_COUNTY_ICC}), got {county_icc!r}"
        )
    return float(county_icc)


def standard_shocks(n_outcomes: int, n_counties: int, rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) N(0, 1) series: ``(n_outcomes, n_counties, N_MONTHS)``."""
    rho = SHOCK_PERSISTENCE
    eps = rng.standard_normal((n_outcomes, n_counties, N_MONTHS))
    zeta = np.empty_like(eps)
    zeta[..., 0] = eps[..., 0]
    for t in range(1, N_MONTHS):
        zeta[..., t] = rho * zeta[..., t - 1] + np.sqrt(1 - rho**2) * eps[..., t]
    return zeta


def outcome_months(entry: np.ndarray, horizons: tuple[int, ...]) -> np.ndarray:
    """Calendar month index of each horizon's outcome (``n x len(horizons)``), inside the panel."""
    return np.clip(entry[:, None] + np.asarray(horizons)[None, :], 0, N_MONTHS - 1)


def shock_scale(q: np.ndarray, county_icc: float) -> float:
    """``sigma`` with ``sigma^2 E[q^2 (1-q)^2] = icc * E[q (1-q)]``, pooled over columns.

    ``q`` holds the analysis entrants' probabilities (``n x horizons``).
    """
    if county_icc == 0.0:
        return 0.0
    variance = q * (1 - q)
    return float(np.sqrt(county_icc * variance.sum() / (variance**2).sum()))


def centring_coefficients(shift: np.ndarray, rows: np.ndarray, factor: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Least-squares coefficients of ``shift[rows]`` on the regressors (``factor = qr(X[rows])``)
    that centring removes (``shift - X @ coef``; afterwards ``X[rows]' shift[rows] = 0``:
    the regressors' sums, region x window means, unemployment, ..., are those of the model
    without shocks).  Applied to other persons' regressors they centre those persons'
    shocks the same way (the 30-34 comparison band)."""
    q, r = factor
    return np.linalg.solve(r, q.T @ shift[rows])
