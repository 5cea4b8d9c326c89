"""Validating a stored panel inside the engine, without loading it into pandas.

:func:`scan_panel` points at a Parquet file (or directory, or a DuckDB table, or a Spark
DataFrame) and checks the same rules as :func:`~evalkit.panel.read_panel` with portable
SQL: the distinct values of every coded column (months, need categories, education
levels, 0/1 indicators, birth years) are counted in the engine and translated in Python
once per distinct value; person-level rules (duplicates, attributes constant within a
person, gaps) are one window pass (``LAG`` over each person's months).  Only counts and a
few example rows come back.  The canonical panel is then a SQL view: the source joined to
the small table of translated values, which every preparation step reads as ``panel``.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.engine import DuckDBEngine, DuckDBTable, Engine, ParquetSource, Renamed, Table, with_ctes
from evalkit.errors import PanelValidationError
from evalkit.panel import validate as check
from evalkit.panel.load import CANONICAL, PanelReport, StatusPanel
from evalkit.panel.months import to_month_index
from evalkit.panel.roles import EDUCATION_LEVELS, NAV_CATEGORIES, NAV_CATEGORY_ALIASES, ColumnRoles

_EXAMPLES = 5
_MONTHS = ("month", "last_nav_month_before")
_BINARY = ("employed", "in_education", "female")
_CODED = {"nav_category": NAV_CATEGORIES, "education_level": EDUCATION_LEVELS}


def _as_table(source: Any) -> Table:
    if isinstance(source, (str, PathLike)):
        text = str(source)
        if "://" not in text and not any(ch in text for ch in "*?[") and not Path(text).exists():
            raise FileNotFoundError(f"panel file {text!r} does not exist")
        return ParquetSource(text)
    return source


def profile_sql(columns: list[str]) -> str:
    """Portable SQL counting the distinct values (as text) of each coded column."""
    parts = [
        f"SELECT '{c}' AS role, CAST({c} AS STRING) AS value, count(*) AS n "
        f"FROM panel_source GROUP BY CAST({c} AS STRING)"
        for c in columns
    ]
    return "\nUNION ALL\n".join(parts)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _persons_with(engine: Engine, source: Table, column: str, values: list[str]) -> str:
    listed = ", ".join(_literal(v) for v in values)
    found = engine.fetch(
        f"SELECT DISTINCT person_id FROM panel_source WHERE CAST({column} AS STRING) IN ({listed}) "
        f"ORDER BY person_id LIMIT {_EXAMPLES}",
        {"panel_source": source},
    )
    return f"persons {found['person_id'].tolist()}"


def _value_map(profile: pd.DataFrame, roles: ColumnRoles, engine: Engine, source: Table) -> pd.DataFrame:
    """Translate each distinct value; raise naming the column and counts on a bad one."""
    rows = []
    for role, group in profile.groupby("role", sort=False):
        present = group[group["value"].notna()]
        values = present["value"].astype(str)
        user = getattr(roles, next(r for r, c in CANONICAL.items() if c == role)) or role
        if role in _MONTHS:
            codes = to_month_index(values.reset_index(drop=True)).to_numpy(dtype="float64", na_value=np.nan)
            bad = np.isnan(codes)
            if bad.any():
                sample = values[bad].head(_EXAMPLES).tolist()
                where = _persons_with(engine, source, role, sample)
                raise PanelValidationError(
                    check.unparsed_message(user, "a month", int(present["n"][bad].sum()), sample, where)
                )
            labels = [None] * len(values)
        elif role in _CODED:
            mapping = {**NAV_CATEGORY_ALIASES, **roles.categories} if role == "nav_category" else roles.education_codes
            allowed = _CODED[role]
            positions = np.array(check.code_positions(values, mapping, allowed))
            bad = positions == -2
            if bad.any():
                counts = dict(zip(values[bad], present["n"][bad].astype(int)))
                what = "NAV need categories" if role == "nav_category" else "education levels"
                raise PanelValidationError(
                    check.unknown_codes_message(user, what, int(present["n"][bad].sum()), counts, allowed)
                )
            codes = positions.astype("float64")
            labels = [allowed[p] for p in positions]
        elif role in _BINARY:
            flags = [check.binary_value(v) for v in values]
            bad = np.array([f is None for f in flags], dtype=bool)
            if bad.any():
                found = dict(zip(values[bad], present["n"][bad].astype(int)))
                where = _persons_with(engine, source, role, list(found))
                raise PanelValidationError(
                    check.binary_message(user, role == "female", int(present["n"][bad].sum()), found, where)
                )
            codes = np.array(flags, dtype="float64")
            labels = [None] * len(values)
        else:  # birth_year
            codes = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
            bad = np.isnan(codes) | (codes != np.round(codes))
            if bad.any():
                sample = values[bad].head(_EXAMPLES).tolist()
                where = _persons_with(engine, source, role, sample)
                raise PanelValidationError(
                    check.unparsed_message(user, "a birth year", int(present["n"][bad].sum()), sample, where)
                )
            labels = [None] * len(values)
        rows.append(
            pd.DataFrame({"role": role, "value": values.to_numpy(), "code": codes.astype("int64"), "label": labels})
        )
    out = pd.concat(rows, ignore_index=True)
    return out.astype({"role": object, "value": object, "label": object})


def canonical_sql(columns: list[str]) -> str:
    """Portable SQL of the canonical panel: the source joined to the translated values."""
    select, joins = ["s.person_id"], []
    for c in columns:
        if c == "person_id":
            continue
        if c == "county":
            select.append("CAST(s.county AS STRING) AS county")
            continue
        alias = f"m_{c}"
        joins.append(
            f"LEFT JOIN value_map AS {alias} ON {alias}.role = '{c}' AND {alias}.value = CAST(s.{c} AS STRING)"
        )
        if c in _CODED:
            select.append(f"{alias}.label AS {c}")
        else:
            select.append(f"CAST({alias}.code AS INTEGER) AS {c}")
    return "SELECT " + ",\n       ".join(select) + "\nFROM panel_source AS s\n" + "\n".join(joins)


def checks_sql(columns: list[str]) -> str:
    """Portable SQL: one window pass over each person's months; one row of counts."""
    fixed = [c for c in ("female", "birth_year", "last_nav_month_before") if c in columns]
    changes = "".join(
        f",\n           CASE WHEN LAG(month) OVER w IS NOT NULL AND {c} IS DISTINCT FROM LAG({c}) OVER w "
        f"THEN person_id END AS {c}_changes"
        for c in fixed
    )
    counts = "".join(f",\n       count(DISTINCT {c}_changes) AS varying_{c}" for c in fixed)
    return with_ctes(
        [(
            "steps",
            f"""    SELECT person_id, month, county, nav_category,
           month - LAG(month) OVER w AS step{changes}
    FROM panel
    WINDOW w AS (PARTITION BY person_id ORDER BY month)""",
        )],
        f"""SELECT count(*) AS n_rows, count(DISTINCT person_id) AS n_persons,
       min(month) AS first_month, max(month) AS last_month,
       count(nav_category) AS n_rows_at_nav,
       count(DISTINCT CASE WHEN step > 1 THEN person_id END) AS n_persons_with_gaps,
       sum(CASE WHEN step = 0 THEN 1 ELSE 0 END) AS n_repeated,
       sum(CASE WHEN person_id IS NULL THEN 1 ELSE 0 END) AS missing_person_id,
       sum(CASE WHEN month IS NULL THEN 1 ELSE 0 END) AS missing_month,
       sum(CASE WHEN nav_category IS NOT NULL AND county IS NULL THEN 1 ELSE 0 END) AS missing_county{counts}
FROM steps""",
    )


def _raise_on(panel: StatusPanel, counts: pd.Series, roles: ColumnRoles) -> None:
    shown = "person_id, month, county, nav_category, employed, in_education"
    for column in ("person_id", "month"):
        n_missing = int(counts[f"missing_{column}"])
        if n_missing:
            rows = panel.query(f"SELECT {shown} FROM panel WHERE {column} IS NULL LIMIT {_EXAMPLES}")
            label = "person" if column == "person_id" else "month"
            raise PanelValidationError(check.missing_message(column, label, n_missing, rows.to_string()))
    if counts["n_repeated"] > 0:
        pairs = panel.query(
            "SELECT person_id, month, count(*) AS n_rows FROM panel GROUP BY person_id, month "
            "HAVING count(*) > 1 ORDER BY person_id, month"
        )
        raise PanelValidationError(
            check.duplicates_message(int(pairs["n_rows"].sum()), len(pairs), roles.person, roles.month,
                                     pairs.head(_EXAMPLES).to_string())
        )
    if counts["missing_county"] > 0:
        rows = panel.query(
            f"SELECT {shown} FROM panel WHERE nav_category IS NOT NULL AND county IS NULL LIMIT {_EXAMPLES}"
        )
        label = "county, required in months at NAV"
        raise PanelValidationError(
            check.missing_message("county", label, int(counts["missing_county"]), rows.to_string())
        )
    for column in ("female", "birth_year", "last_nav_month_before"):
        n_varying = int(counts.get(f"varying_{column}", 0))
        if n_varying:
            rows = panel.query(
                f"WITH persons AS (SELECT person_id FROM panel GROUP BY person_id "
                f"HAVING count(DISTINCT {column}) > 1 OR (count({column}) > 0 AND count({column}) < count(*)) "
                f"ORDER BY person_id LIMIT {_EXAMPLES}) "
                f"SELECT p.person_id, p.month, p.{column} FROM panel AS p JOIN persons AS q "
                f"ON p.person_id = q.person_id ORDER BY p.person_id, p.month"
            )
            ids = rows["person_id"].drop_duplicates().tolist()
            raise PanelValidationError(check.varying_message(column, n_varying, ids, rows.to_string()))


def scan_panel(
    source: str | PathLike[str] | ParquetSource | DuckDBTable | pd.DataFrame | Any,
    *,
    roles: ColumnRoles | None = None,
    engine: Engine | None = None,
) -> StatusPanel:
    """Validate a stored status panel in the engine and return it without loading it.

    Parameters
    ----------
    source
        A Parquet path (file, directory or glob; ``hdfs://`` / ``s3a://`` for Spark), a
        :class:`~evalkit.engine.ParquetSource`, a :class:`~evalkit.engine.DuckDBTable`,
        a pandas DataFrame, or a Spark DataFrame (with a :class:`~evalkit.engine.SparkEngine`).
    roles
        Column roles and code mappings, as for :func:`~evalkit.panel.read_panel`.
    engine
        Where the checks and later preparation run; a :class:`~evalkit.engine.DuckDBEngine`
        by default (set its ``memory_limit`` to spill rather than exhaust memory).

    Returns
    -------
    StatusPanel
        A panel whose rows stay in storage (``is_lazy``); :func:`~evalkit.cohorts.find_entries`
        and :func:`~evalkit.outcomes.outcomes_at_horizons` run on it in the engine.

    Raises
    ------
    PanelValidationError
        On the same rules as :func:`~evalkit.panel.read_panel`, with the column, counts
        and example rows (stored rows have no row labels; examples show person and month).
    """
    roles = roles or ColumnRoles()
    engine = engine or DuckDBEngine()
    table = _as_table(source)
    available = engine.columns(table)
    wanted = {r: c for r, c in roles.column_map().items() if r in ColumnRoles.REQUIRED}
    check.require_columns(available, wanted)
    renames = {c: CANONICAL[r] for r, c in roles.column_map().items() if c in available}
    columns = list(renames.values())
    source_view = Renamed(table, renames)
    coded = [c for c in columns if c not in ("person_id", "county")]
    profile = engine.fetch(profile_sql(coded), {"panel_source": source_view})
    value_map = _value_map(profile, roles, engine, source_view)
    tables = {"panel_source": source_view, "value_map": value_map}
    provisional = StatusPanel(
        report=PanelReport(0, 0, 0, 0, 0, 0, True, "last_nav_month_before" in columns),
        columns=tuple(columns), definition=canonical_sql(columns), tables=tables, engine=engine,
    )
    counts = provisional.query(checks_sql(columns)).iloc[0]
    _raise_on(provisional, counts, roles)
    report = PanelReport(
        n_rows=int(counts["n_rows"]),
        n_persons=int(counts["n_persons"]),
        first_month=int(counts["first_month"]),
        last_month=int(counts["last_month"]),
        n_rows_at_nav=int(counts["n_rows_at_nav"]),
        n_persons_with_gaps=int(counts["n_persons_with_gaps"]),
        was_sorted=True,
        has_history_column="last_nav_month_before" in columns,
    )
    return StatusPanel(
        report=report, columns=tuple(columns), definition=provisional.definition, tables=tables, engine=engine
    )
