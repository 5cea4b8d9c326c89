"""Validating a stored panel inside the engine, without loading it into pandas.

:func:`scan_panel` points at a Parquet file (or directory, or a DuckDB table, or a Spark
DataFrame) and runs the one validation path (:mod:`evalkit.panel.prepare`) in the engine:
the distinct values of every coded column are counted in the engine and translated once
per distinct value; person-level rules are one window pass.  Only counts and a few
example rows come back.  The canonical panel is then a SQL view: the source joined to the
small table of translated values, which every preparation step reads as ``panel``.
"""

from __future__ import annotations

from os import PathLike
from typing import Any

import pandas as pd

from evalkit.engine import DuckDBEngine, DuckDBTable, Engine, ParquetSource
from evalkit.panel.frames import open_source
from evalkit.panel.load import StatusPanel, report_of
from evalkit.panel.prepare import prepare
from evalkit.panel.roles import ColumnRoles


def scan_panel(
    source: str | PathLike[str] | ParquetSource | DuckDBTable | pd.DataFrame | Any,
    *,
    roles: ColumnRoles | None = None,
    engine: Engine | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
) -> StatusPanel:
    """Validate a stored status panel in the engine and return it without loading it.

    Parameters
    ----------
    source
        A Parquet path (file, directory or glob; ``hdfs://`` / ``s3a://`` for Spark), a
        :class:`~evalkit.engine.ParquetSource`, a :class:`~evalkit.engine.DuckDBTable`,
        a pandas DataFrame, a Spark DataFrame (with a :class:`~evalkit.engine.SparkEngine`),
        or a CSV, Stata or SAS file (read into memory first: such files carry no index
        an engine could scan by column).
    roles
        Column roles and code mappings, as for :func:`~evalkit.panel.read_panel`.
    engine
        Where the checks and later preparation run; a :class:`~evalkit.engine.DuckDBEngine`
        by default (set its ``memory_limit`` to spill rather than exhaust memory).
    encoding, sep, decimal
        As for :func:`~evalkit.panel.read_panel`, for a CSV file.

    Returns
    -------
    StatusPanel
        A panel whose rows stay in storage (``is_lazy``); :func:`~evalkit.cohorts.find_entries`
        and :func:`~evalkit.outcomes.outcomes_at_horizons` run on it in the engine.

    Raises
    ------
    PanelValidationError
        On the same rules, with the same messages, as :func:`~evalkit.panel.read_panel`.
    """
    roles = roles or ColumnRoles()
    engine = engine or DuckDBEngine()
    table, present, name, problems = open_source(source, roles, engine, encoding=encoding, sep=sep, decimal=decimal)
    prepared = prepare(table, present, roles, engine, name=name, problems=problems)
    return StatusPanel(
        report=report_of(prepared, was_sorted=True), columns=prepared.columns,
        definition=prepared.definition, tables=prepared.tables, engine=engine, value_mapped=True,
        direct=prepared.direct,
    )
