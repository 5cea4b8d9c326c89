"""The validation counts of :func:`evalkit.panel.prepare.checks_sql` against a pandas reference.

The query counts each person's distinct months as the bits of an OR of powers of two,
one 62-bit word per 62 months; the panel here spans 130 months (three words) and has
gaps, duplicate months, NULL months, varying attributes and a person without an id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.engine import DuckDBEngine
from evalkit.panel.prepare import checks_sql

COLUMNS = ["person_id", "month", "county", "nav_category", "female", "birth_year", "last_nav_month_before"]


def messy_panel(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(300):
        start = int(rng.integers(24000, 24120))
        months = list(range(start, start + int(rng.integers(1, 12))))
        if person % 7 == 0:  # a gap
            months = [m + (5 if i > 2 else 0) for i, m in enumerate(months)]
        if person % 11 == 0:  # a duplicate month
            months.append(months[0])
        if person % 13 == 0:  # a month that could not be read
            months.append(None)
        female = int(rng.integers(0, 2))
        for i, month in enumerate(months):
            rows.append({
                "person_id": None if person == 5 else person,
                "month": month,
                "county": None if person % 17 == 0 and i == 0 else "c1",
                "nav_category": "standard" if i % 2 == 0 else None,
                "female": (1 - female) if person % 9 == 0 and i == 1 else (None if person % 19 == 0 and i == 0 else female),
                "birth_year": 95 if person == 3 else (1900 if person % 23 == 0 else 1995),
                "last_nav_month_before": 24100 if person % 29 == 0 else 23990,
            })
    return pd.DataFrame(rows).astype({"month": "Int64", "female": "Int64", "birth_year": "Int64",
                                      "last_nav_month_before": "Int64"})


def reference(panel: pd.DataFrame) -> dict[str, int]:
    known = panel[panel["person_id"].notna()]
    persons = known.groupby("person_id")
    months = persons["month"]
    first = int(panel["month"].min())

    def varies(column: str) -> int:
        return int(persons[column].agg(lambda v: v.nunique(dropna=False) > 1).sum())

    age = panel["month"] // 12 - panel["birth_year"]
    implausible = (age < 10) | (age > 80)
    return {
        "n_rows": len(panel),
        "n_persons": known["person_id"].nunique(),
        "first_month": first,
        "last_month": int(panel["month"].max()),
        "n_rows_at_nav": int(panel["nav_category"].notna().sum()),
        "n_persons_with_gaps": int((months.max() - months.min() + 1 > months.nunique()).sum()),
        "n_repeated": int(panel.groupby(panel["person_id"].fillna(-1))["month"].agg(lambda m: m.count() - m.nunique()).sum()),
        "missing_person_id": int(panel["person_id"].isna().sum()),
        "missing_county": int((panel["nav_category"].notna() & panel["county"].isna()).sum()),
        "varying_female": varies("female"),
        "varying_birth_year": varies("birth_year"),
        "varying_last_nav_month_before": varies("last_nav_month_before"),
        "two_digit_birth_year": int(known.loc[known["birth_year"] < 100, "person_id"].nunique()),
        "implausible_age": int(panel.loc[implausible.fillna(False) & panel["person_id"].notna(), "person_id"].nunique()),
        "history_after_start": int(known.loc[known["last_nav_month_before"] >= first, "person_id"].nunique()),
    }


def test_checks_equal_a_pandas_reference_over_three_words_of_months():
    panel = messy_panel()
    first, last = int(panel["month"].min()), int(panel["month"].max())
    assert last - first + 1 > 2 * 62
    counts = DuckDBEngine().fetch(checks_sql(COLUMNS, first, last), {"panel": panel}).iloc[0]
    expected = reference(panel)
    assert {k: int(counts[k]) for k in expected} == expected
    assert expected["n_persons_with_gaps"] > 0 and expected["n_repeated"] > 0 and expected["varying_female"] > 0


def test_persons_with_more_than_127_months_are_counted():
    # each word's count of months is a TINYINT in DuckDB: three words of a person's months
    # add up past 127 (a long register panel), which overflowed before
    panel = messy_panel()
    first, last = int(panel["month"].min()), int(panel["month"].max())
    long_lived = [{"person_id": 1000 + p, "month": m, "county": "c1", "nav_category": None, "female": 0,
                   "birth_year": 1995, "last_nav_month_before": 23990}
                  for p in range(2) for m in range(first, last + 1) if not (p == 1 and m == first + 70)]
    panel = pd.concat([panel, pd.DataFrame(long_lived).astype(panel.dtypes.to_dict())], ignore_index=True)
    assert last - first + 1 > 127
    counts = DuckDBEngine().fetch(checks_sql(COLUMNS, first, last), {"panel": panel}).iloc[0]
    expected = reference(panel)
    assert {k: int(counts[k]) for k in expected} == expected
