"""The one validation and preparation path of a status panel, run by the engine.

Whatever the input (a pandas frame registered in DuckDB, a Parquet file, a DuckDB or Spark
table), :func:`prepare` runs the same three portable SQL queries and the same rules:

1. a *profile* of each coded column: its distinct values with their row counts
   (:func:`profile_sql`), translated once per distinct value by
   :func:`evalkit.panel.validate.translate` into a small value map per column;
2. the *canonical panel*: a view of the source joined to the value maps on the stored
   values (:func:`canonical_sql`), with evalkit's column names and codes;
3. one *window pass* over each person's months returning one row of counts
   (:func:`checks_sql`), read by :func:`evalkit.panel.validate.count_problems`.

Every problem of every rule is collected and raised once, in one
:class:`~evalkit.errors.PanelValidationError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalkit.engine import Engine, Renamed, Table, with_ctes
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


def canonical_sql(columns: list[str], *, row_column: bool, labels: bool = True) -> str:
    """Portable SQL of the canonical panel: the source joined to each column's translated
    values on the stored value.  With ``labels=False`` need categories, education levels
    and counties come as their positions in the value maps (for building pandas
    categoricals without moving text)."""
    select, joins = ["s.person_id"], []
    for c in columns:
        if c == "person_id":
            continue
        alias = f"m_{c}"
        joins.append(f"LEFT JOIN {map_name(c)} AS {alias} ON {alias}.raw = s.{c}")
        if labels and (c in rules.CODED or c == "county"):
            select.append(f"{alias}.label AS {c}")
        else:
            select.append(f"CAST({alias}.code AS INTEGER) AS {c}")
    if row_column:
        select.append(f"s.{ROW_COLUMN}")
    return "SELECT " + ",\n       ".join(select) + "\nFROM panel_source AS s\n" + "\n".join(joins)


def checks_sql(columns: list[str]) -> str:
    """Portable SQL: one window pass over each person's months; one row of counts."""
    fixed = [c for c in rules.FIXED if c in columns]
    changes = "".join(
        f",\n           CASE WHEN LAG(month) OVER w IS NOT NULL AND {c} IS DISTINCT FROM LAG({c}) OVER w "
        f"THEN person_id END AS {c}_changes"
        for c in fixed
    )
    counts = "".join(f",\n       count(DISTINCT {c}_changes) AS varying_{c}" for c in fixed)
    extra = [c for c in ("birth_year", "last_nav_month_before") if c in columns]
    if "birth_year" in columns:
        counts += (
            ",\n       count(DISTINCT CASE WHEN birth_year < 100 THEN person_id END) AS two_digit_birth_year"
            f",\n       count(DISTINCT CASE WHEN {rules.implausible_age_sql()} THEN person_id END) AS implausible_age"
        )
    if "last_nav_month_before" in columns:
        counts += (
            ",\n       count(DISTINCT CASE WHEN last_nav_month_before >= first_month THEN person_id END)"
            " AS history_after_start"
        )
    carried = "".join(f", {c}" for c in extra)
    return with_ctes(
        [
            ("span", "    SELECT min(month) AS first_month FROM panel"),
            (
                "steps",
                f"""    SELECT person_id, month, county, nav_category{carried}, first_month,
           month - LAG(month) OVER w AS step{changes}
    FROM panel CROSS JOIN span
    WINDOW w AS (PARTITION BY person_id ORDER BY month)""",
            ),
        ],
        f"""SELECT count(*) AS n_rows, count(DISTINCT person_id) AS n_persons,
       min(month) AS first_month, max(month) AS last_month,
       count(nav_category) AS n_rows_at_nav,
       count(DISTINCT CASE WHEN step > 1 THEN person_id END) AS n_persons_with_gaps,
       sum(CASE WHEN step = 0 THEN 1 ELSE 0 END) AS n_repeated,
       sum(CASE WHEN person_id IS NULL OR TRIM(CAST(person_id AS STRING)) = '' THEN 1 ELSE 0 END)
           AS missing_person_id,
       sum(CASE WHEN nav_category IS NOT NULL AND county IS NULL THEN 1 ELSE 0 END) AS missing_county{counts}
FROM steps""",
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
    definition = canonical_sql(columns, row_column=row_column)

    def example(body: str) -> pd.DataFrame:
        return engine.fetch(with_ctes([("panel", definition)], body), tables)

    counts = example(checks_sql(columns)).iloc[0]
    found += rules.count_problems(counts, columns, roles, example, skip=unreadable)
    if found:
        raise rules.failure(name, found)
    return Prepared(
        columns=tuple(columns), definition=definition, tables=tables, counts=counts,
        value_maps=value_maps, row_column=row_column,
    )
