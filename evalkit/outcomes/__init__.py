"""Outcomes after entry: states at horizons, transition rates, matrices, competing risks."""

from evalkit.outcomes.competing_risks import (
    EXIT_EVENTS,
    CumulativeIncidenceResult,
    cumulative_incidence,
    first_exit_times,
)
from evalkit.outcomes.horizons import STATES, OutcomeReport, Outcomes, outcome_cells, outcomes_at_horizons
from evalkit.outcomes.matrices import MONTH_STATES, TransitionMatrixResult, state_of_month, transition_matrix
from evalkit.outcomes.rates import transition_rates, wilson_interval

__all__ = [
    "EXIT_EVENTS",
    "MONTH_STATES",
    "STATES",
    "CumulativeIncidenceResult",
    "OutcomeReport",
    "Outcomes",
    "TransitionMatrixResult",
    "cumulative_incidence",
    "first_exit_times",
    "outcome_cells",
    "outcomes_at_horizons",
    "state_of_month",
    "transition_matrix",
    "transition_rates",
    "wilson_interval",
]
