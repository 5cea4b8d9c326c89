"""Time `evalkit power` on the bundled panel, and validate placebo power against Monte Carlo power.

Run:
    python benchmarks/bench_power.py                       # every part
    python benchmarks/bench_power.py --part timing         # the FUI question (2x2)
    python benchmarks/bench_power.py --part event-timing   # the event-study question
    python benchmarks/bench_power.py --part validation --reps 4000
    python benchmarks/bench_power.py --part event-validation --event-reps 500

Timing: `evalkit power --candidate nine=2017-01:9,2017-07:rest` on the bundled national
synthetic panel (simulated without reform effects) answers "what MDE for employment at 6
months would the 2017 FUI schedule have had, and how would 9 treated counties instead of
6 change it"; wall-clock and CPU seconds of the whole command (simulation included) and
its MDE table are printed.

Event-study timing: `evalkit power --estimator event_study --candidate
three=2017-01:6,2017-04:6,2017-07:rest` asks the same of the event study: the MDE per month
since the start (event_time::0..5) and for their average (ATT) of the 2017 schedule,
against three waves of 6 counties.

Validation: the known DGP of tests/test_power.py (12 units, AR(1) unit x month shocks),
placebo power from one long simulated history against Monte Carlo power from fresh
panels with the effect added, at several effect sizes, with simulation standard errors;
the Markdown table printed is the one in docs/power.md.  Event-study validation: the
same for the staggered plan of tests/test_power_event_study.py (3 + 3 units treated in two
waves, 6 comparisons), the ATT scored by the two-stage DiD's wild bootstrap; placebo spans
do not overlap (shift step 16 months).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


FUI_QUESTION = ["--candidate", "nine=2017-01:9,2017-07:rest"]
EVENT_QUESTION = ["--estimator", "event_study", "--candidate", "three=2017-01:6,2017-04:6,2017-07:rest"]


def timing(question: list[str]) -> None:
    command = [sys.executable, "-m", "evalkit.cli", "power", *question, "--quiet"]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("$ evalkit " + " ".join(command[3:]))
    print(run.stdout.split("### Power by effect size")[0])
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (load average {load} on {len(__import__('os').sched_getaffinity(0))} cores)")


def validation(reps: int, months: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import evalkit
    from test_power import DGP, VALIDATION_PLAN, monte_carlo_power, simulate_cells

    plan = evalkit.PlannedRollout.parse(VALIDATION_PLAN)
    effects = [0.0, 0.05, 0.1, 0.15, 0.2]
    history = simulate_cells(months=months, seed=11, **DGP)
    result = evalkit.power(history, plan, inference="randomization", n_assignments=10, effects=effects, rng=2)
    placebo = result.power().set_index("effect")
    mc = monte_carlo_power(plan, effects, reps)
    n = len(result.replications)
    print(f"DGP {DGP}, plan {plan.text}; placebo: one history of {months} months, {n} rollouts "
          f"({result.designs['shifts'].iloc[0]} shifts x 10 assignments); Monte Carlo: {reps} fresh panels\n")
    print("| true effect | placebo power | Monte Carlo power (SE) | analytic power |")
    print("|---|---|---|---|")
    for e in effects:
        p = placebo.loc[e]
        se = np.sqrt(mc[e] * (1 - mc[e]) / reps)
        print(f"| {e:.2f} | {p['power']:.3f} | {mc[e]:.3f} ({se:.3f}) | {p['analytic_power']:.3f} |")
    row = result.mde().iloc[0]
    print(f"\nMDE at 80 %: placebo {row['mde']:.4f}, analytic {row['analytic_mde']:.4f} (icc {row['icc']:.4f})")


def event_validation(reps: int, placebos: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import evalkit
    from test_power import DGP, simulate_cells
    from test_power_event_study import VALIDATION_PLAN, monte_carlo_event_study_power

    effects = [0.0, 0.05, 0.1, 0.15]
    history = simulate_cells(months=16 * placebos, seed=12, **DGP)
    result = evalkit.power(history, VALIDATION_PLAN, estimator="event_study", n_assignments=1, shift_step=16,
                           n_boot=999, effects=effects, rng=3)
    curves = result.power()
    placebo = curves[curves["term"] == "ATT"].set_index("effect")
    n = int(placebo["replications"].iloc[0])
    print(f"DGP {DGP}, plan {VALIDATION_PLAN.text}; placebo: one history of {16 * placebos} months, {n} "
          f"non-overlapping rollouts; Monte Carlo: {reps} fresh panels per effect; ATT, wild bootstrap (Webb)\n")
    print("| true effect | placebo power (SE) | Monte Carlo power (SE) |")
    print("|---|---|---|")
    for e in effects:
        mc = monte_carlo_event_study_power(e, reps)
        p = float(placebo.loc[e, "power"])
        print(f"| {e:.2f} | {p:.3f} ({np.sqrt(p * (1 - p) / n):.3f}) | {mc:.3f} ({np.sqrt(mc * (1 - mc) / reps):.3f}) |")
    mde = result.mde().set_index("term")
    print("\nMDE at 80 % by term: " + ", ".join(f"{t} {m:.3f}" for t, m in mde["mde"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("timing", "event-timing", "validation", "event-validation", "all"),
                        default="all")
    parser.add_argument("--reps", type=int, default=4000, help="Monte Carlo panels (default 4000)")
    parser.add_argument("--months", type=int, default=3000, help="months of the placebo history (default 3000)")
    parser.add_argument("--event-reps", type=int, default=500,
                        help="event study: Monte Carlo panels per effect (default 500)")
    parser.add_argument("--event-placebos", type=int, default=1000,
                        help="event study: non-overlapping placebo rollouts (default 1000)")
    args = parser.parse_args()
    if args.part in ("timing", "all"):
        timing(FUI_QUESTION)
    if args.part in ("event-timing", "all"):
        timing(EVENT_QUESTION)
    if args.part in ("validation", "all"):
        validation(args.reps, args.months)
    if args.part in ("event-validation", "all"):
        event_validation(args.event_reps, args.event_placebos)


if __name__ == "__main__":
    main()
