"""Table 8.1: who the new users of the four groups are.

Unknowns are rows of their own (``female_unknown``, ``education_unknown``), so that each
characteristic's counts add up to the group's total and nobody disappears from the table.
"""

from __future__ import annotations

import pandas as pd

from evalkit.replications.fui.published import GROUPS
from evalkit.replications.fui.sample import FuiSample, FuiSpec


def table_rows(spec: FuiSpec) -> dict[str, tuple[str, object, bool]]:
    """Row of table 8.1 -> (column of the sample, value, denominator among known values only).

    The value ``None`` counts the entrants whose value is missing.  The age rows follow
    the spec's bands (``age_under_20``, ``age_20_24``, ``age_25_29`` for the published
    ones, ``age_18_21`` ... for others); the published need-category rows are kept
    whatever the target group (a category outside it counts 0).
    """
    ages = {f"age_{a}": ("age_group", a, False) for a in spec.age_levels()}
    return {
        "female": ("female", 1, False),
        "male": ("female", 0, False),
        "female_unknown": ("female", None, False),
        **ages,
        "education_below_upper_secondary": ("education_level", "below_upper_secondary", True),
        "education_upper_secondary": ("education_level", "upper_secondary", True),
        "education_higher": ("education_level", "higher", True),
        "education_unknown": ("education_level", None, False),
        "category_standard": ("nav_category", "standard", False),
        "category_situational": ("nav_category", "situational", False),
        "category_specially_adapted": ("nav_category", "specially_adapted", False),
    }


def table_8_1(sample: FuiSample) -> dict[str, object]:
    """Counts and percentages of table 8.1 in the published JSON layout.

    Cells are ``[count, percent]``.  The three education levels' percentages are among
    entrants with known education, as published; ``education_unknown`` is a percentage of
    all entrants.  Female, male and ``female_unknown`` add to 100 %, as do the age groups
    (:func:`table_rows`) and the need categories.
    """
    frame = sample.frame
    rows_of = table_rows(sample.spec)
    # each group's rows of the columns the table counts, not of the whole sample
    columns = list(dict.fromkeys([*(column for column, _, _ in rows_of.values()), "county_unemployment_pct"]))
    by_group = {g: frame.loc[(frame["group"] == g).to_numpy(), columns] for g in GROUPS}
    rows: dict[str, list[list[float]]] = {}
    for row, (column, value, among_known) in rows_of.items():
        cells = []
        for group in GROUPS:
            part = by_group[group][column]
            count = int(part.isna().sum()) if value is None else int((part == value).sum())
            base = int(part.notna().sum()) if among_known else len(part)
            cells.append([count, round(100.0 * count / base, 1) if base else float("nan")])
        rows[row] = cells
    return {
        "columns": list(GROUPS),
        "n_total": {g: len(by_group[g]) for g in GROUPS},
        "rows": rows,
        "county_unemployment_pct_mean": [
            round(float(by_group[g]["county_unemployment_pct"].mean()), 1) for g in GROUPS
        ],
    }


def table_8_1_frame(table: dict[str, object]) -> pd.DataFrame:
    """Table 8.1 as a frame: one row per characteristic, ``count`` and ``pct`` per group."""
    records = {"n_total": {(g, "count"): n for g, n in table["n_total"].items()}}
    for row, cells in table["rows"].items():
        records[row] = {}
        for group, (count, pct) in zip(table["columns"], cells):
            records[row][(group, "count")] = count
            records[row][(group, "pct")] = pct
    records["county_unemployment_pct_mean"] = {
        (g, "pct"): v for g, v in zip(table["columns"], table["county_unemployment_pct_mean"])
    }
    frame = pd.DataFrame.from_dict(records, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame[[(g, c) for g in table["columns"] for c in ("count", "pct")]]
