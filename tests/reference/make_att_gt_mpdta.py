"""Freeze reference ATT(g,t) and aggregations on mpdta from peer packages.

Run by hand from the repository root::

    python tests/reference/make_att_gt_mpdta.py

The primary reference is moderndid (a port of R's did package, which it follows line by
line); csdid and diff-diff are run on a subset of the designs and the largest difference
between them and moderndid is recorded in the JSON, so that disagreement among the peers
is visible.  All standard errors are analytic (no bootstrap), which is what evalkit's
``att_gt(..., n_boot=None)`` computes.
"""

from __future__ import annotations

import itertools
import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "mpdta.csv"
OUT = HERE / "att_gt_mpdta.json"

CONTROLS = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}
BASES = ("varying", "universal")
METHODS = ("reg", "ipw", "dr")
COVARIATES = {"none": None, "lpop": "~ lpop"}
PANEL = {"panel": True, "rcs": False}


def _key(control: str, base: str, method: str, cov: str, panel: str) -> str:
    return f"{control}-{base}-{method}-{cov}-{panel}"


def _moderndid(data: pd.DataFrame, control: str, base: str, method: str, cov: str, panel: str) -> dict:
    import moderndid as md

    if not PANEL[panel]:
        # repeated cross-sections: every row its own sampling unit (R did needs unique ids)
        data = data.assign(obs=np.arange(len(data)))
    res = md.att_gt(
        data,
        yname="lemp",
        tname="year",
        idname="countyreal" if PANEL[panel] else "obs",
        gname="first.treat",
        xformla=COVARIATES[cov],
        control_group=CONTROLS[control],
        base_period=base,
        est_method=method,
        panel=PANEL[panel],
        boot=False,
        cband=False,
    )
    out: dict = {
        "group": np.asarray(res.groups).tolist(),
        "time": np.asarray(res.times).tolist(),
        "att": np.asarray(res.att_gt).tolist(),
        "se": np.asarray(res.se_gt).tolist(),
        "wald_stat": None if res.wald_stat is None else float(res.wald_stat),
        "aggregations": {},
    }
    specs = {
        "simple": {"type": "simple"},
        "group": {"type": "group"},
        "calendar": {"type": "calendar"},
        "dynamic": {"type": "dynamic"},
        "dynamic_balance1": {"type": "dynamic", "balance_e": 1},
        "dynamic_window": {"type": "dynamic", "min_e": -2, "max_e": 2},
    }
    for name, kw in specs.items():
        agg = md.aggte(res, boot=False, cband=False, **kw)
        entry = {"overall_att": float(agg.overall_att), "overall_se": float(agg.overall_se)}
        if agg.event_times is not None:
            entry["terms"] = np.asarray(agg.event_times).tolist()
            entry["att"] = np.asarray(agg.att_by_event).tolist()
            entry["se"] = np.asarray(agg.se_by_event).tolist()
        out["aggregations"][name] = entry
    return out


def _csdid_att(data: pd.DataFrame, control: str, method: str, cov: str) -> np.ndarray:
    from csdid.att_gt import ATTgt

    fit = ATTgt(
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        data=data,
        control_group=CONTROLS[control],
        xformla=COVARIATES[cov] and f"lemp{COVARIATES[cov]}",
    ).fit(est_method=method, bstrap=False)
    return np.asarray(fit.results["att"], dtype=float)


def _diff_diff_att(data: pd.DataFrame, control: str, method: str, cov: str) -> pd.Series:
    from diff_diff import CallawaySantAnna

    res = CallawaySantAnna(control_group=control, estimation_method=method).fit(
        data, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
        covariates=None if cov == "none" else ["lpop"],
    )
    return pd.Series({k: v["effect"] for k, v in res.group_time_effects.items()})


def main() -> None:
    warnings.simplefilter("ignore")
    data = pd.read_csv(DATA)
    results = {}
    for control, base, method, cov, panel in itertools.product(CONTROLS, BASES, METHODS, COVARIATES, PANEL):
        results[_key(control, base, method, cov, panel)] = _moderndid(data, control, base, method, cov, panel)

    crosscheck = {}
    for control, method, cov in itertools.product(CONTROLS, METHODS, COVARIATES):
        ref = results[_key(control, "varying", method, cov, "panel")]
        ref_att = pd.Series(ref["att"], index=list(zip(ref["group"], ref["time"])))
        entry = {}
        try:
            entry["csdid_max_abs_diff"] = float(np.max(np.abs(_csdid_att(data, control, method, cov) - ref_att.to_numpy())))
        except Exception as exc:  # a peer failing is recorded, not fatal
            entry["csdid_error"] = repr(exc)
        try:
            dd = _diff_diff_att(data, control, method, cov)
            dd.index = [(int(g), int(t)) for g, t in dd.index]
            entry["diff_diff_max_abs_diff"] = float(np.max(np.abs(dd.reindex(ref_att.index) - ref_att)))
        except Exception as exc:
            entry["diff_diff_error"] = repr(exc)
        crosscheck[_key(control, "varying", method, cov, "panel")] = entry

    doc = {
        "description": "R did att_gt/aggte on mpdta (lemp, year, countyreal, first.treat), analytic SEs",
        "generator": "tests/reference/make_att_gt_mpdta.py",
        "versions": {p: version(p) for p in ("moderndid", "csdid", "diff-diff", "numpy", "pandas")},
        "r_did_vignette": {"simple_att": -0.0400, "simple_se_bootstrap": 0.0118},
        "results": results,
        "crosscheck_att_gt_vs_moderndid": crosscheck,
    }
    OUT.write_text(json.dumps(doc, indent=1))
    print(f"wrote {OUT}")
    print(json.dumps(crosscheck, indent=1))


if __name__ == "__main__":
    main()
