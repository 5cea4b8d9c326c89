"""Column roles of a monthly status panel and the fixed vocabularies of their values.

A user's extract rarely uses evalkit's column names.  :class:`ColumnRoles` maps each role
(person, month, county, NAV need category, ...) onto the user's column name; it is read
from a small TOML file with one strict schema (every table and key below, nothing else)::

    [columns]             # role -> your column ("" for an optional role you lack)
    person = "lopenr"
    month = "aarmnd"
    county = "fylke"
    nav_category = "innsatsgruppe"

    [categories]          # your need-category codes -> evalkit's names
    "IKVAL" = "standard"
    "BFORM" = "situational"
    "BATT" = "specially_adapted"
    "VARIG" = "permanently_adapted"

    [education]           # your education codes -> evalkit's levels
    "1" = "below_upper_secondary"

    [missing]             # roles whose empty cells (and listed codes) mean "unknown"
    employed = true
    education_level = ["9", "UKJENT"]

    [unemployment]        # columns of the county unemployment table
    county = "fylke"
    month = "aarmnd"
    unemployment_pct = "ledighet"

    [schedule]            # columns of the rollout schedule
    county = "fylke"
    region = "landsdel"
    start_month = "oppstart"

Every mistake (an unknown table or key, a value of the wrong type, an unknown target, a
column mapped to two roles) raises :class:`~evalkit.errors.RolesError` naming the file,
the key and the nearest valid name.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit.errors import RolesError

#: NAV need categories (innsatsgrupper), lowest to highest need.
NAV_CATEGORIES: tuple[str, ...] = (
    "standard",  # standardinnsats
    "situational",  # situasjonsbestemt innsats
    "specially_adapted",  # spesielt tilpasset innsats
    "permanently_adapted",  # varig tilpasset innsats
)

#: Norwegian labels accepted for the need categories.
NAV_CATEGORY_ALIASES: dict[str, str] = {
    "standardinnsats": "standard",
    "situasjonsbestemt innsats": "situational",
    "spesielt tilpasset innsats": "specially_adapted",
    "varig tilpasset innsats": "permanently_adapted",
}

#: Highest completed education, lowest first.
EDUCATION_LEVELS: tuple[str, ...] = ("below_upper_secondary", "upper_secondary", "higher")

#: Columns of the county unemployment table (role -> default column).
UNEMPLOYMENT_COLUMNS: dict[str, str] = {
    "county": "county", "month": "month", "unemployment_pct": "unemployment_pct",
}

#: Columns of the rollout schedule (role -> default column).
SCHEDULE_COLUMNS: dict[str, str] = {"county": "county", "region": "region", "start_month": "start_month"}

_TABLES = ("columns", "categories", "education", "missing", "unemployment", "schedule")


def nearest(name: str, valid: list[str] | tuple[str, ...]) -> str:
    """`` Did you mean 'x'?`` for the closest valid name (difflib), or a list of them."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    if close:
        return f" Did you mean {close[0]!r}?"
    return f" Valid names: {', '.join(repr(v) for v in valid)}."


@dataclass(frozen=True)
class ColumnRoles:
    """Which column of the user's panel plays which role.

    Required roles: ``person``, ``month``, ``county``, ``nav_category``, ``employed``,
    ``in_education``.  Person attributes (``female``, ``birth_year``, ``education_level``)
    and ``last_nav_month_before`` (the person's last month at NAV before the panel starts,
    as register extracts often carry) are optional; set a role to ``None`` when the
    panel lacks it.  An optional role left at its default name may be absent from the
    data; one set to another name must be present.

    ``categories`` maps the user's need-category codes onto :data:`NAV_CATEGORIES`;
    ``education_codes`` does the same for :data:`EDUCATION_LEVELS`.  ``missing`` lists,
    per role, the user's codes that mean "unknown"; naming a role there also allows empty
    cells in it (``employed`` and ``in_education`` otherwise must be 0/1 in every row).
    ``unemployment_columns`` and ``schedule_columns`` map the columns of the county
    unemployment table (``county``, ``month``, ``unemployment_pct``) and of the rollout
    schedule (``county``, ``region``, ``start_month``).  ``source`` is the roles file the
    roles came from, named in messages.

    Raises
    ------
    RolesError
        On a role or code mapped to an unknown target, or one column mapped to two roles.
    """

    person: str = "person_id"
    month: str = "month"
    county: str = "county"
    nav_category: str = "nav_category"
    employed: str = "employed"
    in_education: str = "in_education"
    female: str | None = "female"
    birth_year: str | None = "birth_year"
    education_level: str | None = "education_level"
    last_nav_month_before: str | None = "last_nav_month_before"
    categories: dict[str, str] = field(default_factory=dict)
    education_codes: dict[str, str] = field(default_factory=dict)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unemployment_columns: dict[str, str] = field(default_factory=lambda: dict(UNEMPLOYMENT_COLUMNS))
    schedule_columns: dict[str, str] = field(default_factory=lambda: dict(SCHEDULE_COLUMNS))
    source: str | None = field(default=None, compare=False)

    REQUIRED = ("person", "month", "county", "nav_category", "employed", "in_education")
    ATTRIBUTES = ("female", "birth_year", "education_level", "last_nav_month_before")

    def __post_init__(self) -> None:
        roles = self.REQUIRED + self.ATTRIBUTES
        for role in roles:
            value = getattr(self, role)
            if role in self.REQUIRED and not (isinstance(value, str) and value):
                raise RolesError(self.where("columns", role) + f"the required role needs a column name, got {value!r}")
            if value is not None and not isinstance(value, str):
                raise RolesError(self.where("columns", role) + f"expected a column name (text), got {value!r}")
        self._check_targets("categories", self.categories, NAV_CATEGORIES)
        self._check_targets("education", self.education_codes, EDUCATION_LEVELS)
        for role in self.missing:
            if role not in roles or role in ("person", "month"):
                allowed = [r for r in roles if r not in ("person", "month")]
                raise RolesError(
                    self.where("missing", role) + "no role of that name can be declared missing."
                    + nearest(role, allowed)
                )
        used: dict[str, str] = {}
        for role, column in self.column_map().items():
            if column in used:
                raise RolesError(
                    self.where("columns", role) + f"column {column!r} is already mapped to role "
                    f"{used[column]!r}; each column plays one role"
                )
            used[column] = role
        for table, mapping, defaults in (
            ("unemployment", self.unemployment_columns, UNEMPLOYMENT_COLUMNS),
            ("schedule", self.schedule_columns, SCHEDULE_COLUMNS),
        ):
            for key, column in mapping.items():
                if key not in defaults:
                    raise RolesError(self.where(table, key) + "unknown column role." + nearest(key, list(defaults)))
                if not (isinstance(column, str) and column):
                    raise RolesError(self.where(table, key) + f"expected a column name (text), got {column!r}")

    def where(self, table: str, key: str) -> str:
        """``roles file 'r.toml', [columns] female: `` -- the place a message is about."""
        place = f"roles file {self.source!r}" if self.source else "ColumnRoles"
        return f"{place}, [{table}] {key}: "

    def _check_targets(self, table: str, mapping: dict[str, str], allowed: tuple[str, ...]) -> None:
        for code, target in mapping.items():
            if target not in allowed:
                raise RolesError(
                    self.where(table, repr(code)) + f"unknown target {target!r}; expected one of "
                    f"{list(allowed)}." + nearest(str(target), allowed)
                )

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> "ColumnRoles":
        """Read roles from a TOML file (schema in the module docstring).

        Raises
        ------
        RolesError
            When the file is missing, is not valid TOML (with the line), or breaks the schema.
        """
        source = str(path)
        if not Path(source).is_file():
            raise RolesError(f"roles file {source!r} does not exist (or is not a file)")
        try:
            with open(source, "rb") as fh:
                doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RolesError(f"roles file {source!r} is not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise RolesError(f"roles file {source!r} is not UTF-8 text: {exc}") from None
        return cls.from_dict(doc, source=source)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, source: str | None = None) -> "ColumnRoles":
        """Build roles from a mapping shaped like the TOML file."""
        place = f"roles file {source!r}" if source else "roles"
        for table, value in doc.items():
            if table not in _TABLES:
                raise RolesError(f"{place}: unknown table [{table}]." + nearest(table, _TABLES))
            if not isinstance(value, dict):
                raise RolesError(f"{place}: {table} must be a table ([{table}] with keys), got {value!r}")
        known = cls.REQUIRED + cls.ATTRIBUTES
        columns: dict[str, str | None] = {}
        for role, value in doc.get("columns", {}).items():
            if role not in known:
                raise RolesError(f"{place}, [columns]: unknown role {role!r}." + nearest(role, known))
            if not isinstance(value, str):
                raise RolesError(
                    f"{place}, [columns] {role}: expected a column name in quotes "
                    f'({role} = "your_column", or "" when the panel lacks it), got {value!r}'
                )
            columns[role] = value or None
        codes = {}
        for table in ("categories", "education"):
            mapping = {}
            for code, target in doc.get(table, {}).items():
                if not isinstance(target, str):
                    raise RolesError(f"{place}, [{table}] {code!r}: expected a name in quotes, got {target!r}")
                mapping[str(code)] = target
            codes[table] = mapping
        missing: dict[str, tuple[str, ...]] = {}
        for role, value in doc.get("missing", {}).items():
            if value is True:
                missing[role] = ()
            elif isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
                missing[role] = tuple(str(v) for v in value)
            elif value is not False:
                raise RolesError(
                    f"{place}, [missing] {role}: expected true (empty cells mean unknown) or a list of "
                    f'your codes that mean unknown (e.g. ["9", "UKJENT"]), got {value!r}'
                )
        tables = {}
        for table, defaults in (("unemployment", UNEMPLOYMENT_COLUMNS), ("schedule", SCHEDULE_COLUMNS)):
            given = doc.get(table, {})
            for key in given:
                if key not in defaults:
                    raise RolesError(f"{place}, [{table}]: unknown column role {key!r}." + nearest(key, list(defaults)))
            tables[table] = {**defaults, **given}
        return cls(
            **columns,
            categories=codes["categories"],
            education_codes=codes["education"],
            missing=missing,
            unemployment_columns=tables["unemployment"],
            schedule_columns=tables["schedule"],
            source=source,
        )

    def column_map(self) -> dict[str, str]:
        """Role -> user column, for the roles that are set."""
        roles = self.REQUIRED + self.ATTRIBUTES
        return {r: getattr(self, r) for r in roles if getattr(self, r) is not None}

    def is_default(self, role: str) -> bool:
        """Whether ``role`` is at its default column name (then it may be absent)."""
        default = next(f.default for f in fields(self) if f.name == role)
        return getattr(self, role) == default

    def present_in(self, available: list[str]) -> tuple[dict[str, str], list[str], bool]:
        """The roles ``available`` has, and a problem for each role naming a column it lacks.

        A required role, or an optional one set to a name other than its default, must
        name a column of the data; each problem names the role, the column, the roles
        file and the nearest column of the data.

        Returns
        -------
        present, problems, complete
            Role -> user column for the roles found; the problems; whether every
            required role was found.
        """
        problems, complete = [], True
        for role, column in self.column_map().items():
            if column in available:
                continue
            if role in self.REQUIRED or not self.is_default(role):
                kind = "required" if role in self.REQUIRED else "optional"
                complete = complete and role not in self.REQUIRED
                problems.append(
                    self.where("columns", role) + f"the data has no column {column!r} ({kind} role "
                    f"{role}).{nearest(column, available)} Map your column names in the [columns] table "
                    'of a roles file, or set an optional role to "" when the panel lacks it.'
                )
        return {r: c for r, c in self.column_map().items() if c in available}, problems, complete
