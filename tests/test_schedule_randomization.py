"""Randomization inference over rollout schedules, against brute-force enumeration."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference import (
    TIE_RTOL,
    n_schedule_assignments,
    schedule_assignments,
    schedule_randomization_test,
)
from evalkit.results import HypothesisTest, ScheduleRandomizationTest

UNITS = ["a", "b", "c", "d", "e", "f"]
START = {"a": 3, "b": 3, "c": 4, "d": 4, "e": 0, "f": 0}  # waves of 2/2/2 -> 6!/(2!2!2!) = 90
PERIODS = [1, 2, 3, 4, 5]


def _panel(seed: int = 0, effect: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(u, t, START[u]) for u in UNITS for t in PERIODS]
    data = pd.DataFrame(rows, columns=["county", "month", "g"])
    level = dict(zip(UNITS, rng.normal(size=len(UNITS))))
    treated = (data["g"] > 0) & (data["month"] >= data["g"])
    data["y"] = data["county"].map(level) + rng.normal(size=len(data)) + effect * treated
    data["region"] = data["county"].map({"a": "N", "b": "S", "c": "N", "d": "S", "e": "N", "f": "S"})
    return data


def _stat_arrays(y: np.ndarray, t: np.ndarray, g: np.ndarray) -> float:
    """Mean of treated cells minus mean of untreated cells (depends on the assignment)."""
    on = (g > 0) & (t >= g)
    return float(y[on].mean() - y[~on].mean())


def _stat(d: pd.DataFrame) -> float:
    return _stat_arrays(d["y"].to_numpy(), d["month"].to_numpy(), d["g"].to_numpy())


def _brute_force(data: pd.DataFrame) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Every distinct schedule by permuting the 6 start values (720 permutations, 90 distinct)."""
    schedules = sorted(set(itertools.permutations([START[u] for u in UNITS])))
    unit_index = data["county"].map({u: i for i, u in enumerate(UNITS)}).to_numpy()
    y, t = data["y"].to_numpy(), data["month"].to_numpy()
    return schedules, np.array([_stat_arrays(y, t, np.array(s)[unit_index]) for s in schedules])


def test_exact_against_brute_force_enumeration() -> None:
    data = _panel(1, effect=0.8)
    res = schedule_randomization_test(data, _stat, unit="county", group="g")
    schedules, brute = _brute_force(data)
    assert len(schedules) == 90 == res.n_possible == res.n_assignments
    assert res.exact
    np.testing.assert_allclose(np.sort(res.distribution), np.sort(brute), rtol=1e-12)
    observed = _stat(data)
    assert res.statistic == pytest.approx(observed, rel=1e-12)
    count = np.sum(np.abs(brute) >= abs(observed) * (1 - TIE_RTOL))
    assert res.p_value == pytest.approx(count / 90, rel=1e-12)
    greater = schedule_randomization_test(data, _stat, unit="county", group="g", alternative="greater")
    assert greater.p_value == pytest.approx(np.sum(brute >= observed - TIE_RTOL * abs(observed)) / 90)
    assert res.waves == ((0.0, 2), (3.0, 2), (4.0, 2))


def test_enumeration_is_every_distinct_assignment_with_the_observed_one() -> None:
    start = np.array([START[u] for u in UNITS])
    Z, exact = schedule_assignments(start)
    assert exact and Z.shape == (90, 6)
    assert len({tuple(z) for z in Z}) == 90  # all distinct
    assert {tuple(z) for z in Z} == set(itertools.permutations(start))
    assert any(np.array_equal(z, start) for z in Z)  # the observed assignment is included
    for z in Z:
        assert sorted(z) == sorted(start)  # wave sizes and dates kept
    assert Z.dtype == start.dtype


def test_observed_statistic_is_in_the_exact_distribution() -> None:
    data = _panel(2)
    res = schedule_randomization_test(data, _stat, unit="county", group="g")
    assert np.any(np.isclose(res.distribution, res.statistic, rtol=1e-12))
    assert res.p_value >= 1 / 90


def test_multinomial_counts() -> None:
    assert n_schedule_assignments(np.array([1] * 6 + [0] * 12)) == math.comb(18, 6) == 18_564
    assert n_schedule_assignments(np.array([5, 5, 7, 7, 7, 0, 0, 0, 0])) == math.factorial(9) // (2 * 6 * 24)
    strata = np.array(["N", "N", "N", "S", "S", "S"])
    assert n_schedule_assignments(np.array([3, 4, 0, 3, 4, 0]), strata) == 6 * 6


def test_eighteen_counties_six_treated_is_exact_by_default() -> None:
    Z, exact = schedule_assignments(np.array([7] * 6 + [0] * 12))
    assert exact and Z.shape == (18_564, 18)
    assert np.all((Z == 7).sum(axis=1) == 6)
    assert len(np.unique(Z, axis=0)) == 18_564


def test_sampled_run_is_reproducible_and_counts_the_observed_once() -> None:
    data = _panel(3, effect=0.5)
    kw = dict(unit="county", group="g", max_assignments=10, n_draws=200)
    one = schedule_randomization_test(data, _stat, rng=5, **kw)
    two = schedule_randomization_test(data, _stat, rng=5, **kw)
    other = schedule_randomization_test(data, _stat, rng=6, **kw)
    assert not one.exact and one.n_assignments == 200 and one.n_possible == 90
    np.testing.assert_array_equal(one.distribution, two.distribution)
    assert one.p_value == two.p_value
    assert not np.array_equal(one.distribution, other.distribution)
    count = np.sum(np.abs(one.distribution) >= abs(one.statistic) * (1 - TIE_RTOL))
    assert one.p_value == pytest.approx((1 + count) / 201)
    gen = np.random.default_rng(5)
    three = schedule_randomization_test(data, _stat, rng=gen, **kw)
    np.testing.assert_array_equal(three.distribution, one.distribution)  # a generator is used as is


def test_sampled_draws_are_uniform_over_assignments() -> None:
    start = np.array([START[u] for u in UNITS])
    Z, exact = schedule_assignments(start, max_assignments=1, n_draws=9000, rng=11)
    assert not exact
    counts = pd.Series([tuple(z) for z in Z]).value_counts()
    assert len(counts) == 90  # every assignment drawn
    assert counts.max() < 100 * 1.6 and counts.min() > 100 * 0.5  # about 100 each


@pytest.mark.parametrize("max_assignments", [1_000, 1])
def test_strata_are_respected(max_assignments: int) -> None:
    data = _panel(4)
    seen: list[pd.Series] = []

    def record(d: pd.DataFrame) -> float:
        per_unit = d.groupby("county")["g"].first()
        seen.append(per_unit)
        return _stat(d)

    res = schedule_randomization_test(
        data, record, unit="county", group="g", strata="region", max_assignments=max_assignments, n_draws=50, rng=1
    )
    region = data.groupby("county")["region"].first()
    observed = data.groupby("county")["g"].first()
    for per_unit in seen:
        for r in ("N", "S"):
            in_r = region.index[region == r]
            assert sorted(per_unit[in_r]) == sorted(observed[in_r])
    assert res.strata == "region" and res.n_strata == 2
    assert res.n_possible == 36  # 3! per region: a, c, e in N start 3, 4, 0; b, d, f in S likewise
    if max_assignments > 36:
        assert res.exact and res.n_assignments == 36
        assert len({tuple(s) for s in seen[1:]}) == 36
    else:
        assert not res.exact and res.n_assignments == 50


def test_schedule_assignments_with_strata_enumerates_the_product() -> None:
    start = np.array([3, 4, 0, 3, 4, 0, 0])
    strata = np.array([0, 0, 0, 1, 1, 1, 1])
    Z, exact = schedule_assignments(start, strata)
    assert exact and Z.shape == (6 * 12, 7)
    assert len({tuple(z) for z in Z}) == 72
    for z in Z:
        assert sorted(z[:3]) == [0, 3, 4] and sorted(z[3:]) == [0, 0, 3, 4]


def test_result_protocol_and_read_only_distribution() -> None:
    res = schedule_randomization_test(_panel(5), _stat, unit="county", group="g", term="treated - untreated")
    assert isinstance(res, ScheduleRandomizationTest) and isinstance(res, HypothesisTest)
    with pytest.raises(ValueError):
        res.distribution[0] = 1.0
    ci = res.conf_int()
    assert list(ci.columns) == ["lower", "upper"] and ci.isna().all().all()
    row = res.tidy().iloc[0]
    assert row["term"] == "treated - untreated" and row["n_assignments"] == 90 and bool(row["exact"])
    assert row["waves"] == "never: 2, 3: 2, 4: 2"
    assert "90 assignments enumerated" in str(res)
    assert res.summary().title == "Randomization test over rollout schedules"


def test_data_not_modified_and_integer_group_kept() -> None:
    data = _panel(6)
    before = data.copy()
    dtypes = set()

    def stat(d: pd.DataFrame) -> float:
        dtypes.add(d["g"].dtype)
        return _stat(d)

    schedule_randomization_test(data, stat, unit="county", group="g")
    pd.testing.assert_frame_equal(data, before)
    assert dtypes == {before["g"].dtype}


def test_never_treated_coded_inf_or_mixed() -> None:
    data = _panel(7)
    base = schedule_randomization_test(data, _stat, unit="county", group="g")
    as_inf = data.assign(g=data["g"].astype(float).replace(0.0, np.inf))
    mixed = as_inf.assign(g=np.where(as_inf["county"] == "e", 0.0, as_inf["g"]))
    for d in (as_inf, mixed):
        seen: set[float] = set()

        def stat(x: pd.DataFrame) -> float:
            g = x["g"].to_numpy()
            seen.update(g[(g == 0) | np.isinf(g)])
            return _stat_arrays(x["y"].to_numpy(), x["month"].to_numpy(), np.where(np.isinf(g), 0, g))

        res = schedule_randomization_test(d, stat, unit="county", group="g")
        assert res.n_possible == 90  # 0 and inf are one never-treated wave
        np.testing.assert_allclose(np.sort(res.distribution), np.sort(base.distribution), rtol=1e-12)
        assert len(seen) == 1


def test_errors_name_the_problem() -> None:
    data = _panel(8)
    with pytest.raises(EvalkitError, match="'cnty'"):
        schedule_randomization_test(data, _stat, unit="cnty", group="g")
    with pytest.raises(EvalkitError, match="'first'"):
        schedule_randomization_test(data, _stat, unit="county", group="first")
    varying = data.assign(g=np.where((data["county"] == "b") & (data["month"] == 5), 4, data["g"]))
    with pytest.raises(EvalkitError, match=r"varies within 1 unit\(s\) of 'county' \(e.g. \['b'\]\)"):
        schedule_randomization_test(varying, _stat, unit="county", group="g")
    with pytest.raises(EvalkitError, match="1 missing values.*code never-treated units as 0"):
        schedule_randomization_test(data.assign(g=data["g"].where(data.index != 3)), _stat, unit="county", group="g")
    with pytest.raises(EvalkitError, match="'region'.*varies"):
        schedule_randomization_test(
            data.assign(region=np.where(data["month"] == 1, "X", data["region"])),
            _stat, unit="county", group="g", strata="region",
        )
    with pytest.raises(EvalkitError, match="numeric"):
        schedule_randomization_test(data.assign(g=data["g"].astype(str)), _stat, unit="county", group="g")
    with pytest.raises(DesignError, match="single possible assignment"):
        schedule_randomization_test(data.assign(g=3), _stat, unit="county", group="g")
    one_wave_per_region = data.assign(g=np.where(data["region"] == "N", 3, 0))
    with pytest.raises(DesignError, match="every stratum of 'region'"):
        schedule_randomization_test(one_wave_per_region, _stat, unit="county", group="g", strata="region")
    for bad in (0, -5, 2.5, True):
        with pytest.raises(EvalkitError, match="n_draws must be a positive integer"):
            schedule_randomization_test(data, _stat, unit="county", group="g", max_assignments=1, n_draws=bad)
    with pytest.raises(EvalkitError, match="max_assignments"):
        schedule_randomization_test(data, _stat, unit="county", group="g", max_assignments=0)
    with pytest.raises(EvalkitError, match="alternative"):
        schedule_randomization_test(data, _stat, unit="county", group="g", alternative="both")
    with pytest.raises(EvalkitError, match="rng"):
        schedule_randomization_test(data, _stat, unit="county", group="g", max_assignments=1, rng=-1)
    with pytest.raises(EvalkitError, match="must return a number"):
        schedule_randomization_test(data, lambda d: "x", unit="county", group="g")
    with pytest.raises(EvalkitError, match="observed schedule"):
        schedule_randomization_test(data, lambda d: float("nan"), unit="county", group="g")

    def nan_when_a_never(d: pd.DataFrame) -> float:
        return float("nan") if d.loc[d["county"] == "a", "g"].iloc[0] == 0 else _stat(d)

    with pytest.raises(DesignError, match=r"not finite under 30 of 90 reassignments"):
        schedule_randomization_test(data, nan_when_a_never, unit="county", group="g")


def test_with_att_gt() -> None:
    from evalkit.estimators import att_gt
    from evalkit.simulate import simulate_staggered

    d = simulate_staggered(12, 5, {3: 0.25, 4: 0.25}, effect=4.0, rng=np.random.default_rng(1)).data

    def att(x: pd.DataFrame) -> float:
        return float(att_gt(x, y="y", time="time", group="first_treated", unit="unit").aggregate("simple").params.iloc[0])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = schedule_randomization_test(
            d, att, unit="unit", group="first_treated", max_assignments=100, n_draws=39, rng=3, term="ATT"
        )
    assert res.statistic == pytest.approx(att(d), rel=1e-12)
    assert res.n_possible == math.factorial(12) // (math.factorial(7) * 2 * 6)
    assert not res.exact and res.n_assignments == 39
    assert res.p_value < 0.05  # an effect of 4 against unit, period and noise sd 1, 0.5, 1: far in the tail


def test_size_under_the_null() -> None:
    """Rejections at 10 % of the exact test are about 10 % (seeded, 200 panels)."""
    rejections = []
    for seed in range(200):
        data = _panel(1000 + seed)
        y, t = data["y"].to_numpy(), data["month"].to_numpy()
        res = schedule_randomization_test(
            data, lambda d: _stat_arrays(y, t, d["g"].to_numpy()), unit="county", group="g"
        )
        rejections.append(res.p_value <= 0.10)
    rate = float(np.mean(rejections))
    assert 0.05 <= rate <= 0.15, rate  # exact size 9/90 = 0.1 when no ties; Monte Carlo se 0.021
