"""Calendar months as integers.

Internally a month is the integer ``12 * year + (month - 1)`` ("month index"): months
subtract to a number of months, sort correctly, and are cheap in any SQL engine.

This module is the one place evalkit reads months from users' data.  An integer month
means the same everywhere: ``201603`` (yyyymm) or ``20160301`` (yyyymmdd, the day
ignored), never a count of months; text ``2016-03``, ``2016-03-01``, ``201603``,
``20160301``, ``2016M03``; datetimes, dates and pandas ``Period[M]`` values.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from functools import lru_cache

import numpy as np
import pandas as pd

_MONTH_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),  # 2016-03
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-\d{1,2}(?:[ T].*)?$"),  # 2016-03-01
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"),  # 201603
    re.compile(r"^(?P<y>\d{4})[Mm/](?P<m>\d{1,2})$"),  # 2016M03, 2016/03
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})\.0*$"),  # 201603.0 (a float read as text)
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\.0*)?$"),  # 20160301 (yyyymmdd)
)


def month_index(year: int, month: int) -> int:
    """The month index of a calendar year and month (1-12)."""
    return 12 * int(year) + int(month) - 1


def to_month_index(values: pd.Series) -> pd.Series:
    """Parse a column of months into month indices (nullable ``Int64``).

    Accepts pandas ``Period[M]``, datetimes (any day within the month), and strings or
    integers shaped ``2016-03``, ``2016-03-01``, ``201603``, ``20160301``, ``2016M03``.  Missing values
    stay missing; values that cannot be parsed become missing too, so the caller can
    report them (compare ``isna()`` before and after).  Text is parsed once per distinct
    value, so a register column of millions of rows costs a factorisation.
    """
    if isinstance(values.dtype, pd.PeriodDtype):
        out = pd.Series(pd.NA, index=values.index, dtype="Int64")
        ok = values.notna()
        out[ok] = values[ok].dt.year * 12 + values[ok].dt.month - 1
        return out
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        months = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
        index = months.astype("int64") + 12 * 1970
        return pd.Series(pd.arrays.IntegerArray(index, np.isnat(months)), index=values.index)
    if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(values.dtype):
        numbers = values.astype("Float64")
        day_given = numbers >= 10_000_000  # yyyymmdd
        day = (numbers % 100).where(day_given, 1)
        yyyymm = (numbers // 100).where(day_given, numbers)
        year, month = yyyymm // 100, yyyymm % 100
        valid = (
            (month >= 1) & (month <= 12) & (year >= 1000) & (year <= 9999)
            & (day >= 1) & (day <= 31) & (numbers == numbers.round())
        )
        return (year * 12 + month - 1).where(valid).astype("Int64")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = _parse_texts(pd.Series(np.asarray(uniques, dtype=object)).astype("string").str.strip())
    lookup = np.append(parsed.to_numpy(dtype="float64", na_value=np.nan), np.nan)
    found = lookup[codes]
    return pd.Series(pd.array(found, dtype="Float64"), index=values.index).astype("Int64")


def as_month_index(values: pd.Series) -> pd.Series:
    """Month indices as a validated panel holds them pass unchanged; anything else is read
    by :func:`to_month_index`.

    A month index (``12 * year + month - 1``) is below 100000 for any year before 8334,
    and a yyyymm or yyyymmdd integer is above it, so the two cannot be confused.
    """
    if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(values.dtype):
        numbers = values.astype("Float64")
        if bool((numbers.dropna() < 100_000).all()):
            return numbers.where(numbers == numbers.round()).astype("Int64")
    return to_month_index(values)


def _parse_texts(text: pd.Series) -> pd.Series:
    """The month index of each (stripped) text, missing where no pattern reads a month.

    Text columns reach this as their distinct values (:func:`to_month_index`), so the few
    texts are read one by one rather than with a pandas pass per pattern.
    """
    values = [_parse_text(t) for t in text.to_numpy(dtype=object, na_value=None)]
    return pd.Series(pd.array(values, dtype="Int64"), index=text.index)


def _parse_text(text: str | None) -> int | None:
    """The month index of one text by the first of :data:`_MONTH_PATTERNS` that reads it, else ``None``.

    The day, read when the text is a yyyymmdd date, must lie in 1-31 and the month in 1-12.
    """
    if text is None:
        return None
    for pattern in _MONTH_PATTERNS:
        found = pattern.search(text)
        if found:
            break
    else:
        return None
    dated = _MONTH_PATTERNS[-1].search(text)
    day = 1 if dated is None else int(dated["d"])
    month = int(found["m"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return 12 * int(found["y"]) + month - 1


def month_label(index: int | np.integer) -> str:
    """``2016-03`` for a month index."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def to_period(indices: pd.Series) -> pd.Series:
    """Month indices as a pandas ``Period[M]`` column (missing stays missing)."""
    ok = indices.notna()
    out = pd.Series(pd.NaT, index=indices.index, dtype="period[M]")
    idx = indices[ok].astype("int64")
    out[ok] = pd.PeriodIndex.from_fields(year=idx // 12, month=idx % 12 + 1, freq="M")
    return out


def parse_month(value: object) -> int:
    """One month (``"2016-03"``, a Period, a date, 201603) as a month index.

    Raises ``ValueError`` for a value that is not a month.  Designs name the same few
    months many times, so each distinct (hashable) value is parsed once per process.
    """
    parsed = _parse_hashable(value) if isinstance(value, Hashable) else _parse_one(value)
    if parsed is None:
        raise ValueError(f"cannot read {value!r} as a month; expected e.g. '2016-03'")
    return parsed


def _parse_one(value: object) -> int | None:
    parsed = to_month_index(pd.Series([value]))
    return None if parsed.isna().iloc[0] else int(parsed.iloc[0])


_parse_hashable = lru_cache(maxsize=4096, typed=True)(_parse_one)
