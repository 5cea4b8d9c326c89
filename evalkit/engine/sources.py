"""Tables an engine can scan, and the protocol every engine follows.

A panel lives either in memory (a pandas DataFrame) or in storage: a Parquet file or
directory (local, HDFS or S3 path), a table of a DuckDB database file, or a table/DataFrame
of a Spark session.  Preparation queries are portable SQL over named relations; an
:class:`Engine` makes each named table visible under its name and executes the query.
Only the (small) result comes back as a pandas DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

import pandas as pd


@dataclass(frozen=True)
class ParquetSource:
    """A Parquet file, a directory of Parquet files, or a glob (``data/*.parquet``).

    Remote paths (``hdfs://``, ``s3a://`` for Spark; ``s3://`` for DuckDB with its httpfs
    extension) are passed to the engine as they are.
    """

    path: str


@dataclass(frozen=True)
class DuckDBTable:
    """A table (or view) in a DuckDB database file, attached read-only."""

    database: str
    table: str


@dataclass(frozen=True)
class Renamed:
    """A table seen with some of its columns renamed and only those kept.

    ``columns`` maps each kept column of ``table`` onto the name the query uses; the
    engine does the renaming through its own API, so shared SQL never quotes identifiers
    (DuckDB quotes with ``"``, Spark with backticks).
    """

    table: "Table"
    columns: Mapping[str, str] = field(default_factory=dict)


#: What a query may scan: pandas frames, stored tables, or an engine-native object
#: (a DuckDB relation, a Spark DataFrame).
Table = Union[pd.DataFrame, ParquetSource, DuckDBTable, Renamed, Any]


class Engine(Protocol):
    """Executes portable SQL over named tables and returns a pandas DataFrame."""

    name: str

    def fetch(self, sql: str, tables: Mapping[str, Table]) -> pd.DataFrame:
        """Run ``sql`` with each entry of ``tables`` visible under its key."""
        ...

    def fetch_many(self, queries: list[str], tables: Mapping[str, Table]) -> list[pd.DataFrame]:
        """Run several queries over the same ``tables`` (registered once)."""
        ...

    def columns(self, table: Table) -> list[str]:
        """The column names of a table, read from its schema without scanning it."""
        ...


def with_ctes(ctes: list[tuple[str, str]], body: str) -> str:
    """``WITH a AS (...), b AS (...) body``: the portable way to chain query stages.

    A ``body`` that opens with its own ``WITH`` has its common table expressions appended
    after ``ctes`` (SQL allows one ``WITH`` per query).
    """
    if not ctes:
        return body
    parts = ",\n".join(f"{name} AS (\n{sql}\n)" for name, sql in ctes)
    text = body.lstrip()
    if text[:5].upper() == "WITH ":
        return f"WITH {parts},\n{text[5:]}"
    return f"WITH {parts}\n{body}"
