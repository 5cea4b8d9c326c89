"""Time evalkit's ATT(g,t) against csdid, diff-diff and moderndid on the same simulated panel.

    python benchmarks/bench_att_gt.py --units 20000 --periods 12 --boot 999
    python benchmarks/bench_att_gt.py --units 1000000 --only evalkit

Each package estimates ATT(g,t) without covariates (doubly robust, never-treated controls,
analytic standard errors), then the dynamic aggregation; evalkit also runs the multiplier
bootstrap with ``--boot`` draws, drawn once for ATT(g,t) and reused by the dynamic aggregation.  Prints
seconds, the ratio to evalkit and the largest absolute difference of ATT(g,t) estimates.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from evalkit.estimators.att_gt import att_gt
from evalkit.simulate import simulate_staggered


def run_evalkit(data: pd.DataFrame, n_boot: int) -> pd.Series:
    res = att_gt(data, y="y", time="time", group="first_treated", unit="unit",
                 n_boot=n_boot or None, rng=np.random.default_rng(1))
    res.aggregate("dynamic")  # reuses the draws stored by att_gt (no new multipliers)
    return pd.Series(res.params.to_numpy(), index=list(zip(res.group.astype(int), res.time.astype(int))))


def run_moderndid(data: pd.DataFrame, n_boot: int) -> pd.Series:
    import moderndid as md

    res = md.att_gt(data, yname="y", tname="time", idname="unit", gname="first_treated", boot=False, cband=False)
    md.aggte(res, type="dynamic", boot=False, cband=False)
    return pd.Series(np.asarray(res.att_gt), index=list(zip(np.asarray(res.groups).astype(int), np.asarray(res.times).astype(int))))


def run_csdid(data: pd.DataFrame, n_boot: int) -> pd.Series:
    from csdid.att_gt import ATTgt

    fit = ATTgt(yname="y", tname="time", idname="unit", gname="first_treated", data=data).fit(est_method="dr", bstrap=False)
    fit.aggte(typec="dynamic", bstrap=False)
    r = fit.results
    return pd.Series(np.asarray(r["att"], dtype=float), index=list(zip(np.asarray(r["group"]).astype(int), np.asarray(r["year"]).astype(int))))


def run_diff_diff(data: pd.DataFrame, n_boot: int) -> pd.Series:
    from diff_diff import CallawaySantAnna

    res = CallawaySantAnna(estimation_method="dr").fit(
        data, outcome="y", unit="unit", time="time", first_treat="first_treated", aggregate="event_study")
    return pd.Series({(int(g), int(t)): v["effect"] for (g, t), v in res.group_time_effects.items()})


RUNNERS = {"evalkit": run_evalkit, "moderndid": run_moderndid, "csdid": run_csdid, "diff-diff": run_diff_diff}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--boot", type=int, default=999)
    parser.add_argument("--only", nargs="*", default=list(RUNNERS), choices=list(RUNNERS))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cohorts = {g: 0.12 for g in (3, 5, 7, 9, 11)}
    sim = simulate_staggered(args.units, args.periods, cohorts, effect=lambda e, g: 0.1 * (e + 1),
                             rng=np.random.default_rng(0))
    print(f"{args.units} units x {args.periods} periods, 5 cohorts; evalkit bootstrap draws: {args.boot}")
    times, est = {}, {}
    for name in args.only:
        start = time.perf_counter()
        try:
            est[name] = RUNNERS[name](sim.data, args.boot)
        except Exception as exc:  # report a failing peer and go on
            print(f"{name:>10}: failed ({exc!r})")
            continue
        times[name] = time.perf_counter() - start
    base = times.get("evalkit")
    for name, sec in times.items():
        ratio = f"{sec / base:6.1f}x evalkit" if base else ""
        diff = ""
        if "evalkit" in est and name != "evalkit":
            common = est["evalkit"].index.intersection(est[name].index)
            diff = f"max |ATT diff| = {np.max(np.abs(est['evalkit'][common] - est[name][common])):.2e} over {len(common)} cells"
        print(f"{name:>10}: {sec:8.2f} s  {ratio}  {diff}")


if __name__ == "__main__":
    main()
