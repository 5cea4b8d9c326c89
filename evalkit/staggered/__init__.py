"""Staggered adoption: first treated period and event time per unit, the one validated
design every staggered estimator reads (:func:`build_design`), term names."""

from evalkit.staggered.cohorts import first_treated_from_indicator, first_treated_from_schedule, relative_period
from evalkit.staggered.design import StaggeredDesign, build_design

__all__ = [
    "StaggeredDesign",
    "build_design",
    "first_treated_from_indicator",
    "first_treated_from_schedule",
    "relative_period",
]
