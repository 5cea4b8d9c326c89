"""NAV spells month by month and each person's span of months in the register extract.

After the first NAV month a person leaves NAV with a monthly hazard that falls with the need
category, may return (only within 12 months of the last NAV month, so that a return is
never a new entry) and rarely moves up one need category.  A person's rows run from the
first month in the extract (the first NAV month, or up to a year earlier) to the panel end,
or earlier for some under 30 who turn 30 or emigrate -- never before nine months of follow-up.
"""

from __future__ import annotations

import numpy as np

from evalkit.replications.fui.synthetic.counties import N_MONTHS
from evalkit.replications.fui.synthetic.population import Persons

#: Monthly probability of leaving NAV, by category (standard ... permanently adapted).
EXIT_HAZARD = np.array([0.14, 0.10, 0.07, 0.03])
#: Monthly probability of returning to NAV while the last NAV month is <= 12 months back.
RETURN_HAZARD = 0.06
#: Monthly probability of moving up one need category while at NAV.
UPGRADE_HAZARD = 0.008
#: Share of persons whose rows start before their first NAV month.
EARLY_START_SHARE = 0.35
#: Share of persons emigrating, and share leaving the extract when turning 30.
EMIGRATION_SHARE, LEAVE_AT_30_SHARE = 0.03, 0.6
#: Months of follow-up always kept after the first NAV month (horizon 9 + 1).
MIN_FOLLOW_UP = 10


def data_span(persons: Persons, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """First and last month index of each person's rows (inclusive)."""
    n = len(persons)
    e = persons.first_nav
    lead = rng.integers(1, 13, n)
    early = (rng.random(n) < EARLY_START_SHARE) & (persons.kind != 1)
    first = np.where(early, np.maximum(e - lead, 0), e)

    floor_last = np.minimum(e + MIN_FOLLOW_UP, N_MONTHS - 1)
    last = np.full(n, N_MONTHS - 1)
    emigrate = rng.random(n) < EMIGRATION_SHARE
    last = np.where(emigrate, rng.integers(floor_last, N_MONTHS), last)
    december_29 = (persons.birth_year + 29 - 2016) * 12 + 11
    leave_30 = (
        (rng.random(n) < LEAVE_AT_30_SHARE) & (persons.kind < 4) & (december_29 < N_MONTHS - 1)
    )
    last = np.where(leave_30, np.minimum(last, np.maximum(december_29, floor_last)), last)
    return first, last


def nav_categories(persons: Persons, rng: np.random.Generator) -> np.ndarray:
    """Category code per person and month (``n x 36`` int8), ``-1`` when not at NAV."""
    n = len(persons)
    out = np.full((n, N_MONTHS), -1, dtype=np.int8)
    current = persons.category.astype(np.int64)
    at_nav = np.zeros(n, dtype=bool)
    last_nav = persons.last_before.copy()
    for t in range(N_MONTHS):
        draws = rng.random((3, n))
        leaves = at_nav & (draws[0] < EXIT_HAZARD[current])
        returns = (
            ~at_nav & (persons.first_nav < t) & (t - last_nav <= 12) & (draws[1] < RETURN_HAZARD)
        )
        upgrade = at_nav & (draws[2] < UPGRADE_HAZARD) & (current < 3)
        at_nav = (persons.first_nav == t) | (at_nav & ~leaves) | returns
        current = current + (upgrade & at_nav)
        out[at_nav, t] = current[at_nav]
        last_nav[at_nav] = t
    return out
