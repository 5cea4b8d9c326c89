"""CPU seconds of each phase of ``run_fui`` (the whole default run or the published analysis), in one process.

Run: python benchmarks/bench_fui_run.py [--repeat 3] [--published] [--panel P.parquet --unemployment U.parquet]

Wraps the functions ``run_fui`` calls (the entry and outcome passes, the 24 models and
the placebo's, the county-clustered covariance, the few-cluster inference, the event
study and, inside it, each estimator, HonestDiD and the wild bootstrap) and prints the
process CPU seconds of each, the best of ``--repeat`` runs, then those of the result
tables the reports read (``tidy`` of every model, ``effects``, ``comparison``,
``summary``, four times).  CPU seconds change less than wall seconds on a shared machine;
compare two checkouts with ``PYTHONPATH=<checkout>``.  The whole-process targets are
benchmarks/targets.py's.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import pandas as pd

import evalkit.replications.fui.event_study as event_study
import evalkit.replications.fui.inference as inference
import evalkit.replications.fui.placebo as placebo
import evalkit.replications.fui.run as run
from evalkit.panel import read_panel

PHASES = ("fui_entry_pool", "shared_outcome_rows", "prepare_sample", "fit_fui_regressions", "with_covariance",
          "placebo_test")
EVENT_STUDY_PHASES = ("entry_cohorts", "fui_event_study")  # run_fui imports these (and few_cluster_inference) where it runs them
EVENT_STUDY_PARTS = ("imputation_did", "two_stage_did", "att_gt", "honest_did", "wild_effects")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", default="/tmp/evalkit_benchmarks/fui_panel_1.parquet")
    parser.add_argument("--unemployment", default="/tmp/evalkit_benchmarks/fui_panel_1_unemployment.parquet")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--published", action="store_true", help="the published analysis only (no few-cluster "
                        "inference, no event study)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    panel = read_panel(args.panel)
    unemployment = pd.read_parquet(args.unemployment)
    spent: dict[str, float] = {}

    def timed(label: str, fn: Callable) -> Callable:
        def inner(*a, **k):
            start = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - start
        return inner

    for name in PHASES:
        setattr(run, name, timed(name, getattr(run, name)))
    inference.few_cluster_inference = timed("few_cluster_inference", inference.few_cluster_inference)
    for name in EVENT_STUDY_PHASES:
        setattr(event_study, name, timed(name, getattr(event_study, name)))
    placebo.fit_fui_regressions = run.fit_fui_regressions  # the placebo's 8 fits counted with the others
    for name in EVENT_STUDY_PARTS:
        setattr(event_study, name, timed(f"  event study: {name}", getattr(event_study, name)))
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        spent.clear()
        start = time.process_time()
        result = run.run_fui(panel, unemployment, few_clusters=not args.published, event_study=not args.published)
        spent["run_fui"] = time.process_time() - start
        start = time.process_time()
        for _ in range(4):
            for regressions in (result.conventional, result.clustered, result.without_category):
                for key in regressions.models:
                    regressions.tidy(*key)
                regressions.effects()
            result.comparison()
            result.summary()
        spent["tables: 4 x (tidy of 24 models, effects, comparison, summary)"] = time.process_time() - start
        best = dict(spent) if not best else {k: min(v, spent.get(k, v)) for k, v in best.items()}
    for label, seconds in best.items():
        print(f"{seconds:8.3f}  {label}")


if __name__ == "__main__":
    main()
