"""Time the phases of the FUI analysis on the national synthetic panel, in one process.

Run: python benchmarks/bench_fui.py [--scale 1.0] [--panel PATH.parquet --unemployment PATH.parquet]

Prints the panel's size and the seconds of each phase of `evalkit fui` as it runs them on
the Parquet file: validation in DuckDB, the one pass that finds the new users of every month
and the one that finds their outcomes (both shared by the published sample, the placebo
and the event study), the published sample, the published models (iid, then county-clustered from the same fits,
then without the need category), the placebo and the event study's cohorts; each as a
share of the time to read the panel with pandas.  ``--repeat N`` runs every phase N times
and keeps the best; each phase shows wall seconds and the process's CPU seconds (all
threads, DuckDB's included), which change less than wall time on a shared machine.
These are relative, in-process timings; the whole-process targets are measured by
benchmarks/targets.py (fresh processes, imports included) on an idle machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from evalkit.panel import scan_panel
from evalkit.replications.fui.event_study import entry_cohorts
from evalkit.replications.fui.placebo import placebo_test
from evalkit.replications.fui.regressions import fit_fui_regressions, with_covariance
from evalkit.replications.fui.sample import FuiSpec, fui_entry_pool, prepare_sample, shared_outcome_rows
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel, write_panel


REPEAT = 1


def timed(label: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` run :data:`REPEAT` times; its result and best wall seconds (printed with CPU)."""
    best, cpu = float("inf"), float("inf")
    for _ in range(REPEAT):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    print(f"{label:<58} {best:8.2f} s  (cpu {cpu:6.2f} s)")
    return out, best


def phases(panel_path: Path, unemployment: pd.DataFrame) -> dict[str, float]:
    """Run the phases of ``run_fui`` one by one on the Parquet panel; seconds per phase."""
    spec, schedule = FuiSpec(), norway_2017_schedule()
    seconds = {}
    _, seconds["read"] = timed("read the panel from Parquet (pandas)", pd.read_parquet, panel_path)
    panel, seconds["validate"] = timed("scan_panel: validate in DuckDB", scan_panel, str(panel_path))
    pool, seconds["entries"] = timed("entries of every month (one pass, shared)", fui_entry_pool, panel, spec)
    rows, seconds["outcomes"] = timed("their outcomes (one pass, shared)", shared_outcome_rows, panel, spec, pool,
                                      spec.horizons)
    sample, seconds["sample"] = timed("published sample (windows selected)", prepare_sample, panel,
                                      unemployment, schedule, spec, pool=pool, rows=rows)
    conventional, seconds["iid"] = timed("8 published models (iid)", fit_fui_regressions, sample)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, seconds["cr1"] = timed("8 county-clustered (same fits)", with_covariance, conventional, "CR1",
                                  cluster="county")
    _, seconds["without_category"] = timed("8 models without need category", fit_fui_regressions, sample,
                                           control_for_category=False)
    _, seconds["placebo"] = timed("placebo: sample and 8 models", placebo_test, panel, unemployment, schedule,
                                  spec, pool=pool, rows=rows)
    _, seconds["cohorts"] = timed("event study: every entry cohort with outcomes", entry_cohorts, panel,
                                  unemployment, schedule, spec, pool=pool, rows=rows)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--panel", type=Path, help="an existing panel (e.g. from benchmarks/targets.py)")
    parser.add_argument("--unemployment", type=Path, help="its unemployment table")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each phase; the best is shown")
    args = parser.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        if args.panel is None:
            data, _ = timed("simulate the panel", simulate_fui_panel, scale=args.scale)
            path = Path(tmp) / "panel.parquet"
            write_panel(data, path)
            unemployment = data.unemployment
        else:
            path, unemployment = args.panel, pd.read_parquet(args.unemployment)
        seconds = phases(path, unemployment)
    read = seconds.pop("read")
    print(f"\nphases / the pandas read ({read:.2f} s): "
          + ", ".join(f"{k} {v / read:.1f}x" for k, v in seconds.items())
          + f"; all {sum(seconds.values()) / read:.1f}x")


if __name__ == "__main__":
    main()
