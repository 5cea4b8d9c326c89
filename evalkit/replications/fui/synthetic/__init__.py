"""Synthetic register panels with known true effects, calibrated to the published FUI tables.

Every name loads its module on first use (PEP 562, :func:`evalkit.lazy.lazy_module`), so
reading the calibration targets (:mod:`~evalkit.replications.fui.synthetic.published`)
does not load the generator (scipy.special).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

_LAZY = {
    "FuiEffects": "evalkit.replications.fui.synthetic.effects",
    "SyntheticFuiData": "evalkit.replications.fui.synthetic.generate",
    "simulate_fui_panel": "evalkit.replications.fui.synthetic.generate",
    "read_unemployment": "evalkit.replications.fui.synthetic.io",
    "write_panel": "evalkit.replications.fui.synthetic.io",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_module(__name__, _LAZY)

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.replications.fui.synthetic.effects import FuiEffects
    from evalkit.replications.fui.synthetic.generate import SyntheticFuiData, simulate_fui_panel
    from evalkit.replications.fui.synthetic.io import read_unemployment, write_panel
