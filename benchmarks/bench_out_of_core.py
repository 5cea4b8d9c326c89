"""Out of core: FUI preparation, and staggered estimation in the engine, on Parquet panels.

Run: python benchmarks/bench_out_of_core.py [--copies 1 4 16] [--scale 1.0]
                                            [--memory-limit 2GB] [--workdir DIR]
     python benchmarks/bench_out_of_core.py --staggered 50000000 [500000000]
                                            [--estimators att_gt imputation event_study]
                                            [--memory-limit 4GB] [--workdir DIR]

``--staggered ROWS``: a staggered person-month panel (40 months, 19 regions, cohorts by
region, a discrete covariate with 3 values) of ``ROWS`` rows is written as copies of one
1M-row Parquet file (25,000 persons; person ids shifted and outcomes perturbed per copy,
so the panel is never in memory), and a fresh process per estimator estimates with DuckDB
under ``--memory-limit`` (:func:`measure_staggered`: ``att_gt_in_engine`` doubly robust
with the covariate and its dynamic aggregation, ``imputation_in_engine``,
``event_study_in_engine``; clustered by region); it prints seconds, rows per second and
the peak resident memory of the process.  The files are deleted afterwards.

Simulates the national synthetic panel once (``--scale 1``: 6.3 M person-months), then
writes ``copies`` copies of it (person ids shifted per copy, so each copy is a new set of
persons) as a directory of Parquet files: 6 M, 25 M, 100 M rows for 1, 4, 16 copies.  For
each size a fresh Python process scans the directory with DuckDB under ``SET memory_limit``
(it spills to disk instead of exhausting memory) and times :func:`scan_panel` (all
validation) and :func:`prepare_sample` (entries after the washout, outcomes at horizons,
the FUI sample).  It prints rows per second and the peak resident memory of the process
(``VmHWM`` of its own address space, :func:`peak_rss_mb`; DuckDB's allocations are native, so
``tracemalloc`` would miss them, and ``getrusage`` would carry over the parent's peak).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from _child import peak_rss_mb  # noqa: E402  (the child's own peak, not the parent's)

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

    from evalkit.engine import DuckDBEngine
    from evalkit.panel import scan_panel
    from evalkit.replications.fui.sample import prepare_sample
    from evalkit.replications.fui.schedule import norway_2017_schedule

    engine = DuckDBEngine(memory_limit=memory_limit, temp_directory=str(directory.parent / "spill"))
    start = time.perf_counter()
    panel = scan_panel(str(directory / "*.parquet"), engine=engine)
    t_scan = time.perf_counter() - start
    unemployment = pd.read_parquet(directory.parent / "unemployment.parquet")
    start = time.perf_counter()
    sample = prepare_sample(panel, unemployment, norway_2017_schedule())
    t_prepare = time.perf_counter() - start
    return {
        "rows": panel.report.n_rows,
        "entries": len(sample.frame),
        "scan_s": t_scan,
        "prepare_s": t_prepare,
        "peak_rss_mib": peak_rss_mb(),
    }


STAGGERED_UNITS, STAGGERED_MONTHS, STAGGERED_REGIONS = 25_000, 40, 19


def staggered_base(seed: int = 7) -> pa.Table:
    """One block of the staggered panel: 25,000 persons x 40 months (1M rows)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n, t_max = STAGGERED_UNITS, STAGGERED_MONTHS
    region = rng.integers(0, STAGGERED_REGIONS, n)
    wave = np.array([0, 0, 0, 0, 0, 13, 13, 13, 13, 19, 19, 19, 19, 25, 25, 25, 31, 31, 31])  # 0 = never
    first = wave[region].astype(float)
    edu = rng.integers(0, 3, n)
    t = np.tile(np.arange(1, t_max + 1, dtype=np.int16), n)
    g = np.repeat(first, t_max)
    post = (g > 0) & (t >= g)
    y = (np.repeat(rng.normal(size=n) + 0.2 * edu, t_max) + 0.01 * t + post * (0.5 + 0.02 * (t - g))
         + rng.normal(size=n * t_max))
    return pa.table({
        "person_id": pa.array(np.repeat(np.arange(n, dtype=np.int64), t_max)),
        "month": pa.array(t), "first_treated": pa.array(g), "region": pa.array(np.repeat(region, t_max).astype(np.int16)),
        "edu": pa.array(np.repeat(edu, t_max).astype(np.int8)), "y": pa.array(y),
    })


def write_staggered(directory: Path, rows: int) -> int:
    """Write ``rows`` rows (whole 1M-row blocks) as copies of :func:`staggered_base`."""
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    base = staggered_base()
    block = base.num_rows
    copies = max(1, rows // block)
    noise = np.random.default_rng(11).normal(scale=0.01, size=block)
    for k in range(copies):
        part = base.set_column(0, "person_id", pa.compute.add(base["person_id"], pa.scalar(k * STAGGERED_UNITS, pa.int64())))
        part = part.set_column(5, "y", pa.compute.add(base["y"], pa.array(np.roll(noise, k))))
        pq.write_table(part, directory / f"part-{k:04d}.parquet")
    return copies * block


STAGGERED_ESTIMATORS = ("att_gt", "imputation", "event_study")


def measure_staggered(directory: Path, memory_limit: str, estimator: str = "att_gt") -> dict[str, float]:
    """One engine estimator on one stored panel, in this process: seconds, estimate, peak RSS.

    ``att_gt``: :func:`~evalkit.estimators.att_gt_engine.att_gt_in_engine` (doubly robust
    with the covariate) and its dynamic aggregation; ``imputation``:
    :func:`~evalkit.estimators.imputation_engine.imputation_in_engine`; ``event_study``:
    :func:`~evalkit.estimators.event_study_engine.event_study_in_engine` (``event_time::0``).
    All clustered by region.
    """
    from evalkit.engine import DuckDBEngine, ParquetSource

    engine = DuckDBEngine(memory_limit=memory_limit, temp_directory=str(directory.parent / "spill"))
    source = ParquetSource(str(directory / "*.parquet"))
    roles = {"y": "y", "time": "month", "group": "first_treated", "unit": "person_id", "cluster": "region"}
    start = time.perf_counter()
    if estimator == "att_gt":
        from evalkit.estimators.att_gt_engine import att_gt_in_engine

        res = att_gt_in_engine(source, **roles, covariates=["edu"], est_method="dr", engine=engine)
        rows, cells, out = res.nobs * STAGGERED_MONTHS, res.extra["n_cells"], res.aggregate("dynamic")
        term = "ATT"
    elif estimator == "imputation":
        from evalkit.estimators.imputation_engine import imputation_in_engine

        out = imputation_in_engine(source, **roles, engine=engine)
        rows, cells, term = out.extra["n_untreated"] + out.extra["n_treated"], out.extra["n_cells"], "ATT"
    else:
        from evalkit.estimators.event_study_engine import event_study_in_engine

        out = event_study_in_engine(source, **roles, engine=engine)
        rows, cells, term = out.nobs, out.extra["n_cells"], "event_time::0"
    seconds = time.perf_counter() - start
    return {"estimator": estimator, "rows": rows, "cells": cells, "seconds": seconds,
            "att": float(out.params[term]), "se": float(out.std_errors[term]),
            "peak_rss_mib": peak_rss_mb()}


def run_staggered(sizes: list[int], memory_limit: str, workdir: str | None, estimators: list[str]) -> None:
    """Write each staggered panel, measure each estimator in a fresh process, delete the panel."""
    print(f"{'estimator':>11} {'rows':>13} {'cells':>6} {'seconds':>8} {'rows/s':>12} {'peak RSS MiB':>13} "
          f"{'estimate':>8} {'SE':>7}   (in the engine, DuckDB memory_limit {memory_limit})")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for rows in sizes:
            directory = Path(tmp) / f"staggered_{rows}"
            write_staggered(directory, rows)
            for estimator in estimators:
                out = subprocess.run(
                    [sys.executable, __file__, "--measure-staggered", str(directory), "--memory-limit", memory_limit,
                     "--estimators", estimator],
                    check=True, capture_output=True, text=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{estimator:>11} {r['rows']:>13,} {r['cells']:>6} {r['seconds']:>8.1f} "
                      f"{r['rows'] / r['seconds']:>12,.0f} {r['peak_rss_mib']:>13,.0f} {r['att']:>8.4f} "
                      f"{r['se']:>7.4f}", flush=True)
            for part in directory.glob("*.parquet"):
                part.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit (default 2GB; 4GB with --staggered)")
    parser.add_argument("--workdir", default=None, help="where to write the panels (default: a temp dir)")
    parser.add_argument("--staggered", type=int, nargs="+", default=None, metavar="ROWS",
                        help="estimate in the engine on staggered panels of these sizes instead")
    parser.add_argument("--estimators", nargs="+", choices=STAGGERED_ESTIMATORS, default=list(STAGGERED_ESTIMATORS),
                        help="the engine estimators measured with --staggered (default: all three)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure-staggered", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_limit is None:
        args.memory_limit = "4GB" if args.staggered or args.measure_staggered else "2GB"
    if args.measure_staggered:
        print(json.dumps(measure_staggered(Path(args.measure_staggered), args.memory_limit, args.estimators[0])))
        return
    if args.staggered:
        run_staggered(args.staggered, args.memory_limit, args.workdir, args.estimators)
        return
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
