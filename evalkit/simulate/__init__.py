"""Synthetic register panels with known true effects, calibrated to the published FUI tables."""

from evalkit.simulate.effects import FuiEffects
from evalkit.simulate.generate import SyntheticFuiData, simulate_fui_panel
from evalkit.simulate.io import read_unemployment, write_panel

__all__ = [
    "FuiEffects",
    "SyntheticFuiData",
    "read_unemployment",
    "simulate_fui_panel",
    "write_panel",
]
