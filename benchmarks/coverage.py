"""Size and coverage of few-cluster inference in the FUI design, by simulation (not run in CI).

    python benchmarks/coverage.py                       # 1000 replications of the 2x2, 300 of the event study
    python benchmarks/coverage.py --reps 200 --es-reps 100   # a quicker run
    python benchmarks/coverage.py --studies 2x2         # one study only

The design is FUI's: 18 counties, the 6 counties of one region treated, binary person
outcomes whose probability moves with a county effect and a county x period shock (the
source of within-county correlation that clustered inference must handle).  Two studies:

* **2x2**: two entry windows (before and after the reform), ``persons`` entrants per
  county and window; ``did2x2(y, treated, post, cluster="county")``.  Methods: CR1, CR2
  (Bell-McCaffrey df), CR3 (``t(G-1)``), the restricted wild cluster bootstrap (WCR) with
  Rademacher and with Webb weights, and randomization inference over all C(18, 6) = 18,564
  assignments of the treated region's size (``did_randomization_test``).
* **event study**: monthly entry cohorts, ``months`` months, the treated region starting
  in month ``months // 2 + 1``; county x month cell shares of ``es_persons`` entrants;
  ``att_gt(...).aggregate("simple")`` (never-treated controls) with its analytic
  (influence-function, clustered by county) standard error and normal critical values,
  versus the wild cluster bootstrap of the same aggregation (restricted score bootstrap,
  Webb weights).

Each is run with no effect (size: rejection rates at 1, 5 and 10 %) and with an effect
of ``effect`` (coverage of the 95 % interval and power at 5 %).  Every replication has
its own seed (``seed + replication``), results are appended to a cache file (JSON lines,
``--cache``) and a rerun skips the replications it holds, so an interrupted run resumes.
The table, with Monte Carlo standard errors ``sqrt(p (1 - p) / R)``, is printed and
written to ``docs/few_clusters_coverage.md`` with the command that made it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit import att_gt, did2x2, did_randomization_test, wild_cluster_bootstrap  # noqa: E402

LEVELS = (0.01, 0.05, 0.10)


@dataclass(frozen=True)
class Design:
    """The FUI-like design of the simulation (all defaults stated in the docs table)."""

    counties: int = 18
    treated: int = 6
    persons: int = 150  # entrants per county and window (2x2)
    base: float = 0.40  # outcome probability
    county_sd: float = 0.05  # SD of the county effect on the probability
    shock_sd: float = 0.03  # SD of the county x period shock on the probability
    effect: float = 0.05  # true effect in the "effect" scenario
    months: int = 12  # event study: monthly entry cohorts
    es_persons: int = 60  # event study: entrants per county and month
    n_boot: int = 999


def _probabilities(rng: np.random.Generator, d: Design, periods: int, start: int, tau: float) -> np.ndarray:
    """County x period outcome probabilities (counties x periods)."""
    county = rng.normal(0, d.county_sd, size=(d.counties, 1))
    shock = rng.normal(0, d.shock_sd, size=(d.counties, periods))
    treated = (np.arange(d.counties) < d.treated)[:, None] & (np.arange(periods) >= start)[None, :]
    return np.clip(d.base + county + shock + tau * treated, 0.01, 0.99)


def simulate_2x2(rng: np.random.Generator, d: Design, tau: float) -> pd.DataFrame:
    """Person-level binary outcomes in two windows."""
    p = _probabilities(rng, d, 2, 1, tau)
    county = np.repeat(np.arange(d.counties), 2 * d.persons)
    post = np.tile(np.repeat([0, 1], d.persons), d.counties)
    y = (rng.uniform(size=county.size) < p[county, post]).astype(float)
    return pd.DataFrame({"county": county, "post": post, "treated": (county < d.treated).astype(int), "y": y})


def simulate_event_study(rng: np.random.Generator, d: Design, tau: float) -> pd.DataFrame:
    """County x entry-month shares of binary outcomes; the treated region starts mid-way."""
    start = d.months // 2
    p = _probabilities(rng, d, d.months, start, tau)
    share = rng.binomial(d.es_persons, p) / d.es_persons
    county, month = np.meshgrid(np.arange(d.counties), np.arange(d.months), indexing="ij")
    first = np.where(np.arange(d.counties) < d.treated, start + 1, 0)  # months are 1-based
    return pd.DataFrame(
        {"county": county.ravel(), "month": month.ravel() + 1, "first_month": first[county.ravel()], "y": share.ravel()}
    )


def _t_record(estimate: float, se: float, df: float | None, tau: float) -> dict[str, float]:
    dist = stats.norm if df is None else stats.t(df)
    p = float(2 * dist.sf(abs(estimate / se)))
    crit = float(dist.ppf(0.975))
    return {"p": p, "lo": estimate - crit * se, "hi": estimate + crit * se}


def run_2x2(seed: int, d: Design, tau: float) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    df = simulate_2x2(rng, d, tau)
    out: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = did2x2(df, "y", treated="treated", post="post", cluster="county")
        term = base.effect_term
        est = float(base.params[term])
        for name, vcov in (("CR1", "CR1"), ("CR2 (BM df)", "CR2"), ("CR3", "CR3")):
            res = base if vcov == "CR1" else base.vcov(vcov, cluster="county")
            out[name] = _t_record(est, float(res.std_errors[term]), float(res.df_terms[term]), tau)
        for weight_type in ("rademacher", "webb"):
            wb = wild_cluster_bootstrap(base, term, n_boot=d.n_boot, weight_type=weight_type, rng=seed)
            out[f"WCR {weight_type}"] = {"p": wb.p_value, "lo": wb.interval[0], "hi": wb.interval[1]}
        ri = did_randomization_test(df, "y", unit="county", treated="treated", post="post")
        out["randomization C(18,6)"] = {"p": ri.p_value, "lo": ri.interval[0], "hi": ri.interval[1]}
    return out


def run_event_study(seed: int, d: Design, tau: float) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    df = simulate_event_study(rng, d, tau)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = att_gt(df, y="y", time="month", group="first_month", unit="county", est_method="reg")
        agg = res.aggregate("simple")
        term = agg.params.index[0]
        est, se = float(agg.params.iloc[0]), float(agg.std_errors.iloc[0])
        out = {"att_gt simple, analytic SE": _t_record(est, se, None, tau)}
        wb = wild_cluster_bootstrap(agg, term, n_boot=d.n_boot, weight_type="webb", rng=seed)
        out["att_gt simple, WCR webb"] = {"p": wb.p_value, "lo": wb.interval[0], "hi": wb.interval[1]}
    return out


STUDIES = {"2x2": run_2x2, "event study": run_event_study}


def _load(cache: Path) -> dict[tuple[str, str, int], dict]:
    done: dict[tuple[str, str, int], dict] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                done[(rec["study"], rec["scenario"], rec["rep"])] = rec
    return done


def simulate(study: str, reps: int, d: Design, seed: int, cache: Path, done: dict) -> None:
    fn = STUDIES[study]
    for scenario, tau in (("null", 0.0), ("effect", d.effect)):
        todo = [r for r in range(reps) if (study, scenario, r) not in done]
        start = time.time()
        for i, r in enumerate(todo):
            rec = {
                "study": study,
                "scenario": scenario,
                "rep": r,
                "tau": tau,
                "design": asdict(d),
                "methods": fn(seed + r + (0 if scenario == "null" else 1_000_000), d, tau),
            }
            with cache.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            done[(study, scenario, r)] = rec
            if (i + 1) % 25 == 0 or i + 1 == len(todo):
                rate = (i + 1) / (time.time() - start)
                print(f"  {study} / {scenario}: {i + 1}/{len(todo)} new replications ({rate:.2f}/s)", flush=True)


def _rate(hits: np.ndarray) -> str:
    p = float(np.mean(hits))
    return f"{100 * p:.1f} ({100 * math.sqrt(p * (1 - p) / hits.size):.1f})"


def table(done: dict, studies: list[str], reps: dict[str, int]) -> str:
    rows = []
    for study in studies:
        null = [done[(study, "null", r)] for r in range(reps[study]) if (study, "null", r) in done]
        eff = [done[(study, "effect", r)] for r in range(reps[study]) if (study, "effect", r) in done]
        if not null:
            continue
        tau = eff[0]["tau"] if eff else float("nan")
        for method in null[0]["methods"]:
            p = np.array([rec["methods"][method]["p"] for rec in null])
            row = [study, method, str(len(null))] + [_rate(p <= a) for a in LEVELS]
            if eff:
                lo = np.array([rec["methods"][method]["lo"] for rec in eff])
                hi = np.array([rec["methods"][method]["hi"] for rec in eff])
                pe = np.array([rec["methods"][method]["p"] for rec in eff])
                width = np.where(np.isfinite(hi - lo), hi - lo, np.nan)
                row += [str(len(eff)), _rate((lo <= tau) & (tau <= hi)), _rate(pe <= 0.05)]
                row.append(f"{np.nanmedian(width):.4f}" + ("" if np.all(np.isfinite(hi - lo)) else " (some unbounded)"))
            rows.append(row)
    head = [
        "study",
        "method",
        "R (null)",
        "reject 1 %",
        "reject 5 %",
        "reject 10 %",
        "R (effect)",
        "95 % CI coverage",
        "power at 5 %",
        "median CI width",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r + [""] * (len(head) - len(r))) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications of the 2x2 per scenario")
    parser.add_argument("--es-reps", type=int, default=300, help="replications of the event study per scenario")
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/evalkit_coverage_cache.jsonl"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "few_clusters_coverage.md")
    args = parser.parse_args(argv)
    d = Design()
    done = _load(args.cache)
    stale = [k for k, v in done.items() if v["design"] != asdict(d)]
    if stale:
        sys.exit(f"{args.cache} holds {len(stale)} replications of another design; remove it or pass --cache")
    reps = {"2x2": args.reps, "event study": args.es_reps}
    for study in args.studies:
        simulate(study, reps[study], d, args.seed, args.cache, done)
    text = table(done, args.studies, reps)
    print(text)
    command = "python benchmarks/coverage.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.write_text(
        "# Few-cluster inference in the FUI design: size and coverage by simulation\n\n"
        "Made by `benchmarks/coverage.py` (see its docstring and docs/few_clusters.md), command:\n\n"
        f"    {command.strip()}\n\n"
        f"Design: {d.counties} counties, {d.treated} of them (one region) treated; binary outcomes with "
        f"base probability {d.base}, county effect SD {d.county_sd}, county x period shock SD {d.shock_sd}; "
        f"2x2: {d.persons} entrants per county and window; event study: {d.months} monthly cohorts of "
        f"{d.es_persons} entrants per county, the treated region starting in month {d.months // 2 + 1}; "
        f"effect scenario: {d.effect}; {d.n_boot} bootstrap draws; seed {args.seed} + replication.\n\n"
        "Rejection rates (%) of a true null at each level and, with the effect, coverage of the "
        "95 % interval and power at 5 %; Monte Carlo standard errors in parentheses.\n\n" + text + "\n"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
