"""The HonestDiD restriction families with sign and monotonicity restrictions (SDB, SDM, RMB,
RMM, SDRMB, SDRMM) and smoothness with relative magnitudes (SDRM).

tests/test_honest_did_r.py checks them against the R package's numbers; here they are
checked by (i) identified sets against linear programs written out by hand (with the
pre-period differential trend known, the largest pre-period change is a number and every
family is one convex set), (ii) identities between the families, (iii) convergence of the
robust intervals to the identified set as the covariance vanishes, and (iv) properties
of the C-F hybrid (inside the FLCI of level alpha / 10) and of the sign restriction.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from evalkit.errors import DesignError, EvalkitError
from evalkit.sensitivity import honest_did_arrays, identified_set, restriction_pieces

REF = json.loads(Path(__file__).parent.joinpath("reference", "honest_did.json").read_text())
BETA = np.array(REF["betahat"])
SIGMA = np.array(REF["sigma"])


def _hand_lp(beta: np.ndarray, num_pre: int, l_vec: np.ndarray, rows: list[tuple[list[float], float]]) -> tuple[float, float]:
    """Identified set of l'tau_post: theta = l'beta_post - l'delta_post over delta_post with
    ``a'(delta_0 = 0, delta_1, ..., delta_T) <= b`` for each (a, b) in rows (delta_pre fixed)."""
    T = len(l_vec)
    A = np.array([a[1:] for a, _ in rows])  # the coefficient on delta_0 = 0 drops out
    b = np.array([b for _, b in rows])
    out = []
    for sense in (1.0, -1.0):
        sol = linprog(sense * l_vec, A_ub=A, b_ub=b, bounds=[(None, None)] * T, method="highs")
        if sol.status == 2:
            return float("nan"), float("nan")
        out.append(sense * sol.fun)
    center = float(l_vec @ beta[num_pre:])
    return center - out[1], center - out[0]


def _post_rows(beta_pre: np.ndarray, T: int, *, first_bound: float | None = None, second_bound: float | None = None,
               bias: str | None = None, monotone: str | None = None) -> list[tuple[list[float], float]]:
    """Constraints on (delta_0, ..., delta_T) written out one by one."""
    rows = []
    d_m1 = beta_pre[-1]

    def unit(i: int, v: float = 1.0) -> list[float]:
        a = [0.0] * (T + 1)
        a[i] = v
        return a

    if first_bound is not None:  # |delta_t - delta_{t-1}| <= bound, t = 1..T
        for t in range(1, T + 1):
            a = unit(t)
            a[t - 1] -= 1.0
            rows += [(a, first_bound), ([-x for x in a], first_bound)]
    if second_bound is not None:  # |delta_{t+1} - 2 delta_t + delta_{t-1}| <= bound, centred at t = 0..T-1
        a = unit(1)  # t = 0: delta_1 - 2*0 + delta_{-1}
        rows += [(a, second_bound - d_m1), ([-x for x in a], second_bound + d_m1)]
        for t in range(1, T):
            a = unit(t + 1)
            a[t] -= 2.0
            a[t - 1] += 1.0
            rows += [(a, second_bound), ([-x for x in a], second_bound)]
    if bias is not None:
        s = -1.0 if bias == "positive" else 1.0
        rows += [(unit(t, s), 0.0) for t in range(1, T + 1)]
    if monotone is not None:
        s = 1.0 if monotone == "increasing" else -1.0
        for t in range(1, T + 1):  # s (delta_{t-1} - delta_t) <= 0
            a = unit(t, -s)
            a[t - 1] += s
            rows.append((a, 0.0))
    return rows


@pytest.mark.parametrize("shape", [{"bias": "positive"}, {"bias": "negative"}, {"monotonicity": "increasing"},
                                   {"monotonicity": "decreasing"}, {}], ids=["PB", "NB", "I", "D", "none"])
def test_rm_family_identified_set_by_hand(shape: dict) -> None:
    """RM, RMB, RMM: with delta_pre = beta_pre the largest pre-period change K is known, so the
    set is |post first differences| <= Mbar K plus the sign / monotone rows (a convex LP)."""
    beta = np.array([-0.42, -0.35, -0.05, 0.12, -0.2])  # increasing into the reference (delta_0 = 0)
    if shape.get("monotonicity") == "decreasing":
        beta[:3] = -beta[:3]
    l_vec = np.array([0.3, 0.7])
    for m_bar in (0.0, 2.0):
        K = np.abs(np.diff(np.r_[beta[:3], 0.0])).max()
        rows = _post_rows(beta[:3], 2, first_bound=m_bar * K, bias=shape.get("bias"),
                          monotone=shape.get("monotonicity"))
        want = _hand_lp(beta, 3, l_vec, rows)
        got = identified_set(beta, restriction_pieces("relative_magnitudes", 3, 2, m_bar, **shape), 3, l_vec)
        np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize("shape", [{"bias": "positive"}, {"bias": "negative"}, {"monotonicity": "increasing"}, {}],
                         ids=["PB", "NB", "I", "none"])
def test_sd_family_identified_set_by_hand(shape: dict) -> None:
    beta = np.array([-0.35, -0.2, -0.1, 0.4, 0.9])  # increasing, second differences 0.05, 0.05
    for m in (0.05, 0.3):
        rows = _post_rows(beta[:3], 2, second_bound=m, bias=shape.get("bias"), monotone=shape.get("monotonicity"))
        for l_vec in (np.array([0.3, 0.7]),):
            want = _hand_lp(beta, 3, l_vec, rows)
            got = identified_set(beta, restriction_pieces("smoothness", 3, 2, m, **shape), 3, l_vec)
            np.testing.assert_allclose(got, want, atol=1e-9)


def test_sdrm_identified_set_by_hand_and_equals_sd_at_the_matched_bound() -> None:
    """SDRM(Mbar) given beta_pre is SD with bound Mbar times the largest pre second difference."""
    beta = np.array([0.05, -0.1, -0.12, -0.05, 0.3, 0.5])
    K2 = np.abs(np.diff(np.r_[beta[:4], 0.0], n=2)).max()
    for m_bar in (0.0, 0.5, 3.0):
        for l_vec in (np.array([1.0, 0.0]), np.array([0.3, 0.7])):
            got = identified_set(beta, restriction_pieces("smoothness_relative_magnitudes", 4, 2, m_bar), 4, l_vec)
            want = _hand_lp(beta, 4, l_vec, _post_rows(beta[:4], 2, second_bound=m_bar * K2))
            np.testing.assert_allclose(got, want, atol=1e-9)
            if m_bar >= 1.0:  # SD(M) needs M >= K2 to accept the pre-trend; then the two coincide
                sd = identified_set(beta, restriction_pieces("smoothness", 4, 2, m_bar * K2), 4, l_vec)
                np.testing.assert_allclose(got, sd, atol=1e-9)


@pytest.mark.parametrize("shape", [{"bias": "positive"}, {"bias": "negative"}, {"monotonicity": "increasing"},
                                   {"monotonicity": "decreasing"}], ids=["PB", "NB", "I", "D"])
def test_sdrm_sign_and_monotone_identified_set_by_hand(shape: dict) -> None:
    """SDRMB, SDRMM: given beta_pre the largest pre second difference K2 is a number, so the set is
    |post second differences| <= Mbar K2 plus the sign / monotone rows (one convex LP)."""
    beta = np.array([-0.5, -0.38, -0.2, -0.1, 0.2, 0.45])  # increasing into the reference, K2 = 0.08
    if shape.get("monotonicity") == "decreasing" or shape.get("bias") == "negative":
        beta[:4] = -beta[:4]  # a pre-trend that the restriction allows to continue
    K2 = np.abs(np.diff(np.r_[beta[:4], 0.0], n=2)).max()
    l_vec = np.array([0.3, 0.7])
    for m_bar in (0.5, 3.0):
        rows = _post_rows(beta[:4], 2, second_bound=m_bar * K2, bias=shape.get("bias"),
                          monotone=shape.get("monotonicity"))
        want = _hand_lp(beta, 4, l_vec, rows)
        got = identified_set(beta, restriction_pieces("smoothness_relative_magnitudes", 4, 2, m_bar, **shape), 4, l_vec)
        assert np.isfinite(want).all()
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_shape_restrictions_shrink_the_identified_set() -> None:
    l_vec = np.array([0.5, 0.5])
    for method, m in (("relative_magnitudes", 1.0), ("smoothness", 0.02), ("smoothness_relative_magnitudes", 1.0)):
        base = identified_set(BETA, restriction_pieces(method, 5, 2, m), 5, l_vec)
        for shape in ({"bias": "positive"}, {"bias": "negative"}, {"monotonicity": "increasing"}):
            lo, hi = identified_set(BETA, restriction_pieces(method, 5, 2, m, **shape), 5, l_vec)
            if np.isfinite(lo):
                assert base[0] - 1e-12 <= lo <= hi <= base[1] + 1e-12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "smoothness", "m": [0.03], "bias": "positive", "ci_method": "C-F"},
        {"method": "smoothness", "m": [0.03], "monotonicity": "increasing", "ci_method": "C-LF"},
        {"method": "relative_magnitudes", "m": [1.0], "bias": "negative"},
        {"method": "relative_magnitudes", "m": [1.0], "monotonicity": "increasing"},
        {"method": "smoothness_relative_magnitudes", "m": [1.0]},
        {"method": "smoothness_relative_magnitudes", "m": [1.0], "bias": "positive"},
        {"method": "smoothness_relative_magnitudes", "m": [1.0], "monotonicity": "increasing", "ci_method": "conditional"},
    ],
    ids=["SDB-CF", "SDM-CLF", "RMB", "RMM", "SDRM", "SDRMB", "SDRMM-cond"],
)
def test_robust_ci_shrinks_to_identified_set(kwargs: dict) -> None:
    """Delta-family intervals converge to the identified set as the covariance vanishes
    (beta with an increasing pre-trend, so every family accepts it)."""
    beta = np.array([-0.04, -0.03, -0.015, 0.05, 0.08])
    L = np.random.default_rng(2).normal(size=(5, 5))
    sigma = (L @ L.T + np.eye(5)) * 1e-12
    shape = {k: kwargs[k] for k in ("bias", "monotonicity") if k in kwargs}
    pieces = restriction_pieces(kwargs["method"], 3, 2, kwargs["m"][0], **shape)
    lo, hi = identified_set(beta, pieces, 3, np.array([1.0, 0.0]))
    res = honest_did_arrays(beta, sigma, 3, 2, **kwargs)
    assert res.restriction.startswith("Delta")
    width = max(hi - lo, 1e-3)
    np.testing.assert_allclose([res.lower[0], res.upper[0]], [lo, hi], atol=3e-3 * width + 1e-5)


def test_defaults_breakdown_and_nesting_on_the_medicaid_example() -> None:
    """R's defaults (C-F under SDB/SDM, C-LF under RMB/RMM/SDRM); a sign restriction that
    the estimates agree with narrows the interval; breakdown values exist for every family."""
    sdb = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness", m=[0.0, 0.04], bias="positive")
    sdm = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness", m=[0.0, 0.04], monotonicity="increasing")
    assert sdb.ci_method == sdm.ci_method == "C-F" and sdb.restriction == "DeltaSDPB" and sdm.restriction == "DeltaSDI"
    flci_kappa = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness", m=[0.0, 0.04], alpha=0.005)
    assert np.all(sdb.lower >= flci_kappa.lower - 1e-12) and np.all(sdb.upper <= flci_kappa.upper + 1e-12)
    rm = honest_did_arrays(BETA, SIGMA, 5, 2, m=[0.5, 3.0])
    rmb = honest_did_arrays(BETA, SIGMA, 5, 2, m=[0.5, 3.0], bias="positive")
    rmm = honest_did_arrays(BETA, SIGMA, 5, 2, m=[0.5, 3.0], monotonicity="increasing")
    sdrm = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness_relative_magnitudes", m=[0.0, 2.0])
    sdrmb = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness_relative_magnitudes", m=[0.0, 2.0],
                              bias="negative")
    sdrmm = honest_did_arrays(BETA, SIGMA, 5, 2, method="smoothness_relative_magnitudes", m=[0.0, 2.0],
                              monotonicity="decreasing")
    assert {r.ci_method for r in (rmb, rmm, sdrm, sdrmb, sdrmm)} == {"C-LF"}
    assert [r.restriction for r in (rmb, rmm, sdrm, sdrmb, sdrmm)] == ["DeltaRMPB", "DeltaRMI", "DeltaSDRM",
                                                                       "DeltaSDRMNB", "DeltaSDRMD"]
    # delta_post >= 0 caps theta at l'beta_post: the upper end stays near the estimate as Mbar grows, RM's does not
    assert rmb.upper[-1] <= rmb.estimate + 4 * rmb.std_error < rm.upper[-1]
    for res in (sdb, sdm, rm, rmb, rmm, sdrm, sdrmb, sdrmm):
        b = res.breakdown()
        assert b == np.inf or b in res.m
        assert list(res.tidy().columns)[0] == ("m" if res.method == "smoothness" else "m_bar")
    assert sdrm.conf_int().index.name == "m_bar"
    fig = sdrm.plot()
    assert "slope" in fig.axes[0].get_xlabel()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"method": "smoothness", "bias": "positive", "ci_method": "FLCI"}, DesignError, "C-F"),
        ({"method": "relative_magnitudes", "ci_method": "C-F"}, DesignError, "smoothness only"),
        ({"method": "smoothness_relative_magnitudes", "ci_method": "FLCI"}, DesignError, "not valid"),
        ({"bias": "positive", "monotonicity": "increasing"}, EvalkitError, "not both"),
        ({"theta_range": (0.1, -0.1)}, EvalkitError, "lower < upper"),
        ({"theta_range": (0.0, np.inf)}, EvalkitError, "theta_range"),
        ({"bias": "up"}, EvalkitError, "'positive' or 'negative'"),
        ({"monotonicity": "up"}, EvalkitError, "'increasing' or 'decreasing'"),
        ({"method": "sdrm"}, EvalkitError, "smoothness_relative_magnitudes"),
    ],
    ids=["flci-with-sign", "cf-under-rm", "flci-under-sdrm", "sign-and-monotone", "theta-range-order", "theta-range-inf", "bad-bias",
         "bad-monotone", "unknown-method"],
)
def test_bad_options_raise(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        honest_did_arrays(BETA, SIGMA, 5, 2, m=[0.5], **kwargs)


def test_sdrm_needs_two_pre_periods() -> None:
    with pytest.raises(DesignError, match="two pre periods"):
        honest_did_arrays(BETA[4:], SIGMA[4:, 4:], 1, 2, method="smoothness_relative_magnitudes", m=[1.0])
