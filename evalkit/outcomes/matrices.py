"""Month-to-month transition matrices between exclusive monthly states, run in the engine.

A status panel's states overlap (:mod:`evalkit.outcomes.states`): a person can be
registered at NAV and hold a part-time contract in the same month.  :func:`state_of_month`
resolves the overlap by a documented priority and gives one exclusive state per
person-month; :func:`transition_matrix` counts moves between the states of consecutive
calendar months of the same person.  Both are portable SQL over the panel, so a stored
panel is scanned by its engine (DuckDB or Spark) and only the counts come back.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ExcludedRowsWarning, PanelValidationError
from evalkit.outcomes.states import MONTHLY_STATES, check_order, state_case_sql
from evalkit.panel.load import StatusPanel
from evalkit.results.base import Summary, _Copied

__all__ = ["TransitionMatrixResult", "state_of_month", "transition_matrix"]


def state_of_month(panel: StatusPanel, *, order: Sequence[str] = MONTHLY_STATES) -> pd.DataFrame:
    """One exclusive state per person-month, by priority.

    The states are those of :data:`~evalkit.outcomes.states.MONTHLY_STATES`; they overlap,
    so each person-month gets the FIRST state in ``order`` that applies.  The default
    ``("employed", "in_education", "at_nav", "none")`` counts a NAV user with a contract as
    employed and a NAV user in formal education as in education, which matches the outcomes
    of the evaluation (employed / in education k months after entry).  Put ``"at_nav"``
    first to count every registered month as at NAV instead.

    Parameters
    ----------
    panel
        A validated status panel (:func:`~evalkit.panel.read_panel` or
        :func:`~evalkit.panel.scan_panel`).
    order
        A permutation of the states ending in ``"none"`` (which always applies).

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``month`` (month index) and ``state`` (categorical with categories
        in ``order``; missing where ``employed`` or ``in_education`` is missing), in
        (person, month) order.  A stored panel is loaded whole: for large panels use
        :func:`transition_matrix`, which aggregates in the engine.
    """
    case = state_case_sql(order)
    frame = panel.query(f"SELECT p.person_id, p.month, {case} AS state FROM panel AS p ORDER BY p.person_id, p.month")
    frame["state"] = pd.Categorical(frame["state"], categories=list(check_order(order)))
    return frame.reset_index(drop=True)


def transitions_sql(order: Sequence[str], by: Sequence[str]) -> str:
    """Portable SQL: per group, origin and destination state, the number of successive rows.

    ``LEAD`` over each person's months pairs every row with the person's next row;
    ``consecutive`` is 1 when the next row is the next calendar month (a transition) and 0
    across a gap.  The group is the origin row's.
    """
    keys = "".join(f"{c}, " for c in by)
    return f"""
    WITH states AS (
        SELECT {"".join(f"p.{c}, " for c in by)}p.person_id, p.month, {state_case_sql(order)} AS state
        FROM panel AS p
    ), pairs AS (
        SELECT {keys}state AS from_state,
               LEAD(state) OVER (PARTITION BY person_id ORDER BY month) AS to_state,
               CASE WHEN LEAD(month) OVER (PARTITION BY person_id ORDER BY month) = month + 1
                    THEN 1 ELSE 0 END AS consecutive,
               LEAD(month) OVER (PARTITION BY person_id ORDER BY month) IS NOT NULL AS has_next
        FROM states
    )
    SELECT {keys}from_state, to_state, consecutive, count(*) AS n
    FROM pairs
    WHERE has_next
    GROUP BY {keys}from_state, to_state, consecutive
    """


@dataclass(frozen=True)
class TransitionMatrixResult:
    """Counts and row-normalised probabilities of month-to-month transitions.

    Attributes
    ----------
    table
        Tidy frame: grouping columns, ``from_state``, ``to_state``, ``n`` (transitions
        counted) and ``probability`` (``n`` over the row total for ``from_state``; NaN
        when nobody was in ``from_state``).  Every from x to pair appears, zeros included.
    states
        The state labels in row/column order.
    by
        Grouping column names (empty for one overall matrix).
    n_pairs
        Number of transitions counted (pairs of consecutive months).
    n_gaps
        Pairs of successive rows of one person more than one month apart: not transitions,
        skipped.
    normalize
        Whether :attr:`matrix` shows probabilities (True) or counts (False).
    """

    table: pd.DataFrame = _Copied()  # type: ignore[assignment]
    states: tuple[str, ...]
    by: tuple[str, ...]
    n_pairs: int
    n_gaps: int
    normalize: bool

    @property
    def matrix(self) -> pd.DataFrame:
        """Square view: rows ``from_state`` (under the groups), columns ``to_state``."""
        return self.square("probability" if self.normalize else "n")

    def square(self, values: str = "probability") -> pd.DataFrame:
        """Square view of ``values`` (``"probability"`` or ``"n"``)."""
        if values not in ("probability", "n"):
            raise ValueError(f"values must be 'probability' or 'n', got {values!r}")
        wide = self.table.pivot_table(
            index=[*self.by, "from_state"], columns="to_state", values=values,
            observed=False, dropna=False, sort=False, aggfunc="first",
        )
        wide = wide.reindex(columns=list(self.states))
        wide.columns.name = "to_state"
        return wide

    def tidy(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table

    def glance(self) -> pd.DataFrame:
        """One row of facts: transitions counted and gaps skipped."""
        return pd.DataFrame([{"n_pairs": self.n_pairs, "n_gaps": self.n_gaps, "n_states": len(self.states)}])

    def summary(self) -> Summary:
        """Printable summary with the square matrix."""
        facts: dict[str, Any] = {"Transitions": self.n_pairs, "Gaps skipped": self.n_gaps}
        notes = ("Rows: state in month t; columns: state in month t + 1.",)
        return Summary(title="Month-to-month transitions", facts=facts, table=self.matrix, notes=notes)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def transition_matrix(
    panel: StatusPanel,
    *,
    order: Sequence[str] = MONTHLY_STATES,
    by: str | Sequence[str] | None = None,
    normalize: bool = True,
) -> TransitionMatrixResult:
    r"""Count transitions between the states of consecutive calendar months.

    Every person-month gets its state by :func:`state_of_month`'s priority ``order``.  For
    every person, each pair of rows in months :math:`t` and :math:`t+1` is one transition
    from the state at :math:`t` to the state at :math:`t+1`.  Successive rows of one person
    more than one month apart (a gap: months with no row) are NOT a transition; they are
    counted in ``n_gaps``.  The estimated transition probability is
    :math:`\hat p_{ab} = n_{ab} / \sum_c n_{ac}`, the maximum-likelihood estimate of a
    first-order Markov chain (Anderson & Goodman 1957).  The counting runs in the panel's
    engine; only the counts come back.

    Parameters
    ----------
    panel
        A validated status panel (in memory or stored).
    order
        Priority of the overlapping states, a permutation of
        :data:`~evalkit.outcomes.states.MONTHLY_STATES` ending in ``"none"``.
    by
        Panel column(s) to group by (``county``, ``female``, ``education_level``, ...); a
        transition belongs to the group of its origin month.  Missing labels form their own
        group.
    normalize
        Whether :attr:`TransitionMatrixResult.matrix` shows probabilities or counts (the
        tidy table always holds both).

    Returns
    -------
    TransitionMatrixResult

    Warns
    -----
    ExcludedRowsWarning
        When pairs of consecutive months involve a month whose state is unknown
        (``employed`` or ``in_education`` missing); they are not counted.

    References
    ----------
    Anderson, T. W., & Goodman, L. A. (1957). Statistical inference about Markov chains.
    *Annals of Mathematical Statistics*, 28(1), 89-110.
    """
    levels = check_order(order)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [c for c in by_cols if not panel.has(c) or c in ("person_id", "month")]
    if absent:
        raise PanelValidationError(
            f"cannot group transitions by {absent}: not a column of the status panel other than "
            f"person_id and month; it has {list(panel.columns)}"
        )
    found = panel.query(transitions_sql(levels, by_cols))
    found["n"] = found["n"].astype(np.int64)
    consecutive = found["consecutive"].to_numpy() == 1
    n_gaps = int(found.loc[~consecutive, "n"].sum())
    pairs = found[consecutive]
    unknown = pairs["from_state"].isna() | pairs["to_state"].isna()
    n_unknown = int(pairs.loc[unknown, "n"].sum())
    if n_unknown:
        warnings.warn(
            f"{n_unknown} pair(s) of consecutive months involve a month with a missing 'employed' "
            "or 'in_education' (state unknown) and are not counted as transitions",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    pairs = pairs[~unknown]

    k = len(levels)
    cells = pd.DataFrame({"from_state": np.repeat(levels, k), "to_state": np.tile(levels, k)})
    if by_cols:
        groups = pairs[by_cols].drop_duplicates()
        grid = groups.merge(cells, how="cross")
        counts = pairs.groupby([*by_cols, "from_state", "to_state"], dropna=False)["n"].sum().reset_index()
        table = grid.merge(counts, on=[*by_cols, "from_state", "to_state"], how="left")
    else:
        counts = pairs.groupby(["from_state", "to_state"])["n"].sum().reset_index()
        table = cells.merge(counts, on=["from_state", "to_state"], how="left")
    table["n"] = table["n"].fillna(0).astype(np.int64)
    row_total = table.groupby([*by_cols, "from_state"], dropna=False, sort=False)["n"].transform("sum")
    table["probability"] = np.where(row_total > 0, table["n"] / row_total.where(row_total > 0, 1), np.nan)
    table["from_state"] = pd.Categorical(table["from_state"], categories=list(levels))
    table["to_state"] = pd.Categorical(table["to_state"], categories=list(levels))
    table = table.sort_values([*by_cols, "from_state", "to_state"], kind="stable")
    table = table[[*by_cols, "from_state", "to_state", "n", "probability"]].reset_index(drop=True)
    return TransitionMatrixResult(
        table=table,
        states=levels,
        by=tuple(by_cols),
        n_pairs=int(table["n"].sum()),
        n_gaps=n_gaps,
        normalize=normalize,
    )
