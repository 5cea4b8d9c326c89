"""Size, coverage and power of Conley-Taber inference for event studies with 1-6 treated groups.

A Monte Carlo of ``event_study`` + ``conley_taber_test`` (Conley & Taber 2011) on panels
of 50 groups x 8 periods: group and period effects, AR(1) cell errors (``rho = 0.5``,
variance 1, so errors are serially correlated within groups, which the method allows),
and a known effect ``0.5 (e + 1)`` at event times ``e >= 0`` (0.5, 1.0, 1.5, ...).  Two
designs: all treated groups start in period 5 ("common"), or alternately in periods 4 and
6 ("staggered").  Per replication, one fit; for each term (a pre-period placebo, two post
event times, the post average ``ATT``) the Conley-Taber p-value of the true value (its
rejection rate is the size, one minus it the coverage of the interval) and of zero (the
power).  Output: the table in docs/conley_taber.md (between the ``bench_conley_taber``
markers).

    python benchmarks/bench_conley_taber.py [--reps 1000] [--write]
"""

from __future__ import annotations

import argparse
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import event_study
from evalkit.inference import conley_taber_p_value, conley_taber_test

ROOT = Path(__file__).resolve().parents[1]
N_GROUPS, N_PERIODS, RHO = 50, 8, 0.5
DESIGNS = {"common": (5,), "staggered": (4, 6)}
TERMS = ("event_time::-2", "event_time::0", "event_time::1", "ATT")
MARK = "<!-- bench_conley_taber -->"


def effect(e: np.ndarray) -> np.ndarray:
    """The true effect at event time ``e``: ``0.5 (e + 1)`` from ``e = 0``, else 0."""
    return np.where(e >= 0, 0.5 * (e + 1), 0.0)


def panel(rng: np.random.Generator, n_treated: int, starts: tuple[int, ...]) -> tuple[pd.DataFrame, dict[str, float]]:
    """One simulated panel and the true value of each term (``ATT``: the mean over the
    post event times that ``event_study`` estimates)."""
    first = np.zeros(N_GROUPS)
    first[:n_treated] = [starts[j % len(starts)] for j in range(n_treated)]
    u = np.empty((N_GROUPS, N_PERIODS))
    u[:, 0] = rng.normal(0, 1, N_GROUPS)
    for t in range(1, N_PERIODS):
        u[:, t] = RHO * u[:, t - 1] + np.sqrt(1 - RHO**2) * rng.normal(0, 1, N_GROUPS)
    g = np.repeat(np.arange(N_GROUPS), N_PERIODS)
    t = np.tile(np.arange(N_PERIODS), N_GROUPS)
    e = np.where(first[g] > 0, t - first[g], -99)
    y = rng.normal(0, 1, N_GROUPS)[g] + rng.normal(0, 1, N_PERIODS)[t] + u.ravel() + effect(e)
    post = sorted({int(x) for x in e[e >= 0]})
    truth = {f"event_time::{k}": float(effect(np.array(k))) for k in (-2, 0, 1)}
    truth["ATT"] = float(np.mean(effect(np.array(post))))
    return pd.DataFrame({"g": g, "t": t, "first": first[g], "y": y}), truth


def replicate(rng: np.random.Generator, n_treated: int, starts: tuple[int, ...], seed: int) -> dict[str, tuple]:
    data, truth = panel(rng, n_treated, starts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = event_study(data, y="y", time="t", group="first", unit="g")
    tests = conley_taber_test(res, list(TERMS), ci=False, n_draws=999, rng=seed)
    out = {}
    for name in TERMS:
        ct = tests[name]
        p_true = conley_taber_p_value(ct.estimate - truth[name], ct.distribution)
        out[name] = (p_true <= 0.05, p_true <= 0.10, conley_taber_p_value(ct.estimate, ct.distribution) <= 0.05)
    return out


def run(reps: int) -> pd.DataFrame:
    rows = []
    for design, starts in DESIGNS.items():
        for n_treated in range(1, 7):
            rng = np.random.default_rng([2011, n_treated, len(starts)])
            hits = {name: np.zeros((reps, 3)) for name in TERMS}
            for r in range(reps):
                for name, flags in replicate(rng, n_treated, starts, r).items():
                    hits[name][r] = flags
            for name in TERMS:
                size5, size10, power = hits[name].mean(axis=0)
                rows.append({"design": design, "treated": n_treated, "term": name,
                             "size 5 %": 100 * size5, "size 10 %": 100 * size10,
                             "coverage 95 %": 100 * (1 - size5),
                             "power 5 %": 100 * power if name != "event_time::-2" else np.nan})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications per design and number of treated")
    parser.add_argument("--write", action="store_true", help="write the table into docs/conley_taber.md")
    args = parser.parse_args()
    start = time.perf_counter()
    table = run(args.reps)
    seconds = time.perf_counter() - start
    se = 100 * np.sqrt(0.05 * 0.95 / args.reps)
    text = (table.to_markdown(index=False, floatfmt=".1f").replace(" nan ", "     ")
            + f"\n\n({args.reps} replications per row; Monte Carlo SE of a 5 % rate {se:.1f} points; "
            f"`python benchmarks/bench_conley_taber.py --reps {args.reps} --write`, {seconds:.0f} s.)")
    print(text)
    if args.write:
        doc = ROOT / "docs" / "conley_taber.md"
        old = doc.read_text()
        new = re.sub(f"{MARK}.*{MARK}", lambda _: f"{MARK}\n{text}\n{MARK}", old, flags=re.S)
        doc.write_text(new)
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
