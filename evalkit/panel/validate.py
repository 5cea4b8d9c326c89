"""Validation of a monthly status panel.

Each check either passes or raises :class:`~evalkit.errors.PanelValidationError` with the
column, the number of offending rows and a few example rows, so that the user knows what
to fix.  Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.errors import PanelValidationError

_EXAMPLES = 5


def examples(frame: pd.DataFrame, mask: pd.Series, columns: Iterable[str]) -> str:
    """A few offending rows, printed with their row labels."""
    cols = [c for c in columns if c in frame.columns]
    return frame.loc[mask, cols].head(_EXAMPLES).to_string()


def require_columns(frame: pd.DataFrame, wanted: dict[str, str]) -> None:
    """Raise when a role's column is missing, listing what the panel has."""
    missing = {role: col for role, col in wanted.items() if col not in frame.columns}
    if missing:
        listed = ", ".join(f"{col!r} (role {role})" for role, col in missing.items())
        raise PanelValidationError(
            f"the panel lacks required column(s) {listed}; it has columns "
            f"{list(frame.columns)}. Map your column names onto roles with ColumnRoles "
            "(or a [columns] table in a TOML file), or set an optional role to None."
        )


def check_no_missing(frame: pd.DataFrame, column: str, *, label: str, mask: pd.Series | None = None) -> None:
    """Raise when ``column`` is missing in rows where it is required."""
    bad = frame[column].isna()
    if mask is not None:
        bad &= mask
    if bad.any():
        raise PanelValidationError(
            f"column {column!r} ({label}) is missing in {int(bad.sum())} row(s) where a value "
            f"is required; examples:\n{examples(frame, bad, frame.columns[:6])}"
        )


def check_parsed(raw: pd.Series, parsed: pd.Series, column: str, *, what: str) -> None:
    """Raise when values were present but could not be parsed."""
    bad = raw.notna() & parsed.isna()
    if bad.any():
        sample = raw[bad].astype(str).unique()[:_EXAMPLES].tolist()
        raise PanelValidationError(
            f"column {column!r}: {int(bad.sum())} value(s) cannot be read as {what}, e.g. "
            f"{sample} (rows {raw.index[bad][:_EXAMPLES].tolist()}); expected months such as "
            "'2016-03', '2016-03-01', 201603 or a pandas Period/datetime"
        )


def check_binary(frame: pd.DataFrame, column: str, *, allow_missing: bool = False) -> pd.Series:
    """The column as int8 0/1; raise naming the rows when another value occurs."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = ~values.isin([0, 1])
    if allow_missing:
        bad &= frame[column].notna()
    if bad.any():
        found = frame.loc[bad, column].astype(str).value_counts().head(_EXAMPLES).to_dict()
        raise PanelValidationError(
            f"column {column!r} must be 0/1{' or missing' if allow_missing else ''}; "
            f"{int(bad.sum())} row(s) hold other values {found}; examples:\n"
            f"{examples(frame, bad, frame.columns[:6])}"
        )
    return values.astype("Float64" if allow_missing else "int8")


def _normalise_code(value: object, mapping: dict[str, str], folded: dict[str, str]) -> str:
    text = str(value)
    text = mapping.get(text, folded.get(text.strip().lower(), text))
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def check_codes(
    frame: pd.DataFrame, column: str, mapping: dict[str, str], allowed: tuple[str, ...], *, what: str
) -> pd.Series:
    """Map the user's codes onto evalkit's vocabulary; raise on unknown codes.

    Each distinct code is translated once: first through ``mapping`` (exactly, then
    case-insensitively), then matched case-insensitively against ``allowed`` with spaces
    and hyphens read as underscores.  Missing values stay missing.
    """
    raw = frame[column]
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    folded = {str(k).strip().lower(): v for k, v in mapping.items()}
    translated = [_normalise_code(u, mapping, folded) for u in uniques]
    position = {level: i for i, level in enumerate(allowed)}
    lookup = np.array([position.get(t, -2) for t in translated] + [-1], dtype=np.int64)
    new_codes = lookup[codes]  # code -1 (missing) indexes the trailing -1
    unknown = new_codes == -2
    if unknown.any():
        counts = raw[unknown].astype(str).value_counts().head(10).to_dict()
        raise PanelValidationError(
            f"column {column!r} holds {int(unknown.sum())} value(s) that are not known {what}: "
            f"{counts}; expected one of {list(allowed)} or missing. Map your codes with the "
            f"ColumnRoles mapping (e.g. a [categories] table in the TOML file)."
        )
    return pd.Series(
        pd.Categorical.from_codes(new_codes, categories=list(allowed)), index=frame.index, name=column
    )


def check_duplicates(frame: pd.DataFrame, person: str, month: str) -> None:
    """Raise when a person has two rows for one month."""
    dup = frame.duplicated([person, month], keep=False)
    if dup.any():
        n_pairs = int(frame.loc[dup, [person, month]].drop_duplicates().shape[0])
        raise PanelValidationError(
            f"{int(dup.sum())} row(s) form {n_pairs} duplicate person-month(s) in columns "
            f"({person!r}, {month!r}); each person must have at most one row per month. "
            f"Examples:\n{examples(frame, dup, frame.columns[:6])}"
        )


def check_constant_within(frame: pd.DataFrame, person: str, column: str) -> None:
    """Raise when a person attribute that must be fixed changes within a person."""
    varying = frame.groupby(person, observed=True, sort=False)[column].nunique(dropna=False) > 1
    if varying.any():
        ids = varying.index[varying.to_numpy()]
        mask = frame[person].isin(ids[:_EXAMPLES])
        raise PanelValidationError(
            f"column {column!r} must be constant within a person but changes for "
            f"{len(ids)} person(s), e.g. {ids[:_EXAMPLES].tolist()}:\n"
            f"{examples(frame, mask, [person, column])}"
        )
