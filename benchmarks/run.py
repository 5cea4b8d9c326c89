"""Benchmark evalkit against the installed Python peers on the same staggered panels.

    python benchmarks/run.py              # 50k, 250k, 1M and 4M rows
    python benchmarks/run.py --quick      # 50k rows only (smoke run)
    python benchmarks/run.py --sizes 1000000 --estimands cs twfe

The panels (:mod:`panel`: 40 months, 19 regions, 3 cohorts) are written once to Parquet and
read by every run.  Each (estimand, size, package) runs in a FRESH process
(``benchmarks/peers/<package>_<estimand>.py``) that times the estimation alone and reports
its peak resident memory; the process's address space is capped (``--mem-gb``, default 16)
and it is killed after ``--timeout`` seconds.  A run shorter than ``--repeat-budget`` seconds
is repeated in fresh processes, up to ``--repeat`` runs in all, and the least time and the least
peak memory count (the machine's noise only ever adds to either), so that a shared machine does
not flip the ratios near a limit.  A package that times out, runs out of memory
or fails is skipped at larger sizes.  One line is printed per run: seconds, peak memory,
the ratios package/evalkit and the largest absolute difference between the package's
estimates and evalkit's (over the estimates both report).  The table goes to
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from panel import panel_path  # noqa: E402
from report import Row, machine, page, versions, write_page  # noqa: E402
from targets import child_environment, compile_evalkit, main as whole_process_targets  # noqa: E402

SIZES = (50_000, 250_000, 1_000_000, 4_000_000)
#: estimand -> (description, [(package, import name, child script)]); evalkit first.
ESTIMANDS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "cs": ("Callaway-Sant'Anna ATT(g,t) + dynamic aggregation, analytic SEs", [
        ("evalkit", "evalkit", "evalkit_cs"), ("diff-diff", "diff_diff", "diffdiff_cs"),
        ("csdid", "csdid", "csdid_cs"), ("moderndid", "moderndid", "moderndid_cs"),
        ("differences", "differences", "differences_cs")]),
    "cs_x": ("Callaway-Sant'Anna doubly robust with 8 covariate dummies + dynamic aggregation, analytic SEs", [
        ("evalkit", "evalkit", "evalkit_cs_x"), ("diff-diff", "diff_diff", "diffdiff_cs_x"),
        ("csdid", "csdid", "csdid_cs_x"), ("moderndid", "moderndid", "moderndid_cs_x"),
        ("differences", "differences", "differences_cs_x")]),
    "twfe": ("TWFE event study, unit + month FE, unit-clustered SEs", [
        ("evalkit", "evalkit", "evalkit_twfe"), ("pyfixest", "pyfixest", "pyfixest_twfe"),
        ("linearmodels", "linearmodels", "linearmodels_twfe"), ("statsmodels", "statsmodels", "statsmodels_twfe")]),
    "sunab": ("Sun-Abraham interaction-weighted event study", [
        ("evalkit", "evalkit", "evalkit_sunab"), ("pyfixest", "pyfixest", "pyfixest_sunab")]),
    "imputation": ("Imputation DiD (Borusyak, Jaravel & Spiess), overall ATT and every horizon, unit-clustered SEs", [
        ("evalkit", "evalkit", "evalkit_imputation"), ("diff-diff", "diff_diff", "diffdiff_imputation"),
        ("py2sdid", "py2sdid", "py2sdid_imputation"), ("did-imputation", "did_imputation", "didimputation_imputation")]),
    "twostage": ("Two-stage DiD (Gardner), event-time terms, unit-clustered SEs", [
        ("evalkit", "evalkit", "evalkit_twostage"), ("diff-diff", "diff_diff", "diffdiff_twostage"),
        ("py2sdid", "py2sdid", "py2sdid_twostage"), ("pyfixest", "pyfixest", "pyfixest_twostage")]),
}


@dataclass
class Run:
    estimand: str
    size: int
    package: str
    status: str
    seconds: float = float("nan")
    peak_mb: float = float("nan")
    estimates: dict[str, float] | None = None


def run_child(script: str, panel: Path, timeout: float, mem_gb: float) -> tuple[str, dict | None]:
    """Run one child process; ``("ok", report)`` or ``(reason, None)``."""
    limit = int(mem_gb * 1024**3)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, str(HERE / "peers" / f"{script}.py"), str(panel)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, cwd=HERE / "peers",
                              env=child_environment())
    except subprocess.TimeoutExpired:
        return f"timeout (>{timeout:g} s)", None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines:
        return "ok", json.loads(lines[-1])
    err = proc.stderr.strip().splitlines()
    if "MemoryError" in proc.stderr or "Unable to allocate" in proc.stderr or proc.returncode in (-9, 137):
        return f"out of memory (>{mem_gb:g} GB)", None
    return f"failed: {err[-1][:120] if err else proc.returncode}", None


def best_of(script: str, panel: Path, args: argparse.Namespace) -> tuple[str, dict | None]:
    """Run one child up to ``args.repeat`` times while the runs so far took less than
    ``args.repeat_budget`` seconds; the least seconds and least peak memory of the runs."""
    status, best = run_child(script, panel, args.timeout, args.mem_gb)
    spent, runs = (best or {}).get("seconds", 0.0), 1
    while best is not None and runs < args.repeat and spent < args.repeat_budget:
        status, report = run_child(script, panel, args.timeout, args.mem_gb)
        runs += 1
        if report is None:  # a repeat that fails keeps the runs before it
            break
        spent += report["seconds"]
        best = {**best, "seconds": min(best["seconds"], report["seconds"]),
                "peak_rss_mb": min(best["peak_rss_mb"], report["peak_rss_mb"])}
    return "ok" if best is not None else status, best


def max_abs_diff(a: dict[str, float] | None, b: dict[str, float] | None) -> tuple[float, int]:
    if not a or not b:
        return float("nan"), 0
    common = [k for k in a if k in b]
    if not common:
        return float("nan"), 0
    return max(abs(a[k] - b[k]) for k in common), len(common)


def fmt_line(r: Run, base: Run | None) -> str:
    if r.status != "ok":
        return f"{r.estimand:>10} {r.size:>9,} {r.package:>13}: {r.status}"
    ratio_t = r.seconds / base.seconds if base and base.status == "ok" else float("nan")
    ratio_m = r.peak_mb / base.peak_mb if base and base.status == "ok" else float("nan")
    diff, n = max_abs_diff(r.estimates, base.estimates if base else None)
    extra = "" if r.package == "evalkit" else f"  time x{ratio_t:5.1f}  mem x{ratio_m:4.1f}  max|diff| {diff:.1e} ({n})"
    return f"{r.estimand:>10} {r.size:>9,} {r.package:>13}: {r.seconds:8.2f} s {r.peak_mb:8.0f} MB{extra}"


def markdown(runs: list[Run], args: argparse.Namespace) -> str:
    """The peer table: every (estimand, size, package) run with its ratios to evalkit."""
    base = {(r.estimand, r.size): r for r in runs if r.package == "evalkit"}
    rows = ["| estimand | rows | package | seconds | peak MB | time / evalkit | memory / evalkit | max abs diff (n) |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in runs:
        b = base.get((r.estimand, r.size))
        if r.status != "ok":
            rows.append(f"| {r.estimand} | {r.size:,} | {r.package} | {r.status} | | | | |")
            continue
        ok = b is not None and b.status == "ok" and r.package != "evalkit"
        diff, n = max_abs_diff(r.estimates, b.estimates if b else None)
        rows.append(
            f"| {r.estimand} | {r.size:,} | {r.package} | {r.seconds:.2f} | {r.peak_mb:,.0f} | "
            + (f"{r.seconds / b.seconds:.1f} | {r.peak_mb / b.peak_mb:.2f} | {diff:.1e} ({n}) |" if ok else "| | |"))
    legend = "\n".join(f"* `{k}`: {d}" for k, (d, _) in ESTIMANDS.items() if k in args.estimands)
    hugepages = child_environment()["NUMPY_MADVISE_HUGEPAGE"]
    return (f"Timeout {args.timeout:g} s and {args.mem_gb:g} GB address-space cap per run; a package's runs are "
            f"repeated up to {args.repeat} times while they took less than {args.repeat_budget:g} s in all, "
            f"and the least seconds and peak memory count. Every run has `NUMPY_MADVISE_HUGEPAGE={hugepages}` "
            f"(benchmarks/targets.py, `child_environment`).\n\n{legend}\n\n"
            + "\n".join(rows) + "\n")


#: Staggered estimands whose evalkit time must be at most this share of the fastest peer's ("ahead of every
#: peer at every size"; Callaway-Sant'Anna at half the fastest peer's time).
PEER_SHARE = {"cs": 0.5, "cs_x": 0.5, "imputation": 1.0, "twostage": 1.0}
#: Estimands whose evalkit peak memory must be at most the lightest peer's.
PEER_MEMORY = {"cs", "cs_x"}
#: Estimands whose evalkit time at 4M rows must be at most this many seconds.
SECONDS_AT_4M = {"imputation": 3.0, "twostage": 3.0}


def staggered_targets(runs: list[Run]) -> list[Row]:
    """The staggered targets of the performance issue, one row each (an evalkit failure counts as not met)."""
    rows = []
    for (estimand, size), base in sorted({(r.estimand, r.size): r for r in runs if r.package == "evalkit"}.items()):
        if base.status != "ok":
            rows.append(Row(f"{estimand} at {size:,} rows", f"evalkit {base.status}", float("inf"), 1.0))
            continue
        peers = [r for r in runs if (r.estimand, r.size) == (estimand, size) and r.package != "evalkit" and r.status == "ok"]
        if estimand in PEER_SHARE and peers:
            fastest = min(peers, key=lambda r: r.seconds)
            rows.append(Row(f"{estimand} at {size:,} rows: time at most {PEER_SHARE[estimand]:g}x the fastest peer",
                            f"{base.seconds:.2f} s vs {fastest.package} {fastest.seconds:.2f} s",
                            base.seconds / fastest.seconds, PEER_SHARE[estimand]))
            if estimand in PEER_MEMORY:
                lightest = min(peers, key=lambda r: r.peak_mb)
                rows.append(Row(f"{estimand} at {size:,} rows: memory at most the lightest peer's",
                                f"{base.peak_mb:,.0f} MB vs {lightest.package} {lightest.peak_mb:,.0f} MB",
                                base.peak_mb / lightest.peak_mb, 1.0))
        if estimand in SECONDS_AT_4M and size == 4_000_000:
            rows.append(Row(f"{estimand} at 4M rows: at most {SECONDS_AT_4M[estimand]:g} s", f"{base.seconds:.2f} s",
                            base.seconds, SECONDS_AT_4M[estimand], " s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50k rows only")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--estimands", nargs="*", default=list(ESTIMANDS), choices=list(ESTIMANDS))
    parser.add_argument("--packages", nargs="*", default=None, help="restrict to these packages (evalkit always runs)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--mem-gb", type=float, default=16.0)
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs of a short run (the best counts)")
    parser.add_argument("--repeat-budget", type=float, default=20.0,
                        help="repeat a run only while its runs so far took less than this many seconds")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/evalkit_benchmarks"))
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--fui-scale", type=float, default=1.0,
                        help="size of the FUI panel of the whole-process targets (benchmarks/targets.py)")
    args = parser.parse_args()
    sizes = [SIZES[0]] if args.quick else sorted(args.sizes)
    compile_evalkit()  # the children import the bytecode a user's install has
    runs: list[Run] = []
    for estimand in args.estimands:
        _, packages = ESTIMANDS[estimand]
        dead: set[str] = set()
        for size in sizes:
            panel = panel_path(args.data_dir, size)
            base = None
            for package, module, script in packages:
                if args.packages is not None and package != "evalkit" and package not in args.packages:
                    continue
                if importlib.util.find_spec(module) is None:
                    continue
                if package in dead:
                    runs.append(Run(estimand, size, package, "skipped (failed at a smaller size)"))
                    print(fmt_line(runs[-1], base), flush=True)
                    continue
                status, report = best_of(script, panel, args)
                run = Run(estimand, size, package, status)
                if report is not None:
                    run.seconds, run.peak_mb, run.estimates = report["seconds"], report["peak_rss_mb"], report["estimates"]
                else:
                    dead.add(package)
                if package == "evalkit":
                    base = run
                runs.append(run)
                print(fmt_line(run, base), flush=True)
    staggered = staggered_targets(runs)
    whole = whole_process_targets(["--scale", str(args.fui_scale), "--data-dir", str(args.data_dir)])
    rows = [t.row() for t in whole] + staggered
    for r in rows:
        print(f"{'met    ' if r.met else 'NOT met'}  {r.target}: {r.measured} ({r.value:.2f}{r.unit}, limit {r.limit:g}{r.unit})")
    if not args.no_docs:
        generated = page(command=f"python benchmarks/run.py {' '.join(sys.argv[1:])}".strip(),
                         date=time.strftime("%Y-%m-%d"), rows=rows, peer_table=markdown(runs, args),
                         machine_facts=machine(), package_versions=versions())
        write_page(HERE.parent / "docs" / "benchmarks.md", generated)


if __name__ == "__main__":
    main()
