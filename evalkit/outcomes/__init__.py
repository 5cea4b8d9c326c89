"""Outcomes after entry: states at horizons, transition rates, matrices, competing risks, NEET spells.

Every name loads its module on first use (PEP 562, :func:`evalkit.lazy.lazy_module`), so
the states and horizons of an entry cohort need neither scipy.stats (competing risks)
nor statsmodels (Wilson intervals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

_LAZY = {
    "CumulativeIncidenceResult": "evalkit.outcomes.competing_risks",
    "aalen_johansen": "evalkit.outcomes.competing_risks",
    "cumulative_incidence": "evalkit.outcomes.competing_risks",
    "first_exit_times": "evalkit.outcomes.competing_risks",
    "OutcomeReport": "evalkit.outcomes.horizons",
    "OutcomeRows": "evalkit.outcomes.horizons",
    "Outcomes": "evalkit.outcomes.horizons",
    "outcome_cells": "evalkit.outcomes.horizons",
    "outcome_rows": "evalkit.outcomes.horizons",
    "outcomes_at_horizons": "evalkit.outcomes.horizons",
    "TransitionMatrixResult": "evalkit.outcomes.matrices",
    "state_of_month": "evalkit.outcomes.matrices",
    "transition_matrix": "evalkit.outcomes.matrices",
    "DEFAULT_ACTIVITIES": "evalkit.outcomes.neet",
    "NeetMonths": "evalkit.outcomes.neet",
    "long_term_neet": "evalkit.outcomes.neet",
    "neet_months": "evalkit.outcomes.neet",
    "neet_spells": "evalkit.outcomes.neet",
    "TransitionRates": "evalkit.outcomes.rates",
    "transition_rates": "evalkit.outcomes.rates",
    "wilson_interval": "evalkit.outcomes.rates",
    "EXIT_STATES": "evalkit.outcomes.states",
    "MONTHLY_STATES": "evalkit.outcomes.states",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_module(__name__, _LAZY)

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
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
