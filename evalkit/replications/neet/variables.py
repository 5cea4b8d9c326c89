"""The note's variables, derived from monthly histories and person attributes.

Two tables, as a register extract delivers them: *monthly* (one row per person and month:
``employed``, ``in_education``, ``in_programme``, ``health_benefit``) and *persons* (one
row per person: area, gender, birth year, immigrant category, upper-secondary history,
parents' education, household income, wage history, income, child welfare).  Column
names are mapped by :data:`DEFAULT_COLUMNS` (role -> column; a study file's
``[columns]`` table overrides them).

At the reference month ``r`` (year ``Y``), for persons aged 15-29 (``Y - birth_year``):

``neet`` / ``long_term_neet``
    from the monthly histories (:func:`evalkit.outcomes.long_term_neet`: NEET spell of
    at least 24 months by ``r``, income below ``max_income_g`` G);
``dropout``
    aged 18-29, started upper secondary, did not complete it, not in education in ``r``;
``tidlarb``
    highest yearly wage income since 2010 above half of G;
``allhelse``
    a health-related benefit in ``r``;
``sosbakgr``
    parents' highest education, 1 higher (reference), 2 upper secondary, 3 compulsory;
``grunnbelop``
    household income in G: 1 at most 2 G, 2 above 2 and at most 4 G, 3 above 4 G;
    missing for persons not living with a parent (outside the logit sample);
``innvandrerb``
    immigrant category B, C or E;
``barnevern``
    any child-welfare measure.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning
from evalkit.outcomes.neet import long_term_neet
from evalkit.panel.months import as_month_index, month_label, parse_month

#: Role -> default column name, for the monthly and the persons table.
DEFAULT_COLUMNS: dict[str, str] = {
    "person": "person_id",
    "month": "month",
    "employed": "employed",
    "in_education": "in_education",
    "in_programme": "in_programme",
    "health_benefit": "health_benefit",
    "area": "county",
    "female": "female",
    "birth_year": "birth_year",
    "immigrant_category": "immigrant_category",
    "started_upper_secondary": "started_upper_secondary",
    "completed_upper_secondary": "completed_upper_secondary",
    "parents_education": "parents_education",
    "lives_with_parents": "lives_with_parents",
    "household_income_nok": "household_income_nok",
    "max_wage_income_g": "max_wage_income_g",
    "income_g": "income_g",
    "child_welfare": "child_welfare",
}
MONTHLY_ROLES = ("person", "month", "employed", "in_education", "in_programme", "health_benefit")
PERSON_ROLES = ("person",) + tuple(r for r in DEFAULT_COLUMNS if r not in MONTHLY_ROLES)

#: Immigrant categories counted as immigrant background (innvandrerb = 1).
IMMIGRANT_CATEGORIES = ("B", "C", "E")


def column_map(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Defaults updated by ``columns``; unknown roles are an error naming the valid ones."""
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(DEFAULT_COLUMNS))
    if unknown:
        raise EvalkitError(f"unknown column roles {unknown}; the roles are {list(DEFAULT_COLUMNS)}")
    return {**DEFAULT_COLUMNS, **columns}


def _require(frame: pd.DataFrame, roles: tuple[str, ...], cols: dict[str, str], table: str) -> None:
    absent = [f"{r} -> {cols[r]!r}" for r in roles if cols[r] not in frame.columns]
    if absent:
        raise EvalkitError(
            f"the {table} table lacks columns for roles {absent} (it has {list(map(str, frame.columns))}); "
            "map your names with columns={role: your_column} (a study file's [columns] table)"
        )


def _zero_one(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = ~values.isin([0, 1]).to_numpy()
    if bad.any():
        examples = frame.loc[bad, column].head(3).tolist()
        raise EvalkitError(
            f"column {column!r} of the {table} table has {int(bad.sum())} of {len(frame)} rows that are "
            f"not 0/1 (e.g. {examples}); expected a 0/1 indicator"
        )
    return values.to_numpy(dtype=np.int8)


def _number(frame: pd.DataFrame, column: str, *, allow_missing: bool = False) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & (frame[column].notna() | (not allow_missing))
    if bad.any():
        examples = frame.loc[bad, column].head(3).tolist()
        raise EvalkitError(
            f"column {column!r} of the persons table has {int(bad.sum())} of {len(frame)} rows that are "
            f"not numbers (e.g. {examples})" + ("" if allow_missing else "; a value is needed in every row")
        )
    return values.to_numpy(dtype=float)


def derive_variables(
    monthly: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    reference_month: object = "2023-12",
    g_nok: float = 111_477,
    min_months: int = 24,
    max_income_g: float = 0.25,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per person aged 15-29 at the reference month with the note's variables.

    Returns ``person``, ``area``, ``female``, ``age``, ``neet``, ``long_term_neet``
    (nullable), ``dropout``, ``tidlarb``, ``allhelse``, ``sosbakgr``, ``grunnbelop``
    (nullable), ``innvandrerb``, ``barnevern``.  ``.attrs`` counts the persons outside the
    ages and those whose long-term status is missing (:func:`long_term_neet`).

    Raises
    ------
    EvalkitError
        On a missing column, a person twice in the persons table, persons of the monthly
        table missing from the persons table, or values of the wrong kind.
    """
    cols = column_map(columns)
    _require(monthly, MONTHLY_ROLES, cols, "monthly")
    _require(persons, PERSON_ROLES, cols, "persons")
    if not (isinstance(g_nok, (int, float)) and g_nok > 0):
        raise EvalkitError(f"g_nok (the basic amount G in NOK) must be a positive number, got {g_nok!r}")
    try:
        ref = parse_month(reference_month)
    except ValueError as exc:
        raise EvalkitError(f"reference_month: {exc}") from None
    pid = cols["person"]
    if persons[pid].duplicated().any():
        dups = persons.loc[persons[pid].duplicated(), pid].head(3).tolist()
        raise EvalkitError(f"the persons table has persons more than once in column {pid!r} (e.g. {dups})")
    unknown = ~pd.Index(monthly[pid].unique()).isin(persons[pid])
    if unknown.any():
        ex = pd.Index(monthly[pid].unique())[unknown][:3].tolist()
        raise EvalkitError(
            f"{int(unknown.sum())} persons of the monthly table are not in the persons table "
            f"(column {pid!r}, e.g. {ex}); every person needs a row of attributes"
        )
    age = ref // 12 - _number(persons, cols["birth_year"])
    keep = (age >= 15) & (age <= 29)
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} of {len(persons)} persons are outside ages 15-29 in {month_label(ref)} "
            "and were left out", ExcludedRowsWarning, stacklevel=2,
        )
    people = persons.loc[keep].reset_index(drop=True)
    months = monthly.rename(columns={cols[r]: r for r in MONTHLY_ROLES})[list(MONTHLY_ROLES)]
    months = months[months["person"].isin(people[pid])]
    income = pd.Series(_number(people, cols["income_g"], allow_missing=True), index=people[pid].to_numpy())
    status = long_term_neet(
        months, month_label(ref), min_months=min_months, income=income, max_income=max_income_g,
        activities=("employed", "in_education", "in_programme"), person="person",
    )
    counts = dict(status.attrs)
    status = status.set_index("person").reindex(people[pid].to_numpy())
    at_ref = months[as_month_index(months["month"]) == ref].set_index("person")
    in_edu = at_ref["in_education"].reindex(people[pid].to_numpy())
    health = at_ref["health_benefit"].reindex(people[pid].to_numpy())

    started = _zero_one(people, cols["started_upper_secondary"], "persons")
    completed = _zero_one(people, cols["completed_upper_secondary"], "persons")
    a = age[keep]
    dropout = (a >= 18) & (started == 1) & (completed == 0) & (in_edu.to_numpy(dtype=float, na_value=np.nan) == 0)
    wage = _number(people, cols["max_wage_income_g"])
    parents = _number(people, cols["parents_education"])
    bad = ~np.isin(parents, (1, 2, 3))
    if bad.any():
        raise EvalkitError(
            f"column {cols['parents_education']!r} has {int(bad.sum())} values outside 1, 2, 3 "
            f"(e.g. {people.loc[bad, cols['parents_education']].head(3).tolist()}); expected 1 higher, "
            "2 upper secondary, 3 compulsory school"
        )
    with_parents = _zero_one(people, cols["lives_with_parents"], "persons") == 1
    household_g = _number(people, cols["household_income_nok"], allow_missing=True) / float(g_nok)
    lacking = with_parents & np.isnan(household_g)
    if lacking.any():
        raise EvalkitError(
            f"{int(lacking.sum())} persons living with a parent have no household income in column "
            f"{cols['household_income_nok']!r}; grunnbelop needs it"
        )
    grunnbelop = pd.array(np.where(household_g <= 2, 1, np.where(household_g <= 4, 2, 3)), dtype="Int8")
    grunnbelop[~with_parents] = pd.NA
    category = people[cols["immigrant_category"]].astype("string").str.strip().str.upper()
    out = pd.DataFrame(
        {
            "person": people[pid].to_numpy(),
            "area": people[cols["area"]].astype(str).to_numpy(),
            "female": _zero_one(people, cols["female"], "persons"),
            "age": a.astype(np.int64),
            "neet": status["neet"].to_numpy(),
            "long_term_neet": status["long_term_neet"].to_numpy(),
            "dropout": dropout.astype(np.int8),
            "tidlarb": (wage > 0.5).astype(np.int8),
            "allhelse": (health.to_numpy(dtype=float, na_value=0.0) == 1).astype(np.int8),
            "sosbakgr": parents.astype(np.int8),
            "grunnbelop": grunnbelop,
            "innvandrerb": category.isin(IMMIGRANT_CATEGORIES).to_numpy(dtype=bool).astype(np.int8),
            "barnevern": _zero_one(people, cols["child_welfare"], "persons"),
        }
    )
    out.attrs.update({"n_outside_ages": int((~keep).sum()), **counts, "reference_month": month_label(ref)})
    return out
