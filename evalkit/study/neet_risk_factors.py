"""The ``neet_risk_factors`` study: long-term NEET among 15-29 year olds and its risk factors.

A population observed at a reference month: NEET and long-term NEET (a NEET spell of at
least ``min_months`` months, income below ``max_income_g`` G) from monthly histories,
their shares by area, gender and immigrant status, and the logit models of the note
(docs/neet.md).  It runs :func:`~evalkit.replications.neet.run_neet` and returns its
:class:`~evalkit.replications.neet.NeetReplication`.  The bundled study is
``evalkit/replications/neet/neet.toml`` (``evalkit run neet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import StudyError
from evalkit.panel.months import parse_month
from evalkit.replications.neet.logit import MODEL_TERMS
from evalkit.replications.neet.published import AREAS
from evalkit.replications.neet.synthetic.generate import DEFAULT_SCALE, G_NOK
from evalkit.replications.neet.variables import DEFAULT_COLUMNS
from evalkit.study.inputs import input_file, naming_the_file
from evalkit.study.kinds import StudyKind
from evalkit.study.output import Output
from evalkit.study.schema import Key, Place, Table

SCHEMA = Table(
    "A population observed at a reference month: long-term NEET and its risk factors (logit).",
    keys={
        "kind": Key("text", "neet_risk_factors", "what the study is: neet_risk_factors (shares of NEET and "
                    "long-term NEET, and the logit of long-term NEET on its risk factors)"),
        "title": Key("text", "", "a title for the study (for the reader of the file)"),
        "data": Table(
            "A register extract (CSV or Parquet); both empty: the synthetic population. Relative paths are "
            "relative to the study file.",
            keys={
                "monthly": Key("path", "", "monthly histories: one row per person and month"),
                "persons": Key("path", "", "person attributes: one row per person"),
            },
        ),
        "synthetic": Table(
            "The synthetic population used without an extract.",
            keys={
                "scale": Key("number", DEFAULT_SCALE, "size (1 = about one million persons aged 15-29)",
                             minimum=1e-4),
                "seed": Key("whole", 2023, "random seed", minimum=0),
            },
        ),
        "definitions": Table(
            "The note's definitions.",
            keys={
                "reference_month": Key("text", "2023-12", "the status month (e.g. \"2023-12\")"),
                "min_months": Key("whole", 24, "long-term: a NEET spell of at least this many months", minimum=1),
                "max_income_g": Key("number", 0.25, "... and income below this share of G", minimum=0.0),
                "g_nok": Key("number", float(G_NOK), "G in NOK (household income bands of 2 G and 4 G)",
                             minimum=1.0),
            },
        ),
        "population": Table(
            "Who is in the logit sample.",
            keys={"areas": Key("texts", AREAS, "areas (values of the area column) of the logit sample")},
        ),
        "models": Table(
            "The logit models.",
            keys={"fit": Key("texts", tuple(MODEL_TERMS), "which models to fit (model_1 always is)",
                             choices=tuple(MODEL_TERMS))},
        ),
        "columns": Table(
            "role = \"your column\" for an extract with other column names",
            entries=Key("text", None, "your column"),
            names=tuple(DEFAULT_COLUMNS),
        ),
    },
)


def check(settings: dict[str, Any], place: Place) -> None:
    """Cross-key checks before any data are read."""
    data = settings["data"]
    if bool(data["monthly"]) != bool(data["persons"]):
        raise StudyError(f"{place('data.monthly')} and {place('data.persons')}: give both (a register extract) or "
                         "neither (the synthetic population)")
    try:
        parse_month(settings["definitions"]["reference_month"])
    except Exception:
        raise StudyError(f"{place('definitions.reference_month')}: cannot read "
                         f"{settings['definitions']['reference_month']!r} as a month; expected e.g. \"2023-12\"") from None


@dataclass(frozen=True)
class Inputs:
    """The extract, read (``None`` for the synthetic population, made by the run)."""

    monthly: pd.DataFrame | None
    persons: pd.DataFrame | None


def load(settings: dict[str, Any], place: Place) -> Inputs:
    """Read the extract's two files (each checked before the first is read)."""
    from evalkit.panel.files import read_data_file

    data = settings["data"]
    if not data["monthly"]:
        return Inputs(None, None)
    for key in ("monthly", "persons"):
        input_file(data[key], place(f"data.{key}"))
    frames = {}
    for key in ("monthly", "persons"):
        with naming_the_file(place(f"data.{key}"), data[key]):
            frames[key] = read_data_file(data[key])
    return Inputs(frames["monthly"], frames["persons"])


def run(settings: dict[str, Any], inputs: Inputs):
    """Run :func:`~evalkit.replications.neet.run_neet` with the study's settings."""
    from evalkit.replications.neet import run_neet

    defs = settings["definitions"]
    options: dict[str, Any] = {
        "reference_month": defs["reference_month"],
        "min_months": defs["min_months"],
        "max_income_g": defs["max_income_g"],
        "g_nok": defs["g_nok"],
        "columns": dict(settings["columns"]) or None,
        "areas": tuple(settings["population"]["areas"]),
        "models": tuple(settings["models"]["fit"]),
    }
    if inputs.monthly is not None:
        return run_neet(inputs.monthly, inputs.persons, **options)
    return run_neet(scale=settings["synthetic"]["scale"], seed=settings["synthetic"]["seed"], **options)


def _no_labels(output: Output) -> None:
    if output.norwegian:
        raise StudyError("--norwegian labels the FUI regression terms; the neet_risk_factors study has no "
                         "Norwegian labels")


def to_text(result, inputs: Inputs, output: Output) -> str:
    """Tables 2-4 and models 2-4 beside the published numbers."""
    _no_labels(output)
    return f"{result.summary()}\n"


def results_document(result, settings: dict[str, Any], output: Output, source: str | None) -> dict[str, Any]:
    """The tables and every model's terms as one JSON-ready document."""
    from evalkit.report.json_contract import clean

    _no_labels(output)
    return clean({
        "study": "neet",
        "kind": "neet_risk_factors",
        "source": result.source,
        "study_file": Path(source).name if source else None,
        "settings": {k: v for k, v in settings.items() if k != "data"},
        "sample": dict(result.sample),
        "models": result.tidy().to_dict(orient="records"),
        "table_2": result.table_2.reset_index().to_dict(orient="records"),
        "table_3": result.table_3.to_dict(orient="records"),
        "table_4": result.table_4.to_dict(orient="records"),
        "other_models": result.other_models.reset_index().to_dict(orient="records"),
    })


def write(result, out: Path, settings: dict[str, Any], output: Output, source: str | None) -> list[Path]:
    """The tables as CSV and the document as ``results.json`` in ``out``."""
    from evalkit.report.json_contract import dumps

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("table_2", result.table_2), ("table_3", result.table_3), ("table_4", result.table_4),
                        ("other_models", result.other_models), ("models", result.tidy())):
        frame.to_csv(out / f"{name}.csv", index=name in ("table_2", "other_models"))
        written.append(out / f"{name}.csv")
    (out / "results.json").write_text(dumps(results_document(result, settings, output, source)), encoding="utf-8")
    return [*written, out / "results.json"]


KIND = StudyKind(
    name="neet_risk_factors",
    schema=SCHEMA,
    check=check,
    load=load,
    run=run,
    to_text=to_text,
    results_document=results_document,
    write=write,
)
