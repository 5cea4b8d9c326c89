"""Step-down multiple testing (Romano-Wolf maxT, Westfall-Young minP) on shared draws.

Checked against brute-force loops written from the definitions, the sequential rejection
procedure of Romano & Wolf (2005), monotonicity, adjusted >= raw, the refusal of tests
that share no draws, and the family-wise error rate under a global null with correlated
tests (arrays, and wild cluster bootstraps of clustered regressions).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.inference import (
    did_randomization_test,
    romano_wolf,
    romano_wolf_arrays,
    westfall_young,
    westfall_young_arrays,
    wild_cluster_bootstrap,
)
from evalkit.regression import feols
from evalkit.results import InvalidTest, StepdownResult


def _brute_romano_wolf(t: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Romano & Wolf (2016) adjusted p-values, loop by loop (two-sided, count / B)."""
    m = t.size
    order = sorted(range(m), key=lambda j: -abs(t[j]))
    out = np.empty(m)
    running = 0.0
    for s, j in enumerate(order):
        rest = order[s:]
        count = sum(1 for b in range(T.shape[0]) if max(abs(T[b, r]) for r in rest) >= abs(t[j]) * (1 - 1e-10))
        running = max(running, count / T.shape[0])
        out[j] = running
    return out


def _brute_westfall_young(t: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Westfall & Young (1993) minP adjusted p-values, loop by loop (two-sided, count / B)."""
    B, m = T.shape

    def pval(x: float, col: np.ndarray) -> float:
        return sum(1 for v in col if abs(v) >= abs(x) * (1 - 1e-10)) / B

    raw = [pval(t[j], T[:, j]) for j in range(m)]
    star = np.array([[pval(T[b, j], T[:, j]) for j in range(m)] for b in range(B)])
    order = sorted(range(m), key=lambda j: (raw[j], -abs(t[j])))
    out = np.empty(m)
    running = 0.0
    for s, j in enumerate(order):
        rest = order[s:]
        count = sum(1 for b in range(B) if min(star[b, r] for r in rest) <= raw[j] + 1e-12)
        running = max(running, count / B)
        out[j] = running
    return out


def _sequential_rejections(t: np.ndarray, T: np.ndarray, alpha: float) -> set[int]:
    """Romano & Wolf (2005) Algorithm 4.1: reject, recompute the max over the rest, repeat."""
    active = set(range(t.size))
    rejected: set[int] = set()
    while active:
        idx = sorted(active)
        maxima = np.abs(T[:, idx]).max(axis=1)
        new = {j for j in idx if np.mean(maxima >= abs(t[j]) * (1 - 1e-10)) <= alpha}
        if not new:
            break
        rejected |= new
        active -= new
    return rejected


def _correlated_draws(rng: np.random.Generator, B: int, m: int, rho: float) -> np.ndarray:
    cov = np.full((m, m), rho) + (1 - rho) * np.eye(m)
    return rng.multivariate_normal(np.zeros(m), cov, size=B)


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    T = _correlated_draws(rng, 60, 5, 0.5)
    t = np.array([2.9, -0.4, 1.7, -2.2, 1.1])
    return t, T


def test_romano_wolf_matches_brute_force(small) -> None:
    t, T = small
    res = romano_wolf_arrays(t, T)
    np.testing.assert_allclose(res.p_value_adjusted, _brute_romano_wolf(t, T), rtol=0, atol=1e-15)
    raw = [np.mean(np.abs(T[:, j]) >= abs(t[j]) * (1 - 1e-10)) for j in range(t.size)]
    np.testing.assert_allclose(res.p_value, raw, atol=1e-15)


def test_westfall_young_matches_brute_force(small) -> None:
    t, T = small
    res = westfall_young_arrays(t, T)
    np.testing.assert_allclose(res.p_value_adjusted, _brute_westfall_young(t, T), rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_adjusted_p_values_give_the_sequential_rejections(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = _correlated_draws(rng, 200, 6, 0.3)
    t = rng.normal(0, 2, size=6)
    adj = romano_wolf_arrays(t, T).p_value_adjusted
    for alpha in [*np.linspace(0.005, 0.5, 60), *adj]:
        assert {j for j in range(6) if adj[j] <= alpha} == _sequential_rejections(t, T, alpha)


@pytest.mark.parametrize("fn", [romano_wolf_arrays, westfall_young_arrays])
def test_monotone_and_not_below_raw(fn) -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        T = _correlated_draws(rng, 300, 8, rng.uniform(0, 0.9))
        t = rng.normal(0, 2, size=8)
        res = fn(t, T)
        assert np.all(res.p_value_adjusted >= res.p_value - 1e-15)
        assert np.all(res.p_value_adjusted <= 1)
        # more extreme statistic (romano-wolf) / smaller p (westfall-young) -> adjusted p no larger
        key = -np.abs(t) if fn is romano_wolf_arrays else res.p_value
        order = np.argsort(key, kind="stable")
        assert np.all(np.diff(res.p_value_adjusted[order]) >= -1e-15)
        # the most significant test is adjusted by the max (min) over all: at least Bonferroni-free bound
        assert res.p_value_adjusted.max() <= 1


def test_one_test_is_its_own_p_value() -> None:
    rng = np.random.default_rng(0)
    T = rng.normal(size=(999, 1))
    for fn in (romano_wolf_arrays, westfall_young_arrays):
        res = fn([1.3], T)
        np.testing.assert_allclose(res.p_value_adjusted, res.p_value)


def test_perfectly_correlated_tests_need_no_correction() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(500, 1))
    T = np.hstack([z, z, z])
    res = romano_wolf_arrays([2.0, 2.0, 2.0], T)
    np.testing.assert_allclose(res.p_value_adjusted, res.p_value)


def test_add_observed_treats_the_observed_as_a_draw() -> None:
    rng = np.random.default_rng(2)
    T = rng.normal(size=(99, 3))
    t = np.array([2.5, 0.3, -1.9])
    res = romano_wolf_arrays(t, T, add_observed=True)
    np.testing.assert_allclose(res.p_value_adjusted, _brute_romano_wolf(t, np.vstack([t, T])))
    counts = [(np.abs(T[:, j]) >= abs(t[j]) * (1 - 1e-10)).sum() for j in range(3)]
    np.testing.assert_allclose(res.p_value, (1 + np.array(counts)) / 100)


def test_one_sided_alternatives() -> None:
    rng = np.random.default_rng(4)
    T = rng.normal(size=(400, 2))
    t = np.array([1.8, -1.8])
    greater = westfall_young_arrays(t, T, alternative=["greater", "less"])
    flipped = westfall_young_arrays(t * [1, -1], T * [1, -1], alternative="greater")
    np.testing.assert_allclose(greater.p_value_adjusted, flipped.p_value_adjusted)


@pytest.mark.parametrize("fn", [romano_wolf_arrays, westfall_young_arrays])
def test_fwer_under_global_null_with_correlated_tests(fn) -> None:
    """Observed statistics exchangeable with the draws: the FWER is at most alpha (exact)."""
    rng = np.random.default_rng(20240601)
    reps, B, m, rho = 2000, 199, 8, 0.6
    reject = np.empty(reps, dtype=bool)
    naive = np.empty(reps, dtype=bool)
    for r in range(reps):
        Z = _correlated_draws(rng, B + 1, m, rho)
        res = fn(Z[0], Z[1:], add_observed=True)
        reject[r] = np.any(res.p_value_adjusted <= 0.05)
        naive[r] = np.any(res.p_value <= 0.05)
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(reject.mean() - 0.05) < 3.5 * se, reject.mean()
    assert naive.mean() > 0.15  # without the correction, 8 tests reject far too often


def _clustered(seed: int, G: int = 18, per: int = 20, m: int = 4, rho: float = 0.5) -> pd.DataFrame:
    """Clustered regressions of m correlated outcomes on a treatment of 6 clusters, no effect."""
    rng = np.random.default_rng(seed)
    county = np.repeat(np.arange(G), per)
    post = np.tile(np.arange(per) % 2, G)
    treated = (county < 6).astype(int)
    common = rng.normal(size=(G, 2))[county, post]  # county x window shock shared by the outcomes
    data = {"county": county, "post": post, "treated": treated}
    for k in range(m):
        own = rng.normal(size=(G, 2))[county, post]
        data[f"y{k}"] = np.sqrt(rho) * common + np.sqrt(1 - rho) * own + rng.normal(size=G * per)
    return pd.DataFrame(data)


def _wild_family(df: pd.DataFrame, m: int, seed: int = 7, **kw) -> dict[str, object]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(m):
            res = feols(f"y{k} ~ treated * post", df, cluster="county")
            out[f"y{k}"] = wild_cluster_bootstrap(
                res, "treated:post", cluster="county", n_boot=399, weight_type="webb", rng=seed, ci=False, **kw
            )
    return out


def test_same_seed_gives_the_same_weights_across_fits() -> None:
    df = _clustered(0)
    fam = _wild_family(df, 3)
    keys = {t.draws_key for t in fam.values()}
    assert len(keys) == 1 and "" not in keys
    res = romano_wolf(fam)
    assert isinstance(res, StepdownResult)
    np.testing.assert_allclose(res.p_value, [t.p_value for t in fam.values()], atol=1e-15)
    np.testing.assert_allclose(res.statistics, [t.statistic for t in fam.values()])
    T = np.column_stack([t.draws for t in fam.values()])
    np.testing.assert_allclose(res.p_value_adjusted, _brute_romano_wolf(res.statistics, T), atol=1e-15)
    wy = westfall_young(fam)
    np.testing.assert_allclose(wy.p_value_adjusted, _brute_westfall_young(wy.statistics, T), atol=1e-15)
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "statistic", "p_value", "p_value_adjusted", "method"]
    assert list(tidy["term"]) == ["y0", "y1", "y2"]
    assert "adjusted p" in str(res) and "romano-wolf" in str(res.summary())
    with pytest.raises(ValueError):
        res.p_value_adjusted[0] = 0.0  # read-only


def test_different_seeds_are_refused() -> None:
    df = _clustered(1)
    fam = _wild_family(df, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feols("y1 ~ treated * post", df, cluster="county")
    fam["other seed"] = wild_cluster_bootstrap(
        res, "treated:post", cluster="county", n_boot=399, weight_type="webb", rng=8, ci=False
    )
    with pytest.raises(EvalkitError, match="do not share their weight draws.*other seed"):
        romano_wolf(fam)
    gen = np.random.default_rng(7)  # one Generator for several calls advances: different draws
    shared = {
        k: wild_cluster_bootstrap(res, "treated:post", cluster="county", n_boot=399, weight_type="webb", rng=gen, ci=False)
        for k in ("a", "b")
    }
    with pytest.raises(EvalkitError, match="do not share"):
        westfall_young(shared)


def test_other_clusters_are_refused() -> None:
    df = _clustered(2)
    df["county2"] = df["county"].map(lambda c: f"k{c:02d}")  # same partition, other labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feols("y0 ~ treated * post", df, cluster="county")
    a = wild_cluster_bootstrap(res, "treated:post", cluster="county", n_boot=99, weight_type="webb", rng=1, ci=False)
    b = wild_cluster_bootstrap(res, "treated:post", cluster="county2", n_boot=99, weight_type="webb", rng=1, ci=False)
    with pytest.raises(EvalkitError, match="do not share"):
        romano_wolf({"a": a, "b": b})


def test_input_errors() -> None:
    df = _clustered(3)
    fam = _wild_family(df, 2)
    with pytest.raises(EvalkitError, match="pass a dict"):
        romano_wolf(list(fam.values()))  # both test treated:post
    with pytest.raises(EvalkitError, match="invalid"):
        romano_wolf({**fam, "bad": InvalidTest("no clusters")})
    with pytest.raises(EvalkitError, match=r"\(B, m\)"):
        romano_wolf_arrays([1.0, 2.0], np.zeros((10, 3)))
    with pytest.raises(EvalkitError, match="not finite"):
        romano_wolf_arrays([np.nan, 2.0], np.zeros((10, 2)), names=["a", "b"])
    with pytest.raises(EvalkitError, match="no tests"):
        romano_wolf({})


def test_randomization_tests_share_enumerated_assignments() -> None:
    rng = np.random.default_rng(5)
    units, per = 8, 10
    unit = np.repeat(np.arange(units), per)
    post = np.tile(np.arange(per) % 2, units)
    treated = (unit < 3).astype(int)
    df = pd.DataFrame({"unit": unit, "post": post, "treated": treated})
    shock = rng.normal(size=(units, 2))[unit, post]
    for k in range(3):
        df[f"y{k}"] = shock + rng.normal(size=units * per)
    tests = {f"y{k}": did_randomization_test(df, f"y{k}", unit="unit", treated="treated", post="post", ci=False) for k in range(3)}
    assert all(t.exact for t in tests.values())
    res = westfall_young(tests)
    T = np.column_stack([t.distribution for t in tests.values()])
    np.testing.assert_allclose(res.p_value, [t.p_value for t in tests.values()], atol=1e-15)
    np.testing.assert_allclose(res.p_value_adjusted, _brute_westfall_young(res.statistics, T), atol=1e-15)
    with pytest.raises(EvalkitError, match="use westfall_young"):
        romano_wolf(tests)
    sampled = did_randomization_test(df, "y0", unit="unit", treated="treated", post="post", n_perm=50, rng=1, ci=False)
    assert not sampled.exact
    with pytest.raises(EvalkitError, match="drew random assignments"):
        westfall_young({"a": tests["y0"], "b": sampled})


def test_mixed_kinds_are_refused() -> None:
    df = _clustered(4)
    fam = _wild_family(df, 1)
    df2 = df.assign(unit=df.county)
    ri = did_randomization_test(df2, "y0", unit="unit", treated="treated", post="post", n_perm=20, rng=1, ci=False)
    with pytest.raises(EvalkitError, match="one resampling scheme"):
        westfall_young({"wild": fam["y0"], "ri": ri})


def test_fwer_of_wild_bootstrap_family_under_the_null() -> None:
    """Four correlated outcomes, 18 clusters with 6 treated, no effect: FWER near 5 %."""
    reps = 150
    reject = np.empty(reps, dtype=bool)
    naive = np.empty(reps, dtype=bool)
    for r in range(reps):
        fam = _wild_family(_clustered(1000 + r, per=10), 4, seed=r)
        res = romano_wolf(fam)
        reject[r] = np.any(res.p_value_adjusted <= 0.05)
        naive[r] = np.any(res.p_value <= 0.05)
    assert reject.mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps), reject.mean()
    assert naive.mean() >= reject.mean()


def test_combinations_of_small_designs_cover_ties() -> None:
    """Enumerated Rademacher draws have exact ties; brute force and fast agree on them."""
    G = 6
    V = np.array(list(itertools.product([-1.0, 1.0], repeat=G)))
    rng = np.random.default_rng(9)
    A = rng.normal(size=(G, 3))
    T = V @ A  # many ties across draws (v and -v give |T| equal)
    t = T[5] * 1.0
    np.testing.assert_allclose(romano_wolf_arrays(t, T).p_value_adjusted, _brute_romano_wolf(t, T), atol=1e-15)
    np.testing.assert_allclose(westfall_young_arrays(t, T).p_value_adjusted, _brute_westfall_young(t, T), atol=1e-15)


def test_several_terms_of_one_call_share_draws() -> None:
    """wild_cluster_bootstrap with several terms returns a dict that romano_wolf takes as is."""
    df = _clustered(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = feols("y0 ~ treated * post", df, cluster="county")
        tests = wild_cluster_bootstrap(
            res, ["post", "treated:post"], n_boot=199, weight_type="webb", rng=3, ci=False
        )
    assert len({t.draws_key for t in tests.values()}) == 1
    out = romano_wolf(tests)
    assert list(out.terms) == ["post", "treated:post"]
    T = np.column_stack([t.draws for t in tests.values()])
    np.testing.assert_allclose(out.p_value_adjusted, _brute_romano_wolf(out.statistics, T), atol=1e-15)


def test_randomization_tests_of_other_designs_are_refused() -> None:
    rng = np.random.default_rng(6)
    unit = np.repeat(np.arange(8), 6)
    post = np.tile(np.arange(6) % 2, 8)
    df = pd.DataFrame({"unit": unit, "post": post, "y": rng.normal(size=48)})
    a = did_randomization_test(df.assign(treated=(unit < 3).astype(int)), "y", unit="unit", treated="treated", post="post", ci=False)
    b = did_randomization_test(df.assign(treated=(unit < 4).astype(int)), "y", unit="unit", treated="treated", post="post", ci=False)
    with pytest.raises(EvalkitError, match="enumerate different assignments"):
        westfall_young({"three treated": a, "four treated": b})
