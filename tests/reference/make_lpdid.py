"""Reference numbers for evalkit's LP-DiD (``evalkit.estimators.lpdid``) on mpdta.

Two peers (versions recorded in ``tests/reference/lpdid.json``):

* pyfixest ``pyfixest.did.lpdid`` (after A. Cardazzi's R lpdid): the event study
  (``att=False``: horizons -pre..post, ``y_{t+h} - y_{t-1}`` on the switch-on with year
  effects, clean controls, CR1 by county) and the pooled ATT (``att=True``);
* diff-diff ``LPDiD`` (Dube, Girardi, Jordà & Taylor 2023 with the Stata lpdid options):
  the same regressions, the reweighted (equally weighted) estimates, pre-mean differencing
  (``pmd="max"`` and ``pmd=2``) and never-treated controls; event study and pooled ATT.

mpdta (tests/data/mpdta.csv) balanced, and unbalanced (every 10th row removed).  Run
``python tests/reference/make_lpdid.py`` in an environment with the ``peers`` extra.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import diff_diff
import numpy as np
import pandas as pd
import pyfixest as pf
from diff_diff import LPDiD
from pyfixest.did import lpdid

HERE = Path(__file__).parent

DIFF_DIFF_CASES = [  # data, pre_window, post_window, control_group, reweight, pmd
    ("balanced", 3, 3, "clean", False, None),
    ("balanced", 3, 3, "clean", True, None),
    ("balanced", 2, 2, "clean", True, "max"),
    ("balanced", 2, 1, "clean", False, 2),
    ("balanced", 3, 2, "never_treated", True, None),
    ("unbalanced", 3, 2, "clean", False, None),
    ("unbalanced", 2, 1, "clean", True, 2),
]
# Not compared: pmd="max" on the unbalanced panel, where diff-diff takes a unit's first
# *observed* treated period as its entry (a unit missing its row at g "enters" at g + 1);
# evalkit takes the entry from `group`, so a unit never re-enters after its first treated period.


def main() -> None:
    full = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
    full["treat"] = ((full["first.treat"] > 0) & (full["year"] >= full["first.treat"])).astype(int)
    data = {"balanced": full, "unbalanced": full.iloc[np.arange(len(full)) % 10 != 3].copy()}
    out: dict = {"pyfixest_version": pf.__version__, "diff_diff_version": diff_diff.__version__}

    es = lpdid(full, yname="lemp", idname="countyreal", tname="year", gname="first.treat", att=False,
               pre_window=-3, post_window=3)
    tab = es.tidy()
    att = lpdid(full, yname="lemp", idname="countyreal", tname="year", gname="first.treat", att=True,
                pre_window=-3, post_window=3).tidy()
    out["pyfixest"] = {
        "horizons": [int(i.split("::")[1]) for i in tab.index],
        "estimate": tab["Estimate"].tolist(), "std_error": tab["Std. Error"].tolist(), "nobs": tab["N"].tolist(),
        "att": float(att["Estimate"].iloc[0]), "att_se": float(att["Std. Error"].iloc[0]),
    }

    cases = []
    for name, pre, post, control, reweight, pmd in DIFF_DIFF_CASES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = LPDiD(pre_window=pre, post_window=post, control_group=control, reweight=reweight, pmd=pmd).fit(
                data[name], outcome="lemp", unit="countyreal", time="year", treatment="treat")
        ev = res.event_study
        ev = ev[ev["horizon"] != -1]
        cases.append({
            "data": name, "min_e": -pre, "max_e": post, "control_group": control, "reweight": reweight,
            "pmd": pmd, "horizons": ev["horizon"].astype(int).tolist(), "estimate": ev["coefficient"].tolist(),
            "std_error": ev["se"].tolist(), "nobs": ev["n_obs"].astype(int).tolist(),
            "pooled": {row["window"]: {"estimate": float(row["coefficient"]), "std_error": float(row["se"]),
                                       "nobs": int(row["n_obs"])} for _, row in res.pooled.iterrows()},
        })
    out["diff_diff"] = cases
    (HERE / "lpdid.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
