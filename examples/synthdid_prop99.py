"""Synthetic DiD, synthetic control and DiD on California's Proposition 99 (Arkhangelsky et al. 2021).

Prints the three estimates with placebo standard errors, the states and years that the
SDID weights select, the exact randomization test (every state in turn as the treated
one) and saves the figure ``synthdid_prop99.png``.

    python examples/synthdid_prop99.py [--reps 200]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import synthdid
from evalkit.report import save_figure

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "california_prop99.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description="Synthetic DiD on Proposition 99")
    parser.add_argument("--reps", type=int, default=200, help="placebo draws (default 200)")
    args = parser.parse_args()
    data = pd.read_csv(DATA, sep=";")
    data["first_treated"] = np.where(data["State"] == "California", 1989, 0)

    results = {
        method: synthdid(data, y="PacksPerCapita", time="Year", group="first_treated", unit="State",
                         method=method, vcov="placebo", n_reps=args.reps, rng=1)
        for method in ("sdid", "sc", "did")
    }
    table = pd.concat({m: r.tidy().set_index("term") for m, r in results.items()}, names=["method"])
    print("Effect of Proposition 99 on packs per capita, 1989-2000 (paper: -15.6, -19.6, -27.3)")
    print(table[["estimate", "std_error", "conf_low", "conf_high"]].round(2).to_string())

    sdid = results["sdid"]
    omega = sdid.unit_weights.loc[1989]
    print("\nSDID unit weights (states with positive weight):")
    print(omega[omega > 0].sort_values(ascending=False).round(3).to_string())
    lam = sdid.time_weights.loc[1989]
    print("\nSDID time weights (years with positive weight):")
    print(lam[lam > 0].round(3).to_string())

    test = results["sc"].randomization_test()
    print(f"\nRandomization test of the SC estimate over all {test.n_possible} states: "
          f"p = {test.p_value:.3f} (exact: {test.exact})")

    save_figure(sdid.plot(), "synthdid_prop99.png")
    print("\nfigure: synthdid_prop99.png")


if __name__ == "__main__":
    main()
