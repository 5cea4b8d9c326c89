"""The one validation and preparation path of a status panel, run by the engine.

Whatever the input (a pandas frame registered in DuckDB, a Parquet file, a DuckDB or Spark
table), :func:`prepare` runs the same three portable SQL queries and the same rules:

1. a *profile* of each coded column: its distinct values with their row counts
   (:func:`profile_sql`), translated once per distinct value by
   :func:`evalkit.panel.validate.translate` into a small value map per column;
2. the *canonical panel*: a view of the source joined to the value maps on the stored
   values (:func:`canonical_sql`), with evalkit's column names and codes; in DuckDB a
   column whose stored values are their codes (a date month, an integer indicator) is
   computed instead of joined (:func:`direct_codes`);
3. one *aggregation by person* returning one row of counts (:func:`checks_sql`), read by
   :func:`evalkit.panel.validate.count_problems`.

Every problem of every rule is collected and raised once, in one
:class:`~evalkit.errors.PanelValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from evalkit.engine import DuckDBEngine, Engine, Renamed, Table, with_ctes
from evalkit.panel import validate as rules
from evalkit.panel.frames import ROW_COLUMN
from evalkit.panel.roles import ColumnRoles


@dataclass(frozen=True)
class Prepared:
    """A validated panel as SQL: its columns, its definition, the tables it reads, its counts."""

    columns: tuple[str, ...]
    definition: str
    tables: dict[str, Table]
    counts: pd.Series
    value_maps: dict[str, pd.DataFrame]
    row_column: bool
    direct: Mapping[str, str] = field(default_factory=dict)


def profile_sql(column: str) -> str:
    """Portable SQL: the distinct values of one column, as stored and cast to text, with
    their row counts (NULL kept)."""
    return (
        f"SELECT {column} AS raw, CAST({column} AS STRING) AS value, count(*) AS n "
        f"FROM panel_source GROUP BY {column}"
    )


def map_name(column: str) -> str:
    """The relation holding a column's translated values."""
    return f"value_map_{column}"


def canonical_sql(columns: list[str], *, row_column: bool, labels: bool = True,
                  direct: Mapping[str, str] | None = None, presence: Sequence[str] = ()) -> str:
    """Portable SQL of the canonical panel: the source joined to each column's translated
    values on the stored value.  With ``labels=False`` need categories, education levels
    and counties come as their positions in the value maps (for building pandas
    categoricals without moving text).

    ``direct`` maps a column to an expression of the stored value (``{x}``) that equals
    its translated code for every stored value (:func:`direct_codes`); that column is then
    computed rather than joined.  Columns in ``presence`` are only tested for being
    missing: they come as ``1`` or NULL without a join (valid when every stored value is
    translated, see :func:`fully_translated`)."""
    direct = direct or {}
    select, joins = ["s.person_id"], []
    for c in columns:
        if c == "person_id":
            continue
        alias = f"m_{c}"
        if c in presence:
            select.append(f"CASE WHEN s.{c} IS NOT NULL THEN 1 END AS {c}")
            continue
        if c in direct and not (labels and (c in rules.CODED or c == "county")):
            select.append(f"CAST({direct[c].format(x=f's.{c}')} AS INTEGER) AS {c}")
            continue
        joins.append(f"LEFT JOIN {map_name(c)} AS {alias} ON {alias}.raw = s.{c}")
        if labels and (c in rules.CODED or c == "county"):
            select.append(f"{alias}.label AS {c}")
        else:
            select.append(f"CAST({alias}.code AS INTEGER) AS {c}")
    if row_column:
        select.append(f"s.{ROW_COLUMN}")
    return "SELECT " + ",\n       ".join(select) + "\nFROM panel_source AS s\n" + "\n".join(joins)


#: Expressions of a stored value ``{x}`` that may equal its translated code, by the kind of
#: its stored type: a date's month index, an integer as it is.
DIRECT_CANDIDATES = {"M": "year({x}) * 12 + month({x}) - 1", "i": "{x}", "u": "{x}", "b": "CAST({x} AS INTEGER)"}


def fully_translated(profile: pd.DataFrame, value_map: pd.DataFrame) -> bool:
    """Whether every stored (non-missing) value of a column has its translation in ``value_map``
    (none was blank, a declared missing code or unreadable), so that the translated column
    is missing exactly where the stored one is."""
    return int(profile["raw"].notna().sum()) == len(value_map)


def direct_codes(
    profiles: dict[str, pd.DataFrame], value_maps: dict[str, pd.DataFrame], engine: Engine
) -> dict[str, str]:
    """The code columns whose translation is an expression of the stored value.

    A month stored as a date translates to ``year * 12 + month - 1`` and a 0/1 indicator or
    birth year stored as an integer to itself, unless the user's missing codes or an
    unreadable value say otherwise.  Each candidate is checked in the engine on the small
    value map (every stored value translated, and the expression equal to the code of
    each), so the canonical panel computes such a column rather than joining its map:
    the same values, one join less per pass over the rows.
    """
    candidates = {}
    for column, value_map in value_maps.items():
        if column in rules.CODED or column == "county" or not fully_translated(profiles[column], value_map):
            continue
        template = DIRECT_CANDIDATES.get(value_map["raw"].dtype.kind)
        if template is not None and len(value_map):
            candidates[column] = template
    if not candidates:
        return {}
    checks = [
        f"SELECT count(*) AS n FROM {map_name(c)} WHERE raw IS NULL OR code IS NULL "
        f"OR code <> CAST({t.format(x='raw')} AS BIGINT)"
        for c, t in candidates.items()
    ]
    found = engine.fetch_many(checks, {map_name(c): value_maps[c] for c in candidates})
    return {c: t for (c, t), n in zip(candidates.items(), found) if int(n["n"].iloc[0]) == 0}


#: Columns :func:`checks_sql` does not read.
CHECKS_SKIP = ("employed", "in_education", "education_level")

#: Months per 64-bit word of the distinct-month count of :func:`checks_sql` (bits 0..61).
MONTHS_PER_WORD = 62


def checks_sql(columns: list[str], first_month: int, last_month: int) -> str:
    """Portable SQL: one aggregation by person (no window, no sort); one row of counts.

    Each person's months are summarised once (rows, distinct months, first and last month,
    smallest and largest value of each fixed attribute); the rules follow from those:
    a person has a gap when the distinct months do not fill the span from the first to the
    last, repeated rows are rows minus distinct months, and a fixed attribute varies when
    it takes two values or is missing in some but not all rows.  ``first_month`` and
    ``last_month`` are the panel's (from the profile of ``month``): the distinct months of
    a person are counted exactly as the bits set in an OR of ``1 << (month - first_month)``,
    one 62-bit word per 62 months, which costs no more than a sum (a ``count(DISTINCT)``
    per person costs a hash table per person).  The words' counts are added in BIGINT:
    DuckDB's ``bit_count`` is a TINYINT, which a person with more than 127 months overflows.
    """
    words = range(max(1, -(-(last_month - first_month + 1) // MONTHS_PER_WORD)))
    distinct = " + ".join(
        f"coalesce(CAST(bit_count(bit_or(CASE WHEN month - {first_month + MONTHS_PER_WORD * w} BETWEEN 0 AND "
        f"{MONTHS_PER_WORD - 1} THEN CAST(1 AS BIGINT) << (month - {first_month + MONTHS_PER_WORD * w}) END)) AS BIGINT), 0)"
        for w in words
    )
    fixed = [c for c in rules.FIXED if c in columns]
    per_person = "".join(
        f",\n           min({c}) <> max({c}) OR (count({c}) > 0 AND count({c}) < count(*)) AS {c}_varies"
        for c in fixed
    )
    counts = "".join(
        f",\n       count(CASE WHEN person_id IS NOT NULL AND {c}_varies THEN 1 END) AS varying_{c}" for c in fixed
    )
    if "birth_year" in columns:
        per_person += (
            ",\n           bool_or(birth_year < 100) AS two_digit"
            f",\n           bool_or({rules.implausible_age_sql()}) AS implausible"
        )
        counts += (
            ",\n       count(CASE WHEN person_id IS NOT NULL AND two_digit THEN 1 END) AS two_digit_birth_year"
            ",\n       count(CASE WHEN person_id IS NOT NULL AND implausible THEN 1 END) AS implausible_age"
        )
    if "last_nav_month_before" in columns:
        per_person += ",\n           max(last_nav_month_before) AS latest_history"
        counts += (
            ",\n       count(CASE WHEN person_id IS NOT NULL AND latest_history >= span.first_month THEN 1 END)"
            " AS history_after_start"
        )
    return with_ctes(
        [
            (
                "persons",
                f"""    SELECT person_id, count(*) AS n_rows, count(month) AS n_months,
           {distinct} AS n_distinct_months, min(month) AS first_month,
           max(month) AS last_month, count(nav_category) AS n_rows_at_nav,
           sum(CASE WHEN nav_category IS NOT NULL AND county IS NULL THEN 1 ELSE 0 END) AS missing_county{per_person}
    FROM panel
    GROUP BY person_id""",
            ),
            ("span", "    SELECT min(first_month) AS first_month FROM persons"),
        ],
        f"""SELECT CAST(sum(n_rows) AS BIGINT) AS n_rows, count(person_id) AS n_persons,
       min(persons.first_month) AS first_month, max(last_month) AS last_month,
       CAST(sum(n_rows_at_nav) AS BIGINT) AS n_rows_at_nav,
       count(CASE WHEN person_id IS NOT NULL AND last_month - persons.first_month + 1 > n_distinct_months
             THEN 1 END) AS n_persons_with_gaps,
       CAST(sum(n_months - n_distinct_months) AS BIGINT) AS n_repeated,
       CAST(sum(CASE WHEN person_id IS NULL OR TRIM(CAST(person_id AS STRING)) = '' THEN n_rows ELSE 0 END)
            AS BIGINT) AS missing_person_id,
       CAST(sum(missing_county) AS BIGINT) AS missing_county{counts}
FROM persons CROSS JOIN span""",
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def prepare(
    table: Table, present: dict[str, str], roles: ColumnRoles, engine: Engine, *, name: str,
    problems: list[str] | None = None, row_column: bool = False,
) -> Prepared:
    """Validate ``table`` in ``engine`` by every rule and return the canonical panel as SQL.

    Parameters
    ----------
    table
        The source as the engine reads it, with the user's column names.
    present
        Role -> the source's column, for the roles it has.
    roles
        The user's column names and code mappings.
    engine
        Where the queries run.
    name
        How messages name the source (``the panel 'extract.csv'``).
    problems
        Problems already found (e.g. identifier columns of mixed types), reported with the rest.
    row_column
        Whether the source carries :data:`~evalkit.panel.frames.ROW_COLUMN`.

    Raises
    ------
    PanelValidationError
        Listing every problem found, each naming the user's column.
    """
    found = list(problems or ())
    renames = {c: rules.CANONICAL[r] for r, c in present.items()}
    if row_column:
        renames[ROW_COLUMN] = ROW_COLUMN
    source = Renamed(table, renames)
    columns = [rules.CANONICAL[r] for r in present]
    coded = [c for c in columns if c != "person_id"]
    profiles = dict(zip(coded, engine.fetch_many([profile_sql(c) for c in coded], {"panel_source": source})))
    if int(profiles["month"]["n"].sum()) == 0:
        raise rules.failure(name, found + ["the panel has no rows; expected one row per person and month"])

    def persons_with(column: str, values: list[str], null: bool) -> list[object]:
        tests = [f"CAST({column} AS STRING) IN ({', '.join(_literal(v) for v in values)})"] if values else []
        tests += [f"{column} IS NULL"] if null else []
        rows = engine.fetch(
            f"SELECT DISTINCT person_id FROM panel_source WHERE {' OR '.join(tests)} "
            f"ORDER BY person_id LIMIT {rules.EXAMPLES}",
            {"panel_source": source},
        )
        return rows["person_id"].tolist()

    value_maps, translated, unreadable = rules.translate(profiles, roles, persons_with)
    found += translated
    tables: dict[str, Table] = {"panel_source": source, **{map_name(c): m for c, m in value_maps.items()}}
    # in DuckDB, a code column whose stored values are their codes is computed, not joined
    direct = direct_codes(profiles, value_maps, engine) if isinstance(engine, DuckDBEngine) else {}
    definition = canonical_sql(columns, row_column=row_column, direct=direct)

    def example(body: str) -> pd.DataFrame:
        return engine.fetch(with_ctes([("panel", definition)], body), tables)

    months = pd.to_numeric(value_maps["month"]["code"], errors="coerce").dropna() if "month" in value_maps else []
    first, last = (int(min(months)), int(max(months))) if len(months) else (0, 0)
    # the counts read no statuses and no education: their value maps are not joined
    checked = [c for c in columns if c not in CHECKS_SKIP]
    # and they test need categories and counties only for being missing
    presence = [c for c in ("county", "nav_category")
                if c in value_maps and direct and fully_translated(profiles[c], value_maps[c])]
    counted = canonical_sql(checked, row_column=False, direct=direct, presence=presence)
    counts = engine.fetch(with_ctes([("panel", counted)], checks_sql(columns, first, last)), tables).iloc[0]
    found += rules.count_problems(counts, columns, roles, example, skip=unreadable)
    if found:
        raise rules.failure(name, found)
    return Prepared(
        columns=tuple(columns), definition=definition, tables=tables, counts=counts,
        value_maps=value_maps, row_column=row_column, direct=direct,
    )
