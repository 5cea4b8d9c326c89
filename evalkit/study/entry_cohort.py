"""The ``entry_cohort_did`` study: new users of a staggered rollout, 2x2 and event study.

The design of the FUI evaluation as data: entries of new users after a washout (need
categories, age limit) in two entry windows, two region groups (the region of the
rollout schedule that started first against all others), states at (or ever by) monthly
horizons, a linear probability model with controls derived from the design (need
category, age group, education, county unemployment, entry-month dummies following the
windows), conventional, county-clustered and few-cluster inference (wild cluster
bootstrap, randomization over counties), the event study of every monthly entry cohort
with its sensitivity analysis, and a placebo between two pre-rollout windows.  It runs
:func:`~evalkit.replications.fui.run_fui` and returns its
:class:`~evalkit.replications.fui.FuiReplication`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DesignError, StudyError
from evalkit.outcomes import MONTHLY_STATES
from evalkit.panel import NAV_CATEGORIES, ColumnRoles, StatusPanel
from evalkit.panel.months import parse_month
from evalkit.panel.roles import nearest
from evalkit.progress import stage
from evalkit.study.inputs import PARQUET, input_file, load_panel, naming_the_file, read_roles
from evalkit.study.output import Output
from evalkit.study.schema import Key, Place, Table

#: The smallest synthetic panel whose every cell of table 8.1 has entrants to calibrate on.
MIN_SCALE = 0.001

#: Outcomes the synthetic panel can carry a true effect on (-> the state they move).
EFFECT_OUTCOMES = ("employment", "education")

#: A true effect of the synthetic panel: a change of a probability, for every horizon or per horizon.
EFFECT = Key("effect", None, "true effect")

SCHEMA = Table(
    "A staggered regional rollout evaluated on entry cohorts of new users (the FUI design).",
    keys={
        "kind": Key("text", "entry_cohort_did", "what the study is: entry_cohort_did (a 2x2 of entry windows and "
                    "regions, and the event study of every monthly entry cohort)"),
        "title": Key("text", "", "a title for the study (shown nowhere else; for the reader of the file)"),
        "data": Table(
            "Where the data come from. Relative paths are relative to the study file.",
            keys={
                "panel": Key("path", "", 'the monthly status panel (CSV or Parquet); "" = the synthetic panel of '
                             "[data.synthetic]"),
                "roles": Key("path", "", "a roles file mapping your column names and codes onto evalkit's roles"),
                "unemployment": Key("path", "", "county unemployment table (county, month, unemployment_pct); "
                                    "needed with panel; \"\" = the synthetic panel's"),
                "schedule": Key("path", "", 'rollout schedule (county, region, start_month); "" = the Norwegian '
                                "FUI schedule of 2017"),
                "auxiliary": Table(
                    "Auxiliary tables of covariates: name = \"PATH\" (CSV or Parquet) with key column(s) county, "
                    "region and/or month and numeric columns, any of which [model] covariates may name",
                    entries=Key("path", None, "auxiliary table"),
                ),
                "encoding": Key("text", "", 'encoding of CSV inputs such as "cp1252" ("" = detected)'),
                "sep": Key("text", "", 'column separator of CSV inputs: ",", ";", "|" or "tab" ("" = detected)'),
                "decimal": Key("text", "", 'decimal mark of CSV inputs ("" = detected)', choices=("", ".", ",")),
                "synthetic": Table(
                    "The synthetic national panel used when panel is \"\".",
                    keys={
                        "scale": Key("number", 1.0, f"size of the synthetic panel (1 = national; at least {MIN_SCALE:g})",
                                     minimum=MIN_SCALE),
                        "seed": Key("whole", 2017, "random seed of the synthetic panel", minimum=0),
                        "county_icc": Key("number", None, "intra-county correlation of the outcomes through county "
                                          "x month shocks (not set: the simulator's stated assumption, "
                                          "docs/simulate.md; 0: no shocks)", limits=(0.0, 0.2)),
                        "age_30_34": Key("flag", False, "add new users aged 30-34, the comparison of the triple "
                                         "difference (docs/triple_diff.md)"),
                        "effects": Table(
                            "True effects of the synthetic panel: a change of a probability for every horizon, or "
                            "per horizon {1 = 0.02, 3 = 0.05} (default: the published estimates)",
                            entries=EFFECT,
                            names=EFFECT_OUTCOMES,
                        ),
                    },
                ),
            },
        ),
        "population": Table(
            "Who enters: new users after a washout, in the target group, under the age limit.",
            keys={
                "washout": Key("whole", 12, "months away from NAV required before an entry", minimum=0),
                "max_age": Key("whole", 29, "oldest age at entry (entry year minus birth year)", minimum=0),
                "min_age": Key("whole", 0, "youngest age at entry (0 = no lower limit)", minimum=0),
                "age_groups": Key("texts", (), 'age bands "lowest-highest" covering min_age to max_age without gap '
                                  'or overlap, such as ["18-21", "22-25", "26-29"]; the first is the reference of '
                                  "the age dummies ([] = the published bands under 20, 20-24, 25-29, clipped to the "
                                  "ages)", empty_ok=True),
                "categories": Key("texts", ("standard", "situational", "specially_adapted"),
                                  "need categories of the target group; the first (in NAV's order) is the reference "
                                  "level of the category control", choices=NAV_CATEGORIES),
            },
        ),
        "outcomes": Table(
            "States after entry.",
            keys={
                "states": Key("texts", ("employed", "in_education"), "monthly states to estimate effects on",
                              choices=MONTHLY_STATES),
                "measure": Key("text", "at", 'state "at" the horizon, or "ever" in the state by the horizon',
                               choices=("at", "ever")),
                "horizons": Key("wholes", (1, 3, 6, 9), "months after the entry month", minimum=1),
            },
        ),
        "design": Table(
            "The 2x2 comparison: two entry windows and two region groups.",
            keys={
                "treated_region": Key("text", "south_west", "the region of the schedule that starts first; every "
                                      "other region is the comparison"),
                "windows": Table(
                    "The pre and the post entry window, in that order: name = \"first..last\"",
                    entries=Key("span", None, "entry window"),
                    count=2,
                    default={"t1": ("2016-03", "2016-06"), "t2": ("2017-03", "2017-06")},
                ),
            },
        ),
        "model": Table(
            "The linear probability model of each outcome and horizon.",
            keys={
                "covariates": Key("texts", ("nav_category", "female", "age_group", "education_level",
                                            "county_unemployment_pct"), "columns of the analysis sample entered as "
                                  "controls: numeric ones linearly, others as dummies (the first level the "
                                  "reference); county_unemployment_pct comes from the unemployment table, and any numeric "
                                  "column of a [data.auxiliary] table may be named",
                                  empty_ok=True),
                "fixed_effects": Key("texts", (), "columns of the analysis sample whose fixed effects are absorbed "
                                     "(e.g. county, entry_month); a main effect constant within one is left out",
                                     empty_ok=True),
                "entry_month_dummies": Key("flag", True, "season controls: a dummy per calendar month the windows "
                                           "cover but the pre window's first (both windows must cover the same months)"),
            },
        ),
        "inference": Table(
            "Inference beyond the conventional and county-clustered SEs.",
            keys={
                "few_clusters": Key("flag", True, "wild cluster bootstrap and randomization inference by county"),
                "n_boot": Key("whole", 9999, "wild cluster bootstrap draws", minimum=1),
            },
        ),
        "event_study": Table(
            "The staggered event study of every monthly entry cohort (not-yet-treated counties as comparison).",
            keys={
                "enabled": Key("flag", True, "run the event study"),
                "horizons": Key("wholes", (), "its horizons ([] = those of [outcomes])", minimum=1,
                                empty_ok=True),
            },
        ),
        "triple_diff": Table(
            "The triple difference with new users aged 30-34 as the within-region comparison (docs/triple_diff.md).",
            keys={"enabled": Key("flag", False, "run it (when the data have at least 20 such entrants in every "
                                 "region and window)")},
        ),
        "placebo": Table(
            "The 2x2 between two windows before the rollout, where the effect must be zero.",
            keys={
                "enabled": Key("flag", True, "run the placebo"),
                "windows": Table(
                    "The two placebo windows: name = \"first..last\"",
                    entries=Key("span", None, "placebo window"),
                    count=2,
                    default={"p1": ("2016-03", "2016-05"), "p2": ("2016-06", "2016-08")},
                ),
            },
        ),
        "compare": Table(
            "The comparison with the published numbers (Fafo 2020, tables 8.1-8.3).",
            keys={
                "published": Key("flag", True, "set the published numbers beside the reproduced ones; false for a "
                                 "study of your own (no published columns, no comparison)"),
            },
        ),
    },
)


def check(settings: dict[str, Any], place: Place) -> None:
    """Cross-key checks of the design, before any data are read (each names its keys)."""
    data = settings["data"]
    if data["encoding"]:
        try:
            codecs.lookup(data["encoding"])
        except LookupError:
            raise StudyError(f"{place('data.encoding')}: unknown encoding {data['encoding']!r}; "
                             "expected e.g. utf-8, utf-8-sig, cp1252 or latin-1") from None
    sep = "\t" if data["sep"] in ("tab", "\\t") else data["sep"]
    if sep and (len(sep) != 1 or sep in "\"'\r\n" or sep.isalnum()):
        raise StudyError(f"{place('data.sep')}: expected one separator character such as ';' ',' '|' or 'tab', "
                         f"got {data['sep']!r}")
    if sep and sep == data["decimal"]:
        raise StudyError(f"{place('data.sep')} and {place('data.decimal')} are both {sep!r}; a decimal mark cannot "
                         "separate columns")
    if data["panel"] and not data["unemployment"]:
        raise StudyError(
            f"{place('data.panel')} needs {place('data.unemployment')} PATH: a CSV or Parquet table with columns "
            "county, month, unemployment_pct (county registered unemployment in percent)"
        )
    if data["roles"] and not (data["panel"] or data["unemployment"] or data["schedule"]):
        raise StudyError(
            f"{place('data.roles')} maps the columns of your {place('data.panel')}, {place('data.unemployment')} "
            f"and {place('data.schedule')} files; without them the bundled synthetic panel is used"
        )
    from evalkit.replications.fui.synthetic.published import HORIZONS

    for outcome, effect in settings["data"]["synthetic"]["effects"].items():
        unknown = sorted(set(effect) - set(HORIZONS)) if isinstance(effect, dict) else []
        if unknown:
            raise StudyError(f"{place(f'data.synthetic.effects.{outcome}')}: the synthetic panel has effects at "
                             f"horizons {', '.join(map(str, HORIZONS))}, not {unknown}")
    population = settings["population"]
    bands = age_bands(population["age_groups"], place)
    if population["min_age"] > population["max_age"]:
        raise StudyError(f"{place('population.min_age')} = {population['min_age']} is above "
                         f"{place('population.max_age')} = {population['max_age']}")
    if bands is not None:
        from evalkit.replications.fui.sample import age_band_problem

        problem = age_band_problem(bands, population["min_age"], population["max_age"])
        if problem:
            raise StudyError(f"{place('population.age_groups')}: {problem}; the bands must cover every age from "
                             f"min_age {population['min_age']} to max_age {population['max_age']} once, in "
                             'increasing order, such as ["18-21", "22-25", "26-29"] with min_age = 18')
    windows = settings["design"]["windows"]
    (pre, (_, pre_last)), (post, (post_first, _)) = windows.items()
    if parse_month(post_first) <= parse_month(pre_last):
        raise StudyError(f"{place.table('design.windows')}: the post window {post} must start after the pre window "
                         f"{pre} ends ({post_first} is not after {pre_last})")
    if settings["model"]["entry_month_dummies"]:
        from evalkit.replications.fui.sample import calendar_months

        months = {name: calendar_months(span) for name, span in windows.items()}
        if set(months[pre]) != set(months[post]):
            raise StudyError(
                f"{place('model.entry_month_dummies')}: entry-month dummies (season controls) need windows of the "
                f"same calendar months, but [design.windows] {pre} covers months {sorted(months[pre])} and {post} "
                f"covers {sorted(months[post])}; use windows of the same months or set entry_month_dummies = false"
            )
    from evalkit.replications.fui.sample import MODEL_COLUMNS

    model = settings["model"]
    for key in ("covariates", "fixed_effects"):
        for i, column in enumerate(model[key]):
            if column in MODEL_COLUMNS or (key == "covariates" and data["auxiliary"]):
                continue  # a column of an auxiliary table is checked when the tables are read (load)
            raise StudyError(
                f"{place(f'model.{key}')} item {i + 1}: {column!r} is not a column of the analysis sample; "
                f"the columns available are {list(MODEL_COLUMNS)}"
                + (" or the numeric columns of an auxiliary table of [data.auxiliary]" if key == "covariates" else "")
                + "." + nearest(column, tuple(MODEL_COLUMNS))
            )
    both = [c for c in model["covariates"] if c in model["fixed_effects"]]
    if both:
        raise StudyError(f"{place('model.covariates')} and {place('model.fixed_effects')} both name {both}; "
                         "a column is either a covariate or a fixed effect")
    seasons = [c for c in model["fixed_effects"] if c in ("entry_month", "entry_calendar_month")]
    if seasons and model["entry_month_dummies"]:
        raise StudyError(f"{place('model.fixed_effects')} {seasons} absorb the entry-month dummies; set "
                         f"{place('model.entry_month_dummies')} = false")
    try:
        spec(settings)
    except DesignError as err:  # the checks above name the key of every design the spec refuses
        raise StudyError(f"{place.table('')}: {err}") from err


def age_bands(texts: tuple[str, ...], place: Place) -> tuple[tuple[int, int], ...] | None:
    """``("18-21", "22-25")`` -> ``((18, 21), (22, 25))``; ``()`` (the published bands) -> ``None``."""
    if not texts:
        return None
    bands = []
    for i, text in enumerate(texts):
        low, sep, high = text.partition("-")
        if not (sep and low.strip().isdigit() and high.strip().isdigit()):
            raise StudyError(f"{place('population.age_groups')} item {i + 1}: cannot read {text!r} as an age band; "
                             'expected "lowest-highest" in whole years such as "18-21"')
        bands.append((int(low), int(high)))
    return tuple(bands)


def spec(settings: dict[str, Any], auxiliary: tuple = ()):
    """The :class:`~evalkit.replications.fui.FuiSpec` the settings describe.

    ``auxiliary``: the checked tables of ``[data.auxiliary]``
    (:class:`~evalkit.replications.fui.auxiliary.AuxiliaryTable`); before they are read,
    the covariates only they can hold are left out (:func:`check_auxiliary` checks them).
    """
    from evalkit.replications.fui import FuiSpec
    from evalkit.replications.fui.sample import MODEL_COLUMNS

    outcomes = settings["outcomes"]
    prefix = "ever_" if outcomes["measure"] == "ever" else ""
    return FuiSpec(
        windows=dict(settings["design"]["windows"]),
        horizons=tuple(outcomes["horizons"]),
        washout=settings["population"]["washout"],
        max_age=settings["population"]["max_age"],
        min_age=settings["population"]["min_age"],
        age_groups=age_bands(settings["population"]["age_groups"], Place(None)),
        categories=tuple(settings["population"]["categories"]),
        treated_region=settings["design"]["treated_region"],
        outcomes=tuple(prefix + s for s in outcomes["states"]),
        entry_month_dummies=settings["model"]["entry_month_dummies"],
        covariates=tuple(c for c in settings["model"]["covariates"]
                         if c in MODEL_COLUMNS or any(c in t.columns for t in auxiliary)),
        fixed_effects=tuple(settings["model"]["fixed_effects"]),
        auxiliary=tuple(auxiliary),
    )


def check_auxiliary(settings: dict[str, Any], place: Place, tables: tuple) -> None:
    """Every covariate is a column of the analysis sample or of one auxiliary table (named, with the choices)."""
    from evalkit.replications.fui.sample import MODEL_COLUMNS

    columns = {c: t.name for t in tables for c in t.columns}
    for c, name in columns.items():
        if c in MODEL_COLUMNS:
            raise StudyError(f"{place(f'data.auxiliary.{name}')}: its column {c!r} is named like a column of the "
                             "analysis sample; rename it in the table")
    seen: dict[str, str] = {}
    for t in tables:
        for c in t.columns:
            if c in seen:
                raise StudyError(f"{place(f'data.auxiliary.{t.name}')} and {place(f'data.auxiliary.{seen[c]}')} "
                                 f"both have a column {c!r}; rename one")
            seen[c] = t.name
    for i, column in enumerate(settings["model"]["covariates"]):
        if column not in MODEL_COLUMNS and column not in columns:
            known = (*MODEL_COLUMNS, *columns)
            raise StudyError(
                f"{place('model.covariates')} item {i + 1}: {column!r} is not a column of the analysis sample or of "
                f"the auxiliary tables {[t.name for t in tables]}; the columns available are {list(known)}."
                + nearest(column, tuple(known))
            )


@dataclass(frozen=True)
class Inputs:
    """The data of an entry-cohort study, read and validated."""

    panel: StatusPanel
    unemployment: Any
    schedule: Any
    auxiliary: tuple = ()


def load(settings: dict[str, Any], place: Place) -> Inputs:
    """Read (or simulate) the panel, the unemployment table and the schedule.

    Every file is checked before the first is read; the schedule is checked against the
    windows before the (long) read of the panel.
    """
    from evalkit.cohorts import RolloutSchedule
    from evalkit.panel import read_panel
    from evalkit.replications.fui.sample import check_exposure
    from evalkit.replications.fui.schedule import norway_2017_schedule
    from evalkit.replications.fui.auxiliary import auxiliary_table
    from evalkit.replications.fui.unemployment import check_unemployment, read_table

    data = settings["data"]
    for key in ("panel", "unemployment", "schedule"):
        if data[key]:
            input_file(data[key], place(f"data.{key}"))
    for name, path in data["auxiliary"].items():
        input_file(path, place(f"data.auxiliary.{name}"))
    csv = {k: data[k] for k in ("encoding", "sep", "decimal") if data[k]}
    if "sep" in csv and csv["sep"] in ("tab", "\\t"):
        csv["sep"] = "\t"
    files = [data[k] for k in ("panel", "unemployment", "schedule")] + list(data["auxiliary"].values())
    if csv and not any(f and not f.lower().endswith(PARQUET) for f in files):
        given = ", ".join(place(f"data.{k}") for k in csv)
        raise StudyError(f"{given} apply to CSV inputs ({place('data.panel')}, {place('data.unemployment')}, "
                         f"{place('data.schedule')}), but no CSV file is read")
    fui_spec = spec(settings)
    roles = read_roles(data["roles"], place("data.roles")) if data["roles"] else ColumnRoles()
    # the auxiliary tables are read as text; check_unemployment reads either decimal mark
    options = {k: v for k, v in csv.items() if k != "decimal"}
    schedule = norway_2017_schedule()
    if data["schedule"]:
        where = place("data.schedule")
        with naming_the_file(where, data["schedule"]):
            table = read_table(data["schedule"], **options).reset_index(drop=True)
            mapped = roles.schedule_columns
            schedule = RolloutSchedule.from_frame(
                table, unit=mapped["county"], start=mapped["start_month"], region=mapped["region"]
            )
    regions = sorted(set(schedule.frame["region"]))
    if fui_spec.treated_region not in regions:
        raise StudyError(f"{place('design.treated_region')}: {fui_spec.treated_region!r} is not a region of the "
                         f"rollout schedule; its regions are {regions}")
    # before the panel is read: a long read would be wasted
    if data["schedule"]:
        with naming_the_file(place("data.schedule"), data["schedule"]):
            check_exposure(schedule, fui_spec)
    else:
        try:
            check_exposure(schedule, fui_spec)
        except DesignError as err:
            raise StudyError(f"{place.table('design.windows')} and the bundled Norwegian schedule: {err}") from err
    auxiliary = []
    for name, path in data["auxiliary"].items():
        with naming_the_file(place(f"data.auxiliary.{name}"), path):
            auxiliary.append(auxiliary_table(name, read_table(path, **options)))
    check_auxiliary(settings, place, tuple(auxiliary))
    unemployment = None
    if data["unemployment"]:
        with naming_the_file(place("data.unemployment"), data["unemployment"]):
            unemployment = check_unemployment(
                read_table(data["unemployment"], **options), columns=roles.unemployment_columns
            )
    if data["panel"]:
        panel = load_panel(data["panel"], roles, csv, place("data.panel"))
    else:
        from evalkit.replications.fui.synthetic import simulate_fui_panel

        synthetic = data["synthetic"]
        stage(f"simulating the synthetic panel (scale {synthetic['scale']:g}, seed {synthetic['seed']})")
        icc = {} if synthetic["county_icc"] is None else {"county_icc": synthetic["county_icc"]}
        simulated = simulate_fui_panel(
            scale=synthetic["scale"], seed=synthetic["seed"], effects=dict(synthetic["effects"]) or None,
            age_30_34=synthetic["age_30_34"], **icc
        )
        panel = read_panel(simulated.panel)
        unemployment = simulated.unemployment if unemployment is None else unemployment
    return Inputs(panel=panel, unemployment=unemployment, schedule=schedule, auxiliary=tuple(auxiliary))


def run(settings: dict[str, Any], inputs: Inputs):
    """Run the study: :func:`~evalkit.replications.fui.run_fui` with the study's settings."""
    from evalkit.replications.fui import run_fui

    return run_fui(
        inputs.panel,
        inputs.unemployment,
        schedule=inputs.schedule,
        spec=spec(settings, inputs.auxiliary),
        few_clusters=settings["inference"]["few_clusters"],
        n_boot=settings["inference"]["n_boot"],
        event_study=settings["event_study"]["enabled"],
        event_study_horizons=tuple(settings["event_study"]["horizons"]) or None,
        placebo=settings["placebo"]["enabled"],
        placebo_windows=dict(settings["placebo"]["windows"]),
        triple_diff=settings["triple_diff"]["enabled"],
        compare_published=settings["compare"]["published"],
    )


def _rule(output: Output):
    from evalkit.report.disclosure import DisclosureControl

    return DisclosureControl.off() if output.min_cell is None else DisclosureControl(min_cell=output.min_cell)


def provenance(settings: dict[str, Any], output: Output, source: str | None) -> dict[str, Any]:
    """Inputs (names and sha256 of the files read, or the synthetic panel's settings), seed, options.

    ``options`` holds the run's switches and, under ``study``, the study it came from and
    its settings other than ``[data]`` (which ``inputs`` records).
    """
    from evalkit.replications.fui.results_json import run_provenance
    from evalkit.report.json_contract import file_input

    data = settings["data"]
    roles = (("data", "panel"), ("unemployment", "unemployment"), ("schedule", "schedule"), ("roles", "roles"))
    inputs = [file_input(role, data[key]) for role, key in roles if data[key]]
    inputs += [file_input(f"auxiliary {name}", path) for name, path in data["auxiliary"].items()]
    synthetic = not data["panel"]
    if synthetic:
        simulated = data["synthetic"]
        from evalkit.replications.fui.synthetic.shocks import DEFAULT_COUNTY_ICC

        icc = DEFAULT_COUNTY_ICC if simulated["county_icc"] is None else simulated["county_icc"]
        described = {"scale": simulated["scale"], "seed": simulated["seed"],
                     "effects": {k: str(v) for k, v in simulated["effects"].items()}, "county_icc": icc,
                     "age_30_34": simulated["age_30_34"]}
        inputs.insert(0, {"role": "data", "name": "bundled synthetic panel", "synthetic": described})
    options = {
        "n_boot": settings["inference"]["n_boot"],
        "few_clusters": settings["inference"]["few_clusters"],
        "event_study": settings["event_study"]["enabled"],
        "lang": output.lang,
        "min_cell": output.min_cell,
        "study": {"source": Path(source).name if source else None,
                  "settings": {k: v for k, v in settings.items() if k != "data"}},
    }
    return run_provenance(inputs=inputs, seed=data["synthetic"]["seed"] if synthetic else None, options=options)


def to_text(result, inputs: Inputs, output: Output) -> str:
    """The panel's report and the replication as terminal text."""
    from evalkit.replications.fui import report_text

    from evalkit.report.text import paragraph

    text = report_text.to_text(result, norwegian=output.norwegian, disclosure=_rule(output))
    return f"{paragraph(str(inputs.panel.report))}\n\n{text}\n"


def results_document(result, settings: dict[str, Any], output: Output, source: str | None) -> dict[str, Any]:
    """The results document (:func:`~evalkit.replications.fui.results_json.results_document`)."""
    from evalkit.replications.fui.results_json import results_document

    return results_document(result, disclosure=_rule(output), provenance=provenance(settings, output, source))


def write(result, out: Path, settings: dict[str, Any], output: Output, source: str | None) -> list[Path]:
    """CSV, Markdown, HTML reports and ``results.json`` in ``out``."""
    from evalkit.replications.fui import report

    return report.write(result, out, lang=output.lang, disclosure=_rule(output),
                        provenance=provenance(settings, output, source))

