"""Who is in the synthetic register: persons, their attributes and their first NAV month.

Kinds of persons (column ``kind`` of :class:`Persons`):

0. new users: enter NAV in a target category, under 30, no NAV registration in the 12
   months before.  Those entering March-June 2016/2017 are the four analysis groups of
   table 8.1, drawn with the table's exact sizes and marginal compositions; those entering
   in the other months of 2016-2018 follow the nearest window's composition.
1. the stock: at NAV when the panel starts (last month before = December 2015).
2. re-entrants of 2016: first NAV month in 2016, but at NAV within the 12 months before
   (``last_nav_month_before`` says so), hence not new.
3. new entrants in the permanently adapted category (outside the FUI target group).
4. new entrants aged 30 or more in the year of entry (outside the analysis).
5. new users aged 30-34 (:data:`AGE_BAND`), only with ``simulate_fui_panel(age_30_34=True)``:
   entering NAV in a target category in every month, with the composition of the under-30
   new users of the nearest window and :data:`AGE_BAND_VOLUME` times the volume of the
   25-29 year olds; not exposed to FUI (above the age limit).  They are the within-region
   comparison of the triple difference (docs/triple_diff.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from evalkit.replications.fui.synthetic.counties import N_MONTHS, WINDOW_MONTH_SHARES, window_month_indices
from evalkit.replications.fui.published import GROUPS
from evalkit.replications.fui.synthetic.published import allocate

#: ``last_nav_month_before`` code for "no NAV history known".
NO_HISTORY = -10_000

#: Category codes: index into evalkit.panel.roles.NAV_CATEGORIES.
STANDARD, SITUATIONAL, SPECIALLY_ADAPTED, PERMANENTLY_ADAPTED = 0, 1, 2, 3

#: Relative volume of new users by calendar month (window months use table 8.1).
_SEASON = np.array([1.15, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 1.2, 1.0, 0.95, 0.9, 0.75])

#: Persons of the non-new kinds at scale 1.
_STOCK, _REENTRANTS_2016, _PERMANENT, _AGED_30 = 72_000, 30_000, 6_000, 4_000

#: Ages (at entry, ends included) of the comparison band of new users above the age limit.
AGE_BAND = (30, 34)
#: Volume of the 30-34 year old new users relative to the 25-29 year olds (same window).
AGE_BAND_VOLUME = 0.8

#: Standard deviation of the noise in the age -> education ranking (years).
_EDUCATION_AGE_NOISE = 3.0


@dataclass
class Persons:
    """One entry per person (numpy arrays of equal length)."""

    kind: np.ndarray  # int8, see module docstring
    group: np.ndarray  # int8: index into GROUPS for analysis entrants, else -1
    county: np.ndarray  # int64: row of the county profile
    first_nav: np.ndarray  # int64: first month at NAV in the panel (0 = Jan 2016)
    category: np.ndarray  # int8: category at first_nav
    female: np.ndarray  # int8
    birth_year: np.ndarray  # int64
    education: np.ndarray  # int8: index into EDUCATION_LEVELS, -1 = missing
    last_before: np.ndarray  # int64: last NAV month before the panel, NO_HISTORY if none
    months_at_start: np.ndarray  # int64: months since the (pre-panel) entry, stock only

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def concat(cls, parts: list[Persons]) -> Persons:
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def take(self, index: np.ndarray) -> Persons:
        return Persons(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def _exact(n: int, levels: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels with counts exactly proportional to ``shares``, in random order."""
    return rng.permutation(np.repeat(np.asarray(levels), allocate(n, shares)))


def _ages(age_group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Age in years within each age group (16-19, 20-24, 25-29)."""
    age = np.empty(len(age_group), dtype=np.int64)
    for g, (ages, p) in enumerate(
        [
            (np.arange(16, 20), np.array([0.05, 0.15, 0.35, 0.45])),
            (np.arange(20, 25), np.full(5, 0.2)),
            (np.arange(25, 30), np.full(5, 0.2)),
        ]
    ):
        sel = age_group == g
        age[sel] = rng.choice(ages, size=int(sel.sum()), p=p)
    return age


def _education(n: int, shares: dict, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Education codes with exact marginal counts, older persons more educated."""
    levels = ["below_upper_secondary", "upper_secondary", "higher"]
    counts = allocate(n, np.array([shares[lv] for lv in levels] + [shares[None]]))
    education = np.full(n, -1, dtype=np.int8)
    known = rng.permutation(n)[: n - counts[-1]]
    score = age[known] + rng.normal(0.0, _EDUCATION_AGE_NOISE, len(known))
    education[known[np.argsort(score, kind="stable")]] = np.repeat(
        np.arange(3, dtype=np.int8), counts[:3]
    )
    return education


def _cohort(
    n: int,
    shares: dict,
    months: np.ndarray,
    month_shares: np.ndarray,
    counties: np.ndarray,
    county_weights: np.ndarray,
    rng: np.random.Generator,
    *,
    kind: int = 0,
    group: int = -1,
    categories: np.ndarray | None = None,
) -> Persons:
    """A batch of entrants with exact marginal compositions (``shares`` as in table 8.1)."""
    first_nav = _exact(n, months, month_shares, rng).astype(np.int64)
    county = _exact(n, counties, county_weights, rng).astype(np.int64)
    if categories is None:
        cat_shares = shares["nav_category"]
        categories = np.array(
            [
                cat_shares["standard"],
                cat_shares["situational"],
                cat_shares["specially_adapted"],
                0.0,
            ]
        )
    category = _exact(n, np.arange(4, dtype=np.int8), categories, rng)
    female = _exact(
        n,
        np.array([1, 0], dtype=np.int8),
        np.array([shares["female"][1], shares["female"][0]]),
        rng,
    )
    age_group = _exact(n, np.arange(3), np.array(list(shares["age_group"].values())), rng)
    age = _ages(age_group, rng)
    return Persons(
        kind=np.full(n, kind, dtype=np.int8),
        group=np.full(n, group, dtype=np.int8),
        county=county,
        first_nav=first_nav,
        category=category,
        female=female,
        birth_year=2016 + first_nav // 12 - age,
        education=_education(n, shares["education_level"], age, rng),
        last_before=np.full(n, NO_HISTORY, dtype=np.int64),
        months_at_start=np.zeros(n, dtype=np.int64),
    )


def _history_before(first_nav: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Last NAV month before the panel for new users: none (75 %) or 13+ months earlier."""
    latest = np.minimum(first_nav - 13, -1)
    last = latest - rng.geometric(1 / 12, len(first_nav)) + 1
    return np.where(rng.random(len(first_nav)) < 0.25, last, NO_HISTORY)


def build_persons(
    profile: pd.DataFrame, table: dict, scale: float, rng: np.random.Generator
) -> Persons:
    """All persons of the synthetic register (unshuffled: analysis groups first)."""
    parts: list[Persons] = []
    regions = {
        r: (
            np.flatnonzero(profile["region"] == r),
            profile.loc[profile["region"] == r, "weight"].to_numpy(),
        )
        for r in ("south_west", "rest")
    }
    # analysis windows: exact sizes and compositions of table 8.1
    for g, name in enumerate(GROUPS):
        region, window = name.rsplit("_", 1)
        rows, weights = regions[region]
        n = round(scale * table[name]["n"])
        parts.append(
            _cohort(
                n,
                table[name]["shares"],
                window_month_indices(window),
                WINDOW_MONTH_SHARES,
                rows,
                weights,
                rng,
                group=g,
            )
        )
    # new users of the other months: volume and composition of the nearest window
    window_idx = np.concatenate([window_month_indices("t1"), window_month_indices("t2")])
    other = np.setdiff1d(np.arange(N_MONTHS), window_idx)
    for region, (rows, weights) in regions.items():
        for year, window, factor in ((2016, "t1", 1.0), (2017, "t2", 1.0), (2018, "t2", 0.95)):
            months = other[(other >= (year - 2016) * 12) & (other < (year - 2015) * 12)]
            name = f"{region}_{window}"
            volume = table[name]["n"] / 4 * factor * _SEASON[months % 12]
            parts.append(
                _cohort(
                    round(scale * volume.sum()),
                    table[name]["shares"],
                    months,
                    volume,
                    rows,
                    weights,
                    rng,
                )
            )
    new = Persons.concat(parts)
    new.last_before = _history_before(new.first_nav, rng)
    return Persons.concat([new, *_other_kinds(regions, table, scale, rng)])


def _other_kinds(
    regions: dict, table: dict, scale: float, rng: np.random.Generator
) -> list[Persons]:
    parts = []
    all_months = np.arange(N_MONTHS)
    flat = np.ones(N_MONTHS)
    for region, (rows, weights) in regions.items():
        share = 0.36 if region == "south_west" else 0.64
        t1 = table[f"{region}_t1"]["shares"]
        stock = _cohort(
            round(scale * share * _STOCK),
            t1,
            np.array([0]),
            np.ones(1),
            rows,
            weights,
            rng,
            kind=1,
            categories=np.array([0.45, 0.25, 0.18, 0.12]),
        )
        stock.last_before[:] = -1
        stock.months_at_start = rng.geometric(1 / 8, len(stock))
        reentry = _cohort(
            round(scale * share * _REENTRANTS_2016),
            t1,
            all_months[:12],
            flat[:12],
            rows,
            weights,
            rng,
            kind=2,
            categories=np.array([0.6, 0.2, 0.15, 0.05]),
        )
        reentry.last_before = reentry.first_nav - rng.integers(1, 13, len(reentry))
        reentry.last_before = np.where(reentry.last_before < 0, reentry.last_before, -1)
        permanent = _cohort(
            round(scale * share * _PERMANENT),
            t1,
            all_months,
            flat,
            rows,
            weights,
            rng,
            kind=3,
            categories=np.array([0.0, 0.0, 0.0, 1.0]),
        )
        aged = _cohort(
            round(scale * share * _AGED_30), t1, all_months, flat, rows, weights, rng, kind=4
        )
        aged.birth_year = 2016 + aged.first_nav // 12 - rng.integers(30, 32, len(aged))
        parts += [stock, reentry, permanent, aged]
    return parts


def build_age_band(profile: pd.DataFrame, table: dict, scale: float, rng: np.random.Generator) -> Persons:
    """New users aged 30-34 (kind 5) in every month of 2016-2018 and both regions.

    In each region and month their number is :data:`AGE_BAND_VOLUME` times that of the
    25-29 year old new users of the nearest window (table 8.1's size and age shares, the
    months' volumes as for the other new users), and their other attributes follow that
    window's composition.  Ages are uniform over :data:`AGE_BAND`.
    """
    parts = []
    for region in ("south_west", "rest"):
        rows = np.flatnonzero(profile["region"] == region)
        weights = profile.loc[profile["region"] == region, "weight"].to_numpy()
        for year, window in ((2016, "t1"), (2017, "t2"), (2018, "t2")):
            months = np.arange((year - 2016) * 12, (year - 2015) * 12)
            shares = table[f"{region}_{window}"]["shares"]
            n_window = table[f"{region}_{window}"]["n"] * shares["age_group"]["25_29"]
            volume = n_window / 4 * AGE_BAND_VOLUME * _SEASON[months % 12]
            band = _cohort(round(scale * volume.sum()), {**shares, "age_group": {"under_20": 0.0, "20_24": 0.0, "25_29": 1.0}},
                           months, volume, rows, weights, rng, kind=5)
            band.birth_year = 2016 + band.first_nav // 12 - rng.integers(AGE_BAND[0], AGE_BAND[1] + 1, len(band))
            parts.append(band)
    return Persons.concat(parts)
