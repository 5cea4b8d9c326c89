"""``evalkit power``: its options and its run, once the command line has read the inputs.

The command line (:mod:`evalkit.cli`, above every layer) reads the panel, the outcome
frame or simulates the synthetic one, and the rollout schedule; this module checks the
power options, runs :func:`evalkit.planning.run.power` and writes the table, plot and JSON.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError

__all__ = ["add_options", "run"]

DEFAULT_STATES = ("employed",)
DEFAULT_HORIZONS = (6,)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {text!r}")
    return value


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _seed(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _effects(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas such as 0,0.01,0.02, got {text!r}") from None
    if not values or any(abs(v) > 1e6 or v != v for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers separated by commas, got {text!r}")
    return values


def _candidate(text: str) -> tuple[str, str]:
    """``[NAME=]WAVES[;post=..;pre=..]`` -> (name, schedule text), checked now."""
    from evalkit.planning.design import PlannedRollout

    name, sep, rest = text.partition("=")
    if sep and ":" not in name and name.strip() not in ("pre", "post"):
        name, spec = name.strip(), rest
    else:
        name, spec = "", text
    try:
        plan = PlannedRollout.parse(spec, name=name)
    except EvalkitError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return plan.name, spec


def add_options(p: argparse.ArgumentParser) -> None:
    """Every option of ``evalkit power`` but the inputs' (``--data``, ``--roles``, CSV options)."""
    g = p.add_argument_group("outcome frame (instead of a panel: any unit x period outcome table)")
    g.add_argument("--frame", metavar="PATH", help="CSV or Parquet table with one row per person or cell; "
                   "use with --unit, --period, --outcome (and --count for cells)")
    g.add_argument("--unit", default="county", metavar="COL", help="unit of assignment column (default county)")
    g.add_argument("--period", default="entry_month", metavar="COL",
                   help="month of each row, e.g. 2016-03 (default entry_month)")
    g.add_argument("--count", metavar="COL", help="persons per row when rows are cells (their mean is the outcome)")
    d = p.add_argument_group("population and outcomes (panel)")
    d.add_argument("--outcome", action="append", metavar="NAME",
                   help="a monthly state (employed, in_education, at_nav, none), or an outcome column of "
                   "--frame; repeat for several (default employed)")
    d.add_argument("--covariate", action="append", metavar="NAME",
                   help="a control of the planned 2x2 (wild bootstrap only): a column of --frame (e.g. the county "
                   "unemployment rate of each month) or of the panel's entries (age, female, education_level, "
                   "nav_category); text columns enter as level indicators; repeat for several")
    d.add_argument("--horizon", action="append", type=_positive, metavar="K",
                   help="months after the entry month; repeat for several (default 6)")
    d.add_argument("--washout", type=int, default=12, metavar="N",
                   help="months away from NAV before an entry counts (default 12)")
    d.add_argument("--max-age", type=int, default=29, metavar="N", help="oldest age at entry (default 29)")
    d.add_argument("--before", metavar="MONTH",
                   help="first month of the reform: only outcomes observed earlier are history (default: the "
                   "schedule's first start with --data or --frame; none on the synthetic panel, simulated "
                   "without effects)")
    s = p.add_argument_group("planned schedules")
    s.add_argument("--schedule", metavar="PATH",
                   help="rollout schedule CSV (county, region, start_month) whose waves are the plan "
                   "called 'planned' (default: the 2017 FUI schedule, 6 counties in January, 12 in July)")
    s.add_argument("--post-window", metavar="FIRST..LAST",
                   help="post entry window of the --schedule plan (default: 2 months after the first start "
                   "to the month before the next; pre window 12 months earlier)")
    s.add_argument("--pre-window", metavar="FIRST..LAST", help="pre entry window of the --schedule plan")
    s.add_argument("--event-span", metavar="FIRST..LAST",
                   help="months of the event study of the --schedule plan (default: from the pre window's first "
                   "month to the month before the last wave, or on after it when some units have no wave)")
    s.add_argument("--strata", metavar="COLUMN",
                   help="fill the planned waves within strata: a column of --frame constant within units, or "
                   "'region' (the --schedule table's region column; the bundled schedule's regions by default); "
                   "wave sizes are spread over the strata in proportion to their sizes, placebo assignments are "
                   "enumerated within strata when there are at most --assignments of them and drawn otherwise, "
                   "and randomization inference permutes within strata")
    s.add_argument("--candidate", action="append", type=_candidate, metavar="[NAME=]WAVES",
                   help="another schedule to compare, e.g. 'nine=2017-01:9,2017-07:rest' or "
                   "'2017-01:6,2017-07:rest;post=2017-02..2017-06;pre=2016-02..2016-06' (event study: "
                   "'stag=2017-01:6,2017-04:6,2017-07:rest;span=2016-03..2017-06'); repeat for several")
    i = p.add_argument_group("planned estimator, inference and power")
    i.add_argument("--estimator", choices=("2x2", "event_study"), default="2x2",
                   help="the planned estimator: the 2x2 DiD of the pre and post entry windows (default), or the "
                   "event study (two-stage DiD of every month of the event span, units treated from their wave's "
                   "start; power per event time and for their average ATT; wild bootstrap only)")
    i.add_argument("--inference", action="append", choices=("wild", "randomization"),
                   help="wild cluster bootstrap by unit (restricted, default) or randomization inference over "
                   "units; repeat for both")
    i.add_argument("--effects", type=_effects, metavar="LIST",
                   help="true effects of the power curves, e.g. 0,0.01,0.02,0.03 (default: 16 values up to 1.5 "
                   "times the analytic MDE; for the event study, which has no analytic MDE, up to 4.2 placebo SDs)")
    i.add_argument("--alpha", type=_fraction, default=0.05, metavar="A", help="level of the planned test (0.05)")
    i.add_argument("--target", type=_fraction, default=0.8, metavar="P", help="power of the MDE (0.8)")
    i.add_argument("--assignments", type=_positive, default=10, metavar="N",
                   help="unit assignments per placebo shift: all of them when there are at most N (e.g. within "
                   "small strata), else N drawn (default 10)")
    i.add_argument("--shift-step", type=_positive, default=1, metavar="M",
                   help="months between placebo shifts (default 1)")
    i.add_argument("--n-boot", type=_positive, default=999, metavar="N", help="wild bootstrap draws (default 999)")
    i.add_argument("--weight-type", choices=("webb", "rademacher", "mammen"), default="webb",
                   help="wild bootstrap weights (default webb)")
    i.add_argument("--rng", type=_seed, default=None, metavar="N",
                   help="seed of the assignments and bootstrap draws (default: evalkit's fixed seed)")
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="DIR", help="write power.md, power.csv (curves), mde.csv, replications.csv "
                   "(every placebo's estimate and interval), power.png and power.json")
    o.add_argument("--json", action="store_true", help="print the JSON document instead of the tables")


def run(
    args: argparse.Namespace,
    data: Any,
    schedule: Any,
    *,
    synthetic: bool,
    provenance: Mapping[str, Any],
) -> int:
    """Run the power analysis of the parsed ``args`` on ``data`` and print or write its results.

    ``data`` is a StatusPanel or an outcome frame; ``schedule`` the
    :class:`~evalkit.cohorts.RolloutSchedule` of the main plan.
    """
    from evalkit.panel import NAV_CATEGORIES
    from evalkit.panel.months import month_label
    from evalkit.planning.design import PlannedRollout
    from evalkit.planning.run import power
    from evalkit.report.json_contract import dumps

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise EvalkitError(f"--out {args.out} is a file; expected a directory")
    if out is not None and not out.parent.exists():
        raise EvalkitError(f"--out {args.out}: the parent directory {out.parent} does not exist")
    try:
        main = PlannedRollout.from_schedule(schedule, post=args.post_window, pre=args.pre_window,
                                            span=args.event_span, name="planned")
    except EvalkitError as err:
        raise EvalkitError(f"--schedule/--post-window/--pre-window/--event-span: {err}") from None
    plans: dict[str, Any] = {main.name: main}
    for name, spec in args.candidate or ():
        label = name or spec
        if label in plans:
            raise EvalkitError(f"--candidate {spec!r}: the name {label!r} is taken; give NAME=... ")
        plans[label] = spec
    before = args.before
    if before is None and not synthetic:
        before = month_label(main.waves[0][0])
    strata: Any = None
    if args.strata:
        if args.frame and args.strata in data.columns:
            strata = args.strata
        elif args.strata == "region":
            frame = schedule.frame
            strata = dict(zip(frame["unit"].astype(str), frame["region"].astype(str)))
        else:
            raise EvalkitError(f"--strata {args.strata!r} is not a column of --frame"
                               + ("" if args.frame else " (no --frame given)")
                               + "; use a --frame column or 'region' (the --schedule table's regions)")
    options: dict[str, Any] = dict(
        outcomes=tuple(args.outcome or DEFAULT_STATES),
        inference=tuple(args.inference or ("wild",)),
        effects=args.effects, alpha=args.alpha, target=args.target, n_assignments=args.assignments,
        shift_step=args.shift_step, n_boot=args.n_boot, weight_type=args.weight_type, rng=args.rng,
        before=before, unit=args.unit, estimator=args.estimator, strata=strata,
        covariates=tuple(args.covariate or ()),
    )
    if args.frame:
        options.update(period=args.period, count=args.count)
    else:
        options.update(horizons=tuple(args.horizon or DEFAULT_HORIZONS), washout=args.washout,
                       max_age=args.max_age, categories=NAV_CATEGORIES[:3])
    result = power(data, plans, **options)
    document = result.results_document(provenance)
    if args.json:
        sys.stdout.write(dumps(document))
    else:
        print(result.summary())
        print()
        print(result.to_markdown())
    if out is not None:
        write(result, out, document)
    return 0


def write(result: Any, out: Path, document: Mapping[str, Any]) -> list[Path]:
    """``power.md``, ``power.csv`` (curves), ``mde.csv``, ``replications.csv``, ``power.png`` and ``power.json``."""
    import matplotlib

    matplotlib.use("Agg")
    from evalkit.report.json_contract import dumps

    out.mkdir(exist_ok=True)
    paths = {name: out / name for name in ("power.md", "power.csv", "mde.csv", "replications.csv", "power.png",
                                           "power.json")}
    paths["power.md"].write_text(result.to_markdown(), encoding="utf-8")
    result.power().to_csv(paths["power.csv"], index=False)
    result.mde().to_csv(paths["mde.csv"], index=False)
    result.replications.to_csv(paths["replications.csv"], index=False)
    figure = result.plot()
    figure.savefig(paths["power.png"], dpi=150)
    paths["power.json"].write_text(dumps(document), encoding="utf-8")
    return list(paths.values())
