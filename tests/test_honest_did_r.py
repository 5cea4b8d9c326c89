"""The HonestDiD restriction families against the R package itself.

``tests/reference/make_honest_did_families.R`` ran HonestDiD 0.2.6 (R) on the
Medicaid-expansion event study of its README (``betahat`` / ``sigma`` of
tests/reference/honest_did.json) and froze the intervals in
tests/reference/honest_did_families.json:

* ``common_grid``: the conditional test (nothing simulated) inverted over a theta grid
  given in the file, for SDB, SDM, RMB, RMM, SDRM, SDRMB and SDRMM, over a few bounds.
  evalkit on the same grid must accept the same grid points: the interval ends agree to
  rounding of the grid (1e-12), and so do the breakdown values on those bounds (computed
  here from R's intervals by the definition of ``SensitivityResult.breakdown``).
* ``defaults``: the package's user functions with their default interval method (C-F under
  SDB / SDM, C-LF under RMB and SDRMB), with breakdown values.  C-F's grid is the FLCI of
  level alpha / 10, which R finds by a grid search and evalkit exactly, and C-LF simulates
  its first-stage critical value (R: seed 0, evalkit: its own draws), so these agree to
  three steps of the theta grid, not to the digit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalkit.sensitivity import honest_did_arrays

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "honest_did.json").read_text())
FAM = json.loads((HERE / "honest_did_families.json").read_text())
BETA = np.array(REF["betahat"])
SIGMA = np.array(REF["sigma"])
METHOD = {"SD": "smoothness", "RM": "relative_magnitudes", "SDRM": "smoothness_relative_magnitudes"}


def _shape(shape: str) -> dict:
    if shape in ("positive", "negative"):
        return {"bias": shape}
    if shape in ("increasing", "decreasing"):
        return {"monotonicity": shape}
    return {}


def _groups() -> list[list[dict]]:
    """The common-grid cases grouped by family, shape and target (one group: one M grid)."""
    groups: dict[tuple, list[dict]] = {}
    for case in FAM["common_grid"]["cases"]:
        groups.setdefault((case["family"], case["shape"], case["target"]), []).append(case)
    return list(groups.values())


def _breakdown(m: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    covers = (lower <= 0) & (0 <= upper)
    return float(m[covers].min()) if covers.any() else float("inf")


@pytest.mark.parametrize("cases", _groups(), ids=lambda g: f"{g[0]['family']}-{g[0]['shape']}-{g[0]['target']}")
def test_conditional_test_accepts_the_same_grid_points_as_r(cases: list[dict]) -> None:
    """Same grid, same accepted points: the ends agree to 1e-12, and so do the breakdown values."""
    grid = FAM["common_grid"]
    case = cases[0]
    num_post = 1 if case["target"] == "one_post" else 2
    n = 5 + num_post
    m = np.array([c["m"] for c in cases], dtype=float)
    res = honest_did_arrays(BETA[:n], SIGMA[:n, :n], 5, num_post, method=METHOD[case["family"]], m=m,
                            target=np.atleast_1d(case["l_vec"]).astype(float), ci_method="conditional",
                            theta_range=(grid["lb"], grid["ub"]), grid_points=grid["points"], **_shape(case["shape"]))
    order = np.argsort(m, kind="stable")
    lower = np.array([c["lower"] for c in cases], dtype=float)[order]
    upper = np.array([c["upper"] for c in cases], dtype=float)[order]
    assert not res.open_ends
    np.testing.assert_allclose(res.lower, lower, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.upper, upper, rtol=0, atol=1e-12)
    assert res.breakdown() == _breakdown(m[order], lower, upper)


@pytest.mark.parametrize("case", FAM["defaults"], ids=lambda c: f"{c['restriction']}-{c['ci_method']}")
def test_defaults_match_r_to_a_few_grid_steps(case: dict) -> None:
    """R's user functions with their default interval method (C-F under SDB / SDM, C-LF under
    the relative-magnitude families); three grid steps of tolerance (see the module docstring)."""
    kwargs = {"method": METHOD[case["family"]], "m": np.atleast_1d(case["m"]).astype(float),
              "target": case["l_vec"], **_shape(case["shape"])}
    if "grid_lb" in case:  # C-LF on the theta grid R was given
        kwargs |= {"theta_range": (case["grid_lb"], case["grid_ub"]), "grid_points": case["grid_points"]}
    res = honest_did_arrays(BETA, SIGMA, 5, 2, **kwargs)
    assert res.ci_method == case["ci_method"] and res.restriction == case["restriction"]
    lower = np.atleast_1d(case["lower"]).astype(float)
    upper = np.atleast_1d(case["upper"]).astype(float)
    if "grid_lb" in case:
        step = (case["grid_ub"] - case["grid_lb"]) / (case["grid_points"] - 1)
    else:  # C-F: R's grid is its FLCI of level alpha / 10 in 1000 points; ours is ours
        step = float(np.max(res.upper - res.lower)) / 999
    np.testing.assert_allclose(res.lower, lower, rtol=0, atol=3 * step)
    np.testing.assert_allclose(res.upper, upper, rtol=0, atol=3 * step)
    assert res.breakdown() == float(case["breakdown"])  # "Inf": no interval on the grid covers 0
