"""Make the panel of the clubSandwich CR2/CR3 check and freeze R's numbers (not run in CI).

    python tests/reference/make_cr2_clubsandwich.py

1. :func:`panel` draws a seeded, unbalanced panel with unequal cluster sizes (12 counties
   with 2 to 9 units each, 6 periods, about 15 % of the unit-periods missing, a staggered
   treatment of 4 counties, a covariate, analytic weights, county and county x period
   shocks, heteroskedastic errors) and writes it to
   tests/reference/cr2_clubsandwich_panel.csv (floats written to round-trip exactly).
   The data are evalkit's own (BSD-3), made here.
2. tests/reference/make_cr2_clubsandwich.R reads the CSV, fits the models with ``lm``
   (fixed effects as factor dummies), runs clubSandwich's ``vcovCR`` (CR2, CR3),
   ``coef_test`` (Satterthwaite df) and ``Wald_test`` (HTZ and Naive-F, two
   constraints), and writes tests/reference/cr2_clubsandwich.json with the R and
   clubSandwich versions.  R and clubSandwich are never dependencies of evalkit; Debian's
   r-cran-clubsandwich is enough (``Rscript`` on the PATH).

tests/test_cr2_clubsandwich.py checks evalkit's CR2, CR3 and HTZ test against the JSON.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
CSV = HERE / "cr2_clubsandwich_panel.csv"


def panel(seed: int = 20261201) -> pd.DataFrame:
    """The seeded unbalanced panel (see the module docstring)."""
    rng = np.random.default_rng(seed)
    units_per_county = np.array([2, 9, 3, 5, 2, 7, 4, 3, 8, 2, 6, 3])
    counties = units_per_county.size
    county = np.repeat(np.arange(counties), units_per_county)
    periods = np.arange(1, 7)
    unit = np.repeat(np.arange(county.size), periods.size)
    period = np.tile(periods, county.size)
    c = county[unit]
    first = np.where(np.arange(counties) < 2, 3, np.where(np.arange(counties) < 4, 5, 0))[c]
    treated = ((first > 0) & (period >= first)).astype(float)
    x = rng.normal(size=unit.size) + 0.3 * c / counties
    county_effect = rng.normal(size=counties)[c]
    shock = 0.6 * rng.normal(size=(counties, periods.size))[c, period - 1]
    noise = rng.normal(size=unit.size) * (1.0 + 0.8 * (c % 3 == 0))
    y = 0.5 * x + 0.4 * treated + county_effect + 0.2 * period + shock + noise
    weight = rng.uniform(0.5, 3.0, size=unit.size)
    df = pd.DataFrame({"county": c, "unit": unit, "period": period, "D": treated, "x": x, "w": weight, "y": y})
    keep = rng.uniform(size=len(df)) > 0.15
    return df[keep].reset_index(drop=True)


def main() -> None:
    panel().to_csv(CSV, index=False, float_format="%.17g")
    subprocess.run(["Rscript", str(HERE / "make_cr2_clubsandwich.R")], check=True, cwd=HERE)


if __name__ == "__main__":
    main()
