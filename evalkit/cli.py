"""The ``evalkit`` command line.

``evalkit fui`` runs the FUI evaluation (chapter 8) on the bundled synthetic panel or on a
user's extract; ``evalkit simulate`` writes a synthetic panel with chosen true effects;
``evalkit validate`` checks a panel and prints its report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import pandas as pd

from evalkit.cohorts import RolloutSchedule
from evalkit.errors import EvalkitError
from evalkit.panel import ColumnRoles, read_panel, scan_panel

EFFECT_OPTIONS = ("employment", "education")


def parse_effect(text: str) -> float | dict[int, float]:
    """``0.05`` (every horizon) or ``1:0.02,3:0.05,6:0.05,9:0.01`` (per horizon)."""
    try:
        if ":" not in text:
            return float(text)
        pairs = (item.split(":") for item in text.split(","))
        return {int(h): float(v) for h, v in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"cannot read effect {text!r}: give a number (0.05) or horizon:value pairs (1:0.02,3:0.05)"
        ) from None


def _effects(args: argparse.Namespace) -> dict[str, float | dict[int, float]] | None:
    given = {
        option: getattr(args, f"effect_{option}")
        for option in EFFECT_OPTIONS
        if getattr(args, f"effect_{option}") is not None
    }
    return given or None


def _simulated(args: argparse.Namespace):
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    return simulate_fui_panel(scale=args.scale, seed=args.seed, effects=_effects(args))


def _read_table(path: str) -> pd.DataFrame:
    return pd.read_parquet(path) if path.endswith((".parquet", ".pq")) else pd.read_csv(path)


def cmd_fui(args: argparse.Namespace) -> int:
    from evalkit.replications.fui import report, run_fui

    roles = ColumnRoles.from_toml(args.roles) if args.roles else None
    schedule = RolloutSchedule.read_csv(args.schedule) if args.schedule else RolloutSchedule.norway_2017()
    if args.data:
        if not args.unemployment:
            raise EvalkitError(
                "--data needs --unemployment PATH: a CSV or Parquet table with columns county, "
                "month, unemployment_pct (county registered unemployment in percent)"
            )
        # Parquet is validated and prepared inside DuckDB, never loaded whole into pandas
        load = scan_panel if args.data.endswith((".parquet", ".pq")) else read_panel
        panel = load(args.data, roles=roles)
        unemployment = _read_table(args.unemployment)
    else:
        data = _simulated(args)
        panel = read_panel(data.panel)
        unemployment = _read_table(args.unemployment) if args.unemployment else data.unemployment
    rep = run_fui(
        panel,
        unemployment,
        schedule=schedule,
        few_clusters=not args.no_few_clusters,
        event_study=not args.no_event_study,
        n_boot=args.n_boot,
    )
    if args.out:
        for path in report.write(rep, args.out):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(rep.to_json(), indent=1))
    else:
        print(str(panel.report))
        print()
        print(report.to_text(rep, norwegian=args.norwegian))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from evalkit.replications.fui.synthetic import write_panel

    data = _simulated(args)
    write_panel(data, args.out)
    print(
        f"wrote {len(data.panel):,} person-months of {data.panel['person_id'].nunique():,} persons to {args.out}",
        file=sys.stderr,
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    roles = ColumnRoles.from_toml(args.roles) if args.roles else None
    print(read_panel(args.data, roles=roles).report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def simulation_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--scale", type=float, default=1.0, help="size of the synthetic panel (1 = national)")
        p.add_argument("--seed", type=int, default=2017, help="random seed of the synthetic panel")
        for option in EFFECT_OPTIONS:
            p.add_argument(
                f"--effect-{option}",
                type=parse_effect,
                default=None,
                help=f"true FUI effect on {option}: a number for every horizon or 1:v,3:v,... "
                "(default: the published estimate)",
            )

    fui = sub.add_parser("fui", help="run the FUI evaluation (tables 8.1-8.3 and diagnostics)")
    fui.add_argument("--data", help="your panel (CSV or Parquet); default: the bundled synthetic panel")
    fui.add_argument("--roles", help="TOML file mapping your column names and codes onto evalkit's roles")
    fui.add_argument("--unemployment", help="county unemployment table (county, month, unemployment_pct)")
    fui.add_argument("--schedule", help="rollout schedule CSV (county, region, start_month)")
    fui.add_argument("--out", help="directory for CSV, Markdown, HTML and JSON output")
    fui.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    fui.add_argument("--norwegian", action="store_true", help="label regression terms in Norwegian")
    fui.add_argument("--no-event-study", action="store_true", help="skip the event study of all entry cohorts")
    fui.add_argument(
        "--no-few-clusters", action="store_true", help="skip the wild bootstrap and randomization inference"
    )
    fui.add_argument("--n-boot", type=int, default=9999, help="wild cluster bootstrap draws (default 9999)")
    simulation_options(fui)
    fui.set_defaults(func=cmd_fui)

    sim = sub.add_parser("simulate", help="write a synthetic national panel with known true effects")
    sim.add_argument("--out", required=True, help="output file (.parquet or .csv)")
    simulation_options(sim)
    sim.set_defaults(func=cmd_simulate)

    val = sub.add_parser("validate", help="validate a panel and print its report")
    val.add_argument("--data", required=True)
    val.add_argument("--roles")
    val.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (EvalkitError, FileNotFoundError) as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
