"""Out-of-core preparation: validation, entries and outcomes on growing Parquet panels.

Run: python benchmarks/bench_out_of_core.py [--copies 1 4 16] [--scale 1.0]
                                            [--memory-limit 2GB] [--workdir DIR]

Simulates the national synthetic panel once (``--scale 1``: 6.3 M person-months), then
writes ``copies`` copies of it (person ids shifted per copy, so each copy is a new set of
persons) as a directory of Parquet files: 6 M, 25 M, 100 M rows for 1, 4, 16 copies.  For
each size a fresh Python process scans the directory with DuckDB under ``SET memory_limit``
(it spills to disk instead of exhausting memory) and times :func:`scan_panel` (all
validation) and :func:`prepare_sample` (entries after the washout, outcomes at horizons,
the FUI sample).  It prints rows per second and the peak resident memory of the process
(``resource.getrusage``; DuckDB's allocations are native, so ``tracemalloc`` would miss them).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PERSON_OFFSET = 10_000_000


def write_copies(directory: Path, table: pa.Table, copies: int) -> int:
    """Write ``copies`` copies of ``table`` with shifted person ids; return the rows."""
    directory.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        shifted = table.set_column(
            0, "person_id", pa.compute.add(table["person_id"], pa.scalar(k * PERSON_OFFSET, pa.int64()))
        )
        pq.write_table(shifted, directory / f"part-{k:03d}.parquet", coerce_timestamps="us",
                       allow_truncated_timestamps=True)
    return table.num_rows * copies


def measure(directory: Path, memory_limit: str) -> dict[str, float]:
    """Scan and prepare one panel directory in this process; timings and peak memory."""
    import pandas as pd

    from evalkit.replications.fui.schedule import norway_2017_schedule
    from evalkit.engine import DuckDBEngine
    from evalkit.panel import scan_panel
    from evalkit.replications.fui.sample import prepare_sample

    engine = DuckDBEngine(memory_limit=memory_limit, temp_directory=str(directory.parent / "spill"))
    start = time.perf_counter()
    panel = scan_panel(str(directory / "*.parquet"), engine=engine)
    t_scan = time.perf_counter() - start
    unemployment = pd.read_parquet(directory.parent / "unemployment.parquet")
    start = time.perf_counter()
    sample = prepare_sample(panel, unemployment, norway_2017_schedule())
    t_prepare = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": panel.report.n_rows,
        "entries": len(sample.frame),
        "scan_s": t_scan,
        "prepare_s": t_prepare,
        "peak_rss_mib": peak_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--workdir", default=None, help="where to write the panels (default: a temp dir)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.memory_limit)))
        return
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    data = simulate_fui_panel(scale=args.scale, seed=1)
    table = pa.Table.from_pandas(data.panel, preserve_index=False)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        data.unemployment.to_parquet(Path(tmp) / "unemployment.parquet")
        print(f"{'rows':>13} {'validate s':>11} {'prepare s':>10} {'rows/s (all)':>14} {'peak RSS MiB':>13}"
              f"   (DuckDB memory_limit {args.memory_limit})")
        for copies in args.copies:
            directory = Path(tmp) / f"panel_{copies}"
            write_copies(directory, table, copies)
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(directory), "--memory-limit", args.memory_limit],
                check=True, capture_output=True, text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = r["rows"] / (r["scan_s"] + r["prepare_s"])
            print(
                f"{r['rows']:>13,} {r['scan_s']:>11.1f} {r['prepare_s']:>10.1f} "
                f"{rate:>14,.0f} {r['peak_rss_mib']:>13,.0f}"
            )
            for part in directory.glob("*.parquet"):
                part.unlink()


if __name__ == "__main__":
    main()
