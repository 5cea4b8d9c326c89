"""Month-to-month transition matrices between exclusive monthly states.

A status panel records, per person and month, NAV registration (``nav_category``, missing
when not at NAV), an employment contract (``employed``) and formal education
(``in_education``).  These overlap: a person can be registered at NAV and hold a part-time
contract in the same month.  :func:`state_of_month` resolves the overlap by a documented
priority and gives one exclusive state per person-month; :func:`transition_matrix` counts
moves between the states of consecutive calendar months of the same person.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning, PanelValidationError
from evalkit.panel.months import as_month_index
from evalkit.results.base import Summary

__all__ = [
    "MONTH_STATES",
    "TransitionMatrixResult",
    "binary_column",
    "month_number",
    "person_month_keys",
    "state_of_month",
    "transition_matrix",
]

#: The exclusive monthly states, in the default priority order.
MONTH_STATES: tuple[str, ...] = ("employed", "education", "nav", "none")


def month_number(values: pd.Series) -> np.ndarray:
    """Calendar months as consecutive integers (``year * 12 + month - 1``).

    Accepts month indices (returned unchanged) and every month
    :func:`~evalkit.panel.months.to_month_index` reads, so that month ``m + 1`` always
    follows ``m``.
    """
    if isinstance(values.dtype, pd.PeriodDtype) and not (
        isinstance(values.dtype.freq, pd.offsets.MonthEnd) and values.dtype.freq.n == 1
    ):
        raise PanelValidationError(
            f"month column {values.name!r} has period dtype {values.dtype}; expected monthly (Period[M])"
        )
    parsed = as_month_index(values)
    unread = values.notna().to_numpy() & parsed.isna().to_numpy()
    if unread.any():
        raise PanelValidationError(
            f"month column {values.name!r}: cannot read {values[unread].astype(str).unique()[:5].tolist()} "
            "as months (expected month indices, Period[M], datetimes, 2016-03 or 201603)"
        )
    out = parsed.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(out).any():
        rows = list(values.index[np.isnan(out)][:5])
        raise PanelValidationError(f"month column {values.name!r} is missing in rows {rows}")
    return out.astype(np.int64)


def person_month_keys(frame: pd.DataFrame, person: str, month: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer person codes and month numbers; raise if a (person, month) pair repeats."""
    p = pd.factorize(frame[person])[0]
    m = month_number(frame[month])
    order = np.lexsort((m, p))
    repeated = (p[order][1:] == p[order][:-1]) & (m[order][1:] == m[order][:-1])
    if repeated.any():
        first = order[1:][repeated]
        rows = list(frame.index[np.union1d(first, order[:-1][repeated])][:6])
        raise PanelValidationError(
            f"({person}, {month}) must be unique; {int(repeated.sum())} pair(s) repeat, e.g. rows {rows}"
        )
    return p, m


def binary_column(panel: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as a boolean array; raise unless every row holds 0 or 1."""
    if col not in panel.columns:
        raise PanelValidationError(f"status panel lacks column {col!r}")
    values = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~((values == 0) | (values == 1))
    if bad.any():
        rows = list(panel.index[bad][:5])
        raise PanelValidationError(
            f"column {col!r} must hold 0 or 1 in every month; {int(bad.sum())} row(s) do not "
            f"(missing or other values), e.g. rows {rows}"
        )
    return values == 1


def state_of_month(
    panel: pd.DataFrame,
    *,
    order: Sequence[str] = MONTH_STATES,
    employed: str = "employed",
    in_education: str = "in_education",
    nav_category: str = "nav_category",
) -> pd.Series:
    """One exclusive state per person-month, by priority.

    The states are ``employed`` (``employed == 1``), ``education`` (``in_education == 1``),
    ``nav`` (``nav_category`` not missing: registered at NAV at month end) and ``none``.
    They overlap, so each row gets the FIRST state in ``order`` that applies.  The default
    ``("employed", "education", "nav", "none")`` counts a NAV user with a contract as
    employed and a NAV user in formal education as in education, which matches the
    outcomes of the evaluation (employed / in education k months after entry).  Put
    ``"nav"`` first to count every registered month as NAV instead.

    Parameters
    ----------
    panel
        The status panel, one row per person-month.
    order
        A permutation of :data:`MONTH_STATES` ending in ``"none"`` (which always applies).
    employed, in_education, nav_category
        Column names of the three statuses.

    Returns
    -------
    pandas.Series
        Categorical named ``state`` with categories in ``order``, aligned with ``panel``.
    """
    order = tuple(order)
    if sorted(order) != sorted(MONTH_STATES) or order[-1] != "none":
        raise EvalkitError(f"order must be a permutation of {MONTH_STATES} ending in 'none', got {order}")
    if nav_category not in panel.columns:
        raise PanelValidationError(f"status panel lacks column {nav_category!r}")
    applies = {
        "employed": binary_column(panel, employed),
        "education": binary_column(panel, in_education),
        "nav": panel[nav_category].notna().to_numpy(),
        "none": np.ones(len(panel), dtype=bool),
    }
    conditions = [applies[s] for s in order]
    codes = np.select(conditions, list(range(len(order))), default=len(order) - 1)
    states = pd.Categorical.from_codes(codes, categories=list(order))
    return pd.Series(states, index=panel.index, name="state")


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

    table: pd.DataFrame
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
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row of facts: transitions counted and gaps skipped."""
        return pd.DataFrame([{"n_pairs": self.n_pairs, "n_gaps": self.n_gaps, "n_states": len(self.states)}])

    def summary(self) -> Summary:
        """Printable summary with the square matrix."""
        facts: dict[str, Any] = {"Transitions": self.n_pairs, "Gaps skipped": self.n_gaps}
        notes = ("Rows: state in month t; columns: state in month t + 1.",)
        return Summary(title="Month-to-month transitions", facts=facts, table=self.matrix, notes=notes)


def transition_matrix(
    states: pd.DataFrame,
    *,
    person: str = "person_id",
    month: str = "month",
    state: str = "state",
    by: str | list[str] | None = None,
    normalize: bool = True,
) -> TransitionMatrixResult:
    r"""Count transitions between the states of consecutive calendar months.

    For every person, each pair of rows in months :math:`t` and :math:`t+1` is one
    transition from the state at :math:`t` to the state at :math:`t+1`.  Rows of one
    person that are more than one month apart (a gap: months with no row) are NOT a
    transition; they are counted in ``n_gaps``.  The estimated transition probability is
    :math:`\hat p_{ab} = n_{ab} / \sum_c n_{ac}`, the maximum-likelihood estimate of a
    first-order Markov chain (Anderson & Goodman 1957).

    Parameters
    ----------
    states
        One row per person-month with the person, month and state columns (e.g. the panel
        with ``state=state_of_month(panel)`` added).
    person, month, state
        Column names.  ``month`` is Period[M], datetime or an integer month index.
    by
        Grouping column(s); a transition belongs to the group of its origin month.
    normalize
        Whether :attr:`TransitionMatrixResult.matrix` shows probabilities or counts (the
        tidy table always holds both).

    Returns
    -------
    TransitionMatrixResult

    Raises
    ------
    PanelValidationError
        If a (person, month) pair occurs twice or a column is missing.
    """
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    needed = [person, month, state, *by_cols]
    absent = [c for c in needed if c not in states.columns]
    if absent:
        raise PanelValidationError(f"column(s) {absent} not in the frame")
    person_codes, months = person_month_keys(states, person, month)
    labels = states[state]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        levels = tuple(labels.cat.categories)
    else:
        levels = tuple(sorted(labels.dropna().unique()))
    n_missing = int(labels.isna().sum())
    if n_missing:
        warnings.warn(
            f"{n_missing} person-month(s) with a missing {state!r} take part in no transition",
            ExcludedRowsWarning,
            stacklevel=2,
        )

    work = pd.DataFrame(
        {
            "p": person_codes,
            "m": months,
            "s": pd.Categorical(labels, categories=list(levels)).codes,
        },
        index=states.index,
    )
    for c in by_cols:
        work[f"by_{c}"] = states[c]
    work = work.sort_values(["p", "m"], kind="stable")
    p = work["p"].to_numpy()
    m = work["m"].to_numpy()
    s = work["s"].to_numpy()
    same_person = p[1:] == p[:-1]
    consecutive = same_person & (m[1:] - m[:-1] == 1)
    n_gaps = int((same_person & ~consecutive).sum())
    valid = consecutive & (s[:-1] >= 0) & (s[1:] >= 0)

    origin = work.iloc[:-1][valid]
    k = len(levels)
    pairs = pd.DataFrame({"from_code": s[:-1][valid], "to_code": s[1:][valid]})
    for c in by_cols:
        pairs[c] = origin[f"by_{c}"].to_numpy()
    pairs["cell"] = pairs["from_code"] * k + pairs["to_code"]

    cells = pd.DataFrame({"from_state": np.repeat(levels, k), "to_state": np.tile(levels, k)})
    if by_cols:
        grouped = pairs.groupby([*by_cols, "cell"], dropna=False, observed=True).size()
        groups = grouped.index.droplevel("cell").unique().to_frame(index=False)
        grid = groups.merge(cells.assign(cell=np.arange(k * k)), how="cross")
        counts = grouped.rename("n").reset_index()
        table = grid.merge(counts, on=[*by_cols, "cell"], how="left")
    else:
        counts = np.bincount(pairs["cell"].to_numpy(), minlength=k * k)
        table = cells.assign(cell=np.arange(k * k), n=counts)
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
        n_pairs=int(valid.sum()),
        n_gaps=n_gaps,
        normalize=normalize,
    )
