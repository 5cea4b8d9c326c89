"""Columns computed from the stored value rather than joined (evalkit.panel.prepare.direct_codes).

A stored panel whose months are dates and whose indicators and birth years are integers
gets those columns by an expression in DuckDB instead of a join to their value maps; the
panel, its counts and every validation message must be exactly what the joins give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit.panel.prepare as prepare_module
from evalkit.engine import DuckDBEngine
from evalkit.errors import PanelValidationError
from evalkit.panel import ColumnRoles, scan_panel


def stored_panel(n_persons: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(n_persons):
        start = int(rng.integers(0, 20))
        history = None if person % 4 == 0 else pd.Timestamp("2014-01-01") + pd.DateOffset(months=person % 12)
        for i in range(int(rng.integers(2, 9))):
            at_nav = (i + person) % 3 != 0
            rows.append({
                "person_id": 1000 + person,
                "month": pd.Timestamp("2016-01-01") + pd.DateOffset(months=start + i),
                "county": f"{3 + person % 5:02d}",
                "nav_category": ("standard" if person % 2 else "situational") if at_nav else None,
                "employed": int(not at_nav),
                "in_education": int(i % 4 == 0),
                "female": person % 2,
                "birth_year": 1960 + person % 30,
                "education_level": ("upper_secondary", "higher", None)[person % 3],
                "last_nav_month_before": history,
            })
    frame = pd.DataFrame(rows)
    return frame.astype({"employed": "int8", "in_education": "int8", "female": "int8", "birth_year": "int64",
                         "month": "datetime64[us]", "last_nav_month_before": "datetime64[ns]"})


def scanned(path, monkeypatch, *, joined: bool, roles: ColumnRoles | None = None):
    """``scan_panel(path)``, with every column joined to its value map when ``joined``."""
    with monkeypatch.context() as patch:
        if joined:
            patch.setattr(prepare_module, "direct_codes", lambda *args: {})
        return scan_panel(path, roles=roles)


def test_computed_columns_equal_the_joined_ones(tmp_path, monkeypatch):
    path = tmp_path / "panel.parquet"
    stored_panel().to_parquet(path)
    direct, joined = scanned(path, monkeypatch, joined=False), scanned(path, monkeypatch, joined=True)
    assert set(direct.direct) == {"month", "employed", "in_education", "female", "birth_year",
                                  "last_nav_month_before"}
    assert joined.direct == {} and "JOIN value_map_month" not in direct.definition
    assert direct.report == joined.report
    pd.testing.assert_frame_equal(direct.collect(), joined.collect(), check_exact=True)
    subset = "SELECT person_id, month, female FROM panel WHERE employed = 0 ORDER BY person_id, month"
    pd.testing.assert_frame_equal(direct.query(subset, columns=["month", "female", "employed"]),
                                  joined.query(subset, columns=["month", "female", "employed"]), check_exact=True)
    # another engine gets the joins back (the expressions were checked in DuckDB)
    again = direct.with_engine(DuckDBEngine(threads=1))
    assert again.direct == {} and again.definition == joined.definition


def test_values_that_are_not_their_codes_stay_joined(tmp_path, monkeypatch):
    frame = stored_panel()
    frame["month"] = frame["month"].dt.year * 100 + frame["month"].dt.month  # 201603: not the month index
    frame.loc[frame["person_id"] == 1000, "female"] = 9  # a declared missing code
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path)
    roles = ColumnRoles(missing={"female": ("9",)})
    direct, joined = (scanned(path, monkeypatch, joined=j, roles=roles) for j in (False, True))
    assert "month" not in direct.direct and "female" not in direct.direct and "birth_year" in direct.direct
    assert direct.report == joined.report
    pd.testing.assert_frame_equal(direct.collect(), joined.collect(), check_exact=True)


def test_validation_messages_are_the_same(tmp_path, monkeypatch):
    frame = stored_panel()
    frame.loc[frame.index[frame["nav_category"].notna()][:2], "county"] = None  # no county at NAV
    frame.loc[frame.index[1], "female"] = 1 - frame.loc[frame.index[1], "female"]  # varies within a person
    frame.loc[frame.index[5], "birth_year"] = 1890  # an implausible age
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path)
    messages = []
    for joined in (False, True):
        with pytest.raises(PanelValidationError) as failure:
            scanned(path, monkeypatch, joined=joined)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]
    assert "missing in 2 row(s)" in messages[0] and "changes for 1 person" in messages[0]
