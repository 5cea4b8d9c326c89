"""Event time for staggered adoption: arrays of a validated design, windows and dummies.

:func:`event_data` codes a :class:`~evalkit.staggered.design.StaggeredDesign` as the arrays
of the regression-based event-time estimators (``event_study``, ``sun_abraham``,
``imputation_did``, ``two_stage_did``, ``bacon_decomposition``); event time is
``e = t - g`` (:func:`~evalkit.staggered.cohorts.relative_period`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evalkit.staggered.cohorts import relative_period
from evalkit.staggered.design import StaggeredDesign, build_design, check_outcomes

__all__ = ["EventData", "bin_event_times", "event_data", "event_design", "event_designs", "event_dummies"]


@dataclass(frozen=True, eq=False)
class EventData:
    """Validated arrays of a staggered-adoption data set (rows with missing values removed).

    Attributes
    ----------
    y, time, group
        Outcome, period and first treated period (0 = never treated) per row.
    unit, period, cluster
        Integer codes 0..G-1 of the unit, the period and the cluster per row.
    weights
        Analytic weights per row or ``None``.
    X, covariate_names
        Covariates (n x p) and their names.
    periods, cohorts
        Sorted distinct periods and treated cohorts.
    index
        Index labels of the rows of the input data that are used.
    """

    y: np.ndarray
    time: np.ndarray
    group: np.ndarray
    unit: np.ndarray
    period: np.ndarray
    cluster: np.ndarray
    weights: np.ndarray | None
    X: np.ndarray
    covariate_names: tuple[str, ...]
    periods: np.ndarray
    cohorts: np.ndarray
    index: pd.Index

    @property
    def nobs(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    @property
    def rel(self) -> np.ndarray:
        """Event time ``t - g`` per row (NaN for never-treated units)."""
        return relative_period(self.time, self.group)

    @property
    def treated(self) -> np.ndarray:
        """``D_it = 1{g > 0 and t >= g}`` per row."""
        return (self.group > 0) & (self.time >= self.group)

    @property
    def w(self) -> np.ndarray:
        """Weights per row (ones when unweighted)."""
        return np.ones(self.nobs) if self.weights is None else self.weights


def bin_event_times(
    rel: np.ndarray, *, min_e: int | None, max_e: int | None, bin_endpoints: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Restrict event times to the window ``[min_e, max_e]``.

    Parameters
    ----------
    rel
        Event times (NaN for never-treated rows).
    min_e, max_e
        Earliest and latest event time kept (``None``: no limit).
    bin_endpoints
        ``True``: event times beyond the window are pooled into the endpoints
        (``min_e`` and ``max_e``; Schmidheiny & Siegloch 2023).  ``False``: rows outside
        the window are flagged for exclusion.

    Returns
    -------
    binned, outside
        Binned event times and a mask of rows outside the window (all ``False`` when
        ``bin_endpoints``).
    """
    for name, value in (("min_e", min_e), ("max_e", max_e)):
        if value is not None and int(value) != value:
            raise ValueError(f"{name} must be an integer or None, got {value!r}")
    if min_e is not None and max_e is not None and min_e > max_e:
        raise ValueError(f"min_e={min_e} is after max_e={max_e}")
    lo = -np.inf if min_e is None else float(min_e)
    hi = np.inf if max_e is None else float(max_e)
    binned = np.asarray(rel, dtype=float).copy()
    finite = np.isfinite(binned)
    outside = finite & ((binned < lo) | (binned > hi))
    if bin_endpoints:
        binned[finite] = np.clip(binned[finite], lo, hi)
        return binned, np.zeros_like(outside)
    return binned, outside


def event_dummies(rel: np.ndarray, event_times: Sequence[int]) -> np.ndarray:
    """Indicators ``1{rel == e}`` (n x len(event_times)); NaN event times give zeros."""
    rel = np.asarray(rel, dtype=float)
    out = np.zeros((rel.shape[0], len(event_times)))
    for j, e in enumerate(event_times):
        out[:, j] = rel == e
    return out


def event_data(design: StaggeredDesign) -> EventData:
    """Arrays of ``design`` for the event-time estimators (covariates ``design.covariates``)."""
    cov = design.covariates
    X = np.column_stack([design.column(c).astype(float) for c in cov]) if cov else np.empty((design.nobs, 0))
    return EventData(
        y=design.column(design.y).astype(float),
        time=design.t,
        group=design.g,
        unit=design.unit_code,
        period=design.period_code,
        cluster=design.cluster_code(),
        weights=None if design.weights is None else design.column(design.weights).astype(float),
        X=X,
        covariate_names=cov,
        periods=design.periods,
        cohorts=design.cohorts,
        index=design.index,
    )


def event_design(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
) -> EventData:
    """:func:`~evalkit.staggered.design.build_design` (no panel requirement: rows may be persons
    within ``unit`` regions), the few-cluster check of the cluster-robust (CR1) inference
    these estimators report (clusters: ``cluster``, default ``unit``), then :func:`event_data`:
    :func:`event_designs` of one outcome."""
    return event_designs(data, ys=[y], time=time, group=group, unit=unit, covariates=covariates, weights=weights,
                         cluster=cluster, stacklevel=5)[0]


def event_designs(
    data: pd.DataFrame,
    *,
    ys: Sequence[str],
    time: str,
    group: str,
    unit: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
    stacklevel: int = 4,
) -> list[EventData]:
    """:func:`event_design` of one or several outcomes at once: one validation of the design,
    one :class:`EventData` per outcome in ``ys`` (every array but ``y`` shared).  The
    few-cluster warning names the caller ``stacklevel`` frames up (the estimator's caller).

    Raises
    ------
    PanelValidationError
        An outcome is missing on other rows than the first (each would use other rows:
        call :func:`event_design` per outcome), or one is not numeric; as :func:`event_design`.
    """
    if isinstance(covariates, str):
        covariates = (covariates,)
    ys = list(ys)
    if len(ys) > 1:
        check_outcomes(data, ys)
    design = build_design(data, y=ys[0], time=time, group=group, unit=unit, covariates=covariates,
                          weights=weights, cluster=cluster)
    design.check_clusters(stacklevel=stacklevel)
    first = event_data(design)
    return [first, *(replace(first, y=design.column(other).astype(float)) for other in ys[1:])]
