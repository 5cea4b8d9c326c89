"""Selecting the rows an analysis uses, with every exclusion counted.

Shared by the regression front end, the 2x2 DiD and randomization inference, so it sits in
the bottom layer beside :mod:`evalkit.errors` (docs/architecture.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning

__all__ = ["drop_missing"]


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
