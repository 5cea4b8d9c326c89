"""Seeded panels of persons moving into and out of treated regions, with known effects.

Person ``i`` lives in a treated region (``treated_it = 1``) or not; each period after the
first it moves to a region of the other kind with probability ``move_rate`` (so exposure
switches on and off, possibly several times).  The outcome is

    y_it = alpha_i + lambda_t + effect(k_it) + eps_it,

``k_it`` the number of consecutive periods the person has been exposed up to ``t`` (0
when not exposed), ``effect(k) = effect_per_period * min(k, max_buildup)``: the effect
builds up with exposure and stops when the person leaves.  ``alpha_i ~ N(0, unit_sd^2)``,
``lambda_t ~ N(0, time_sd^2)``, ``eps_it ~ N(0, noise_sd^2)``.

The panel also carries the effect under each person's *status quo* (its first-period
exposure kept throughout), so the effect of a person's switches is known: for DID_l (de
Chaisemartin & D'Haultfoeuille 2024) the true effect ``l`` periods after the first switch
is ``S_g (effect - effect_status_quo)`` at ``F_g - 1 + l`` (``S_g = +1`` moving in,
``-1`` moving out), averaged over the switchers (:meth:`SwitchingPanel.true_effects`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SwitchingPanel", "simulate_switching"]


@dataclass(frozen=True)
class SwitchingPanel:
    """A simulated person x period panel.

    Attributes
    ----------
    data
        Columns ``unit``, ``time``, ``treated`` (exposed this period), ``first_switch``
        (first period whose exposure differs from the first period's; 0 = never),
        ``baseline`` (first-period exposure), ``effect``, ``effect_status_quo``, ``y``.
    """

    data: pd.DataFrame

    def true_effects(self, effects: int) -> pd.Series:
        """The mean of ``S_g (effect - effect_status_quo)`` at ``F_g - 1 + l`` over the
        switchers observed there, for ``l = 1..effects`` (indexed by event time ``l - 1``)."""
        d = self.data
        sw = d[d["first_switch"] > 0]
        sign = np.where(sw["baseline"] == 0, 1.0, -1.0)
        gap = sign * (sw["effect"] - sw["effect_status_quo"]).to_numpy()
        e = (sw["time"] - sw["first_switch"]).to_numpy()
        frame = pd.DataFrame({"event_time": e, "gap": gap})
        frame = frame[(frame["event_time"] >= 0) & (frame["event_time"] < effects)]
        return frame.groupby("event_time")["gap"].mean()


def simulate_switching(
    n_units: int,
    n_periods: int,
    *,
    rng: np.random.Generator,
    share_treated: float = 0.5,
    move_rate: float = 0.1,
    effect_per_period: float = 1.0,
    max_buildup: int = 3,
    unit_sd: float = 1.0,
    time_sd: float = 0.5,
    noise_sd: float = 1.0,
) -> SwitchingPanel:
    """Simulate persons moving between treated and untreated regions (module docstring).

    Parameters
    ----------
    n_units, n_periods
        Persons and periods (``1..n_periods``).
    rng
        A numpy Generator (the caller's seed rule: :func:`evalkit.inference.as_generator`).
    share_treated
        Share of persons living in a treated region in the first period.
    move_rate
        Probability of moving to a region of the other kind, each period.
    effect_per_period, max_buildup
        The effect after ``k`` consecutive exposed periods is
        ``effect_per_period * min(k, max_buildup)``.
    unit_sd, time_sd, noise_sd
        Standard deviations of the unit and period effects and of the noise.
    """
    first = rng.random(n_units) < share_treated
    moves = rng.random((n_units, n_periods)) < move_rate
    moves[:, 0] = False
    exposed = np.logical_xor(first[:, None], np.cumsum(moves, axis=1) % 2 == 1)

    def built_up(expo: np.ndarray) -> np.ndarray:
        run = np.zeros(expo.shape)
        for t in range(expo.shape[1]):
            run[:, t] = np.where(expo[:, t], (run[:, t - 1] if t else 0) + 1, 0)
        return effect_per_period * np.minimum(run, max_buildup)

    effect = built_up(exposed)
    status_quo = built_up(np.repeat(first[:, None], n_periods, axis=1))
    changed = exposed != first[:, None]
    first_switch = np.where(changed.any(axis=1), changed.argmax(axis=1) + 1, 0)
    alpha = rng.normal(0.0, unit_sd, n_units)
    lam = rng.normal(0.0, time_sd, n_periods)
    y = alpha[:, None] + lam[None, :] + effect + rng.normal(0.0, noise_sd, (n_units, n_periods))
    units = np.repeat(np.arange(1, n_units + 1), n_periods)
    data = pd.DataFrame({
        "unit": units,
        "time": np.tile(np.arange(1, n_periods + 1), n_units),
        "treated": exposed.ravel().astype(int),
        "first_switch": np.repeat(first_switch, n_periods),
        "baseline": np.repeat(first.astype(int), n_periods),
        "effect": effect.ravel(),
        "effect_status_quo": status_quo.ravel(),
        "y": y.ravel(),
    })
    return SwitchingPanel(data)
