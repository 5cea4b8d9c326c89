"""Staggered adoption: first treated period per unit, validation."""

from evalkit.staggered.cohorts import first_treated_from_indicator, first_treated_from_schedule

__all__ = ["first_treated_from_indicator", "first_treated_from_schedule"]
