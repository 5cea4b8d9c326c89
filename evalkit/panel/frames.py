"""pandas inputs made ready for the engine, with the checks only a pandas column needs.

A Parquet or database column has one type; a pandas ``object`` column may hold several
(the integer ``1`` and the text ``"1"``), and pandas has types no SQL engine reads
(``Period``, time-zone-aware datetimes).  :func:`engine_frame` selects the role columns
(never changing the user's frame), reports identifier and code columns that mix types,
and writes the other columns in a form every engine reads the same way, so that the one
set of rules (:mod:`evalkit.panel.validate`) sees the same values whatever the input.
"""

from __future__ import annotations

import datetime as dt
import re
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.engine import DuckDBTable, Engine, ParquetSource, Table
from evalkit.errors import DataFileError
from evalkit.panel.files import file_format, read_data_file
from evalkit.panel.roles import ColumnRoles
from evalkit.panel.validate import failure

#: Roles whose values identify persons and counties: one type per column.  (Codes of
#: need categories and education levels are compared as text, so 1 and "1" are one code.)
IDENTIFIERS = ("person", "county")

#: The column that carries each row's position in the source (for ``was_sorted``).
ROW_COLUMN = "row_in_source"

_PLAIN_INTEGER = re.compile(r"^(0|[1-9]\d{0,17})$")


def _kind(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp, np.datetime64)):
        return "date"
    return type(value).__name__


def _as_text(column: pd.Series) -> pd.Series:
    values = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in column]
    return pd.Series(values, index=column.index, dtype=object)


def mixed_types(column: pd.Series, name: str, role: str) -> str | None:
    """A problem text when an identifier column holds values of several types."""
    if column.dtype != object or not pd.api.types.infer_dtype(column, skipna=True).startswith("mixed"):
        return None
    kinds = column.dropna().map(_kind)
    census = kinds.value_counts()
    if len(census) < 2:
        return None
    counts = ", ".join(f"{n} {k}" for k, n in census.items())
    examples = [repr(column.dropna()[kinds == k].iloc[0]) for k in census.index[:3]]
    return (
        f"column {name!r} (role {role}) holds values of {len(census)} types ({counts}; e.g. "
        f"{', '.join(examples)}); an identifier column must have one type, or 1 and '1' "
        "could be taken for one value or for two. Convert the column, e.g. df[col].astype(str)"
    )


def plain_integer_ids(column: pd.Series) -> pd.Series:
    """Text identifiers read from a typeless file: integers when every one is a plain
    integer (no sign, no leading zero), else the text as it is."""
    values = column.dropna().astype(str)
    if len(values) and values.str.fullmatch(_PLAIN_INTEGER).all():
        return pd.to_numeric(column).astype("Int64" if column.isna().any() else "int64")
    return column


def engine_frame(
    frame: pd.DataFrame, present: dict[str, str], *, row_numbers: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """The role columns of ``frame`` in engine-readable form, and the type problems found.

    Parameters
    ----------
    frame
        The user's frame (not modified).
    present
        Role -> user column, for the roles the frame has.

    Returns
    -------
    frame, problems
        A new frame holding the role columns (object columns as text, periods as
        ``2016-03``, time-zone-aware datetimes as wall-clock time, integral float person
        ids as integers), plus :data:`ROW_COLUMN` when ``row_numbers``; the problems of
        identifier columns that mix types.
    """
    out, problems = {}, []
    for role, name in present.items():
        column = frame[name].reset_index(drop=True)
        if role in IDENTIFIERS and (problem := mixed_types(column, name, role)):
            problems.append(problem)
        dtype = column.dtype
        if isinstance(dtype, (pd.PeriodDtype, pd.CategoricalDtype)):
            column = _as_text(column)
        elif isinstance(dtype, pd.DatetimeTZDtype):
            column = column.dt.tz_localize(None)
        elif dtype == object:
            column = _as_text(column)
            if role == "person":  # an untyped column: read like a CSV column
                column = plain_integer_ids(column)
        elif role == "person" and pd.api.types.is_float_dtype(dtype):
            whole = column.dropna()
            if (whole == np.round(whole)).all():
                column = column.astype("Int64")
        out[name] = column
    result = pd.DataFrame(out, copy=False)
    if row_numbers:
        result[ROW_COLUMN] = np.arange(len(result), dtype=np.int64)
    return result, problems


def typed_ids(frame: pd.DataFrame, roles: ColumnRoles) -> pd.DataFrame:
    """A frame read from a typeless (CSV) file with its person ids as integers when they
    are all plain integers (see :func:`plain_integer_ids`)."""
    if roles.person not in frame:
        return frame
    return frame.assign(**{roles.person: plain_integer_ids(frame[roles.person])})


def open_source(
    source: Any, roles: ColumnRoles, engine: Engine, *, encoding: str | None = None,
    sep: str | None = None, decimal: str | None = None, row_numbers: bool = False,
) -> tuple[Table, dict[str, str], str, list[str]]:
    """The table the engine scans for ``source``, the roles it has (role -> column), its
    name in messages, and the problems found while opening it.

    A pandas frame, and a CSV, Stata or SAS file (read by
    :func:`~evalkit.panel.files.read_data_file`), go through :func:`engine_frame`; a
    Parquet file, directory, glob or remote path is scanned where it lies; a
    :class:`~evalkit.engine.DuckDBTable` or an engine's own table is used as it is.

    Raises
    ------
    PanelValidationError
        When a required role names a column the source lacks (listing every such role).
    DataFileError
        When a file cannot be read.
    """
    if isinstance(source, (str, PathLike)):
        text = str(source)
        name = f"the panel {text!r}"
        if "://" in text or any(ch in text for ch in "*?["):
            table: Table = ParquetSource(text)
        else:
            path = Path(text)
            if not path.exists():
                raise DataFileError(f"panel file {text!r} does not exist")
            if file_format(path) == "parquet":
                table = ParquetSource(text)
            else:
                frame = read_data_file(path, encoding=encoding, sep=sep, decimal=decimal)
                if file_format(path) == "csv":
                    frame = typed_ids(frame, roles)
                return _opened_frame(frame, roles, name, row_numbers)
    elif isinstance(source, pd.DataFrame):
        return _opened_frame(source, roles, "the panel (DataFrame)", row_numbers)
    else:
        table = source
        name = f"the panel {source!r}" if isinstance(source, (ParquetSource, DuckDBTable)) else "the panel"
    present, problems = _roles_found(roles, engine.columns(table), name)
    return table, present, name, problems


def _roles_found(roles: ColumnRoles, available: list[str], name: str) -> tuple[dict[str, str], list[str]]:
    present, problems, complete = roles.present_in(available)
    if not complete:
        problems.append(f"the data has columns {list(available)}")
        raise failure(name, problems)
    return present, problems


def _opened_frame(
    frame: pd.DataFrame, roles: ColumnRoles, name: str, row_numbers: bool
) -> tuple[Table, dict[str, str], str, list[str]]:
    present, problems = _roles_found(roles, [str(c) for c in frame.columns], name)
    ready, type_problems = engine_frame(frame, present, row_numbers=row_numbers)
    return ready, present, name, problems + type_problems
