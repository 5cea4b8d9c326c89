"""Validation of a monthly status panel held in memory.

Each check either passes or raises :class:`~evalkit.errors.PanelValidationError` with the
column, the number of offending rows and a few example rows, so that the user knows what
to fix.  Nothing is dropped silently.  Checks that concern a person's rows (duplicates,
attributes constant within a person, gaps) run on arrays sorted by (person, month) as
comparisons of neighbouring rows, which is linear in the number of rows.  The same rules
run as SQL on stored panels (:mod:`evalkit.panel.scan`), with the same messages.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.errors import PanelValidationError

_EXAMPLES = 5
_BINARY_TEXT = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def examples(frame: pd.DataFrame, mask: pd.Series | np.ndarray, columns: Iterable[str]) -> str:
    """A few offending rows, printed with their row labels."""
    cols = [c for c in columns if c in frame.columns]
    return frame.loc[np.asarray(mask), cols].head(_EXAMPLES).to_string()


def require_columns(columns: list[str], wanted: dict[str, str]) -> None:
    """Raise when a role's column is missing, listing what the panel has."""
    missing = {role: col for role, col in wanted.items() if col not in columns}
    if missing:
        listed = ", ".join(f"{col!r} (role {role})" for role, col in missing.items())
        raise PanelValidationError(
            f"the panel lacks required column(s) {listed}; it has columns "
            f"{list(columns)}. Map your column names onto roles with ColumnRoles "
            "(or a [columns] table in a TOML file), or set an optional role to None."
        )


def missing_message(column: str, label: str, n_bad: int, shown: str) -> str:
    return (
        f"column {column!r} ({label}) is missing in {n_bad} row(s) where a value "
        f"is required; examples:\n{shown}"
    )


def check_no_missing(frame: pd.DataFrame, column: str, *, label: str, mask: pd.Series | None = None) -> None:
    """Raise when ``column`` is missing in rows where it is required."""
    bad = frame[column].isna()
    if mask is not None:
        bad &= mask
    if bad.any():
        shown = examples(frame, bad, frame.columns[:6])
        raise PanelValidationError(missing_message(column, label, int(bad.sum()), shown))


def unparsed_message(column: str, what: str, n_bad: int, sample: list[str], where: str) -> str:
    return (
        f"column {column!r}: {n_bad} value(s) cannot be read as {what}, e.g. "
        f"{sample} ({where}); expected months such as "
        "'2016-03', '2016-03-01', 201603 or a pandas Period/datetime"
    )


def check_parsed(raw: pd.Series, parsed: pd.Series, column: str, *, what: str) -> None:
    """Raise when values were present but could not be parsed."""
    bad = raw.notna().to_numpy() & parsed.isna().to_numpy()
    if bad.any():
        sample = raw[bad].astype(str).unique()[:_EXAMPLES].tolist()
        raise PanelValidationError(
            unparsed_message(column, what, int(bad.sum()), sample, f"rows {raw.index[bad][:_EXAMPLES].tolist()}")
        )


def binary_message(column: str, allow_missing: bool, n_bad: int, found: dict[str, int], shown: str) -> str:
    return (
        f"column {column!r} must be 0/1{' or missing' if allow_missing else ''}; "
        f"{n_bad} row(s) hold other values {found}; examples:\n{shown}"
    )


def check_binary(frame: pd.DataFrame, column: str, *, allow_missing: bool = False) -> pd.Series:
    """The column as int8 0/1 (``Float64`` when missing is allowed); raise on other values."""
    raw = frame[column]
    if pd.api.types.is_integer_dtype(raw.dtype) and not isinstance(raw.dtype, pd.api.extensions.ExtensionDtype):
        values = raw.to_numpy()
        if ((values == 0) | (values == 1)).all():
            return pd.Series(values.astype("int8"), index=frame.index, name=column).astype(
                "Float64" if allow_missing else "int8"
            )
    values = pd.to_numeric(raw, errors="coerce")
    bad = ~values.isin([0, 1])
    if allow_missing:
        bad &= raw.notna()
    if bad.any():
        found = raw[bad].astype(str).value_counts().head(_EXAMPLES).to_dict()
        raise PanelValidationError(
            binary_message(column, allow_missing, int(bad.sum()), found, examples(frame, bad, frame.columns[:6]))
        )
    return values.astype("Float64" if allow_missing else "int8")


def binary_value(text: str) -> int | None:
    """0 or 1 for the text of a 0/1 indicator (``"1"``, ``"1.0"``, ``"true"``), else None."""
    return _BINARY_TEXT.get(text.strip().lower())


def normalise_code(value: object, mapping: dict[str, str], folded: dict[str, str]) -> str:
    """The user's code through ``mapping`` (exactly, then case-folded), in snake case."""
    text = str(value)
    text = mapping.get(text, folded.get(text.strip().lower(), text))
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def code_positions(uniques: Iterable[object], mapping: dict[str, str], allowed: tuple[str, ...]) -> list[int]:
    """Position in ``allowed`` of each distinct user code, -2 for an unknown code."""
    folded = {str(k).strip().lower(): v for k, v in mapping.items()}
    position = {level: i for i, level in enumerate(allowed)}
    return [position.get(normalise_code(u, mapping, folded), -2) for u in uniques]


def unknown_codes_message(column: str, what: str, n_bad: int, counts: dict[str, int], allowed: tuple[str, ...]) -> str:
    return (
        f"column {column!r} holds {n_bad} value(s) that are not known {what}: "
        f"{counts}; expected one of {list(allowed)} or missing. Map your codes with the "
        f"ColumnRoles mapping (e.g. a [categories] table in the TOML file)."
    )


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
    lookup = np.array(code_positions(uniques, mapping, allowed) + [-1], dtype=np.int64)
    new_codes = lookup[codes]  # code -1 (missing) indexes the trailing -1
    unknown = new_codes == -2
    if unknown.any():
        counts = raw[unknown].astype(str).value_counts().head(10).to_dict()
        raise PanelValidationError(unknown_codes_message(column, what, int(unknown.sum()), counts, allowed))
    return pd.Series(
        pd.Categorical.from_codes(new_codes, categories=list(allowed)), index=frame.index, name=column
    )


def person_order(person: pd.Series, month: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The permutation sorting rows by (person, month) (None when already sorted) and
    the person codes in sorted order."""
    codes, _ = pd.factorize(person, sort=True)
    step = np.diff(codes)
    sorted_already = bool(((step > 0) | ((step == 0) & (np.diff(month) > 0))).all())
    if sorted_already:
        return None, codes
    order = np.lexsort((month, codes))
    return order, codes[order]


def duplicates_message(n_rows: int, n_pairs: int, person: str, month: str, shown: str) -> str:
    return (
        f"{n_rows} row(s) form {n_pairs} duplicate person-month(s) in columns "
        f"({person!r}, {month!r}); each person must have at most one row per month. "
        f"Examples:\n{shown}"
    )


def check_duplicates_sorted(frame: pd.DataFrame, same_person: np.ndarray, months: np.ndarray) -> None:
    """Raise when a person has two rows for one month.

    ``frame`` is sorted by person and month; ``same_person[i]`` says rows ``i`` and
    ``i + 1`` belong to one person.
    """
    repeat = same_person & (np.diff(months) == 0)
    if repeat.any():
        dup = np.zeros(len(frame), dtype=bool)
        dup[1:] |= repeat
        dup[:-1] |= repeat
        n_pairs = int((dup[1:] & ~repeat).sum() + dup[0])
        raise PanelValidationError(
            duplicates_message(int(dup.sum()), n_pairs, "person_id", "month", examples(frame, dup, frame.columns[:6]))
        )


def varying_message(column: str, n_persons: int, ids: list[object], shown: str) -> str:
    return (
        f"column {column!r} must be constant within a person but changes for "
        f"{n_persons} person(s), e.g. {ids}:\n{shown}"
    )


def check_constant_within_sorted(frame: pd.DataFrame, same_person: np.ndarray, column: str) -> None:
    """Raise when a fixed person attribute changes within a person (``frame`` sorted)."""
    value_codes, _ = pd.factorize(frame[column], use_na_sentinel=True)
    change = same_person & (np.diff(value_codes) != 0)
    if change.any():
        ids = pd.unique(frame["person_id"].to_numpy()[1:][change])
        mask = frame["person_id"].isin(ids[:_EXAMPLES])
        raise PanelValidationError(
            varying_message(column, len(ids), ids[:_EXAMPLES].tolist(), examples(frame, mask, ["person_id", column]))
        )
