"""Outcomes k months after entry, honest about censoring.

For an entry in month ``e`` and a horizon ``k``, the state *at* month ``e + k`` is the
published definition (e.g. "had an employment contract in the month 6 months after
entry"); the state *ever by* ``e + k`` is 1 when the person was in the state in any month
``e + 1, ..., e + k``.  States: ``employed``, ``in_education``, ``at_nav`` (registered at
NAV in any need category) and ``none`` (none of the three).

When ``e + k`` lies after the panel's last month the outcome is *censored*: missing, never
zero.  When ``e + k`` lies inside the panel but the person has no row that month (absent
from the register), the outcome is missing too and counted apart.  Both counts are in the
:class:`OutcomeReport`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from evalkit.cohorts.entries import Entries
from evalkit.engine import run
from evalkit.panel.load import StatusPanel

STATES: tuple[str, ...] = ("employed", "in_education", "at_nav", "none")

_STATE_SQL = {
    "employed": "p.employed",
    "in_education": "p.in_education",
    "at_nav": "CAST(p.nav_category IS NOT NULL AS INTEGER)",
    "none": "CAST(p.employed = 0 AND p.in_education = 0 AND p.nav_category IS NULL AS INTEGER)",
}


@dataclass(frozen=True)
class OutcomeReport:
    """Per horizon: entries observed, censored by the panel's end, and without a row."""

    table: pd.DataFrame

    def __str__(self) -> str:
        return "outcomes by horizon:\n" + self.table.to_string()


@dataclass(frozen=True)
class Outcomes:
    """Entries with outcome columns ``<state>_<k>`` (and ``ever_<state>_<k>``)."""

    frame: pd.DataFrame
    report: OutcomeReport
    horizons: tuple[int, ...]
    states: tuple[str, ...]

    def columns(self, state: str, *, ever: bool = False) -> list[str]:
        """Outcome column names of one state across horizons."""
        prefix = "ever_" if ever else ""
        return [f"{prefix}{state}_{k}" for k in self.horizons]


def _outcomes_sql(horizons: Sequence[int], states: Sequence[str], ever: bool) -> str:
    top = max(horizons)
    parts = []
    for k in horizons:
        parts.append(f"count(CASE WHEN p.month = e.entry_month + {k} THEN 1 END) AS has_row_{k}")
        for s in states:
            parts.append(f"max(CASE WHEN p.month = e.entry_month + {k} THEN {_STATE_SQL[s]} END) AS {s}_{k}")
            if ever:
                parts.append(
                    f"max(CASE WHEN p.month <= e.entry_month + {k} THEN {_STATE_SQL[s]} END) AS ever_{s}_{k}"
                )
    select = ",\n           ".join(parts)
    return f"""
    SELECT e.entry_row,
           {select}
    FROM entries AS e
    LEFT JOIN panel AS p
      ON p.person_id = e.person_id
     AND p.month > e.entry_month
     AND p.month <= e.entry_month + {top}
    GROUP BY e.entry_row
    """


def outcomes_at_horizons(
    panel: StatusPanel,
    entries: Entries,
    *,
    horizons: Sequence[int] = (1, 3, 6, 9),
    states: Sequence[str] = STATES,
    ever: bool = True,
) -> Outcomes:
    """Attach the state at (and ever by) each horizon after entry to every entry.

    Parameters
    ----------
    panel
        The validated status panel the entries came from.
    entries
        Output of :func:`~evalkit.cohorts.find_entries`.
    horizons
        Months after the entry month (positive integers).
    states
        Any of ``employed``, ``in_education``, ``at_nav``, ``none``.
    ever
        Also compute ``ever_<state>_<k>``: in the state in any month ``e+1..e+k``
        (months without a row do not count; censored when ``e+k`` is past the panel end).

    Returns
    -------
    Outcomes
        Entries with float columns holding 1.0, 0.0 or NaN (censored / no row).
    """
    horizons = tuple(int(k) for k in horizons)
    if not horizons or min(horizons) < 1:
        raise ValueError(f"horizons must be positive numbers of months, got {horizons}")
    unknown = sorted(set(states) - set(STATES))
    if unknown:
        raise ValueError(f"unknown state(s) {unknown}; expected some of {list(STATES)}")
    frame = entries.frame.reset_index(drop=True)
    keys = pd.DataFrame(
        {"entry_row": range(len(frame)), "person_id": frame["person_id"], "entry_month": frame["entry_month"]}
    )
    found = run(_outcomes_sql(horizons, states, ever), {"entries": keys, "panel": panel.frame})
    found = found.set_index("entry_row").reindex(range(len(frame)))

    rows = []
    out = frame.copy()
    for k in horizons:
        censored = (frame["entry_month"] + k > panel.last_month).to_numpy()
        no_row = ~censored & (found[f"has_row_{k}"].fillna(0).to_numpy() == 0)
        missing = censored | no_row
        for s in states:
            out[f"{s}_{k}"] = found[f"{s}_{k}"].astype("float64").where(~missing).to_numpy()
            if ever:
                out[f"ever_{s}_{k}"] = found[f"ever_{s}_{k}"].astype("float64").where(~censored).to_numpy()
        rows.append(
            {
                "horizon": k,
                "entries": len(frame),
                "observed": int((~missing).sum()),
                "censored_panel_end": int(censored.sum()),
                "no_row_in_month": int(no_row.sum()),
            }
        )
    report = OutcomeReport(pd.DataFrame(rows).set_index("horizon"))
    return Outcomes(frame=out, report=report, horizons=horizons, states=tuple(states))
