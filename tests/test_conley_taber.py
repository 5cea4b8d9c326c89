"""Conley & Taber (2011) inference: the distribution from control residuals, by hand and by simulation.

References: the simple-model formula of Conley & Taber (2011, Section II) written out for
a balanced 2x2 of group x period cells, ``Z(l_1..l_N1) = (1/N_1) sum_j (dy_{l_j} - mean
of the controls' dy)`` over every choice of controls; the loadings of an event study
found by brute force (shift one cell's outcomes by one, refit, difference), and the
quantile form of the interval (their equation 11).  A seeded size simulation with 1 to 6
treated of 50 groups checks rejection near the nominal level, and of 18 groups the
over-rejection that the method's asymptotics in the number of controls implies.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evalkit import did2x2, event_study, feols, imputation_did, sun_abraham
from evalkit.errors import DesignError, EvalkitError
from evalkit.inference import ConleyTaberTest, conley_taber_draws, conley_taber_p_value, conley_taber_test


def _cells(rng: np.random.Generator, n_groups: int, n_treated: int, effect: float = 0.0) -> pd.DataFrame:
    """One row per group x period (2 periods), iid group-period errors and group effects."""
    g = np.repeat(np.arange(n_groups), 2)
    post = np.tile([0, 1], n_groups)
    treated = (g < n_treated).astype(int)
    y = rng.normal(0, 1, n_groups)[g] + 0.3 * post + rng.normal(0, 1, 2 * n_groups) + effect * treated * post
    return pd.DataFrame({"g": g, "post": post, "treated": treated, "y": y})


def _fit(df: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did2x2(df, "y", treated="treated", post="post", cluster="g")


def test_distribution_equals_the_hand_formula_of_the_simple_model() -> None:
    df = _cells(np.random.default_rng(5), 5, 2, effect=0.4)
    res = _fit(df)
    ct = conley_taber_test(res)
    wide = df.pivot(index="g", columns="post", values="y")
    dy = (wide[1] - wide[0]).to_numpy()
    treated, controls = dy[:2], dy[2:]
    alpha_hat = treated.mean() - controls.mean()
    assert ct.estimate == pytest.approx(alpha_hat, abs=1e-12)
    eta = controls - controls.mean()  # the controls' residual changes
    hand = np.array([np.mean([eta[l1], eta[l2]]) for l1, l2 in itertools.product(range(3), repeat=2)])
    assert ct.exact and ct.n_possible == 9 and (ct.n_treated, ct.n_control) == (2, 3)
    np.testing.assert_allclose(np.sort(ct.distribution), np.sort(hand), atol=1e-12)
    upper = (1 + np.sum(hand >= alpha_hat - 1e-10 * abs(alpha_hat))) / 10
    lower = (1 + np.sum(hand <= alpha_hat + 1e-10 * abs(alpha_hat))) / 10
    assert ct.p_value == pytest.approx(min(1.0, 2 * min(upper, lower)), abs=1e-12)
    assert isinstance(ct, ConleyTaberTest) and ct.conf_int().shape == (1, 2)
    assert ct.tidy().loc[0, "n_control"] == 3 and "Conley-Taber" in str(ct) and len(repr(ct).splitlines()) <= 2
    assert "Conley-Taber" in ct._repr_html_() and ct.summary().table.shape[0] == 1
    with pytest.raises(ValueError):
        ct.distribution[0] = 1.0  # read-only


def test_interval_is_the_quantile_interval_of_conley_taber() -> None:
    df = _cells(np.random.default_rng(11), 50, 3, effect=1.0)
    ct = conley_taber_test(_fit(df), alpha=0.1)  # 47^3 > 100,000: sampled combinations
    assert not ct.exact and ct.distribution.size == 9999
    z = np.sort(ct.distribution)
    lo, hi = ct.interval
    # {r : p(r) > 0.1}: estimate - r inside the central 90 % of the draws
    inside = (ct.estimate - lo, ct.estimate - hi)
    assert np.mean(z >= inside[0]) == pytest.approx(0.05, abs=2e-4)
    assert np.mean(z <= inside[1]) == pytest.approx(0.05, abs=2e-4)
    for r, rejected in ((lo - 1e-6, True), (lo + 1e-6, False), (hi - 1e-6, False), (hi + 1e-6, True)):
        assert (conley_taber_p_value(ct.estimate - r, ct.distribution) <= 0.1) is rejected
    assert conley_taber_test(_fit(df), alpha=0.1).p_value == ct.p_value  # seeded: the same draws


def test_p_value_counts_the_observed_statistic() -> None:
    """One treated group among 17 controls: 17 draws, so a statistic beyond all of them has
    p = 2 / 18 (two-sided) or 1 / 18 (one-sided), and no 95 % interval is bounded."""
    draws = np.linspace(-1, 1, 17)
    assert conley_taber_p_value(5.0, draws) == pytest.approx(2 / 18)
    assert conley_taber_p_value(5.0, draws, "greater") == pytest.approx(1 / 18)
    assert conley_taber_p_value(-5.0, draws, "greater") == 1.0
    assert conley_taber_p_value(0.0, draws) == 1.0
    ct = conley_taber_test(_fit(_cells(np.random.default_rng(3), 18, 1)))
    assert ct.n_possible == 17 and ct.exact
    assert np.isinf(ct.interval[0]) and np.isinf(ct.interval[1])


def test_event_study_loadings_equal_brute_force_refits() -> None:
    rng = np.random.default_rng(2)
    n_groups, n_periods = 7, 4
    g = np.repeat(np.arange(n_groups), n_periods)
    t = np.tile(np.arange(n_periods), n_groups)
    first = np.where(np.arange(n_groups) < 2, 2, -1)[g]
    df = pd.DataFrame({"g": g, "t": t, "ever": (first >= 0).astype(int), "y": rng.normal(size=g.size)})
    for e in (-2, 0, 1):
        df[f"e{e}".replace("-", "m")] = ((first >= 0) & (t - first == e)).astype(float)
    formula = "y ~ em2 + e0 + e1 | g + t"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feols(formula, df, cluster="g", treated="ever")
        tests = conley_taber_test(res, ["e0", "e1"], time="t", ci=False)
        loads = np.zeros((2, 2, n_periods))  # term x treated group x period
        for j, s in itertools.product(range(2), range(n_periods)):
            bumped = df.assign(y=df["y"] + ((df["g"] == j) & (df["t"] == s)))
            refit = feols(formula, bumped, cluster="g").params
            loads[:, j, s] = [refit[term] - res.params[term] for term in ("e0", "e1")]
    resid = res.fit.resid.reshape(n_groups, n_periods)[2:]  # one row per cell, sorted
    for k, term in enumerate(("e0", "e1")):
        hand = [sum(loads[k, j] @ resid[l[j]] for j in range(2)) for l in itertools.product(range(5), repeat=2)]
        np.testing.assert_allclose(np.sort(tests[term].distribution), np.sort(hand), atol=1e-10)
    assert set(tests) == {"e0", "e1"}


def _rejections(rng: np.random.Generator, n_groups: int, n_treated: int, reps: int, level: float) -> float:
    """Share of ``reps`` balanced 2x2 cell panels (no effect) where Conley-Taber rejects.

    The 2x2's cell loadings are ``+-1/N_1`` on the treated groups' two periods and the
    controls' residuals are their deviations from the control means per period (the hand
    test above checks both against ``did2x2``), so the simulation runs on arrays.
    """
    y = rng.normal(0, 1, (reps, n_groups, 1)) + rng.normal(0, 1, (reps, n_groups, 2))
    loadings = np.tile([-1.0, 1.0], (n_treated, 1)) / n_treated
    hits = 0
    for r in range(reps):
        dy = y[r, :, 1] - y[r, :, 0]
        estimate = dy[:n_treated].mean() - dy[n_treated:].mean()
        controls = y[r, n_treated:]
        draws, _ = conley_taber_draws(loadings, controls - controls.mean(axis=0), rng=r)
        hits += conley_taber_p_value(estimate, draws) <= level
    return hits / reps


def test_size_with_one_to_six_treated_groups() -> None:
    """50 groups (Conley & Taber's states), 1-6 treated, no effect: rejection near 10 % at
    10 %.  The method is asymptotic in the number of controls: with ``N_0`` controls its
    draws miss the controls' share of the estimator's variance, a factor ``(N_0 + N_1) /
    (N_0 - 1)`` in the simple model, so at 10 % it rejects about 10.7, 11.0, 11.4 and
    12.7 % with 1, 2, 3 and 6 treated of 50, and about 20 % with 6 treated of 18 (the FUI
    counties), which the test checks too (docs/few_clusters.md)."""
    rng = np.random.default_rng(2011)
    rates = {n1: _rejections(rng, 50, n1, 300, 0.10) for n1 in (1, 2, 3, 6)}
    for n1, rate in rates.items():
        assert 0.06 <= rate <= 0.17, (n1, rate)  # Monte Carlo SE about 1.8 %
    assert 0.09 <= np.mean(list(rates.values())) <= 0.145
    assert _rejections(rng, 18, 6, 300, 0.10) >= 0.15  # expected 19.8 %


def test_errors_name_the_problem() -> None:
    df = _cells(np.random.default_rng(1), 6, 2)
    res = _fit(df)
    with pytest.raises(EvalkitError, match="term"):
        conley_taber_test(res, "nope")
    with pytest.raises(EvalkitError, match="time='month' is not a column"):
        conley_taber_test(res, time="month")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = feols("y ~ treated:post | g + post", df, cluster="g")
    with pytest.raises(EvalkitError, match="treated="):
        conley_taber_test(plain, "treated:post", time="post")
    mixed = df.assign(half=(df.index % 2).astype(int))
    with pytest.raises(EvalkitError, match="constant within each cluster"):
        conley_taber_test(replace(plain, data=mixed), "treated:post", time="post", treated="half")
    with pytest.raises(EvalkitError, match="feols, did2x2, event_study or sun_abraham result, got object"):
        conley_taber_test(object())
    with pytest.raises(DesignError, match="2 control groups"):
        conley_taber_draws(np.ones((1, 2)), np.ones((1, 2)))
    holes = df.drop(index=df.index[(df["g"] == 4) & (df["post"] == 1)])
    with pytest.raises(DesignError, match="1 control x 'post' cells are empty"):
        conley_taber_test(_fit(holes))


# --- event studies (event_study, sun_abraham) ---------------------------------------------


def _event_panel(rng: np.random.Generator, n_groups: int, n_treated: int, n_periods: int, first: int | Sequence[int],
                 effect: Sequence[float] = ()) -> pd.DataFrame:
    """One row per group x period: group effects, period effects, iid cell errors; the
    first ``n_treated`` groups start at ``first`` (one date, or one per treated group), and
    ``effect[e]`` is added at event time ``e >= 0``."""
    g = np.repeat(np.arange(n_groups), n_periods)
    t = np.tile(np.arange(n_periods), n_groups)
    starts = np.zeros(n_groups)
    starts[:n_treated] = first
    start = starts[g]
    rel = np.where(start > 0, t - start, -1)
    bump = np.zeros(g.size)
    for e, value in enumerate(effect):
        bump[(start > 0) & (rel == e)] = value
    y = rng.normal(0, 1, n_groups)[g] + rng.normal(0, 1, n_periods)[t] + rng.normal(0, 1, g.size) + bump
    return pd.DataFrame({"g": g, "t": t, "first": start, "y": y, "one": 1.0})


def _common_timing_hand(df: pd.DataFrame, n_treated: int, first: int, ref: int = -1) -> dict[str, np.ndarray]:
    """The simple model written out for one adoption date, every event time dummied but
    ``ref``: ``beta_e = mean_T(y_{first+e} - y_{first+ref}) - mean_C(...)``, so treated
    cells load ``+-1/N_1``; the controls' residuals are their two-way demeaned outcomes.
    Returns the draws per term over all ``N_0^N_1`` control choices, and ``ATT``."""
    wide = df.pivot(index="g", columns="t", values="y").to_numpy()
    c = wide[n_treated:]
    e_lt = c - c.mean(axis=1, keepdims=True) - c.mean(axis=0, keepdims=True) + c.mean()
    n_periods = wide.shape[1]
    base = first + ref
    out: dict[str, np.ndarray] = {}
    post = [t for t in range(first, n_periods)]
    for t in range(n_periods):
        if t == base:
            continue
        d = e_lt[:, t] - e_lt[:, base]
        out[f"event_time::{t - first}"] = np.array(
            [np.mean(d[list(ls)]) for ls in itertools.product(range(len(c)), repeat=n_treated)])
    d_post = e_lt[:, post].mean(axis=1) - e_lt[:, base]
    out["ATT"] = np.array([np.mean(d_post[list(ls)]) for ls in itertools.product(range(len(c)), repeat=n_treated)])
    return out


def test_event_study_distribution_equals_the_hand_formula() -> None:
    """Every event time and the post average ``ATT`` of ``event_study``, fitted from cells
    (balanced, no weights) and row by row (with a weight column of ones), and
    ``sun_abraham`` (the same regression with one cohort): draws over all 4^2 control
    choices equal the hand formula, p-values follow from them."""
    df = _event_panel(np.random.default_rng(8), 6, 2, 4, 2, effect=(0.5, 1.0))
    hand = _common_timing_hand(df, 2, 2)
    wide = df.pivot(index="g", columns="t", values="y").to_numpy()
    dy = wide - wide[:, [1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = event_study(df, y="y", time="t", group="first", unit="g")
        rows = event_study(df, y="y", time="t", group="first", unit="g", weights="one")
        sa = sun_abraham(df, y="y", time="t", group="first", unit="g")
    for res in (cells, rows):
        tests = conley_taber_test(res, ci=False)
        assert set(tests) == set(hand) == {"event_time::-2", "event_time::0", "event_time::1", "ATT"}
        for name, draws in hand.items():
            assert tests[name].exact and (tests[name].n_treated, tests[name].n_control) == (2, 4)
            np.testing.assert_allclose(np.sort(tests[name].distribution), np.sort(draws), atol=1e-10)
        est = dy[:2].mean(axis=0) - dy[2:].mean(axis=0)
        assert tests["event_time::1"].estimate == pytest.approx(est[3], abs=1e-10)
        assert tests["ATT"].estimate == pytest.approx(est[2:].mean(), abs=1e-10)
        s = tests["ATT"].estimate
        z = hand["ATT"]
        upper = (1 + np.sum(z >= s - 1e-10 * abs(s))) / 17
        lower = (1 + np.sum(z <= s + 1e-10 * abs(s))) / 17
        assert tests["ATT"].p_value == pytest.approx(min(1.0, 2 * min(upper, lower)), abs=1e-12)
    sa_tests = conley_taber_test(sa, ["ATT", "event_time::0"], ci=False)
    for name in ("ATT", "event_time::0"):
        np.testing.assert_allclose(np.sort(sa_tests[name].distribution), np.sort(hand[name]), atol=1e-10)
    one = conley_taber_test(cells, "event_time::0", null_value=0.5)
    assert isinstance(one, ConleyTaberTest) and one.statistic == pytest.approx(one.estimate - 0.5)


def test_staggered_event_study_equals_the_regression_with_event_dummies() -> None:
    """Two adoption dates: ``event_study``'s draws equal those of ``feols`` with the same
    event-time dummies (whose loadings the brute-force test above checks), and the post
    average is the mean of the post event-time contrasts."""
    df = _event_panel(np.random.default_rng(4), 9, 3, 6, [2, 3, 3])
    rel = np.where(df["first"] > 0, df["t"] - df["first"], np.nan)
    names = {e: f"d{e + 3}" for e in (-3, -2, 0, 1, 2, 3)}
    for e, col in names.items():
        df[col] = (rel == e).astype(float)
    df["ever"] = (df["first"] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(df, y="y", time="t", group="first", unit="g")
        reg = feols("y ~ " + " + ".join(names.values()) + " | g + t", df, cluster="g", treated="ever")
    ours = conley_taber_test(es, ci=False, rng=1)
    theirs = conley_taber_test(reg, list(names.values()), time="t", ci=False, rng=1)
    assert ours["event_time::0"].exact and ours["event_time::0"].n_possible == 6**3
    for e, col in names.items():
        np.testing.assert_allclose(ours[f"event_time::{e}"].distribution, theirs[col].distribution, atol=1e-10)
    post = np.mean([theirs[names[e]].distribution for e in (0, 1, 2, 3)], axis=0)
    np.testing.assert_allclose(ours["ATT"].distribution, post, atol=1e-10)
    assert ours["ATT"].estimate == pytest.approx(np.mean([es.params[f"event_time::{e}"] for e in range(4)]))


def _event_rejections(rng: np.random.Generator, n_groups: int, n_treated: int, reps: int, level: float,
                      effect: tuple[float, float] = (0.0, 0.0)) -> dict[str, np.ndarray]:
    """Monte Carlo of a common-timing event study (6 periods, adoption at 4, ``ref = -1``):
    per replication, whether Conley-Taber rejects ``H0: 0`` and whether its interval covers
    the true effect, for ``event_time::1`` and ``ATT``, by the hand formula (equal to
    ``event_study``'s, as the hand test checks)."""
    out = {k: np.zeros((reps, 2), dtype=bool) for k in ("event_time::1", "ATT")}
    truth = {"event_time::1": effect[1], "ATT": np.mean(effect)}
    for r in range(reps):
        y = rng.normal(0, 1, (n_groups, 1)) + rng.normal(0, 1, (1, 6)) + rng.normal(0, 1, (n_groups, 6))
        y[:n_treated, 4:] += effect
        c = y[n_treated:]
        e_lt = c - c.mean(axis=1, keepdims=True) - c.mean(axis=0, keepdims=True) + c.mean()
        dy = y - y[:, [3]]
        for name, cols in (("event_time::1", [5]), ("ATT", [4, 5])):
            est = dy[:n_treated, cols].mean() - dy[n_treated:, cols].mean()
            load = np.zeros((n_treated, 6))
            load[:, cols] = 1 / (n_treated * len(cols))
            load[:, 3] = -1 / n_treated
            draws, _ = conley_taber_draws(load, e_lt, n_draws=999, rng=r)
            reject = conley_taber_p_value(est, draws) <= level
            covers = conley_taber_p_value(est - truth[name], draws) > level
            out[name][r] = (reject, covers)
    return out


def test_event_study_size_power_and_coverage_with_few_treated() -> None:
    """50 groups, 1 to 6 treated, level 10 %.  No effect: rejection near 10 % per event
    time and for the post average.  An effect of (1, 2) at event times 0 and 1 (cell error
    SD 1): the interval covers the truth near 90 %, and the power to reject 0 is near the
    normal approximation ``P(|N(d, v_T + v_C)| > z_{0.95} sqrt(v_T))`` with ``v_T`` the
    treated groups' share of the variance (which Conley-Taber estimates) and ``v_C`` the
    controls'.  3 treated, event time 1: ``d = 2``, ``v_T = 2/3``, ``v_C = 2/47``: 0.78;
    ``ATT`` (the mean of event times 0 and 1 against ``ref``): ``d = 1.5``, ``v_T = 1.5/3``,
    ``v_C = 1.5/47``: 0.68.
    The big run is benchmarks/bench_conley_taber.py (docs/conley_taber.md)."""
    rng = np.random.default_rng(2011)
    sizes = []
    for n1 in (1, 2, 3, 6):
        res = _event_rejections(rng, 50, n1, 150, 0.10)
        for name, hits in res.items():
            rate = hits[:, 0].mean()
            assert 0.04 <= rate <= 0.19, (n1, name, rate)  # Monte Carlo SE about 2.5 %
            sizes.append(rate)
    assert 0.08 <= np.mean(sizes) <= 0.14
    res = _event_rejections(rng, 50, 3, 200, 0.10, effect=(1.0, 2.0))
    from scipy.stats import norm

    for name, d, v in (("event_time::1", 2.0, 2.0), ("ATT", 1.5, 1.5)):
        v_t, v_c = v / 3, v / 47
        c = norm.ppf(0.95) * np.sqrt(v_t)
        approx = norm.sf((c - d) / np.sqrt(v_t + v_c)) + norm.cdf((-c - d) / np.sqrt(v_t + v_c))
        assert res[name][:, 0].mean() == pytest.approx(approx, abs=0.08), name  # MC SE about 3 %
    for name, hits in res.items():
        assert 0.83 <= hits[:, 1].mean() <= 0.96, name  # coverage of the true effect


def test_event_study_errors_name_the_problem() -> None:
    df = _event_panel(np.random.default_rng(3), 6, 2, 4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(df, y="y", time="t", group="first", unit="g")
        imp = imputation_did(df, y="y", time="t", group="first", unit="g")
        pre = event_study(df, y="y", time="t", group="first", unit="g", max_e=-1)
    with pytest.raises(EvalkitError, match=r"terms \['event_time::5'\] cannot be tested"):
        conley_taber_test(es, "event_time::5")
    with pytest.raises(EvalkitError, match="got ImputationResult .*keeps no row-level regression"):
        conley_taber_test(imp)
    with pytest.raises(EvalkitError, match="no event time >= 0 to average"):
        conley_taber_test(pre, "ATT")
    mixed = df.assign(region=df["g"] // 3)  # treated groups 0, 1 share a cluster with control 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clustered = event_study(mixed, y="y", time="t", group="first", unit="g", cluster="region")
    with pytest.raises(EvalkitError, match="ever-treated flag .* constant within each cluster"):
        conley_taber_test(clustered)
