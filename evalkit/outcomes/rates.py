"""Transition rates of entry cohorts: share of entries in a state k months after entry.

:func:`~evalkit.outcomes.outcomes_at_horizons` gives every entry outcome columns such as
``employed_3`` or ``in_education_6`` that are 1.0 (in the state at the horizon), 0.0 (not
in the state) or NaN when the horizon lies past the panel's end (censored) or the person
has no row that month.  A censored entry is never counted as a zero: it leaves the
denominator.  :func:`transition_rates` turns them into one row per group and outcome with
the rate and its Wilson score interval, held by a :class:`TransitionRates` result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import EvalkitError
from evalkit.outcomes.horizons import Outcomes
from evalkit.results.base import Summary, _Copied

__all__ = ["TransitionRates", "transition_rates", "wilson_interval"]


def wilson_interval(
    events: np.ndarray | pd.Series | float, n: np.ndarray | pd.Series | float, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a binomial proportion.

    With :math:`\hat p = x/n` and :math:`z = \Phi^{-1}(1-\alpha/2)` the interval is

    .. math::

        \frac{\hat p + z^2/(2n)}{1 + z^2/n} \pm
        \frac{z}{1 + z^2/n}\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}

    (Wilson 1927), computed by statsmodels' ``proportion_confint(method="wilson")`` and
    clipped against rounding so that it contains :math:`\hat p` and lies in [0, 1].

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
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    x, n_arr = np.broadcast_arrays(np.asarray(events, dtype=float), np.asarray(n, dtype=float))
    if np.any(x < 0) or np.any(x > n_arr) or np.any(np.isnan(x) | np.isnan(n_arr)):
        raise EvalkitError("wilson_interval needs 0 <= events <= n (no missing values)")
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    some = n_arr > 0
    if some.any():
        low, high = proportion_confint(x[some], n_arr[some], alpha=alpha, method="wilson")
        p = x[some] / n_arr[some]
        # clip against rounding: the bounds contain p and lie in [0, 1]
        lower[some] = np.clip(np.minimum(low, p), 0.0, 1.0)
        upper[some] = np.clip(np.maximum(high, p), 0.0, 1.0)
    return lower, upper


@dataclass(frozen=True)
class TransitionRates:
    """Shares of entries in each outcome state, by group, with Wilson score intervals.

    Attributes
    ----------
    table
        One row per group x outcome: the grouping columns, ``outcome``, ``n_at_risk``
        (entries with the outcome observed), ``n_events``, ``rate``, ``conf_low``,
        ``conf_high`` and ``n_censored`` (censored or without a row).  Stored privately;
        every access returns a copy.
    by
        Grouping column names (empty for one overall group).
    columns
        The outcome columns summarised, in order.
    alpha
        One minus the coverage of the intervals.
    weights
        Name of the entry-weight column, or ``None``.
    n_entries
        Number of entries (rows of the outcomes).
    """

    table: pd.DataFrame = _Copied()  # type: ignore[assignment]
    by: tuple[str, ...]
    columns: tuple[str, ...]
    alpha: float
    weights: str | None
    n_entries: int

    def tidy(self) -> pd.DataFrame:
        """The rates as a tidy frame (a copy)."""
        return self.table

    def glance(self) -> pd.DataFrame:
        """One row of facts: entries, groups, outcomes and the interval's coverage."""
        return pd.DataFrame([{
            "n_entries": self.n_entries,
            "n_groups": len(self.table) // max(len(self.columns), 1),
            "n_outcomes": len(self.columns),
            "coverage": 1 - self.alpha,
            "weights": self.weights,
        }])

    def summary(self) -> Summary:
        """Printable summary: one row per group and outcome."""
        facts: dict[str, Any] = {
            "Entries": self.n_entries,
            "Outcomes": len(self.columns),
            "Interval": f"Wilson {100 * (1 - self.alpha):g}%",
            "Weights": self.weights or "none",
        }
        notes = (
            "rate = n_events / n_at_risk; censored entries (horizon past the panel's end, or no "
            "row that month) leave the denominator and are counted in n_censored.",
        )
        if self.weights is not None:
            notes += ("Weighted rates; the interval uses the Kish effective sample size.",)
        table = self.table.set_index([*self.by, "outcome"])
        return Summary(title="Transition rates after entry", facts=facts, table=table, notes=notes)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __repr__(self) -> str:
        groups = int(self.glance().loc[0, "n_groups"])
        return (
            f"<TransitionRates {len(self.columns)} outcome(s) x {groups} group(s), "
            f"{self.n_entries:,} entries>"
        )


def _outcome_matrix(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """The outcome columns as a float matrix; raise on anything but 0, 1 and missing."""
    out = np.empty((len(frame), len(cols)), dtype=float)
    for j, col in enumerate(cols):
        series = frame[col]
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


def transition_rates(
    outcomes: Outcomes,
    *,
    by: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    alpha: float = 0.05,
    weights: str | None = None,
) -> TransitionRates:
    """Share of entries in each outcome state, by group, with Wilson score intervals.

    For every group and outcome column the rate is the number of entries with a 1 divided
    by the number of entries whose outcome is observed.  Censored entries (the horizon
    lies past the panel's end) and entries without a panel row in the outcome month are
    missing: they leave the denominator and are counted in ``n_censored``; they are never
    treated as zeros.

    Parameters
    ----------
    outcomes
        Output of :func:`~evalkit.outcomes.outcomes_at_horizons`.
    by
        Column(s) of ``outcomes.frame`` to group by (``region``, ``window``, ...), or
        ``None`` for one overall group.  Missing group labels form their own group (no row
        is dropped).
    columns
        Outcome columns to summarise; by default the state at every horizon,
        ``<state>_<k>`` for the states and horizons of ``outcomes`` that it holds
        (``ever_<state>_<k>`` columns can be named here).
    alpha
        One minus the coverage of the interval.
    weights
        Optional column of non-negative entry weights.  The rate is then
        ``sum(w * y) / sum(w)`` over observed entries and the Wilson interval uses the
        Kish effective sample size ``(sum w)^2 / sum(w^2)``; ``n_at_risk``, ``n_events`` and
        ``n_censored`` stay unweighted counts.

    Returns
    -------
    TransitionRates
        Groups in which every entry is censored get ``rate`` and bounds NaN.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    """
    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    frame = outcomes.frame
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in by_cols if c not in frame.columns]
    if missing:
        raise EvalkitError(
            f"grouping column(s) {missing} not in the outcomes; they have {list(frame.columns)}"
        )
    if columns is None:
        cols = [c for s in outcomes.states for c in outcomes.columns(s) if c in frame.columns]
        if not cols:
            raise EvalkitError(
                f"no outcome columns <state>_<k> for the states {list(outcomes.states)} and horizons "
                f"{list(outcomes.horizons)} in the outcomes; name them with columns="
            )
    else:
        cols = list(columns)
    if not cols:
        raise EvalkitError("columns is empty: name at least one outcome column")
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise EvalkitError(
            f"outcome column(s) {absent} not in the outcomes; its outcome columns are "
            f"{[c for s in outcomes.states for c in outcomes.columns(s) + outcomes.columns(s, ever=True) if c in frame]}"
        )
    if weights is not None and weights not in frame.columns:
        raise EvalkitError(f"weight column {weights!r} not in the outcomes")

    y = _outcome_matrix(frame, cols)
    observed = ~np.isnan(y)
    y0 = np.where(observed, y, 0.0)
    if by_cols:
        grouper = frame.groupby([frame[c] for c in by_cols], dropna=False, sort=True, observed=True)
        codes = grouper.ngroup().to_numpy()
        labels = grouper.size().index.to_frame(index=False)
        labels.columns = by_cols
    else:
        codes = np.zeros(len(frame), dtype=np.int64)
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
        w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(w).any() or (w < 0).any():
            rows = list(frame.index[np.isnan(w) | (w < 0)][:5])
            raise EvalkitError(
                f"weight column {weights!r} must hold non-negative numbers; e.g. rows {rows} do not"
            )
        wo = observed * w[:, None]
        sw, swy, sw2 = group_sums(wo), group_sums(wo * y0), group_sums(wo * w[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(sw > 0, swy / sw, np.nan)
            n_eff = np.where(sw2 > 0, sw**2 / sw2, 0.0)
        low, high = wilson_interval(np.nan_to_num(rate) * n_eff, n_eff, alpha)

    table = pd.DataFrame(index=range(g * k))
    if labels is not None:
        rows = np.repeat(np.arange(g), k)
        for c in by_cols:
            table[c] = labels[c].iloc[rows].reset_index(drop=True)
    table["outcome"] = np.tile(np.asarray(cols, dtype=object), g)
    table["n_at_risk"] = n_at_risk
    table["n_events"] = n_events
    table["rate"] = rate
    table["conf_low"] = low
    table["conf_high"] = high
    table["n_censored"] = n_total - n_at_risk
    return TransitionRates(
        table=table, by=tuple(by_cols), columns=tuple(cols), alpha=alpha, weights=weights, n_entries=len(frame)
    )
