"""Reference values for honest_did on att_gt's dynamic aggregation (mpdta), from moderndid.

Run by hand from the repository root, in a virtual environment with the peers
(``pip install moderndid==0.2.0 cvxpy``; Python 3.11)::

    python tests/reference/make_honest_did_att_gt.py

moderndid ports R did (``att_gt``, ``aggte``) and the HonestDiD R package, including
HonestDiD's wrapper for ``aggte`` event studies (``honest_did.AGGTEobj`` in the package's
README; ``moderndid.honest_did``): the covariance is ``IF'IF / n^2`` of the event-time
influence functions, the estimate at event time -1 is removed (with a universal base
period it is the reference, 0 by construction; with a varying base period the wrapper
removes it all the same and treats -1 as the reference), pre periods are the event times
before -1 and post periods those after it.

Frozen per base period (``universal``, ``varying``; ``lemp``, no covariates, doubly robust,
never-treated comparison units, analytic standard errors): the wrapper's ``betahat`` and
``sigma`` and its robust intervals for the effect at event time 0 under relative magnitudes
(C-LF, ``Mbar`` 0..2) and smoothness (FLCI, ``M`` 0..0.04), with 1000 grid points.

Known difference: for relative magnitudes moderndid 0.2.0 takes the union of the
confidence sets over ``s in range(-(T_pre - 1), 0)``, one piece fewer than R HonestDiD's
``min_s:0`` (the earliest pre-period difference is left out), so its C-LF intervals are
narrower than R's; the tests use them only as inner bounds.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "honest_did_att_gt.json"
M_BAR = [0.0, 0.5, 1.0, 1.5, 2.0]
M_SD = [0.0, 0.01, 0.02, 0.03, 0.04]


def main() -> None:
    import moderndid as md

    warnings.simplefilter("ignore")
    data = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
    cases = {}
    for base in ("universal", "varying"):
        res = md.att_gt(data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                        base_period=base, boot=False, cband=False)
        es = md.aggte(res, type="dynamic", boot=False, cband=False)
        keep = np.asarray(es.event_times) != -1
        inf = np.asarray(es.influence_func)[:, keep]
        entry = {
            "event_times": np.asarray(es.event_times)[keep].tolist(),
            "betahat": np.asarray(es.att_by_event)[keep].tolist(),
            "sigma": (inf.T @ inf / len(inf) ** 2).tolist(),
        }
        rm = md.honest_did(es, event_time=0, sensitivity_type="relative_magnitude", m_bar_vec=M_BAR,
                           method="C-LF", grid_points=1000)
        sd = md.honest_did(es, event_time=0, sensitivity_type="smoothness", m_vec=M_SD, method="FLCI",
                           grid_points=1000)
        entry["relative_magnitudes"] = {"m": M_BAR, "lower": rm.robust_ci["lb"].to_list(),
                                        "upper": rm.robust_ci["ub"].to_list()}
        entry["smoothness"] = {"m": M_SD, "lower": sd.robust_ci["lb"].to_list(), "upper": sd.robust_ci["ub"].to_list()}
        entry["original"] = [float(rm.original_ci.lb), float(rm.original_ci.ub)]
        cases[base] = entry
    OUT.write_text(json.dumps({
        "source": "moderndid att_gt/aggte(type='dynamic')/honest_did on mpdta (ports of R did and HonestDiD)",
        "model": "att_gt(lemp ~ 1, tname=year, idname=countyreal, gname=first.treat, est_method='dr', "
                 "control_group='nevertreated'), aggte dynamic, honest_did(event_time=0)",
        "versions": {p: version(p) for p in ("moderndid", "cvxpy", "numpy", "pandas")},
        "cases": cases,
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
