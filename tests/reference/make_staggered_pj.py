"""Reference values for tests/test_staggered_efficient.py (Roth & Sant'Anna 2023).

Run by hand from the repository root, in a separate environment with pyreadr, with a
copy of the R package staggered (https://github.com/jonathandroth/staggered, version
1.2.3, commit 921f265) at STAGGERED:

    /tmp/peer/bin/pip install pyreadr pandas
    STAGGERED=/path/to/staggered /tmp/peer/bin/python tests/reference/make_staggered_pj.py

1. The data: ``pj_officer_level_balanced`` (Wood, Tyler, Papachristos, Roth & Sant'Anna
   2020), the package's example (``data/pj_officer_level_balanced.rda``): 7,785 Chicago
   police officers x 72 months, randomly assigned a procedural-justice training date.
   Kept: ``uid``, ``first_trained`` and the monthly ``complaints``, one row per officer
   (``complaints_1`` .. ``complaints_72``) -> tests/data/pj_officer_complaints.csv.gz.
2. The estimates and standard errors printed in the package's README.md (R output, 7
   significant digits), typed in: the efficient estimator for the simple, cohort and
   calendar averages, the first six event-study coefficients (``eventTime = 0:23``), the
   Callaway & Sant'Anna (``staggered_cs``) and Sun & Abraham (``staggered_sa``) special
   cases, and the Fisher p-values of the simple average (500 permutations).
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "staggered_pj.json"
DATA = HERE.parent / "data" / "pj_officer_complaints.csv.gz"

# (estimate, se, se_neyman) as printed
PRINTED = {
    "simple": (-0.001126981, 0.002115194, 0.002119248),
    "cohort": (-0.001084689, 0.002261011, 0.002264876),
    "calendar": (-0.00187198, 0.00255863, 0.002561472),
    "eventstudy_0": (3.083575e-04, 0.002645327, 0.002650957),
    "eventstudy_1": (2.591678e-03, 0.002614563, 0.002621513),
    "eventstudy_2": (-4.872562e-05, 0.002622640, 0.002623634),
    "eventstudy_3": (2.043434e-03, 0.002715695, 0.002720467),
    "eventstudy_4": (2.977076e-03, 0.002653917, 0.002659630),
    "eventstudy_5": (7.979656e-04, 0.002721784, 0.002727140),
    "cs_simple": (-0.005176818, 0.003928735, 0.003930919),
    "sa_simple": (0.01153851, 0.01730161, 0.01730234),
}
FISHER = {"fisher_pval": 0.642, "fisher_pval_se_neyman": 0.644, "num_fisher_permutations": 500}


def main() -> None:
    import pyreadr

    rda = Path(os.environ["STAGGERED"]) / "data" / "pj_officer_level_balanced.rda"
    df = next(iter(pyreadr.read_r(str(rda)).values()))
    wide = df.pivot(index="uid", columns="period", values="complaints").astype(int)
    wide.columns = [f"complaints_{c}" for c in wide.columns]
    out = wide.join(df.groupby("uid")["first_trained"].first()).reset_index()
    out["uid"] = out["uid"].astype(int)
    out = out[["uid", "first_trained", *wide.columns]]
    out.to_csv(DATA, index=False, compression={"method": "gzip", "mtime": 0})
    OUT.write_text(json.dumps({
        "source": "https://github.com/jonathandroth/staggered README.md (R package staggered 1.2.3, commit 921f265); "
                  f"data read with pyreadr {version('pyreadr')}",
        "printed": {k: list(v) for k, v in PRINTED.items()},
        "fisher": FISHER,
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
