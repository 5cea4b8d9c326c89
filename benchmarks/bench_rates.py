"""Time transition rates with Wilson intervals on one million entries.

Run: python benchmarks/bench_rates.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from evalkit.outcomes import OutcomeReport, Outcomes, transition_rates


def main() -> None:
    rng = np.random.default_rng(11)
    n = 1_000_000
    frame = pd.DataFrame(
        {"region": rng.choice(["south_west", "rest"], n), "window": rng.choice(["t1", "t2"], n)}
    )
    for outcome in ("employed", "in_education"):
        for h in (1, 3, 6, 9):
            y = rng.integers(0, 2, n).astype(float)
            y[rng.random(n) < 0.1] = np.nan
            frame[f"{outcome}_{h}"] = y
    for attempt in ("first call", "second call"):
        start = time.perf_counter()
        outcomes = Outcomes(frame, OutcomeReport(pd.DataFrame()), horizons=(1, 3, 6, 9),
                            states=("employed", "in_education"))
        out = transition_rates(outcomes, by=["region", "window"]).tidy()
        print(f"transition_rates, {n:,} entries x 8 outcomes, {attempt}: {time.perf_counter() - start:.3f} s")
    print(f"{len(out)} rows")


if __name__ == "__main__":
    main()
