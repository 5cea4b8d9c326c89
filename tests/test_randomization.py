"""Randomization inference over treated units: hand example, fast DiD vs refits, sampling."""

from __future__ import annotations

import math
import warnings
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.estimators.did2x2 import did2x2
from evalkit.inference.randomization import assignments, did_randomization_test, randomization_test

HAND = pd.DataFrame({"county": ["a", "b", "c", "d"], "y": [1.0, 2.0, 3.0, 10.0]})


def diff_in_means(d: pd.DataFrame) -> float:
    return d.loc[d.treated == 1, "y"].mean() - d.loc[d.treated == 0, "y"].mean()


@pytest.mark.parametrize(
    ("alternative", "expected"),
    [("two-sided", 2 / 6), ("greater", 1 / 6), ("less", 6 / 6)],
    ids=["two-sided", "greater", "less"],
)
def test_hand_example_exact_p_value(alternative, expected):
    # assignments of 2 of 4 units and their statistics:
    # ab -5, ac -4, ad 3, bc -3, bd 4, cd 5 (observed)
    res = randomization_test(HAND, diff_in_means, unit="county", treated_units=["c", "d"], alternative=alternative)
    assert res.statistic == 5.0
    assert res.exact and res.n_possible == 6
    np.testing.assert_allclose(res.distribution, [-5, -4, 3, -3, 4, 5])
    assert res.p_value == pytest.approx(expected, abs=1e-15)


def make_cells(seed: int = 3, n_units: int = 6, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "county": rng.integers(0, n_units, n),
            "post": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "age_group": rng.choice(["under 20", "20-24", "25-29"], n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    df["southwest"] = (df.county < 2).astype(int)
    df["y"] = rng.normal(size=n) + 0.3 * df.x + 0.2 * df.southwest * df.post + rng.normal(size=n_units)[df.county]
    return df


OPTIONS = [
    pytest.param({}, id="plain"),
    pytest.param({"covariates": ["x"], "categorical": ["age_group"]}, id="covariates"),
    pytest.param({"covariates": ["x"], "weights": "w"}, id="weighted"),
]


@pytest.mark.parametrize("options", OPTIONS)
def test_fast_did_equals_refits(options):
    df = make_cells()
    fast = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", **options)

    def refit(d: pd.DataFrame) -> float:
        return did2x2(d, "y", treated="treated", post="post", **options).effect

    slow = randomization_test(df, refit, unit="county", treated_units=[0, 1])
    assert fast.exact and fast.distribution.size == math.comb(6, 2)
    np.testing.assert_allclose(fast.distribution, slow.distribution, rtol=1e-10, atol=1e-12)
    assert fast.statistic == pytest.approx(
        did2x2(df, "y", treated="southwest", post="post", **options).effect, rel=1e-10
    )
    assert fast.p_value == slow.p_value


def test_kept_design_gives_the_results_of_a_fresh_one():
    # a second outcome of the same rows reuses the design of the first call (QR basis, z'Gz)
    from evalkit.inference import randomization

    df = make_cells(n_units=8, n=800)
    df["y2"] = df.y**2
    options = {"unit": "county", "treated": "southwest", "post": "post", "covariates": ["x"]}
    did_randomization_test(df, "y", **options)
    design = randomization._DESIGNS[-1][1]
    kept = did_randomization_test(df, "y2", **options)
    assert randomization._DESIGNS[-1][1] is design
    randomization._DESIGNS.clear()
    fresh = did_randomization_test(df, "y2", **options)
    assert np.array_equal(kept.distribution, fresh.distribution)
    assert (kept.statistic, kept.p_value, kept.interval) == (fresh.statistic, fresh.p_value, fresh.interval)
    weighted = did_randomization_test(df.assign(w=2.0), "y2", weights="w", **options)
    assert len(randomization._DESIGNS) == 2  # other weights: another design
    assert weighted.statistic == pytest.approx(fresh.statistic, rel=1e-10)


def test_a_large_design_is_not_kept(monkeypatch):
    # a register-sized design would hold gigabytes after the call: it is built and forgotten
    from evalkit.inference import randomization

    df = make_cells(n_units=8, n=800)
    options = {"unit": "county", "treated": "southwest", "post": "post", "covariates": ["x"]}
    randomization._DESIGNS.clear()
    monkeypatch.setattr(randomization, "_KEPT_H_BYTES", 1024)
    large = did_randomization_test(df, "y", **options)
    assert randomization._DESIGNS == []
    monkeypatch.undo()
    kept = did_randomization_test(df, "y", **options)
    assert len(randomization._DESIGNS) == 1
    assert np.array_equal(large.distribution, kept.distribution) and large.p_value == kept.p_value


def test_fui_sized_design_is_enumerated_quickly():
    df = make_cells(n_units=18, n=3000)
    df["southwest"] = (df.county < 6).astype(int)
    res = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", covariates=["x"])
    assert res.exact and res.distribution.size == 18_564 and res.n_treated == 6
    # the observed assignment is one of the enumerated ones
    assert np.min(np.abs(res.distribution - res.statistic)) < 1e-12
    assert 1 / 18_564 <= res.p_value <= 1


def test_random_assignments_when_too_many():
    Z, exact = assignments(30, 10, rng=1)  # C(30, 10) = 30,045,015 > 100,000
    assert not exact and Z.shape == (9999, 30)
    assert np.all(Z.sum(axis=1) == 10)
    Z2, _ = assignments(30, 10, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(Z, Z2)
    Zall, exact_all = assignments(6, 2, n_perm=15)
    assert exact_all and len({tuple(z) for z in Zall}) == 15


def test_sampled_p_value_counts_the_observed_assignment():
    df = make_cells()
    res = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", n_perm=10, rng=4)
    assert not res.exact and res.distribution.size == 10
    hits = np.sum(np.abs(res.distribution) >= abs(res.statistic) * (1 - 1e-10))
    assert res.p_value == (1 + hits) / 11
    again = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", n_perm=10, rng=4)
    np.testing.assert_array_equal(res.distribution, again.distribution)


def test_result_is_immutable_and_printable():
    res = randomization_test(HAND, diff_in_means, unit="county", treated_units=["c", "d"])
    with pytest.raises(FrozenInstanceError):
        res.p_value = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.distribution[0] = 0.0
    assert "2 of 4" in str(res) and "all 6 assignments" in str(res)


def test_bad_input_is_named():
    df = make_cells()
    with pytest.raises(EvalkitError, match=r"\['z'\]"):
        randomization_test(HAND, diff_in_means, unit="county", treated_units=["z"])
    bad = df.assign(southwest=np.where(df.index == 0, 1 - df.southwest, df.southwest))
    with pytest.raises(DesignError, match="varies within units"):
        did_randomization_test(bad, "y", unit="county", treated="southwest", post="post")
    with pytest.raises(DesignError, match="'post' must be 0/1"):
        did_randomization_test(df.assign(post=df.post * 2), "y", unit="county", treated="southwest", post="post")
    with pytest.warns(ExcludedRowsWarning, match="1 of 600 rows"):
        did_randomization_test(df.assign(x=np.where(df.index == 5, np.nan, df.x)), "y", unit="county",
                               treated="southwest", post="post", covariates=["x"])


def test_data_not_mutated():
    df = make_cells()
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        did_randomization_test(df, "y", unit="county", treated="southwest", post="post", covariates=["x"])
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize("options", OPTIONS)
def test_confidence_interval_inverts_the_test(options):
    """Shifting the outcome by tau * D x post and testing again gives p(tau) either side of the ends."""
    df = make_cells(n_units=12, n=1200, seed=8)
    df["southwest"] = (df.county < 4).astype(int)
    res = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", alpha=0.1, **options)
    lo, hi = res.interval
    assert lo < res.statistic < hi and res.alpha == 0.1
    pd.testing.assert_frame_equal(res.conf_int(), res.conf_int(0.1))
    width = hi - lo
    for end, outward in ((lo, -1), (hi, 1)):
        for tau, inside in ((end - outward * 1e-6 * width, True), (end + outward * 1e-6 * width, False)):
            shifted = df.assign(y=df.y - tau * df.southwest * df.post)
            p = did_randomization_test(shifted, "y", unit="county", treated="southwest", post="post", ci=False, **options).p_value
            assert (p > 0.1) is inside


def test_too_few_assignments_give_an_unbounded_interval():
    res = did_randomization_test(make_cells(n_units=4), "y", unit="county", treated="southwest", post="post")
    assert res.n_possible == 6 and res.interval == (-np.inf, np.inf)  # the smallest p is 1/6


def test_results_follow_the_test_protocol():
    res = did_randomization_test(make_cells(), "y", unit="county", treated="southwest", post="post", ci=False)
    row = res.tidy().iloc[0]
    assert row["term"] == "southwest:post" and row["p_value"] == res.p_value and row["statistic"] == res.statistic
    assert np.isnan(res.conf_int()["lower"].iloc[0])
    assert "southwest:post" in str(res.summary())
    generic = randomization_test(HAND, diff_in_means, unit="county", treated_units=["c", "d"])
    assert list(generic.conf_int().columns) == ["lower", "upper"] and generic.tidy().shape[0] == 1
    with pytest.raises(EvalkitError, match="alpha=0.05"):
        did_randomization_test(make_cells(), "y", unit="county", treated="southwest", post="post").conf_int(0.1)


def test_categorical_treated_column():
    df = make_cells()
    plain = did_randomization_test(df, "y", unit="county", treated="southwest", post="post", ci=False)
    cat = did_randomization_test(df.assign(southwest=df.southwest.astype("category")), "y", unit="county",
                                 treated="southwest", post="post", ci=False)
    np.testing.assert_array_equal(plain.distribution, cat.distribution)


def test_bad_column_types_are_named():
    df = make_cells()
    with pytest.raises(EvalkitError, match=r"outcome column 'y' must be numeric"):
        did_randomization_test(df.assign(y="a"), "y", unit="county", treated="southwest", post="post")
    with pytest.raises(EvalkitError, match=r"weights column 'w' must be finite and positive"):
        did_randomization_test(df.assign(w=0.0), "y", unit="county", treated="southwest", post="post", weights="w")
    with pytest.raises(EvalkitError, match=r"n_perm must be a positive integer"):
        did_randomization_test(df, "y", unit="county", treated="southwest", post="post", n_perm=2.5)
