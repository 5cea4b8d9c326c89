"""Time `evalkit power` on the bundled panel, and validate placebo power against Monte Carlo power.

Run:
    python benchmarks/bench_power.py                 # both parts
    python benchmarks/bench_power.py --part timing   # the FUI question only
    python benchmarks/bench_power.py --part validation --reps 4000

Timing: `evalkit power --candidate nine=2017-01:9,2017-07:rest` on the bundled national
synthetic panel (simulated without reform effects) answers "what MDE for employment at 6
months would the 2017 FUI schedule have had, and how would 9 treated counties instead of
6 change it"; wall-clock and CPU seconds of the whole command (simulation included) and
its MDE table are printed.

Validation: the known DGP of tests/test_power.py (12 units, AR(1) unit x month shocks),
placebo power from one long simulated history against Monte Carlo power from fresh
panels with the effect added, at several effect sizes, with simulation standard errors;
the Markdown table printed is the one in docs/power.md.
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


def timing() -> None:
    command = [sys.executable, "-m", "evalkit.cli", "power", "--candidate", "nine=2017-01:9,2017-07:rest", "--quiet"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("timing", "validation", "both"), default="both")
    parser.add_argument("--reps", type=int, default=4000, help="Monte Carlo panels (default 4000)")
    parser.add_argument("--months", type=int, default=3000, help="months of the placebo history (default 3000)")
    args = parser.parse_args()
    if args.part in ("timing", "both"):
        timing()
    if args.part in ("validation", "both"):
        validation(args.reps, args.months)


if __name__ == "__main__":
    main()
