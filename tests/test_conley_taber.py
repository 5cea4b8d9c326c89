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
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evalkit import did2x2, feols
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
    upper = np.mean(hand >= alpha_hat * (1 - 1e-10))
    lower = np.mean(hand <= alpha_hat * (1 + 1e-10))
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
    with pytest.raises(EvalkitError, match="feols or did2x2"):
        conley_taber_test(object())
    with pytest.raises(DesignError, match="2 control groups"):
        conley_taber_draws(np.ones((1, 2)), np.ones((1, 2)))
    holes = df.drop(index=df.index[(df["g"] == 4) & (df["post"] == 1)])
    with pytest.raises(DesignError, match="1 control x 'post' cells are empty"):
        conley_taber_test(_fit(holes))
