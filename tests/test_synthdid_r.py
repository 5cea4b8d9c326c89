"""Synthetic DiD on Proposition 99 against the reference R package synthdid.

Reference: tests/reference/synthdid_r.json, made by tests/reference/make_synthdid_r.R with
R synthdid 0.0.9 (github:synth-inference/synthdid 70c1ce3) under R 4.2 on the R package's
data (tests/data/california_prop99.csv).  Estimates and unit and time weights at rtol
1e-6; the jackknife SE (deterministic) at rtol 1e-6; the placebo draws exactly: R's own
permutations from the paper's seed (``set.seed(12345)``, 200 draws, as the paper's
vignette computes Table 1's standard errors) are handed to evalkit through a Generator
whose ``permutation`` returns them, so evalkit's placebo estimates must equal R's draw for
draw (all 200 for DiD; the first few for SDID and SC, whose 200 refits
benchmarks/bench_synthdid.py runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import SynthDiDResult, synthdid

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "synthdid_r.json").read_text())
PAPER_SE = {"sdid": 8.4, "sc": 9.9, "did": 17.7}  # Arkhangelsky et al. (2021), Table 1


class RPermutations(np.random.Generator):
    """A Generator whose ``permutation`` returns given permutations in turn (R's draws)."""

    def __init__(self, permutations: Iterable[Iterable[int]]) -> None:
        super().__init__(np.random.PCG64(0))
        self._next = iter(permutations)

    def permutation(self, x):  # type: ignore[override]
        return np.asarray(next(self._next))


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "california_prop99.csv", sep=";")


def _fit(data: pd.DataFrame, treated: list[str], method: str, **kwargs) -> SynthDiDResult:
    panel = data.assign(first=np.where(data["State"].isin(treated), 1989, 0))
    return synthdid(panel, y="PacksPerCapita", time="Year", group="first", unit="State", method=method, **kwargs)


def _check_weights(res: SynthDiDResult, ref: dict, controls: list[str]) -> None:
    np.testing.assert_allclose(res.att, ref["estimate"], rtol=1e-6)
    omega = res.unit_weights.loc[1989]
    assert list(omega.index) == controls == list(ref["omega"])
    np.testing.assert_allclose(omega.to_numpy(), list(ref["omega"].values()), rtol=1e-6, atol=1e-9)
    lam = res.time_weights.loc[1989]
    assert [str(t) for t in lam.index] == list(ref["lambda"])
    np.testing.assert_allclose(lam.to_numpy(), list(ref["lambda"].values()), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method, n_draws", [("sdid", 3), ("sc", 3), ("did", 200)])
def test_block_design_matches_r_with_rs_placebo_draws(prop99, method, n_draws):
    block = REF["block"]
    ref = block[method]
    res = _fit(prop99, ["California"], method, vcov="placebo", n_reps=n_draws,
               rng=RPermutations(block["permutations"][:n_draws]))
    _check_weights(res, ref, block["controls"])
    np.testing.assert_allclose(np.asarray(res.draws).ravel(), ref["placebo_draws"][:n_draws], rtol=1e-6)
    if n_draws == REF["reps"]:
        np.testing.assert_allclose(res.std_errors["ATT"], ref["placebo_se"], rtol=1e-6)
    # R's placebo SE with the paper's seed is the paper's Table 1 SE to its rounding
    assert round(ref["placebo_se"], 1) == PAPER_SE[method]


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_five_treated_states_match_r_with_its_jackknife(prop99, method):
    block5 = REF["block5"]
    ref = block5[method]
    res = _fit(prop99, block5["treated"], method, vcov="jackknife")
    _check_weights(res, ref, block5["controls"])
    np.testing.assert_allclose(res.std_errors["ATT"], ref["jackknife_se"], rtol=1e-6)


def _with_covariates(data: pd.DataFrame, ref: dict) -> pd.DataFrame:
    """The data (restricted to R's units) with R's two covariates, ``x1`` and ``x2``."""
    years = sorted(data["Year"].unique())
    frames = [pd.DataFrame(ref[name], index=ref["units"], columns=years).stack().rename(name) for name in ("x1", "x2")]
    x = pd.concat(frames, axis=1).rename_axis(["State", "Year"]).reset_index()
    return data.merge(x, on=["State", "Year"], validate="one_to_one")


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_covariates_match_r_x_argument(prop99, method):
    """Two time-varying covariates (R's ``X``): estimate, weights, ``beta`` and the first
    placebo draw (R's permutation; ``beta`` fitted again) agree with R."""
    cov = REF["covariates"]
    ref = cov[method]
    res = _fit(_with_covariates(prop99, cov), ["California"], method, covariates=["x1", "x2"], vcov="placebo",
               n_reps=2, rng=RPermutations(REF["block"]["permutations"][:2]))
    _check_weights(res, ref, cov["controls"])
    beta = res.cohorts.loc[0, ["beta::x1", "beta::x2"]].to_numpy(dtype=float)
    np.testing.assert_allclose(beta, ref["beta"], rtol=1e-6)
    np.testing.assert_allclose(res.draws[0, 0], np.atleast_1d(ref["placebo_draws"])[0], rtol=1e-6)
    assert res.extra["covariates"] == "x1, x2" and res.covariates.shape == (39, 31, 2)
    plain = _fit(prop99, ["California"], method, vcov="placebo", n_reps=2, rng=1)
    assert abs(res.att - plain.att) > 1.0  # the covariates matter here


@pytest.mark.parametrize("method", ["sdid"])
def test_covariates_jackknife_matches_r(prop99, method):
    """The fixed-weight jackknife with covariates (``beta`` refitted on each left-out panel)
    on two treated and six control states."""
    cov = REF["covariates_jackknife"]
    ref = cov[method]
    data = _with_covariates(prop99.loc[prop99["State"].isin(cov["states"])], cov)
    res = _fit(data, cov["treated"], method, covariates=["x1", "x2"], vcov="jackknife")
    _check_weights(res, ref, cov["controls"])
    np.testing.assert_allclose(res.cohorts.loc[0, ["beta::x1", "beta::x2"]].to_numpy(dtype=float), ref["beta"],
                               rtol=1e-6)
    np.testing.assert_allclose(res.std_errors["ATT"], ref["jackknife_se"], rtol=1e-6)
