"""Estimators, one module per design."""

from evalkit.estimators.did2x2 import DiD2x2Result, did2x2

__all__ = ["DiD2x2Result", "did2x2"]
