"""Apache Spark as the engine: the same SQL text, run by ``spark.sql`` over temp views.

PySpark is optional (``pip install evalkit[spark]``); it is imported only when a
:class:`SparkEngine` is used.  Point the session at a cluster with
``SparkSession.builder.master("spark://host:7077")`` (or YARN / Kubernetes) and read the
panel from ``hdfs://`` or ``s3a://`` paths; see ``docs/scale.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.engine.sources import DuckDBTable, ParquetSource, Renamed, Table
from evalkit.errors import EvalkitError


def _spark_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Pandas extension dtypes as plain numpy/object columns Spark's converter accepts."""
    out = {}
    for name, column in frame.items():
        dtype = column.dtype
        labels = isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype))
        if labels or (isinstance(dtype, pd.api.extensions.ExtensionDtype) and column.isna().any()):
            out[name] = column.astype(object).where(column.notna(), None)
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
            out[name] = column.to_numpy(dtype=np.dtype(dtype.numpy_dtype))
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class SparkEngine:
    """Run preparation queries with ``spark.sql`` in a :class:`pyspark.sql.SparkSession`.

    Tables are made visible as temporary views under their names for the query and
    dropped afterwards; run one preparation at a time per session.
    """

    session: Any
    name: str = "spark"

    def _dataframe(self, table: Table) -> Any:
        if isinstance(table, Renamed):
            from pyspark.sql import functions as F

            inner = self._dataframe(table.table)
            return inner.select([F.col(f"`{src}`").alias(dst) for src, dst in table.columns.items()])
        if isinstance(table, ParquetSource):
            return self.session.read.parquet(table.path)
        if isinstance(table, DuckDBTable):
            raise EvalkitError(
                "a DuckDB database table cannot be read by Spark; export it to Parquet "
                "(COPY table TO 'panel.parquet') and pass a ParquetSource"
            )
        if isinstance(table, pd.DataFrame):
            return self.session.createDataFrame(_spark_ready(table))
        return table  # a Spark DataFrame

    def fetch(self, sql: str, tables: Mapping[str, Table]) -> pd.DataFrame:
        """Run ``sql`` with each entry of ``tables`` visible as a temp view under its key."""
        for name, table in tables.items():
            self._dataframe(table).createOrReplaceTempView(name)
        try:
            return self.session.sql(sql).toPandas()
        finally:
            for name in tables:
                self.session.catalog.dropTempView(name)

    def fetch_many(self, queries: list[str], tables: Mapping[str, Table]) -> list[pd.DataFrame]:
        """Run several queries over the same ``tables`` (views made once)."""
        for name, table in tables.items():
            self._dataframe(table).createOrReplaceTempView(name)
        try:
            return [self.session.sql(sql).toPandas() for sql in queries]
        finally:
            for name in tables:
                self.session.catalog.dropTempView(name)

    def columns(self, table: Table) -> list[str]:
        """Column names of ``table`` from its schema."""
        return list(self._dataframe(table).columns)

