"""Time the whole FUI analysis on the national synthetic panel next to merely reading it.

Run: python benchmarks/bench_fui.py [--scale 1.0]

Prints the panel's size, the time to read it from Parquet, the time of each stage of
`evalkit fui` (validation, sample preparation in DuckDB, the 24 regressions) and the ratio
of the whole analysis to the Parquet read.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from evalkit.panel import read_panel, scan_panel
from evalkit.replications.fui import run_fui
from evalkit.replications.fui.regressions import fit_fui_regressions
from evalkit.replications.fui.sample import prepare_sample
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel, write_panel


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:8.2f} s")
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    data, _ = timed("simulate the panel", simulate_fui_panel, scale=args.scale)
    print(f"panel: {len(data.panel):,} person-months of {data.panel['person_id'].nunique():,} persons")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        write_panel(data, path)
        frame, t_read = timed("read the panel from Parquet (pandas)", pd.read_parquet, path)
        panel, t_validate = timed("read_panel: validate and canonicalise", read_panel, frame)
        sample, t_sample = timed(
            "prepare_sample: entries, outcomes (DuckDB)",
            prepare_sample,
            panel,
            data.unemployment,
            norway_2017_schedule(),
        )
        _, t_fit = timed("8 published regressions (iid)", fit_fui_regressions, sample)
        published_only = dict(few_clusters=False, event_study=False, placebo=False)
        _, t_pub = timed("run_fui, published analysis, from the frame", run_fui, panel, data.unemployment, **published_only)
        scanned, t_scan = timed("scan_panel: validate the Parquet file in DuckDB", scan_panel, path)
        _, t_pub_scan = timed("run_fui, published analysis, scanned file", run_fui, scanned, data.unemployment, **published_only)
        _, t_all = timed("run_fui, everything, scanned file", run_fui, scanned, data.unemployment)
    print(f"\npublished analysis from Parquet (scan + run) / Parquet read: {(t_scan + t_pub_scan) / t_read:.1f}x")
    print(f"everything from Parquet (scan + run) / Parquet read: {(t_scan + t_all) / t_read:.1f}x")
    print(f"in memory: read {t_read:.2f} s + validate {t_validate:.2f} s + published analysis {t_pub:.2f} s "
          f"(sample {t_sample:.2f} s, published regressions {t_fit:.2f} s)")


if __name__ == "__main__":
    main()
