"""Auxiliary tables of a study: numeric covariates keyed by county, region and/or month.

A study's ``[data.auxiliary]`` names tables such as ``vacancies = "vacancies.csv"``: one
row per key (county and month, region, month, ...) and numeric columns that the model may
use as covariates (``[model] covariates = ["vacancy_rate"]``).  Each entrant gets the
value of its county, region (of the rollout schedule) and entry month, as the county
unemployment rate is taken in the entry month (:func:`~evalkit.replications.fui.sample.attach_unemployment`).

Checks, each an error naming the table, its columns and rows:

- at least one key column (``county``, ``region``, ``month``) and one value column;
- no key is missing, every month can be read, and no key is given twice;
- every value is a number (decimal commas and a trailing ``%`` are read, as for the
  unemployment table); an empty cell is an error, since the value is the table's purpose;
- when attached: every entrant's key has a row (else the count of entrants and
  examples of the keys that lack one).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalkit.errors import DesignError
from evalkit.panel.months import month_label, to_month_index
from evalkit.replications.fui.unemployment import parse_rates, rows_shown

#: Key columns of an auxiliary table -> the column of the analysis sample they match.
KEYS: dict[str, str] = {"county": "county", "region": "region", "month": "entry_month"}

_SHOWN = 5


@dataclass(frozen=True)
class AuxiliaryTable:
    """A checked auxiliary table: ``keys`` (of :data:`KEYS`, in that order) and numeric ``columns``.

    ``frame`` has the key columns (county and region as text, month as a month index)
    and the value columns as floats, one row per key.
    """

    name: str
    frame: pd.DataFrame
    keys: tuple[str, ...]
    columns: tuple[str, ...]

    def __repr__(self) -> str:
        return f"AuxiliaryTable({self.name!r}, keys={list(self.keys)}, columns={list(self.columns)}, rows={len(self.frame)})"


def auxiliary_table(name: str, table: pd.DataFrame) -> AuxiliaryTable:
    """Check a table read by :func:`~evalkit.replications.fui.unemployment.read_table` (see the module docstring).

    Raises
    ------
    DesignError
        Naming the table ``name``, the column and the rows of every problem.
    """
    where = f"auxiliary table {name!r}"
    keys = tuple(k for k in KEYS if k in table.columns)
    columns = tuple(str(c) for c in table.columns if c not in KEYS)
    if not keys or not columns:
        raise DesignError(f"{where} has columns {list(map(str, table.columns))}; expected key column(s) among "
                          f"{list(KEYS)} (county and region as in the schedule, month as 2016-03) and at least one "
                          "numeric column")
    if len(table) == 0:
        raise DesignError(f"{where} has no rows")
    out = pd.DataFrame(index=table.index)
    for key in keys:
        values = table[key]
        gaps = values.isna() | (values.astype("string").str.strip() == "").fillna(False)
        if gaps.any():
            raise DesignError(f"{where}: key column {key!r} is missing in {int(gaps.sum())} row(s) "
                              f"({rows_shown(table.index, gaps)})")
        if key == "month":
            months = to_month_index(values)
            bad = months.isna()
            if bad.any():
                examples = table.loc[bad, key].astype(str).unique()[:_SHOWN].tolist()
                raise DesignError(f"{where}: column 'month' holds {int(bad.sum())} value(s) that cannot be read as "
                                  f"months, e.g. {examples} ({rows_shown(table.index, bad)}); expected e.g. '2016-03'")
            out[key] = months.astype("Int64")
        else:
            out[key] = values.astype("string").str.strip()
    twice = out.duplicated(list(keys), keep=False)
    if twice.any():
        raise DesignError(f"{where}: {int(twice.sum())} rows repeat a key ({', '.join(keys)}), e.g. "
                          f"{rows_shown(table.index, twice)}; expected one row per key")
    for column in columns:
        values, unparseable = parse_rates(table[column])
        missing = values.isna() & ~unparseable
        if unparseable.any() or missing.any():
            bad = unparseable | missing
            examples = table.loc[bad, column].astype("string").fillna("").unique()[:_SHOWN].tolist()
            raise DesignError(f"{where}: column {column!r} has {int(bad.sum())} cell(s) that are not numbers, e.g. "
                              f"{examples} ({rows_shown(table.index, bad)}); expected a number in every row")
        out[column] = values.to_numpy(dtype=float)
    return AuxiliaryTable(name=name, frame=out.reset_index(drop=True), keys=keys, columns=columns)


def attach_auxiliary(frame: pd.DataFrame, table: AuxiliaryTable, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` of ``table`` for each entry of ``frame`` (its county, region and entry month).

    Raises
    ------
    DesignError
        When entries have no row in the table: the table, its key columns, the number of
        entries and examples of the keys lacking.
    """
    sample_keys = [KEYS[k] for k in table.keys]
    left = pd.DataFrame({k: frame[KEYS[k]] for k in table.keys}, index=frame.index)
    left = left.astype({k: ("Int64" if k == "month" else "string") for k in table.keys})
    merged = left.merge(table.frame[[*table.keys, *columns]], on=list(table.keys), how="left")
    lacking = merged[columns[0]].isna().to_numpy()
    if lacking.any():
        shown = merged.loc[lacking, list(table.keys)].drop_duplicates().head(8)
        examples = [" ".join(month_label(v) if k == "month" else str(v) for k, v in zip(table.keys, row))
                    for row in shown.itertuples(index=False)]
        raise DesignError(
            f"auxiliary table {table.name!r} (keyed by {', '.join(table.keys)}) has no row for {int(lacking.sum())} "
            f"entry(ies), e.g. {examples}; it must cover the {', '.join(sample_keys)} of every entrant"
        )
    return pd.DataFrame({c: merged[c].to_numpy(dtype=float) for c in columns}, index=frame.index)
