"""Reading a long monthly status panel into a validated :class:`StatusPanel`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike

import numpy as np
import pandas as pd

from evalkit.engine import DuckDBEngine, Engine, Table, with_ctes
from evalkit.errors import EvalkitError
from evalkit.panel.frames import ROW_COLUMN, open_source
from evalkit.panel.months import month_label
from evalkit.panel.prepare import Prepared, canonical_sql, prepare
from evalkit.panel.roles import ColumnRoles
from evalkit.panel.validate import CODED


@dataclass(frozen=True)
class PanelReport:
    """Facts about a validated panel."""

    n_rows: int
    n_persons: int
    first_month: int
    last_month: int
    n_rows_at_nav: int
    n_persons_with_gaps: int
    was_sorted: bool
    has_history_column: bool

    def __str__(self) -> str:
        lines = [
            f"status panel: {self.n_rows:,} person-months of {self.n_persons:,} persons, "
            f"{month_label(self.first_month)} to {month_label(self.last_month)}",
            f"  person-months registered at NAV: {self.n_rows_at_nav:,}",
            f"  persons with gaps between their months (months absent from the register): "
            f"{self.n_persons_with_gaps:,}",
        ]
        if not self.was_sorted:
            lines.append("  rows were not in (person, month) order; they were sorted")
        lines.append(
            "  NAV history before the panel: "
            + ("column last_nav_month_before" if self.has_history_column else "not given")
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class StatusPanel:
    """A validated monthly status panel with evalkit's canonical column names.

    The panel is a relation named ``panel``, defined by the SQL ``definition`` over
    ``tables`` and executed by ``engine``; preparation steps query it with
    :meth:`query` and get small pandas results back.  An in-memory panel
    (:func:`read_panel`) holds its ``frame``: one row per person and month, sorted by
    person and month, ``month`` (and ``last_nav_month_before``) as integer month indices
    (:mod:`evalkit.panel.months`), ``nav_category`` as an ordered vocabulary
    (:data:`~evalkit.panel.roles.NAV_CATEGORIES`, missing when not at NAV) and 0/1
    indicators as ``int8``.  A stored panel (:func:`~evalkit.panel.scan_panel`) stays in
    its Parquet file or table; the same columns are computed by the engine as it scans.
    Optional attributes are present only when the source had them.  ``value_mapped``
    says that ``definition`` is :func:`~evalkit.panel.prepare.canonical_sql` of
    ``columns`` (the source joined to one value map per column), so that a query naming
    the columns it reads translates only those (:meth:`query`); ``direct`` names the
    columns it computes from the stored value instead of joining their map (DuckDB only,
    :func:`~evalkit.panel.prepare.direct_codes`).
    """

    report: PanelReport
    columns: tuple[str, ...]
    definition: str
    tables: Mapping[str, Table]
    engine: Engine = field(default_factory=DuckDBEngine)
    in_memory: pd.DataFrame | None = field(default=None, repr=False)
    value_mapped: bool = False
    direct: Mapping[str, str] = field(default_factory=dict)

    @property
    def first_month(self) -> int:
        return self.report.first_month

    @property
    def last_month(self) -> int:
        return self.report.last_month

    @property
    def is_lazy(self) -> bool:
        """Whether the rows stay in storage (scanned by the engine) rather than in memory."""
        return self.in_memory is None

    @property
    def frame(self) -> pd.DataFrame:
        """The canonical pandas frame of an in-memory panel."""
        if self.in_memory is None:
            raise EvalkitError(
                "this panel stays in storage and is scanned by the engine; call collect() to "
                "load all its rows into pandas, or query() for a smaller result"
            )
        return self.in_memory

    def has(self, column: str) -> bool:
        """Whether the panel carries an optional column."""
        return column in self.columns

    def query(self, body: str, tables: Mapping[str, Table] | None = None, *,
              columns: Sequence[str] | None = None, as_text: bool = True) -> pd.DataFrame:
        """Run ``body`` (portable SQL that reads the relation ``panel``) on the engine.

        ``tables`` adds relations the query joins (e.g. ``entries``).  ``columns`` names
        the panel columns ``body`` reads (``None``: any); a stored panel then joins only
        their value maps (an unused join would still cost a pass over every row), and
        the relation ``panel`` has only those columns (and ``person_id``).  The labels of
        a stored panel come back as text unless ``as_text`` is False: then as the
        categoricals of their value maps, for a caller that sets the column types itself.
        """
        definition = self.definition
        if columns is not None and self.value_mapped:
            definition = canonical_sql([c for c in self.columns if c in set(columns) or c == "person_id"],
                                       row_column=False, direct=self.direct)
        sql = with_ctes([("panel", definition)], body)
        found = self.engine.fetch(sql, {**self.tables, **(tables or {})})
        if self.value_mapped and as_text:
            # labels travel through the engine dictionary-encoded (categorical value maps);
            # they come back as the text columns they are
            labels = [c for c, dtype in found.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
            found = found.astype({c: "str" for c in labels}) if labels else found
        return found

    def collect(self) -> pd.DataFrame:
        """All rows as a pandas frame in (person, month) order."""
        if self.in_memory is not None:
            return self.in_memory
        return self.query("SELECT * FROM panel ORDER BY person_id, month")

    def with_engine(self, engine: Engine) -> "StatusPanel":
        """The same panel, prepared by another engine (e.g. a :class:`SparkEngine`)."""
        if self.direct:  # the computed columns were checked in DuckDB: another engine joins every map
            return replace(self, engine=engine, direct={},
                           definition=canonical_sql(list(self.columns), row_column=False))
        return replace(self, engine=engine)

    def __repr__(self) -> str:
        where = "in memory" if self.in_memory is not None else f"stored, engine {self.engine.name}"
        return f"<StatusPanel {self.report.n_rows:,} rows, {self.report.n_persons:,} persons, {where}>"


def in_memory_panel(frame: pd.DataFrame, report: PanelReport) -> StatusPanel:
    """Wrap a canonical, sorted frame as a panel that DuckDB reads without copying."""
    return StatusPanel(
        report=report,
        columns=tuple(frame.columns),
        definition="SELECT * FROM panel_frame",
        tables={"panel_frame": frame},
        in_memory=frame,
    )


def report_of(prepared: Prepared, *, was_sorted: bool) -> PanelReport:
    """The :class:`PanelReport` of a validated panel from its counts."""
    counts = prepared.counts
    return PanelReport(
        n_rows=int(counts["n_rows"]),
        n_persons=int(counts["n_persons"]),
        first_month=int(counts["first_month"]),
        last_month=int(counts["last_month"]),
        n_rows_at_nav=int(counts["n_rows_at_nav"]),
        n_persons_with_gaps=int(counts["n_persons_with_gaps"]),
        was_sorted=was_sorted,
        has_history_column="last_nav_month_before" in prepared.columns,
    )


def canonical_frame(rows: pd.DataFrame, prepared: Prepared, roles: ColumnRoles) -> pd.DataFrame:
    """The engine's canonical rows (label columns as value-map positions, see
    :func:`~evalkit.panel.prepare.canonical_sql`) with evalkit's in-memory types."""
    out: dict[str, object] = {}
    for name, column in rows.items():
        if name == "person_id":
            out[name] = column
        elif name == "month":
            out[name] = column.to_numpy(dtype="int32")
        elif name in CODED or name == "county":
            labels = list(CODED[name]) if name in CODED else sorted(set(prepared.value_maps[name]["label"]))
            codes = column.to_numpy(dtype="float64", na_value=np.nan)
            codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
            if name in CODED:
                out[name] = pd.Categorical.from_codes(codes, categories=labels)
            else:
                out[name] = pd.array(labels, dtype="string").take(codes, allow_fill=True)
        elif name in ("employed", "in_education"):
            out[name] = column.astype("Float64" if name in roles.missing else "int8")
        elif name == "female":
            out[name] = column.astype("Float64")
        else:  # birth_year, last_nav_month_before
            out[name] = column.astype("Int64")
    return pd.DataFrame(out, index=rows.index, copy=False)


def read_panel(
    source: pd.DataFrame | str | PathLike[str],
    *,
    roles: ColumnRoles | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
) -> StatusPanel:
    """Read and validate a long monthly status panel into memory.

    Parameters
    ----------
    source
        A pandas DataFrame, or the path of a CSV (``.csv``, ``.txt``, ``.tsv``, gzipped
        or not), Parquet (file or directory), Stata (``.dta``) or SAS (``.sas7bdat``)
        file, one row per person and month.
    roles
        Which column plays which role, and how the user's codes map onto evalkit's;
        defaults to evalkit's column names (:class:`ColumnRoles`).
    encoding, sep, decimal
        The text encoding, field separator and decimal mark of a CSV file; detected
        when not given (:mod:`evalkit.panel.files`).

    Returns
    -------
    StatusPanel
        The panel with canonical names and types, sorted by person and month, and a
        :class:`PanelReport`.

    Raises
    ------
    PanelValidationError
        Listing every problem found (:mod:`evalkit.panel.validate`): a role naming a
        column the data lacks, an identifier column of mixed types, a duplicate
        person-month, an unparseable month, an unknown need category or education level,
        a non-0/1 or (undeclared) missing indicator, a missing county in a month at NAV,
        a person attribute that changes within a person (``female``, ``birth_year``,
        ``last_nav_month_before``), implausible or two-digit birth years, a NAV history
        ending after the panel starts, an empty panel.
    DataFileError
        When a file is missing, empty, of an unknown format or cannot be decoded.

    Notes
    -----
    The rules run in DuckDB, on the same summary statistics as for a stored panel
    (:func:`~evalkit.panel.scan_panel`), so both accept the same panels and give the same
    messages; the validated rows are then fetched in (person, month) order.
    """
    roles = roles or ColumnRoles()
    engine = DuckDBEngine()
    table, present, name, problems = open_source(
        source, roles, engine, encoding=encoding, sep=sep, decimal=decimal, row_numbers=True
    )
    row_column = isinstance(table, pd.DataFrame) and ROW_COLUMN in table.columns
    prepared = prepare(table, present, roles, engine, name=name, problems=problems, row_column=row_column)
    order = "person_id, month" + (f", {ROW_COLUMN}" if prepared.row_column else "")
    coded = canonical_sql(list(prepared.columns), row_column=prepared.row_column, labels=False,
                          direct=prepared.direct)
    rows = engine.fetch(with_ctes([("panel", coded)], f"SELECT * FROM panel ORDER BY {order}"), prepared.tables)
    was_sorted = True
    if ROW_COLUMN in rows:
        was_sorted = bool((np.diff(rows[ROW_COLUMN].to_numpy()) > 0).all())
        rows = rows.drop(columns=ROW_COLUMN)
    return in_memory_panel(canonical_frame(rows, prepared, roles), report_of(prepared, was_sorted=was_sorted))
