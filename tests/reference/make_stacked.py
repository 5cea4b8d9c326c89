"""Reference numbers for evalkit's stacked DiD (``evalkit.estimators.stacked``) from diff-diff.

diff-diff's ``StackedDiD`` (Wing, Freedman & Hollingsworth 2024 "aggregate" weights by
event time and sub-experiment, as the authors' R code; weighted event-study regression
``y ~ D + event-time dummies + D x event-time dummies``, CR1 by unit with the
``G/(G-1) (n-1)/(n-p)`` factor) on mpdta (tests/data/mpdta.csv): several windows, both
control groups, and an unbalanced variant (every 10th row removed).  Frozen into
``tests/reference/stacked.json`` with the version.  diff-diff is a ``peers`` extra, never a
test dependency: run ``python tests/reference/make_stacked.py`` in an environment with it.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import diff_diff
import numpy as np
import pandas as pd
from diff_diff import StackedDiD

HERE = Path(__file__).parent

CASES = [
    ("balanced", -1, 1, "not_yet_treated"),
    ("balanced", -2, 0, "not_yet_treated"),
    ("balanced", -2, 1, "never_treated"),
    ("balanced", -3, 1, "not_yet_treated"),
    ("unbalanced", -1, 1, "not_yet_treated"),
    ("unbalanced", -2, 0, "never_treated"),
]


def main() -> None:
    full = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
    data = {"balanced": full, "unbalanced": full.iloc[np.arange(len(full)) % 10 != 3]}
    out = {"diff_diff_version": diff_diff.__version__, "cases": []}
    for name, lo, hi, control in CASES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = StackedDiD(kappa_pre=-lo, kappa_post=hi, control_group=control).fit(
                data[name], outcome="lemp", unit="countyreal", time="year", first_treat="first.treat")
        es = res.event_study_effects
        times = sorted(h for h in es if h != -1)
        out["cases"].append({
            "data": name, "min_e": lo, "max_e": hi, "control_group": control,
            "event_time": times,
            "estimate": [float(es[h]["effect"]) for h in times],
            "std_error": [float(es[h]["se"]) for h in times],
            "att": float(res.overall_att), "att_se": float(res.overall_se),
            "nobs": int(res.n_stacked_obs) if hasattr(res, "n_stacked_obs") else None,
        })
    (HERE / "stacked.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
