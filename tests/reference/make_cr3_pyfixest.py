"""Freeze pyfixest's CRV3 (cluster jackknife) numbers for evalkit's CR3 covariance.

Run by hand from the repository root:  python tests/reference/make_cr3_pyfixest.py
(pyfixest 0.60.0, numpy, pandas: versions are written into the JSON).  It writes
tests/reference/cr3_pyfixest.json with the input data (an FUI-like design: 18 counties of
unequal size, 6 of them treated, two periods) and, per case, pyfixest's coefficients and
covariance under ``vcov={"CRV3": "county"}`` twice:

* ``cov_default``: pyfixest's default ``ssc()``, which multiplies the jackknife sum
  ``sum_g (b_(g) - b)(b_(g) - b)'`` by its CR1 factor ``G/(G-1) * (n-1)/(n-k)``;
* ``cov_raw``: ``ssc(k_adj=False, G_adj=False)``, the jackknife sum itself.

evalkit's CR3 is ``(G-1)/G`` times the jackknife sum (MacKinnon, Nielsen & Webb 2023),
so the test compares it with ``(G-1)/G * cov_raw`` (and with ``cov_default`` rescaled).
With fixed effects pyfixest refits the model without each cluster (its "slow" path),
an independent check of evalkit's no-refit formula.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
from pyfixest.demeaners import MapDemeaner

OUT = Path(__file__).with_name("cr3_pyfixest.json")


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    sizes = rng.integers(4, 15, size=18)
    county = np.repeat(np.arange(18), sizes)
    n = county.size
    treated = (county < 6).astype(int)
    post = rng.integers(0, 2, size=n)
    x1 = rng.normal(size=n) + 0.2 * post
    w = rng.uniform(0.5, 2.0, size=n)
    shock = rng.normal(size=18)[county] * 0.5
    y = 0.3 * treated * post + 0.5 * x1 + 0.2 * treated + 0.1 * post + shock + rng.normal(size=n)
    return pd.DataFrame({"county": county, "treated": treated, "post": post, "x1": x1, "w": w, "y": y})


CASES = [
    # (id, formula, weights)
    ("did", "y ~ post + treated + treated:post + x1", None),
    ("did_weighted", "y ~ post + treated + treated:post + x1", "w"),
    ("did_county_fe", "y ~ treated:post + x1 | county", None),
    ("did_county_fe_weighted", "y ~ post + treated:post + x1 | county", "w"),
]


def main() -> None:
    data = make_data()
    cases = []
    for case_id, formula, weights in CASES:
        out = {"id": case_id, "formula": formula, "weights": weights}
        for key, ssc in (("cov_default", pf.ssc()), ("cov_raw", pf.ssc(k_adj=False, G_adj=False))):
            fit = pf.feols(
                formula, data, vcov={"CRV3": "county"}, weights=weights, ssc=ssc,
                demeaner=MapDemeaner(fixef_tol=1e-13),
            )
            out["terms"] = [str(t) for t in fit.coef().index]
            out["coef"] = fit.coef().tolist()
            out[key] = np.asarray(fit._vcov).tolist()
            out["nobs"] = int(fit._N)
        cases.append(out)
    payload = {
        "generator": "tests/reference/make_cr3_pyfixest.py",
        "versions": {"pyfixest": pf.__version__, "numpy": np.__version__, "pandas": pd.__version__},
        "data": data.to_dict(orient="list"),
        "cases": cases,
    }
    OUT.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
