"""Freeze linearmodels' two-way fixed-effects reference numbers for tests/test_regression.py.

Run by hand from the repository root:  python tests/reference/make_regression_linearmodels.py
(needs ``pip install linearmodels``; it is never a run-time or test dependency of evalkit).
It reads the panel stored in tests/reference/regression_pyfixest.json, fits
``PanelOLS(y ~ x1 + x2, entity_effects=True, time_effects=True)`` with the unadjusted
covariance on units 0-99 and writes tests/reference/regression_linearmodels.json.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from linearmodels import PanelOLS

HERE = Path(__file__).parent
OUT = HERE / "regression_linearmodels.json"


def main() -> None:
    data = pd.DataFrame(json.loads((HERE / "regression_pyfixest.json").read_text())["data"])
    df = data[data.unit < 100].set_index(["unit", "time"])
    fit = PanelOLS(df.y, df[["x1", "x2"]], entity_effects=True, time_effects=True).fit(cov_type="unadjusted")
    out = {
        "versions": {"linearmodels": version("linearmodels"), "pandas": version("pandas")},
        "call": "PanelOLS(y, [x1, x2], entity_effects=True, time_effects=True).fit(cov_type='unadjusted'), units < 100",
        "terms": list(fit.params.index),
        "params": fit.params.tolist(),
        "std_errors": fit.std_errors.tolist(),
        "nobs": int(fit.nobs),
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
