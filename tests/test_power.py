"""Power of planned rollouts (evalkit.power, package evalkit.planning): the cell-level scoring is the person-level planned
test, a detected effect is a rejection once the effect is added, the randomization fast path is
did_randomization_test, and placebo power equals Monte Carlo power on a known DGP."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit import did2x2, did_randomization_test, wild_cluster_bootstrap
from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning, FewClustersWarning
from evalkit.planning import OutcomeCells, PlannedRollout, outcome_cells
from evalkit.planning.analytic import variance_components
from evalkit.planning.placebo import AssignmentDid, WindowSums, _randomization_intervals, _wild_interval, placebo_shifts
from evalkit.planning.result import detected, minimum_detectable
from evalkit.inference import assignments
from evalkit.report.json_contract import dumps, validate


def simulate_history(*, units: int = 12, months: int = 60, persons: int = 30, shock_sd: float = 0.03,
                     persistence: float = 0.8, seed: int = 0, start: str = "2000-01") -> pd.DataFrame:
    """Person-level binary outcomes with unit effects, month effects and AR(1) unit x month shocks."""
    rng = np.random.default_rng(seed)
    unit_effect = rng.normal(0, 0.05, units)
    month_effect = rng.normal(0, 0.02, months)
    shock = np.empty((units, months))
    shock[:, 0] = rng.normal(0, shock_sd, units)
    for t in range(1, months):
        shock[:, t] = persistence * shock[:, t - 1] + rng.normal(0, shock_sd * np.sqrt(1 - persistence**2), units)
    n = rng.poisson(persons, (units, months)) + 1
    p = np.clip(0.35 + unit_effect[:, None] + month_effect[None, :] + shock, 0.01, 0.99)
    labels = pd.period_range(start, periods=months, freq="M").astype(str)
    unit_of = np.repeat(np.repeat(np.arange(units), months), n.ravel())
    month_of = np.repeat(np.tile(np.arange(months), units), n.ravel())
    y = rng.uniform(size=unit_of.size) < p[unit_of, month_of]
    return pd.DataFrame({"county": [f"u{u:02d}" for u in unit_of], "month": labels[month_of], "y": y.astype(float)})


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return simulate_history(months=30, seed=1)


def person_2x2(history: pd.DataFrame, plan: PlannedRollout, shift: int, treated_units: list[str]) -> pd.DataFrame:
    """The placebo rollout's person rows: pre/post window entrants with treated and post indicators."""
    month = pd.PeriodIndex(history["month"], freq="M")
    index = month.year * 12 + month.month - 1
    pre, post = plan.shifted(shift)
    in_pre = (index >= pre[0]) & (index <= pre[1])
    in_post = (index >= post[0]) & (index <= post[1])
    rows = history[in_pre | in_post].copy()
    rows["post"] = in_post[in_pre | in_post].astype(int)
    rows["treated"] = rows["county"].isin(treated_units).astype(int)
    return rows


PLAN = PlannedRollout.parse("2001-01:4,2001-07:rest")


def test_planned_rollout_reads_the_fui_schedule_and_its_windows():
    plan = PlannedRollout.parse("2017-01:6,2017-07:rest")
    assert plan.post == (evalkit.panel.parse_month("2017-03"), evalkit.panel.parse_month("2017-06"))
    assert plan.pre == (evalkit.panel.parse_month("2016-03"), evalkit.panel.parse_month("2016-06"))
    assert plan.sizes(18) == (6, 12)
    assert PlannedRollout.parse(plan.text).text == plan.text
    longer = PlannedRollout.parse("2017-01:9;post=2017-02..2017-09")
    assert longer.sizes(18) == (9, 9) and longer.pre[1] - longer.pre[0] == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2017-01:6,2017-04:rest;post=2017-03..2017-06", "inside the post window"),
        ("2017-01:6,2017-07:rest,2017-09:rest", "only one wave"),
        ("2017-01:0", "positive whole number"),
        ("2017-13:6", "cannot read '2017-13'"),
        ("2017-01:6;post=2017-03..2017-01", "ends before it starts"),
        ("2017-01:6;post=2017-03..2017-06;pre=2016-12..2017-04", "must end before the post"),
        ("2017-01-6", "'month:units'"),
        ("2017-01:6;during=2017-03..2017-06", "'pre=first..last'"),
    ],
)
def test_planned_rollout_errors_name_the_wave_or_window(text, message):
    with pytest.raises(DesignError, match=message):
        PlannedRollout.parse(text)


def test_a_schedule_needing_more_units_than_the_data_is_an_error():
    with pytest.raises(DesignError, match="needs 20 units but the data have 18"):
        PlannedRollout.parse("2017-01:20").sizes(18)
    with pytest.raises(DesignError, match="no comparison"):
        PlannedRollout.parse("2017-01:rest").sizes(18)


def test_cell_level_wild_bootstrap_is_the_person_level_planned_test(history):
    cells = outcome_cells(history, "y", unit="county", period="month")
    shift = placebo_shifts(cells, PLAN)[3]
    z = np.zeros(cells.n_units, dtype=bool)
    z[[0, 3, 5, 9]] = True
    sums = WindowSums.of(cells, *PLAN.shifted(shift))
    estimate, lower, upper = _wild_interval(sums, z, n_boot=999, weight_type="webb", alpha=0.05,
                                            gen=np.random.default_rng(7))
    rows = person_2x2(history, PLAN, shift, [cells.units[i] for i in np.flatnonzero(z)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit = did2x2(rows, "y", treated="treated", post="post", cluster="county")
    test = wild_cluster_bootstrap(fit, fit.effect_term, n_boot=999, weight_type="webb", rng=np.random.default_rng(7))
    assert estimate == pytest.approx(fit.effect, rel=1e-10)
    np.testing.assert_allclose([lower, upper], test.interval, rtol=1e-6)


def test_an_effect_is_detected_exactly_when_the_planned_test_rejects_it_added(history):
    cells = outcome_cells(history, "y", unit="county", period="month")
    shift = placebo_shifts(cells, PLAN)[0]
    z = np.zeros(cells.n_units, dtype=bool)
    z[[1, 2, 7, 11]] = True
    sums = WindowSums.of(cells, *PLAN.shifted(shift))
    _, lower, upper = _wild_interval(sums, z, n_boot=499, weight_type="webb", alpha=0.05, gen=np.random.default_rng(3))
    rows = person_2x2(history, PLAN, shift, [cells.units[i] for i in np.flatnonzero(z)])
    width = upper - lower
    for effect in (-lower - 0.05 * width, -lower + 0.05 * width, -upper - 0.05 * width, -upper + 0.05 * width, 0.0):
        shifted = rows.assign(y=rows["y"] + effect * rows["treated"] * rows["post"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            fit = did2x2(shifted, "y", treated="treated", post="post", cluster="county")
        test = wild_cluster_bootstrap(fit, fit.effect_term, n_boot=499, weight_type="webb", ci=False,
                                      rng=np.random.default_rng(3))
        assert bool(detected(effect, np.array([lower]), np.array([upper]))[0]) == (test.p_value <= 0.05), effect


def test_randomization_fast_path_is_did_randomization_test(history):
    cells = outcome_cells(history, "y", unit="county", period="month")
    shift = placebo_shifts(cells, PLAN)[5]
    sums = WindowSums.of(cells, *PLAN.shifted(shift))
    Z, exact = assignments(cells.n_units, 4)
    placebo = Z[[17, 300]]
    found = _randomization_intervals(sums, placebo, Z, exact, alpha=0.1)
    for z, (estimate, lower, upper) in zip(placebo, found):
        rows = person_2x2(history, PLAN, shift, [cells.units[i] for i in np.flatnonzero(z)])
        ref = did_randomization_test(rows, "y", unit="county", treated="treated", post="post", alpha=0.1)
        np.testing.assert_allclose(AssignmentDid(sums, Z.astype(float)).outcome(), ref.distribution, rtol=1e-9,
                                   atol=1e-12)
        assert estimate == pytest.approx(ref.statistic, rel=1e-9)
        np.testing.assert_allclose([lower, upper], ref.conf_int(0.1).iloc[0].to_numpy(), rtol=1e-6)


def test_cells_with_counts_give_the_same_placebos_as_person_rows(history):
    cells_rows = history.groupby(["county", "month"], as_index=False).agg(y=("y", "mean"), n=("y", "size"))
    a = evalkit.power(history, PLAN, outcomes="y", period="month", inference="randomization", n_assignments=3, rng=4)
    b = evalkit.power(cells_rows, PLAN, outcomes="y", period="month", count="n", inference="randomization",
                      n_assignments=3, rng=4)
    pd.testing.assert_frame_equal(a.replications, b.replications, rtol=1e-9)


def test_minimum_detectable_effect_is_the_step_where_power_stays_above_target():
    lower = np.array([-0.1, -0.2, -0.3, -0.4, -np.inf])
    upper = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert minimum_detectable(lower, upper, 0.6) == pytest.approx(0.3)
    assert minimum_detectable(lower, upper, 0.8) == pytest.approx(0.4)
    assert minimum_detectable(lower, upper, 0.9) == np.inf  # the unbounded interval never detects
    grid = np.linspace(0, 1, 201)
    share = np.array([detected(e, lower, upper).mean() for e in grid])
    assert share[grid > 0.4 + 1e-9].min() >= 0.8 and share[(grid > 0.3) & (grid < 0.4)].max() < 0.8


def test_variance_components_recover_the_shock_variance():
    rng = np.random.default_rng(5)
    U, T, m = 30, 80, 200
    tau, sigma2 = 0.02, 0.25
    shocks = rng.normal(0, tau, (U, T))
    n = np.full((U, T), float(m))
    total = (0.5 + shocks) * m + rng.normal(0, np.sqrt(sigma2 * m), (U, T))
    squares = total**2 / m + sigma2 * (m - 1)  # sum of squares of persons with variance sigma2 around the cell mean
    cells = OutcomeCells("y", None, tuple(f"u{u}" for u in range(U)), np.arange(T), n, total, squares)
    vc = variance_components(cells, 1)
    assert vc.sigma2 == pytest.approx(sigma2, rel=1e-9)
    assert vc.tau2 == pytest.approx(tau**2, rel=0.1)
    assert vc.icc == pytest.approx(tau**2 / (tau**2 + sigma2), rel=0.1)


def simulate_cells(*, units: int, months: int, persons: int, shock_sd: float, persistence: float,
                   seed: int) -> OutcomeCells:
    """The DGP of :func:`simulate_history` drawn as unit x month counts and sums (binary outcomes)."""
    rng = np.random.default_rng(seed)
    unit_effect = rng.normal(0, 0.05, units)
    month_effect = rng.normal(0, 0.02, months)
    shock = np.empty((units, months))
    shock[:, 0] = rng.normal(0, shock_sd, units)
    for t in range(1, months):
        shock[:, t] = persistence * shock[:, t - 1] + rng.normal(0, shock_sd * np.sqrt(1 - persistence**2), units)
    n = (rng.poisson(persons, (units, months)) + 1).astype(float)
    total = rng.binomial(n.astype(int), np.clip(0.35 + unit_effect[:, None] + month_effect + shock, 0.01, 0.99))
    start = 2000 * 12  # January 2000 as a month index
    return OutcomeCells("y", None, tuple(f"u{u:02d}" for u in range(units)), np.arange(start, start + months), n,
                        total.astype(float), total.astype(float))


#: The known DGP of the validation (benchmarks/bench_power.py runs it larger): persistent unit x month
#: shocks (AR(1), 0.8) that dominate the person-level noise.
DGP = {"units": 12, "persons": 30, "shock_sd": 0.06, "persistence": 0.8}
VALIDATION_PLAN = "2001-01:4,2001-07:rest"


def monte_carlo_power(plan: PlannedRollout, effects: list[float], reps: int, *, seed: int = 99,
                      alpha: float = 0.05) -> dict[float, float]:
    """Rejection share of the planned randomization test on fresh panels with the effect added.

    Each replication simulates only the design's months (2000-03 .. 2001-06), draws the
    treated units and adds the effect to their post-window outcomes, then tests "no effect"
    over all assignments (the test of did_randomization_test, its fast path checked above).
    """
    from evalkit.inference import resampling_p_value

    n_treated, _ = plan.sizes(DGP["units"])
    Z, exact = assignments(DGP["units"], n_treated)
    draw = np.random.default_rng(seed)
    hits = {e: 0 for e in effects}
    for rep in range(reps):
        fresh = simulate_cells(months=18, seed=seed * 100_000 + rep, **DGP)
        sums = WindowSums.of(fresh, plan.pre, plan.post)
        z = Z[draw.integers(len(Z))].astype(float)
        for effect in effects:
            treated = WindowSums(sums.n_pre, sums.s_pre, sums.n_post, sums.s_post + effect * sums.n_post * z)
            observed = float(AssignmentDid(treated, z[None, :]).outcome()[0])
            reference = AssignmentDid(treated, Z.astype(float)).outcome()
            hits[effect] += resampling_p_value(observed, reference, add_observed=not exact) <= alpha
    return {e: h / reps for e, h in hits.items()}


def test_placebo_power_equals_monte_carlo_power_on_a_known_dgp():
    """Placebo rollouts on one long simulated history vs fresh panels with the effect added."""
    plan = PlannedRollout.parse(VALIDATION_PLAN)
    effect, reps = 0.1, 600
    history = simulate_cells(months=1200, seed=11, **DGP)
    result = evalkit.power(history, plan, inference="randomization", n_assignments=3, shift_step=4,
                           effects=[0.0, effect], rng=2)
    placebo = result.power().set_index("effect")["power"]
    mc_power = monte_carlo_power(plan, [effect], reps)[effect]
    # placebo replications from overlapping windows are correlated: count them as a quarter as many
    placebo_var = placebo[effect] * (1 - placebo[effect]) / (len(result.replications) / 4)
    se = np.sqrt(mc_power * (1 - mc_power) / reps + placebo_var)
    assert 0.25 < mc_power < 0.75  # the effect sits where power is most sensitive
    assert abs(placebo[effect] - mc_power) < 3 * se, (placebo[effect], mc_power, se)
    assert placebo[0.0] < 0.09  # size near 5 %
    # ignoring the shocks (persons independent) claims far more power than either
    iid_se = np.sqrt(0.23 / (30 * 4) * 2 * (1 / 4 + 1 / 8))
    iid_power = float(evalkit.planning.analytic.analytic_power(np.array([effect]), iid_se, 10, 0.05)[0])
    assert iid_power > mc_power + 6 * np.sqrt(mc_power * (1 - mc_power) / reps)


def test_result_tables_plot_and_json(history, tmp_path):
    result = evalkit.power(history, {"four": PLAN, "six": "2001-01:6,2001-07:rest"}, outcomes="y", period="month",
                           inference=["wild", "randomization"], n_assignments=2, n_boot=199, shift_step=4, rng=1)
    tidy = result.tidy()
    assert set(tidy["schedule"]) == {"four", "six"} and set(tidy["inference"]) == {"wild", "randomization"}
    assert tidy["power"].between(0, 1).all() and len(tidy) == 4 * len(result.effects)
    mde = result.mde()
    assert list(mde["n_treated"]) == [4, 4, 6, 6]
    assert "Power of planned rollouts" in str(result.summary())
    assert "<table" in result._repr_html_() and repr(result).startswith("<PowerResult")
    assert "| four | y |" in result.to_markdown()
    document = result.results_document()
    validate(document)
    assert dumps(document)
    import matplotlib

    matplotlib.use("Agg")
    result.plot().savefig(tmp_path / "power.png")
    frame = result.replications
    frame.loc[:, "estimate"] = 99.0
    assert not (result.replications["estimate"] == 99.0).any()  # frames are copies
    with pytest.raises(TypeError):
        result.options["alpha"] = 0.1  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcomes": "z"}, r"column\(s\) \['z'\] are not in the outcome frame"),
        ({"inference": "cr1"}, "inference must be distinct names among"),
        ({"alpha": 1.5}, "alpha must lie strictly between 0 and 1"),
        ({"n_assignments": 0}, "n_assignments must be a positive whole number"),
        ({"before": "soon"}, "before: cannot read 'soon'"),
        ({"before": "2000-06"}, "spans 16 entry months"),
        ({"period": "y"}, "period column 'y'"),
    ],
)
def test_power_errors_name_the_option_or_column(history, kwargs, message):
    options = {"outcomes": "y", "period": "month", "n_assignments": 1, **kwargs}
    with pytest.raises(EvalkitError, match=message):
        evalkit.power(history, PLAN, **options)


def test_power_on_entry_cohorts_of_a_panel():
    from evalkit.panel import read_panel
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    data = simulate_fui_panel(scale=0.02, seed=3, effects={"employment": 0.0, "education": 0.0})
    with pytest.warns(ExcludedRowsWarning, match=r"missing covariate \(\{'education_level'"):
        result = evalkit.power(read_panel(data.panel), "2017-01:6,2017-07:rest", outcomes="employed", horizons=(3,),
                               n_assignments=1, n_boot=99, shift_step=4, rng=1, covariates=("age", "education_level"))
    design = result.designs.iloc[0]
    assert design["covariates"].startswith("age, education_level::")  # the entries' columns, levels as indicators
    assert design["outcome"] == "employed_3" and design["horizon"] == 3
    assert design["n_treated"] == 6 and design["n_control"] == 12
    assert design["excluded_rows"] > 0  # entries of the last 3 months are censored, counted
    assert np.isfinite(result.mde()["analytic_mde"]).all()
