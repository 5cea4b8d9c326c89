"""Sequential exclusion steps run inside the engine: only the kept rows and the counts return.

A preparation that excludes rows step by step (and reports how many each step removed)
need not bring every candidate row to pandas.  :func:`staged_sql` wraps a query in portable
SQL that marks each row with the first step that excludes it (``0``: kept), and returns
the kept rows, each joined to the counts of every step, from one scan (DuckDB
materializes the marked rows once for both uses).  :func:`split_staged` separates the
two.  The same text runs on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["Step", "staged_sql", "split_staged"]

_STEP, _KEPT = "ek_excluded_at", "ek_kept_row"


@dataclass(frozen=True)
class Step:
    """One exclusion step, applied to the rows every earlier step kept.

    ``excluded`` is an SQL condition over the columns (``NULL`` counts as kept); or
    ``first_of = (key, order)`` keeps only the first row of each ``key`` by ``order``
    (unique within ``key``).
    """

    label: str
    excluded: str | None = None
    first_of: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if (self.excluded is None) == (self.first_of is None):
            raise ValueError("a step has either an exclusion condition or first_of")


def staged_sql(base: str, columns: Sequence[str], steps: Sequence[Step], derived: Sequence[tuple[str, str]] = ()) -> str:
    """The kept rows of ``base`` (its ``columns`` and the ``derived`` ``(name, expression)``
    columns), each with the counts ``ek_n0`` (rows of ``base``) and ``ek_n1, ...`` (rows
    each step excluded); no kept row: one row of counts with missing columns."""
    keep = [*columns, *(name for name, _ in derived)]
    listed = ", ".join(keep)
    ctes = [("ek_base", base),
            ("ek_step0", f"SELECT {', '.join([*columns, *(f'{expr} AS {name}' for name, expr in derived)])}, "
                         f"0 AS {_STEP} FROM ek_base")]
    for i, step in enumerate(steps, start=1):
        if step.excluded is not None:
            condition = f"({step.excluded})"
        else:
            key, order = step.first_of  # type: ignore[misc]
            condition = f"ROW_NUMBER() OVER (PARTITION BY {key}, {_STEP} ORDER BY {order}) > 1"
        ctes.append((f"ek_step{i}", f"SELECT {listed}, CASE WHEN {_STEP} = 0 AND {condition} THEN {i} "
                                   f"ELSE {_STEP} END AS {_STEP} FROM ek_step{i - 1}"))
    last = f"ek_step{len(steps)}"
    counts = ", ".join(["COUNT(*) AS ek_n0", *(f"SUM(CASE WHEN {_STEP} = {i} THEN 1 ELSE 0 END) AS ek_n{i}"
                                              for i in range(1, len(steps) + 1))])
    ctes += [("ek_counts", f"SELECT {counts} FROM {last}"),
             ("ek_kept", f"SELECT {listed}, 1 AS {_KEPT} FROM {last} WHERE {_STEP} = 0")]
    parts = ",\n".join(f"{name} AS (\n{sql}\n)" for name, sql in ctes)
    return f"WITH {parts}\nSELECT ek_kept.*, ek_counts.* FROM ek_counts LEFT JOIN ek_kept ON 1 = 1"


def split_staged(frame: pd.DataFrame, n_steps: int) -> tuple[pd.DataFrame, int, list[int]]:
    """The kept rows, the number of rows of the base query, and each step's count."""
    names = [f"ek_n{i}" for i in range(n_steps + 1)]
    counts = [int(frame[name].iloc[0]) for name in names]
    kept = frame.loc[frame[_KEPT].notna().to_numpy()].drop(columns=[_KEPT, *names]).reset_index(drop=True)
    return kept, counts[0], counts[1:]
