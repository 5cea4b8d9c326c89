"""The published FUI tables and the rollout schedule in the shapes the simulator needs.

The numbers themselves are read once, by :mod:`evalkit.replications.fui.published` (tables
8.1-8.3) and :func:`evalkit.replications.fui.schedule.norway_2017_schedule`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.outcomes.states import EXIT_STATES
from evalkit.replications.fui.published import published
from evalkit.replications.fui.published import TERMS as PUBLISHED_TERMS
from evalkit.replications.fui.schedule import norway_2017_schedule

#: Outcome horizons (months after the entry month).
HORIZONS: tuple[int, ...] = (1, 3, 6, 9)

#: Outcome name -> key of its published table.
OUTCOME_TABLES: dict[str, str] = {
    "employment": "table_8_2_employment",
    "education": "table_8_3_education",
}

#: Outcome name -> panel column, the monthly state of :mod:`evalkit.outcomes.states`.
OUTCOME_COLUMNS: dict[str, str] = dict(zip(("employment", "education"), EXIT_STATES))

#: Published regression terms, in the order of the simulator's design matrix (constant first).
TERMS: tuple[str, ...] = ("constant",) + tuple(t for t in PUBLISHED_TERMS if t != "constant")

#: Unpublished entry-month dummies of the model (reference: March).
MONTH_TERMS: tuple[str, ...] = ("entry_month_4", "entry_month_5", "entry_month_6")

#: Entry windows: calendar months (March-June) of 2016 (t1) and 2017 (t2).
WINDOW_MONTHS: tuple[int, ...] = (3, 4, 5, 6)
WINDOW_YEARS: dict[str, int] = {"t1": 2016, "t2": 2017}


def load_schedule() -> pd.DataFrame:
    """The Norwegian 2017 rollout schedule: ``county``, ``region``, ``start_month``.

    ``start_month`` is a ``datetime64[ns]`` column at the first day of the month.
    """
    frame = norway_2017_schedule().frame
    start = frame["start_month"].astype("int64")
    return pd.DataFrame(
        {
            "county": frame["unit"].astype(str),
            "region": frame["region"].astype(str),
            "start_month": pd.to_datetime({"year": start // 12, "month": start % 12 + 1, "day": 1}),
        }
    )


def published_coefficients(outcome: str) -> pd.DataFrame:
    """Published coefficients and standard errors of one outcome's table.

    Returns a frame indexed by (term, horizon) with columns ``coef`` and ``se``; terms in
    :data:`TERMS` order.
    """
    if outcome not in OUTCOME_TABLES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOME_TABLES)}")
    table = published()[OUTCOME_TABLES[outcome]]
    rows = [
        (term, h, table[term][str(h)]["coef"], table[term][str(h)]["se"])
        for term in TERMS
        for h in HORIZONS
    ]
    frame = pd.DataFrame(rows, columns=["term", "horizon", "coef", "se"])
    return frame.set_index(["term", "horizon"])


def table_8_1() -> dict[str, Any]:
    """Table 8.1 as ``{group: {"n": int, "shares": {variable: {level: share}}, ...}}``.

    Shares are fractions of the group's total ``n``; education has an explicit ``None``
    level for the persons whose education is missing.  ``unemployment`` holds the group's
    mean county unemployment rate (percent).
    """
    table = published()["table_8_1_descriptives"]
    rows = table["rows"]
    out: dict[str, Any] = {}
    for j, group in enumerate(table["columns"]):
        n = int(table["n_total"][group])

        def count(key: str, j: int = j) -> int:
            return int(rows[key][j][0])

        education = {
            level: count(f"education_{level}")
            for level in ("below_upper_secondary", "upper_secondary", "higher")
        }
        education[None] = n - sum(education.values())
        counts = {
            "female": {1: count("female"), 0: count("male")},
            "age_group": {g: count(f"age_{g}") for g in ("under_20", "20_24", "25_29")},
            "education_level": education,
            "nav_category": {
                c: count(f"category_{c}") for c in ("standard", "situational", "specially_adapted")
            },
        }
        shares = {
            var: {level: c / n for level, c in levels.items()} for var, levels in counts.items()
        }
        out[group] = {
            "n": n,
            "counts": counts,
            "shares": shares,
            "unemployment": float(table["county_unemployment_pct_mean"][j]),
        }
    return out


def allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``shares`` (largest remainder)."""
    shares = np.asarray(shares, dtype=float)
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts
