"""Staggered adoption: first treated period per unit, validation, simulation."""

from evalkit.staggered.cohorts import first_treated_from_indicator, first_treated_from_schedule
from evalkit.staggered.simulate import SimulatedPanel, simulate_staggered

__all__ = ["SimulatedPanel", "first_treated_from_indicator", "first_treated_from_schedule", "simulate_staggered"]
