"""Placebo standard errors of SDID, SC and DiD on Proposition 99 with many draws, beside the paper's.

Arkhangelsky et al. (2021, AER) Table 1 reports the estimates -15.6, -19.6, -27.3 with
placebo standard errors 8.4, 9.9, 17.7.  The tests check the estimates exactly and the draws
by hand with few replications; this script measures the standard errors with ``--reps``
placebo draws (default 1000) and the time they take.  With ``--r-draws`` it instead uses the
200 permutations that R synthdid draws from the paper's seed (``set.seed(12345)``, frozen
in tests/reference/synthdid_r.json by tests/reference/make_synthdid_r.R), so that evalkit's
placebo SEs can be set beside R's and the paper's.  Output: docs/synthdid.md, section
"Proposition 99".

    python benchmarks/bench_synthdid.py [--reps 1000]
    python benchmarks/bench_synthdid.py --r-draws
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.estimators import synthdid

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"sdid": (-15.6, 8.4), "sc": (-19.6, 9.9), "did": (-27.3, 17.7)}


class RPermutations(np.random.Generator):
    """A Generator whose ``permutation`` returns R's placebo permutations in turn."""

    def __init__(self, permutations: list[list[int]]) -> None:
        super().__init__(np.random.PCG64(0))
        self._next = iter(permutations)

    def permutation(self, x):  # type: ignore[override]
        return np.asarray(next(self._next))


def r_draws(data: pd.DataFrame) -> None:
    """Placebo SEs from R's 200 permutations of the paper's seed, beside R's and the paper's."""
    ref = json.loads((ROOT / "tests" / "reference" / "synthdid_r.json").read_text())
    perms = ref["block"]["permutations"]
    rows = []
    for method, (_, paper_se) in PAPER.items():
        start = time.perf_counter()
        res = synthdid(data, y="PacksPerCapita", time="Year", group="first", unit="State", method=method,
                       vcov="placebo", n_reps=len(perms), rng=RPermutations(perms))
        rows.append({"method": method, "evalkit placebo SE": round(float(res.std_errors["ATT"]), 4),
                     "R synthdid placebo SE": round(ref["block"][method]["placebo_se"], 4), "paper SE": paper_se,
                     "seconds": round(time.perf_counter() - start, 1)})
    print(f"R's placebo permutations: {len(perms)} (set.seed({ref['seed']}), {ref['source']})")
    print(pd.DataFrame(rows).to_markdown(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="placebo draws per method")
    parser.add_argument("--r-draws", action="store_true", help="use R synthdid's 200 permutations of the paper's seed")
    args = parser.parse_args()
    data = pd.read_csv(ROOT / "tests" / "data" / "california_prop99.csv", sep=";")
    data["first"] = np.where(data["State"] == "California", 1989, 0)
    if args.r_draws:
        r_draws(data)
        return
    rows = []
    for method, (paper_est, paper_se) in PAPER.items():
        start = time.perf_counter()
        res = synthdid(data, y="PacksPerCapita", time="Year", group="first", unit="State", method=method,
                       vcov="placebo", n_reps=args.reps, rng=2021)
        rows.append({"method": method, "estimate": round(res.att, 2), "paper": paper_est,
                     "placebo SE": round(float(res.std_errors["ATT"]), 2), "paper SE": paper_se,
                     "seconds": round(time.perf_counter() - start, 1)})
    print(f"placebo draws per method: {args.reps}")
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
