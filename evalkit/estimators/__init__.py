"""Estimators, one module per design.

- :func:`did2x2`: the 2x2 difference-in-differences regression of published evaluations.
- :func:`event_study`: two-way fixed-effects event study (leads and lags).
- :func:`bacon_decomposition`: Goodman-Bacon decomposition of the static TWFE estimate.
- :func:`att_gt`: Callaway & Sant'Anna group-time ATTs, aggregated with ``.aggregate()``.
- :func:`sun_abraham`: interaction-weighted event study.
- :func:`imputation_did`: Borusyak, Jaravel & Spiess imputation estimator.
- :func:`two_stage_did`: Gardner's two-stage DiD.
- :func:`synthdid`: synthetic difference-in-differences (also synthetic control and DiD).
- :func:`etwfe`: Wooldridge's extended TWFE (linear, Poisson, logit), aggregated with ``.aggregate()``.
- :func:`stacked_did`: stacked DiD with Wing, Freedman & Hollingsworth's corrective weights.
- :func:`lpdid`: local-projections DiD (Dube, Girardi, Jordà & Taylor).
- :func:`dcdh`: de Chaisemartin & D'Haultfoeuille's DID_l for treatments that switch on and off.
- :func:`staggered_efficient`: Roth & Sant'Anna's efficient estimator under random timing.
- :func:`triple_diff`: triple differences (Ortiz-Villavicencio & Sant'Anna), two periods or staggered.
- :func:`att_gt_in_engine`, :func:`event_study_in_engine`, :func:`imputation_in_engine`:
  ``att_gt``, ``event_study`` and ``imputation_did`` of a stored panel from cell sums computed in DuckDB or Spark (loaded on first use, with the engine).
"""

import importlib
from typing import Any

from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_result import AggregateResult, ATTgtResult
from evalkit.estimators.bacon import BaconResult, bacon_decomposition
from evalkit.estimators.dcdh import DcdhResult, dcdh
from evalkit.estimators.did2x2 import DiD2x2Result, did2x2
from evalkit.estimators.etwfe import ETWFEResult, etwfe
from evalkit.estimators.event_study import event_study
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.estimators.lpdid import lpdid
from evalkit.estimators.stacked import stacked_did
from evalkit.estimators.staggered_efficient import StaggeredEfficientResult, staggered_efficient
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.synthdid import synthdid
from evalkit.estimators.synthdid_result import SynthDiDResult
from evalkit.estimators.triple_diff import TripleDiffResult, triple_diff
from evalkit.estimators.two_stage import two_stage_did

#: Names loaded on first use (PEP 562): they import the engines (DuckDB).
_LAZY: dict[str, str] = {
    "EngineATTgtResult": "evalkit.estimators.att_gt_engine",
    "att_gt_in_engine": "evalkit.estimators.att_gt_engine",
    "event_study_in_engine": "evalkit.estimators.event_study_engine",
    "imputation_in_engine": "evalkit.estimators.imputation_engine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.estimators' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ATTgtResult",
    "EngineATTgtResult",
    "AggregateResult",
    "BaconResult",
    "DcdhResult",
    "DiD2x2Result",
    "ETWFEResult",
    "EventStudyResult",
    "ImputationResult",
    "SynthDiDResult",
    "StaggeredEfficientResult",
    "TripleDiffResult",
    "att_gt",
    "att_gt_in_engine",
    "bacon_decomposition",
    "dcdh",
    "did2x2",
    "etwfe",
    "event_study",
    "event_study_in_engine",
    "imputation_did",
    "imputation_in_engine",
    "lpdid",
    "stacked_did",
    "staggered_efficient",
    "sun_abraham",
    "synthdid",
    "triple_diff",
    "two_stage_did",
]
