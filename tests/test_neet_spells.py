"""NEET months, spells and long-term NEET against a brute-force per-person loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.outcomes.neet import long_term_neet, neet_months, neet_spells
from evalkit.panel import read_panel

BASE = 12 * 2021  # January 2021


def _histories(draw_seed: int, n_persons: int, n_months: int) -> pd.DataFrame:
    """Random histories with gaps, missing activities and persons entering late."""
    rng = np.random.default_rng(draw_seed)
    rows = []
    for pid in range(n_persons):
        first = rng.integers(0, n_months)
        last = rng.integers(first, n_months)
        neet_p = rng.uniform(0.2, 0.95)
        for t in range(first, last + 1):
            if rng.random() < 0.08:  # a gap: no row this month
                continue
            acts = (rng.random(3) > neet_p ** (1 / 3)).astype(float)
            acts[rng.random(3) < 0.05] = np.nan
            rows.append((f"p{pid}", BASE + t, *acts))
    frame = pd.DataFrame(rows, columns=["person_id", "month", "employed", "in_education", "in_programme"])
    return frame.sample(frac=1.0, random_state=draw_seed)  # unsorted input


def _brute_status(row: pd.Series) -> int | None:
    acts = [row["employed"], row["in_education"], row["in_programme"]]
    if any(a == 1 for a in acts):
        return 0
    if all(a == 0 for a in acts):
        return 1
    return None


def _brute_spells(frame: pd.DataFrame) -> list[tuple]:
    spells = []
    for pid, rows in frame.groupby("person_id", sort=True):
        status = {int(r["month"]): _brute_status(r) for _, r in rows.iterrows()}
        months = sorted(status)
        for m in months:
            if status[m] != 1 or status.get(m - 1) == 1:
                continue
            end = m
            while status.get(end + 1) == 1:
                end += 1
            spells.append((pid, m, end, end - m + 1, status.get(m - 1) != 0, status.get(end + 1) != 0))
    return spells


def _brute_long_term(frame: pd.DataFrame, ref: int, k: int, censored: str) -> dict:
    out = {}
    for pid, rows in frame.groupby("person_id", sort=True):
        status = {int(r["month"]): _brute_status(r) for _, r in rows.iterrows()}
        if status.get(ref) is None:
            out[pid] = None
            continue
        if status[ref] == 0:
            out[pid] = False
            continue
        start = ref
        while status.get(start - 1) == 1:
            start -= 1
        length = ref - start + 1
        if length >= k:
            out[pid] = True
        elif status.get(start - 1) != 0 and censored == "missing":
            out[pid] = None
        else:
            out[pid] = False
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_persons=st.integers(1, 12), n_months=st.integers(1, 30))
def test_spells_equal_brute_force(seed: int, n_persons: int, n_months: int) -> None:
    frame = _histories(seed, n_persons, n_months)
    if frame.empty:
        return
    spells = neet_spells(frame)
    expected = _brute_spells(frame)
    got = list(spells.itertuples(index=False, name=None))
    assert [tuple(map(lambda v: v.item() if hasattr(v, "item") else v, g)) for g in got] == expected


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_persons=st.integers(1, 12),
    n_months=st.integers(1, 30),
    k=st.integers(1, 12),
    ref=st.integers(0, 29),
    censored=st.sampled_from(["missing", "lower_bound"]),
)
def test_long_term_equal_brute_force(seed, n_persons, n_months, k, ref, censored) -> None:
    frame = _histories(seed, n_persons, n_months)
    if frame.empty:
        return
    result = long_term_neet(frame, _label(BASE + ref), min_months=k, censored=censored)
    expected = _brute_long_term(frame, BASE + ref, k, censored)
    got = {p: (None if pd.isna(v) else bool(v)) for p, v in zip(result["person_id"], result["long_term_neet"], strict=True)}
    assert got == expected
    assert result.attrs["n_censored_short_spell"] == sum(
        1 for p, v in expected.items() if v is None and _brute_status_at(frame, p, BASE + ref) == 1
    )


def _label(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def _brute_status_at(frame: pd.DataFrame, pid: str, month: int):
    rows = frame[(frame["person_id"] == pid) & (frame["month"] == month)]
    return None if rows.empty else _brute_status(rows.iloc[0])


def _frame(**columns) -> pd.DataFrame:
    n = len(columns["employed"])
    base = {"person_id": [1] * n, "month": [_label(12 * 2022 + m) for m in range(n)]}
    base.update({"in_education": [0] * n, "in_programme": [0] * n})
    base.update(columns)
    return pd.DataFrame(base)


def test_spell_open_at_panel_start_is_flagged_not_started_there() -> None:
    spells = neet_spells(_frame(employed=[0, 0, 1, 0, 0]))
    assert spells[["start", "end", "length", "open_at_start", "open_at_end"]].values.tolist() == [
        [12 * 2022, 12 * 2022 + 1, 2, True, False],
        [12 * 2022 + 3, 12 * 2022 + 4, 2, False, True],
    ]


def test_gap_breaks_a_spell_into_two_censored_spells() -> None:
    frame = _frame(employed=[1, 0, 0, 0, 0, 1]).drop(index=3)
    spells = neet_spells(frame)
    assert spells[["length", "open_at_start", "open_at_end"]].values.tolist() == [[2, False, True], [1, True, False]]
    with pytest.raises(EvalkitError, match="1 gaps between a person's months.*2022-03 and 2022-05"):
        neet_spells(frame, unknown="error")


def test_one_known_activity_decides_despite_a_missing_one() -> None:
    frame = _frame(employed=[1, 0], in_education=[np.nan, np.nan])
    assert neet_months(frame).frame()["neet"].tolist() == [0, pd.NA]
    with pytest.raises(EvalkitError, match="1 person-months have an unknown NEET status"):
        neet_spells(frame, unknown="error")


def test_benefits_and_nav_registration_do_not_end_neet() -> None:
    frame = _frame(employed=[0, 0], health_benefit=[1, 1], nav_category=["standard", None])
    assert neet_months(frame).frame()["neet"].tolist() == [1, 1]


def test_long_term_with_income_condition() -> None:
    n = 26
    frame = pd.concat(
        [_frame(employed=[0] * n).assign(person_id=p) for p in (1, 2, 3)]
        + [_frame(employed=[1] + [0] * (n - 1)).assign(person_id=4)]
    )
    income = pd.Series({1: 0.1, 2: 0.3, 3: np.nan, 4: 0.0})
    result = long_term_neet(frame, "2024-02", income=income, max_income=0.25).set_index("person_id")
    # person 4: 25 NEET months after a known month at work -> long-term, income below
    assert result["long_term_neet"].tolist() == [True, False, pd.NA, True]
    assert result["spell_months"].tolist() == [26, 26, 26, 25]
    assert result.attrs["n_missing_income"] == 1
    with pytest.raises(EvalkitError, match="income has no value for 1 of 4 persons"):
        long_term_neet(frame, "2024-02", income=income.drop(4), max_income=0.25)
    with pytest.raises(EvalkitError, match="income and max_income go together"):
        long_term_neet(frame, "2024-02", income=income)


def test_long_term_short_censored_spell_missing_or_lower_bound() -> None:
    frame = _frame(employed=[0, 0, 0])
    assert long_term_neet(frame, "2022-03", min_months=24)["long_term_neet"].isna().all()
    assert not long_term_neet(frame, "2022-03", censored="lower_bound")["long_term_neet"].any()
    assert long_term_neet(frame, "2022-03", min_months=3)["long_term_neet"].all()


def test_person_without_row_at_reference_is_missing_and_counted() -> None:
    frame = _frame(employed=[0, 0, 0])
    later = _frame(employed=[0]).assign(person_id=2, month="2022-05")
    result = long_term_neet(pd.concat([frame, later]), "2022-03", min_months=2)
    assert result["observed"].tolist() == [True, False]
    assert result["long_term_neet"].tolist()[1] is pd.NA
    assert result.attrs["n_not_observed"] == 1


def test_status_panel_input_without_programme_register() -> None:
    frame = _frame(employed=[0, 0, 1]).drop(columns="in_programme").assign(county="03", nav_category=None)
    panel = read_panel(frame)
    with pytest.raises(EvalkitError, match=r"\['in_programme'\] are not in the data.*activities=\('employed'"):
        neet_spells(panel)
    spells = neet_spells(panel, activities=("employed", "in_education"))
    assert spells["length"].tolist() == [2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"employed": [0, 2]}, r"activity column 'employed' has 1 of 2 rows that are neither 0 nor 1.*employed=2"),
        ({"month": ["2022-01", "2022-01"]}, r"1 person-months occur more than once.*month='2022-01'"),
        ({"month": ["2022-01", "soon"]}, r"column 'month' \(month\) has 1 of 2 rows that are not a month.*'soon'"),
        ({"person_id": [1, None]}, r"column 'person_id' \(person\) is missing in 1 of 2 rows"),
    ],
)
def test_bad_inputs_name_column_count_and_example(change, message) -> None:
    frame = _frame(employed=[0, 0]).assign(**change)
    with pytest.raises(EvalkitError, match=message):
        neet_spells(frame)


def test_bad_options() -> None:
    frame = _frame(employed=[0, 0])
    with pytest.raises(EvalkitError, match="reference_month: cannot read 'later'"):
        long_term_neet(frame, "later")
    with pytest.raises(EvalkitError, match="min_months must be a whole number"):
        long_term_neet(frame, "2022-01", min_months=0)
    with pytest.raises(EvalkitError, match="unknown must be 'break' or 'error'"):
        neet_spells(frame, unknown="skip")
    with pytest.raises(EvalkitError, match="distinct columns"):
        neet_spells(frame, activities=())


def test_input_not_mutated() -> None:
    frame = _frame(employed=[0, 1, 0])
    copy = frame.copy()
    long_term_neet(frame, "2022-03", min_months=1)
    pd.testing.assert_frame_equal(frame, copy)
