"""Power of pre-trend tests (Roth 2022): the pretrends R package's example, SciPy's independent
multivariate normal probabilities, closed forms and a Monte Carlo with known truth.

Tolerances: the likelihood ratio is deterministic and matches the README to its printed
digits.  The package computes rejection probabilities with ``mvtnorm::pmvnorm`` (quasi-Monte
Carlo with default absolute error ``1e-3``) and conditional means with ``tmvtnorm``, so its
power and Bayes factors are accurate to about ``1e-4`` (its power at the slope it found for
50 % is printed as 0.4999776, evalkit's exact value at that slope is 0.4998920); they are
matched to ``2e-4`` and the means to ``1e-5``, and evalkit's own probabilities are checked
against SciPy's Genz-Bretz integration at ``abseps=1e-10`` to ``1e-8``.  The slope for 50 %
power is R's ``uniroot`` root at its default tolerance ``eps^0.25 = 1.2e-4``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.event_study import event_study
from evalkit.sensitivity import PretrendPower, pretrend_power, pretrend_power_arrays, slope_for_power
from evalkit.sensitivity.mvn import box_probability, truncated_mean
from evalkit.simulate import simulate_staggered

REF = json.loads(Path(__file__).parent.joinpath("reference", "pretrend_power.json").read_text())
BETA = np.array(REF["beta"])
SIGMA = np.array(REF["sigma"])
T = np.array(REF["tVec"])
ALPHA_R = float(2 * stats.norm.sf(REF["threshold"]))  # the package's critical value 1.96
PUB = REF["published"]


def _hw(**kw) -> PretrendPower:
    return pretrend_power_arrays(BETA, SIGMA, 3, 4, alpha=ALPHA_R, **kw)


@pytest.mark.parametrize("trend", ["linear", "quadratic"])
def test_matches_pretrends_readme(trend: str) -> None:
    pub = PUB[trend]
    res = _hw(delta=pub["delta"])
    assert res.likelihood_ratio == pytest.approx(pub["likelihood_ratio"], abs=5e-8)
    assert abs(res.power - pub["power"]) <= 2e-4
    assert abs(res.bayes_factor - pub["bayes_factor"]) <= 2e-4
    np.testing.assert_allclose(res.power, REF["scipy_power"][trend], atol=1e-8)
    np.testing.assert_allclose(res.size, REF["scipy_power"]["size"], atol=1e-8)
    if "mean_after_pretest" in pub:
        np.testing.assert_allclose(res.mean_after_pretest, pub["mean_after_pretest"], atol=1e-5)


def test_slope_for_power_matches_readme_and_hits_its_target() -> None:
    res = _hw(slope=PUB["slope50"])
    np.testing.assert_allclose(res.delta, PUB["linear"]["delta"], rtol=1e-12)
    assert abs(res.slopes[0.5] - PUB["slope50"]) <= 1.22e-4  # R's uniroot tolerance
    for power in (0.5, 0.8):
        at = _hw(slope=res.slopes[power])
        assert at.power == pytest.approx(power, abs=1e-10)
    assert res.slopes[0.5] < res.slopes[0.8]
    default = _hw()  # no trend given: the slope detected half the time
    assert default.slope == res.slopes[0.5] and default.power == pytest.approx(0.5, abs=1e-10)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_box_probability_converged_and_matches_scipy(k: int) -> None:
    from evalkit.sensitivity import mvn

    rng = np.random.default_rng(k)
    L = rng.normal(size=(k, k))
    cov = L @ L.T + 0.3 * np.eye(k)
    mean = rng.normal(size=k) * 0.5
    lo, hi = -1.5 * np.sqrt(np.diag(cov)), 1.2 * np.sqrt(np.diag(cov))
    value = box_probability(mean, cov, lo, hi)
    ref = stats.multivariate_normal.cdf(hi, mean, cov, lower_limit=lo, abseps=1e-7, releps=0.0, maxpts=400_000,
                                        rng=np.random.default_rng(0))
    assert value == pytest.approx(ref, abs=1e-6)
    sd = np.sqrt(np.diag(cov))
    nodes = mvn._nodes(lo - mean, hi - mean, sd)
    doubled = mvn._tensor_rule(lo - mean, hi - mean, cov, [2 * n for n in nodes])
    assert value == pytest.approx(doubled, abs=1e-12)


def test_box_probability_five_dimensions_converged() -> None:
    """A pre-test's box in five dimensions (AR(1) correlation 0.85): the grid agrees with a finer one."""
    from evalkit.sensitivity import mvn

    k = 5
    cov = 0.85 ** np.abs(np.subtract.outer(np.arange(k), np.arange(k))) * np.outer(np.linspace(1, 2, k),
                                                                                   np.linspace(1, 2, k))
    sd = np.sqrt(np.diag(cov))
    mean = 0.5 * sd * np.arange(-k, 0) / k
    value = box_probability(mean, cov, -1.96 * sd, 1.96 * sd)
    finer = mvn._tensor_rule(-1.96 * sd - mean, 1.96 * sd - mean, cov, [24] * (k - 1))
    assert value == pytest.approx(finer, abs=1e-11)


def test_box_probability_with_infinite_ends() -> None:
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])
    p = box_probability(np.zeros(2), cov, [-np.inf, -np.inf], [0.0, 0.0])
    assert p == pytest.approx(0.25 + np.arcsin(0.5 / np.sqrt(2.0)) / (2 * np.pi), abs=1e-12)  # orthant, closed form


def test_truncated_mean_closed_form_and_quadrature() -> None:
    m = truncated_mean([0.3], [[4.0]], [-1.0], [2.0])
    a, b = (-1.0 - 0.3) / 2, (2.0 - 0.3) / 2
    assert m[0] == pytest.approx(stats.truncnorm.mean(a, b, loc=0.3, scale=2.0), abs=1e-12)
    mean, cov = np.array([0.2, -0.4]), np.array([[1.0, 0.6], [0.6, 0.8]])
    lo, hi = np.array([-1.0, -1.2]), np.array([1.5, 0.7])
    dens = stats.multivariate_normal(mean, cov).pdf
    mass = integrate.dblquad(lambda y, x: dens([x, y]), lo[0], hi[0], lo[1], hi[1], epsabs=1e-13)[0]
    ex = integrate.dblquad(lambda y, x: x * dens([x, y]), lo[0], hi[0], lo[1], hi[1], epsabs=1e-13)[0]
    ey = integrate.dblquad(lambda y, x: y * dens([x, y]), lo[0], hi[0], lo[1], hi[1], epsabs=1e-13)[0]
    np.testing.assert_allclose(truncated_mean(mean, cov, lo, hi), [ex / mass, ey / mass], atol=1e-9)
    assert box_probability(mean, cov, lo, hi) == pytest.approx(mass, abs=1e-10)


@pytest.mark.parametrize("test", ["each", "wald"])
def test_monte_carlo_known_truth(test: str) -> None:
    """Simulated event studies under the hypothesised trend: pass rate and the mean of the
    estimates that pass agree with the computed power and conditional means."""
    res = pretrend_power_arrays(BETA, SIGMA, 3, 4, slope=0.06, test=test)
    rng = np.random.default_rng(11)
    draws = rng.multivariate_normal(res.delta, SIGMA, size=200_000)
    pre, cov_pre = draws[:, :3], SIGMA[:3, :3]
    if test == "each":
        ok = (np.abs(pre) <= stats.norm.isf(0.025) * np.sqrt(np.diag(cov_pre))).all(axis=1)
    else:
        ok = np.einsum("ij,ij->i", pre @ np.linalg.inv(cov_pre), pre) <= stats.chi2.isf(0.05, 3)
    se_p = np.sqrt(res.power * (1 - res.power) / len(ok))
    assert abs((1 - ok.mean()) - res.power) <= 4 * se_p
    kept = draws[ok]
    se_m = kept.std(axis=0) / np.sqrt(len(kept))
    assert np.all(np.abs(kept.mean(axis=0) - res.mean_after_pretest) <= 4.5 * se_m)


def test_identities() -> None:
    # parallel trends: power is the size and passing the pre-test leaves the mean at 0 (symmetry)
    zero = pretrend_power_arrays(BETA, SIGMA, 3, 4, delta=np.zeros(7))
    assert zero.power == pytest.approx(zero.size, abs=1e-14) and zero.bayes_factor == pytest.approx(1.0)
    np.testing.assert_allclose(zero.mean_after_pretest, 0.0, atol=1e-12)
    wald0 = pretrend_power_arrays(BETA, SIGMA, 3, 4, delta=np.zeros(7), test="wald")
    assert wald0.size == pytest.approx(0.05, abs=1e-12)
    # one pre period: the Wald test is the t test, so both tests agree
    b, s = BETA[2:5], SIGMA[2:5, 2:5]
    each = pretrend_power_arrays(b, s, 1, 2, slope=0.05)
    wald = pretrend_power_arrays(b, s, 1, 2, slope=0.05, test="wald")
    assert each.power == pytest.approx(wald.power, abs=1e-12)
    np.testing.assert_allclose(each.mean_after_pretest, wald.mean_after_pretest, atol=1e-12)
    assert slope_for_power(s[:1, :1], 0.8) == pytest.approx(slope_for_power(s[:1, :1], 0.8, test="wald"), rel=1e-10)
    # the sign of the slope does not change the power
    assert pretrend_power_arrays(BETA, SIGMA, 3, 4, slope=-0.05).power == pytest.approx(
        pretrend_power_arrays(BETA, SIGMA, 3, 4, slope=0.05).power, abs=1e-12)


def test_from_evalkit_event_study_tidy_bias_plot_and_immutability() -> None:
    sim = simulate_staggered(200, 8, {4: 0.3, 6: 0.3}, effect=1.0, rng=np.random.default_rng(3))
    es = event_study(sim.data, y="y", time="time", group="first_treated", unit="unit")
    params = es.params.copy()
    res = pretrend_power(es, powers=(0.5, 0.8, 0.9))
    assert es.params.equals(params)
    frame = res.tidy()
    assert list(frame.columns) == ["event_time", "period", "estimate", "std_error", "conf_low", "conf_high", "delta",
                                   "mean_after_pretest"]
    assert (frame.loc[frame.period == "reference", "event_time"] == -1).all()
    assert frame.event_time.is_monotonic_increasing and len(frame) == res.num_pre + res.num_post + 1
    assert res.slope_for(0.9) > res.slope_for(0.8) > res.slope_for(0.5)
    with pytest.raises(EvalkitError, match="powers="):
        res.slope_for(0.7)
    bias = res.bias
    assert list(bias.columns) == ["unconditional", "after_pretest"] and bias.index.min() == 0
    assert "power" in str(res.summary()) and "<table>" in res._repr_html_()
    fig = res.plot()
    assert len(fig.axes[0].lines) >= 3
    with pytest.raises(ValueError, match="read-only"):
        res.delta[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.power = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"slope": 0.1, "delta": np.zeros(7)}, "not both"),
        ({"delta": np.zeros(6)}, "7 finite values"),
        ({"test": "joint"}, "'each'"),
        ({"alpha": 0.0}, "alpha"),
        ({"powers": (1.2,)}, "power"),
    ],
    ids=["slope-and-delta", "short-delta", "unknown-test", "bad-alpha", "bad-power"],
)
def test_bad_options_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(EvalkitError, match=match):
        pretrend_power_arrays(BETA, SIGMA, 3, 4, **kwargs)


def test_wrong_shapes_raise() -> None:
    with pytest.raises(DesignError, match="7 = num_pre"):
        pretrend_power_arrays(BETA[:6], SIGMA, 3, 4)
    with pytest.raises(DesignError, match="at least one pre"):
        pretrend_power_arrays(BETA, SIGMA, 0, 7)
