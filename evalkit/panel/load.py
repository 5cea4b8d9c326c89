"""Reading a long monthly status panel into a validated :class:`StatusPanel`."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import PanelValidationError
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

    ``frame`` holds one row per person and month, sorted by person and month, with
    ``month`` (and ``last_nav_month_before``) as integer month indices
    (:mod:`evalkit.panel.months`), ``nav_category`` as an ordered vocabulary
    (:data:`~evalkit.panel.roles.NAV_CATEGORIES`, missing when not at NAV) and 0/1
    indicators as ``int8``.  Optional attributes are present only when the source had them.
    """

    frame: pd.DataFrame
    report: PanelReport

    @property
    def first_month(self) -> int:
        return self.report.first_month

    @property
    def last_month(self) -> int:
        return self.report.last_month

    def has(self, column: str) -> bool:
        """Whether the panel carries an optional column."""
        return column in self.frame.columns

    def __repr__(self) -> str:
        return f"<StatusPanel {self.report.n_rows:,} rows, {self.report.n_persons:,} persons>"


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


def read_panel(
    source: pd.DataFrame | str | PathLike[str], *, roles: ColumnRoles | None = None
) -> StatusPanel:
    """Read and validate a long monthly status panel.

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
    """
    roles = roles or ColumnRoles()
    raw = _read_source(source)
    wanted = {r: c for r, c in roles.column_map().items() if r in ColumnRoles.REQUIRED}
    check.require_columns(raw, wanted)
    present = {r: c for r, c in roles.column_map().items() if c in raw.columns}
    frame = raw[list(present.values())].rename(columns={c: CANONICAL[r] for r, c in present.items()})
    frame = frame.reset_index(drop=True)

    check.check_no_missing(frame, "person_id", label="person")
    month = to_month_index(frame["month"])
    check.check_parsed(frame["month"], month, roles.month, what="a month")
    check.check_no_missing(frame.assign(month=month), "month", label="month")
    frame["month"] = month.astype("int32")
    check.check_duplicates(frame, "person_id", "month")

    categories = {**NAV_CATEGORY_ALIASES, **roles.categories}
    frame["nav_category"] = check.check_codes(
        frame, "nav_category", categories, NAV_CATEGORIES, what="NAV need categories"
    )
    at_nav = frame["nav_category"].notna()
    check.check_no_missing(frame, "county", label="county, required in months at NAV", mask=at_nav)
    frame["county"] = frame["county"].astype("string")
    for column in ("employed", "in_education"):
        frame[column] = check.check_binary(frame, column)
    if "female" in frame:
        frame["female"] = check.check_binary(frame, "female", allow_missing=True)
    if "birth_year" in frame:
        years = pd.to_numeric(frame["birth_year"], errors="coerce")
        check.check_parsed(frame["birth_year"], years, roles.birth_year or "birth_year", what="a birth year")
        frame["birth_year"] = years.astype("Int64")
    if "education_level" in frame:
        frame["education_level"] = check.check_codes(
            frame, "education_level", roles.education_codes, EDUCATION_LEVELS, what="education levels"
        )
    if "last_nav_month_before" in frame:
        before = to_month_index(frame["last_nav_month_before"])
        check.check_parsed(frame["last_nav_month_before"], before, roles.last_nav_month_before or "", what="a month")
        frame["last_nav_month_before"] = before
    for column in ("female", "birth_year", "last_nav_month_before"):
        if column in frame:
            check.check_constant_within(frame, "person_id", column)

    keys = frame[["person_id", "month"]]
    was_sorted = bool(
        keys["person_id"].is_monotonic_increasing
        and (np.diff(keys["month"].to_numpy()) > 0)[
            (keys["person_id"].to_numpy()[1:] == keys["person_id"].to_numpy()[:-1])
        ].all()
    )
    if not was_sorted:
        frame = frame.sort_values(["person_id", "month"], kind="stable").reset_index(drop=True)
    same_person = frame["person_id"].to_numpy()[1:] == frame["person_id"].to_numpy()[:-1]
    gaps = same_person & (np.diff(frame["month"].to_numpy()) > 1)
    n_gap_persons = int(pd.unique(frame["person_id"].to_numpy()[1:][gaps]).size)
    report = PanelReport(
        n_rows=len(frame),
        n_persons=int(frame["person_id"].nunique()),
        first_month=int(frame["month"].min()),
        last_month=int(frame["month"].max()),
        n_rows_at_nav=int(frame["nav_category"].notna().sum()),
        n_persons_with_gaps=n_gap_persons,
        was_sorted=was_sorted,
        has_history_column="last_nav_month_before" in frame,
    )
    return StatusPanel(frame=frame, report=report)
