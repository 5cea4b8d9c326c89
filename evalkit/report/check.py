"""Checking a results document against expectations: ``evalkit check`` and ``assert_replicates``.

An expectation file is TOML (layout ``evalkit.expect/1``, docs/reports.md).  Each entry
names one record of the document by its section (``table``) and key fields, and what
must hold for it::

    schema = "evalkit.expect/1"
    study = "fui"

    [[estimate]]                 # within 1 published SE of the published value
    table = "table_8_2"
    term = "fui_effect"
    horizon = 6
    within_published_se = 1

    [[estimate]]                 # within an absolute tolerance (or k SEs given here)
    table = "inference"
    method = "wild"
    outcome = "employed"
    horizon = 6
    value = -0.008
    abs_tol = 0.005              # or: se = 0.012 and within_se = 2

    [[p_value]]
    table = "inference"
    method = "randomization"
    outcome = "in_education"
    horizon = 6
    above = 0.05                 # or: below = 0.05

    [[warning]]
    code = "contamination"
    group = "rest_t2"
    horizon = 3
    present = true               # false: the warning must be absent

    [[value]]                    # any number by its JSON path
    path = "comparison.share_within_2_se"
    min = 0.6                    # and/or max; or equals (with abs_tol)

``table`` is a section of the document (``inference``, ``effects``, ``placebo``,
``sensitivity``, ``contamination``, ``sample_sizes``), a table under ``tables``
(``table_8_2``), or a dotted path (``event_study.estimates``).  Every other key of an
entry that is not a tolerance is a key field the record must match; the entry must match
exactly one record.  Unknown keys are errors that name the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.report.json_contract import validate

__all__ = ["EXPECT_ID", "CheckReport", "Expectation", "ExpectationError", "check_results", "load_expectations"]

#: Layout version of expectation files.
EXPECT_ID = "evalkit.expect/1"

#: Fields that select a record (compared with the record's own field of that name).
KEY_FIELDS = ("outcome", "horizon", "term", "method", "specification", "estimator", "event_time", "group", "row",
              "kind", "m", "step", "model", "area", "measure")
_COMMON = ("name", "table", "field", *KEY_FIELDS)
#: Allowed keys per kind of entry.
ALLOWED: dict[str, tuple[str, ...]] = {
    "estimate": (*_COMMON, "value", "abs_tol", "se", "within_se", "within_published_se"),
    "p_value": (*_COMMON, "below", "above"),
    "warning": ("name", "code", "present", "group", "horizon", "outcome"),
    "value": ("name", "path", "min", "max", "equals", "abs_tol"),
}
_TOP = ("schema", "study", "description", *ALLOWED)
_SECTIONS = ("inference", "effects", "placebo", "sensitivity", "contamination", "sample_sizes", "few_clusters",
             "entries", "warnings")


class ExpectationError(EvalkitError):
    """An expectation file (or mapping) is malformed: unknown key, missing tolerance, bad type."""


@dataclass(frozen=True)
class Expectation:
    """One checked expectation: what it says, whether it held, and why not."""

    kind: str
    label: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_results`: one :class:`Expectation` per entry."""

    results: tuple[Expectation, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[Expectation, ...]:
        """The expectations that did not hold."""
        return tuple(r for r in self.results if not r.passed)

    def summary(self, *, verbose: bool = False) -> str:
        """``N of M expectations hold`` and one line per failure (per expectation with ``verbose``)."""
        shown = self.results if verbose else self.failures
        lines = [f"{'ok  ' if r.passed else 'FAIL'} {r.kind} {r.label}: {r.detail}" for r in shown]
        n_ok = len(self.results) - len(self.failures)
        head = f"{n_ok} of {len(self.results)} expectations hold"
        return "\n".join([head + ("" if self.passed else f"; {len(self.failures)} failed:"), *lines])

    def __str__(self) -> str:
        return self.summary()


def load_expectations(path: str | PathLike[str]) -> dict[str, Any]:
    """Read and check an expectation file (TOML); :class:`ExpectationError` names the problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as err:
        raise ExpectationError(f"--expect {path}: cannot read the file ({err})") from err
    try:
        expect = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExpectationError(f"--expect {path}: not valid TOML ({err})") from err
    try:
        _check_layout(expect)
    except ExpectationError as err:
        raise ExpectationError(f"--expect {path}: {err}") from err
    return expect


def _check_layout(expect: Mapping[str, Any]) -> None:
    unknown = [k for k in expect if k not in _TOP]
    if unknown:
        raise ExpectationError(f"unknown key {unknown[0]!r} at the top level; expected one of {', '.join(_TOP)}")
    if "schema" in expect and expect["schema"] != EXPECT_ID:
        raise ExpectationError(f"schema = {expect['schema']!r}; this evalkit reads {EXPECT_ID!r}")
    if not any(expect.get(kind) for kind in ALLOWED):
        raise ExpectationError("no expectations: add [[estimate]], [[p_value]], [[warning]] or [[value]] entries")
    for kind, allowed in ALLOWED.items():
        entries = expect.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ExpectationError(f"{kind!r} must be an array of tables ([[{kind}]] entries)")
        for i, entry in enumerate(entries, 1):
            where = f"[[{kind}]] entry {i}" + (f" ({entry['name']!r})" if "name" in entry else "")
            bad = [k for k in entry if k not in allowed]
            if bad:
                raise ExpectationError(f"{where}: unknown key {bad[0]!r}; expected one of {', '.join(allowed)}")
            _check_entry(kind, entry, where)


def _number(entry: Mapping[str, Any], key: str, where: str) -> None:
    value = entry.get(key)
    if key in entry and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
        raise ExpectationError(f"{where}: {key} must be a finite number, got {value!r}")


def _check_entry(kind: str, entry: Mapping[str, Any], where: str) -> None:
    for key in ("value", "abs_tol", "se", "within_se", "within_published_se", "below", "above", "min", "max"):
        _number(entry, key, where)
    for key in ("abs_tol", "se", "within_se", "within_published_se"):
        if key in entry and entry[key] < 0:
            raise ExpectationError(f"{where}: {key} must not be negative, got {entry[key]!r}")
    if kind == "estimate":
        if "table" not in entry:
            raise ExpectationError(f"{where}: needs table = ... (e.g. 'table_8_2' or 'inference')")
        modes = [("within_published_se" in entry), ("value" in entry and "abs_tol" in entry),
                 ("value" in entry and "within_se" in entry and "se" in entry)]
        if sum(modes) != 1:
            raise ExpectationError(
                f"{where}: give exactly one tolerance: within_published_se = k; value = x with abs_tol = t; "
                "or value = x with se = s and within_se = k"
            )
    elif kind == "p_value":
        if "table" not in entry:
            raise ExpectationError(f"{where}: needs table = ... (e.g. 'inference')")
        if ("below" in entry) == ("above" in entry):
            raise ExpectationError(f"{where}: give exactly one of below = p or above = p")
    elif kind == "warning":
        if not isinstance(entry.get("code"), str):
            raise ExpectationError(f"{where}: needs code = '...' (a warning code, e.g. 'contamination')")
        if "present" in entry and not isinstance(entry["present"], bool):
            raise ExpectationError(f"{where}: present must be true or false, got {entry['present']!r}")
    elif kind == "value":
        if not isinstance(entry.get("path"), str):
            raise ExpectationError(f"{where}: needs path = '...' (a JSON path such as 'comparison.share_within_2_se')")
        if not any(k in entry for k in ("min", "max", "equals")):
            raise ExpectationError(f"{where}: give min, max or equals")
        if "abs_tol" in entry and "equals" not in entry:
            raise ExpectationError(f"{where}: abs_tol applies to equals")


def check_results(document: Mapping[str, Any], expect: Mapping[str, Any] | str | PathLike[str]) -> CheckReport:
    """Check a results document (``evalkit.results/1``) against expectations.

    Parameters
    ----------
    document
        The parsed ``results.json`` (validated against the schema first:
        :class:`~evalkit.report.json_contract.SchemaError` when it does not follow it).
    expect
        An expectation mapping or the path of an expectation TOML file
        (:class:`ExpectationError` when malformed).

    Returns
    -------
    CheckReport
        ``passed`` is True when every expectation holds; ``summary()`` lists the failures.
    """
    if isinstance(expect, (str, PathLike)):
        expect = load_expectations(expect)
    else:
        _check_layout(expect)
    validate(document)
    results: list[Expectation] = []
    if "study" in expect and expect["study"] != document.get("study"):
        results.append(Expectation("study", repr(expect["study"]), False,
                                   f"the document is of study {document.get('study')!r}"))
    for entry in expect.get("estimate", []):
        results.append(_estimate(document, entry))
    for entry in expect.get("p_value", []):
        results.append(_p_value(document, entry))
    for entry in expect.get("warning", []):
        results.append(_warning(document, entry))
    for entry in expect.get("value", []):
        results.append(_value(document, entry))
    return CheckReport(tuple(results))


# --- finding records --------------------------------------------------------------------------


def _section(document: Mapping[str, Any], table: str) -> tuple[str, Any]:
    """The records of ``table`` and its JSON path."""
    if "." not in table and table not in _SECTIONS and table in document.get("tables", {}):
        return f"tables.{table}", document["tables"][table]
    return table, _resolve(document, table)


def _resolve(document: Any, path: str) -> Any:
    """The value at a dotted JSON path (``a.b[2].c``, ``$`` optional); KeyError names the missing part."""
    node = document
    for part in path.removeprefix("$").removeprefix(".").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part.strip("[]"))
            if not isinstance(node, list) or not -len(node) <= index < len(node):
                raise KeyError(part)
            node = node[index]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise KeyError(part)
    return node


def _keys(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in KEY_FIELDS if k in entry}


def _label(entry: Mapping[str, Any]) -> str:
    if "name" in entry:
        return str(entry["name"])
    keys = ", ".join(f"{k}={v}" for k, v in _keys(entry).items())
    return f"{entry.get('table', '')}[{keys}].{entry.get('field', _default_field(entry))}"


def _default_field(entry: Mapping[str, Any]) -> str:
    return "p_value" if ("below" in entry or "above" in entry) else "estimate"


def _matches(record: Mapping[str, Any], keys: Mapping[str, Any]) -> bool:
    for k, v in keys.items():
        got = record.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and isinstance(got, (int, float)):
            if not math.isclose(got, v, rel_tol=0, abs_tol=1e-12):
                return False
        elif got != v:
            return False
    return True


def _find(document: Mapping[str, Any], entry: Mapping[str, Any]) -> tuple[dict | None, str]:
    """The one record an entry names, or None and why not."""
    try:
        path, rows = _section(document, entry["table"])
    except (KeyError, ValueError):
        return None, f"the document has no section {entry['table']!r}"
    if rows is None:
        return None, f"{entry['table']!r} was not computed in this run (null)"
    if not isinstance(rows, list):
        return None, f"{entry['table']!r} is not a table of records"
    keys = _keys(entry)
    found = [r for r in rows if isinstance(r, Mapping) and _matches(r, keys)]
    if len(found) != 1:
        shown = ", ".join(f"{k}={v!r}" for k, v in keys.items()) or "no keys"
        what = "no record" if not found else f"{len(found)} records (add key fields to pick one)"
        return None, f"{what} of {path} with {shown}"
    return found[0], ""


def _field_value(record: Mapping[str, Any], name: str) -> tuple[float | None, str]:
    if name not in record:
        return None, f"the record has no field {name!r} (fields: {', '.join(record)})"
    value = record[name]
    if value is None:
        why = "suppressed by disclosure control" if name in record.get("suppressed", []) else "not computed"
        return None, f"{name} is null ({why})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"{name} is {value!r}, not a number"
    return float(value), ""


# --- the four kinds --------------------------------------------------------------------------


def _estimate(document: Mapping[str, Any], entry: Mapping[str, Any]) -> Expectation:
    label = _label(entry)
    record, why = _find(document, entry)
    if record is None:
        return Expectation("estimate", label, False, why)
    name = entry.get("field", "estimate")
    got, why = _field_value(record, name)
    if got is None:
        return Expectation("estimate", label, False, why)
    if "within_published_se" in entry:
        target, why_t = _field_value(record, f"published_{name}")
        se, why_s = _field_value(record, "published_std_error")
        if target is None or se is None:
            return Expectation("estimate", label, False, why_t or why_s)
        k = float(entry["within_published_se"])
        gap = abs(got - target) / se if se > 0 else math.inf
        ok = gap <= k
        return Expectation("estimate", label, ok,
                           f"{name} {got:.6g} vs published {target:.6g}: {gap:.2f} published SE "
                           f"({'<=' if ok else '>'} {k:g})")
    target = float(entry["value"])
    if "abs_tol" in entry:
        tol = float(entry["abs_tol"])
        gap = abs(got - target)
        ok = gap <= tol
        return Expectation("estimate", label, ok,
                           f"{name} {got:.6g} vs expected {target:.6g}: |difference| {gap:.3g} "
                           f"({'<=' if ok else '>'} abs_tol {tol:g})")
    se, k = float(entry["se"]), float(entry["within_se"])
    gap = abs(got - target) / se if se > 0 else (0.0 if got == target else math.inf)
    ok = gap <= k
    return Expectation("estimate", label, ok,
                       f"{name} {got:.6g} vs expected {target:.6g}: {gap:.2f} SE of {se:g} ({'<=' if ok else '>'} {k:g})")


def _p_value(document: Mapping[str, Any], entry: Mapping[str, Any]) -> Expectation:
    label = _label(entry)
    record, why = _find(document, entry)
    if record is None:
        return Expectation("p_value", label, False, why)
    name = entry.get("field", "p_value")
    got, why = _field_value(record, name)
    if got is None:
        return Expectation("p_value", label, False, why)
    if "below" in entry:
        bound, ok, side = float(entry["below"]), got < float(entry["below"]), "below"
    else:
        bound, ok, side = float(entry["above"]), got > float(entry["above"]), "above"
    return Expectation("p_value", label, ok, f"{name} {got:.4g} is {'' if ok else 'not '}{side} {bound:g}")


def _warning(document: Mapping[str, Any], entry: Mapping[str, Any]) -> Expectation:
    context = {k: entry[k] for k in ("group", "horizon", "outcome") if k in entry}
    present = entry.get("present", True)
    label = entry.get("name") or (entry["code"] + "".join(f" {k}={v}" for k, v in context.items()))
    found = [w for w in document["warnings"] if w["code"] == entry["code"] and _matches(w, context)]
    if present:
        detail = "present" if found else f"absent (codes in the document: {_codes(document)})"
        return Expectation("warning", label, bool(found), detail)
    detail = "absent" if not found else f"present: {found[0]['message']}"
    return Expectation("warning (absent)", label, not found, detail)


def _codes(document: Mapping[str, Any]) -> str:
    codes = sorted({w["code"] for w in document["warnings"]})
    return ", ".join(codes) or "none"


def _value(document: Mapping[str, Any], entry: Mapping[str, Any]) -> Expectation:
    label = entry.get("name") or entry["path"]
    try:
        got = _resolve(document, entry["path"])
    except (KeyError, ValueError) as err:
        return Expectation("value", label, False, f"the document has no {entry['path']!r} (missing {err})")
    equals = entry.get("equals")
    if "equals" in entry and (isinstance(equals, bool) or not isinstance(equals, (int, float))):
        ok = got == entry["equals"]
        return Expectation("value", label, ok, f"{got!r} {'==' if ok else '!='} {entry['equals']!r}")
    if got is None or isinstance(got, bool) or not isinstance(got, (int, float)):
        return Expectation("value", label, False, f"is {got!r}, not a number")
    problems = []
    if "min" in entry and got < entry["min"]:
        problems.append(f"below min {entry['min']:g}")
    if "max" in entry and got > entry["max"]:
        problems.append(f"above max {entry['max']:g}")
    if "equals" in entry and abs(got - entry["equals"]) > entry.get("abs_tol", 0.0):
        problems.append(f"differs from {entry['equals']:g} by more than {entry.get('abs_tol', 0.0):g}")
    bounds = [f"min {entry['min']:g}" if "min" in entry else "", f"max {entry['max']:g}" if "max" in entry else "",
              f"equals {entry['equals']:g}" if "equals" in entry else ""]
    detail = f"{got:.6g} " + ("; ".join(problems) if problems else "within " + ", ".join(b for b in bounds if b))
    return Expectation("value", label, not problems, detail)
