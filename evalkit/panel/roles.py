"""Column roles of a monthly status panel and the fixed vocabularies of their values.

A user's extract rarely uses evalkit's column names.  :class:`ColumnRoles` maps each role
(person, month, county, NAV need category, ...) onto the user's column name; it can be read
from a small TOML file::

    [columns]
    person = "lopenr"
    month = "aarmnd"
    county = "fylke"
    nav_category = "innsatsgruppe"

    [categories]          # the user's codes -> evalkit's names
    "IKVAL" = "standard"
    "BFORM" = "situational"
    "BATT" = "specially_adapted"
    "VARIG" = "permanently_adapted"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from os import PathLike
from typing import Any

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

#: The FUI target group: the three lowest need categories.
FUI_TARGET_CATEGORIES: tuple[str, ...] = NAV_CATEGORIES[:3]

#: Highest completed education, lowest first.
EDUCATION_LEVELS: tuple[str, ...] = ("below_upper_secondary", "upper_secondary", "higher")


@dataclass(frozen=True)
class ColumnRoles:
    """Which column of the user's panel plays which role.

    Required roles: ``person``, ``month``, ``county``, ``nav_category``, ``employed``,
    ``in_education``.  Person attributes (``female``, ``birth_year``, ``education_level``)
    and ``last_nav_month_before`` (the person's last month at NAV before the panel starts,
    as register extracts often carry) are optional; set a role to ``None`` when the
    panel lacks it.  ``categories`` maps the user's need-category codes onto
    :data:`NAV_CATEGORIES`; ``education_codes`` does the same for education levels.
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

    REQUIRED = ("person", "month", "county", "nav_category", "employed", "in_education")
    ATTRIBUTES = ("female", "birth_year", "education_level", "last_nav_month_before")

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> "ColumnRoles":
        """Read roles from a TOML file with ``[columns]``, ``[categories]``, ``[education]``."""
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "ColumnRoles":
        """Build roles from a mapping shaped like the TOML file."""
        known = {f.name for f in fields(cls)} - {"categories", "education_codes"}
        columns = dict(doc.get("columns", {}))
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ValueError(
                f"unknown column role(s) {unknown}; known roles are {sorted(known)}"
            )
        columns = {k: (None if v in ("", None) else str(v)) for k, v in columns.items()}
        return replace(
            cls(),
            **columns,
            categories={str(k): str(v) for k, v in doc.get("categories", {}).items()},
            education_codes={str(k): str(v) for k, v in doc.get("education", {}).items()},
        )

    def column_map(self) -> dict[str, str]:
        """Role -> user column, for the roles that are set."""
        roles = self.REQUIRED + self.ATTRIBUTES
        return {r: getattr(self, r) for r in roles if getattr(self, r) is not None}
