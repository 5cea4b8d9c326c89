"""Check evalkit's CR2 against the numbers R clubSandwich's authors published (not run in CI).

R is not available here, so clubSandwich itself cannot be run.  Pustejovsky & Tipton
(2018, JBES 36(4), Table 3 "Tests of effects of minimum legal drink age", row "Fixed
effects, AHT") print the CR2 test of the minimum-legal-drinking-age effect in the
MortalityRates panel (motor-vehicle deaths, 1970-1983, 700 state-years, 50 state clusters):
``plm(mrate ~ legal + beertaxa, effect = "twoways", index = c("state", "year"))`` with
``Wald_test(..., constraints = constrain_zero(1), vcov = "CR2", cluster = state,
test = "HTZ")``.  For one constraint the HTZ test is the CR2 t-test with Satterthwaite
(Bell-McCaffrey) degrees of freedom: ``F = t^2 = 9.116`` and ``df = 24.58``.  Source:
github.com/jepusto/clubSandwich, paper_ClusterRobustTesting/
ClusterRobustTesting_FE_models_revised.tex (table tab:MLDA) and R/MLDA-example.R.

The data (clubSandwich's data/MortalityRates.RData, GPL-3) are not copied into this
repository: pass its path.  The script fits the three equivalent specifications (year as
dummies with state absorbed, both absorbed, all dummies) and writes
tests/reference/cr2_clubsandwich.json with the published and evalkit's numbers.

Usage::

    pip install pyreadr   # reading .RData; not a dependency of evalkit
    python tests/reference/make_cr2_clubsandwich.py /path/to/MortalityRates.RData

Run 2026-12-01 with pyreadr 0.5.8, clubSandwich sources at commit 7cc5060 (CRAN 0.7.0
submission): evalkit matches both printed numbers to every digit shown.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

PUBLISHED = {"F": 9.116, "df": 24.58}
SPECS = [
    "mrate ~ legal + beertaxa + C(year) | state",
    "mrate ~ legal + beertaxa | state + year",
    "mrate ~ legal + beertaxa + C(state) + C(year)",
]


def main(path: str) -> None:
    import pyreadr

    from evalkit.regression import feols

    data = pyreadr.read_r(path)["MortalityRates"]
    mv = data[(data["cause"] == "Motor Vehicle") & (data["year"] <= 1983) & data["beertaxa"].notna()].copy()
    mv["cause"] = mv["cause"].astype(str)
    cases = []
    for formula in SPECS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = feols(formula, mv, vcov="CR2", cluster="state")
        t = float(res.params["legal"] / res.std_errors["legal"])
        cases.append(
            {
                "formula": formula,
                "estimate": float(res.params["legal"]),
                "std_error": float(res.std_errors["legal"]),
                "F": t * t,
                "df": float(res.df_terms["legal"]),
            }
        )
        assert np.isclose(t * t, PUBLISHED["F"], atol=5e-4), (formula, t * t)
        assert np.isclose(res.df_terms["legal"], PUBLISHED["df"], atol=5e-3), (formula, res.df_terms["legal"])
    out = {
        "source": "Pustejovsky & Tipton (2018) Table 3, fixed effects AHT row; clubSandwich commit 7cc5060",
        "published": PUBLISHED,
        "nobs": int(len(mv)),
        "n_clusters": int(mv["state"].nunique()),
        "evalkit": cases,
    }
    target = Path(__file__).with_name("cr2_clubsandwich.json")
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
