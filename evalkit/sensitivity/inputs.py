"""The event-time estimates and covariance of an evalkit event-study result, as the
sensitivity analyses take them: pre periods (earliest first), then post periods, the
reference period left out."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitWarning
from evalkit.results import EstimationResult

__all__ = ["event_study_inputs"]


def event_study_inputs(result: EstimationResult, ref: int | None) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """``betahat``, ``sigma``, ``num_pre``, ``num_post`` and the reference event time of an evalkit event-study result.

    The estimates and their covariance are the result's own (``result.cov``: cluster-robust
    when the result is, bootstrap-scaled after a bootstrap); nothing is recomputed.
    """
    if result.cov is None:
        raise DesignError(f"{result.model_name} carries no covariance of its estimates")
    if hasattr(result, "event_time") and isinstance(result.event_time, pd.Series):
        event = result.event_time.reindex(result.params.index).to_numpy(dtype=float)
        refs = tuple(getattr(result, "reference", ()))
    elif getattr(result, "kind", None) == "dynamic":
        event = result.term_values.reindex(result.params.index).to_numpy(dtype=float, na_value=np.nan)
        refs = (-1 - int(result.extra.get("anticipation", 0)),)
        if result.extra.get("base_period") == "varying" and (ref is None or ref == refs[0]):
            warnings.warn(
                f"with a varying base period the pre-period ATT(g,t) are one-period changes, not effects relative to "
                f"one reference period; as HonestDiD's wrapper for did, the estimate at event time {refs[0]} is left "
                "out and taken as the reference. Prefer att_gt(..., base_period='universal')",
                EvalkitWarning, stacklevel=3,
            )
    else:
        raise DesignError(f"{type(result).__name__} is not an event-study result (no event_time, not a dynamic aggregation)")
    cov = result.cov.loc[result.params.index, result.params.index].to_numpy()
    on = np.isfinite(event)
    terms = event[on]
    if ref is None:
        if len(refs) != 1:
            raise DesignError(f"the result has reference periods {refs}; pass ref= to say which one separates pre "
                              "and post periods")
        ref = refs[0]
    pre, post = np.sort(terms[terms < ref]), np.sort(terms[terms > ref])
    if not len(pre):
        raise DesignError(f"no pre-period estimates (event times < {ref}): the result shows {sorted(terms.tolist())}")
    if not len(post):
        raise DesignError(f"no post-period estimates (event times > {ref})")
    want_pre = np.arange(ref - len(pre), ref)
    want_post = np.arange(ref + 1, ref + 1 + len(post))
    if not (np.array_equal(pre, want_pre) and np.array_equal(post, want_post)):
        raise DesignError(f"event times must be consecutive around the reference {ref}: got pre {pre.astype(int).tolist()}, "
                          f"post {post.astype(int).tolist()}")
    # the terms at event times other than the reference (which, when estimated as 0, has no variance)
    positions = np.flatnonzero(on)[terms != ref]
    idx = positions[np.argsort(event[positions], kind="stable")]
    betahat = result.params.to_numpy(dtype=float)[idx]
    sigma = cov[np.ix_(idx, idx)]
    return betahat, sigma, len(pre), len(post), int(ref)
