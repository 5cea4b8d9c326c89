"""The evalkit command line.

evalkit fui runs the FUI evaluation (chapter 8) on the bundled synthetic panel or on a
user's extract; evalkit simulate writes a synthetic panel with chosen true effects;
evalkit validate checks a panel and prints its report; evalkit check checks a results
document against the expectations of a CI suite (exit 0 when they hold, 1 when not).

Every option is checked before any work starts.  A user error (a bad option, a missing or
malformed file, data that break a rule) ends with ``evalkit: error: ...`` on stderr and
exit status 2, without a Python traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import math
import sys
import traceback
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

from evalkit.cohorts import RolloutSchedule
from evalkit.errors import DataFileError, EvalkitError
from evalkit.panel import ColumnRoles, read_panel, scan_panel
from evalkit.progress import silenced, stage
from evalkit.report.disclosure import DEFAULT_MIN_CELL
from evalkit.report.text import paragraph

EFFECT_OPTIONS = ("employment", "education")
PARQUET = (".parquet", ".pq")
DESCRIPTION = (
    "Quasi-experimental evaluation of regional rollouts. 'evalkit fui' runs the FUI "
    "evaluation (chapter 8) on the bundled synthetic panel or on your extract; 'evalkit "
    "simulate' writes a synthetic panel with chosen true effects; 'evalkit validate' checks "
    "a panel and prints its report; 'evalkit check' checks a results.json against expectations."
)


class UsageError(EvalkitError):
    """An option of the command line is invalid (the message names it)."""


# --- option types: each names the option in its message (argparse adds "argument --x") ---


def parse_effect(text: str) -> float | dict[int, float]:
    """``0.05`` (every horizon) or ``1:0.02,3:0.05,6:0.05,9:0.01`` (per horizon).

    Effects are changes of a probability (between -1 and 1) at the simulator's horizons.
    """
    from evalkit.replications.fui.synthetic.published import HORIZONS

    expected = (
        f"give a number between -1 and 1 (0.05) or horizon:value pairs with distinct horizons "
        f"among {', '.join(map(str, HORIZONS))} (1:0.02,3:0.05)"
    )
    try:
        if ":" not in text:
            value = float(text)
            if not -1 <= value <= 1:
                raise ValueError
            return value
        effects: dict[int, float] = {}
        for item in text.split(","):
            h, v = item.split(":")
            horizon, value = int(h), float(v)
            if horizon not in HORIZONS or not -1 <= value <= 1 or horizon in effects:
                raise ValueError
            effects[horizon] = value
        return effects
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read effect {text!r}: {expected}") from None


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


#: The smallest synthetic panel whose every cell of table 8.1 has entrants to calibrate on.
MIN_SCALE = 0.001


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


def input_file(path: str, option: str) -> Path:
    """An existing, non-empty file (not a directory)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{option} {path}: no such file")
    if p.is_dir():
        raise UsageError(f"{option} {path} is a directory; expected a file")
    if p.stat().st_size == 0:
        raise UsageError(f"{option} {path} is empty (0 bytes)")
    return p


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


def read_roles(path: str | None) -> ColumnRoles | None:
    """The roles file, read (and checked) before any data."""
    if path is None:
        return None
    input_file(path, "--roles")
    with naming_the_file("--roles", path):
        return ColumnRoles.from_toml(path)


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


@contextlib.contextmanager
def naming_the_file(option: str, path: str) -> Iterator[None]:
    """Prefix evalkit's complaints about an input file with the option (and the path)."""
    try:
        yield
    except EvalkitError as err:
        message = str(err)
        raise UsageError(f"{option}: {message}" if path in message else f"{option} {path}: {message}") from err


def unreadable_file(err: Exception) -> bool:
    """Whether ``err`` is a Parquet reader's complaint about the file (not an evalkit bug)."""
    import duckdb
    import pyarrow

    return isinstance(err, (duckdb.IOException, duckdb.InvalidInputException, pyarrow.ArrowInvalid, pyarrow.ArrowIOError))


def load_panel(path: str, roles: ColumnRoles | None, args: argparse.Namespace):
    """Validate the panel: Parquet in DuckDB (never loaded whole), text files in pandas."""
    stage(f"reading and validating {path}")
    try:
        if path.lower().endswith(PARQUET):
            return scan_panel(path, roles=roles)
        return read_panel(path, roles=roles, **csv_options(args))
    except UnicodeDecodeError as err:
        raise UsageError(
            f"--data {path} cannot be decoded as {err.encoding} ({err.reason} at byte {err.start}); "
            "give its encoding with --encoding (e.g. cp1252 or latin-1)"
        ) from err
    except Exception as err:
        if unreadable_file(err) or isinstance(err, DataFileError):
            reason = str(err).strip().splitlines()[0]
            kind = "Parquet" if path.lower().endswith(PARQUET) else "a table"
            raise UsageError(f"--data {path} cannot be read as {kind}: {reason}") from err
        raise


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


def cmd_fui(args: argparse.Namespace) -> int:
    from evalkit.replications.fui import FuiSpec, report, report_text, run_fui
    from evalkit.replications.fui.results_json import results_document
    from evalkit.replications.fui.sample import check_exposure
    from evalkit.replications.fui.schedule import norway_2017_schedule
    from evalkit.replications.fui.unemployment import check_unemployment, read_table
    from evalkit.report.json_contract import dumps

    # every option and input file is checked before the (long) analysis starts
    for option in ("data", "unemployment", "schedule"):
        if getattr(args, option):
            input_file(getattr(args, option), f"--{option}")
    if args.data and not args.unemployment:
        raise UsageError(
            "--data needs --unemployment PATH: a CSV or Parquet table with columns county, "
            "month, unemployment_pct (county registered unemployment in percent)"
        )
    check_csv_options_apply(args, args.data, args.unemployment, args.schedule)
    out = output_dir(args.out, "--out") if args.out else None
    if args.roles and not (args.data or args.unemployment or args.schedule):
        raise UsageError(
            "--roles maps the columns of your --data, --unemployment and --schedule files; "
            "without them the bundled synthetic panel is used"
        )
    roles = read_roles(args.roles) or ColumnRoles()
    # the auxiliary tables are read as text; check_unemployment reads either decimal mark
    options = {k: v for k, v in csv_options(args).items() if k != "decimal"}
    schedule = norway_2017_schedule()
    if args.schedule:
        with naming_the_file("--schedule", args.schedule):
            table = read_table(args.schedule, **options).reset_index(drop=True)
            mapped = roles.schedule_columns
            schedule = RolloutSchedule.from_frame(
                table, unit=mapped["county"], start=mapped["start_month"], region=mapped["region"]
            )
            check_exposure(schedule, FuiSpec())  # before the panel is read: a long read would be wasted
    unemployment = None
    if args.unemployment:
        with naming_the_file("--unemployment", args.unemployment):
            unemployment = check_unemployment(
                read_table(args.unemployment, **options), columns=roles.unemployment_columns
            )
    if args.data:
        panel = load_panel(args.data, roles, args)
    else:
        data = _simulated(args)
        panel = read_panel(data.panel)
        unemployment = data.unemployment if unemployment is None else unemployment
    rep = run_fui(
        panel,
        unemployment,
        schedule=schedule,
        few_clusters=not args.no_few_clusters,
        event_study=not args.no_event_study,
        n_boot=args.n_boot,
    )
    rule = disclosure_rule(args)
    prov = fui_provenance(args)
    if out is not None:
        stage(f"writing the reports to {out}")
        for path in report.write(rep, out, lang="nb" if args.norwegian else args.lang, disclosure=rule,
                                 provenance=prov):
            if not args.quiet:
                print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(dumps(results_document(rep, disclosure=rule, provenance=prov)))
    else:
        print(paragraph(str(panel.report)))
        print()
        print(report_text.to_text(rep, norwegian=args.norwegian or args.lang == "nb", disclosure=rule))
    return 0


def disclosure_rule(args: argparse.Namespace):
    """``--min-cell N`` (default 5) unless ``--no-disclosure-control``."""
    from evalkit.report.disclosure import DisclosureControl

    if args.no_disclosure_control:
        return DisclosureControl.off()
    return DisclosureControl(min_cell=args.min_cell)


def fui_provenance(args: argparse.Namespace) -> dict:
    """Inputs (names and sha256 of the files read, or the synthetic panel's settings), seed, options."""
    from evalkit.replications.fui.results_json import run_provenance
    from evalkit.report.json_contract import file_input

    inputs = [file_input(option, getattr(args, option)) for option in ("data", "unemployment", "schedule", "roles")
              if getattr(args, option)]
    synthetic = not args.data
    if synthetic:
        from evalkit.replications.fui.synthetic.shocks import DEFAULT_COUNTY_ICC

        settings = {"scale": args.scale, "seed": args.seed, "effects": {k: str(v) for k, v in (_effects(args) or {}).items()},
                    "county_icc": DEFAULT_COUNTY_ICC if args.county_icc is None else args.county_icc}
        inputs.insert(0, {"role": "data", "name": "bundled synthetic panel", "synthetic": settings})
    options = {"n_boot": args.n_boot, "few_clusters": not args.no_few_clusters,
               "event_study": not args.no_event_study, "lang": "nb" if args.norwegian else args.lang,
               "min_cell": None if args.no_disclosure_control else args.min_cell}
    return run_provenance(inputs=inputs, seed=args.seed if synthetic else None, options=options)


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
    roles = read_roles(args.roles)
    print(paragraph(str(load_panel(args.data, roles, args).report)))
    return 0


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
    """The long-term NEET risk-factor analysis (docs/neet.md) from its study file."""
    from evalkit.replications.neet.study import read_study, run_study

    settings = read_study(args.study)
    if args.monthly or args.persons:
        if not (args.monthly and args.persons):
            raise UsageError("give both --monthly and --persons (a register extract), or neither")
        settings["data"] = {
            "monthly": str(input_file(args.monthly, "--monthly")),
            "persons": str(input_file(args.persons, "--persons")),
        }
    for key in ("scale", "seed"):
        if getattr(args, key) is not None:
            settings["synthetic"][key] = getattr(args, key)
    stage("running the long-term NEET analysis")
    result = run_study(settings)
    if args.json:
        print(result.tidy().to_json(orient="records", force_ascii=False))
    else:
        print(result.summary())
    return 0


def add_neet_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``evalkit neet``: the bundled long-term NEET study (or another neet_risk_factors file)."""
    neet = sub.add_parser(
        "neet", parents=[common], help="run the long-term NEET risk-factor analysis (tables 2-4)",
        description="Run the long-term NEET risk-factor analysis: tables 2-4 and models 2-4 beside "
        "the published numbers, on the bundled synthetic population or on your extract.",
    )
    neet.add_argument("--study", metavar="PATH", help="a neet_risk_factors study file (default: the bundled one)")
    neet.add_argument("--monthly", metavar="PATH", help="monthly histories (CSV or Parquet) of your extract")
    neet.add_argument("--persons", metavar="PATH", help="person attributes (CSV or Parquet) of your extract")
    neet.add_argument("--scale", type=scale, default=None, metavar="X", help="size of the synthetic population (default 0.1)")
    neet.add_argument("--seed", type=seed, default=None, metavar="N", help="seed of the synthetic population")
    neet.add_argument("--json", action="store_true", help="print the models' tidy table as JSON")
    neet.set_defaults(func=cmd_neet)


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

    def simulation_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--scale", type=scale, default=1.0, metavar="X", help=f"size of the synthetic panel (1 = national; at least {MIN_SCALE:g})")
        p.add_argument("--seed", type=seed, default=2017, metavar="N", help="random seed of the synthetic panel")
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
    fui.add_argument("--out", metavar="DIR", help="directory for CSV, Markdown, HTML and JSON output")
    fui.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    fui.add_argument("--norwegian", action="store_true", help="Norwegian labels (the same as --lang nb)")
    fui.add_argument("--lang", choices=("en", "nb"), default="en",
                     help="language of the tables, figures and headings of the reports (default en)")
    fui.add_argument("--no-event-study", action="store_true", help="skip the event study of all entry cohorts")
    fui.add_argument(
        "--no-few-clusters", action="store_true", help="skip the wild bootstrap and randomization inference"
    )
    fui.add_argument("--min-cell", type=positive_int, default=DEFAULT_MIN_CELL, metavar="N",
                     help=f"disclosure control: suppress counts below N persons and rates from fewer (default {DEFAULT_MIN_CELL})")
    fui.add_argument("--no-disclosure-control", action="store_true",
                     help="show small counts as computed (only for synthetic or public data)")
    fui.add_argument("--n-boot", type=positive_int, default=9999, metavar="N", help="wild cluster bootstrap draws (default 9999)")
    simulation_options(fui)
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
    add_neet_parser(sub, common)
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
    """Run the command line; returns the exit status (0 ok, 2 user error, 1 internal error)."""
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
