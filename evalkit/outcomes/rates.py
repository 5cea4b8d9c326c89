"""Transition rates of entry cohorts: share of entries in a state k months after entry.

An entries frame holds one row per entry into NAV and outcome columns such as
``employed_3`` or ``in_education_6`` that are 1.0 (in the state at the horizon), 0.0 (not
in the state) or NaN when the horizon lies past the panel's end (censored).  A censored
entry is never counted as a zero: it leaves the denominator.  :func:`transition_rates`
turns such a frame into one row per group and outcome with the rate and its Wilson score
interval.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EvalkitError

__all__ = ["transition_rates", "wilson_interval"]

#: Outcome columns found by default: a name ending in ``_<months>`` (``employed_3``).
_HORIZON_SUFFIX = re.compile(r"_\d+$")


def wilson_interval(
    events: np.ndarray | pd.Series | float, n: np.ndarray | pd.Series | float, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a binomial proportion.

    With :math:`\hat p = x/n` and :math:`z = \Phi^{-1}(1-\alpha/2)` the interval is

    .. math::

        \frac{\hat p + z^2/(2n)}{1 + z^2/n} \pm
        \frac{z}{1 + z^2/n}\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}

    (Wilson 1927), clipped against rounding so that it contains :math:`\hat p` and lies
    in [0, 1].  It equals statsmodels'
    ``proportion_confint(method="wilson")``.

    Parameters
    ----------
    events
        Number of events :math:`x` (may be fractional for weighted counts).
    n
        Number of trials :math:`n`; where ``n == 0`` both bounds are NaN.
    alpha
        One minus the coverage.

    Returns
    -------
    (lower, upper)
        Arrays shaped like the broadcast of ``events`` and ``n``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    x = np.asarray(events, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(x < 0) or np.any(x > n_arr):
        raise EvalkitError("wilson_interval needs 0 <= events <= n")
    z2 = stats.norm.isf(alpha / 2) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n_arr
        denom = 1.0 + z2 / n_arr
        center = (p + z2 / (2.0 * n_arr)) / denom
        half = np.sqrt(z2) * np.sqrt(p * (1.0 - p) / n_arr + z2 / (4.0 * n_arr**2)) / denom
    # clip against rounding: the bounds contain p and lie in [0, 1] (exactly 0 when x = 0)
    lower = np.where(n_arr > 0, np.clip(np.minimum(center - half, p), 0.0, 1.0), np.nan)
    upper = np.where(n_arr > 0, np.clip(np.maximum(center + half, p), 0.0, 1.0), np.nan)
    return lower, upper


def _outcome_matrix(outcomes: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """The outcome columns as a float matrix; raise on anything but 0, 1 and missing."""
    out = np.empty((len(outcomes), len(cols)), dtype=float)
    for j, col in enumerate(cols):
        series = outcomes[col]
        if isinstance(series, pd.DataFrame):
            raise EvalkitError(f"outcome column {col!r} appears more than once")
        if pd.api.types.is_float_dtype(series.dtype) and not isinstance(series.dtype, pd.ArrowDtype):
            values = series.to_numpy(dtype=float)
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
            values[series.notna().to_numpy() & np.isnan(values)] = -1.0  # non-numeric text
        bad = ~(np.isnan(values) | (values == 0.0) | (values == 1.0))
        if bad.any():
            rows = list(series.index[bad][:5])
            examples = list(series[bad].iloc[:5])
            raise EvalkitError(
                f"outcome column {col!r} must hold 1 (in the state), 0 (not in the state) or "
                f"missing (censored); {int(bad.sum())} row(s) do not, e.g. rows {rows} "
                f"with values {examples}"
            )
        out[:, j] = values
    return out


def _default_outcomes(outcomes: pd.DataFrame, by: list[str]) -> list[str]:
    cols = [
        c for c in outcomes.columns
        if isinstance(c, str) and _HORIZON_SUFFIX.search(c) and c not in by
    ]
    if not cols:
        raise EvalkitError(
            "no outcome columns found: pass outcomes_cols, or name the outcome columns "
            "'<outcome>_<months>' (e.g. 'employed_3')"
        )
    return cols


def transition_rates(
    outcomes: pd.DataFrame,
    *,
    by: str | list[str] | None,
    outcomes_cols: list[str] | None = None,
    alpha: float = 0.05,
    method: Literal["wilson"] = "wilson",
    weights: str | None = None,
) -> pd.DataFrame:
    """Share of entries in each outcome state, by group, with Wilson score intervals.

    For every group and outcome column the rate is the number of entries with a 1 divided
    by the number of entries that are not censored (not missing).  Censored entries
    (missing values: the horizon lies past the panel's end) leave the denominator and are
    counted in ``n_censored``; they are never treated as zeros.

    Parameters
    ----------
    outcomes
        One row per entry; outcome columns hold 1, 0 or missing.
    by
        Grouping column(s), or ``None`` for one overall group.  Missing group labels form
        their own group (no row is dropped).
    outcomes_cols
        Outcome columns to summarise; by default every column whose name ends in
        ``_<digits>`` (``employed_3``, ``in_education_6``) and is not a grouping column.
    alpha
        One minus the coverage of the interval.
    method
        Interval method; only ``"wilson"`` (Wilson 1927) is implemented.
    weights
        Optional column of non-negative entry weights.  The rate is then
        ``sum(w * y) / sum(w)`` over non-censored entries and the Wilson interval uses the
        Kish effective sample size ``(sum w)^2 / sum(w^2)``; ``n_at_risk``, ``n_events`` and
        ``n_censored`` stay unweighted counts.

    Returns
    -------
    pandas.DataFrame
        One row per group x outcome, with the grouping columns, ``outcome``,
        ``n_at_risk`` (non-censored entries), ``n_events``, ``rate``, ``conf_low``,
        ``conf_high`` and ``n_censored``.  Groups in which every entry is censored get
        ``rate`` and bounds NaN.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    """
    if method != "wilson":
        raise ValueError(f"method must be 'wilson', got {method!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in by_cols if c not in outcomes.columns]
    if missing:
        raise EvalkitError(f"grouping column(s) {missing} not in the outcomes frame")
    cols = list(outcomes_cols) if outcomes_cols is not None else _default_outcomes(outcomes, by_cols)
    absent = [c for c in cols if c not in outcomes.columns]
    if absent:
        raise EvalkitError(f"outcome column(s) {absent} not in the outcomes frame")
    if not cols:
        raise EvalkitError("outcomes_cols is empty")

    y = _outcome_matrix(outcomes, cols)
    observed = ~np.isnan(y)
    y0 = np.where(observed, y, 0.0)
    if by_cols:
        grouper = outcomes.groupby([outcomes[c] for c in by_cols], dropna=False, sort=True, observed=True)
        codes = grouper.ngroup().to_numpy()
        labels = grouper.size().index.to_frame(index=False)
        labels.columns = by_cols
    else:
        codes = np.zeros(len(outcomes), dtype=np.int64)
        labels = None
    g = 1 if labels is None else len(labels)
    k = len(cols)

    def group_sums(matrix: np.ndarray) -> np.ndarray:
        """Column sums within groups, flattened group-major (group 0: all outcomes, ...)."""
        return np.column_stack(
            [np.bincount(codes, weights=matrix[:, j], minlength=g) for j in range(k)]
        ).reshape(-1)

    n_total = np.repeat(np.bincount(codes, minlength=g), k)
    n_at_risk = np.rint(group_sums(observed.astype(float))).astype(np.int64)
    n_events = np.rint(group_sums(y0)).astype(np.int64)
    if weights is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(n_at_risk > 0, n_events / n_at_risk, np.nan)
        low, high = wilson_interval(n_events, n_at_risk, alpha)
    else:
        w = pd.to_numeric(outcomes[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(w).any() or (w < 0).any():
            rows = list(outcomes.index[np.isnan(w) | (w < 0)][:5])
            raise EvalkitError(
                f"weight column {weights!r} must hold non-negative numbers; e.g. rows {rows} do not"
            )
        wo = observed * w[:, None]
        sw, swy, sw2 = group_sums(wo), group_sums(wo * y0), group_sums(wo * w[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(sw > 0, swy / sw, np.nan)
            n_eff = np.where(sw2 > 0, sw**2 / sw2, 0.0)
        low, high = wilson_interval(np.nan_to_num(rate) * n_eff, n_eff, alpha)

    result = pd.DataFrame(index=range(g * k))
    if labels is not None:
        rows = np.repeat(np.arange(g), k)
        for c in by_cols:
            result[c] = labels[c].iloc[rows].reset_index(drop=True)
    result["outcome"] = np.tile(np.asarray(cols, dtype=object), g)
    result["n_at_risk"] = n_at_risk
    result["n_events"] = n_events
    result["rate"] = rate
    result["conf_low"] = low
    result["conf_high"] = high
    result["n_censored"] = n_total - n_at_risk
    return result
