"""Generic pieces of evalkit's JSON results contract (schema ``evalkit.results/1``).

A results document is plain JSON: objects, arrays, strings, finite numbers, booleans and
``null``.  Tables are arrays of *records* (one object per row, every field named, never an
unlabelled pair); a missing or undefined number is ``null``, never a ``NaN`` token, and a
cell withheld by disclosure control is ``null`` with its field named in the record's
``suppressed`` list.  The layout is versioned by the document's ``schema`` field and
described by a JSON Schema (draft 2020-12) shipped in ``evalkit/report/schemas/``.

This module turns public result objects (data frames, result dataclasses, objects with a
``tidy()`` frame) into such values, hashes input files for provenance, writes documents
with reproducible bytes and validates them against the schema.  Application documents
(``evalkit.replications.fui.results_json``) are assembled from these helpers.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import inspect
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError

__all__ = [
    "SCHEMA_ID",
    "SchemaError",
    "clean",
    "dumps",
    "file_input",
    "load_schema",
    "records",
    "to_jsonable",
    "validate",
]

#: The layout version a document names in its ``schema`` field.
SCHEMA_ID = "evalkit.results/1"
_SCHEMA_FILE = "results-v1.json"


class SchemaError(EvalkitError):
    """A results document does not follow the schema (the message lists where and why)."""


def clean(value: Any) -> Any:
    """A JSON value for ``value``: numpy and pandas scalars as Python, NaN and inf as None.

    Mappings and sequences are cleaned recursively (tuples become lists, keys strings);
    dates and periods become ISO strings.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [clean(v) for v in list(value)]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, _dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, PathLike):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to a results document")


def records(frame: pd.DataFrame, *, suppressed: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """One JSON object per row of ``frame`` (the index is dropped unless it is named).

    ``suppressed`` is a boolean frame of the same shape (or a subset of the columns):
    a ``True`` cell is written as ``null`` and its column named in the record's
    ``suppressed`` list.
    """
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
        if suppressed is not None:
            suppressed = suppressed.reset_index(drop=True)
    rows = []
    mask = None if suppressed is None else suppressed.reset_index(drop=True)
    for i, row in enumerate(frame.to_dict(orient="records")):
        out = {str(k): clean(v) for k, v in row.items()}
        if mask is not None:
            hidden = [str(c) for c in mask.columns if bool(mask.iloc[i][c])]
            for column in hidden:
                out[column] = None
            if hidden:
                out["suppressed"] = hidden
        rows.append(out)
    return rows


def to_jsonable(obj: Any) -> Any:
    """A JSON value for a public result object, by its kind.

    Data frames become :func:`records`; results with a ``tidy()`` method (estimation and
    test results) the records of that frame; other dataclasses (e.g. ``FuiEventStudy``) a
    mapping of their fields; mappings and sequences are converted item by item; scalars
    by :func:`clean`.
    """
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, pd.Series):
        return clean(obj.to_dict())
    if _has_tidy(obj):
        return records(obj.tidy())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return clean(obj)


def _has_tidy(obj: Any) -> bool:
    """Whether ``obj`` is a result with a ``tidy()`` frame (a method callable without arguments)."""
    tidy = getattr(obj, "tidy", None)
    if not callable(tidy) or isinstance(obj, type):
        return False
    try:
        params = inspect.signature(tidy).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def file_input(role: str, path: str | PathLike[str]) -> dict[str, Any]:
    """Provenance of one input file: its role, name, size in bytes and sha256 of its content."""
    p = Path(path)
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"role": role, "name": p.name, "bytes": p.stat().st_size, "sha256": digest.hexdigest()}


def dumps(document: Mapping[str, Any]) -> str:
    """The document as JSON text: ``NaN`` refused, keys in insertion order, one trailing newline.

    The same document always gives the same bytes; a run's date lives only in
    ``provenance.created`` (set it to ``None`` for byte-identical reruns).
    """
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``evalkit.results/1`` documents."""
    text = resources.files("evalkit.report").joinpath("schemas", _SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def validate(document: Any) -> None:
    """Check ``document`` against the schema; :class:`SchemaError` lists every problem.

    Each problem names its place as a JSON path (``$.tables.table_8_2[3].p_value``).
    """
    import jsonschema

    if not isinstance(document, Mapping):
        raise SchemaError(f"not an {SCHEMA_ID} results document: expected a JSON object, got {type(document).__name__}")
    if document.get("schema") != SCHEMA_ID:
        raise SchemaError(
            f"not an {SCHEMA_ID} results document: its schema is {document.get('schema')!r} "
            "(write one with 'evalkit fui --json' or 'evalkit fui --out DIR')"
        )
    validator = jsonschema.Draft202012Validator(load_schema())
    problems = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if problems:
        shown = [f"  {_path(e.absolute_path)}: {e.message}" for e in problems[:20]]
        more = [f"  ... and {len(problems) - 20} more"] if len(problems) > 20 else []
        raise SchemaError(
            f"not an {SCHEMA_ID} results document ({len(problems)} problem(s)):\n" + "\n".join(shown + more)
        )


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
