"""Weights of the estimands of the efficient estimator under staggered random timing.

Roth & Sant'Anna (2023, "Efficient Estimation for Staggered Rollout Designs", JPE
Micro, Section 2.3 and 3) write every estimand as ``theta = sum_g A_theta,g Ybar_g``,
a linear combination of the cohort means ``Ybar_g`` (one value per period), and the
pre-treatment contrast ``Xhat = sum_g A_0,g Ybar_g`` whose expectation is zero under
random timing.  An ATT(g,t) compares cohort ``g`` in period ``t`` with the cohorts not yet
treated at ``max(g, t)`` (or with the last-treated cohort only), weighted by size; its
``A_0`` is the same comparison in period ``g - 1``, so that ``beta = 1`` is the
Callaway & Sant'Anna (2021) estimator (Sun & Abraham 2021 with the last-treated cohort)
and ``beta = 0`` the difference in means.

The four aggregations (the R package staggered's ``estimand``):

* ``simple``: every (g, t) with ``g <= t < max g``, weighted by ``N_g``;
* ``cohort``: per cohort the mean over its treated periods, then weighted by ``N_g``;
* ``calendar``: per period the ``N_g``-weighted mean over cohorts treated by then, then
  the mean over periods;
* ``eventstudy``: at event time ``e``, the ``N_g``-weighted mean of ATT(g, g + e) over the
  cohorts with a comparison cohort at ``max(g, g + e)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import DesignError

__all__ = ["ESTIMANDS", "Estimand", "EstimandWeights", "check_estimand", "estimand_weights"]

Estimand = Literal["simple", "cohort", "calendar", "eventstudy"]
ESTIMANDS: tuple[str, ...] = ("simple", "cohort", "calendar", "eventstudy")


@dataclass(frozen=True)
class EstimandWeights:
    """``A_theta`` and ``A_0`` of one estimand, each ``(G, T)`` (cohorts x periods)."""

    a_theta: np.ndarray
    a_zero: np.ndarray


def _att_vector(g: int, t: float, cohorts: np.ndarray, sizes: np.ndarray, last_treated: bool) -> np.ndarray:
    """Weights over cohorts of ATT(g, t): ``+1`` on cohort ``g``, minus the size shares of
    its comparison cohorts (those first treated after ``max(g, t)``, or the last one)."""
    if last_treated:
        controls = (cohorts > t) & (cohorts == cohorts[-1])
    else:
        controls = cohorts > max(cohorts[g], t)
    v = np.zeros(len(cohorts))
    v[controls] = -sizes[controls] / sizes[controls].sum()
    v[g] += 1.0
    return v


def _cells(estimand: str, cohorts: np.ndarray, periods: np.ndarray, sizes: np.ndarray,
           event_time: int) -> list[tuple[int, float, float]]:
    """``(cohort index, period, weight)`` of the ATT(g,t) that the estimand averages."""
    last = cohorts[-1]
    if estimand == "simple":
        pairs = [(g, t) for g in range(len(cohorts)) for t in periods if cohorts[g] <= t < last]
        total = sum(sizes[g] for g, _ in pairs)
        return [(g, t, sizes[g] / total) for g, t in pairs]
    if estimand == "cohort":
        eligible = [g for g in range(len(cohorts)) if cohorts[g] < last and cohorts[g] <= periods[-1]]
        total = sizes[eligible].sum()
        out = []
        for g in eligible:
            treated = [t for t in periods if cohorts[g] <= t < last]
            out += [(g, t, sizes[g] / total / len(treated)) for t in treated]
        return out
    if estimand == "calendar":
        eligible = [t for t in periods if cohorts[0] <= t < last]
        out = []
        for t in eligible:
            treated = [g for g in range(len(cohorts)) if cohorts[g] <= t]
            total = sizes[treated].sum()
            out += [(g, t, sizes[g] / total / len(eligible)) for g in treated]
        return out
    # eventstudy
    reach = np.maximum(cohorts + event_time, cohorts)
    eligible = np.flatnonzero((reach < last) & (reach <= periods[-1]))
    if not len(eligible):
        raise DesignError(f"event time {event_time}: no cohort has a later-treated comparison cohort at "
                          f"max(g, g + {event_time}); cohorts {cohorts.tolist()}")
    total = sizes[eligible].sum()
    out = [(int(g), cohorts[g] + event_time, sizes[g] / total) for g in eligible if cohorts[g] + event_time in periods]
    if not out:
        raise DesignError(f"event time {event_time}: no cohort is observed {event_time} periods after its first "
                          f"treated period (periods {periods[0]:g} to {periods[-1]:g})")
    return out


def estimand_weights(estimand: str, cohorts: np.ndarray, periods: np.ndarray, sizes: np.ndarray, *,
                     event_time: int = 0, last_treated: bool = False) -> EstimandWeights:
    """``A_theta`` and ``A_0`` of ``estimand`` (Roth & Sant'Anna 2023, eq. 4 and Section 3).

    Parameters
    ----------
    estimand
        ``"simple"``, ``"cohort"``, ``"calendar"`` or ``"eventstudy"``.
    cohorts, periods, sizes
        Sorted first treated periods (``inf`` = never treated), sorted consecutive
        periods, and the number of units of each cohort.
    event_time
        Event time ``e`` of ``"eventstudy"``.
    last_treated
        Compare with the last-treated cohort only (Sun & Abraham).
    """
    cohorts = np.asarray(cohorts, dtype=float)
    periods = np.asarray(periods, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    column = {float(t): j for j, t in enumerate(periods)}
    a_theta = np.zeros((len(cohorts), len(periods)))
    a_zero = np.zeros_like(a_theta)
    for g, t, w in _cells(estimand, cohorts, periods, sizes, event_time):
        v = w * _att_vector(g, t, cohorts, sizes, last_treated)
        a_theta[:, column[float(t)]] += v
        before = column.get(float(cohorts[g] - 1))
        if before is not None:
            a_zero[:, before] += v
    return EstimandWeights(a_theta, a_zero)


def check_estimand(estimand: str, event_times: Iterable[int] | None) -> None:
    """``DesignError`` for an unknown estimand or event times without ``"eventstudy"``."""
    if estimand not in ESTIMANDS:
        raise DesignError(f"estimand must be one of {', '.join(ESTIMANDS)}; got {estimand!r}")
    if event_times is not None and estimand != "eventstudy":
        raise DesignError(f"event_times are for estimand='eventstudy', not {estimand!r}")
