"""Reference values for tests/test_honest_did_families.py: moderndid's port of the HonestDiD R
package for the restriction families with sign / monotonicity restrictions and SDRM.

Run by hand from the repository root in an environment with moderndid and cvxpy:

    pip install moderndid==0.2.0 cvxpy
    python tests/reference/make_honest_did_families.py

The inputs are the Medicaid-expansion ``betahat`` / ``sigma`` of tests/reference/honest_did.json
(the HonestDiD README's example).  The R package's README and manual print no intervals for
these families, so a peer port is the only numerical reference.  The methods are the R
defaults: C-F for smoothness with a sign or monotonicity restriction, C-LF for relative
magnitudes with them and for SDRM (``bound="deviation from linear trend"``).
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
HERE = Path(__file__).parent
OUT = HERE / "honest_did_families.json"
SD_M = [0.0, 0.01, 0.02, 0.03]
RM_MBAR = [0.5, 1.0, 1.5, 2.0]
SHAPES = [{"bias": "positive"}, {"bias": "negative"}, {"monotonicity": "increasing"}, {"monotonicity": "decreasing"}]


def main() -> None:
    from moderndid.didhonest import create_sensitivity_results_rm, create_sensitivity_results_sm

    ref = json.loads((HERE / "honest_did.json").read_text())
    betahat, sigma = np.array(ref["betahat"]), np.array(ref["sigma"])
    l_vec = np.array([1.0, 0.0])
    cases = []
    for shape in SHAPES:
        kw = {"bias_direction": shape.get("bias"), "monotonicity_direction": shape.get("monotonicity")}
        sd = create_sensitivity_results_sm(betahat, sigma, 5, 2, m_vec=SD_M, l_vec=l_vec, **kw)
        cases.append({"method": "smoothness", **shape, "ci_method": str(sd["method"][0]), "m": SD_M,
                      "lower": [float(v) for v in sd["lb"]], "upper": [float(v) for v in sd["ub"]]})
        rm = create_sensitivity_results_rm(betahat, sigma, 5, 2, m_bar_vec=RM_MBAR, l_vec=l_vec, **kw)
        cases.append({"method": "relative_magnitudes", **shape, "ci_method": "C-LF", "m": RM_MBAR,
                      "lower": [float(v) for v in rm["lb"]], "upper": [float(v) for v in rm["ub"]]})
    sdrm = create_sensitivity_results_rm(betahat, sigma, 5, 2, bound="deviation from linear trend",
                                         m_bar_vec=RM_MBAR, l_vec=l_vec)
    cases.append({"method": "smoothness_relative_magnitudes", "ci_method": "C-LF", "m": RM_MBAR,
                  "lower": [float(v) for v in sdrm["lb"]], "upper": [float(v) for v in sdrm["ub"]]})
    OUT.write_text(json.dumps({
        "source": "moderndid.didhonest (port of the HonestDiD R package) on the HonestDiD README's Medicaid example",
        "versions": {"moderndid": version("moderndid"), "cvxpy": version("cvxpy"), "numpy": version("numpy")},
        "target": l_vec.tolist(), "cases": cases,
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
