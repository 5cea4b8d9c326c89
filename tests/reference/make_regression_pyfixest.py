"""Freeze pyfixest reference values for evalkit's regression core and 2x2 DiD.

Run by hand from the repository root:  python tests/reference/make_regression_pyfixest.py
It writes tests/reference/regression_pyfixest.json with the input data, the pyfixest calls
(formula, vcov, weights) and their coefficients, standard errors, p-values and nobs, plus
the package versions.  The demeaning tolerance is tightened (1e-13) so that the reference
is exact to ~1e-12 rather than to pyfixest's default 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
from pyfixest.demeaners import MapDemeaner

OUT = Path(__file__).with_name("regression_pyfixest.json")


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20240611)
    n_units, n_periods = 40, 6
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(n_periods), n_units)
    keep = rng.uniform(size=unit.size) < 0.85
    unit, time = unit[keep], time[keep]
    # two singleton units: one row each
    unit = np.concatenate([unit, [100, 101]])
    time = np.concatenate([time, [0, 3]])
    n = unit.size
    region = unit % 8
    treated = (region < 3).astype(int)
    post = (time >= 3).astype(int)
    x1 = rng.normal(size=n) + 0.1 * time
    x2 = rng.normal(size=n)
    group = rng.choice(["low", "mid", "high"], size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    y = (
        0.5 * treated * post + x1 - 0.3 * x2 + 0.05 * unit + 0.1 * time
        + (group == "high") * 0.2 + rng.normal(size=n) * (1 + 0.5 * treated)
    )
    return pd.DataFrame(
        {"unit": unit, "time": time, "region": region, "treated": treated, "post": post,
         "x1": x1, "x2": x2, "group": group, "w": w, "y": y}
    )


CASES = [
    # (id, formula, vcov, weights)
    ("fe2_iid", "y ~ x1 + x2 + C(group) | unit + time", "iid", None),
    ("fe2_hc1", "y ~ x1 + x2 + C(group) | unit + time", "hetero", None),
    ("fe2_cr1_unit", "y ~ x1 + x2 | unit + time", {"CRV1": "unit"}, None),
    ("fe2_cr1_region", "y ~ x1 + x2 | unit + time", {"CRV1": "region"}, None),
    ("fe2_cr1_twoway", "y ~ x1 + x2 | unit + time", {"CRV1": "region+time"}, None),
    ("fe1_cr1_time_weighted", "y ~ x1 + x2 | unit", {"CRV1": "time"}, "w"),
    ("fe2_hc1_weighted", "y ~ x1 + x2 | unit + time", "hetero", "w"),
    ("nofe_cr1_region", "y ~ x1 + x2 + C(group)", {"CRV1": "region"}, None),
    ("did_cr1_region", "y ~ post + treated + treated:post + x1", {"CRV1": "region"}, None),
    ("did_fe_cr1_region", "y ~ treated:post + x1 | unit + time", {"CRV1": "region"}, None),
]


def main() -> None:
    data = make_data()
    cases = []
    for case_id, formula, vcov, weights in CASES:
        fit = pf.feols(formula, data, vcov=vcov, weights=weights, demeaner=MapDemeaner(fixef_tol=1e-13))
        cases.append(
            {
                "id": case_id,
                "formula": formula,
                "vcov": vcov,
                "weights": weights,
                "terms": [str(t) for t in fit.coef().index],
                "coef": fit.coef().tolist(),
                "se": fit.se().tolist(),
                "pvalue": fit.pvalue().tolist(),
                "nobs": int(fit._N),
            }
        )
    payload = {
        "generator": "tests/reference/make_regression_pyfixest.py",
        "versions": {"pyfixest": pf.__version__, "numpy": np.__version__, "pandas": pd.__version__},
        "data": data.to_dict(orient="list"),
        "cases": cases,
    }
    OUT.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
