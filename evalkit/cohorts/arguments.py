"""Checks of the numeric arguments of cohort and outcome functions (months, ages, counts)."""

from __future__ import annotations

import numbers

from evalkit.errors import EvalkitError


def whole_number(value: object, *, name: str, minimum: int | None = None) -> int:
    """``value`` as an ``int`` when it is a whole number of at least ``minimum``.

    A count of months or an age is never fractional: ``2.5`` (or ``True``) is an error
    rather than truncated to 2; an integral float such as ``12.0`` is accepted as 12.

    Raises
    ------
    EvalkitError
        Naming the argument, the value given and what was expected.
    """
    expected = "a whole number" + (f" of at least {minimum}" if minimum is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EvalkitError(f"{name} must be {expected}, got {value!r}")
    if isinstance(value, numbers.Integral):
        whole = int(value)
    elif float(value).is_integer():
        whole = int(value)
    else:
        raise EvalkitError(f"{name} must be {expected}, got {value!r} (a fraction is not truncated)")
    if minimum is not None and whole < minimum:
        raise EvalkitError(f"{name} must be {expected}, got {value!r}")
    return whole
