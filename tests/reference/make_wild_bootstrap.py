"""Freeze wild cluster bootstrap reference values from pyfixest + wildboottest.

Run by hand from the repository root:  python tests/reference/make_wild_bootstrap.py
It writes tests/reference/wild_bootstrap.json with the input data, the pyfixest calls
(formula, tested term, cluster, impose_null) and, for each, the CR1 t-statistic, the
bootstrap p-value and the sorted bootstrap t-statistics.  With 10 clusters and
reps=9999, wildboottest enumerates all 2**10 Rademacher draws, so the numbers do not
depend on a seed.  pyfixest's ``Feols.wildboottest`` bootstraps the dummy-variable
regression (fixed effects one-hot encoded); the county fixed effects here are nested in
the county clusters, where that equals evalkit's bootstrap on the demeaned data.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

OUT = Path(__file__).with_name("wild_bootstrap.json")

CASES = [
    {"id": "did_no_fe_wcr", "formula": "y ~ treated + post + treated:post + x", "term": "treated:post", "impose_null": True},
    {"id": "did_no_fe_wcu", "formula": "y ~ treated + post + treated:post + x", "term": "treated:post", "impose_null": False},
    {"id": "x_no_fe_wcr", "formula": "y ~ treated + post + treated:post + x", "term": "x", "impose_null": True},
    {"id": "county_fe_wcr", "formula": "y ~ post + treated:post + x | county", "term": "treated:post", "impose_null": True},
]


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20240612)
    n_counties, per_county = 10, 24
    county = np.repeat(np.arange(n_counties), per_county)
    n = county.size
    post = rng.integers(0, 2, n)
    treated = (county < 3).astype(int)
    x = rng.normal(size=n)
    shock = rng.normal(scale=0.5, size=n_counties)[county] + rng.normal(scale=0.3, size=n_counties)[county] * post
    y = 0.5 * x + 0.2 * post + 0.1 * treated + 0.15 * treated * post + shock + rng.normal(size=n)
    return pd.DataFrame({"county": county, "post": post, "treated": treated, "x": x, "y": y})


def main() -> None:
    data = make_data()
    results = []
    for case in CASES:
        fit = pf.feols(case["formula"], data=data, vcov={"CRV1": "county"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, t_boot = fit.wildboottest(
                param=case["term"], reps=9999, cluster="county", weights_type="rademacher",
                impose_null=case["impose_null"], bootstrap_type="11", seed=1, return_bootstrapped_t_stats=True,
            )
        t_boot = np.asarray(t_boot, dtype=float).ravel()
        results.append(
            {
                **case,
                "tstat": float(out["t value"]),
                "p_value": float(out["Pr(>|t|)"]),
                "n_draws": int(t_boot.size),
                "t_boot_sorted": np.sort(t_boot).tolist(),
                "pyfixest_cr1_tstat": float(fit.tstat()[case["term"]]),
            }
        )
    OUT.write_text(
        json.dumps(
            {
                "generator": "tests/reference/make_wild_bootstrap.py",
                "versions": {p: version(p) for p in ("pyfixest", "wildboottest", "numpy", "pandas")},
                "call": "pyfixest.feols(formula, data, vcov={'CRV1': 'county'}).wildboottest(param=term, "
                "reps=9999, cluster='county', weights_type='rademacher', impose_null=..., bootstrap_type='11')",
                "p_value_convention": "wildboottest: mean(|t| < |t*|) over all 2**G draws (ties not counted)",
                "data": data.to_dict(orient="list"),
                "cases": results,
            },
            indent=1,
        )
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
