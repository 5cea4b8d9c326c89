"""The embedded relational engine (DuckDB) that runs panel preparation.

Preparation steps (entries, washout, outcomes at horizons) are written as SQL over a
relation named ``panel`` so that one expression runs on a pandas frame (registered without
copying, through Arrow), a Parquet file, or a DuckDB table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import duckdb
import pandas as pd


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection using the machine's cores."""
    con = duckdb.connect(database=":memory:")
    con.execute(f"SET threads TO {max(1, os.cpu_count() or 1)}")
    return con


def run(sql: str, relations: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Execute ``sql`` with each frame of ``relations`` visible under its name."""
    con = connect()
    try:
        for name, frame in relations.items():
            con.register(name, frame)
        return con.execute(sql).fetchdf()
    finally:
        con.close()
