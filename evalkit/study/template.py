"""``evalkit init-study``: a commented study file of every key at its default.

The template is written from the kind's schema (:mod:`evalkit.study.kinds`), so it names
every key the schema knows, with its help line, and loads as a valid study.
"""

from __future__ import annotations

from typing import Any

from evalkit.study.kinds import KINDS
from evalkit.study.schema import Key, Table


def toml_value(value: Any, key: Key) -> str:
    """A default as TOML text (a span as ``"first..last"``)."""
    if key.type == "span":
        return f'"{value[0]}..{value[1]}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v, key) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _lines(table: Table, prefix: str) -> list[str]:
    out: list[str] = []
    if prefix:
        out += ["", f"# {table.help}", f"[{prefix}]"]
    if table.entries is not None:
        for name, value in table.default.items():
            out.append(f"{name} = {toml_value(value, table.entries)}")
        if not table.default and table.names:
            out.append(f"# {table.names[0]} = ...   ({', '.join(table.names)})")
        elif not table.default:  # names of the user's choice, e.g. auxiliary tables
            example = '"PATH"' if table.entries.type == "path" else "..."
            out.append(f"# name = {example}   (one line per entry, each with a name of your choice)")
        return out
    for name, spec in table.keys.items():
        if isinstance(spec, Key):
            out.append(f"# {spec.help}" + (f" (one of {', '.join(map(repr, spec.choices))})" if spec.choices else ""))
            # a key without a default is left out (TOML has no "not set"); the help says what that means
            out.append(f"# {name} = ..." if spec.default is None else f"{name} = {toml_value(spec.default, spec)}")
    for name, spec in table.keys.items():
        if isinstance(spec, Table):
            out += _lines(spec, f"{prefix}.{name}" if prefix else name)
    return out


def template(kind: str = "entry_cohort_did") -> str:
    """The commented study file of ``kind`` with every key at its default."""
    schema = KINDS[kind].schema
    head = [
        f"# An evalkit study file ({schema.help})",
        "# Run it with `evalkit run THIS_FILE.toml`; change any key on the command line with",
        "# `--set table.key=value`. docs/studies.md describes every key.",
        "",
    ]
    body = _lines(schema, "")
    body = [f'kind = "{kind}"' if line.startswith("kind = ") else line for line in body]
    return "\n".join(head + body) + "\n"
