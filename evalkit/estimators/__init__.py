"""Estimators, one module per design.

- :func:`did2x2`: the 2x2 difference-in-differences regression of published evaluations.
- :func:`event_study`: two-way fixed-effects event study (leads and lags).
- :func:`bacon_decomposition`: Goodman-Bacon decomposition of the static TWFE estimate.
- :func:`att_gt`: Callaway & Sant'Anna group-time ATTs, aggregated with ``.aggregate()``.
- :func:`sun_abraham`: interaction-weighted event study.
- :func:`imputation_did`: Borusyak, Jaravel & Spiess imputation estimator.
- :func:`two_stage_did`: Gardner's two-stage DiD.

Names load from their module on first use (PEP 562), so ``did2x2`` does not load the
staggered estimators.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> module that defines it.
_LAZY: dict[str, str] = {
    "AggregateResult": "evalkit.estimators.att_gt_result",
    "ATTgtResult": "evalkit.estimators.att_gt_result",
    "att_gt": "evalkit.estimators.att_gt",
    "BaconResult": "evalkit.estimators.bacon",
    "bacon_decomposition": "evalkit.estimators.bacon",
    "DiD2x2Result": "evalkit.estimators.did2x2",
    "did2x2": "evalkit.estimators.did2x2",
    "EventStudyResult": "evalkit.estimators.event_study_result",
    "event_study": "evalkit.estimators.event_study",
    "ImputationResult": "evalkit.estimators.imputation",
    "imputation_did": "evalkit.estimators.imputation",
    "sun_abraham": "evalkit.estimators.sun_abraham",
    "two_stage_did": "evalkit.estimators.two_stage",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.estimators' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.estimators.att_gt import att_gt
    from evalkit.estimators.att_gt_result import AggregateResult, ATTgtResult
    from evalkit.estimators.bacon import BaconResult, bacon_decomposition
    from evalkit.estimators.did2x2 import DiD2x2Result, did2x2
    from evalkit.estimators.event_study import event_study
    from evalkit.estimators.event_study_result import EventStudyResult
    from evalkit.estimators.imputation import ImputationResult, imputation_did
    from evalkit.estimators.sun_abraham import sun_abraham
    from evalkit.estimators.two_stage import two_stage_did
