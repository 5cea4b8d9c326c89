"""The dispatch table of study kinds: ``kind = "..."`` in a study file -> how it is run.

Each kind is a module of :mod:`evalkit.study` with a module attribute ``KIND`` (a
:class:`StudyKind`): its schema (the tables and keys its files may have), a cross-key
check run before any data are read, a loader of its data, a runner returning the kind's
result object, and renderers of that result (terminal text, results document, report
files).  The modules load on first use, so reading the command line loads no application.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.study.output import Output
from evalkit.study.schema import Place, Table


@dataclass(frozen=True)
class StudyKind:
    """How one kind of study is checked, loaded, run and shown.

    Attributes
    ----------
    name
        The value of ``kind`` in the study file.
    schema
        The tables and keys of its files, with defaults.
    check
        ``check(settings, place)``: cross-key checks, raising StudyError naming the keys.
    load
        ``load(settings, place) -> inputs``: read and validate the data.
    run
        ``run(settings, inputs) -> result``.
    to_text, results_document, write
        ``to_text(result, inputs, output) -> str`` (what ``evalkit run`` prints),
        ``results_document(result, settings, output, source) -> dict`` (the document
        that ``--json`` prints and ``--check`` checks), ``write(result, out_dir,
        settings, output, source) -> [paths]``; ``output`` is an
        :class:`~evalkit.study.output.Output`.
    """

    name: str
    schema: Table
    check: Callable[[dict[str, Any], Place], None]
    load: Callable[[dict[str, Any], Place], Any]
    run: Callable[[dict[str, Any], Any], Any]
    to_text: Callable[[Any, Any, Output], str]
    results_document: Callable[[Any, dict[str, Any], Output, str | None], dict[str, Any]]
    write: Callable[[Any, Path, dict[str, Any], Output, str | None], list[Path]]


#: Every kind of study evalkit runs: the name a study file gives in ``kind`` -> its module.
KINDS: dict[str, str] = {
    "entry_cohort_did": "evalkit.study.entry_cohort",
    "neet_risk_factors": "evalkit.study.neet_risk_factors",
}

#: The bundled studies (``evalkit run NAME``): name -> (package, file), shipped with their application.
BUNDLED: dict[str, tuple[str, str]] = {
    "fui": ("evalkit.replications.fui", "fui.toml"),
    "neet": ("evalkit.replications.neet", "neet.toml"),
}


def study_kind(name: str) -> StudyKind:
    """The :class:`StudyKind` of ``kind = name`` (which must be a key of :data:`KINDS`)."""
    return importlib.import_module(KINDS[name]).KIND
