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

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

#: Public name -> the module defining it, loaded on first use (PEP 562): the FUI 2x2 loads
#: did2x2 alone, and the engine estimators load DuckDB only when used.
_LAZY: dict[str, str] = {
    "att_gt": "evalkit.estimators.att_gt",
    "AggregateResult": "evalkit.estimators.att_gt_result",
    "ATTgtResult": "evalkit.estimators.att_gt_result",
    "BaconResult": "evalkit.estimators.bacon",
    "bacon_decomposition": "evalkit.estimators.bacon",
    "DcdhResult": "evalkit.estimators.dcdh",
    "dcdh": "evalkit.estimators.dcdh",
    "DiD2x2Result": "evalkit.estimators.did2x2",
    "did2x2": "evalkit.estimators.did2x2",
    "ETWFEResult": "evalkit.estimators.etwfe",
    "etwfe": "evalkit.estimators.etwfe",
    "event_study": "evalkit.estimators.event_study",
    "EventStudyResult": "evalkit.estimators.event_study_result",
    "ImputationResult": "evalkit.estimators.imputation",
    "imputation_did": "evalkit.estimators.imputation",
    "lpdid": "evalkit.estimators.lpdid",
    "stacked_did": "evalkit.estimators.stacked",
    "StaggeredEfficientResult": "evalkit.estimators.staggered_efficient",
    "staggered_efficient": "evalkit.estimators.staggered_efficient",
    "sun_abraham": "evalkit.estimators.sun_abraham",
    "synthdid": "evalkit.estimators.synthdid",
    "SynthDiDResult": "evalkit.estimators.synthdid_result",
    "TripleDiffResult": "evalkit.estimators.triple_diff",
    "triple_diff": "evalkit.estimators.triple_diff",
    "two_stage_did": "evalkit.estimators.two_stage",
    "EngineATTgtResult": "evalkit.estimators.att_gt_engine",
    "att_gt_in_engine": "evalkit.estimators.att_gt_engine",
    "event_study_in_engine": "evalkit.estimators.event_study_engine",
    "imputation_in_engine": "evalkit.estimators.imputation_engine",
}

__getattr__, __dir__ = lazy_module(__name__, _LAZY)

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

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
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
    from evalkit.estimators.att_gt_engine import EngineATTgtResult, att_gt_in_engine
    from evalkit.estimators.event_study_engine import event_study_in_engine
