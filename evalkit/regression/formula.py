"""fixest-style formulas: ``"y ~ x1 + C(group) | fe1 + fe2"``.

The part before ``|`` is a formulaic formula; the part after it lists fixed effects to
absorb, separated by ``+`` (``fe1^fe2`` absorbs the interaction of two columns).  Column
names that are not Python identifiers are quoted with backticks, as in formulaic.

Term names are made readable: formulaic's ``C(age_group)[T.20-24]`` (or
``age_group[T.20-24]`` for a string column) becomes ``age_group: 20-24``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from evalkit.errors import EvalkitError

__all__ = ["ParsedFormula", "parse_formula", "readable_term", "set_reference_levels"]


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into its formulaic part and the fixed effects to absorb.

    Attributes
    ----------
    formula
        The part before ``|`` (outcome ``~`` regressors).
    outcome
        The outcome column.
    fixed_effects
        Fixed-effect terms; each is a tuple of columns (more than one for ``a^b``).
    columns
        Every data column the formula uses.
    """

    formula: str
    outcome: str
    fixed_effects: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...]


def _strip_ticks(name: str) -> str:
    name = name.strip()
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == "`" else name


def parse_formula(formula: str) -> ParsedFormula:
    """Split ``"y ~ rhs | fe1 + fe2^fe3"`` and list the columns it uses.

    Raises
    ------
    EvalkitError
        Without ``~``, with more than one ``|``, with an empty fixed-effect term, or with a
        transformed outcome (write the transformed outcome into a column first).
    """
    if "~" not in formula:
        raise EvalkitError(f"formula {formula!r} has no '~' separating outcome and regressors")
    parts = formula.split("|")
    if len(parts) > 2:
        raise EvalkitError(f"formula {formula!r} has more than one '|'; use 'y ~ x | fe1 + fe2'")
    main = parts[0].strip()
    fes: list[tuple[str, ...]] = []
    if len(parts) == 2:
        for term in parts[1].split("+"):
            cols = tuple(_strip_ticks(c) for c in term.split("^"))
            if not all(cols):
                raise EvalkitError(f"empty fixed-effect term in {parts[1]!r}")
            fes.append(cols)
    from formulaic import Formula  # formulaic loads only when a formula is parsed

    try:
        parsed = Formula(main)
    except Exception as exc:  # formulaic raises several parser error types
        raise EvalkitError(f"cannot parse formula {main!r}: {exc}") from exc
    lhs = sorted(parsed.lhs.required_variables)
    if len(lhs) != 1 or _strip_ticks(main.split("~")[0]) != lhs[0]:
        raise EvalkitError(f"the outcome of {main!r} must be one column, got {main.split('~')[0].strip()!r}")
    columns = [lhs[0], *sorted(parsed.rhs.required_variables)]
    columns += [c for fe in fes for c in fe if c not in columns]
    return ParsedFormula(formula=main, outcome=str(lhs[0]), fixed_effects=tuple(fes), columns=tuple(columns))


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses, brackets, quotes and backticks."""
    out, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _readable_factor(part: str) -> str:
    depth, quote = 0, ""
    for i, ch in enumerate(part):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "[" and depth == 0 and i > 0 and part.endswith("]"):
            var, level = part[:i], part[i + 1 : -1]
            level = level[2:] if level.startswith("T.") else level
            if var.startswith("C(") and var.endswith(")"):
                var = _split_top(var[2:-1], ",")[0]
            return f"{_strip_ticks(var)}: {level}"
    return _strip_ticks(part)


def readable_term(name: str) -> str:
    """``C(age_group)[T.20-24]`` -> ``age_group: 20-24``; interactions keep their ``:``."""
    return ":".join(_readable_factor(p) for p in _split_top(name, ":"))


def set_reference_levels(data: pd.DataFrame, reference: Mapping[str, object]) -> pd.DataFrame:
    """A copy of ``data`` whose columns in ``reference`` are categoricals with that level first.

    Treatment coding then leaves the given level out (it becomes the reference).

    Raises
    ------
    EvalkitError
        For an unknown column or a level that does not occur in the column.
    """
    out = data.copy()
    for col, level in reference.items():
        if col not in out.columns:
            raise EvalkitError(f"reference given for column {col!r}, which is not in the data")
        values = out[col]
        levels = list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else sorted(values.dropna().unique())
        if level not in levels:
            raise EvalkitError(f"reference level {level!r} does not occur in column {col!r}; levels are {levels}")
        ordered = [level] + [v for v in levels if v != level]
        out[col] = pd.Categorical(values, categories=ordered)
    return out
