"""Names of the terms of staggered-adoption results, one scheme for every estimator.

``event_time::-1`` (an event time ``e = t - g``), ``cohort::2004`` (a cohort, first
treated in 2004), ``time::2005`` (a calendar period), ``cohort::2004:time::2005`` (one
ATT(g,t) cell), ``cohort::2004:event_time::1`` (a cohort's effect at one event time, as
in Sun & Abraham) and ``ATT`` (the overall effect).
"""

from __future__ import annotations

__all__ = ["OVERALL", "cell_term", "cohort_event_term", "cohort_term", "event_term", "period_term"]

#: Name of the overall (summary) effect in every result.
OVERALL = "ATT"


def _int(value: float) -> int:
    return int(round(float(value)))


def event_term(e: float) -> str:
    """``"event_time::-2"``."""
    return f"event_time::{_int(e)}"


def cohort_term(g: float) -> str:
    """``"cohort::2004"``."""
    return f"cohort::{_int(g)}"


def period_term(t: float) -> str:
    """``"time::2005"``."""
    return f"time::{_int(t)}"


def cell_term(g: float, t: float) -> str:
    """``"cohort::2004:time::2005"``: ATT(g,t)."""
    return f"{cohort_term(g)}:{period_term(t)}"


def cohort_event_term(g: float, e: float) -> str:
    """``"cohort::2004:event_time::1"``."""
    return f"{cohort_term(g)}:{event_term(e)}"
