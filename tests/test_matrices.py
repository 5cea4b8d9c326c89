"""Tests of monthly states and month-to-month transition matrices (run in the engine)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError, ExcludedRowsWarning, PanelValidationError
from evalkit.outcomes import MONTHLY_STATES, state_of_month, transition_matrix
from evalkit.panel import read_panel, scan_panel
from evalkit.panel.load import in_memory_panel

# person 1: at_nav -> employed (and at NAV) -> employed, then a gap (April missing) -> at_nav in May
# person 2: at_nav -> in_education -> employed
# person 3: none -> at_nav
FRAME = pd.DataFrame({
    "person_id": [1, 1, 1, 1, 2, 2, 2, 3, 3],
    "month": ["2016-01", "2016-02", "2016-03", "2016-05", "2016-01", "2016-02", "2016-03", "2016-02", "2016-03"],
    "nav_category": ["standard", "standard", None, "situational", "standard", None, None, None, "standard"],
    "employed": [0, 1, 1, 0, 0, 0, 1, 0, 0],
    "in_education": [0, 0, 0, 0, 0, 1, 0, 0, 0],
    "county": ["Oslo", "Oslo", "Oslo", "Oslo", "Rogaland", "Rogaland", "Rogaland", "Oslo", "Oslo"],
})
PANEL = read_panel(FRAME)


def test_state_of_month_default_priority() -> None:
    states = state_of_month(PANEL)
    assert states["state"].tolist() == [
        "at_nav", "employed", "employed", "at_nav", "at_nav", "in_education", "employed", "none", "at_nav",
    ]
    assert list(states["state"].cat.categories) == list(MONTHLY_STATES)
    assert states["person_id"].tolist() == FRAME["person_id"].tolist()


def test_state_of_month_nav_first() -> None:
    states = state_of_month(PANEL, order=("at_nav", "employed", "in_education", "none"))["state"]
    # person 1 in February is at NAV and employed: now counted as at NAV
    assert states.iloc[1] == "at_nav"
    assert states.iloc[2] == "employed"


@pytest.mark.parametrize(
    "order",
    [
        ("employed", "in_education", "at_nav"),
        ("none", "employed", "in_education", "at_nav"),
        ("employed", "education", "at_nav", "none"),
    ],
    ids=["missing-state", "none-not-last", "unknown-state"],
)
def test_bad_order_is_rejected(order) -> None:
    with pytest.raises(EvalkitError, match="permutation"):
        state_of_month(PANEL, order=order)
    with pytest.raises(EvalkitError, match="permutation"):
        transition_matrix(PANEL, order=order)


def _expected_counts() -> pd.DataFrame:
    # hand count over pairs of consecutive months:
    # p1: at_nav->employed (Jan-Feb), employed->employed (Feb-Mar); Mar->May is a gap
    # p2: at_nav->in_education, in_education->employed;  p3: none->at_nav
    counts = pd.DataFrame(0, index=list(MONTHLY_STATES), columns=list(MONTHLY_STATES))
    counts.loc["at_nav", "employed"] = 1
    counts.loc["employed", "employed"] = 1
    counts.loc["at_nav", "in_education"] = 1
    counts.loc["in_education", "employed"] = 1
    counts.loc["none", "at_nav"] = 1
    return counts


def test_transition_matrix_by_hand() -> None:
    result = transition_matrix(PANEL, normalize=False)
    assert (result.n_pairs, result.n_gaps) == (5, 1)
    counts = result.matrix
    expected = _expected_counts()
    np.testing.assert_array_equal(counts.to_numpy(), expected.to_numpy())
    assert list(counts.index) == list(expected.index) and list(counts.columns) == list(expected.columns)
    probs = result.square("probability")
    np.testing.assert_allclose(probs.loc["at_nav"].to_numpy(), [0.5, 0.5, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(probs.loc["none"].to_numpy(), [0.0, 0.0, 1.0, 0.0], rtol=1e-12)


def test_probabilities_sum_to_one_and_match_a_pandas_count() -> None:
    rng = np.random.default_rng(5)
    n_people, n_months = 40, 12
    frame = pd.DataFrame({
        "person_id": np.repeat(np.arange(n_people), n_months),
        "month": np.tile(pd.period_range("2016-01", periods=n_months, freq="M").astype(str), n_people),
        "employed": rng.integers(0, 2, n_people * n_months),
        "in_education": rng.integers(0, 2, n_people * n_months),
        "nav_category": rng.choice(np.array(["standard", None], dtype=object), n_people * n_months),
        "county": "Oslo",
    })
    frame = frame.sample(frac=0.9, random_state=1)  # creates gaps, shuffles order
    panel = read_panel(frame)
    result = transition_matrix(panel)
    np.testing.assert_allclose(result.matrix.sum(axis=1), 1.0, rtol=1e-12)
    assert result.table["n"].sum() == result.n_pairs
    # independent count: sort, shift, keep consecutive months
    states = state_of_month(panel)
    nxt = states.groupby("person_id").shift(-1)
    step = nxt["month"] - states["month"]
    keep = step == 1
    pairs = pd.crosstab(states.loc[keep, "state"], nxt.loc[keep, "state"], dropna=False)
    expected = pairs.reindex(index=list(MONTHLY_STATES), columns=list(MONTHLY_STATES), fill_value=0)
    np.testing.assert_array_equal(result.square("n").to_numpy(), expected.to_numpy())
    assert result.n_gaps == int((step > 1).sum())


def test_transition_matrix_by_group_uses_origin_month() -> None:
    moved = FRAME.copy()
    moved.loc[6, "county"] = "Agder"  # person 2's March row: destination only
    result = transition_matrix(read_panel(moved), by="county")
    table = result.table
    assert set(table["county"]) == {"Oslo", "Rogaland"}
    rows = table.query("county == 'Rogaland' and n > 0")
    assert sorted(zip(rows["from_state"], rows["to_state"])) == [
        ("at_nav", "in_education"), ("in_education", "employed"),
    ]
    assert table.groupby("county")["n"].sum().to_dict() == {"Oslo": 3, "Rogaland": 2}
    assert np.isnan(table.query("county == 'Rogaland' and from_state == 'none'")["probability"]).all()
    assert result.matrix.index.names == ["county", "from_state"]


def test_stored_panel_gives_the_same_table(tmp_path) -> None:
    FRAME.to_parquet(tmp_path / "panel.parquet")
    stored = scan_panel(tmp_path / "panel.parquet")
    assert stored.is_lazy
    pd.testing.assert_frame_equal(transition_matrix(stored).table, transition_matrix(PANEL).table)
    pd.testing.assert_frame_equal(
        transition_matrix(stored, by="county").table, transition_matrix(PANEL, by="county").table
    )


def test_unknown_grouping_column() -> None:
    with pytest.raises(PanelValidationError, match=r"\['region'\]"):
        transition_matrix(PANEL, by="region")
    with pytest.raises(PanelValidationError, match="person_id and month"):
        transition_matrix(PANEL, by="month")


def test_summary_and_html_mention_gaps() -> None:
    result = transition_matrix(PANEL)
    assert "Gaps skipped: 1" in str(result.summary())
    assert "Gaps skipped" in result._repr_html_()


def test_missing_status_warns_and_breaks_pairs() -> None:
    canonical = PANEL.frame.copy()
    canonical["employed"] = canonical["employed"].astype("Int8").mask(canonical.index == 1)
    panel = in_memory_panel(canonical, replace(PANEL.report))
    with pytest.warns(ExcludedRowsWarning, match="2 pair"):
        result = transition_matrix(panel)
    assert result.n_pairs == 3  # person 1 loses Jan-Feb and Feb-Mar
    assert state_of_month(panel)["state"].isna().sum() == 1


def test_result_is_immutable_in_fact() -> None:
    result = transition_matrix(PANEL)
    for copy in (result.table, result.tidy()):
        copy.loc[0, "n"] = 99
    assert result.table.loc[0, "n"] != 99
    with pytest.raises(AttributeError):
        result.n_gaps = 0  # type: ignore[misc]


def test_panel_not_mutated() -> None:
    before = PANEL.frame.copy()
    transition_matrix(PANEL, by="county")
    state_of_month(PANEL)
    pd.testing.assert_frame_equal(PANEL.frame, before)
