"""Bias and coverage of DID_l, a TWFE event study and Callaway & Sant'Anna when exposure
switches on and off, by simulation (not run in CI; the test runs one small panel).

    python benchmarks/dcdh_switching.py               # 200 replications
    python benchmarks/dcdh_switching.py --reps 50     # a quicker run

Each replication draws ``--units`` persons over ``--periods`` periods with
:func:`evalkit.simulate.simulate_switching` (half start in a treated region, each moves to
a region of the other kind with probability ``--move-rate`` per period; the effect is 1
per consecutive exposed period up to 3).  The target at event time ``e`` is the effect of
the switches ``l = e + 1`` periods after the first one (``SwitchingPanel.true_effects``),
the estimand of DID_l.  Compared: ``dcdh`` (effects 1-3), ``event_study`` with the first
switch as the cohort (everyone whose exposure changed), and ``att_gt`` (not-yet-treated
comparisons) on the persons who start unexposed, with the first exposure as the cohort.
The table (mean error, RMSE, coverage of the 95 % interval, with Monte Carlo standard
errors) is printed and written to ``docs/dcdh_switching.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit import att_gt, dcdh, event_study  # noqa: E402
from evalkit.simulate import simulate_switching  # noqa: E402

TERMS = [f"event_time::{e}" for e in range(3)]


def replication(seed: int, units: int, periods: int, move_rate: float) -> list[dict]:
    panel = simulate_switching(units, periods, rng=np.random.default_rng(seed), move_rate=move_rate)
    truth = panel.true_effects(3)
    d = panel.data
    fits = {
        "dcdh": dcdh(d, y="y", unit="unit", time="time", treatment="treated", effects=3),
        "TWFE event study": event_study(d, y="y", time="time", group="first_switch", unit="unit",
                                        min_e=-2, max_e=2),
        "att_gt (first exposure)": att_gt(d[d["baseline"] == 0], y="y", time="time", group="first_switch",
                                          unit="unit", control_group="not_yet_treated").aggregate("dynamic"),
    }
    rows = []
    for name, fit in fits.items():
        ci = fit.conf_int()
        for e, term in enumerate(TERMS):
            err = fit.params[term] - truth.loc[e]
            covered = ci.loc[term, "lower"] <= truth.loc[e] <= ci.loc[term, "upper"]
            rows.append({"estimator": name, "event_time": e, "error": err, "covered": covered})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--move-rate", type=float, default=0.08)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dcdh_switching.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = [r for i in range(args.reps) for r in replication(args.seed + i, args.units, args.periods, args.move_rate)]
    frame = pd.DataFrame(rows)
    table = frame.groupby(["estimator", "event_time"], sort=False).agg(
        mean_error=("error", "mean"), mc_se=("error", lambda x: x.std(ddof=1) / np.sqrt(len(x))),
        rmse=("error", lambda x: float(np.sqrt(np.mean(x**2)))), coverage=("covered", "mean"),
    ).reset_index()
    table["coverage_mc_se"] = np.sqrt(table["coverage"] * (1 - table["coverage"]) / args.reps)
    text = table.to_markdown(index=False, floatfmt=".3f")
    print(text)
    command = (f"python benchmarks/dcdh_switching.py --reps {args.reps} --units {args.units} "
               f"--periods {args.periods} --move-rate {args.move_rate} --seed {args.seed}")
    args.out.write_text(
        "# DID_l, TWFE and Callaway & Sant'Anna when exposure switches on and off\n\n"
        f"Made by `{command}` ({args.reps} replications; see the script's docstring for the design).\n"
        "The target is the effect of the switches `l = e + 1` periods after the first one, DID_l's\n"
        "estimand; the effect is about 2. `mc_se` and `coverage_mc_se` are Monte Carlo standard errors.\n\n"
        + text + "\n"
    )


if __name__ == "__main__":
    main()
