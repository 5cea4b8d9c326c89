"""Estimators, one module per design.

- :func:`did2x2`: the 2x2 difference-in-differences regression of published evaluations.
- :func:`event_study`: two-way fixed-effects event study (leads and lags).
- :func:`bacon_decomposition`: Goodman-Bacon decomposition of the static TWFE estimate.
- :func:`att_gt`: Callaway & Sant'Anna group-time ATTs, aggregated with ``.aggregate()``.
- :func:`sun_abraham`: interaction-weighted event study.
- :func:`imputation_did`: Borusyak, Jaravel & Spiess imputation estimator.
- :func:`two_stage_did`: Gardner's two-stage DiD.
- :func:`dcdh`: de Chaisemartin & D'Haultfoeuille's DID_l for treatments that switch on and off.
- :func:`staggered_efficient`: Roth & Sant'Anna's efficient estimator under random timing.
"""

from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_result import AggregateResult, ATTgtResult
from evalkit.estimators.bacon import BaconResult, bacon_decomposition
from evalkit.estimators.dcdh import DcdhResult, dcdh
from evalkit.estimators.did2x2 import DiD2x2Result, did2x2
from evalkit.estimators.event_study import event_study
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.estimators.staggered_efficient import StaggeredEfficientResult, staggered_efficient
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.two_stage import two_stage_did

__all__ = [
    "ATTgtResult",
    "AggregateResult",
    "BaconResult",
    "DcdhResult",
    "DiD2x2Result",
    "EventStudyResult",
    "ImputationResult",
    "StaggeredEfficientResult",
    "att_gt",
    "bacon_decomposition",
    "dcdh",
    "did2x2",
    "event_study",
    "imputation_did",
    "staggered_efficient",
    "sun_abraham",
    "two_stage_did",
]
