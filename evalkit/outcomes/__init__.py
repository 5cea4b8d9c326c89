"""Outcomes after entry: states at horizons, transition rates, matrices, competing risks, NEET spells."""

from evalkit.outcomes.competing_risks import (
    CumulativeIncidenceResult,
    aalen_johansen,
    cumulative_incidence,
    first_exit_times,
)
from evalkit.outcomes.horizons import (
    OutcomeReport,
    OutcomeRows,
    Outcomes,
    outcome_cells,
    outcome_rows,
    outcomes_at_horizons,
)
from evalkit.outcomes.matrices import TransitionMatrixResult, state_of_month, transition_matrix
from evalkit.outcomes.neet import DEFAULT_ACTIVITIES, NeetMonths, long_term_neet, neet_months, neet_spells
from evalkit.outcomes.rates import TransitionRates, transition_rates, wilson_interval
from evalkit.outcomes.states import EXIT_STATES, MONTHLY_STATES

__all__ = [
    "DEFAULT_ACTIVITIES",
    "NeetMonths",
    "EXIT_STATES",
    "MONTHLY_STATES",
    "CumulativeIncidenceResult",
    "OutcomeReport",
    "OutcomeRows",
    "Outcomes",
    "TransitionMatrixResult",
    "TransitionRates",
    "aalen_johansen",
    "cumulative_incidence",
    "first_exit_times",
    "long_term_neet",
    "neet_months",
    "neet_spells",
    "outcome_cells",
    "outcome_rows",
    "outcomes_at_horizons",
    "state_of_month",
    "transition_matrix",
    "transition_rates",
    "wilson_interval",
]
