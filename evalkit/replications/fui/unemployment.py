"""The county unemployment table of the FUI model, read and checked like the panel.

One row per county and month with the registered unemployment rate in percent (the
published model's ``county unemployment (percent)`` regressor, taken in the entry month).
Checks, each an error naming the user's column, the rows and what was expected:

- the three columns exist (``columns`` maps evalkit's names onto the user's);
- no county or month is missing, and every month can be read (``2016-03``, ``201603``...);
- rates are numbers: decimal commas (``3,4``) and a trailing ``%`` are read, other text
  is *unparseable* and reported with examples (an empty cell is a missing rate, allowed
  until an entry needs it);
- a county-month given twice with different rates is an error (identical repeats are one
  row);
- rates lie in [0, 100], and do not all look like fractions (all at most 1: a table of
  shares, ``0.034`` for 3.4 %, would shrink the regressor's scale a hundredfold).
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from evalkit.errors import DesignError
from evalkit.panel.months import month_label, to_month_index

#: evalkit's column names of the unemployment table.
COLUMNS: tuple[str, ...] = ("county", "month", "unemployment_pct")
_TABLE = "the county unemployment table"
_SHOWN = 5


def read_table(
    path: str | PathLike[str],
    *,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a small auxiliary table (unemployment rates, a schedule) from CSV or Parquet.

    CSV cells are read as text (codes keep leading zeros; numbers are parsed by the
    checks).  The separator is sniffed unless ``sep`` is given; text is read as UTF-8
    (with or without BOM) unless ``encoding`` is given, falling back to cp1252 (a
    superset of latin-1, as SAS, Stata and Excel export Norwegian text).  Decimal commas
    are read by :func:`check_unemployment`, whatever the separator.  Rows are labelled ``line N`` (CSV, counting the header as line 1) or
    ``row N`` (Parquet) so that messages point into the file.
    """
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow

        try:
            table = pd.read_parquet(path)
        except (pyarrow.ArrowInvalid, pyarrow.ArrowIOError) as err:
            raise DesignError(f"{path} cannot be read as Parquet: {err}") from None
        table.index = [f"row {i + 1}" for i in range(len(table))]
        return table
    options = {"sep": sep, "engine": "python"} if sep is None else {"sep": sep}
    for attempt in ([encoding] if encoding else ["utf-8-sig", "cp1252"]):
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=attempt, **options)
            break
        except UnicodeDecodeError as err:
            if encoding:
                raise DesignError(
                    f"{path} is not readable as {encoding}: {err.reason} at byte {err.start}; "
                    "give the file's encoding with --encoding (e.g. cp1252, latin-1, utf-8)"
                ) from None
        except pd.errors.EmptyDataError:
            raise DesignError(f"{path} is empty: expected a header line and one row per county and month") from None
        except pd.errors.ParserError as err:
            raise DesignError(
                f"{path} cannot be read as CSV ({str(err).strip()}); check its quoting, or give the separator with --sep"
            ) from None
    table.columns = [str(c).strip() for c in table.columns]
    table.index = [f"line {i + 2}" for i in range(len(table))]
    return table


def rows_shown(index: pd.Index, mask: pd.Series) -> str:
    """The first rows of ``index`` where ``mask`` holds: ``line 4, line 9`` or ``row index 2, 7``."""
    labels = index[mask.to_numpy(dtype=bool)]
    shown = [x if isinstance(x, str) else f"row index {x}" for x in labels[:_SHOWN]]
    return ", ".join(shown) + (f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else "")


def parse_rates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Rates as floats and a mask of the unparseable cells.

    Numbers pass; text is stripped of blanks and a trailing ``%``, and a decimal comma is
    read as a decimal point (``"3,4"`` -> 3.4).  Missing cells stay missing and are not
    unparseable.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64"), pd.Series(values.notna(), index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64"), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip().str.removesuffix("%").str.strip()
    text = text.mask(text == "")
    comma = text.str.fullmatch(r"[+-]?\d*,\d+").fillna(False).astype(bool)
    text = text.mask(comma, text.str.replace(",", ".", regex=False))
    rates = pd.to_numeric(text, errors="coerce").astype("float64")
    unparseable = text.notna() & rates.isna()
    return rates, unparseable.astype(bool)


def check_unemployment(table: pd.DataFrame | str | PathLike[str], *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Check the unemployment table and return it with evalkit's columns.

    Parameters
    ----------
    table
        One row per county and month (see the module docstring), or the path of a CSV or
        Parquet file (:func:`read_table`); the input is not changed.
    columns
        evalkit name -> the user's column, for any of ``county``, ``month`` and
        ``unemployment_pct`` (e.g. ``{"unemployment_pct": "ledighet_pst"}``).

    Returns
    -------
    pandas.DataFrame
        ``county`` (string), ``month`` (``Period[M]``), ``unemployment_pct`` (float,
        percent), one row per county-month.

    Raises
    ------
    DesignError
        For every rule of the module docstring, naming the user's column and rows.
    """
    if isinstance(table, (str, PathLike)):
        table = read_table(table)
    if not isinstance(table, pd.DataFrame):
        raise DesignError(
            f"{_TABLE} must be a pandas DataFrame or the path of a CSV or Parquet file, got {type(table).__name__}"
        )
    mapping = {name: name for name in COLUMNS}
    unknown = sorted(set(columns or {}) - set(COLUMNS))
    if unknown:
        raise DesignError(f"unknown column(s) {unknown} in the unemployment column mapping; expected {list(COLUMNS)}")
    mapping.update({k: str(v) for k, v in (columns or {}).items()})
    absent = [f"{name!r}" + (f" (as {role})" if name != role else "") for role, name in mapping.items()
              if name not in table.columns]
    if absent:
        raise DesignError(
            f"{_TABLE} lacks column(s) {', '.join(absent)}; it has {list(map(str, table.columns))}; expected "
            "columns county, month, unemployment_pct (percent), or map yours in the roles file's [unemployment] table"
        )
    county_col, month_col, rate_col = (mapping[c] for c in COLUMNS)
    if len(table) == 0:
        raise DesignError(f"{_TABLE} has no rows; expected one row per county and month")
    county = table[county_col].astype("string").str.strip()
    for name, values in ((county_col, county), (month_col, table[month_col])):
        gaps = values.isna() | (values.astype("string").str.strip() == "").fillna(False)
        if gaps.any():
            raise DesignError(
                f"{_TABLE}: column {name!r} is missing in {int(gaps.sum())} row(s) ({rows_shown(table.index, gaps)})"
            )
    months = to_month_index(table[month_col])
    bad = months.isna()
    if bad.any():
        examples = table.loc[bad, month_col].astype(str).unique()[:_SHOWN].tolist()
        raise DesignError(
            f"{_TABLE}: column {month_col!r} holds {int(bad.sum())} value(s) that cannot be read as months, "
            f"e.g. {examples} ({rows_shown(table.index, bad)}); expected e.g. '2016-03', '201603' or 2016-03-01"
        )
    rates, unparseable = parse_rates(table[rate_col])
    if unparseable.any():
        examples = table.loc[unparseable, rate_col].astype(str).unique()[:_SHOWN].tolist()
        raise DesignError(
            f"{_TABLE}: column {rate_col!r} holds {int(unparseable.sum())} unparseable value(s), e.g. {examples} "
            f"({rows_shown(table.index, unparseable)}); expected numbers in percent such as 3.4 or 3,4"
        )
    outside = (rates < 0) | (rates > 100)
    if outside.any():
        shown = [f"{c} {month_label(m)}: {r:g}" for c, m, r in
                 zip(county[outside][:_SHOWN], months[outside][:_SHOWN], rates[outside][:_SHOWN])]
        raise DesignError(
            f"{_TABLE}: column {rate_col!r} has {int(outside.sum())} rate(s) outside [0, 100] percent, "
            f"e.g. {shown} ({rows_shown(table.index, outside)})"
        )
    known = rates.dropna()
    if len(known) and known.max() <= 1:
        raise DesignError(
            f"{_TABLE}: all {len(known)} rates in column {rate_col!r} are at most 1 (max {known.max():g}): they look "
            "like fractions, but the model takes percent (3.4 for 3.4 %); multiply the column by 100"
        )
    frame = pd.DataFrame(
        {"county": county.to_numpy(), "month": months.to_numpy(), "unemployment_pct": rates.to_numpy()},
        index=table.index,
    )
    keys = frame.duplicated(["county", "month"], keep=False)
    if keys.any():
        repeated = frame[keys]
        spread = repeated.groupby(["county", "month"])["unemployment_pct"].agg(
            lambda r: r.nunique(dropna=False)
        )
        conflicting = spread[spread > 1]
        if len(conflicting):
            county_value, month_value = conflicting.index[0]
            same = (repeated["county"] == county_value) & (repeated["month"] == month_value)
            rows = repeated[same.to_numpy(dtype=bool)]
            raise DesignError(
                f"{_TABLE} gives {len(conflicting)} county-month(s) more than one rate, e.g. {county_value} "
                f"{month_label(month_value)}: {rows['unemployment_pct'].tolist()} ({rows_shown(rows.index, pd.Series(True, index=rows.index))}); "
                f"columns {county_col!r}, {month_col!r}: one rate per county and month"
            )
        frame = frame.drop_duplicates(["county", "month"])
    frame["month"] = pd.PeriodIndex.from_ordinals(frame["month"].to_numpy(dtype="int64") - 1970 * 12, freq="M")
    return frame.astype({"county": "string"}).reset_index(drop=True)
