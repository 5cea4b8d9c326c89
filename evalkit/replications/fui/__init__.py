"""The FUI evaluation (Fafo 2020, chapter 8) end to end.

Forsterket ungdomsinnsats (FUI, "strengthened youth effort") was rolled out by NAV in
Sør- og Vestlandet in January 2017 and in the rest of Norway in July 2017.
"""

from evalkit.replications.fui.run import FuiReplication, run_fui
from evalkit.replications.fui.sample import FuiSample, FuiSpec, prepare_sample

__all__ = ["FuiReplication", "FuiSample", "FuiSpec", "prepare_sample", "run_fui"]
