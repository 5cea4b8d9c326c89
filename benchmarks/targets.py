"""Measure the whole-process targets of the performance issue and print each as met or not.

    python benchmarks/targets.py                # the national synthetic panel (scale 1)
    python benchmarks/targets.py --scale 0.2    # a smaller panel, for a quick look

Every measurement is a fresh process (imports included), timed from outside, the best of
``--repeat`` runs (the machine's noise only ever adds time):

* start-up: ``import evalkit`` against ``import pandas`` (target: at most 1.3x);
* the FUI run against reading its panel: the whole-process time of reading the Parquet
  panel with pandas, of the published analysis (``evalkit fui --data ... --no-few-clusters
  --no-event-study``; target at most 2x the read) and of the whole default run (9,999
  wild-bootstrap draws, every county assignment, event study, placebo; target at most 4x).

The staggered estimators' targets (at most 0.5x the fastest peer) are measured by
``benchmarks/run.py``, which calls :func:`main` of this module last and writes both tables
to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import Row  # noqa: E402

#: (target, limit of the ratio) of each measured pair.
LIMITS = {"import": 1.3, "published": 2.0, "whole": 4.0}


@dataclass(frozen=True)
class Target:
    """One measured target: ``seconds`` against ``baseline_seconds``, met when the ratio <= ``limit``."""

    name: str
    seconds: float
    baseline: str
    baseline_seconds: float
    limit: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit

    def row(self) -> Row:
        """The target as a row of the page's targets table."""
        return Row(f"{self.name}: at most {self.limit:g}x {self.baseline}",
                   f"{self.seconds:.2f} s vs {self.baseline_seconds:.2f} s", self.ratio, self.limit)


def compile_evalkit(name: str = "evalkit") -> Path:
    """Write the bytecode of the evalkit being measured (the package ``name``) before anything
    is timed; returns its folder.

    ``pip install .`` writes it at install time, as it did for pandas and the peers, but an
    editable install writes it only at the first import, and not at all under
    ``PYTHONDONTWRITEBYTECODE`` (set on some machines): every timed process would then compile
    evalkit's sources again, about 0.15 s of the FUI run that no user pays.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed in this Python; pip install -e . first")
    package = Path(spec.origin).parent
    compileall.compile_dir(str(package), quiet=1)
    return package


def child_environment() -> dict[str, str]:
    """The environment of every timed process: this one's, with numpy's huge pages off.

    numpy asks the kernel for transparent huge pages for its large arrays
    (``madvise``); where the kernel then compacts memory on the page fault (``defrag`` set
    to ``madvise``, as on the machine of docs/benchmarks.md), a fresh process's first call
    took anywhere from 0.09 to 0.32 s for evalkit's ATT(g,t) at 1M rows and 0.25 to 0.81 s
    for diff-diff's, and 0.11-0.13 s and 0.30-0.38 s without.  Every package, evalkit's
    peers and the pandas read alike, runs with ``NUMPY_MADVISE_HUGEPAGE=0`` unless the
    caller set that variable.
    """
    return {"NUMPY_MADVISE_HUGEPAGE": "0", **os.environ}


def wall_seconds(argv: list[str], repeat: int) -> float:
    """The best wall-clock time of ``repeat`` fresh runs of ``argv`` (which must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=child_environment())
        best = min(best, time.perf_counter() - start)
    return best


def national_panel(directory: Path, scale: float) -> tuple[Path, Path]:
    """The synthetic panel and its unemployment table as Parquet (written once per scale)."""
    panel = directory / f"fui_panel_{scale:g}.parquet"
    unemployment = directory / f"fui_panel_{scale:g}_unemployment.parquet"
    if not panel.exists():
        directory.mkdir(parents=True, exist_ok=True)
        evalkit = str(Path(sys.executable).with_name("evalkit"))
        subprocess.run([evalkit, "simulate", "--out", str(panel), "--scale", str(scale), "--quiet"], check=True)
    return panel, unemployment


def measure(scale: float, repeat: int, data_dir: Path) -> list[Target]:
    """Measure the start-up and FUI targets."""
    python, evalkit = sys.executable, str(Path(sys.executable).with_name("evalkit"))
    pandas_import = wall_seconds([python, "-c", "import pandas"], repeat)
    evalkit_import = wall_seconds([python, "-c", "import evalkit"], repeat)
    panel, unemployment = national_panel(data_dir, scale)
    read = wall_seconds([python, "-c", f"import pandas; pandas.read_parquet({str(panel)!r})"], repeat)
    fui = [evalkit, "fui", "--data", str(panel), "--unemployment", str(unemployment), "--quiet"]
    published = wall_seconds([*fui, "--no-few-clusters", "--no-event-study"], repeat)
    whole = wall_seconds(fui, 1)
    return [
        Target("import evalkit", evalkit_import, "import pandas", pandas_import, LIMITS["import"]),
        Target("evalkit fui: the published analysis", published, "reading the panel with pandas", read,
               LIMITS["published"]),
        Target("evalkit fui: the whole default run", whole, "reading the panel with pandas", read, LIMITS["whole"]),
    ]


def main(argv: list[str] | None = None) -> list[Target]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the synthetic panel (1 = national)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per measurement (the best counts)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/evalkit_benchmarks"))
    args = parser.parse_args(argv)
    compile_evalkit()
    targets = measure(args.scale, args.repeat, args.data_dir)
    for t in targets:
        print(f"{t.name:<40} {t.seconds:7.2f} s  vs {t.baseline:<32} {t.baseline_seconds:7.2f} s  "
              f"ratio {t.ratio:5.2f} (limit {t.limit:g}): {'met' if t.met else 'NOT met'}")
    return targets


if __name__ == "__main__":
    main()
