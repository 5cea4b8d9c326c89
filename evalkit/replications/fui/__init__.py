"""The FUI evaluation (Fafo 2020, chapter 8) end to end.

Forsterket ungdomsinnsats (FUI, "strengthened youth effort") was rolled out by NAV in
Sør- og Vestlandet in January 2017 and in the rest of Norway in July 2017.

Every name loads its module on first use (PEP 562, :func:`evalkit.lazy.lazy_module`), so
checking a study's design against the sample's columns does not load the analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

_LAZY = {
    "FuiReplication": "evalkit.replications.fui.run",
    "run_fui": "evalkit.replications.fui.run",
    "FuiSample": "evalkit.replications.fui.sample",
    "FuiSpec": "evalkit.replications.fui.sample",
    "prepare_sample": "evalkit.replications.fui.sample",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_module(__name__, _LAZY)

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.replications.fui.run import FuiReplication, run_fui
    from evalkit.replications.fui.sample import FuiSample, FuiSpec, prepare_sample
