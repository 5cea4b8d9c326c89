"""Seeded staggered-adoption panels with known ATT(g,t), in the manner of R did's ``simulate_data``.

The outcome of unit ``i`` in period ``t`` (periods ``1..n_periods``) is

    y_it = alpha_i + lambda_t + (t * trend_x) * x_i + 1{t >= g_i} * effect(t - g_i, g_i) + eps_it,

with unit effects ``alpha_i ~ N(cohort_shift * g_i, unit_sd^2)`` (cohorts differ in levels,
which differencing removes), period effects ``lambda_t ~ N(0, time_sd^2)``, a covariate
``x_i ~ N(0, 1)`` whose trend ``trend_x`` makes parallel trends hold only conditionally
when cohorts differ in ``x`` (``x_shift``), and noise ``eps_it ~ N(0, noise_sd^2)``.
Parallel trends hold unconditionally when ``trend_x = 0`` or ``x_shift = 0``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

EffectFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SimulatedPanel:
    """A simulated long panel and its true effects.

    Attributes
    ----------
    data
        Columns ``unit``, ``time``, ``first_treated`` (0 = never), ``treated``, ``x``, ``y``.
    true_att
        Columns ``group``, ``time``, ``event_time``, ``att``: the true ATT(g,t) for every
        cohort and period (0 before treatment).
    """

    data: pd.DataFrame
    true_att: pd.DataFrame

    def true_dynamic(self) -> pd.Series:
        """True event-study effects: cohort-size weighted ATT(g, g+e), indexed by ``e``."""
        sizes = self.data.drop_duplicates("unit")["first_treated"].value_counts()
        att = self.true_att.assign(size=self.true_att["group"].map(sizes))
        return att.groupby("event_time").apply(lambda f: np.average(f["att"], weights=f["size"]), include_groups=False)


def simulate_staggered(
    n_units: int,
    n_periods: int,
    cohorts: Mapping[int, float],
    *,
    effect: float | EffectFunction = 1.0,
    rng: np.random.Generator,
    unit_sd: float = 1.0,
    time_sd: float = 0.5,
    noise_sd: float = 1.0,
    cohort_shift: float = 0.1,
    trend_x: float = 0.0,
    x_shift: float = 0.0,
) -> SimulatedPanel:
    """Simulate a balanced staggered-adoption panel with a known ATT(g,t).

    Parameters
    ----------
    n_units, n_periods
        Panel size; periods are ``1..n_periods``.
    cohorts
        ``{first treated period: share of units}``; the remaining share is never treated.
    effect
        A constant, or ``effect(event_time, cohort) -> array`` giving the effect at
        event times ``>= 0`` (dynamic, cohort-specific effects).
    rng
        ``numpy.random.default_rng(seed)``.
    unit_sd, time_sd, noise_sd
        Standard deviations of unit effects, period effects and noise.
    cohort_shift
        Shift of the unit-effect mean per period of ``g`` (level differences by cohort).
    trend_x, x_shift
        Covariate trend and the shift of the covariate's mean per period of ``g``.
    """
    shares = np.array(list(cohorts.values()), dtype=float)
    starts = np.array(list(cohorts.keys()), dtype=int)
    if (shares < 0).any() or shares.sum() > 1 + 1e-12:
        raise ValueError(f"cohort shares must be non-negative and sum to at most 1, got {dict(cohorts)}")
    if ((starts < 1) | (starts > n_periods)).any():
        raise ValueError(f"cohort start periods must lie in 1..{n_periods}, got {starts.tolist()}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    fn: EffectFunction = effect if callable(effect) else (lambda e, g: np.full(np.shape(e), float(effect)))
    probs = np.append(shares, max(0.0, 1 - shares.sum()))
    g = np.append(starts, 0)[rng.choice(len(probs), size=n_units, p=probs / probs.sum())]
    x = rng.normal(x_shift * g, 1.0)
    alpha = rng.normal(cohort_shift * g, unit_sd)
    lam = rng.normal(0.0, time_sd, n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    gi = np.repeat(g, n_periods)
    treated = (gi > 0) & (t >= gi)
    y = np.repeat(alpha, n_periods) + lam[t - 1] + trend_x * t * np.repeat(x, n_periods)
    y = y + rng.normal(0.0, noise_sd, n_units * n_periods)
    y[treated] += fn(t[treated] - gi[treated], gi[treated])
    data = pd.DataFrame({
        "unit": np.repeat(np.arange(n_units), n_periods), "time": t, "first_treated": gi,
        "treated": treated.astype(int), "x": np.repeat(x, n_periods), "y": y,
    })
    gg, tt = np.meshgrid(np.sort(starts), np.arange(1, n_periods + 1), indexing="ij")
    gg, tt = gg.ravel(), tt.ravel()
    att = np.where(tt >= gg, fn(tt - gg, gg), 0.0)
    true_att = pd.DataFrame({"group": gg, "time": tt, "event_time": tt - gg, "att": att.astype(float)})
    return SimulatedPanel(data=data, true_att=true_att)
