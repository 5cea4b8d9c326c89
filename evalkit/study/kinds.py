"""The dispatch table of study kinds: ``kind = "..."`` in a study file -> how it is run.

Each kind has its own schema (the tables and keys its files may have), a cross-key check
run before any data are read, a loader of its data, a runner returning the kind's result
object, and renderers of that result (terminal text, JSON, report files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.study import entry_cohort, neet_risk_factors
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
        ``results_document(result, settings, output, source) -> dict`` (the results document
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


#: Every kind of study evalkit runs, by the name a study file gives in ``kind``.
KINDS: dict[str, StudyKind] = {
    "entry_cohort_did": StudyKind(
        name="entry_cohort_did",
        schema=entry_cohort.SCHEMA,
        check=entry_cohort.check,
        load=entry_cohort.load,
        run=entry_cohort.run,
        to_text=entry_cohort.to_text,
        results_document=entry_cohort.results_document,
        write=entry_cohort.write,
    ),
    "neet_risk_factors": StudyKind(
        name="neet_risk_factors",
        schema=neet_risk_factors.SCHEMA,
        check=neet_risk_factors.check,
        load=neet_risk_factors.load,
        run=neet_risk_factors.run,
        to_text=neet_risk_factors.to_text,
        results_document=neet_risk_factors.results_document,
        write=neet_risk_factors.write,
    ),
}
