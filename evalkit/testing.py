"""pytest helpers for studies that replicate published results.

    from evalkit.testing import assert_replicates

    def test_fui_replicates(fui_results):
        assert_replicates(fui_results, "tests/fui_expect.toml")

``results`` is a results document (``evalkit.results/1``, the parsed ``results.json``),
the path of a ``results.json`` file, a :class:`~evalkit.replications.fui.run.FuiReplication`
(converted with :func:`~evalkit.replications.fui.results_json.results_document`) or a
:class:`~evalkit.replications.neet.run.NeetReplication` (converted as the bundled ``neet``
study's ``--json`` does, with its default disclosure rule).  The
expectations are those of ``evalkit check`` (:mod:`evalkit.report.check`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit.report.check import CheckReport, check_results

__all__ = ["assert_replicates"]


def _document(results: Any) -> Mapping[str, Any]:
    if isinstance(results, Mapping):
        return results
    if isinstance(results, (str, PathLike)):
        return json.loads(Path(results).read_text(encoding="utf-8"))
    from evalkit.replications.fui.results_json import results_document
    from evalkit.replications.fui.run import FuiReplication
    from evalkit.replications.neet.run import NeetReplication

    if isinstance(results, FuiReplication):
        return json.loads(json.dumps(results_document(results)))
    if isinstance(results, NeetReplication):
        from evalkit.study import Study

        return json.loads(json.dumps(Study.from_toml("neet").results_document(results)))
    raise TypeError(
        f"assert_replicates needs a results document, the path of a results.json, a FuiReplication or a "
        f"NeetReplication; got {type(results).__name__}"
    )


def assert_replicates(results: Any, expect: Mapping[str, Any] | str | PathLike[str]) -> CheckReport:
    """Raise AssertionError listing every expectation that fails; return the report otherwise."""
    report = check_results(_document(results), expect)
    if not report.passed:
        raise AssertionError(report.summary())
    return report
