"""Synthetic register panels with known true effects, calibrated to the published FUI tables."""

from evalkit.replications.fui.synthetic.effects import FuiEffects
from evalkit.replications.fui.synthetic.generate import SyntheticFuiData, simulate_fui_panel
from evalkit.replications.fui.synthetic.io import read_unemployment, write_panel

__all__ = [
    "FuiEffects",
    "SyntheticFuiData",
    "read_unemployment",
    "simulate_fui_panel",
    "write_panel",
]
