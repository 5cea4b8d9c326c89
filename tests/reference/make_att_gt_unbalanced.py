"""Freeze reference ATT(g,t) and aggregations on an unbalanced mpdta (R did's ``allow_unbalanced_panel``).

Run by hand from the repository root, in a virtual environment with the peer installed
(``pip install csdid==0.4.3 moderndid==0.2.0``; Python 3.11)::

    python tests/reference/make_att_gt_unbalanced.py

The panel is mpdta with 10 % of its rows removed (``numpy.random.default_rng(20240801)``,
rows drawn without replacement), so that many counties miss one or more years.

The reference is csdid 0.4.3, a port of R did 2.5.1, with
``ATTgt(..., allow_unbalanced_panel=True)``.  R did's semantics for an unbalanced panel:
it is estimated with the repeated cross-section 2x2 estimators (DRDID's ``reg_did_rc``,
``std_ipw_did_rc``, ``drdid_rc``) on the rows of the cell's two periods that belong to the
cohort or its comparison units; each row's influence function is scaled by
``n_units / n_cell_rows`` and summed per unit, so that standard errors and aggregations
are over units; cohort shares in ``aggte`` count units.

One difference between the ports is not about unbalanced panels: for ``est_method="dr"``
with covariates, csdid's (and the ``drdid`` package's) ``drdid_rc`` subtracts the
estimation effect of the pre-period control regression, while R DRDID's ``drdid_rc``
(which R did calls) adds it (``inf.treat.or <- inf.treat.or.post + inf.treat.or.pre``,
likewise for the control part).  The terms vanish asymptotically when the propensity
score balances the covariates, so both standard errors are valid, but they differ (by
about 1 % here).  evalkit follows R.  For those designs the ATT(g,t) standard errors of R's
form are frozen as ``se_r_drdid`` from moderndid 0.2.0, which follows R DRDID line by line:
``att_gt(..., panel=False, idname="countyreal", allow_unbalanced_panel=True)`` runs R did's
unbalanced-panel path (rows of the two periods, influence scaled by
``n_units / n_cell_rows`` and summed per id).  moderndid's ``aggte`` cannot serve for the
aggregations: on that path it computes the cohort shares over rows, whereas R did (and
csdid) count units.  moderndid's own unbalanced panel path
(``panel=True, allow_unbalanced_panel=True``) raises ``TypeError`` in 0.2.0, the last
release for Python 3.11.  All standard errors are analytic.
"""

from __future__ import annotations

import io
import itertools
import json
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "mpdta.csv"
OUT = HERE / "att_gt_unbalanced.json"
SEED = 20240801
SHARE_REMOVED = 0.10

CONTROLS = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}
BASES = ("varying", "universal")
METHODS = ("reg", "ipw", "dr")
COVARIATES = {"none": None, "lpop": "~ lpop"}
AGGREGATIONS = {
    "simple": {"type": "simple"},
    "group": {"type": "group"},
    "calendar": {"type": "calendar"},
    "dynamic": {"type": "dynamic"},
    "dynamic_balance1": {"type": "dynamic", "balance_e": 1},
    "dynamic_window": {"type": "dynamic", "min_e": -2, "max_e": 2},
}


def unbalanced_mpdta() -> pd.DataFrame:
    """mpdta without 10 % of its rows (the same rows the tests remove)."""
    data = pd.read_csv(DATA)
    rng = np.random.default_rng(SEED)
    drop = rng.choice(len(data), size=round(SHARE_REMOVED * len(data)), replace=False)
    return data.drop(index=data.index[drop]).reset_index(drop=True)


def _csdid(data: pd.DataFrame, control: str, base: str, method: str, cov: str) -> dict:
    from csdid.att_gt import ATTgt

    fit = ATTgt(
        yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=data,
        control_group=CONTROLS[control], xformla=COVARIATES[cov] and f"lemp{COVARIATES[cov]}",
        panel=True, allow_unbalanced_panel=True,
    ).fit(est_method=method, base_period=base, bstrap=False)
    mp = fit.MP
    out: dict = {
        "group": np.asarray(mp["group"], dtype=float).tolist(),
        "time": np.asarray(mp["t"], dtype=float).tolist(),
        "att": np.asarray(mp["att"], dtype=float).tolist(),
        "se": np.asarray(fit.did_object["se"], dtype=float).tolist(),
        "n_units": int(mp["n"]),
        "wald_stat": None if mp.get("W") is None else float(mp["W"]),
        "aggregations": {},
    }
    for name, kw in AGGREGATIONS.items():
        kw = dict(kw)
        agg = fit.aggte(kw.pop("type"), bstrap=False, cband=False, **kw).atte
        entry = {"overall_att": float(agg["overall_att"]), "overall_se": float(agg["overall_se"])}
        if agg.get("egt") is not None:
            entry["terms"] = np.asarray(agg["egt"], dtype=float).tolist()
            entry["att"] = np.asarray(agg["att_egt"], dtype=float).tolist()
            entry["se"] = np.asarray(agg["se_egt"], dtype=float).tolist()
        out["aggregations"][name] = entry
    return out


def _moderndid_se(data: pd.DataFrame, control: str, base: str, method: str, cov: str) -> list[float]:
    import moderndid as md

    res = md.att_gt(
        data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
        xformla=COVARIATES[cov], control_group=CONTROLS[control], base_period=base,
        est_method=method, panel=False, allow_unbalanced_panel=True, boot=False, cband=False,
    )
    return np.asarray(res.se_gt, dtype=float).tolist()


def main() -> None:
    warnings.simplefilter("ignore")
    sys.stdout = io.StringIO()  # csdid prints every summary
    data = unbalanced_mpdta()
    results = {}
    for control, base, method, cov in itertools.product(CONTROLS, BASES, METHODS, COVARIATES):
        key = f"{control}-{base}-{method}-{cov}"
        results[key] = _csdid(data, control, base, method, cov)
        if method == "dr" and COVARIATES[cov] is not None:
            results[key]["se_r_drdid"] = _moderndid_se(data, control, base, method, cov)
    doc = {
        "description": "R did att_gt(allow_unbalanced_panel=TRUE)/aggte on mpdta with 10 % of rows removed, "
                       "analytic SEs (csdid port of R did 2.5.1)",
        "generator": "tests/reference/make_att_gt_unbalanced.py",
        "data": {"seed": SEED, "share_removed": SHARE_REMOVED, "n_rows": len(data),
                 "n_units": int(data["countyreal"].nunique()),
                 "n_complete_units": int((data.groupby("countyreal").size() == data["year"].nunique()).sum())},
        "versions": {p: version(p) for p in ("csdid", "moderndid", "numpy", "pandas", "scipy")},
        "results": results,
    }
    sys.stdout = sys.__stdout__
    OUT.write_text(json.dumps(doc, indent=1))
    print(f"wrote {OUT}")
    print(json.dumps(doc["data"]))


if __name__ == "__main__":
    main()
