"""Persons of the synthetic NEET population: areas, sizes and risk-factor profiles.

Everyone aged 15-29 at the reference month (December 2023) in the note's four areas and in
the rest of Norway (so that the "Norway" rows of tables 3-4 are reproduced too).  Sizes at
``scale=1`` are of the order of the real populations; the long-term NEET count of Akershus,
Buskerud and Østfold is then about the note's 15,180.  The immigrant share of each area is
the one that makes the table 4 split add up to the table 3 total (least squares over the
NEET and long-term NEET columns).

Risk factors are drawn per person with plausible dependencies (parents' education shifts
dropout and household income; age drives work experience and living with parents); their
effect on long-term NEET is set by the calibration, not here.  Codes follow the note:
``sosbakgr`` 1/2/3, ``grunnbelop`` 1/2/3 and 0 for persons not living with a parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from evalkit.replications.neet.published import AREAS, NORWAY, table_3, table_4

#: Areas of the synthetic country: the note's four and the rest of Norway.
REST = "Rest of Norway"
ALL_AREAS: tuple[str, ...] = (*AREAS, REST)

#: Persons aged 15-29 per area at ``scale=1``.
SIZES: dict[str, int] = {
    "Akershus": 172_000, "Buskerud": 62_000, "Østfold": 66_000, "Oslo": 155_000, REST: 545_000,
}

#: Share of women.
FEMALE_SHARE = 0.49

#: Ages in the population (completed years at the reference month).
MIN_AGE, MAX_AGE = 15, 29


def immigrant_shares() -> dict[str, float]:
    """Per area (and Norway): the immigrant share that reconciles tables 3 and 4.

    ``total = rest + s (immigrants - rest)`` for NEET and long-term NEET; ``s`` by least
    squares over the two columns.
    """
    t3, t4 = table_3(), table_4()
    out = {}
    for area in (*AREAS, NORWAY):
        rest = t4.loc[area, ["neet_rest_of_population", "long_term_neet_rest_of_population"]].to_numpy(float)
        imm = t4.loc[area, ["neet_immigrants", "long_term_neet_immigrants"]].to_numpy(float)
        total = t3.loc[area, ["neet", "long_term_neet"]].to_numpy(float)
        d, e = imm - rest, total - rest
        out[area] = float(d @ e / (d @ d))
    return out


@dataclass(frozen=True)
class Persons:
    """Risk-factor profile of each person (all arrays of length ``n``)."""

    area: np.ndarray  # index into ALL_AREAS
    female: np.ndarray
    age: np.ndarray
    immigrant: np.ndarray
    sosbakgr: np.ndarray  # 1 higher, 2 upper secondary, 3 compulsory
    barnevern: np.ndarray
    grunnbelop: np.ndarray  # 1, 2, 3; 0 = not living with a parent
    dropout: np.ndarray
    tidlarb: np.ndarray
    allhelse: np.ndarray

    def __len__(self) -> int:
        return len(self.area)


def rest_immigrant_share(shares: dict[str, float]) -> float:
    """Immigrant share of the rest of Norway so that the country has Norway's share."""
    total = sum(SIZES.values())
    inside = sum(SIZES[a] * shares[a] for a in AREAS)
    return (total * shares[NORWAY] - inside) / SIZES[REST]


def draw_persons(scale: float, rng: np.random.Generator) -> Persons:
    """Draw the persons of every area with their risk factors."""
    shares = immigrant_shares()
    shares[REST] = rest_immigrant_share(shares)
    counts = [max(int(round(SIZES[a] * scale)), 1) for a in ALL_AREAS]
    area = np.repeat(np.arange(len(ALL_AREAS)), counts)
    n = len(area)
    female = (rng.random(n) < FEMALE_SHARE).astype(np.int8)
    age = rng.integers(MIN_AGE, MAX_AGE + 1, n)
    immigrant = (rng.random(n) < np.array([shares[a] for a in ALL_AREAS])[area]).astype(np.int8)

    u = rng.random(n)
    p_high, p_upper = np.where(immigrant == 1, 0.25, 0.45), np.where(immigrant == 1, 0.30, 0.40)
    sosbakgr = np.where(u < p_high, 1, np.where(u < p_high + p_upper, 2, 3)).astype(np.int8)
    barnevern = (rng.random(n) < 0.04 + 0.05 * (sosbakgr == 3)).astype(np.int8)

    with_parents = rng.random(n) < np.clip(0.97 - 0.08 * np.maximum(age - 18, 0), 0.12, 0.97)
    income_index = 0.9 * (sosbakgr == 1) - 0.8 * (sosbakgr == 3) - 0.8 * immigrant + rng.normal(0, 1, n)
    grunnbelop = np.where(income_index < -1.0, 1, np.where(income_index < 0.2, 2, 3))
    grunnbelop = np.where(with_parents, grunnbelop, 0).astype(np.int8)

    eta_drop = -2.7 + 0.7 * (sosbakgr == 2) + 1.4 * (sosbakgr == 3) + 0.8 * immigrant + 0.6 * barnevern
    dropout = ((age >= 18) & (rng.random(n) < expit(eta_drop))).astype(np.int8)
    eta_work = -3.2 + 0.45 * (age - MIN_AGE) - 1.0 * dropout - 0.8 * immigrant
    tidlarb = (rng.random(n) < expit(eta_work)).astype(np.int8)
    eta_health = -3.8 + 0.8 * dropout + 0.06 * (age - MIN_AGE) + 0.7 * barnevern + 0.3 * (sosbakgr == 3) + 0.3 * immigrant
    allhelse = (rng.random(n) < expit(eta_health)).astype(np.int8)
    return Persons(
        area=area, female=female, age=age, immigrant=immigrant, sosbakgr=sosbakgr, barnevern=barnevern,
        grunnbelop=grunnbelop, dropout=dropout, tidlarb=tidlarb, allhelse=allhelse,
    )
