"""Outcomes after entry: states at horizons, transition rates, matrices, competing risks."""

from evalkit.outcomes.horizons import STATES, OutcomeReport, Outcomes, outcomes_at_horizons

__all__ = ["STATES", "OutcomeReport", "Outcomes", "outcomes_at_horizons"]
