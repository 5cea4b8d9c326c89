"""Outcomes k months after entry, honest about censoring.

For an entry in month ``e`` and a horizon ``k``, the state *at* month ``e + k`` is the
published definition (e.g. "had an employment contract in the month 6 months after
entry"); the state *ever by* ``e + k`` is 1 when the person was in the state in any month
``e + 1, ..., e + k``.  The states are :data:`~evalkit.outcomes.states.MONTHLY_STATES`:
``employed``, ``in_education``, ``at_nav`` (registered at NAV in any need category) and
``none`` (none of the three), each its own 0/1 indicator.

When ``e + k`` lies after the panel's last month the outcome is *censored*: missing, never
zero.  When ``e + k`` lies inside the panel but the person has no row that month (absent
from the register), the outcome is missing too and counted apart.  Both counts are in the
:class:`OutcomeReport`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.cohorts.arguments import whole_number
from evalkit.cohorts.entries import Entries
from evalkit.engine import DuckDBEngine, Engine
from evalkit.errors import DesignError, EvalkitError
from evalkit.outcomes.states import MONTHLY_STATES, state_columns, state_sql
from evalkit.panel.load import StatusPanel

@dataclass(frozen=True)
class OutcomeReport:
    """Per horizon: entries observed, censored by the panel's end, without a row, and with
    a row whose status is not recorded (a NULL ``employed`` or ``in_education`` the user
    declared missing)."""

    table: pd.DataFrame

    def __str__(self) -> str:
        return "outcomes by horizon:\n" + self.table.to_string()


@dataclass(frozen=True)
class Outcomes:
    """Entries with outcome columns ``<state>_<k>`` (and ``ever_<state>_<k>``).

    ``has_row`` holds, per horizon (columns) and entry (rows, aligned with ``frame``),
    whether the person has a panel row in the outcome month, so that a missing outcome can
    be told apart as censored, without a row, or with its status not recorded (``None`` for
    outcomes not computed from a panel).
    """

    frame: pd.DataFrame
    report: OutcomeReport
    horizons: tuple[int, ...]
    states: tuple[str, ...]
    has_row: pd.DataFrame | None = None

    def columns(self, state: str, *, ever: bool = False) -> list[str]:
        """Outcome column names of one state across horizons."""
        prefix = "ever_" if ever else ""
        return [f"{prefix}{state}_{k}" for k in self.horizons]


@dataclass(frozen=True)
class OutcomeRows:
    """Each entry's states after entry, from one engine query, for any number of selections.

    The result of :func:`outcome_rows`: the aggregates of :func:`outcomes_sql` indexed by
    ``(person_id, entry_month)``.  :func:`outcomes_at_horizons` looks its entries up here
    instead of querying the panel again, so that the published sample, the placebo and
    the event study share one pass.  ``frame`` is never modified.
    """

    frame: pd.DataFrame
    horizons: tuple[int, ...]
    states: tuple[str, ...]
    ever: bool

    def covers(self, horizons: Sequence[int], states: Sequence[str], ever: bool) -> bool:
        """Whether these rows hold every column that the given outcomes need."""
        return set(horizons) <= set(self.horizons) and set(states) <= set(self.states) and (self.ever or not ever)


def outcome_rows(
    panel: StatusPanel,
    entries: Entries,
    *,
    horizons: Sequence[int] = (1, 3, 6, 9),
    states: Sequence[str] = MONTHLY_STATES,
    ever: bool = True,
) -> OutcomeRows:
    """Query the states after entry of every entry of ``entries`` once (see :func:`outcomes_at_horizons`).

    Pass the widest selection (e.g. every entry, no windows) and the union of the horizons
    and states that later calls need; the aggregates of one entry do not depend on the
    other entries or horizons, so every later lookup equals its own query.
    """
    horizons = _whole_months(horizons)
    _check_states(states)
    keys = entries.frame[["person_id", "entry_month"]].drop_duplicates().reset_index(drop=True)
    keys = keys.assign(entry_row=range(len(keys)))
    found = panel.query(outcomes_sql(horizons, states, ever), {"entries": keys}, columns=outcome_columns(states))
    found = found.set_index("entry_row").reindex(range(len(keys)))
    found.index = pd.MultiIndex.from_frame(keys[["person_id", "entry_month"]])
    return OutcomeRows(frame=found, horizons=horizons, states=tuple(states), ever=ever)


def _check_states(states: Sequence[str]) -> None:
    unknown = sorted(set(states) - set(MONTHLY_STATES))
    if unknown:
        raise EvalkitError(f"unknown state(s) {unknown}; expected some of {list(MONTHLY_STATES)}")


def outcome_columns(states: Sequence[str]) -> tuple[str, ...]:
    """The panel columns :func:`outcomes_sql` reads for ``states``."""
    return ("person_id", "month", *state_columns(states))


def outcomes_sql(horizons: Sequence[int], states: Sequence[str], ever: bool) -> str:
    """Portable SQL: each entry's states in months ``e+1 .. e+max(horizons)``, one row per entry.

    A left join of the entries (``entry_row``, ``person_id``, ``entry_month``) to the
    panel rows in the outcome window, aggregated with ``CASE`` per horizon and state.
    """
    top = max(horizons)
    parts = []
    for k in horizons:
        parts.append(f"count(CASE WHEN p.month = e.entry_month + {k} THEN 1 END) AS has_row_{k}")
        for s in states:
            parts.append(f"max(CASE WHEN p.month = e.entry_month + {k} THEN {state_sql(s)} END) AS {s}_{k}")
            if ever:
                parts.append(
                    f"max(CASE WHEN p.month <= e.entry_month + {k} THEN {state_sql(s)} END) AS ever_{s}_{k}"
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


def _whole_months(horizons: Sequence[int]) -> tuple[int, ...]:
    """``horizons`` as positive ints; raise on anything else (never truncate 1.5 to 1)."""
    if isinstance(horizons, (str, bytes)) or not hasattr(horizons, "__iter__"):
        raise EvalkitError(f"horizons must be a sequence of positive whole numbers of months, got {horizons!r}")
    values = tuple(horizons)
    whole, bad = [], []
    for k in values:
        try:
            whole.append(whole_number(k, name="horizons", minimum=1))
        except EvalkitError:
            bad.append(k)
    if not values or bad:
        raise EvalkitError(
            f"horizons must be positive whole numbers of months after entry, got {list(values)}"
            + (f"; not: {bad}" if bad else "")
        )
    return tuple(whole)


def outcomes_at_horizons(
    panel: StatusPanel,
    entries: Entries,
    *,
    horizons: Sequence[int] = (1, 3, 6, 9),
    states: Sequence[str] = MONTHLY_STATES,
    ever: bool = True,
    rows: OutcomeRows | None = None,
) -> Outcomes:
    """Attach the state at (and ever by) each horizon after entry to every entry.

    Parameters
    ----------
    panel
        The validated status panel the entries came from.
    entries
        Output of :func:`~evalkit.cohorts.find_entries`.
    horizons
        Months after the entry month (positive whole numbers; ``2.5`` is an error, not 2).
    states
        Any of ``employed``, ``in_education``, ``at_nav``, ``none``.
    ever
        Also compute ``ever_<state>_<k>``: in the state in any month ``e+1..e+k``
        (months without a row do not count; censored when ``e+k`` is past the panel end).
    rows
        The states after entry of a wider selection of entries, from :func:`outcome_rows`
        (covering these horizons and states), looked up instead of querying the panel.

    Returns
    -------
    Outcomes
        Entries with float columns holding 1.0, 0.0 or NaN (censored / no row).
    """
    horizons = _whole_months(horizons)
    _check_states(states)
    frame = entries.frame.reset_index(drop=True)
    if rows is None:
        keys = pd.DataFrame(
            {"entry_row": range(len(frame)), "person_id": frame["person_id"], "entry_month": frame["entry_month"]}
        )
        found = panel.query(outcomes_sql(horizons, states, ever), {"entries": keys},
                            columns=outcome_columns(states))
        found = found.set_index("entry_row").reindex(range(len(frame)))
    else:
        found = _looked_up(rows, frame, horizons, states, ever)

    rows = []
    out = frame.copy()
    has_row = {}
    for k in horizons:
        censored = (frame["entry_month"] + k > panel.last_month).to_numpy()
        has_row[k] = ~censored & (found[f"has_row_{k}"].fillna(0).to_numpy() > 0)
        no_row = ~censored & ~has_row[k]
        missing = censored | no_row
        unrecorded = np.zeros(len(frame), dtype=bool)
        for s in states:
            values = found[f"{s}_{k}"].astype("float64").where(~missing).to_numpy()
            unrecorded |= has_row[k] & np.isnan(values)
            out[f"{s}_{k}"] = values
            if ever:
                out[f"ever_{s}_{k}"] = found[f"ever_{s}_{k}"].astype("float64").where(~censored).to_numpy()
        rows.append(
            {
                "horizon": k,
                "entries": len(frame),
                "observed": int((~missing & ~unrecorded).sum()),
                "censored_panel_end": int(censored.sum()),
                "no_row_in_month": int(no_row.sum()),
                "status_not_recorded": int(unrecorded.sum()),
            }
        )
    report = OutcomeReport(pd.DataFrame(rows).set_index("horizon"))
    return Outcomes(
        frame=out, report=report, horizons=horizons, states=tuple(states), has_row=pd.DataFrame(has_row)
    )


def _looked_up(rows: OutcomeRows, frame: pd.DataFrame, horizons: tuple[int, ...], states: Sequence[str],
               ever: bool) -> pd.DataFrame:
    """The rows of ``frame``'s entries, in its order (an error when some are not among them)."""
    if not rows.covers(horizons, states, ever):
        raise EvalkitError(
            f"the outcome rows hold horizons {list(rows.horizons)}, states {list(rows.states)} (ever: {rows.ever}); "
            f"asked for horizons {list(horizons)}, states {list(states)} (ever: {ever})"
        )
    wanted = pd.MultiIndex.from_arrays([frame["person_id"], frame["entry_month"]])
    position = rows.frame.index.get_indexer(wanted)
    if (position < 0).any():
        absent = frame.loc[position < 0, ["person_id", "entry_month"]].head(5)
        raise EvalkitError(
            f"{int((position < 0).sum())} entry(ies) are not among the outcome rows, e.g. "
            f"{absent.to_dict('records')}; find the rows with outcome_rows() for a selection that includes them"
        )
    return rows.frame.iloc[position].reset_index(drop=True)


def cells_sql(by: Sequence[str], columns: Sequence[str]) -> str:
    """Portable SQL collapsing entries to cells: counts, observed counts and sums."""
    keys = ", ".join(by)
    stats = "".join(f",\n       count({c}) AS n_{c}, sum({c}) AS sum_{c}" for c in columns)
    return f"SELECT {keys}, count(*) AS n_entries{stats}\nFROM entry_outcomes\nGROUP BY {keys}\nORDER BY {keys}"


def outcome_cells(
    outcomes: Outcomes,
    by: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Collapse entries to cells (e.g. county x entry month x covariates) in the engine.

    Parameters
    ----------
    outcomes
        Output of :func:`outcomes_at_horizons`.
    by
        Columns of ``outcomes.frame`` that define a cell.
    columns
        Outcome columns to sum (default: every ``<state>_<k>`` and ``ever_<state>_<k>``).
    engine
        Where the grouping runs (default: DuckDB).

    Returns
    -------
    pandas.DataFrame
        One row per cell, sorted by ``by``: ``n_entries``, and per outcome ``n_<col>``
        (entries with the outcome observed: neither censored nor without a row) and
        ``sum_<col>``; the cell mean is ``sum / n``.  A weighted regression on cell means
        with weights ``n`` reproduces the entry-level point estimates of any model whose
        regressors are functions of the cell keys.
    """
    frame = outcomes.frame
    if columns is None:
        columns = [c for s in outcomes.states for c in outcomes.columns(s) + outcomes.columns(s, ever=True)]
        columns = [c for c in columns if c in frame]
    missing = [c for c in [*by, *columns] if c not in frame]
    if missing:
        raise DesignError(f"column(s) {missing} are not in the outcomes; it has {list(frame.columns)}")
    if not by:
        raise ValueError("by must name at least one column defining the cells")
    for name in [*by, *columns]:
        if not name.isidentifier():
            raise DesignError(f"cell and outcome columns must be plain identifiers, got {name!r}")
    keys = frame[list(by)].astype({c: object for c in by if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    table = pd.concat([keys, frame[list(columns)].astype("float64")], axis=1)
    cells = (engine or DuckDBEngine()).fetch(cells_sql(by, columns), {"entry_outcomes": table})
    counts = [c for c in cells.columns if c == "n_entries" or c.startswith("n_")]
    return cells.astype({c: "int64" for c in counts}).astype({f"sum_{c}": "float64" for c in columns})
