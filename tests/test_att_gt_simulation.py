"""Recovery of a known ATT(g,t) on simulated staggered panels where static TWFE is biased,
invariances (relabelling, time shift, outcome shift), weights, anticipation and plots."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.estimators.att_gt import att_gt
from evalkit.simulate import simulate_staggered

matplotlib.use("Agg")
KW = dict(y="y", time="time", group="first_treated", unit="unit")


def dynamic_effect(e: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Effects growing with exposure and larger for early cohorts."""
    return (1.0 + 0.5 * e) * np.where(g <= 4, 2.0, 1.0)


@pytest.fixture(scope="module")
def sim():
    return simulate_staggered(3000, 8, {3: 0.3, 5: 0.3, 7: 0.2}, effect=dynamic_effect, rng=np.random.default_rng(11))


def test_simulated_truth(sim) -> None:
    truth = sim.true_att.set_index(["group", "time"])["att"]
    assert truth[(3, 2)] == 0 and truth[(3, 3)] == 2.0 and truth[(5, 7)] == 2.0
    assert sim.data.groupby("unit")["first_treated"].nunique().max() == 1


def test_att_gt_recovers_truth_where_twfe_is_biased(sim) -> None:
    res = att_gt(sim.data, **KW, est_method="reg")
    truth = sim.true_att.set_index(["group", "time"])["att"]
    true = truth.loc[list(zip(res.group, res.time))].to_numpy()
    z = (res.params.to_numpy() - true) / res.std_errors.to_numpy()
    assert np.max(np.abs(z)) < 4.5
    dyn = res.aggregate("dynamic")
    true_dyn = sim.true_dynamic().loc[dyn.term_values.drop("ATT").to_numpy(dtype=int)]
    np.testing.assert_allclose(dyn.params.drop("ATT"), true_dyn, atol=0.2)
    simple = res.aggregate("simple")
    post = sim.data[sim.data["treated"] == 1]
    true_simple = dynamic_effect(post["time"] - post["first_treated"], post["first_treated"]).mean()
    # static TWFE on the balanced panel: two-way demeaning (FWL), then OLS through the origin
    d = sim.data
    within = d[["y", "treated"]] - d.groupby("unit")[["y", "treated"]].transform("mean") - d.groupby("time")[["y", "treated"]].transform("mean") + d[["y", "treated"]].mean()
    twfe = sm.OLS(within["y"], within["treated"]).fit().params["treated"]
    assert abs(simple.params["ATT"] - true_simple) < 0.1
    assert abs(twfe - true_simple) > 0.5  # static TWFE is visibly biased here


def test_invariances(sim) -> None:
    base = att_gt(sim.data, **KW)
    shifted = sim.data.assign(
        y=sim.data["y"] + 100.0, time=sim.data["time"] + 2000,
        first_treated=np.where(sim.data["first_treated"] > 0, sim.data["first_treated"] + 2000, 0),
        unit=sim.data["unit"].max() - sim.data["unit"],
    )
    res = att_gt(shifted, **KW)
    np.testing.assert_allclose(res.params, base.params, atol=1e-9)
    np.testing.assert_allclose(res.std_errors, base.std_errors, rtol=1e-9)
    np.testing.assert_array_equal(res.group, base.group + 2000)


def test_fast_path_equals_rcs_on_two_periods() -> None:
    """On two periods, panel and cross-section regression DiD give the same point estimate."""
    sim = simulate_staggered(400, 2, {2: 0.5}, effect=1.0, rng=np.random.default_rng(5))
    panel = att_gt(sim.data, **KW, est_method="reg")
    rcs = att_gt(sim.data, **KW, est_method="reg", panel=False)
    np.testing.assert_allclose(panel.params, rcs.params, atol=1e-10)


def test_conditional_parallel_trends_need_covariates() -> None:
    sim = simulate_staggered(4000, 5, {3: 0.5}, effect=1.0, trend_x=0.5, x_shift=0.3, rng=np.random.default_rng(2))
    plain = att_gt(sim.data, **KW).aggregate("simple").params["ATT"]
    adjusted = {m: att_gt(sim.data, **KW, covariates=["x"], est_method=m).aggregate("simple").params["ATT"] for m in ("reg", "ipw", "dr")}
    assert abs(plain - 1.0) > 0.3
    for method, value in adjusted.items():
        assert abs(value - 1.0) < 0.15, method


def test_integer_weights_equal_duplicated_units() -> None:
    sim = simulate_staggered(300, 4, {3: 0.5}, effect=1.0, rng=np.random.default_rng(3))
    data = sim.data.assign(w=np.where(sim.data["unit"] % 3 == 0, 2.0, 1.0))
    dup = data[data["w"] == 2].assign(unit=lambda f: f["unit"] + 10_000)
    weighted = att_gt(data, **KW, weights="w", covariates=["x"])
    duplicated = att_gt(pd.concat([data, dup]), **KW, covariates=["x"])
    np.testing.assert_allclose(weighted.params, duplicated.params, atol=1e-10)


def test_anticipation_shifts_base_period() -> None:
    sim = simulate_staggered(2000, 6, {4: 0.5}, effect=lambda e, g: np.where(e >= -1, 1.0, 0.0), rng=np.random.default_rng(4))
    data = sim.data.copy()
    data.loc[(data["first_treated"] == 4) & (data["time"] == 3), "y"] += 1.0  # reacts one period early
    res = att_gt(data, **KW, anticipation=1)
    np.testing.assert_allclose(res.params[res.group <= res.time], 1.0, atol=0.2)  # base period t=2
    naive = att_gt(data, **KW)
    np.testing.assert_allclose(naive.params[naive.group <= naive.time], 0.0, atol=0.2)  # base t=3 contaminated


@settings(max_examples=10, deadline=None)
@given(st.floats(-50, 50), st.integers(0, 10_000))
def test_outcome_shift_leaves_att_unchanged(shift: float, seed: int) -> None:
    sim = simulate_staggered(60, 4, {3: 0.4}, effect=1.0, rng=np.random.default_rng(seed))
    a = att_gt(sim.data, **KW, control_group="not_yet_treated")
    b = att_gt(sim.data.assign(y=sim.data["y"] + shift), **KW, control_group="not_yet_treated")
    np.testing.assert_allclose(a.params, b.params, atol=1e-8)


def test_plots_return_figures(sim, tmp_path) -> None:
    from evalkit.report.event_plot import plot_event_study

    res = att_gt(sim.data, **KW, n_boot=99, rng=np.random.default_rng(0))
    dyn = res.aggregate("dynamic", n_boot=99, rng=np.random.default_rng(1))
    fig = dyn.plot()
    fig.savefig(tmp_path / "dyn.png")
    assert (tmp_path / "dyn.png").stat().st_size > 0
    assert len(res.plot().axes[0].collections) >= 3
    terms = dyn.tidy().iloc[:-1].astype({"event_time": float})  # the event times, not the overall ATT
    both = plot_event_study({"a": terms, "b": terms.drop(columns=["uniform_low", "uniform_high"])})
    assert [t.get_text() for t in both.legends[0].get_texts()] == ["a", "b", "no effect (0)"]
    with pytest.raises(ValueError, match="lacks column"):
        plot_event_study({"bad": terms.drop(columns="event_time")})
    with pytest.raises(ValueError, match="dynamic"):
        res.aggregate("group").plot()
