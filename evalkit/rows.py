"""Selecting the rows an analysis uses, with every exclusion counted, and checking their types.

Shared by the regression front end, the 2x2 DiD and randomization inference, so it sits in
the bottom layer beside :mod:`evalkit.errors` (docs/architecture.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning

__all__ = ["drop_missing", "numeric_column", "positive_weights"]


def drop_missing(data: pd.DataFrame, columns: Sequence[str], *, stacklevel: int = 3) -> pd.DataFrame:
    """Rows of ``data`` without missing values in ``columns``.

    Excluded rows are counted per column in an :class:`~evalkit.errors.ExcludedRowsWarning`
    (``stacklevel`` as in :func:`warnings.warn`, counted from the caller of this function).

    Raises
    ------
    EvalkitError
        For columns that are not in ``data`` or when no row is left.
    """
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise EvalkitError(f"columns {absent} are not in the data; available: {list(data.columns)}")
    na = data[list(columns)].isna()
    rows = na.any(axis=1)
    if rows.any():
        per_col = ", ".join(f"{c}: {int(k)}" for c, k in na.sum().items() if k)
        warnings.warn(
            f"{int(rows.sum())} of {len(data)} rows were excluded for missing values ({per_col})",
            ExcludedRowsWarning,
            stacklevel=stacklevel,
        )
    out = data.loc[~rows]
    if out.empty:
        raise EvalkitError(
            f"no rows left after excluding rows with missing values in {list(columns)} "
            f"({len(data)} rows in the data)"
        )
    return out


def numeric_column(data: pd.DataFrame, column: str, role: str, hint: str = "") -> np.ndarray:
    """Column ``column`` as float values, or an error naming it, its bad values and rows.

    Numbers and booleans are numeric; text, dates and categoricals of text are not.
    ``role`` says what the column is used as (``"outcome"``, ``"covariate"``, ...);
    ``hint`` is appended to the message (what to do instead).

    Raises
    ------
    EvalkitError
        When some values are not numbers: the count, up to five of them and their rows.
    """
    values = data[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any() or pd.api.types.is_datetime64_any_dtype(values):
        shown = [repr(v) for v in pd.unique(values[bad])[:5]] if bad.any() else [str(values.dtype)]
        raise EvalkitError(
            f"{role} column {column!r} must be numeric; {int(bad.sum()) or len(values)} rows are not, "
            f"e.g. {', '.join(shown)} (first rows: {list(values.index[bad][:5]) if bad.any() else []})"
            + (f"; {hint}" if hint else "")
        )
    return parsed.to_numpy(dtype=float)


def positive_weights(data: pd.DataFrame, column: str) -> np.ndarray:
    """Column ``column`` as finite positive weights, or an error naming it and the bad rows."""
    w = numeric_column(data, column, "weights")
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        shown = [f"{v:g}" for v in sorted(set(w[bad].tolist()))[:5]]
        raise EvalkitError(
            f"weights column {column!r} must be finite and positive; {int(bad.sum())} of {len(w)} rows are not, "
            f"e.g. {shown} (first rows: {list(data.index[bad][:5])})"
        )
    return w
