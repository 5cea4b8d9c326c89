"""Monthly activity histories that end in each person's drawn status at the reference month.

The panel runs January 2021 - December 2023 (36 months; the reference month is the last).
A person NEET at the reference month is NEET in the last ``L`` months and in an activity
the month before (so the spell's start is observed) unless ``L`` reaches back past the
panel start (the spell is then open at the start and longer than 36 months):

- long-term NEET (and long NEET with income above a quarter of G): ``L = 23 + Geometric(1/15)``;
- short NEET: ``L`` uniform on 1..23.

Earlier months are NEET with a small person-level probability (short past episodes), other
months are spent in one main activity: education for those under 20 who did not drop out
(and a quarter of the others), else work for those with work experience, else a
labour-market programme.  Health benefits: receivers at the reference month (``allhelse``)
have received them for the last 1-30 months; 3 % of the others had an earlier episode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.replications.neet.synthetic.population import Persons

#: Months of the panel and the reference month (the last).
PANEL_START = pd.Period("2021-01", freq="M")
N_MONTHS = 36
REFERENCE_MONTH = PANEL_START + (N_MONTHS - 1)

#: Status codes at the reference month.
NOT_NEET, SHORT_NEET, LONG_NEET_INCOME, LONG_TERM_NEET = 0, 1, 2, 3


def spell_lengths(status: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Months of the NEET spell that is running at the reference month (0 if not NEET)."""
    long = 23 + rng.geometric(1 / 15, len(status))
    short = rng.integers(1, 24, len(status))
    return np.where(status >= LONG_NEET_INCOME, long, np.where(status == SHORT_NEET, short, 0))


def neet_matrix(status: np.ndarray, persons: Persons, rng: np.random.Generator) -> np.ndarray:
    """``n x N_MONTHS`` boolean: NEET months, ending in the drawn status."""
    n = len(status)
    length = spell_lengths(status, rng)
    t = np.arange(N_MONTHS)
    start = N_MONTHS - length  # first month of the current spell (may be negative)
    past_rate = 0.02 + 0.05 * persons.dropout + 0.03 * (1 - persons.tidlarb)
    neet = rng.random((n, N_MONTHS)) < past_rate[:, None]
    neet[t[None, :] >= start[:, None]] = True
    neet[t[None, :] == (start - 1)[:, None]] = False  # an observed start (no-op if start <= 0)
    neet[status == NOT_NEET, -1] = False
    return neet


def activities(neet: np.ndarray, persons: Persons, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``employed``, ``in_education``, ``in_programme`` (``n x N_MONTHS`` int8)."""
    n = len(persons)
    may_study = persons.dropout == 0
    studies = may_study & ((persons.age < 20) | (rng.random(n) < 0.25))
    works = ~studies & (persons.tidlarb == 1)
    active = ~neet
    switch = rng.random(neet.shape) < 0.05  # a month in a programme instead
    education = active & studies[:, None] & ~switch
    employed = active & works[:, None] & ~switch
    programme = active & ~education & ~employed
    side_job = education & (persons.tidlarb == 1)[:, None] & (rng.random(neet.shape) < 0.2)
    return {
        "employed": (employed | side_job).astype(np.int8),
        "in_education": education.astype(np.int8),
        "in_programme": programme.astype(np.int8),
    }


def health_benefits(persons: Persons, rng: np.random.Generator) -> np.ndarray:
    """``n x N_MONTHS`` int8: months with a health-related benefit."""
    n = len(persons)
    t = np.arange(N_MONTHS)
    since = N_MONTHS - rng.integers(1, 31, n)
    current = (persons.allhelse == 1)[:, None] & (t[None, :] >= since[:, None])
    earlier_start = rng.integers(0, N_MONTHS - 7, n)
    earlier = (
        ((persons.allhelse == 0) & (rng.random(n) < 0.03))[:, None]
        & (t[None, :] >= earlier_start[:, None])
        & (t[None, :] < (earlier_start + 6)[:, None])
    )
    return (current | earlier).astype(np.int8)


def monthly_frame(person_id: np.ndarray, states: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long frame: ``person_id``, ``month`` (first day of the month) and the state columns."""
    n = len(person_id)
    months = pd.period_range(PANEL_START, periods=N_MONTHS, freq="M").to_timestamp().to_numpy()
    frame = {"person_id": np.repeat(person_id, N_MONTHS), "month": np.tile(months, n)}
    frame.update({name: values.reshape(-1) for name, values in states.items()})
    return pd.DataFrame(frame)
