"""Planned waves filled within strata (evalkit.power(strata=...), ``evalkit power --strata``): proportional
allocation, placebo assignments enumerated within strata when few and drawn within strata otherwise, and the
stratified randomization test, each checked against brute force over itertools' assignments."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_power import simulate_cells

import evalkit
from evalkit.errors import EvalkitError
from evalkit.planning import PlannedRollout
from evalkit.planning.placebo import placebo_shifts, score_placebos

#: 8 units in two strata of 4; 4 treated in January = 2 per stratum: C(4,2)^2 = 36 assignments.
STRATA = np.array(["a", "b", "a", "b", "b", "a", "b", "a"], dtype=object)
PLAN = PlannedRollout.parse("2001-01:4,2001-07:rest")


def test_wave_sizes_are_spread_over_strata_in_proportion():
    starts = PLAN.starts(8, STRATA)
    treated = starts == PLAN.waves[0][0]
    assert treated.sum() == 4 and treated[STRATA == "a"].sum() == 2
    uneven = np.array(["x"] * 6 + ["y"] * 3 + ["z"] * 3, dtype=object)
    three = PlannedRollout.parse("2001-01:6,2001-04:3,2001-07:rest").starts(12, uneven)
    for stratum, share in (("x", 3), ("y", 1.5), ("z", 1.5)):  # half of each stratum in the first wave
        assert abs((three[uneven == stratum] == three.min()).sum() - share) <= 0.5 + 1e-12
    assert sorted(np.unique(three, return_counts=True)[1]) == [3, 3, 6]


def brute_force(cells, shift: int, z: np.ndarray) -> float:
    """The 2x2 DiD of the person-weighted group means, written out for one assignment."""
    pre, post = PLAN.shifted(shift)

    def mean(units, span):
        cols = (cells.months >= span[0]) & (cells.months <= span[1])
        return cells.total[units][:, cols].sum() / cells.count[units][:, cols].sum()

    t, c = np.flatnonzero(z), np.flatnonzero(~z)
    return mean(t, post) - mean(t, pre) - mean(c, post) + mean(c, pre)


def stratified() -> list[np.ndarray]:
    a, b = np.flatnonzero(STRATA == "a"), np.flatnonzero(STRATA == "b")
    out = []
    for ta in itertools.combinations(a, 2):
        for tb in itertools.combinations(b, 2):
            z = np.zeros(8, dtype=bool)
            z[list(ta + tb)] = True
            out.append(z)
    return out


def test_stratified_power_equals_brute_force_over_all_assignments():
    cells = simulate_cells(units=8, months=40, persons=30, shock_sd=0.05, persistence=0.5, seed=6)
    alpha, effects = 0.1, [0.0, 0.04, 0.08, 0.12]
    result = evalkit.power(cells, PLAN, inference="randomization", strata=dict(zip(cells.units, STRATA)),
                           n_assignments=36, shift_step=3, effects=effects, alpha=alpha, rng=1)
    shifts = placebo_shifts(cells, PLAN, step=3)
    assert len(result.replications) == 36 * len(shifts)  # every stratified assignment at every shift
    everyone = stratified()
    hits = dict.fromkeys(effects, 0)
    for k in shifts:
        reference = np.array([brute_force(cells, k, z) for z in everyone])
        for z in everyone:
            for effect in effects:
                # the effect added to z's post cells moves assignment a's DiD by effect x (share of a's
                # treated post persons that are z's, minus the share of a's comparison post persons that are)
                _, post = PLAN.shifted(k)
                cols = (cells.months >= post[0]) & (cells.months <= post[1])
                n_post = cells.count[:, cols].sum(axis=1)
                moved = np.array([reference[i] + effect * ((n_post[a & z].sum() / n_post[a].sum())
                                                           - n_post[~a & z].sum() / n_post[~a].sum())
                                  for i, a in enumerate(everyone)])
                observed = moved[next(i for i, a in enumerate(everyone) if (a == z).all())]
                p = np.mean(np.abs(moved) >= np.abs(observed) * (1 - 1e-10))
                hits[effect] += p <= alpha
    expected = {e: h / (36 * len(shifts)) for e, h in hits.items()}
    got = result.power().set_index("effect")["power"]
    for effect in effects:
        assert got[effect] == pytest.approx(expected[effect], abs=1e-12), (effect, got[effect], expected[effect])
    assert got[0.12] > got[0.0] + 0.1 and 0 < got[0.0] <= alpha + 0.05


def test_drawn_stratified_assignments_keep_the_counts_per_stratum():
    cells = simulate_cells(units=8, months=30, persons=30, shock_sd=0.05, persistence=0.5, seed=7)
    shift = placebo_shifts(cells, PLAN)[0]
    allowed = {round(brute_force(cells, shift, z), 12) for z in stratified()}
    drawn = score_placebos(cells, PLAN, inference=("wild",), n_assignments=12, n_boot=99, strata=STRATA, rng=2,
                           shift_step=100)
    assert len(drawn) == 12  # fewer than the 36: drawn, not enumerated
    assert {round(v, 12) for v in drawn["estimate"]} <= allowed
    free = score_placebos(cells, PLAN, inference=("wild",), n_assignments=12, n_boot=99, rng=2, shift_step=100)
    assert not {round(v, 12) for v in free["estimate"]} <= allowed  # without strata other splits occur


def test_strata_errors_name_the_units_or_column():
    cells = simulate_cells(units=8, months=30, persons=30, shock_sd=0.05, persistence=0.5, seed=7)
    with pytest.raises(EvalkitError, match=r"2 of 8 units have no stratum \(e.g. \['u06', 'u07'\]\)"):
        evalkit.power(cells, PLAN, strata={u: "a" for u in cells.units[:6]})
    with pytest.raises(EvalkitError, match="names a column, which needs an outcome frame"):
        evalkit.power(cells, PLAN, strata="region")
