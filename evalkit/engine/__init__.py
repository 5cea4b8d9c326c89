"""Engines that run panel preparation as portable SQL: DuckDB (embedded) and Spark.

Preparation steps (validation, entries after a washout, outcomes at horizons, cells) are
written once as SQL over relations named ``panel``, ``entries``, ... using only ANSI
constructs both engines parse the same way (window functions, ``CASE``, ``CAST(x AS
STRING)``, joins; no ``::``, no quoted identifiers).  The same text runs on a pandas frame
registered in DuckDB, on a Parquet file scanned by DuckDB, or on Spark over temp views.
"""

from evalkit.engine.duckdb_engine import DuckDBEngine, connect, run
from evalkit.engine.sources import DuckDBTable, Engine, ParquetSource, Renamed, Table, with_ctes
from evalkit.engine.spark_engine import SparkEngine

__all__ = [
    "DuckDBEngine",
    "DuckDBTable",
    "Engine",
    "ParquetSource",
    "Renamed",
    "SparkEngine",
    "Table",
    "connect",
    "run",
    "with_ctes",
]
