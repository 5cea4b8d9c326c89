"""The evalkit command line.

evalkit run runs a study file (an evaluation described as data, :mod:`evalkit.study`) or
a bundled study; evalkit init-study writes a commented study file; evalkit fui runs the
bundled FUI study (chapter 8) with its settings as options; evalkit simulate writes a
synthetic panel with chosen true effects; evalkit validate checks a panel and prints its
report; evalkit check checks a results document against the expectations of a CI suite
(exit 0 when they hold, 1 when not); evalkit power computes the power and minimum
detectable effect of planned rollouts (:mod:`evalkit.planning.cli`).

Every option is checked before any work starts.  A user error (a bad option, a missing or
malformed file, data that break a rule) ends with ``evalkit: error: ...`` on stderr and
exit status 2, without a Python traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import codecs
import json
import contextlib
import gc
import math
import sys
import traceback
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.progress import silenced, stage
from evalkit.study.entry_cohort import MIN_SCALE
from evalkit.study.inputs import PARQUET, input_file, load_panel, naming_the_file, read_roles
from evalkit.report.disclosure import DEFAULT_MIN_CELL
from evalkit.report.text import paragraph

EFFECT_OPTIONS = ("employment", "education")
DESCRIPTION = (
    "Quasi-experimental evaluation of regional rollouts. 'evalkit run STUDY.toml' runs an "
    "evaluation described in a study file ('evalkit init-study' writes one); 'evalkit fui' runs the FUI "
    "evaluation (chapter 8) on the bundled synthetic panel or on your extract; 'evalkit "
    "simulate' writes a synthetic panel with chosen true effects; 'evalkit validate' checks "
    "a panel and prints its report; 'evalkit check' checks a results.json against expectations; "
    "'evalkit power' gives the power and minimum detectable effect of a planned rollout."
)


class UsageError(EvalkitError):
    """An option of the command line is invalid (the message names it)."""


# --- option types: each names the option in its message (argparse adds "argument --x") ---


def parse_effect(text: str) -> float | dict[int, float]:
    """``0.05`` (every horizon) or ``1:0.02,3:0.05,6:0.05,9:0.01`` (per horizon).

    Effects are changes of a probability (between -1 and 1) at the simulator's horizons;
    read as the study setting ``data.synthetic.effects.<outcome>`` reads them.
    """
    from evalkit.replications.fui.synthetic.published import HORIZONS
    from evalkit.study.entry_cohort import EFFECT

    expected = (
        f"give a number between -1 and 1 (0.05) or horizon:value pairs with distinct horizons "
        f"among {', '.join(map(str, HORIZONS))} (1:0.02,3:0.05)"
    )
    try:
        value = EFFECT.check(EFFECT.from_text(text, "effect"), "effect")
    except EvalkitError:
        raise argparse.ArgumentTypeError(f"cannot read effect {text!r}: {expected}") from None
    if isinstance(value, dict) and not set(value) <= set(HORIZONS):
        raise argparse.ArgumentTypeError(f"cannot read effect {text!r}: {expected}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 4294967295, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 4294967295, got {text!r}")
    return value


def scale(text: str) -> float:
    """A finite size factor of the synthetic panel, at least :data:`MIN_SCALE`."""
    expected = f"expected a number of at least {MIN_SCALE:g} such as 0.1 or 1"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None
    if not (math.isfinite(value) and value >= MIN_SCALE):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return value


def county_icc(text: str) -> float:
    """The intra-county correlation of the synthetic panel's outcomes: a number in [0, 0.2]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0.0 <= value <= 0.2):
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 0.2 such as 0.005 (0: no county shocks), got {text!r}")
    return value


def encoding(text: str) -> str:
    """A text encoding Python knows (utf-8, cp1252, latin-1, ...)."""
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r}; expected e.g. utf-8, utf-8-sig, cp1252 or latin-1"
        ) from None


def separator(text: str) -> str:
    """One column separator character; ``tab`` or ``\\t`` for a tab."""
    sep = "\t" if text in ("tab", "\\t") else text
    if len(sep) != 1 or sep in "\"'\r\n" or sep.isalnum():
        raise argparse.ArgumentTypeError(f"expected one separator character such as ';' ',' '|' or 'tab', got {text!r}")
    return sep


# --- checks of paths, run before any work -------------------------------------------------


def output_dir(path: str, option: str) -> Path:
    """A directory to write into: existing, or missing with an existing parent directory."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {path} is an existing file; expected a directory for the reports")
    if not p.exists() and not p.parent.is_dir():
        raise UsageError(f"{option} {path}: the parent directory {p.parent} does not exist")
    return p


def output_file(path: str, option: str) -> Path:
    """A .parquet or .csv file to write, in an existing directory."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {path} is a directory; expected a file name ending in .parquet or .csv")
    if p.suffix.lower() not in (*PARQUET, ".csv"):
        raise UsageError(f"{option} {path}: expected a file name ending in .parquet or .csv")
    if not p.parent.is_dir():
        raise UsageError(f"{option} {path}: the directory {p.parent} does not exist")
    return p


def csv_options(args: argparse.Namespace) -> dict[str, str]:
    """``encoding``, ``sep`` and ``decimal`` as given (the readers detect the rest)."""
    given = {"encoding": args.encoding, "sep": args.sep, "decimal": args.decimal}
    options = {k: v for k, v in given.items() if v is not None}
    if options.get("sep") is not None and options.get("sep") == options.get("decimal"):
        raise UsageError(f"--sep and --decimal are both {options['sep']!r}; a decimal mark cannot separate columns")
    return options


def check_csv_options_apply(args: argparse.Namespace, *paths: str | None) -> None:
    """``--encoding``/``--sep``/``--decimal`` only make sense when a text file is read."""
    if csv_options(args) and not any(p and not p.lower().endswith(PARQUET) for p in paths):
        given = ", ".join(f"--{k}" for k in csv_options(args))
        raise UsageError(f"{given} apply to CSV inputs (--data, --unemployment, --schedule), but no CSV file is read")


# --- commands ----------------------------------------------------------------------------


def _effects(args: argparse.Namespace) -> dict[str, float | dict[int, float]] | None:
    given = {
        option: getattr(args, f"effect_{option}")
        for option in EFFECT_OPTIONS
        if getattr(args, f"effect_{option}") is not None
    }
    return given or None


def _simulated(args: argparse.Namespace):
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    stage(f"simulating the synthetic panel (scale {args.scale:g}, seed {args.seed})")
    icc = {} if args.county_icc is None else {"county_icc": args.county_icc}
    return simulate_fui_panel(scale=args.scale, seed=args.seed, effects=_effects(args), **icc)


#: Options of ``evalkit fui`` -> the setting of the bundled ``fui`` study they override.
FUI_OPTIONS: dict[str, str] = {
    "data": "data.panel",
    "roles": "data.roles",
    "unemployment": "data.unemployment",
    "schedule": "data.schedule",
    "encoding": "data.encoding",
    "sep": "data.sep",
    "decimal": "data.decimal",
    "scale": "data.synthetic.scale",
    "seed": "data.synthetic.seed",
    "county_icc": "data.synthetic.county_icc",
    "n_boot": "inference.n_boot",
}


def fui_overrides(args: argparse.Namespace) -> tuple[dict[str, object], dict[str, str]]:
    """The settings of the ``fui`` study that ``evalkit fui``'s options change, and their names."""
    values: dict[str, object] = {}
    origins = {key: f"--{option.replace('_', '-')}" for option, key in FUI_OPTIONS.items()}
    for option, key in FUI_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            values[key] = value
    for outcome in EFFECT_OPTIONS:
        value = getattr(args, f"effect_{outcome}")
        if value is not None:
            key = f"data.synthetic.effects.{outcome}"
            values[key], origins[key] = value, f"--effect-{outcome}"
    for flag, key in (("no_event_study", "event_study.enabled"), ("no_few_clusters", "inference.few_clusters")):
        if getattr(args, flag):
            values[key], origins[key] = False, f"--{flag.replace('_', '-')}"
    return values, origins


def cmd_fui(args: argparse.Namespace) -> int:
    from evalkit.study import Study

    values, origins = fui_overrides(args)
    return run_study(Study.from_toml("fui").with_overrides(values, origins=origins), args)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every expectation holds, 1 (with the failures listed) when one does not."""
    from evalkit.report.check import check_results, load_expectations

    results = input_file(args.results, "RESULTS")
    input_file(args.expect, "--expect")
    expect = load_expectations(args.expect)
    try:
        document = json.loads(results.read_text(encoding="utf-8"))
    except (UnicodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{results}: not a JSON results document ({err})") from err
    with naming_the_file("RESULTS", str(results)):
        report = check_results(document, expect)
    print(f"evalkit check {results} --expect {args.expect}")
    print(report.summary(verbose=args.verbose))
    return 0 if report.passed else 1


def cmd_simulate(args: argparse.Namespace) -> int:
    from evalkit.replications.fui.synthetic import write_panel

    out = output_file(args.out, "--out")
    data = _simulated(args)
    stage(f"writing {out}")
    write_panel(data, out)
    if not args.quiet:
        print(
            f"wrote {len(data.panel):,} person-months of {data.panel['person_id'].nunique():,} persons to {out}",
            file=sys.stderr,
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    input_file(args.data, "--data")
    check_csv_options_apply(args, args.data)
    roles = read_roles(args.roles, "--roles") if args.roles else None
    print(paragraph(str(load_panel(args.data, roles, csv_options(args), "--data").report)))
    return 0


# --- studies: evalkit run, evalkit init-study (and evalkit fui, the bundled fui study) ----------


def parse_set(text: str) -> tuple[str, str]:
    """``--set table.key=value`` -> ``("table.key", "value")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(
            f"expected table.key=value such as design.windows.t1=2016-03..2016-05, got {text!r}"
        )
    return key.strip(), value.strip()


def run_study(study, args: argparse.Namespace) -> int:
    """Check the outputs, load the study's data, run it and print (and write) its results.

    With ``--check EXPECT.toml`` the results document is checked against the
    expectations after the run (the report on stderr): exit 1 when one fails.
    """
    from evalkit.report.json_contract import dumps
    from evalkit.study import Output

    out = output_dir(args.out, "--out") if args.out else None
    expect = None
    if getattr(args, "check", None):
        from evalkit.report.check import load_expectations

        input_file(args.check, "--check")
        expect = load_expectations(args.check)
    output = Output(lang="nb" if args.norwegian else args.lang,
                    min_cell=None if args.no_disclosure_control else args.min_cell)
    inputs = study.load()
    result = study.run(inputs)
    if out is not None:
        stage(f"writing the reports to {out}")
        for path in study.write(result, out, output):
            if not args.quiet:
                print(f"wrote {path}", file=sys.stderr)
    document = study.results_document(result, output) if args.json or expect is not None else None
    if args.json:
        sys.stdout.write(dumps(document))
    else:
        sys.stdout.write(study.to_text(result, inputs, output))
    if expect is not None:
        from evalkit.report.check import check_results

        report = check_results(document, expect)
        print(f"evalkit run --check {args.check}", file=sys.stderr)
        print(report.summary(verbose=args.verbose), file=sys.stderr)
        return 0 if report.passed else 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from evalkit.study import Study

    study = Study.from_toml(args.study)
    overrides = dict(args.set or [])
    return run_study(study.with_overrides(overrides, origins={k: f"--set {k}" for k in overrides}), args)


def cmd_init_study(args: argparse.Namespace) -> int:
    from evalkit.study import template

    path = Path(args.path)
    if path.is_dir():
        raise UsageError(f"init-study {args.path} is a directory; expected a file name such as study.toml")
    if path.exists() and not args.force:
        raise UsageError(f"init-study {args.path} exists; choose another name or add --force to replace it")
    if not path.parent.is_dir():
        raise UsageError(f"init-study {args.path}: the directory {path.parent} does not exist")
    path.write_text(template(args.kind), encoding="utf-8")
    if not args.quiet:
        print(f"wrote {path}; run it with 'evalkit run {path}'", file=sys.stderr)
    return 0


def output_options(p: argparse.ArgumentParser) -> None:
    """--out, --json, --norwegian and the disclosure rule: how a study's results are shown."""
    p.add_argument("--out", metavar="DIR", help="directory for CSV, Markdown, HTML and JSON output")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--norwegian", action="store_true", help="Norwegian labels (the same as --lang nb)")
    p.add_argument("--lang", choices=("en", "nb"), default="en",
                   help="language of the tables, figures and headings of the reports (default en)")
    p.add_argument("--min-cell", type=positive_int, default=DEFAULT_MIN_CELL, metavar="N",
                   help=f"disclosure control: suppress counts below N persons and rates from fewer (default {DEFAULT_MIN_CELL})")
    p.add_argument("--no-disclosure-control", action="store_true",
                   help="show small counts as computed (only for synthetic or public data)")


def add_study_commands(sub, common: argparse.ArgumentParser) -> None:
    """The ``run`` and ``init-study`` subcommands."""
    from evalkit.study.kinds import KINDS
    from evalkit.study.study import bundled_studies

    bundled = ", ".join(bundled_studies())

    run = sub.add_parser(
        "run", parents=[common], help=f"run a study file (or a bundled study: {bundled})",
        description="Run an evaluation described as data: a study file (TOML), or a bundled study by name "
        f"({bundled}). Any setting of the study can be changed with --set table.key=value (repeat it); "
        "docs/studies.md describes every key.",
    )
    run.add_argument("study", metavar="STUDY",
                     help=f"a study file (.toml) or the name of a bundled study ({bundled})")
    run.add_argument("--set", action="append", type=parse_set, metavar="KEY=VALUE",
                     help="change a setting, e.g. --set design.windows.t1=2016-03..2016-05 or "
                     "--set outcomes.horizons=1,3,6,12 (repeatable)")
    output_options(run)
    run.add_argument("--check", metavar="EXPECT.toml",
                     help="check the results against an expectation file (as 'evalkit check'): exit 1 when one fails")
    run.add_argument("--verbose", "-v", action="store_true", help="with --check: list every expectation")
    run.set_defaults(func=cmd_run)
    init = sub.add_parser(
        "init-study", parents=[common], help="write a commented study file to start from",
        description="Write a commented study file with every key at its default (for entry_cohort_did, the "
        "published FUI design); edit it and run it with 'evalkit run PATH'.",
    )
    init.add_argument("path", nargs="?", default="study.toml", metavar="PATH",
                      help="the file to write (default: study.toml)")
    init.add_argument("--force", action="store_true", help="replace the file if it exists")
    init.add_argument("--kind", choices=tuple(KINDS), default="entry_cohort_did",
                      help="the kind of study (default: entry_cohort_did, the FUI design)")
    init.set_defaults(func=cmd_init_study)


# --- the parser ----------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """argparse with evalkit's error line: ``evalkit: error: ...``, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"evalkit: error: {message} (see '{self.prog} --help')\n")


def _version() -> str:
    try:
        return metadata.version("evalkit")
    except metadata.PackageNotFoundError:
        return "unknown"


def cmd_neet(args: argparse.Namespace) -> int:
    """The long-term NEET risk-factor analysis (docs/neet.md): the bundled ``neet`` study,
    or another ``neet_risk_factors`` study file, with the options as overrides."""
    from evalkit.study import Study

    if bool(args.monthly) != bool(args.persons):
        raise UsageError("give both --monthly and --persons (a register extract), or neither")
    values, origins = {}, {}
    for option, key in (("monthly", "data.monthly"), ("persons", "data.persons"),
                        ("scale", "data.synthetic.scale"), ("seed", "data.synthetic.seed")):
        if getattr(args, option) is not None:
            values[key] = getattr(args, option)
            origins[key] = f"--{option}"
    study = Study.from_toml(args.study or "neet")
    if study.kind.name != "neet_risk_factors":
        raise UsageError(f"--study {args.study}: kind {study.kind.name!r} is not a NEET study; run it with 'evalkit run'")
    return run_study(study.with_overrides(values, origins=origins), args)


def add_neet_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``evalkit neet``: the bundled long-term NEET study (same output as ``evalkit run neet``)."""
    neet = sub.add_parser(
        "neet", parents=[common], help="run the long-term NEET risk-factor analysis (tables 2-4)",
        description="Run the long-term NEET risk-factor analysis: tables 2-4 and models 2-4 beside "
        "the published numbers, on the bundled synthetic population or on your extract "
        "(the bundled study 'neet'; 'evalkit run neet' gives the same output).",
    )
    neet.add_argument("--study", metavar="PATH", help="a neet_risk_factors study file (default: the bundled one)")
    neet.add_argument("--monthly", metavar="PATH", help="monthly histories (CSV or Parquet) of your extract")
    neet.add_argument("--persons", metavar="PATH", help="person attributes (CSV or Parquet) of your extract")
    neet.add_argument("--scale", type=scale, default=None, metavar="X", help="size of the synthetic population (default 0.1)")
    neet.add_argument("--seed", type=seed, default=None, metavar="N", help="seed of the synthetic population")
    output_options(neet)
    neet.set_defaults(func=cmd_neet)


def cmd_power(args: argparse.Namespace) -> int:
    """``evalkit power`` (docs/power.md): read the history and the schedule, then run
    :func:`evalkit.planning.cli.run`."""
    from evalkit.cohorts import RolloutSchedule
    from evalkit.planning.cli import run
    from evalkit.replications.fui.results_json import run_provenance
    from evalkit.replications.fui.schedule import norway_2017_schedule
    from evalkit.replications.fui.unemployment import read_table
    from evalkit.report.json_contract import file_input

    if args.data and args.frame:
        raise UsageError("give --data (a panel) or --frame (an outcome table), not both")
    if args.roles and not args.data:
        raise UsageError("--roles maps the columns of a --data panel; give --data too")
    for option in ("data", "frame", "schedule"):
        if getattr(args, option):
            input_file(getattr(args, option), f"--{option}")
    check_csv_options_apply(args, args.data, args.frame, args.schedule)
    roles = read_roles(args.roles, "--roles") if args.roles else None
    text = {k: v for k, v in csv_options(args).items() if k != "decimal"}
    schedule = norway_2017_schedule()
    if args.schedule:
        with naming_the_file("--schedule", args.schedule):
            table = read_table(args.schedule, **text).reset_index(drop=True)
            mapped = roles.schedule_columns if roles else {"county": "county", "start_month": "start_month",
                                                           "region": "region"}
            schedule = RolloutSchedule.from_frame(table, unit=mapped["county"], start=mapped["start_month"],
                                                  region=mapped["region"])
    inputs = [file_input(role, getattr(args, role)) for role in ("data", "frame", "schedule", "roles")
              if getattr(args, role)]
    if args.frame:
        with naming_the_file("--frame", args.frame):
            data = read_table(args.frame, **text)
    elif args.data:
        data = load_panel(args.data, roles, csv_options(args), "--data")
    else:
        data = _pre_reform_synthetic(args)
        inputs.insert(0, {"role": "data", "name": "bundled synthetic panel, no reform effect",
                          "synthetic": {"scale": args.scale, "seed": args.seed, "county_icc": args.county_icc}})
    provenance = run_provenance(inputs=inputs, seed=args.rng, options={"command": "power"})
    with naming_the_file("--frame", args.frame) if args.frame else contextlib.nullcontext():
        return run(args, data, schedule, synthetic=not (args.data or args.frame), provenance=provenance)


def _pre_reform_synthetic(args: argparse.Namespace):
    """The bundled synthetic panel without any reform effect (every month is history), scanned by DuckDB."""
    import tempfile

    from evalkit.panel import scan_panel
    from evalkit.replications.fui.synthetic import simulate_fui_panel, write_panel

    stage(f"simulating the synthetic panel without reform effects (scale {args.scale:g}, seed {args.seed})")
    icc = {} if args.county_icc is None else {"county_icc": args.county_icc}
    simulated = simulate_fui_panel(scale=args.scale, seed=args.seed,
                                   effects={"employment": 0.0, "education": 0.0}, **icc)
    folder = tempfile.mkdtemp(prefix="evalkit-power-")
    path = Path(folder) / "panel.parquet"
    write_panel(simulated, path)
    return scan_panel(str(path))


def add_power_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                     text: argparse.ArgumentParser) -> None:
    """``evalkit power``: power and MDE of planned rollouts from placebo rollouts (docs/power.md)."""
    from evalkit.planning.cli import add_options

    p = sub.add_parser(
        "power", parents=[common, text], help="power and minimum detectable effect of a planned rollout",
        description="Power and minimum detectable effect (MDE) of planned rollouts, from placebo rollouts of "
        "the planned estimator (the 2x2, with or without covariates, or the event study of a staggered "
        "schedule) on the history before the reform: the planned schedule moved to earlier months, its "
        "waves filled with drawn units (within strata if asked), each scored with the planned few-cluster "
        "inference, beside the analytic design-effect approximation of the 2x2. Input: your panel (--data, "
        "entry cohorts after a washout and "
        "their states at horizons), any unit x period outcome table (--frame), or the bundled synthetic "
        "panel simulated without reform effects (default). Example: evalkit power --candidate "
        "nine=2017-01:9,2017-07:rest (the 2017 FUI schedule against 9 counties in January).",
    )
    p.add_argument("--data", metavar="PATH", help="your panel (CSV or Parquet); default: the bundled synthetic panel")
    p.add_argument("--roles", metavar="PATH", help="TOML file mapping your column names and codes onto evalkit's roles")
    p.add_argument("--scale", type=scale, default=1.0, metavar="X",
                   help=f"size of the synthetic panel (1 = national, the default; at least {MIN_SCALE:g})")
    p.add_argument("--seed", type=seed, default=2017, metavar="N", help="random seed of the synthetic panel")
    p.add_argument("--county-icc", type=county_icc, default=None, metavar="R",
                   help="intra-county correlation of the synthetic outcomes (default: the simulator's)")
    add_options(p)
    p.set_defaults(func=cmd_power)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the Python traceback of an error")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bars or stage messages on stderr")
    text = argparse.ArgumentParser(add_help=False)
    text.add_argument("--encoding", type=encoding, metavar="NAME",
                      help="encoding of CSV inputs, e.g. cp1252 (default: detected)")
    text.add_argument("--sep", type=separator, metavar="CHAR",
                      help="column separator of CSV inputs: ',' ';' '|' or 'tab' (default: detected)")
    text.add_argument("--decimal", choices=(".", ","), metavar="MARK",
                      help="decimal mark of CSV inputs: '.' or ',' (default: detected)")

    parser = Parser(prog="evalkit", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"evalkit {_version()}")
    parser.add_argument("--debug", action="store_true", default=False, help="show the Python traceback of an error")
    parser.add_argument("--quiet", "-q", action="store_true", default=False,
                        help="no progress bars or stage messages on stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    def simulation_options(p: argparse.ArgumentParser, *, study_defaults: bool = False) -> None:
        # with study_defaults an option not given leaves the study's setting (the same default)
        p.add_argument("--scale", type=scale, default=None if study_defaults else 1.0, metavar="X",
                       help=f"size of the synthetic panel (1 = national; at least {MIN_SCALE:g})")
        p.add_argument("--seed", type=seed, default=None if study_defaults else 2017, metavar="N",
                       help="random seed of the synthetic panel")
        p.add_argument("--county-icc", type=county_icc, default=None, metavar="R",
                       help="intra-county correlation of the outcomes through county x month shocks "
                       "(default: the simulator's stated assumption, docs/simulate.md; 0: no shocks)")
        for option in EFFECT_OPTIONS:
            p.add_argument(
                f"--effect-{option}",
                type=parse_effect,
                default=None,
                metavar="EFFECT",
                help=f"true FUI effect on {option}: a number for every horizon or 1:v,3:v,... "
                "(default: the published estimate)",
            )

    fui = sub.add_parser("fui", parents=[common, text], help="run the FUI evaluation (tables 8.1-8.3 and diagnostics)",
                         description="Run the FUI evaluation (chapter 8): tables 8.1-8.3, inference with few "
                         "clusters, event study, placebo and design diagnostics.")
    fui.add_argument("--data", metavar="PATH", help="your panel (CSV or Parquet); default: the bundled synthetic panel")
    fui.add_argument("--roles", metavar="PATH", help="TOML file mapping your column names and codes onto evalkit's roles")
    fui.add_argument("--unemployment", metavar="PATH", help="county unemployment table (county, month, unemployment_pct)")
    fui.add_argument("--schedule", metavar="PATH", help="rollout schedule CSV (county, region, start_month)")
    output_options(fui)
    fui.add_argument("--no-event-study", action="store_true", help="skip the event study of all entry cohorts")
    fui.add_argument(
        "--no-few-clusters", action="store_true", help="skip the wild bootstrap and randomization inference"
    )
    fui.add_argument("--n-boot", type=positive_int, default=None, metavar="N", help="wild cluster bootstrap draws (default 9999)")
    simulation_options(fui, study_defaults=True)
    fui.set_defaults(func=cmd_fui)

    chk = sub.add_parser("check", parents=[common], help="check a results.json against expectations (for CI)",
                         description="Check a results document (results.json or 'evalkit fui --json' output) "
                         "against an expectation file: exit 0 when every expectation holds, 1 with a list of "
                         "the failures, 2 when a file cannot be read or is invalid.")
    chk.add_argument("results", metavar="RESULTS.json", help="the results document")
    chk.add_argument("--expect", required=True, metavar="EXPECT.toml", help="the expectation file (TOML)")
    chk.add_argument("--verbose", "-v", action="store_true", help="list every expectation, not only the failures")
    chk.set_defaults(func=cmd_check)

    sim = sub.add_parser("simulate", parents=[common], help="write a synthetic national panel with known true effects",
                         description="Write a synthetic panel (and its unemployment table) with known true effects.")
    sim.add_argument("--out", required=True, metavar="PATH", help="output file (.parquet or .csv)")
    simulation_options(sim)
    sim.set_defaults(func=cmd_simulate)

    val = sub.add_parser("validate", parents=[common, text], help="validate a panel and print its report",
                         description="Validate a panel and print its report.")
    val.add_argument("--data", required=True, metavar="PATH", help="your panel (CSV or Parquet)")
    val.add_argument("--roles", metavar="PATH", help="TOML file mapping your column names and codes onto evalkit's roles")
    val.set_defaults(func=cmd_validate)
    add_study_commands(sub, common)
    add_neet_parser(sub, common)
    add_power_parser(sub, common, text)
    return parser


#: Errors of reading the user's files that are not evalkit's own: reported without a traceback.
FILE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    UnicodeError,
    pd.errors.EmptyDataError,
    pd.errors.ParserError,
)


def _file_error_message(err: BaseException) -> str:
    if isinstance(err, UnicodeDecodeError):
        return (f"cannot decode the file as {err.encoding} ({err.reason} at byte {err.start}); "
                "give its encoding with --encoding (e.g. cp1252 or latin-1)")
    if isinstance(err, OSError) and err.filename:
        return f"{err.filename}: {err.strerror or err}"
    return str(err)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 user error, 1 internal error).

    Run as the command (``argv`` not given), the modules loaded by now live as long as the
    process: they are moved out of the garbage collector's generations (``gc.freeze``), so
    that its full collections during the run do not scan them again.
    """
    if argv is None:
        gc.freeze()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        return int(stop.code or 0) if not isinstance(stop.code, str) else 2
    try:
        with silenced() if args.quiet else contextlib.nullcontext():
            return args.func(args)
    except (EvalkitError, *FILE_ERRORS) as err:
        if args.debug:
            traceback.print_exc()
        message = str(err) if isinstance(err, EvalkitError) else _file_error_message(err)
        print(f"evalkit: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug in evalkit, not a user error
        if args.debug:
            traceback.print_exc()
        print(
            f"evalkit: internal error: {type(err).__name__}: {err}\n"
            "This is a bug in evalkit; please report it with the output of the same command with --debug.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
