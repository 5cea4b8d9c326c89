"""Estimators, one module per design.

- :func:`did2x2`: the 2x2 difference-in-differences regression of published evaluations.
- :func:`event_study`: two-way fixed-effects event study (leads and lags).
- :func:`bacon_decomposition`: Goodman-Bacon decomposition of the static TWFE estimate.
- :func:`att_gt`: Callaway & Sant'Anna group-time ATTs, aggregated with ``.aggregate()``.
- :func:`sun_abraham`: interaction-weighted event study.
- :func:`imputation_did`: Borusyak, Jaravel & Spiess imputation estimator.
- :func:`two_stage_did`: Gardner's two-stage DiD.
- :func:`triple_diff`: triple differences (Ortiz-Villavicencio & Sant'Anna), two periods or staggered.
"""

from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_result import AggregateResult, ATTgtResult
from evalkit.estimators.bacon import BaconResult, bacon_decomposition
from evalkit.estimators.did2x2 import DiD2x2Result, did2x2
from evalkit.estimators.event_study import event_study
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.triple_diff import TripleDiffResult, triple_diff
from evalkit.estimators.two_stage import two_stage_did

__all__ = [
    "ATTgtResult",
    "AggregateResult",
    "BaconResult",
    "DiD2x2Result",
    "EventStudyResult",
    "ImputationResult",
    "TripleDiffResult",
    "att_gt",
    "bacon_decomposition",
    "did2x2",
    "event_study",
    "imputation_did",
    "sun_abraham",
    "triple_diff",
    "two_stage_did",
]
