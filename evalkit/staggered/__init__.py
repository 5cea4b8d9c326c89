"""Staggered adoption: first treated period and event time per unit, the one validated
design every staggered estimator reads (:func:`build_design`), term names, simulation."""

from evalkit.staggered.cohorts import (
    first_treated_from_indicator,
    first_treated_from_schedule,
    relative_period,
)
from evalkit.staggered.design import StaggeredDesign, build_design
from evalkit.staggered.simulate import SimulatedPanel, simulate_staggered

__all__ = [
    "SimulatedPanel",
    "StaggeredDesign",
    "build_design",
    "first_treated_from_indicator",
    "first_treated_from_schedule",
    "relative_period",
    "simulate_staggered",
]
