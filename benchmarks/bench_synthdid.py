"""Placebo standard errors of SDID, SC and DiD on Proposition 99 with many draws, beside the paper's.

Arkhangelsky et al. (2021, AER) Table 1 reports the estimates -15.6, -19.6, -27.3 with
placebo standard errors 8.4, 9.9, 17.7.  The tests check the estimates exactly and the draws
by hand with few replications; this script measures the standard errors with ``--reps``
placebo draws (default 1000) and the time they take.  Output: docs/synthdid.md, section
"Proposition 99".

    python benchmarks/bench_synthdid.py [--reps 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.estimators import synthdid

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"sdid": (-15.6, 8.4), "sc": (-19.6, 9.9), "did": (-27.3, 17.7)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="placebo draws per method")
    args = parser.parse_args()
    data = pd.read_csv(ROOT / "tests" / "data" / "california_prop99.csv", sep=";")
    data["first"] = np.where(data["State"] == "California", 1989, 0)
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
