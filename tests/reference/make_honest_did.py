"""Reference values for tests/test_honest_did.py (Rambachan & Roth 2023 sensitivity analysis).

Run by hand from the repository root:

    PYTHONPATH=/path/to/cvxpy-site python tests/reference/make_honest_did.py

1. The Medicaid-expansion event study of the HonestDiD R package's README (ehec data shipped
   with moderndid; TWFE ``dins ~ i(year, D, ref = 2013) | stfips + year`` clustered by
   state, fitted with pyfixest as fixest does): ``betahat`` and ``sigma``.
2. The robust intervals the README prints for that ``betahat`` / ``sigma`` (typed in from
   https://github.com/asheshrambachan/HonestDiD README.md, rounded as printed there).
3. moderndid's port of the R package (``moderndid.didhonest``, needs cvxpy) on the same
   inputs: Delta^RM with C-LF (first period and average), Delta^SD with FLCI and C-LF.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

warnings.filterwarnings("ignore")
OUT = Path(__file__).with_name("honest_did.json")


def medicaid_event_study() -> tuple[np.ndarray, np.ndarray]:
    import moderndid

    path = Path(moderndid.__file__).parent / "core" / "datasets" / "ehec_data.pkl.gz"
    df = pd.read_pickle(path)
    df = df[(df.year < 2016) & (df.yexp2.isna() | (df.yexp2 != 2015))].copy()
    df["D"] = (df.yexp2 == 2014).astype(int)
    fit = pf.feols("dins ~ i(year, D, ref=2013) | stfips + year", data=df, vcov={"CRV1": "stfips"})
    return fit.coef().to_numpy(), np.asarray(fit._vcov)


def moderndid_cases(betahat: np.ndarray, sigma: np.ndarray) -> list[dict]:
    from moderndid.didhonest import create_sensitivity_results_rm, create_sensitivity_results_sm

    cases = []
    rm_bars = [0.0, 0.5, 1.0, 1.5, 2.0]
    for name, l_vec in (("first", [1.0, 0.0]), ("average", [0.5, 0.5])):
        out = create_sensitivity_results_rm(betahat, sigma, 5, 2, method="C-LF", m_bar_vec=rm_bars,
                                            l_vec=np.array(l_vec))
        cases.append({"method": "relative_magnitudes", "ci_method": "C-LF", "target": l_vec, "m": rm_bars,
                      "lower": [float(v) for v in out["lb"]], "upper": [float(v) for v in out["ub"]]})
    sd_m = [0.0, 0.01, 0.02, 0.03]
    for ci in ("FLCI", "C-LF"):
        out = create_sensitivity_results_sm(betahat, sigma, 5, 2, method=ci, m_vec=sd_m, l_vec=np.array([1.0, 0.0]))
        cases.append({"method": "smoothness", "ci_method": ci, "target": [1.0, 0.0], "m": sd_m,
                      "lower": [float(v) for v in out["lb"]], "upper": [float(v) for v in out["ub"]]})
    return cases


def main() -> None:
    betahat, sigma = medicaid_event_study()
    published = [
        {"method": "relative_magnitudes", "ci_method": "C-LF", "target": [1.0, 0.0], "m": [0.5, 1.0, 1.5, 2.0],
         "lower": [0.0240, 0.0170, 0.00824, -0.000916], "upper": [0.0672, 0.0720, 0.0797, 0.0881]},
        {"method": "smoothness", "ci_method": "FLCI", "target": [1.0, 0.0], "m": [0.0, 0.01, 0.02, 0.03, 0.04, 0.05],
         "lower": [0.0259, 0.0132, 0.00286, -0.00714, -0.0171, -0.0271],
         "upper": [0.0607, 0.0787, 0.0907, 0.101, 0.111, 0.121]},
    ]
    try:
        peer = moderndid_cases(betahat, sigma)
        peer_versions = {"moderndid": version("moderndid"), "cvxpy": version("cvxpy")}
    except ImportError as err:  # cvxpy missing: keep the published values only
        print(f"moderndid.didhonest unavailable ({err}); writing published values only")
        peer, peer_versions = [], {}
    OUT.write_text(json.dumps({
        "source": "HonestDiD R package README (Medicaid expansion, ehec data) and moderndid.didhonest",
        "data": "ehec_data (moderndid); years < 2016; cohort 2015 dropped; D = first treated 2014",
        "model": "pyfixest feols('dins ~ i(year, D, ref=2013) | stfips + year', vcov={'CRV1': 'stfips'})",
        "versions": {"pyfixest": version("pyfixest"), "numpy": version("numpy"), **peer_versions},
        "num_pre": 5, "num_post": 2,
        "betahat": betahat.tolist(), "sigma": sigma.tolist(),
        "published": published, "moderndid": peer,
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
