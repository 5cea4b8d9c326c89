"""Freeze synthdid-py's synthetic DiD numbers on the Proposition 99 panel (tests/reference/synthdid.json).

Peer: synthdid-py 0.1.0 (PyPI; a port of the reference R package synthdid, Arkhangelsky,
Athey, Hirshberg, Imbens & Wager), run with numpy 2.4 / pandas 3.1 / scipy 1.17.  It is in
the ``peers`` extra, never a run-time or test dependency.  Run from the repository root:

    python tests/reference/make_synthdid.py

Designs (all on tests/data/california_prop99.csv, the R package's data):

- ``block``: California treated from 1989 (the paper's application): estimates and
  weights of ``synthdid_estimate``, ``sc_estimate``, ``did_estimate``.
- ``block5``: California and four other states treated from 1989, so that the
  (deterministic) jackknife standard error is defined: estimates, weights, jackknife SEs.
- ``staggered``: three cohorts (1985: Nevada, Utah; 1989: California, Montana; 1995: Idaho,
  New Mexico) against the never-treated states: ``staggered_synthdid_estimate`` (cohorts
  weighted by treated unit-periods) and its fixed-weight jackknife SE.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import synthdid

ROOT = Path(__file__).resolve().parents[1]
BLOCK5 = ["California", "Montana", "Nevada", "New Mexico", "Utah"]
STAGGERED = {"Nevada": 1985, "Utah": 1985, "California": 1989, "Montana": 1989, "Idaho": 1995, "New Mexico": 1995}
ESTIMATORS = {"sdid": synthdid.synthdid_estimate, "sc": synthdid.sc_estimate, "did": synthdid.did_estimate}


def load() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "california_prop99.csv", sep=";")


def block_numbers(panel: pd.DataFrame, jackknife: bool) -> dict:
    pm = synthdid.panel_matrices(panel, unit="State", time="Year", outcome="PacksPerCapita", treatment="treated")
    units = [str(u) for u in pm.units[: pm.N0]]
    out = {}
    for name, fn in ESTIMATORS.items():
        est = fn(pm.Y, pm.N0, pm.T0)
        row = {
            "estimate": float(est),
            "omega": dict(zip(units, map(float, est.weights.omega), strict=True)),
            "lambda": dict(zip(map(int, pm.time[: pm.T0]), map(float, est.weights.lambda_), strict=True)),
        }
        if jackknife:
            row["jackknife_se"] = float(np.sqrt(synthdid.vcov(est, method="jackknife")[0, 0]))
        out[name] = row
    return out


def main() -> None:
    data = load()
    block5 = data.assign(treated=(data["State"].isin(BLOCK5) & (data["Year"] >= 1989)).astype(int))
    start = data["State"].map(STAGGERED)
    staggered = data.assign(treated=(start.notna() & (data["Year"] >= start)).astype(int))
    est = synthdid.staggered_synthdid_estimate(staggered, unit="State", time="Year", outcome="PacksPerCapita",
                                               treatment="treated")
    result = {
        "source": "synthdid-py " + version("synthdid-py") + " (port of R synthdid); numpy " + np.__version__
                  + ", pandas " + pd.__version__,
        "block": block_numbers(data, jackknife=False),
        "block5": {"treated": BLOCK5, **block_numbers(block5, jackknife=True)},
        "staggered": {
            "cohorts": STAGGERED,
            "att": est.att,
            "tau": {str(int(r.adoption_time)): float(r.tau) for r in est.by_cohort.itertuples()},
            "share": {str(int(r.adoption_time)): float(r.weight) for r in est.by_cohort.itertuples()},
            "jackknife_se": est.se(method="jackknife"),
        },
    }
    path = ROOT / "reference" / "synthdid.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
