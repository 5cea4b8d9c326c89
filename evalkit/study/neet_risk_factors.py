"""The ``neet_risk_factors`` study: the long-term NEET risk-factor analysis as data.

The note on 15-29 year olds in Akershus, Buskerud, Østfold and Oslo (docs/neet.md): NEET
and long-term NEET shares by area, gender and immigrant status, and the logit of
long-term NEET on its risk factors (models 1-4), derived from monthly histories and person
attributes.  It runs :func:`~evalkit.replications.neet.run_neet` and returns its
:class:`~evalkit.replications.neet.NeetReplication`.  The bundled study is
``evalkit/data/studies/neet.toml`` (``evalkit run neet``, ``evalkit neet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import StudyError
from evalkit.panel.months import parse_month
from evalkit.progress import stage
from evalkit.study.inputs import input_file, naming_the_file
from evalkit.study.output import Output
from evalkit.study.schema import Key, Place, Table

#: The smallest synthetic population whose smallest area has 200 persons.
MIN_SCALE = 0.005
_AREAS = ("Akershus", "Buskerud", "Østfold", "Oslo")
_MODELS = ("model_1", "model_2", "model_3", "model_4")
_ROLES = (
    "person", "month", "employed", "in_education", "in_programme", "health_benefit", "area", "female",
    "birth_year", "immigrant_category", "started_upper_secondary", "completed_upper_secondary",
    "parents_education", "lives_with_parents", "household_income_nok", "max_wage_income_g", "income_g",
    "child_welfare",
)

SCHEMA = Table(
    "The long-term NEET risk-factor analysis of 15-29 year olds (monthly histories and person attributes).",
    keys={
        "kind": Key("text", "neet_risk_factors", "what the study is: neet_risk_factors (NEET shares and the logit "
                    "of long-term NEET on its risk factors)"),
        "title": Key("text", "", "a title for the study (for the reader of the file)"),
        "data": Table(
            "Where the data come from. Relative paths are relative to the study file.",
            keys={
                "monthly": Key("path", "", 'monthly histories, one row per person and month (CSV or Parquet); '
                               '"" = the synthetic population of [data.synthetic]'),
                "persons": Key("path", "", "person attributes, one row per person (CSV or Parquet); needed with monthly"),
                "synthetic": Table(
                    'The synthetic population used when monthly is "".',
                    keys={
                        "scale": Key("number", 0.1, f"size (1 = about one million persons; at least {MIN_SCALE:g})",
                                     minimum=MIN_SCALE),
                        "seed": Key("whole", 2023, "random seed of the synthetic population", minimum=0),
                    },
                ),
            },
        ),
        "definitions": Table(
            "The note's definitions.",
            keys={
                "reference_month": Key("text", "2023-12", "the month of the status (the note's neet2023)"),
                "min_months": Key("whole", 24, "long-term: a NEET spell of at least this many months", minimum=1),
                "max_income_g": Key("number", 0.25, "... and an income below this many G", minimum=0.0),
                "g_nok": Key("number", 111_477.0, "the basic amount G in NOK (household income bands 2 G, 4 G)",
                             minimum=1.0),
            },
        ),
        "population": Table(
            "Who is in the logit sample (persons living with a parent in these areas).",
            keys={"areas": Key("texts", _AREAS, "areas (values of the area column) of the logit sample")},
        ),
        "models": Table(
            "Which models to fit (model 1 is always fitted).",
            keys={"fit": Key("texts", _MODELS, "models: model_1 (table 2), model_2 (+ barnevern), model_3 and "
                             "model_4 (models 1-2 without health-benefit receivers)", choices=_MODELS)},
        ),
        "columns": Table(
            "Your column names: role = \"your column\" (roles not named keep the synthetic population's names).",
            entries=Key("text", None, "your column name"),
            names=_ROLES,
        ),
    },
)


def check(settings: dict[str, Any], place: Place) -> None:
    """Cross-key checks before any data are read."""
    data = settings["data"]
    if bool(data["monthly"]) != bool(data["persons"]):
        raise StudyError(f"{place('data.monthly')} and {place('data.persons')}: give both (a register extract), "
                         "or neither (the synthetic population)")
    try:
        parse_month(settings["definitions"]["reference_month"])
    except ValueError as exc:
        raise StudyError(f"{place('definitions.reference_month')}: {exc}") from None


@dataclass(frozen=True)
class Inputs:
    """The data of a NEET study: an extract's two tables, or the synthetic population."""

    monthly: pd.DataFrame | None
    persons: pd.DataFrame | None
    synthetic: Any = None


def load(settings: dict[str, Any], place: Place) -> Inputs:
    """Read both tables (every file checked before the first is read), or simulate."""
    from evalkit.panel.files import read_data_file

    data = settings["data"]
    if not data["monthly"]:
        from evalkit.replications.neet.synthetic import simulate_neet_population

        synthetic = data["synthetic"]
        stage(f"simulating the synthetic NEET population (scale {synthetic['scale']:g}, seed {synthetic['seed']})")
        with naming_the_file(place.table("data.synthetic"), ""):
            return Inputs(None, None, simulate_neet_population(scale=synthetic["scale"], seed=synthetic["seed"]))
    for key in ("monthly", "persons"):
        input_file(data[key], place(f"data.{key}"))
    tables = {}
    for key in ("monthly", "persons"):
        stage(f"reading {data[key]}")
        with naming_the_file(place(f"data.{key}"), data[key]):
            tables[key] = read_data_file(data[key])
    return Inputs(tables["monthly"], tables["persons"])


def run(settings: dict[str, Any], inputs: Inputs):
    """Run :func:`~evalkit.replications.neet.run_neet` with the study's settings."""
    from evalkit.replications.neet import run_neet

    definitions = settings["definitions"]
    options = {
        "reference_month": definitions["reference_month"],
        "min_months": definitions["min_months"],
        "max_income_g": definitions["max_income_g"],
        "g_nok": definitions["g_nok"],
        "columns": dict(settings["columns"]) or None,
        "areas": tuple(settings["population"]["areas"]),
        "models": tuple(settings["models"]["fit"]),
    }
    stage("running the long-term NEET analysis")
    if inputs.synthetic is not None:
        return run_neet(data=inputs.synthetic, **options)
    return run_neet(inputs.monthly, inputs.persons, **options)


def _rule(output: Output):
    from evalkit.report.disclosure import DisclosureControl

    return DisclosureControl.off() if output.min_cell is None else DisclosureControl(min_cell=output.min_cell)


def to_text(result, inputs: Inputs, output: Output) -> str:
    """Tables 2-4 and models 2-4 beside the published numbers."""
    return f"{result.summary(disclosure=_rule(output))}\n"


def _provenance(settings: dict[str, Any], output: Output, source: str | None) -> dict[str, Any]:
    from evalkit.replications.fui.results_json import run_provenance
    from evalkit.report.json_contract import file_input

    data = settings["data"]
    if data["monthly"]:
        inputs = [file_input(role, data[role]) for role in ("monthly", "persons")]
        seed = None
    else:
        inputs = [{"role": "data", "name": "bundled synthetic NEET population", "synthetic": dict(data["synthetic"])}]
        seed = data["synthetic"]["seed"]
    options = {"study": {"source": Path(source).name if source else None,
                         "settings": {k: v for k, v in settings.items() if k != "data"}}}
    return run_provenance(inputs=inputs, seed=seed, options=options)


def results_document(result, settings: dict[str, Any], output: Output, source: str | None) -> dict[str, Any]:
    """The results document (``evalkit.results/1``): every table beside the published numbers,
    all models, the sample, and the disclosure rule in its provenance.

    ``evalkit check`` and :func:`~evalkit.testing.assert_replicates` check it against
    expectations (the bundled ones: ``evalkit/replications/neet/expect.toml``).
    """
    from evalkit.report.json_contract import SCHEMA_ID, clean, records

    provenance = _provenance(settings, output, source)
    rule = _rule(output)
    provenance["disclosure"] = rule.provenance()
    tables, sample, hide_models = _tables_and_sample(result, rule)
    return {
        "schema": SCHEMA_ID,
        "study": "neet_risk_factors",
        "title": settings["title"] or "Long-term NEET risk factors",
        "provenance": provenance,
        "warnings": [],
        "source": result.source,
        "tables": tables,
        "models": records(result.tidy(), suppressed=_all_hidden(result.tidy(), hide_models, ("model", "term"))),
        "sample": clean(sample),
    }


def _all_hidden(frame, hidden: bool, keep: tuple[str, ...] = ()):
    """A mask hiding every column of ``frame`` but ``keep`` (and those naming a published value) when ``hidden``."""
    import pandas as pd

    columns = [c for c in frame.columns if c not in keep and not str(c).startswith("published")]
    return pd.DataFrame(hidden, index=frame.index, columns=columns)


def _tables_and_sample(result, rule) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Tables 2-4 and models 2-4 as JSON records under the disclosure rule, the sample's counts."""
    from evalkit.replications.neet import disclosed
    from evalkit.report.json_contract import records

    hide_models = disclosed.models(int(result.sample["in_sample"]), rule)
    table_2 = result.table_2.reset_index()
    tables = {"table_2": records(table_2, suppressed=_all_hidden(table_2, hide_models, ("model", "term", "tolerance")))}
    for name, (table, mask) in result.disclosed_shares(rule).items():
        tables[name] = records(table, suppressed=mask)
    others = result.other_models
    tables["other_models"] = records(others, suppressed=_all_hidden(others, hide_models, ("model", "term")))
    sample = {k: (None if v == rule.marker else v) for k, v in disclosed.sample(dict(result.sample), rule).items()}
    return tables, sample, hide_models


def write(result, out: Path, settings: dict[str, Any], output: Output, source: str | None) -> list[Path]:
    """CSV files of the tables and models, the text summary and ``results.json`` in ``out``."""
    from evalkit.report.json_contract import dumps

    out.mkdir(parents=True, exist_ok=True)
    rule = _rule(output)
    shown = {}
    for name, (table, mask) in result.disclosed_shares(rule).items():
        shown[name] = table.astype(object).mask(mask, rule.marker)
    hide_models = rule.too_few(int(result.sample["in_sample"]))
    models = [result.table_2.reset_index(), result.other_models, result.tidy()]
    if hide_models:
        models = [m.astype(object).mask(_all_hidden(m, True, ("model", "term")).reindex(columns=m.columns,
                                                                                         fill_value=False),
                                        rule.marker) for m in models]
    frames = {
        "table_2.csv": models[0], "table_3.csv": shown["table_3"],
        "table_4.csv": shown["table_4"], "other_models.csv": models[1], "models.csv": models[2],
    }
    paths = []
    for name, frame in frames.items():
        frame.to_csv(out / name, index=False)
        paths.append(out / name)
    (out / "summary.txt").write_text(str(result.summary(disclosure=rule)) + "\n", encoding="utf-8")
    (out / "results.json").write_text(dumps(results_document(result, settings, output, source)), encoding="utf-8")
    return paths + [out / "summary.txt", out / "results.json"]
