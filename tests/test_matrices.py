"""Tests of monthly states and month-to-month transition matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError, ExcludedRowsWarning, PanelValidationError
from evalkit.outcomes.matrices import month_number, state_of_month, transition_matrix

# person 1: nav -> employed -> employed, then a gap (April missing) -> nav in May
# person 2: nav -> education -> employed
# person 3: none -> nav
PANEL = pd.DataFrame({
    "person_id": [1, 1, 1, 1, 2, 2, 2, 3, 3],
    "month": pd.PeriodIndex(
        ["2016-01", "2016-02", "2016-03", "2016-05", "2016-01", "2016-02", "2016-03", "2016-02", "2016-03"],
        freq="M",
    ),
    "nav_category": ["standard", "standard", None, "situational", "standard", None, None, None, "standard"],
    "employed": [0, 1, 1, 0, 0, 0, 1, 0, 0],
    "in_education": [0, 0, 0, 0, 0, 1, 0, 0, 0],
    "region": ["a", "a", "a", "a", "b", "b", "b", "a", "a"],
})


def test_state_of_month_default_priority() -> None:
    states = state_of_month(PANEL)
    assert states.tolist() == [
        "nav", "employed", "employed", "nav", "nav", "education", "employed", "none", "nav",
    ]
    assert list(states.cat.categories) == ["employed", "education", "nav", "none"]


def test_state_of_month_nav_first() -> None:
    states = state_of_month(PANEL, order=("nav", "employed", "education", "none"))
    # person 1 in February is at NAV and employed: now counted as nav
    assert states.iloc[1] == "nav"
    assert states.iloc[2] == "employed"


@pytest.mark.parametrize(
    "order",
    [("employed", "education", "nav"), ("none", "employed", "education", "nav"), ("employed", "work", "nav", "none")],
    ids=["missing-state", "none-not-last", "unknown-state"],
)
def test_state_of_month_rejects_bad_order(order) -> None:
    with pytest.raises(EvalkitError, match="permutation"):
        state_of_month(PANEL, order=order)


def test_state_of_month_rejects_missing_status() -> None:
    bad = PANEL.assign(employed=PANEL["employed"].astype(float).where(PANEL.index != 4))
    with pytest.raises(PanelValidationError, match=r"'employed'.*rows \[4\]"):
        state_of_month(bad)


def _expected_counts() -> pd.DataFrame:
    # hand count over pairs of consecutive months:
    # p1: nav->employed (Jan-Feb), employed->employed (Feb-Mar); Mar->May is a gap
    # p2: nav->education, education->employed;  p3: none->nav
    idx = ["employed", "education", "nav", "none"]
    counts = pd.DataFrame(0, index=idx, columns=idx)
    counts.loc["nav", "employed"] = 1
    counts.loc["employed", "employed"] = 1
    counts.loc["nav", "education"] = 1
    counts.loc["education", "employed"] = 1
    counts.loc["none", "nav"] = 1
    return counts


def test_transition_matrix_by_hand() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL))
    result = transition_matrix(frame, normalize=False)
    assert (result.n_pairs, result.n_gaps) == (5, 1)
    counts = result.matrix
    expected = _expected_counts()
    np.testing.assert_array_equal(counts.to_numpy(), expected.to_numpy())
    assert list(counts.index) == list(expected.index) and list(counts.columns) == list(expected.columns)
    probs = result.square("probability")
    np.testing.assert_allclose(probs.loc["nav"].to_numpy(), [0.5, 0.5, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(probs.loc["none"].to_numpy(), [0.0, 0.0, 1.0, 0.0], rtol=1e-12)


def test_probabilities_sum_to_one_per_row() -> None:
    rng = np.random.default_rng(5)
    n_people, n_months = 40, 12
    frame = pd.DataFrame({
        "person_id": np.repeat(np.arange(n_people), n_months),
        "month": np.tile(np.arange(n_months), n_people),
        "state": rng.choice(["employed", "education", "nav", "none"], n_people * n_months),
    })
    frame = frame.sample(frac=0.9, random_state=1)  # creates gaps, shuffles order
    result = transition_matrix(frame)
    sums = result.matrix.sum(axis=1)
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    assert result.table["n"].sum() == result.n_pairs
    unshuffled = transition_matrix(frame.sort_index())
    pd.testing.assert_frame_equal(result.table, unshuffled.table)


def test_transition_matrix_by_group_uses_origin_month() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL))
    frame.loc[6, "region"] = "c"  # person 2's March row: destination only
    result = transition_matrix(frame, by="region")
    table = result.table
    assert set(table["region"]) == {"a", "b"}
    b_rows = table.query("region == 'b' and n > 0")
    assert sorted(zip(b_rows["from_state"], b_rows["to_state"])) == [("education", "employed"), ("nav", "education")]
    totals = table.groupby("region")["n"].sum()
    assert totals.to_dict() == {"a": 3, "b": 2}
    assert np.isnan(table.query("region == 'b' and from_state == 'none'")["probability"]).all()


def test_transition_matrix_integer_months_equal_periods() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL))
    as_int = frame.assign(month=month_number(frame["month"]))
    pd.testing.assert_frame_equal(transition_matrix(frame).table, transition_matrix(as_int).table)


def test_month_number_across_year_end() -> None:
    months = pd.Series(pd.PeriodIndex(["2016-12", "2017-01"], freq="M"), name="month")
    assert np.diff(month_number(months)).tolist() == [1]
    stamps = pd.Series(pd.to_datetime(["2016-12-31", "2017-01-01"]), name="month")
    assert np.diff(month_number(stamps)).tolist() == [1]


def test_transition_matrix_rejects_duplicates() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL))
    with pytest.raises(PanelValidationError, match="unique"):
        transition_matrix(pd.concat([frame, frame.iloc[[2]]]))


def test_summary_mentions_gaps() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL))
    text = str(transition_matrix(frame).summary())
    assert "Gaps skipped: 1" in text


def test_missing_state_warns_and_breaks_pairs() -> None:
    frame = PANEL.assign(state=state_of_month(PANEL).astype(object))
    frame.loc[1, "state"] = None
    with pytest.warns(ExcludedRowsWarning, match="1 person-month"):
        result = transition_matrix(frame)
    assert result.n_pairs == 3  # person 1 loses Jan-Feb and Feb-Mar
