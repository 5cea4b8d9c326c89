"""The schema of a study file: typed keys with defaults, checked as strictly as a roles file.

A schema is a tree of :class:`Table` objects whose leaves are :class:`Key` objects.  A
table either lists its keys (``[population]`` with ``washout``, ``max_age``, ...) or takes
keys the user names, all of one type (``[design.windows]`` with ``t1``, ``t2``).
:func:`resolve` checks a document (a parsed TOML file with overrides applied) against a
schema and fills the defaults; every mistake -- an unknown table or key, a value of the
wrong type, a number out of range, a name outside its choices -- raises
:class:`~evalkit.errors.StudyError` naming the place (file, table and key, or the command
line option the value came from), what was expected, what was given and the nearest
valid name.

Overrides given as text (``--set outcomes.horizons=1,3,6,12`` on the command line) are
read by :meth:`Key.from_text` according to the key's type, then checked like any other
value; in a study file every value must already have its type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from evalkit.errors import StudyError
from evalkit.panel.months import parse_month
from evalkit.panel.roles import nearest

#: Value types of a key and how they are shown in messages.
TYPES: dict[str, str] = {
    "text": "text in quotes",
    "path": 'a file path in quotes ("" for none)',
    "flag": "true or false",
    "whole": "a whole number",
    "number": "a number",
    "span": 'a window of months "first..last" such as "2016-03..2016-06"',
    "texts": 'a list of names such as ["a", "b"]',
    "wholes": "a list of whole numbers such as [1, 3, 6]",
    "effect": "a number, or a table horizon -> number such as {1 = 0.02, 3 = 0.05}",
}


class Place:
    """Where a value is named in messages: the study file's table and key, or an option."""

    def __init__(self, source: str | None, origins: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.origins = dict(origins or {})

    def table(self, dotted: str) -> str:
        """``study file 'x.toml', [design.windows]``."""
        head = f"study file {self.source!r}" if self.source else "study"
        return f"{head}, [{dotted}]" if dotted else head

    def __call__(self, dotted: str) -> str:
        """``study file 'x.toml', [design.windows] t1`` or the option that set it (``--data``)."""
        if dotted in self.origins:
            return self.origins[dotted]
        table, _, key = dotted.rpartition(".")
        head = f"study file {self.source!r}" if self.source else "study"
        if not table:
            return f"{head}, {key}"
        return f"{head}, [{table}] {key}"


@dataclass(frozen=True)
class Key:
    """One setting of a study file.

    Parameters
    ----------
    type
        One of :data:`TYPES`.
    default
        The value when the key is absent (already of the key's type).
    help
        One line for the template and the reference docs.
    choices
        For ``text`` and ``texts``: the allowed names.
    minimum
        For ``whole``, ``number`` and ``wholes``: the smallest allowed value.
    limits
        For ``number``: ``(low, high)`` inclusive.
    empty_ok
        For ``texts`` and ``wholes``: whether ``[]`` is allowed (it then means "the
        default that the help line names").
    """

    type: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    limits: tuple[float, float] | None = None
    empty_ok: bool = False

    def check(self, value: Any, where: str) -> Any:
        """The value in its canonical form (tuples for lists, ``(first, last)`` for a span)."""
        expected = TYPES[self.type]

        def fail(detail: str = "") -> StudyError:
            return StudyError(f"{where}: expected {detail or expected}, got {value!r}")

        if self.type in ("text", "path"):
            if not isinstance(value, str):
                raise fail()
            if self.choices is not None and value not in self.choices:
                raise fail(f"one of {list(self.choices)}." + nearest(value, self.choices))
            return value
        if self.type == "flag":
            if not isinstance(value, bool):
                raise fail()
            return value
        if self.type == "whole":
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail()
            if self.minimum is not None and value < self.minimum:
                raise fail(f"a whole number of at least {self.minimum:g}")
            return value
        if self.type == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise fail()
            if self.minimum is not None and value < self.minimum:
                raise fail(f"a number of at least {self.minimum:g}")
            if self.limits is not None and not self.limits[0] <= value <= self.limits[1]:
                raise fail(f"a number from {self.limits[0]:g} to {self.limits[1]:g}")
            return float(value)
        if self.type == "span":
            return _span(value, where)
        if self.type in ("texts", "wholes"):
            if not isinstance(value, (list, tuple)) or not (value or self.empty_ok):
                raise fail(expected + " with at least one item")
            item = Key("text" if self.type == "texts" else "whole", None, "", self.choices, self.minimum)
            items = tuple(item.check(v, f"{where} item {i + 1}") for i, v in enumerate(value))
            repeated = sorted({v for v in items if items.count(v) > 1}, key=str)
            if repeated:
                raise StudyError(f"{where}: each item may appear once; {repeated} appear more than once in {list(items)}")
            return items
        if self.type == "effect":
            if isinstance(value, Mapping):
                out = {}
                for h, v in value.items():
                    horizon = Key("whole", None, "", minimum=1).check(_whole_text(h), f"{where} horizon {h!r}")
                    out[horizon] = Key("number", None, "", limits=(-1.0, 1.0)).check(v, f"{where} at horizon {h}")
                if not out:
                    raise fail()
                return out
            return Key("number", None, "", limits=(-1.0, 1.0)).check(value, where)
        raise AssertionError(f"unknown key type {self.type!r}")

    def from_text(self, text: str, where: str) -> Any:
        """Read a value given as text (``--set``) according to the key's type.

        Only overrides are read this way; a study file's values must have their type
        (``washout = "12"`` is an error there).
        """
        if self.type in ("text", "path", "span"):
            return text
        expected = TYPES[self.type]
        words = [w.strip() for w in text.strip().strip("[]").split(",") if w.strip()]
        try:
            if self.type == "flag":
                flags = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
                return flags[text.strip().lower()]
            if self.type == "whole":
                return int(text)
            if self.type == "number":
                return float(text)
            if self.type == "texts":
                return [w.strip("'\"") for w in words]
            if self.type == "wholes":
                return [int(w) for w in words]
            if self.type == "effect":
                if ":" not in text:
                    return float(text)
                pairs = [w.split(":") for w in words]
                if any(len(p) != 2 for p in pairs):
                    raise ValueError
                horizons = [int(h) for h, _ in pairs]
                if len(set(horizons)) != len(horizons):
                    raise ValueError
                return {h: float(v) for h, (_, v) in zip(horizons, pairs)}
        except (KeyError, ValueError):
            raise StudyError(f"{where}: cannot read {text!r} as {expected}") from None
        return text


def _whole_text(value: Any) -> Any:
    """A TOML table's key is text: ``"3"`` -> 3 (anything else is left for the check)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _span(value: Any, where: str) -> tuple[str, str]:
    """``"2016-03..2016-06"`` (or a pair) -> ``("2016-03", "2016-06")``, months checked."""
    expected = TYPES["span"]
    if isinstance(value, str) and ".." in value:
        parts = [p.strip() for p in value.split("..")]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise StudyError(f"{where}: expected {expected}, got {value!r}")
    if len(parts) != 2 or not all(isinstance(p, str) and p for p in parts):
        raise StudyError(f"{where}: expected {expected}, got {value!r}")
    months = []
    for part in parts:
        try:
            months.append(parse_month(part))
        except Exception:
            raise StudyError(f"{where}: cannot read {part!r} as a month; expected {expected}") from None
    if months[0] > months[1]:
        raise StudyError(f"{where}: the window {parts[0]}..{parts[1]} ends before it starts")
    return parts[0], parts[1]


@dataclass(frozen=True)
class Table:
    """A table of a study file: its keys, or (``entries``) keys the user names.

    ``entries`` is the type of every key of a table whose key names are the user's
    (entry windows); ``names`` then restricts them, ``count`` fixes how many there
    must be, and ``default`` is the table's content when it is absent.
    """

    help: str
    keys: dict[str, "Key | Table"] = field(default_factory=dict)
    entries: Key | None = None
    names: tuple[str, ...] | None = None
    count: int | None = None
    default: dict[str, Any] = field(default_factory=dict)


#: A cross-key check of resolved settings: raises StudyError naming the keys.
Check = Callable[[dict[str, Any], Place], None]


def resolve(doc: Mapping[str, Any], table: Table, place: Place, prefix: str = "") -> dict[str, Any]:
    """Check ``doc`` against ``table`` and fill the defaults (a new nested dict)."""
    if not isinstance(doc, Mapping):
        raise StudyError(f"{place(prefix)}: expected a table ([{prefix}] with keys), got {doc!r}")
    if table.entries is not None:
        return _resolve_entries(doc, table, place, prefix)
    out: dict[str, Any] = {}
    for name in doc:
        if name not in table.keys:
            kind = "table" if isinstance(doc[name], Mapping) else "key"
            raise StudyError(f"{place.table(prefix)}: unknown {kind} {name!r}." + nearest(name, tuple(table.keys)))
    for name, spec in table.keys.items():
        dotted = f"{prefix}.{name}" if prefix else name
        if isinstance(spec, Table):
            out[name] = resolve(doc.get(name, {} if spec.entries is None else spec.default), spec, place, dotted)
        elif name in doc:
            if isinstance(doc[name], Mapping) and spec.type != "effect":
                raise StudyError(f"{place(dotted)}: expected {TYPES[spec.type]}, got a table")
            out[name] = spec.check(doc[name], place(dotted))
        else:
            out[name] = spec.default
    return out


def _resolve_entries(doc: Mapping[str, Any], table: Table, place: Place, prefix: str) -> dict[str, Any]:
    assert table.entries is not None
    out = {}
    for name, value in doc.items():
        dotted = f"{prefix}.{name}"
        if table.names is not None and name not in table.names:
            raise StudyError(f"{place(dotted)}: unknown name {name!r}; expected one of {list(table.names)}."
                             + nearest(name, table.names))
        out[name] = table.entries.check(value, place(dotted))
    if table.count is not None and len(out) != table.count:
        raise StudyError(
            f"{place.table(prefix)}: expected exactly {table.count} entries "
            f"(name = {TYPES[table.entries.type]}), got {len(out)}: {list(out)}"
        )
    return out


def lookup(table: Table, dotted: str) -> tuple[Key | Table, list[str]]:
    """The schema element a dotted key names (a user-named entry: the entries' type) and its parts."""
    parts = dotted.split(".")
    node: Key | Table = table
    for i, part in enumerate(parts):
        if not isinstance(node, Table):
            raise StudyError(f"cannot set {dotted!r}: {'.'.join(parts[:i])} is a value, not a table")
        if node.entries is not None:
            if i != len(parts) - 1:
                raise StudyError(f"cannot set {dotted!r}: [{'.'.join(parts[:i])}] holds values, not tables")
            if node.names is not None and part not in node.names:
                raise StudyError(f"cannot set {dotted!r}: expected one of {list(node.names)}." + nearest(part, node.names))
            return node.entries, parts
        if part not in node.keys:
            where = f"[{'.'.join(parts[:i])}]" if i else "the top level"
            raise StudyError(f"cannot set {dotted!r}: no key {part!r} in {where}." + nearest(part, tuple(node.keys)))
        node = node.keys[part]
    return node, parts
