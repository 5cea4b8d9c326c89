"""Benchmark: generate the national synthetic FUI panel and write/read it as Parquet.

Run by hand: ``python benchmarks/bench_simulate.py [--scale 1.0] [--seed 2017]``.
Prints persons, rows, generation seconds and Parquet write/read seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from evalkit.replications.fui.synthetic import read_unemployment, simulate_fui_panel, write_panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()

    start = time.perf_counter()
    data = simulate_fui_panel(scale=args.scale, seed=args.seed)
    generate = time.perf_counter() - start
    print(f"persons:        {data.panel['person_id'].nunique():>12,}")
    print(f"person-months:  {len(data.panel):>12,}")
    print(f"generate:       {generate:>12.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fui_panel.parquet"
        start = time.perf_counter()
        write_panel(data, path)
        write = time.perf_counter() - start
        start = time.perf_counter()
        panel = pd.read_parquet(path)
        read_unemployment(path)
        read = time.perf_counter() - start
        size = path.stat().st_size / 2**20
    print(f"parquet write:  {write:>12.2f} s  ({size:.1f} MiB)")
    print(f"parquet read:   {read:>12.2f} s  ({len(panel):,} rows)")


if __name__ == "__main__":
    main()
