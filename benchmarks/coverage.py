"""Size and coverage of few-cluster inference in the FUI design, by simulation (not run in CI).

    python benchmarks/coverage.py --reps 1000 --es-reps 1000      # every study, both county sizes
    python benchmarks/coverage.py --reps 200 --es-reps 100        # a quicker run
    python benchmarks/coverage.py --studies 2x2 --sizes unequal   # one study, one size

The design is FUI's: 18 counties, the 6 counties of one region treated, binary person
outcomes whose probability moves with a county effect and a county x period shock (the
source of within-county correlation that clustered inference must handle).  County sizes
(``--sizes``) are equal, or unequal: the same total number of entrants shared out as the
counties' 2017 populations (:data:`POPULATION_2017`; Oslo about 9 times Finnmark), the
six treated counties being those of the south-west.  Studies:

* **2x2**: two entry windows (before and after the reform), ``persons`` entrants per
  county and window; ``did2x2(y, treated, post, cluster="county")``.  Methods: CR1, CR2
  (Bell-McCaffrey df), CR3 (``t(G-1)``), the restricted wild cluster bootstrap (WCR) with
  Rademacher and with Webb weights, and randomization inference over all C(18, 6) = 18,564
  assignments of the treated region's size (``did_randomization_test``).
* **event study**: monthly entry cohorts, ``months`` months, the treated region starting
  in month ``months // 2 + 1``; county x month cell shares of ``es_persons`` entrants
  (mean), weighted by their entrants.  The overall ATT of ``att_gt(...).aggregate("simple")``
  (never-treated controls), ``imputation_did``, ``two_stage_did`` and ``sun_abraham``, each
  with its own clustered (CR1-type) standard error and with the restricted wild cluster
  bootstrap (WCR, Webb weights); for ``imputation_did`` also the unrestricted one (WCU).
  With one adoption date and never-treated controls imputation and two-stage coincide.
* **staggered event study**: the same with half the treated counties starting in month
  ``wave_1`` and half in month ``wave_2``.

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

from evalkit import (  # noqa: E402
    att_gt,
    did2x2,
    did_randomization_test,
    imputation_did,
    sun_abraham,
    two_stage_did,
    wild_cluster_bootstrap,
)

LEVELS = (0.01, 0.05, 0.10)


#: Approximate populations (thousands) of the 18 counties on 1 January 2017 (Statistics
#: Norway, rounded; Trøndelag as the merged county), in the order of
#: evalkit/data/rollout_norway_2017.csv: the six south-west counties first (Aust-Agder,
#: Vest-Agder, Rogaland, Hordaland, Sogn og Fjordane, Møre og Romsdal), then Østfold,
#: Akershus, Oslo, Hedmark, Oppland, Buskerud, Vestfold, Telemark, Trøndelag, Nordland,
#: Troms, Finnmark.  Oslo has about 9 times Finnmark's population.
POPULATION_2017 = (117, 184, 472, 520, 110, 266, 293, 604, 667, 196, 189, 280, 247, 173, 455, 243, 166, 76)

SIZES = ("equal", "unequal")


@dataclass(frozen=True)
class Design:
    """The FUI-like design of the simulation (all defaults stated in the docs table)."""

    counties: int = 18
    treated: int = 6
    persons: int = 150  # mean entrants per county and window (2x2)
    base: float = 0.40  # outcome probability
    county_sd: float = 0.05  # SD of the county effect on the probability
    shock_sd: float = 0.03  # SD of the county x period shock on the probability
    effect: float = 0.05  # true effect in the "effect" scenario
    months: int = 12  # event study: monthly entry cohorts
    es_persons: int = 60  # event study: mean entrants per county and month
    wave_1: int = 5  # staggered event study: first month of the first half of the treated counties
    wave_2: int = 9  # ... and of the second half
    n_boot: int = 999


def county_sizes(d: Design, mean: int, sizes: str) -> np.ndarray:
    """Entrants per county: ``mean`` each, or shares of the 2017 populations with the same total."""
    if sizes == "equal":
        return np.full(d.counties, mean)
    if d.counties != len(POPULATION_2017):
        raise ValueError(f"unequal sizes need {len(POPULATION_2017)} counties, the design has {d.counties}")
    pop = np.asarray(POPULATION_2017, dtype=float)
    return np.maximum(np.rint(mean * d.counties * pop / pop.sum()), 1).astype(int)


def _probabilities(rng: np.random.Generator, d: Design, first: np.ndarray, periods: int, tau: float) -> np.ndarray:
    """County x period outcome probabilities (counties x periods); ``first``: 0-based first treated period."""
    county = rng.normal(0, d.county_sd, size=(d.counties, 1))
    shock = rng.normal(0, d.shock_sd, size=(d.counties, periods))
    treated = (first[:, None] >= 0) & (np.arange(periods)[None, :] >= first[:, None])
    return np.clip(d.base + county + shock + tau * treated, 0.01, 0.99)


def simulate_2x2(rng: np.random.Generator, d: Design, tau: float, sizes: str = "equal") -> pd.DataFrame:
    """Person-level binary outcomes in two windows, ``county_sizes`` entrants per county and window."""
    first = np.where(np.arange(d.counties) < d.treated, 1, -1)
    p = _probabilities(rng, d, first, 2, tau)
    n = county_sizes(d, d.persons, sizes)
    county = np.repeat(np.arange(d.counties), 2 * n)
    post = np.concatenate([np.repeat([0, 1], k) for k in n])
    y = (rng.uniform(size=county.size) < p[county, post]).astype(float)
    return pd.DataFrame({"county": county, "post": post, "treated": (county < d.treated).astype(int), "y": y})


def event_study_first(d: Design, staggered: bool) -> np.ndarray:
    """0-based first treated month per county (-1: never): month ``months // 2`` or two waves."""
    first = np.full(d.counties, -1)
    if staggered:
        half = d.treated // 2
        first[:half] = d.wave_1 - 1
        first[half : d.treated] = d.wave_2 - 1
    else:
        first[: d.treated] = d.months // 2
    return first


def simulate_event_study(
    rng: np.random.Generator, d: Design, tau: float, sizes: str = "equal", staggered: bool = False
) -> pd.DataFrame:
    """County x entry-month shares of binary outcomes and their entrant counts ``n``."""
    first = event_study_first(d, staggered)
    p = _probabilities(rng, d, first, d.months, tau)
    n = county_sizes(d, d.es_persons, sizes)[:, None]
    share = rng.binomial(np.broadcast_to(n, p.shape), p) / n
    county, month = np.meshgrid(np.arange(d.counties), np.arange(d.months), indexing="ij")
    first_month = np.where(first >= 0, first + 1, 0)  # months are 1-based, 0 = never treated
    return pd.DataFrame(
        {
            "county": county.ravel(),
            "month": month.ravel() + 1,
            "first_month": first_month[county.ravel()],
            "y": share.ravel(),
            "n": np.broadcast_to(n, p.shape).ravel().astype(float),
        }
    )


def _t_record(estimate: float, se: float, df: float | None) -> dict[str, float]:
    dist = stats.norm if df is None else stats.t(df)
    p = float(2 * dist.sf(abs(estimate / se)))
    crit = float(dist.ppf(0.975))
    return {"p": p, "lo": estimate - crit * se, "hi": estimate + crit * se}


def _record(test) -> dict[str, float]:
    return {"p": float(test.p_value), "lo": float(test.interval[0]), "hi": float(test.interval[1])}


def run_2x2(seed: int, d: Design, tau: float, sizes: str) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    df = simulate_2x2(rng, d, tau, sizes)
    out: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = did2x2(df, "y", treated="treated", post="post", cluster="county")
        term = base.effect_term
        est = float(base.params[term])
        for name, vcov in (("CR1", "CR1"), ("CR2 (BM df)", "CR2"), ("CR3", "CR3")):
            res = base if vcov == "CR1" else base.vcov(vcov, cluster="county")
            out[name] = _t_record(est, float(res.std_errors[term]), float(res.df_terms[term]))
        for weight_type in ("rademacher", "webb"):
            out[f"WCR {weight_type}"] = _record(
                wild_cluster_bootstrap(base, term, n_boot=d.n_boot, weight_type=weight_type, rng=seed)
            )
        out["randomization C(18,6)"] = _record(
            did_randomization_test(df, "y", unit="county", treated="treated", post="post")
        )
    return out


def _event_study_methods(df: pd.DataFrame, seed: int, d: Design) -> dict[str, dict[str, float]]:
    """Each estimator's overall ATT: its own clustered SE and the WCR (Webb weights)."""
    cols = dict(y="y", time="month", group="first_month", unit="county", weights="n")
    out: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agg = att_gt(df, **cols, est_method="reg").aggregate("simple")
        term = agg.params.index[0]
        out["att_gt simple, analytic SE"] = _t_record(float(agg.params[term]), float(agg.std_errors[term]), None)
        out["att_gt simple, WCR webb"] = _record(
            wild_cluster_bootstrap(agg, term, n_boot=d.n_boot, weight_type="webb", rng=seed)
        )
        fits = {
            "imputation_did": imputation_did(df, **cols, cluster="county"),
            "two_stage_did": two_stage_did(df, **cols, cluster="county"),
            "sun_abraham": sun_abraham(df, **cols, cluster="county"),
        }
        for name, res in fits.items():
            ci = res.conf_int().loc["ATT"]
            out[f"{name} ATT, CR1"] = {"p": float(res.pvalues["ATT"]), "lo": float(ci["lower"]), "hi": float(ci["upper"])}
            out[f"{name} ATT, WCR webb"] = _record(
                wild_cluster_bootstrap(res, "ATT", n_boot=d.n_boot, weight_type="webb", rng=seed)
            )
        out["imputation_did ATT, WCU webb"] = _record(
            wild_cluster_bootstrap(
                fits["imputation_did"], "ATT", n_boot=d.n_boot, weight_type="webb", impose_null=False, rng=seed
            )
        )
    return out


def run_event_study(seed: int, d: Design, tau: float, sizes: str) -> dict[str, dict[str, float]]:
    return _event_study_methods(simulate_event_study(np.random.default_rng(seed), d, tau, sizes), seed, d)


def run_staggered(seed: int, d: Design, tau: float, sizes: str) -> dict[str, dict[str, float]]:
    df = simulate_event_study(np.random.default_rng(seed), d, tau, sizes, staggered=True)
    return _event_study_methods(df, seed, d)


STUDIES = {
    "2x2": run_2x2,
    "event study": run_event_study,
    "staggered event study": run_staggered,
}


Key = tuple[str, str, str, int]  # study, county sizes, scenario, replication


def _load(cache: Path) -> dict[Key, dict]:
    done: dict[Key, dict] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                done[(rec["study"], rec["sizes"], rec["scenario"], rec["rep"])] = rec
    return done


def simulate(study: str, sizes: str, reps: int, d: Design, seed: int, cache: Path, done: dict) -> None:
    fn = STUDIES[study]
    for scenario, tau in (("null", 0.0), ("effect", d.effect)):
        todo = [r for r in range(reps) if (study, sizes, scenario, r) not in done]
        start = time.time()
        for i, r in enumerate(todo):
            rec = {
                "study": study,
                "sizes": sizes,
                "scenario": scenario,
                "rep": r,
                "tau": tau,
                "design": asdict(d),
                "methods": fn(seed + r + (0 if scenario == "null" else 1_000_000), d, tau, sizes),
            }
            with cache.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            done[(study, sizes, scenario, r)] = rec
            if (i + 1) % 100 == 0 or i + 1 == len(todo):
                rate = (i + 1) / (time.time() - start)
                print(f"  {study} ({sizes}) / {scenario}: {i + 1}/{len(todo)} new replications ({rate:.2f}/s)", flush=True)


def _rate(hits: np.ndarray) -> str:
    p = float(np.mean(hits))
    return f"{100 * p:.1f} ({100 * math.sqrt(p * (1 - p) / hits.size):.1f})"


def table(done: dict, studies: list[str], sizes: list[str], reps: dict[str, int]) -> str:
    rows = []
    for study in studies:
        for size in sizes:
            rows += _rows(done, study, size, reps[study])
    head = [
        "study",
        "county sizes",
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


def _rows(done: dict, study: str, sizes: str, reps: int) -> list[list[str]]:
    rows = []
    null = [done[k] for r in range(reps) if (k := (study, sizes, "null", r)) in done]
    eff = [done[k] for r in range(reps) if (k := (study, sizes, "effect", r)) in done]
    if null:
        tau = eff[0]["tau"] if eff else float("nan")
        for method in null[0]["methods"]:
            p = np.array([rec["methods"][method]["p"] for rec in null])
            row = [study, sizes, method, str(len(null))] + [_rate(p <= a) for a in LEVELS]
            if eff:
                lo = np.array([rec["methods"][method]["lo"] for rec in eff])
                hi = np.array([rec["methods"][method]["hi"] for rec in eff])
                pe = np.array([rec["methods"][method]["p"] for rec in eff])
                width = np.where(np.isfinite(hi - lo), hi - lo, np.nan)
                row += [str(len(eff)), _rate((lo <= tau) & (tau <= hi)), _rate(pe <= 0.05)]
                row.append(f"{np.nanmedian(width):.4f}" + ("" if np.all(np.isfinite(hi - lo)) else " (some unbounded)"))
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications of the 2x2 per scenario")
    parser.add_argument("--es-reps", type=int, default=300, help="replications of the event studies per scenario")
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=SIZES, help="county sizes")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/evalkit_coverage_cache.jsonl"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "few_clusters_coverage.md")
    args = parser.parse_args(argv)
    d = Design()
    done = _load(args.cache)
    stale = [k for k, v in done.items() if v["design"] != asdict(d)]
    if stale:
        sys.exit(f"{args.cache} holds {len(stale)} replications of another design; remove it or pass --cache")
    reps = {
        "2x2": args.reps,
        "event study": args.es_reps,
        "staggered event study": args.es_reps,
    }
    for study in args.studies:
        for sizes in args.sizes:
            simulate(study, sizes, reps[study], d, args.seed, args.cache, done)
    text = table(done, args.studies, args.sizes, reps)
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
        f"staggered event study: half the treated counties starting in month {d.wave_1}, half in month "
        f"{d.wave_2}; event-study cells weighted by their entrants. County sizes: equal, or unequal "
        f"(the same total, shared out as the 2017 county populations {POPULATION_2017} thousand, "
        f"the six treated first: {county_sizes(d, d.persons, 'unequal').min()} to "
        f"{county_sizes(d, d.persons, 'unequal').max()} entrants per county and window in the 2x2). "
        f"Effect scenario: {d.effect}; {d.n_boot} bootstrap draws; seed {args.seed} + replication.\n\n"
        "Rejection rates (%) of a true null at each level and, with the effect, coverage of the "
        "95 % interval and power at 5 %; Monte Carlo standard errors in parentheses.\n\n" + text + "\n"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
