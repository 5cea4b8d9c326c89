"""Reference values for tests/test_dcdh.py (de Chaisemartin & D'Haultfoeuille's DID_l).

Run by hand from the repository root, in a separate environment with moderndid (it
needs polars; never install it in the project's test environment):

    python -m venv /tmp/peer && /tmp/peer/bin/pip install moderndid
    /tmp/peer/bin/python tests/reference/make_dcdh_favara_imbs.py

1. The data: Favara & Imbs (2015) county-year panel, 1994-2005, the example of
   DIDmultiplegtDYN (Stata ``favara_imbs_did_multiplegt_dyn.dta``; the R package ships a
   1,157-row subset), as redistributed by moderndid (MIT): columns ``county, year,
   state_n, inter_bra, Dl_vloans_b`` -> tests/data/favara_imbs.csv.gz.
2. Published output of ``did_multiplegt_dyn Dl_vloans_b county year inter_bra,
   effects(8) placebo(3) cluster(state_n) normalized same_switchers effects_equal`` (the
   second example of the DIDmultiplegtDYN README), as printed with 6 significant digits
   in the README of the Python version of the command by its maintainers
   (https://github.com/anzonyquispe/py_did_multiplegt_dyn, README.md, "Example"):
   estimates, SEs, N and switchers, typed in.
3. moderndid's ``did_multiplegt`` (a separate port) on the first README example
   (``effects(8) placebo(3) cluster(state_n)``): point estimates, switchers and N of the
   effects and placebos.  Its standard errors and average total effect are not used:
   they differ from the package's current estimators (its ATE and SEs do not reproduce
   item 2 when run with those options).
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
OUT = HERE / "dcdh_favara_imbs.json"
DATA = HERE.parent / "data" / "favara_imbs.csv.gz"

# item 2: (estimate, se, N, switchers) as printed
PRINTED = {
    "Effect_1": (0.0240393, 0.0184241, 3368, 773),
    "Effect_2": (0.0116702, 0.0106714, 2604, 773),
    "Effect_3": (0.0143443, 0.00828821, 2031, 773),
    "Effect_4": (0.0115211, 0.00819515, 1541, 773),
    "Effect_5": (0.0161627, 0.00684205, 1412, 773),
    "Effect_6": (0.0133861, 0.00625129, 1293, 773),
    "Effect_7": (0.00981002, 0.00495722, 1248, 773),
    "Effect_8": (0.0100838, 0.00430933, 1248, 773),
    "Average_Total_Effect": (0.055063, 0.0268082, 9861, 6184),
    "Placebo_1": (0.0303785, 0.0264052, 2335, 764),
    "Placebo_2": (-0.0217763, 0.0253522, 957, 497),
    "Placebo_3": (-0.0137113, 0.0263437, 511, 358),
}


def main() -> None:
    import moderndid as md

    data = md.load_favara_imbs().to_pandas()[["county", "year", "state_n", "inter_bra", "Dl_vloans_b"]]
    data.to_csv(DATA, index=False, compression={"method": "gzip", "mtime": 0})
    fit = md.did_multiplegt(data=md.load_favara_imbs(), yname="Dl_vloans_b", idname="county", tname="year",
                            dname="inter_bra", effects=8, placebo=3, cluster="state_n")
    out = {
        "source": {
            "printed": "https://github.com/anzonyquispe/py_did_multiplegt_dyn README.md (Example): did_multiplegt_dyn "
                       "Dl_vloans_b county year inter_bra, effects(8) placebo(3) cluster(state_n) normalized "
                       "same_switchers effects_equal; 6 significant digits as printed",
            "moderndid": f"moderndid {version('moderndid')} did_multiplegt(effects=8, placebo=3, cluster='state_n')",
            "data": "Favara & Imbs (2015), DIDmultiplegtDYN example data as shipped by moderndid",
        },
        "printed_normalized_same_switchers": {k: list(v) for k, v in PRINTED.items()},
        "moderndid_effects": {
            "estimate": np.asarray(fit.effects.estimates).tolist(),
            "n_switchers": np.asarray(fit.effects.n_switchers).tolist(),
            "n_cells": np.asarray(fit.effects.n_observations).tolist(),
        },
        "moderndid_placebos": {
            "estimate": np.asarray(fit.placebos.estimates).tolist(),
            "n_switchers": np.asarray(fit.placebos.n_switchers).tolist(),
            "n_cells": np.asarray(fit.placebos.n_observations).tolist(),
        },
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
