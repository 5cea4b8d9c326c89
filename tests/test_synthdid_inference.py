"""Synthetic DiD: a known truth by simulation, the placebo/bootstrap/jackknife draws by hand,
the randomization test, the figure and the user errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators import synthdid
from evalkit.inference import resampling_p_value

HERE = Path(__file__).parent


def simulated(rng: np.random.Generator, factor: float, *, n0: int = 30, n1: int = 5, t0: int = 12, t1: int = 4,
              tau: float = 1.0) -> pd.DataFrame:
    """Unit and period effects, a trending factor whose loading is 1.6 for the treated units and
    uniform on (0, 2) x ``factor`` for the controls (DiD is biased when ``factor`` > 0), and the
    effect ``tau`` in the treated units' post periods."""
    n, T = n0 + n1, t0 + t1
    load = np.concatenate([rng.uniform(0, 2, n0), np.full(n1, 1.6)]) * factor
    y = (rng.normal(0, 1, n)[:, None] + np.sin(np.arange(T))[None, :] + np.outer(load, 0.5 * np.arange(T))
         + rng.normal(0, 0.5, (n, T)))
    y[n0:, t0:] += tau
    return pd.DataFrame({"unit": np.repeat(np.arange(n), T), "time": np.tile(np.arange(1, T + 1), n),
                         "y": y.ravel(), "first": np.repeat(np.where(np.arange(n) >= n0, t0 + 1, 0), T)})


def fit(data: pd.DataFrame, **kwargs):
    return synthdid(data, y="y", time="time", group="first", unit="unit", **kwargs)


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    data = pd.read_csv(HERE / "data" / "california_prop99.csv", sep=";")
    return data.rename(columns={"State": "unit", "Year": "time", "PacksPerCapita": "y"}).assign(
        first=lambda d: np.where(d["unit"] == "California", 1989, 0)
    )


def test_known_truth_sdid_removes_factor_bias_and_jackknife_is_calibrated():
    rng = np.random.default_rng(7)
    sdid, did = [], []
    for _ in range(16):
        data = simulated(rng, factor=1.0)
        sdid.append(fit(data, vcov="jackknife").att)
        did.append(fit(data, method="did", vcov="jackknife").att)
    assert abs(np.mean(sdid) - 1.0) < 0.25  # truth 1; DiD is off by about 2.3
    assert np.mean(did) - 1.0 > 1.5
    rng = np.random.default_rng(11)
    est, se = [], []
    for _ in range(16):
        res = fit(simulated(rng, factor=0.0), vcov="jackknife")
        est.append(res.att)
        se.append(res.std_errors["ATT"])
    mc_sd = np.std(est, ddof=1)
    assert abs(np.mean(est) - 1.0) < 4 * mc_sd / np.sqrt(16)
    assert 0.6 < np.mean(se) / mc_sd < 1.6


def did_by_hand(y: pd.DataFrame, treated: list, post: np.ndarray) -> float:
    tr, co = y.loc[treated], y.drop(index=treated)
    return (tr.loc[:, post].to_numpy().mean() - tr.loc[:, ~post].to_numpy().mean()) - (
        co.loc[:, post].to_numpy().mean() - co.loc[:, ~post].to_numpy().mean()
    )


def test_placebo_draws_are_controls_given_the_treated_dates(prop99):
    res = fit(prop99, method="did", n_reps=5, rng=3)
    y = prop99.set_index(["unit", "time"])["y"].unstack().drop(index="California")
    post = y.columns.to_numpy() >= 1989
    gen = np.random.default_rng(3)
    expected = [did_by_hand(y, [y.index[gen.permutation(38)[-1]]], post) for _ in range(5)]
    np.testing.assert_allclose(res.draws[:, 0], expected, rtol=1e-10)
    assert res.std_errors["ATT"] == pytest.approx(np.std(expected, ddof=0), rel=1e-10)
    again = fit(prop99, method="did", n_reps=5, rng=3)
    np.testing.assert_array_equal(again.draws, res.draws)


def test_bootstrap_draws_resample_units(prop99):
    treated = ["California", "Montana", "Nevada"]
    data = prop99.assign(first=np.where(prop99["unit"].isin(treated), 1989, 0))
    res = fit(data, method="did", vcov="bootstrap", n_reps=3, rng=5)
    y = data.set_index(["unit", "time"])["y"].unstack()
    post = y.columns.to_numpy() >= 1989
    is_treated = y.index.isin(treated)
    gen = np.random.default_rng(5)
    expected = []
    while len(expected) < 3:
        rows = np.sort(gen.integers(0, 39, size=39))
        if is_treated[rows].all() or not is_treated[rows].any():
            continue
        sample, tr = y.to_numpy()[rows], is_treated[rows]
        expected.append((sample[tr][:, post].mean() - sample[tr][:, ~post].mean())
                        - (sample[~tr][:, post].mean() - sample[~tr][:, ~post].mean()))
    np.testing.assert_allclose(res.draws[:, 0], expected, rtol=1e-10)


def test_placebo_and_bootstrap_refit_sdid_weights():
    data = simulated(np.random.default_rng(2), factor=1.0, n0=12, n1=3, t0=6, t1=2)
    placebo = fit(data, n_reps=4, rng=1)
    boot = fit(data, vcov="bootstrap", n_reps=4, rng=1)
    for res in (placebo, boot):
        assert res.draws.shape == (4, 1) and np.isfinite(res.std_errors["ATT"])
        assert res.std_errors["ATT"] == pytest.approx(np.std(res.draws[:, 0]), rel=1e-12)
    assert placebo.cov_type == "placebo" and boot.cov_type == "bootstrap"


def test_randomization_test_enumerates_every_state(prop99):
    res = fit(prop99, method="did", n_reps=2, rng=0)
    test = res.randomization_test()
    assert test.exact and test.n_possible == 39 and len(test.distribution) == 39
    y = prop99.set_index(["unit", "time"])["y"].unstack()
    post = y.columns.to_numpy() >= 1989
    by_hand = np.array([did_by_hand(y, [state], post) for state in y.index])
    np.testing.assert_allclose(np.sort(test.distribution), np.sort(by_hand), rtol=1e-10)
    assert test.statistic == pytest.approx(res.att)
    assert test.p_value == pytest.approx(np.mean(np.abs(by_hand) >= abs(res.att) * (1 - 1e-10)))
    sampled = res.randomization_test(n_perm=10, rng=4)
    assert not sampled.exact and len(sampled.distribution) == 10
    assert sampled.p_value == resampling_p_value(res.att, sampled.distribution, add_observed=True)


def test_randomization_test_of_staggered_sdid():
    data = simulated(np.random.default_rng(4), factor=1.0, n0=10, n1=2, t0=5, t1=2)
    data.loc[data["unit"] == 11, "first"] = 5
    res = fit(data, n_reps=2, rng=0)
    assert list(res.params.index) == ["ATT", "cohort::5", "cohort::6"]
    assert res.draws.shape == (2, 3)
    test = res.randomization_test(n_perm=5, rng=0)
    assert test.n_possible == 12 * 11 and len(test.distribution) == 5 and not test.exact


def test_plot_draws_trajectories_and_weights(prop99):
    import matplotlib

    matplotlib.use("Agg")
    res = fit(prop99, n_reps=2, rng=0)
    fig = res.plot(top_units=5)
    left, right = fig.axes[0], fig.axes[1]
    assert [line.get_label() for line in left.get_lines()][:2] == ["treated", "synthetic control"]
    assert len(right.patches) == min(5, int((res.unit_weights > 0).sum()))
    with pytest.raises(EvalkitError, match="top_units"):
        res.plot(top_units=0)


def test_user_errors_name_the_problem(prop99):
    with pytest.raises(EvalkitError, match="method must be one of"):
        fit(prop99, method="synth")
    with pytest.raises(EvalkitError, match="vcov must be one of"):
        fit(prop99, vcov="CR1")
    with pytest.raises(EvalkitError, match="n_reps"):
        fit(prop99, n_reps=1)
    with pytest.raises(DesignError, match="jackknife needs at least 2 treated units.*1989.*California"):
        fit(prop99, method="did", vcov="jackknife")
    with pytest.raises(DesignError, match="bootstrap needs at least 2 treated"):
        fit(prop99, method="did", vcov="bootstrap")
    with pytest.raises(DesignError, match="balanced panel.*'unit'.*Utah"):
        fit(prop99[~((prop99["unit"] == "Utah") & (prop99["time"] == 1975))], method="did")
    with pytest.raises(DesignError, match="never-treated"):
        fit(prop99.assign(first=1980), method="did")
    many = prop99.assign(first=np.where(prop99["unit"] < "P", 1989, 0))
    with pytest.raises(DesignError, match="more never-treated units than treated"):
        fit(many, method="did")
    with pytest.raises(DesignError, match="constant"):
        fit(prop99.assign(y=1.0), method="did")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DesignError, match="2 pre periods"):
            fit(prop99.assign(first=np.where(prop99["unit"] == "California", 1971, 0)))
