"""Reading a long monthly status panel into a validated :class:`StatusPanel`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.engine import DuckDBEngine, Engine, Table, with_ctes
from evalkit.errors import EvalkitError, PanelValidationError
from evalkit.panel import validate as check
from evalkit.panel.months import month_label, to_month_index
from evalkit.panel.roles import EDUCATION_LEVELS, NAV_CATEGORIES, NAV_CATEGORY_ALIASES, ColumnRoles

#: Canonical column names of a validated panel (role names).
CANONICAL = {
    "person": "person_id",
    "month": "month",
    "county": "county",
    "nav_category": "nav_category",
    "employed": "employed",
    "in_education": "in_education",
    "female": "female",
    "birth_year": "birth_year",
    "education_level": "education_level",
    "last_nav_month_before": "last_nav_month_before",
}


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
    Optional attributes are present only when the source had them.
    """

    report: PanelReport
    columns: tuple[str, ...]
    definition: str
    tables: Mapping[str, Table]
    engine: Engine = field(default_factory=DuckDBEngine)
    in_memory: pd.DataFrame | None = field(default=None, repr=False)

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

    def query(self, body: str, tables: Mapping[str, Table] | None = None) -> pd.DataFrame:
        """Run ``body`` (portable SQL that reads the relation ``panel``) on the engine.

        ``tables`` adds relations the query joins (e.g. ``entries``).
        """
        sql = with_ctes([("panel", self.definition)], body)
        return self.engine.fetch(sql, {**self.tables, **(tables or {})})

    def collect(self) -> pd.DataFrame:
        """All rows as a pandas frame in (person, month) order."""
        if self.in_memory is not None:
            return self.in_memory
        return self.query("SELECT * FROM panel ORDER BY person_id, month")

    def with_engine(self, engine: Engine) -> "StatusPanel":
        """The same panel, prepared by another engine (e.g. a :class:`SparkEngine`)."""
        return replace(self, engine=engine)

    def __repr__(self) -> str:
        where = "in memory" if self.in_memory is not None else f"stored, engine {self.engine.name}"
        return f"<StatusPanel {self.report.n_rows:,} rows, {self.report.n_persons:,} persons, {where}>"


def _read_source(source: pd.DataFrame | str | PathLike[str]) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"panel file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt", ".gz"):
        return pd.read_csv(path, low_memory=False)
    raise PanelValidationError(
        f"cannot tell the format of {str(path)!r}: expected a .parquet or .csv file"
    )


def in_memory_panel(frame: pd.DataFrame, report: PanelReport) -> StatusPanel:
    """Wrap a canonical, sorted frame as a panel that DuckDB reads without copying."""
    return StatusPanel(
        report=report,
        columns=tuple(frame.columns),
        definition="SELECT * FROM panel_frame",
        tables={"panel_frame": frame},
        in_memory=frame,
    )


def read_panel(
    source: pd.DataFrame | str | PathLike[str], *, roles: ColumnRoles | None = None
) -> StatusPanel:
    """Read and validate a long monthly status panel into memory.

    Parameters
    ----------
    source
        A pandas DataFrame, or the path of a Parquet or CSV file, one row per person and month.
    roles
        Which column plays which role, and how the user's category codes map onto
        evalkit's; defaults to evalkit's column names (:class:`ColumnRoles`).

    Returns
    -------
    StatusPanel
        The panel with canonical names and types, and a :class:`PanelReport`.

    Raises
    ------
    PanelValidationError
        On a missing required column, a duplicate person-month, an unparseable month,
        an unknown need category or education level, a non-0/1 indicator, a missing
        county in a month at NAV, or a person attribute that changes within a person
        (``female``, ``birth_year``, ``last_nav_month_before``; ``education_level`` may change
        and is read at the month it is needed).

    Notes
    -----
    Codes and months are translated once per distinct value; duplicates, gaps and
    attributes that change within a person are found by comparing neighbouring rows in
    (person, month) order, so validation is linear in the rows after one sort (none when
    the rows come sorted).  For panels larger than memory use
    :func:`~evalkit.panel.scan_panel`.
    """
    roles = roles or ColumnRoles()
    raw = _read_source(source)
    wanted = {r: c for r, c in roles.column_map().items() if r in ColumnRoles.REQUIRED}
    check.require_columns([str(c) for c in raw.columns], wanted)
    present = {CANONICAL[r]: raw[c] for r, c in roles.column_map().items() if c in raw.columns}
    frame = pd.DataFrame(
        {name: column.reset_index(drop=True) for name, column in present.items()}, copy=False
    )

    check.check_no_missing(frame, "person_id", label="person")
    month = to_month_index(frame["month"])
    check.check_parsed(frame["month"], month, roles.month, what="a month")
    if month.isna().any():
        check.check_no_missing(frame.assign(month=month), "month", label="month")
    months = month.to_numpy(dtype="int32", na_value=-1)
    order, person_codes = check.person_order(frame["person_id"], months)
    was_sorted = order is None
    columns: dict[str, object] = {"person_id": frame["person_id"], "month": months}

    categories = {**NAV_CATEGORY_ALIASES, **roles.categories}
    columns["nav_category"] = check.check_codes(
        frame, "nav_category", categories, NAV_CATEGORIES, what="NAV need categories"
    )
    at_nav = columns["nav_category"].notna()
    check.check_no_missing(frame, "county", label="county, required in months at NAV", mask=at_nav)
    columns["county"] = frame["county"].astype("string")
    for column in ("employed", "in_education"):
        columns[column] = check.check_binary(frame, column)
    if "female" in frame:
        columns["female"] = check.check_binary(frame, "female", allow_missing=True)
    if "birth_year" in frame:
        years = pd.to_numeric(frame["birth_year"], errors="coerce")
        check.check_parsed(frame["birth_year"], years, roles.birth_year or "birth_year", what="a birth year")
        columns["birth_year"] = years.astype("Int64")
    if "education_level" in frame:
        columns["education_level"] = check.check_codes(
            frame, "education_level", roles.education_codes, EDUCATION_LEVELS, what="education levels"
        )
    if "last_nav_month_before" in frame:
        before = to_month_index(frame["last_nav_month_before"])
        check.check_parsed(frame["last_nav_month_before"], before, roles.last_nav_month_before or "", what="a month")
        columns["last_nav_month_before"] = before
    canonical = pd.DataFrame(
        {name: columns[name] for name in frame.columns}, index=frame.index, copy=False
    )
    if order is not None:
        canonical = canonical.take(order)
        months = months[order]
    same_person = np.diff(person_codes) == 0
    check.check_duplicates_sorted(canonical, same_person, months)
    for column in ("female", "birth_year", "last_nav_month_before"):
        if column in canonical:
            check.check_constant_within_sorted(canonical, same_person, column)
    if order is not None:
        canonical = canonical.reset_index(drop=True)

    gaps = same_person & (np.diff(months) > 1)
    report = PanelReport(
        n_rows=len(canonical),
        n_persons=int(person_codes[-1] + 1) if len(person_codes) else 0,
        first_month=int(months.min()),
        last_month=int(months.max()),
        n_rows_at_nav=int(at_nav.sum()),
        n_persons_with_gaps=int(np.unique(person_codes[1:][gaps]).size),
        was_sorted=was_sorted,
        has_history_column="last_nav_month_before" in canonical,
    )
    return in_memory_panel(canonical, report)
