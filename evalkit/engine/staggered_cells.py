"""Sufficient statistics of the staggered estimators, computed inside the engine.

For a balanced panel whose units are nested in clusters, every staggered estimator that
treats units of one *cell* alike (same first treated period ``g``, cluster ``c`` and values
``x`` of discrete covariates) needs of the unit-level data only, per cell and period ``t``,

    n[g, c, x, t] = number of units,   w[g, c, x, t] = sum of their weights,
    s[g, c, x, t] = sum of w_i y_it,

because their estimating equations are weighted sums over units of functions of
``(g, x)`` times outcomes, and the cluster-robust covariance only needs cluster sums of
the influence functions (Callaway & Sant'Anna 2021, Sec. 4; Sant'Anna & Zhao 2020).
:func:`staggered_cells` computes these sums with one ``GROUP BY`` over the stored panel
(DuckDB under its ``memory_limit``, or Spark) after one validation pass grouped by unit
(plain sums, no ``COUNT(DISTINCT)`` per unit: :func:`validation_query`); only
``cells x periods`` rows come back.  The SQL is the same text on both engines
(portable constructs only; the user's column names are mapped by
:class:`~evalkit.engine.Renamed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.engine.duckdb_engine import DuckDBEngine
from evalkit.engine.sources import Engine, Renamed, Table
from evalkit.errors import DesignError, PanelValidationError

__all__ = ["StaggeredCells", "balance_query", "cells_query", "period_count_query", "staggered_cells", "validation_query"]

_Y, _T, _G, _U, _C, _W = "ek_y", "ek_t", "ek_g", "ek_u", "ek_c", "ek_w"


def _x(j: int) -> str:
    return f"ek_x{j}"


@dataclass(frozen=True)
class StaggeredCells:
    """Cell x period sums of a stored balanced panel.

    Attributes
    ----------
    frame
        One row per cell and period: the columns ``group``, ``cluster``, the covariates
        (the user's names), ``time``, ``n_units``, ``weight`` (summed weights) and
        ``y_sum`` (weighted sum of the outcome) and ``first_unit`` (the smallest unit
        label of the cell, which orders cells as units are ordered in memory); with
        ``squares=True`` also ``weight_sq`` and ``y_sq_sum`` (sums of ``w_i^2`` and
        ``w_i^2 y_it``).
    n_units, n_rows, n_periods
        Units, rows and periods of the panel.
    """

    frame: pd.DataFrame
    n_units: int
    n_rows: int
    n_periods: int


def _roles(y: str, time: str, group: str, unit: str, cluster: str, covariates: Sequence[str],
           weights: str | None) -> dict[str, str]:
    roles = {y: _Y, time: _T, group: _G, unit: _U, cluster: _C}
    roles.update({col: _x(j) for j, col in enumerate(covariates)})
    if weights is not None:
        roles[weights] = _W
    named = [y, time, group, unit, cluster, *covariates, *([weights] if weights else [])]
    if len(roles) != len(named):
        repeated = sorted({c for c in named if named.count(c) > 1})
        raise DesignError(f"columns {repeated} are given for more than one role (y, time, group, unit, cluster, "
                          "covariates, weights); each role needs its own column")
    return roles


#: Periods per bit bucket of the balance check: sums of up to 50 distinct powers of two are exact in doubles.
_BITS = 50


def period_count_query() -> str:
    """The number of distinct periods (a scan of one column), which sizes :func:`validation_query`."""
    return f"SELECT COUNT(DISTINCT {_T}) AS n_periods FROM panel"


def validation_query(n_covariates: int, weighted: bool, n_periods: int) -> str:
    """One pass grouped by unit: counts of units breaking each rule of the engine path.

    Rules: no missing value in any role; every unit in every period exactly once
    (``irregular`` counts the units that are not); first treated period, cluster,
    covariates and weights constant within unit; integer periods; positive weights.

    The balance check needs no ``COUNT(DISTINCT)`` per unit, whose hash table of unit x
    period pairs is as large as the panel.  Period ``p`` of the ``P`` sorted distinct
    periods (rank ``r_p``) carries the bit ``2^(r_p mod 50)`` in bucket ``r_p div 50``; a
    unit is regular iff it has ``P`` rows and, in every bucket, its bits sum to the bucket's
    sum over all periods.  This is exact: ``n_b`` powers of two summing to a number of
    ``P_b`` set bits need ``n_b >= P_b``, with equality only when they are distinct, and
    ``sum_b n_b = P = sum_b P_b`` forces equality in every bucket (sums below ``2^53`` are
    exact in doubles, and a sum above the target never rounds down to it).
    """
    xs = [_x(j) for j in range(n_covariates)]
    constant = [_G, _C, *xs, *([_W] if weighted else [])]
    buckets = range(max(1, -(-n_periods // _BITS)))
    bits = [f"SUM(CASE WHEN ek_b = {b} THEN ek_bit ELSE 0 END) AS bits{b}" for b in buckets]
    per_unit = ",\n  ".join(
        ["COUNT(*) AS n_rows", *bits,
         f"SUM(CASE WHEN {_T} IS NULL OR {_Y} IS NULL"
         + "".join(f" OR {c} IS NULL" for c in constant) + " THEN 1 ELSE 0 END) AS n_missing",
         f"SUM(CASE WHEN {_T} <> FLOOR({_T}) THEN 1 ELSE 0 END) AS n_fraction",
         *([f"SUM(CASE WHEN {_W} <= 0 THEN 1 ELSE 0 END) AS n_nonpositive"] if weighted else []),
         *[f"CASE WHEN MIN({c}) = MAX({c}) THEN 0 ELSE 1 END AS varies_{c}" for c in constant]]
    )
    regular = " AND ".join(["n_rows = n_periods", *[f"bits{b} = target{b}" for b in buckets]])
    totals = ",\n  ".join(
        ["COUNT(*) AS units", "SUM(n_rows) AS n_rows",
         f"SUM(CASE WHEN {regular} THEN 0 ELSE 1 END) AS irregular",
         "MAX(n_periods) AS n_periods",
         "SUM(CASE WHEN n_missing > 0 THEN 1 ELSE 0 END) AS missing",
         "SUM(CASE WHEN n_fraction > 0 THEN 1 ELSE 0 END) AS fractional",
         *(["SUM(CASE WHEN n_nonpositive > 0 THEN 1 ELSE 0 END) AS nonpositive"] if weighted else []),
         *[f"SUM(varies_{c}) AS varies_{c}" for c in constant]]
    )
    targets = ", ".join(["COUNT(*) AS n_periods",
                         *[f"SUM(CASE WHEN ek_b = {b} THEN ek_bit ELSE 0 END) AS target{b}" for b in buckets]])
    return (
        f"WITH ranked AS (\nSELECT {_T}, ROW_NUMBER() OVER (ORDER BY {_T}) - 1 AS ek_r\n"
        f"FROM (SELECT DISTINCT {_T} FROM panel WHERE {_T} IS NOT NULL) distinct_periods\n),\n"
        f"periods AS (\nSELECT {_T}, CAST((ek_r - ek_r % {_BITS}) / {_BITS} AS INT) AS ek_b, "
        f"POWER(2.0, ek_r % {_BITS}) AS ek_bit FROM ranked\n),\n"
        f"targets AS (\nSELECT {targets} FROM periods\n),\n"
        f"marked AS (\nSELECT panel.*, periods.ek_b, periods.ek_bit FROM panel LEFT JOIN periods "
        f"ON panel.{_T} = periods.{_T}\n),\n"
        f"units AS (\nSELECT {_U},\n  {per_unit}\nFROM marked GROUP BY {_U}\n)\n"
        f"SELECT\n  {totals}\nFROM units CROSS JOIN targets"
    )


def balance_query(n_periods: int) -> str:
    """Units with duplicated and with missing periods, run only when some unit is irregular.

    ``COUNT(DISTINCT)`` per unit tells the two apart; its hash table of unit x period pairs
    is as large as the panel, so the regular path (:func:`validation_query`) avoids it.
    """
    return (f"WITH units AS (\nSELECT {_U}, COUNT(*) AS n_rows, COUNT(DISTINCT {_T}) AS n_t FROM panel "
            f"WHERE {_T} IS NOT NULL GROUP BY {_U}\n)\nSELECT SUM(CASE WHEN n_rows > n_t THEN 1 ELSE 0 END) "
            f"AS duplicated, SUM(CASE WHEN n_t < {n_periods} THEN 1 ELSE 0 END) AS unbalanced FROM units")


def cells_query(n_covariates: int, weighted: bool, squares: bool = False) -> str:
    """The sufficient statistics: one ``GROUP BY`` cohort x cluster x covariates x period.

    With ``squares`` (and weights) also ``sum w_i^2`` and ``sum w_i^2 y_it`` per cell and
    period, which the imputation estimator's auxiliary model needs (BJS eq. 8); without
    weights they equal ``n_units`` and ``y_sum`` and are not queried.
    """
    keys = [_G, _C, *[_x(j) for j in range(n_covariates)], _T]
    w = f"CAST({_W} AS DOUBLE)" if weighted else "CAST(1 AS DOUBLE)"
    y = f"CAST({_Y} AS DOUBLE)"
    extra = f"SUM({w} * {w}) AS weight_sq, SUM({w} * {w} * {y}) AS y_sq_sum, " if squares and weighted else ""
    return (
        f"SELECT {', '.join(keys)}, COUNT(*) AS n_units, SUM({w}) AS weight, "
        f"SUM({w} * {y}) AS y_sum, {extra}MIN({_U}) AS first_unit\nFROM panel\nGROUP BY {', '.join(keys)}"
    )


def _examples_query(condition: str) -> str:
    return f"SELECT {_U} FROM panel GROUP BY {_U} HAVING {condition} ORDER BY {_U} LIMIT 5"


def _check(engine: Engine, tables: dict[str, Table], counts: pd.Series, roles: dict[str, str], weighted: bool) -> None:
    name = {dst: src for src, dst in roles.items()}
    unit, time = name[_U], name[_T]
    rules = [
        ("missing", f"have a missing value in {sorted(roles)}",
         " OR ".join(f"SUM(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END) > 0" for c in roles.values())),
        ("duplicated", f"have more than one row in a period of {time!r}", f"COUNT(*) > COUNT(DISTINCT {_T})"),
        ("unbalanced", (f"miss periods of {time!r} (the engine path needs a balanced panel; in memory, att_gt "
                       "takes unbalanced panels)"), f"COUNT(DISTINCT {_T}) < {int(counts['n_periods'])}"),
        ("fractional", f"have periods of {time!r} that are not integers",
         f"SUM(CASE WHEN {_T} <> FLOOR({_T}) THEN 1 ELSE 0 END) > 0"),
    ]
    if weighted:
        rules.append(("nonpositive", f"have weights {name[_W]!r} that are not positive",
                      f"SUM(CASE WHEN {_W} <= 0 THEN 1 ELSE 0 END) > 0"))
    constant = [_G, _C, *[v for v in roles.values() if v.startswith("ek_x")], *([_W] if weighted else [])]
    rules += [(f"varies_{c}", f"have more than one value of {name[c]!r} (it must be constant within unit)",
               f"MIN({c}) <> MAX({c})") for c in constant]
    if int(counts["irregular"] or 0):
        balance = engine.fetch(balance_query(int(counts["n_periods"])), tables).iloc[0]
        counts = pd.concat([counts, balance])
    else:
        counts = pd.concat([counts, pd.Series({"duplicated": 0, "unbalanced": 0})])
    problems = []
    for key, what, condition in rules:
        bad = int(counts[key] or 0)
        if bad:
            examples = engine.fetch(_examples_query(condition), tables)[_U].tolist()
            problems.append(f"{bad} of the {int(counts['units'])} units of {unit!r} {what}, e.g. {examples}")
    if problems:
        raise PanelValidationError("the panel cannot be estimated in the engine: " + "; ".join(problems))


def staggered_cells(
    table: Table,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    cluster: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    squares: bool = False,
    engine: Engine | None = None,
) -> StaggeredCells:
    """Validate a stored balanced panel and return its cell x period sums.

    Parameters
    ----------
    table
        The panel: a :class:`~evalkit.engine.ParquetSource`, a
        :class:`~evalkit.engine.DuckDBTable`, a pandas frame or a Spark DataFrame.
    y, time, group, unit, cluster
        Outcome, integer period, first treated period (0 or ``inf`` = never treated),
        unit and cluster (constant within unit) columns.
    covariates
        Discrete covariate columns, constant within unit; each distinct combination is a
        cell, so they must take few values.
    weights
        Sampling weight column (constant within unit), or ``None``.
    squares
        Also return ``weight_sq`` (``sum w_i^2``) and ``y_sq_sum`` (``sum w_i^2 y_it``) per
        cell and period (computed in the engine when weighted, else equal to ``n_units``
        and ``y_sum``).
    engine
        :class:`~evalkit.engine.DuckDBEngine` (default) or
        :class:`~evalkit.engine.SparkEngine`.

    Raises
    ------
    PanelValidationError
        Missing values, duplicated or missing unit-periods, fractional periods, or a
        first treated period, cluster, covariate or weight that varies within a unit; the
        message counts the units and names up to five.
    """
    engine = engine or DuckDBEngine()
    covariates = list(covariates)
    roles = _roles(y, time, group, unit, cluster, covariates, weights)
    tables = {"panel": Renamed(table, roles)}
    weighted = weights is not None
    n_periods = int(engine.fetch(period_count_query(), tables)["n_periods"].iloc[0])
    check, cells = engine.fetch_many([validation_query(len(covariates), weighted, n_periods),
                                      cells_query(len(covariates), weighted, squares)], tables)
    counts = check.iloc[0]
    _check(engine, tables, counts, roles, weighted)
    frame = cells.rename(columns={_G: "group", _C: "cluster", _T: "time",
                                  **{_x(j): col for j, col in enumerate(covariates)}})
    frame["n_units"] = frame["n_units"].astype(np.int64)
    frame["time"] = frame["time"].astype(np.int64)
    if squares and not weighted:
        frame["weight_sq"] = frame["n_units"].astype(float)
        frame["y_sq_sum"] = frame["y_sum"]
    keys = ["group", "cluster", *covariates, "time"]
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return StaggeredCells(frame=frame, n_units=int(counts["units"]), n_rows=int(counts["n_rows"]),
                          n_periods=int(counts["n_periods"]))
