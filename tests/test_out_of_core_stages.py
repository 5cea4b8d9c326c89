"""Sequential exclusion steps in the engine (evalkit.engine.stages) equal the same steps in pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.engine import DuckDBEngine
from evalkit.engine.stages import Step, split_staged, staged_sql


def _frame(n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "person": rng.integers(0, 60, n), "month": rng.permutation(n), "cat": rng.choice(["a", "b", "c"], n),
        "flag": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
    })


def _in_pandas(df: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    counts = []
    drop = df["flag"].fillna(False).astype(bool)  # NULL counts as kept
    counts.append(int(drop.sum()))
    df = df[~drop]
    off = ~df["cat"].isin(["a", "b"])
    counts.append(int(off.sum()))
    df = df[~off].sort_values(["person", "month"])
    later = df["person"].duplicated()
    counts.append(int(later.sum()))
    df = df[~later]
    window = np.where(df["month"].between(10, 200), "w1", np.where(df["month"].between(201, 300), "w2", None))
    df = df.assign(window=window)
    counts.append(int(df["window"].isna().sum()))
    return df[df["window"].notna()], counts


def test_steps_in_the_engine_equal_pandas():
    df = _frame()
    steps = [Step("flagged", "flag"), Step("category", "cat NOT IN ('a', 'b')"),
             Step("later", first_of=("person", "month")), Step("outside", "slot IS NULL")]
    derived = [("slot", "CASE WHEN month BETWEEN 10 AND 200 THEN 'w1' WHEN month BETWEEN 201 AND 300 THEN 'w2' END")]
    sql = staged_sql("SELECT * FROM t", ["person", "month", "cat", "flag"], steps, derived)
    kept, n_rows, counts = split_staged(DuckDBEngine().fetch(sql, {"t": df}), len(steps))
    expected, expected_counts = _in_pandas(df)
    assert n_rows == len(df)
    assert counts == expected_counts
    got = kept.sort_values(["person", "month"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[["person", "month", "cat"]].astype(str),
                                  expected[["person", "month", "cat"]].reset_index(drop=True).astype(str))
    assert got["slot"].tolist() == expected["window"].tolist()


def test_no_row_kept_still_counts():
    df = _frame(50)
    sql = staged_sql("SELECT * FROM t", ["person", "month"], [Step("all", "month >= 0")])
    kept, n_rows, counts = split_staged(DuckDBEngine().fetch(sql, {"t": df}), 1)
    assert len(kept) == 0 and n_rows == 50 and counts == [50]


def test_a_step_has_one_rule():
    with pytest.raises(ValueError, match="either"):
        Step("both", "x > 1", first_of=("p", "m"))
