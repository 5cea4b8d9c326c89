"""DuckDB as the engine: embedded, out of core, spilling to disk under a memory limit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from evalkit.engine.sources import DuckDBTable, ParquetSource, Renamed, Table
from evalkit.errors import DataFileError


def connect(*, memory_limit: str | None = None, threads: int | None = None,
            temp_directory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection.

    ``memory_limit`` (e.g. ``"4GB"``) makes DuckDB spill joins, sorts and windows to
    ``temp_directory`` instead of exhausting memory; ``threads`` defaults to the cores.
    """
    con = duckdb.connect(database=":memory:")
    con.execute(f"SET threads TO {int(threads or max(1, os.cpu_count() or 1))}")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if temp_directory is not None:
        con.execute(f"SET temp_directory = '{temp_directory}'")
    con.execute("SET preserve_insertion_order = false")
    # DuckDB draws a progress bar on stdout for queries longer than two seconds, which would
    # corrupt output such as `evalkit fui --json > results.json`; stages are reported on stderr.
    # In Jupyter without ipywidgets the bar is off already and DuckDB refuses to change it.
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar = false")
    return con


#: One in-memory database per process and settings, opened on first use.
_DATABASES: dict[tuple[object, ...], duckdb.DuckDBPyConnection] = {}


def session(*, memory_limit: str | None = None, threads: int | None = None,
            temp_directory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh connection (cursor) to this process's database of these settings.

    Opening a DuckDB database costs tens of milliseconds, a cursor on an open one
    microseconds; the relations a cursor registers and its temp views are its own, so
    every query sees only the tables it was given.  The database is keyed by the
    process too (a forked child opens its own).
    """
    key = (os.getpid(), memory_limit, threads, temp_directory)
    database = _DATABASES.get(key)
    if database is None:
        database = _DATABASES[key] = connect(memory_limit=memory_limit, threads=threads,
                                             temp_directory=temp_directory)
    return database.cursor()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class DuckDBEngine:
    """Run preparation queries in an embedded DuckDB (the default engine).

    Parameters
    ----------
    memory_limit
        DuckDB's ``memory_limit`` (``"2GB"``); above it, operators spill to disk.
    threads
        Worker threads (default: all cores).
    temp_directory
        Where to spill (default: DuckDB's ``.tmp`` next to the working directory).
    """

    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None
    name: str = "duckdb"

    def _register(self, con: duckdb.DuckDBPyConnection, name: str, table: Table, attached: list[str]) -> None:
        if isinstance(table, Renamed):
            inner = f"{name}__source"
            self._register(con, inner, table.table, attached)
            select = ", ".join(f"{_quote(src)} AS {_quote(dst)}" for src, dst in table.columns.items())
            con.execute(f"CREATE TEMP VIEW {_quote(name)} AS SELECT {select} FROM {_quote(inner)}")
        elif isinstance(table, ParquetSource):
            con.execute(f"CREATE TEMP VIEW {_quote(name)} AS SELECT * FROM read_parquet({_literal(table.path)})")
        elif isinstance(table, DuckDBTable):
            alias = f"{name}__db"  # attached databases are shared by the cursors: detached after use
            con.execute(f"ATTACH {_literal(table.database)} AS {_quote(alias)} (READ_ONLY)")
            attached.append(alias)
            con.execute(f"CREATE TEMP VIEW {_quote(name)} AS SELECT * FROM {_quote(alias)}.{_quote(table.table)}")
        else:  # a pandas frame, an Arrow table or a DuckDB relation
            con.register(name, table)

    def fetch(self, sql: str, tables: Mapping[str, Table]) -> pd.DataFrame:
        """Run ``sql`` with each entry of ``tables`` visible under its key."""
        return self.fetch_many([sql], tables)[0]

    def fetch_many(self, queries: list[str], tables: Mapping[str, Table]) -> list[pd.DataFrame]:
        """Run several queries over the same ``tables`` on one connection."""
        con = session(memory_limit=self.memory_limit, threads=self.threads, temp_directory=self.temp_directory)
        attached: list[str] = []
        try:
            for name, table in tables.items():
                self._register(con, name, table, attached)
            return [con.execute(sql).fetchdf() for sql in queries]
        finally:
            _close(con, attached)

    def columns(self, table: Table) -> list[str]:
        """Column names of ``table`` from its schema (Parquet metadata, catalog), on the
        database the queries use (opening another costs tens of milliseconds)."""
        if isinstance(table, pd.DataFrame):
            return [str(c) for c in table.columns]
        con = session(memory_limit=self.memory_limit, threads=self.threads, temp_directory=self.temp_directory)
        attached: list[str] = []
        try:
            self._register(con, "probe", table, attached)
            return [str(c) for c in con.execute("SELECT * FROM probe LIMIT 0").fetchdf().columns]
        except (duckdb.IOException, duckdb.InvalidInputException, duckdb.CatalogException) as exc:
            where = table.path if isinstance(table, ParquetSource) else repr(table)
            reason = str(exc).strip().splitlines()[0]
            raise DataFileError(f"{where} cannot be read as a Parquet file or table: {reason}") from None
        finally:
            _close(con, attached)


def _close(con: duckdb.DuckDBPyConnection, attached: list[str]) -> None:
    """Detach the databases a cursor attached (from the temp views that read them first), then close it."""
    if attached:
        for (view,) in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall():
            con.execute(f"DROP VIEW IF EXISTS temp.{_quote(view)}")
        for alias in attached:
            con.execute(f"DETACH DATABASE IF EXISTS {_quote(alias)}")
    con.close()


def run(sql: str, relations: Mapping[str, Table]) -> pd.DataFrame:
    """Execute ``sql`` in a default :class:`DuckDBEngine` with ``relations`` visible by name."""
    return DuckDBEngine().fetch(sql, relations)
