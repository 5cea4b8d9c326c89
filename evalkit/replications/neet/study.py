"""The ``neet_risk_factors`` study file: its strict schema, reading it and running it.

The bundled file is ``evalkit/replications/neet/neet.toml`` (commented).  Every table and
key below, nothing else; a mistake raises :class:`~evalkit.errors.EvalkitError` naming
the file, the table and the key (and the nearest valid name).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.panel.files import read_data_file
from evalkit.panel.roles import nearest
from evalkit.replications.neet.logit import MODEL_TERMS
from evalkit.replications.neet.run import NeetReplication, run_neet
from evalkit.replications.neet.variables import DEFAULT_COLUMNS

KIND = "neet_risk_factors"

#: table -> key -> (type, check) ; "columns" takes any known role.
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "data": {"monthly": str, "persons": str},
    "synthetic": {"scale": (int, float), "seed": int},
    "definitions": {"reference_month": str, "min_months": int, "max_income_g": (int, float), "g_nok": (int, float)},
    "population": {"areas": list},
    "models": {"fit": list},
}


def bundled_path() -> Path:
    """The bundled study file."""
    return Path(str(resources.files("evalkit.replications.neet").joinpath("neet.toml")))


def read_study(path: str | PathLike[str] | None = None) -> dict[str, Any]:
    """Read and check a ``neet_risk_factors`` study file (the bundled one by default)."""
    source = str(path) if path is not None else str(bundled_path())
    if not Path(source).is_file():
        raise EvalkitError(f"study file {source!r} does not exist (or is not a file)")
    try:
        with open(source, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise EvalkitError(f"study file {source!r} is not valid TOML: {exc}") from None
    return check_study(doc, source=source)


def check_study(doc: Mapping[str, Any], *, source: str = "study") -> dict[str, Any]:
    """Check a parsed study document; return it with its relative data paths resolved."""
    place = f"study file {source!r}"
    if doc.get("kind") != KIND:
        raise EvalkitError(f"{place}: kind must be {KIND!r}, got {doc.get('kind')!r}")
    tables = (*SCHEMA, "columns")
    for table, value in doc.items():
        if table == "kind":
            continue
        if table not in tables:
            raise EvalkitError(f"{place}: unknown table [{table}].{nearest(table, tables)}")
        if not isinstance(value, dict):
            raise EvalkitError(f"{place}: {table} must be a table ([{table}] with keys), got {value!r}")
        known = SCHEMA.get(table, {r: str for r in DEFAULT_COLUMNS})
        for key, item in value.items():
            if key not in known:
                raise EvalkitError(f"{place}, [{table}] {key}: unknown key.{nearest(key, tuple(known))}")
            kind = known[key]
            if isinstance(item, bool) or not isinstance(item, kind):
                names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
                raise EvalkitError(f"{place}, [{table}] {key}: expected {names}, got {item!r}")
    fit = doc.get("models", {}).get("fit", list(MODEL_TERMS))
    bad = [m for m in fit if m not in MODEL_TERMS]
    if bad:
        raise EvalkitError(f"{place}, [models] fit: unknown models {bad}; expected some of {list(MODEL_TERMS)}")
    areas = doc.get("population", {}).get("areas", [])
    if not all(isinstance(a, str) for a in areas) or (areas == [] and "areas" in doc.get("population", {})):
        raise EvalkitError(f"{place}, [population] areas: expected a non-empty list of area names, got {areas!r}")
    data = dict(doc.get("data", {}))
    if bool(data.get("monthly")) != bool(data.get("persons")):
        raise EvalkitError(f"{place}, [data]: give both monthly and persons, or neither (the synthetic population)")
    base = Path(source).parent if source != "study" else Path.cwd()
    for key in ("monthly", "persons"):
        if data.get(key) and not Path(data[key]).is_absolute():
            data[key] = str(base / data[key])
    return {**{t: dict(doc.get(t, {})) for t in tables}, "data": data, "source": source}


def run_study(settings: Mapping[str, Any]) -> NeetReplication:
    """Run a checked study (:func:`check_study`)."""
    data, synth, defs = settings["data"], settings["synthetic"], settings["definitions"]
    options: dict[str, Any] = {
        "columns": settings["columns"] or None,
        **{k: defs[k] for k in ("reference_month", "min_months", "max_income_g", "g_nok") if k in defs},
    }
    if settings["population"].get("areas"):
        options["areas"] = tuple(settings["population"]["areas"])
    if "fit" in settings["models"]:
        options["models"] = tuple(settings["models"]["fit"])
    if data.get("monthly"):
        return run_neet(read_data_file(data["monthly"]), read_data_file(data["persons"]), **options)
    return run_neet(scale=float(synth.get("scale", 0.1)), seed=int(synth.get("seed", 2023)), **options)
