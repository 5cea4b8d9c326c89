"""The rules of a valid monthly status panel, each written once.

Every input -- a pandas DataFrame, a CSV, Stata or SAS file, a Parquet file or a DuckDB or
Spark table -- is checked by the same functions on the same summary statistics, computed
by the engine (:mod:`evalkit.panel.prepare`):

- :func:`translate` reads the *distinct values* of every coded column (months, need
  categories, education levels, 0/1 indicators, birth years, counties), each with its
  count of rows, and translates them once per distinct value;
- :func:`count_problems` reads *one row of counts* from a single window pass over each
  person's months (duplicates, attributes that change within a person, a county missing
  at NAV, implausible ages, a NAV history that ends after the panel starts).

Both return problems as text naming the user's own column (from :class:`ColumnRoles`),
the number of rows or persons and examples; nothing is raised or dropped here, so that
one run reports every problem.  Values are compared as text with one normalisation
(:func:`normal_text`): surrounding blanks are ignored and an integral decimal ``1.0`` is
the code ``1``, so a code column read as floats (a missing value in an integer column)
matches the ``"1"`` of a ``[education]`` table.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from evalkit.errors import PanelValidationError
from evalkit.panel.months import month_label, to_month_index
from evalkit.panel.roles import EDUCATION_LEVELS, NAV_CATEGORIES, NAV_CATEGORY_ALIASES, ColumnRoles

#: Canonical column name of each role in a validated panel.
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
ROLE_OF = {c: r for r, c in CANONICAL.items()}

MONTHS = ("month", "last_nav_month_before")
BINARY = ("employed", "in_education", "female")
CODED = {"nav_category": NAV_CATEGORIES, "education_level": EDUCATION_LEVELS}
#: Person attributes that must not change within a person.
FIXED = ("female", "birth_year", "last_nav_month_before")
#: Plausible ages (calendar year of the month minus birth year) in a register panel.
MIN_AGE, MAX_AGE = 10, 80

EXAMPLES = 5
#: Text that means a missing cell in every input (Stata's and SAS's ``.`` included).
MISSING_TEXT = ("", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", ".")
_BINARY_TEXT = {"0": 0, "1": 1, "false": 0, "true": 1}
_INTEGRAL = re.compile(r"^([+-]?\d+)\.0*$")

#: ``persons_with(column, texts, null)``: a few persons (user's ids) whose rows hold the
#: values of ``texts`` (or a NULL, when ``null``).
PersonsWith = Callable[[str, list[str], bool], list[object]]


def normal_text(value: str) -> str:
    """A value's text as the rules compare it: stripped, ``1.0`` read as ``1``."""
    text = value.strip()
    match = _INTEGRAL.match(text)
    return match.group(1) if match else text


def column_of(roles: ColumnRoles, canonical: str) -> str:
    """The user's column name for a canonical column."""
    return getattr(roles, ROLE_OF[canonical]) or canonical


def described(roles: ColumnRoles, canonical: str) -> str:
    """``column 'i_arbeid' (role employed)``."""
    return f"column {column_of(roles, canonical)!r} (role {ROLE_OF[canonical]})"


def counts_text(values: list[str], counts: list[int]) -> str:
    """``'x': 3 rows, 'y': 1 row`` for at most ten values."""
    shown = ", ".join(f"{v!r}: {n} row{'s' if n != 1 else ''}" for v, n in list(zip(values, counts))[:10])
    more = f" and {len(values) - 10} more value(s)" if len(values) > 10 else ""
    return shown + more


def _code_position(text: str, mapping: dict[str, str], folded: dict[str, str], allowed: tuple[str, ...]) -> int:
    name = mapping.get(text, folded.get(text.lower(), text))
    name = name.strip().lower().replace(" ", "_").replace("-", "_")
    return allowed.index(name) if name in allowed else -1


def translate(
    profiles: dict[str, pd.DataFrame], roles: ColumnRoles, persons_with: PersonsWith
) -> tuple[dict[str, pd.DataFrame], list[str], set[str]]:
    """Translate each distinct value of each coded column; list the values that break a rule.

    Parameters
    ----------
    profiles
        Per canonical column, its distinct values: ``raw`` (the value as stored),
        ``value`` (as the engine casts it to text, missing for NULL) and ``n`` (rows).
    roles
        The user's column names, code mappings and declared missing codes.
    persons_with
        Finds a few persons holding given text values (or a NULL), for the examples.

    Returns
    -------
    value_maps, problems, unreadable
        Per column, a small table with ``raw`` (the join key) and ``code`` (month index,
        0/1, year; for need categories, education levels and counties the position of
        the ``label``, a third, categorical column with their text), for the readable values
        only; ``unreadable`` names the columns with values that break a rule (read as
        missing in the later checks, which therefore skip them).
    """
    maps, problems, unreadable = {}, [], set()
    order = {c: i for i, c in enumerate(CANONICAL.values())}
    for column in sorted(profiles, key=order.__getitem__):
        group = profiles[column]
        role = ROLE_OF[column]
        declared = roles.missing.get(role)
        text_all = group["value"].astype(object).where(group["value"].notna(), None)
        blank = np.array([t is None or t.strip() in MISSING_TEXT for t in text_all], dtype=bool)
        n_null = int(group["n"].to_numpy()[blank].sum())
        blank_text = [t for t, b in zip(text_all, blank) if b and t is not None]
        present = group[~blank].assign(text=[normal_text(t) for t, b in zip(text_all, blank) if not b])
        present = present.sort_values(["n", "text"], ascending=[False, True], kind="stable")
        raw = present["value"].astype(str).tolist()
        counts = present["n"].astype("int64").tolist()
        text = present["text"].tolist()
        unknown = {normal_text(str(c)) for c in declared or ()}
        gone = [t in unknown for t in text]
        codes: list[float] = [np.nan] * len(raw)
        labels: list[object] = [None] * len(raw)
        bad: list[bool] = [False] * len(raw)
        what, expected = "", ""
        if column in MONTHS:
            parsed = to_month_index(pd.Series(text, dtype=object)).to_numpy(dtype="float64", na_value=np.nan)
            codes = parsed.tolist()
            bad = [np.isnan(c) for c in parsed]
            what = "a month"
            expected = "months such as 2016-03, 2016-03-01, 201603, 20160301 or a date"
        elif column in CODED:
            allowed = CODED[column]
            mapping = {**NAV_CATEGORY_ALIASES, **roles.categories} if column == "nav_category" else roles.education_codes
            mapping = {normal_text(k): v for k, v in mapping.items()}
            folded = {k.lower(): v for k, v in mapping.items()}
            positions = [_code_position(t, mapping, folded, allowed) for t in text]
            labels = [allowed[p] if p >= 0 else None for p in positions]
            codes = [float(p) if p >= 0 else np.nan for p in positions]
            bad = [p < 0 for p in positions]
            table = "[categories]" if column == "nav_category" else "[education]"
            what = "known NAV need categories" if column == "nav_category" else "known education levels"
            expected = (
                f"one of {list(allowed)} or missing; map your codes in the {table} table of the roles file"
            )
        elif column in BINARY:
            flags = [_BINARY_TEXT.get(t.lower()) for t in text]
            codes = [np.nan if f is None else float(f) for f in flags]
            bad = [f is None for f in flags]
            what = "a 0/1 indicator"
            expected = "0 or 1 (or true/false)" + (" or missing" if column == "female" else "")
        elif column == "birth_year":
            years = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype="float64")
            codes = years.tolist()
            bad = [bool(np.isnan(y) or y != np.round(y)) for y in years]
            what = "a birth year"
            expected = "a whole four-digit year such as 1995"
        else:  # county: a code kept as text, numbered in sorted order
            names = sorted(set(text))
            labels = list(text)
            codes = [float(names.index(t)) for t in text]
        bad = [b and not g for b, g in zip(bad, gone)]
        if any(bad):
            values = [r for r, b in zip(raw, bad) if b]
            bad_text = [t for t, b in zip(text, bad) if b]
            n_bad = sum(n for n, b in zip(counts, bad) if b)
            ids = persons_with(column, values[:EXAMPLES], False)
            unreadable.add(column)
            verb = "are not" if column in CODED else "cannot be read as"
            problems.append(
                f"{described(roles, column)}: {n_bad} row(s) hold values that {verb} {what}: "
                f"{counts_text(bad_text, [n for n, b in zip(counts, bad) if b])} (persons {ids}); "
                f"expected {expected}"
            )
        if n_null and column in ("month", "employed", "in_education") and declared is None:
            ids = persons_with(column, blank_text, True)
            hint = (
                "every row needs its month" if column == "month" else
                f"0/1 is required in every row; if an empty cell means unknown in your extract, "
                f"declare it in the roles file: [missing] {role} = true"
            )
            problems.append(f"{described(roles, column)} is missing in {n_null} row(s) (persons {ids}); {hint}")
        keep = [not (b or g) for b, g in zip(bad, gone)]
        value_map = pd.DataFrame({
            "raw": present["raw"].iloc[np.flatnonzero(keep)].reset_index(drop=True),
            "code": pd.array([c for c, k in zip(codes, keep) if k], dtype="Float64").astype("int64"),
        })
        if column in CODED or column == "county":
            # a categorical label is a dictionary-encoded (ENUM) column in DuckDB: the canonical
            # view then carries small integers rather than text through windows and joins
            kept = [lab for lab, k in zip(labels, keep) if k]
            vocabulary = list(CODED[column]) if column in CODED else sorted(set(kept))
            value_map["label"] = pd.Categorical(kept, categories=vocabulary)
        maps[column] = value_map
    return maps, problems, unreadable


def failure(name: str, problems: list[str]) -> PanelValidationError:
    """One error listing every problem of the panel ``name``."""
    if len(problems) == 1:
        return PanelValidationError(f"{name}: {problems[0]}", tuple(problems))
    listed = "\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
    return PanelValidationError(f"{name}: {len(problems)} problems found:\n{listed}", tuple(problems))


def shown(rows: pd.DataFrame, roles: ColumnRoles) -> str:
    """Example rows with the user's column names and months as ``2016-03``."""
    out = rows.copy()
    for column in MONTHS:
        if column in out:
            out[column] = [month_label(m) if pd.notna(m) else "-" for m in out[column]]
    out = out.astype(object).where(out.notna(), "-")
    out.columns = [column_of(roles, c) if c in ROLE_OF else c for c in out.columns]
    return out.to_string(index=False)


#: ``example(sql_body)``: a small query on the canonical relation ``panel``.
Example = Callable[[str], pd.DataFrame]


def count_problems(
    counts: pd.Series, columns: list[str], roles: ColumnRoles, example: Example, *, skip: set[str]
) -> list[str]:
    """The problems that the one-row ``counts`` of the window pass reveal, with examples.

    ``counts`` comes from :func:`evalkit.panel.prepare.checks_sql`; ``example`` runs a
    small query on the canonical panel for the example rows; columns in ``skip`` hold
    unreadable values (already reported) and are not checked again.
    """
    columns = [c for c in columns if c not in skip]
    problems = []
    person, month = column_of(roles, "person_id"), column_of(roles, "month")
    key = "person_id, month, county, nav_category, employed, in_education"
    if counts["missing_person_id"] > 0:
        rows = example(
            f"SELECT {key} FROM panel WHERE person_id IS NULL OR TRIM(CAST(person_id AS STRING)) = '' "
            f"LIMIT {EXAMPLES}"
        )
        problems.append(
            f"{described(roles, 'person_id')} is missing in {int(counts['missing_person_id'])} row(s); "
            f"every row needs its person. Examples:\n{shown(rows, roles)}"
        )
    if counts["n_repeated"] > 0:
        pairs = example(
            "SELECT person_id, month, count(*) AS n_rows FROM panel WHERE month IS NOT NULL "
            "GROUP BY person_id, month HAVING count(*) > 1 ORDER BY person_id, month"
        )
        problems.append(
            f"{int(pairs['n_rows'].sum())} row(s) form {len(pairs)} duplicate person-month(s) in columns "
            f"({person!r}, {month!r}); each person must have at most one row per month. "
            f"Examples:\n{shown(pairs.head(EXAMPLES), roles)}"
        )
    if counts["missing_county"] > 0:
        rows = example(
            f"SELECT {key} FROM panel WHERE nav_category IS NOT NULL AND county IS NULL "
            f"ORDER BY person_id, month LIMIT {EXAMPLES}"
        )
        problems.append(
            f"{described(roles, 'county')} is missing in {int(counts['missing_county'])} row(s) of months "
            f"at NAV, where the county is required. Examples:\n{shown(rows, roles)}"
        )
    for column in FIXED:
        n_varying = int(counts.get(f"varying_{column}", 0)) if column in columns else 0
        if n_varying:
            rows = example(
                f"WITH persons AS (SELECT person_id FROM panel GROUP BY person_id "
                f"HAVING count(DISTINCT {column}) > 1 OR (count({column}) > 0 AND count({column}) < count(*)) "
                f"ORDER BY person_id LIMIT {EXAMPLES}) "
                f"SELECT p.person_id, p.month, p.{column} FROM panel AS p JOIN persons AS q "
                f"ON p.person_id = q.person_id ORDER BY p.person_id, p.month LIMIT 20"
            )
            ids = rows["person_id"].drop_duplicates().tolist()
            problems.append(
                f"{described(roles, column)} must be constant within a person but changes for "
                f"{n_varying} person(s), e.g. {ids}:\n{shown(rows, roles)}"
            )
    if "birth_year" in columns and "month" in columns:
        n_two_digit = int(counts["two_digit_birth_year"])
        n_implausible = int(counts["implausible_age"])
        if n_two_digit:
            rows = example(f"SELECT DISTINCT person_id, birth_year FROM panel WHERE birth_year < 100 "
                           f"ORDER BY person_id LIMIT {EXAMPLES}")
            problems.append(
                f"{described(roles, 'birth_year')} holds two-digit years for {n_two_digit} person(s), "
                f"e.g. {rows['person_id'].tolist()} ({rows['birth_year'].tolist()}); write four-digit years (1995)"
            )
        if n_implausible > n_two_digit:
            rows = example(
                f"SELECT person_id, min(month) AS month, max(birth_year) AS birth_year FROM panel "
                f"WHERE {implausible_age_sql()} AND birth_year >= 100 GROUP BY person_id ORDER BY person_id LIMIT {EXAMPLES}"
            )
            problems.append(
                f"{described(roles, 'birth_year')} implies an age outside {MIN_AGE}-{MAX_AGE} in the panel's "
                f"months for {n_implausible - n_two_digit} person(s) (age = year of the month minus birth "
                f"year); check the column. Examples:\n{shown(rows, roles)}"
            )
    if {"last_nav_month_before", "month"} <= set(columns) and counts["history_after_start"] > 0:
        first = month_label(int(counts["first_month"]))
        rows = example(
            "SELECT DISTINCT person_id, last_nav_month_before FROM panel WHERE last_nav_month_before >= "
            f"{int(counts['first_month'])} ORDER BY person_id LIMIT {EXAMPLES}"
        )
        problems.append(
            f"{described(roles, 'last_nav_month_before')} must be a month before the panel starts "
            f"({first}) but is {first} or later for {int(counts['history_after_start'])} person(s). "
            f"Examples:\n{shown(rows, roles)}"
        )
    return problems


def implausible_age_sql() -> str:
    """Portable SQL condition: the row's age (year of the month minus birth year) is implausible."""
    age = "(FLOOR(month / 12) - birth_year)"
    return f"birth_year IS NOT NULL AND month IS NOT NULL AND ({age} < {MIN_AGE} OR {age} > {MAX_AGE})"
