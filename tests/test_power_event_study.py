"""Power of a planned staggered schedule scored as an event study (evalkit.planning.event_study): the cell-level
two-stage DiD and its wild bootstrap are the person-level ones, an added effect moves every interval by exactly
the effect, and the placebo power equals the Monte Carlo power on a known DGP."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_power import DGP, simulate_cells, simulate_history

import evalkit
from evalkit import two_stage_did, wild_cluster_bootstrap
from evalkit.errors import DesignError, EvalkitError, FewClustersWarning
from evalkit.planning import OutcomeCells, PlannedRollout, outcome_cells
from evalkit.planning.event_study import cell_frame, event_study_intervals
from evalkit.planning.placebo import placebo_shifts

STAGGERED = PlannedRollout.parse("2001-01:4,2001-04:4,2001-07:rest")


def test_event_span_of_a_staggered_schedule():
    first, last = STAGGERED.event_span(12)
    assert (evalkit.panel.months.month_label(first), evalkit.panel.months.month_label(last)) == ("2000-03", "2001-06")
    # units in no wave stay comparisons: the span runs on past the last wave's start
    never = PlannedRollout.parse("2001-01:4,2001-04:4")
    assert evalkit.panel.months.month_label(never.event_span(12)[1]) == "2001-06"
    given = PlannedRollout.parse("2001-01:4,2001-04:rest;span=2000-06..2001-03")
    assert given.event_span(12) == (evalkit.panel.parse_month("2000-06"), evalkit.panel.parse_month("2001-03"))
    assert PlannedRollout.parse(given.text).text == given.text
    with pytest.raises(DesignError, match="must contain the first wave's start"):
        PlannedRollout.parse("2001-01:4;span=2001-02..2001-06")
    assert list(STAGGERED.starts(12)) == [STAGGERED.waves[0][0]] * 4 + [STAGGERED.waves[1][0]] * 4 + \
        [STAGGERED.waves[2][0]] * 4


def test_cell_level_event_study_is_the_person_level_two_stage_did_and_its_wild_bootstrap():
    history = simulate_history(months=30, seed=4)
    cells = outcome_cells(history, "y", unit="county", period="month")
    span = STAGGERED.event_span(cells.n_units)
    shift = placebo_shifts(cells, STAGGERED, span=span)[2]
    starts = np.where(STAGGERED.starts(12)[[3, 9, 0, 5, 11, 1, 7, 2, 4, 6, 8, 10]] > 0,
                      STAGGERED.starts(12)[[3, 9, 0, 5, 11, 1, 7, 2, 4, 6, 8, 10]] + shift, 0)
    found = event_study_intervals(cell_frame(cells, (span[0] + shift, span[1] + shift)), starts, n_boot=999,
                                  weight_type="webb", alpha=0.05, gen=np.random.default_rng(7))
    month = pd.PeriodIndex(history["month"], freq="M")
    rows = history.assign(time=month.year * 12 + month.month - 1)
    rows = rows[rows["time"].between(span[0] + shift, span[1] + shift)]
    rows = rows.assign(group=starts[rows["county"].str[1:].astype(int).to_numpy()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit = two_stage_did(rows, y="y", time="time", group="group", unit="county", min_e=0)
        tests = wild_cluster_bootstrap(fit, list(fit.params.index), n_boot=999, weight_type="webb",
                                       rng=np.random.default_rng(7))
    assert list(found) == ["ATT", *[f"event_time::{e}" for e in range(6)]] == list(tests)
    for term, (estimate, lower, upper) in found.items():
        assert estimate == pytest.approx(fit.params[term], rel=1e-10)
        np.testing.assert_allclose([lower, upper], tests[term].interval, rtol=1e-6)


def test_an_added_effect_moves_every_event_study_interval_by_the_effect():
    cells = simulate_cells(months=18, seed=5, **DGP)
    span = STAGGERED.event_span(cells.n_units)
    starts = STAGGERED.starts(12)[::-1].copy()
    frame = cell_frame(cells, span)
    base = event_study_intervals(frame, starts, n_boot=199, weight_type="webb", alpha=0.05,
                                 gen=np.random.default_rng(3))
    effect = 0.07
    treated = (frame["month"].to_numpy() >= starts[frame["unit"].to_numpy()]) & (starts[frame["unit"]] > 0)
    moved = event_study_intervals(frame.assign(y=frame["y"] + effect * treated), starts, n_boot=199,
                                  weight_type="webb", alpha=0.05, gen=np.random.default_rng(3))
    for term, (estimate, lower, upper) in base.items():
        np.testing.assert_allclose(moved[term], (estimate + effect, lower + effect, upper + effect), rtol=1e-6)


#: The validation's plan: 3 + 3 units treated in two waves, 6 comparisons (the July wave) of 12.
VALIDATION_PLAN = PlannedRollout.parse("2001-01:3,2001-04:3,2001-07:rest")


def monte_carlo_event_study_power(effect: float, reps: int, *, plan: PlannedRollout = VALIDATION_PLAN,
                                  seed: int = 41) -> float:
    """Rejection share of "ATT = 0" by the planned wild bootstrap on fresh panels with the effect added."""
    draw = np.random.default_rng(seed)
    template = plan.starts(DGP["units"])
    span = plan.event_span(DGP["units"])
    hits = 0
    for rep in range(reps):
        fresh = simulate_cells(months=18, seed=seed * 100_000 + rep, **DGP)
        starts = draw.permutation(template)
        frame = cell_frame(fresh, span)
        unit = frame["unit"].to_numpy()
        treated = (starts[unit] > 0) & (frame["month"].to_numpy() >= starts[unit])
        frame = frame.assign(y=frame["y"] + effect * treated)
        _, lower, upper = event_study_intervals(frame, starts, n_boot=199, weight_type="webb", alpha=0.05,
                                                gen=draw)["ATT"]
        hits += not lower <= 0.0 <= upper
    return hits / reps


def test_event_study_placebo_power_equals_monte_carlo_power_on_a_known_dgp():
    effect, reps = 0.1, 80
    # placebo spans 16 months apart do not overlap: the 80 placebos are close to independent
    history = simulate_cells(months=16 * 40, seed=12, **DGP)
    result = evalkit.power(history, VALIDATION_PLAN, estimator="event_study", n_assignments=2, shift_step=16,
                           n_boot=199, effects=[0.0, effect], rng=3)
    curves = result.power()
    assert set(curves["term"]) == {"ATT", *[f"event_time::{e}" for e in range(6)]}
    placebo = curves[curves["term"] == "ATT"].set_index("effect")["power"]
    n_placebo = int((result.replications["term"] == "ATT").sum())
    mc_power = monte_carlo_event_study_power(effect, reps)
    se = np.sqrt(mc_power * (1 - mc_power) / reps + placebo[effect] * (1 - placebo[effect]) / n_placebo)
    assert 0.2 < mc_power < 0.8, mc_power
    assert abs(placebo[effect] - mc_power) < 3 * se, (placebo[effect], mc_power, se)
    assert placebo[0.0] < 0.12  # size near 5 % (the Monte Carlo's is 0.04 with 80 panels)
    # later event times have fewer treated units (only the first wave reaches e = 3..5): less power
    at = curves[curves["effect"] == effect].set_index("term")["power"]
    assert at["event_time::5"] < at["ATT"]
    mde = result.mde().set_index("term")
    assert np.isnan(mde.loc["ATT", "analytic_mde"]) and np.isfinite(mde.loc["ATT", "mde"])
    assert (mde.loc["ATT", "n_treated"], mde.loc["ATT", "n_control"]) == (6, 6)  # the July wave is the comparison


def test_event_study_options_are_checked():
    cells = simulate_cells(months=40, seed=2, **DGP)
    with pytest.raises(EvalkitError, match="wild cluster bootstrap only"):
        evalkit.power(cells, STAGGERED, estimator="event_study", inference="randomization")
    with pytest.raises(EvalkitError, match="estimator must be one of"):
        evalkit.power(cells, STAGGERED, estimator="twfe")
    short = OutcomeCells("y", None, cells.units, cells.months[:10], cells.count[:, :10], cells.total[:, :10],
                         cells.squares[:, :10])
    with pytest.raises(DesignError, match="spans 16 entry months"):
        evalkit.power(short, STAGGERED, estimator="event_study")
