"""The monthly states of a status panel: one vocabulary for every outcome and simulator.

A validated :class:`~evalkit.panel.StatusPanel` records per person and month an
employment contract (``employed``), formal education (``in_education``) and NAV
registration (``nav_category``, missing when not at NAV).  The states named here are

``employed``
    ``employed = 1``;
``in_education``
    ``in_education = 1``;
``at_nav``
    registered at NAV in any need category;
``none``
    none of the three.

The first three overlap (a NAV user with a part-time contract is employed and at NAV):
:func:`~evalkit.outcomes.outcomes_at_horizons` reports each as its own 0/1 indicator, and
:func:`~evalkit.outcomes.state_of_month` resolves the overlap by a priority order into one
exclusive state per month.  The exits of :func:`~evalkit.outcomes.first_exit_times` are the
first month ``employed`` or ``in_education`` (:data:`EXIT_STATES`).  Every module (outcomes,
simulators, replications) takes the names from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.errors import EvalkitError

__all__ = ["EXIT_STATES", "MONTHLY_STATES", "check_order", "state_case_sql", "state_columns", "state_sql"]

#: The monthly states, in the default priority order of :func:`state_case_sql`.
MONTHLY_STATES: tuple[str, ...] = ("employed", "in_education", "at_nav", "none")

#: States whose first month after entry ends a NAV spell (competing exits); event code ``k``
#: of :func:`~evalkit.outcomes.first_exit_times` is ``EXIT_STATES[k - 1]``.
EXIT_STATES: tuple[str, ...] = ("employed", "in_education")

#: Each state as a portable SQL condition on the panel's canonical columns (alias ``p``).
_CONDITION = {
    "employed": "p.employed = 1",
    "in_education": "p.in_education = 1",
    "at_nav": "p.nav_category IS NOT NULL",
    "none": "p.employed = 0 AND p.in_education = 0 AND p.nav_category IS NULL",
}


def state_sql(state: str) -> str:
    """Portable SQL for the 0/1 indicator of ``state`` (NULL where a status is NULL)."""
    if state not in _CONDITION:
        raise EvalkitError(f"unknown state {state!r}; the states are {list(MONTHLY_STATES)}")
    return f"CAST({_CONDITION[state]} AS INTEGER)"


#: The panel columns each state's condition reads.
_COLUMNS = {
    "employed": ("employed",),
    "in_education": ("in_education",),
    "at_nav": ("nav_category",),
    "none": ("employed", "in_education", "nav_category"),
}


def state_columns(states: Sequence[str]) -> tuple[str, ...]:
    """The panel columns that :func:`state_sql` of ``states`` reads, in the order of first use."""
    unknown = [s for s in states if s not in _COLUMNS]
    if unknown:
        raise EvalkitError(f"unknown state(s) {unknown}; the states are {list(MONTHLY_STATES)}")
    return tuple(dict.fromkeys(c for s in states for c in _COLUMNS[s]))


def check_order(order: Sequence[str]) -> tuple[str, ...]:
    """``order`` as a tuple; raise unless it is a permutation of the states ending in ``none``."""
    order = tuple(order)
    if sorted(order) != sorted(MONTHLY_STATES) or order[-1] != "none":
        raise EvalkitError(
            f"order must be a permutation of {list(MONTHLY_STATES)} ending in 'none', got {list(order)}"
        )
    return order


def state_case_sql(order: Sequence[str] = MONTHLY_STATES) -> str:
    """Portable SQL ``CASE`` giving each person-month its first applying state in ``order``.

    NULL when ``employed`` or ``in_education`` is NULL (the month's state is unknown).
    """
    order = check_order(order)
    arms = "".join(f" WHEN {_CONDITION[s]} THEN '{s}'" for s in order[:-1])
    return f"CASE WHEN p.employed IS NULL OR p.in_education IS NULL THEN NULL{arms} ELSE 'none' END"
