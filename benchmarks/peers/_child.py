"""Shared by every benchmark child process: read the panel, time the estimation, report.

A child is run as ``python benchmarks/peers/<script>.py PANEL.parquet``; it prints one JSON
line ``{"seconds": ..., "peak_rss_mb": ..., "estimates": {...}}`` where ``seconds`` is the
wall time of the estimation alone (not the Parquet read) and ``peak_rss_mb`` the peak
resident memory of the whole process (:func:`peak_rss_mb`).  Estimate keys are
``"gt:g,t"`` for ATT(g,t), ``"e:k"`` for event time ``k`` and ``"overall"`` (:func:`estimates`).

Estimands that differ only in an option (``cs`` and ``cs_x``: the covariates; ``imputation``
and ``twostage``: the estimator) share one ``estimate`` per package: the second script
imports it from the first and passes the option.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

#: The discrete covariates of the panel (``benchmarks/panel.py``): dummies of a 9-level category.
COVARIATES = [f"x{k}" for k in range(1, 9)]


def run(estimate: Callable[[pd.DataFrame], Mapping[str, float]]) -> None:
    """Read the panel named on the command line, time ``estimate`` on it, print the JSON."""
    warnings.simplefilter("ignore")
    data = pd.read_parquet(sys.argv[1])
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # peers print summaries
        estimates = estimate(data)
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb,
                      "estimates": {k: float(v) for k, v in estimates.items()}}))


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB: Linux's ``VmHWM`` of its own address space.

    ``getrusage``'s ``ru_maxrss`` is not this program's: Linux carries the parent's peak
    into it across fork and exec, so after the benchmark's parent had written the 4M-row
    panel every child reported at least the parent's 361 MB.  Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def event_time(data: pd.DataFrame, never: int = -1) -> pd.Series:
    """``time - first_treated`` for treated units, ``never`` for never-treated ones."""
    g = data["first_treated"]
    return (data["time"] - g).where(g > 0, never)


def estimates(
    gt: Iterable[tuple[float, float, float]] = (),
    events: Iterable[tuple[float, float]] = (),
    overall: float | None = None,
) -> dict[str, float]:
    """The estimate keys of the JSON line: ``(g, t, ATT)`` cells, ``(e, effect)`` event times
    (a missing event time, ``NaN`` or ``pd.NA``, is left out) and the overall effect."""
    out = {f"gt:{float(g):g},{float(t):g}": float(v) for g, t, v in gt}
    out.update({f"e:{float(e):g}": float(v) for e, v in events if not pd.isna(e)})
    if overall is not None:
        out["overall"] = float(overall)
    return out
