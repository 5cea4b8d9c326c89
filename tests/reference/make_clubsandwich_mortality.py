"""Freeze the clubSandwich MortalityRates check of evalkit's CR2 (not run in CI).

R is not available here, so clubSandwich itself cannot be run; its authors' published
numbers are the reference.  Pustejovsky & Tipton (2018, JBES 36(4), Table 3 "Tests of
effects of minimum legal drink age", rows "Fixed effects") print the tests of the
minimum-legal-drinking-age effect in clubSandwich's MortalityRates panel (motor-vehicle
deaths, 1970-1983, 700 state-years, 50 state clusters):
``plm(mrate ~ legal + beertaxa, effect = "twoways", index = c("state", "year"))`` with
``Wald_test(..., constraints = constrain_zero(1), cluster = state)``:

* ``vcov = "CR2", test = "HTZ"``: for one constraint the CR2 t-test with Satterthwaite
  (Bell-McCaffrey) degrees of freedom, ``F = t^2 = 9.116``, ``df = 24.58``, ``p = 0.00583``;
* ``vcov = "CR1", test = "Naive-F"``: clubSandwich's CR1 (the CR0 sum times ``G/(G-1)``,
  no ``(n-1)/(n-k)`` factor) with ``G - 1`` df, ``F = 9.660``, ``df = 49``, ``p = 0.00313``.

Source: github.com/jepusto/clubSandwich at commit 7cc5060 (CRAN submission),
paper_ClusterRobustTesting/ClusterRobustTesting_FE_models_revised.tex (table tab:MLDA) and
paper_ClusterRobustTesting/R/MLDA-example.R (the code that made the table).

The data: clubSandwich's data/MortalityRates.RData (documented in its R/data-documentation.R
as taken from the Mastering 'Metrics data archive, deaths.dta, of Angrist & Pischke 2014;
Carpenter & Dobkin 2011).  This script converts the 700 rows of the subset above, with the
columns the model uses (state, year, legal, beertaxa, mrate), to
tests/reference/clubsandwich_mortality_rates.csv (floats written to round-trip exactly),
fits the three equivalent specifications (year as dummies with state absorbed, both
absorbed, all dummies) and writes tests/reference/cr2_clubsandwich.json with the
published and evalkit's numbers.  tests/test_cr2.py checks evalkit against the published
numbers on that CSV in CI.

Usage (get the .RData with ``git show 7cc5060:data/MortalityRates.RData`` in a clone of
clubSandwich)::

    pip install pyreadr   # reading .RData; only for this script, never a dependency of evalkit
    python tests/reference/make_clubsandwich_mortality.py /path/to/MortalityRates.RData

Run 2026-12-01 with pyreadr 0.5.8, pandas 3.1.1, clubSandwich commit 7cc5060: evalkit
matches every printed digit of both rows.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
CSV = HERE / "clubsandwich_mortality_rates.csv"
COLUMNS = ["state", "year", "legal", "beertaxa", "mrate"]
PUBLISHED = {
    "CR2": {"F": 9.116, "df": 24.58, "p": 0.00583},
    "CR1": {"F": 9.660, "df": 49.0, "p": 0.00313},
}
SPECS = [
    "mrate ~ legal + beertaxa + C(year) | state",
    "mrate ~ legal + beertaxa | state + year",
    "mrate ~ legal + beertaxa + C(state) + C(year)",
]


def convert(path: str) -> pd.DataFrame:
    """The model's subset of MortalityRates, written to ``CSV`` and read back unchanged."""
    import pyreadr

    data = pyreadr.read_r(path)["MortalityRates"]
    keep = (data["cause"] == "Motor Vehicle") & (data["year"] <= 1983) & data["beertaxa"].notna()
    mv = data.loc[keep, COLUMNS].sort_values(["state", "year"]).reset_index(drop=True)
    mv = mv.astype({"state": "int64", "year": "int64"})
    mv.to_csv(CSV, index=False)
    back = pd.read_csv(CSV)
    pd.testing.assert_frame_equal(back, mv, check_exact=True)
    return back


def main(path: str) -> None:
    from scipy import stats

    from evalkit.regression import feols

    mv = convert(path)
    cases = []
    for formula in SPECS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cr2 = feols(formula, mv, vcov="CR2", cluster="state")
            cr1 = feols(formula, mv, vcov="CR1", cluster="state")
        t2 = float(cr2.params["legal"] / cr2.std_errors["legal"])
        df2 = float(cr2.df_terms["legal"])
        # clubSandwich's CR1 has the factor G/(G-1) only; evalkit's also (n-1)/(n-df_k)
        g = mv["state"].nunique()
        ratio = (cr1.fit.nobs - cr1.fit.df_k) / (cr1.fit.nobs - 1)
        t1 = float(cr1.params["legal"] / (cr1.std_errors["legal"] * np.sqrt(ratio)))
        case = {
            "formula": formula,
            "estimate": float(cr2.params["legal"]),
            "cr2_std_error": float(cr2.std_errors["legal"]),
            "cr2_F": t2 * t2,
            "cr2_df": df2,
            "cr2_p": float(2 * stats.t.sf(abs(t2), df2)),
            "cr1_F_clubsandwich_factor": t1 * t1,
            "cr1_p": float(2 * stats.t.sf(abs(t1), g - 1)),
        }
        cases.append(case)
        assert np.isclose(case["cr2_F"], PUBLISHED["CR2"]["F"], atol=5e-4), case
        assert np.isclose(case["cr2_df"], PUBLISHED["CR2"]["df"], atol=5e-3), case
        assert np.isclose(case["cr2_p"], PUBLISHED["CR2"]["p"], atol=5e-6), case
        assert np.isclose(case["cr1_F_clubsandwich_factor"], PUBLISHED["CR1"]["F"], atol=5e-4), case
        assert np.isclose(case["cr1_p"], PUBLISHED["CR1"]["p"], atol=5e-6), case
    out = {
        "source": (
            "Pustejovsky & Tipton (2018) Table 3, fixed effects rows (Standard = CR1 Naive-F, AHT = CR2 HTZ); "
            "clubSandwich commit 7cc5060, paper_ClusterRobustTesting/ClusterRobustTesting_FE_models_revised.tex"
        ),
        "data": CSV.name,
        "published": PUBLISHED,
        "nobs": int(len(mv)),
        "n_clusters": int(mv["state"].nunique()),
        "evalkit": cases,
    }
    (HERE / "cr2_clubsandwich.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
