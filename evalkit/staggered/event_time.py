"""Event time for staggered adoption: validated inputs, relative periods, binning, and the
two-way fixed-effects model of untreated outcomes shared by the regression-based estimators.

The common inputs (one row per unit and period, or per person in repeated cross-sections
where ``unit`` is the region and rows are persons) are

* ``y``: outcome; ``time``: integer-valued period; ``unit``: unit (fixed effect, cluster);
* ``group``: first treated period of the unit, ``0`` or missing = never treated.

:func:`prepare_event_data` validates them once; :func:`relative_period` and
:func:`bin_event_times` turn calendar time into event time ``e = t - g``.

:class:`UntreatedModel` fits ``y_it = alpha_i + lambda_t + x_it'delta + e_it`` on the
untreated observations (``D_it = 0``) by solving the normal equations with the unit block
eliminated (a Schur complement on the period and covariate block), so no unit-dummy matrix
is ever formed.  The same solver gives the projection weights of the imputation estimator
(Borusyak, Jaravel & Spiess 2024, Theorem 3) and the first-stage correction of the
two-stage estimator (Gardner 2022): both need ``z_i'(Z_0'W Z_0)^{-1} b`` for a vector ``b``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from evalkit.errors import DesignError, ExcludedRowsWarning, PanelValidationError, ScheduleError

__all__ = [
    "EventData",
    "UntreatedModel",
    "bin_event_times",
    "event_dummies",
    "prepare_event_data",
    "relative_period",
]


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


def relative_period(time: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Event time ``e = t - g`` (NaN where ``g == 0``, i.e. never treated)."""
    time = np.asarray(time, dtype=float)
    group = np.asarray(group, dtype=float)
    return np.where(group > 0, time - group, np.nan)


def bin_event_times(
    rel: np.ndarray, *, leads: int | None, lags: int | None, bin_endpoints: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Restrict event times to the window ``[-leads, lags]``.

    Parameters
    ----------
    rel
        Event times (NaN for never-treated rows).
    leads, lags
        Earliest event time ``-leads`` and latest ``lags`` kept (``None``: no limit).
    bin_endpoints
        ``True``: event times beyond the window are pooled into the endpoints
        (``-leads`` and ``lags``; Schmidheiny & Siegloch 2023).  ``False``: rows outside
        the window are flagged for exclusion.

    Returns
    -------
    binned, outside
        Binned event times and a mask of rows outside the window (all ``False`` when
        ``bin_endpoints``).
    """
    for name, value in (("leads", leads), ("lags", lags)):
        if value is not None and (int(value) != value or value < 0):
            raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")
    lo = -np.inf if leads is None else -float(leads)
    hi = np.inf if lags is None else float(lags)
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


def _warn_excluded(count: int, reason: str) -> None:
    if count:
        warnings.warn(f"{count} rows were excluded: {reason}", ExcludedRowsWarning, stacklevel=4)


def prepare_event_data(
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
    """Validate a staggered-adoption data set and code it as arrays.

    Raises
    ------
    PanelValidationError
        Missing columns; non-numeric or non-integer periods; non-positive weights.
    ScheduleError
        ``group`` varies within a unit (treatment switching off or changing start), or a
        cohort is first treated before the data start (no untreated period observed).

    Notes
    -----
    Missing ``group`` means never treated.  Rows with missing values in any other used
    column are excluded with an :class:`~evalkit.errors.ExcludedRowsWarning`.  Cohorts
    first treated after the last period are never treated within the data and recoded 0.
    """
    if isinstance(covariates, str):
        covariates = (covariates,)
    cluster = unit if cluster is None else cluster
    used = list(dict.fromkeys([y, time, group, unit, cluster, *covariates, *([weights] if weights else [])]))
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise PanelValidationError(f"column(s) {missing} not found in the data; available: {list(data.columns)}")
    for col in (y, time, group, *covariates, *([weights] if weights else [])):
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise PanelValidationError(f"column '{col}' must be numeric, got dtype {data[col].dtype}")
    # column arrays, filtered only when a row is excluded (no copy of the frame)
    na = {c: data[c].isna().to_numpy() for c in used if c != group}
    na = {c: m for c, m in na.items() if m.any()}
    rows = None
    if na:
        excluded = np.logical_or.reduce(list(na.values()))
        per_col = ", ".join(f"{c}: {int(m.sum())}" for c, m in na.items())
        _warn_excluded(int(excluded.sum()), f"missing values ({per_col})")
        rows = np.flatnonzero(~excluded)
        if len(rows) == 0:
            raise PanelValidationError("no rows left after excluding rows with missing values")
    if len(data) == 0:
        raise PanelValidationError("no rows left after excluding rows with missing values")

    def column(name: str) -> np.ndarray:
        values = data[name].to_numpy()
        return values if rows is None else values[rows]

    index = data.index if rows is None else data.index[rows]
    t = column(time).astype(float)
    if not np.all(t == np.round(t)):
        raise PanelValidationError(
            f"column '{time}' must hold integer-valued periods (e.g. months counted 0, 1, 2, ...)"
        )
    g_series = data[group] if rows is None else data[group].iloc[rows]
    g = g_series.fillna(0).to_numpy(dtype=float)
    if np.any(g < 0) or not np.all(g == np.round(g)):
        bad = index[(g < 0) | (g != np.round(g))][:5].tolist()
        raise ScheduleError(f"column '{group}' must be 0/missing (never treated) or a first treated period; rows {bad}")
    unit_codes, unit_labels = pd.factorize(column(unit))
    representative = np.zeros(len(unit_labels))
    representative[unit_codes] = g  # any row of the unit will do
    varying = np.unique(unit_codes[g != representative[unit_codes]])
    if len(varying):
        examples = pd.Index(unit_labels[varying]).sort_values()[:5].tolist()
        raise ScheduleError(
            f"column '{group}' (first treated period) varies within {len(varying)} unit(s) of '{unit}', "
            f"e.g. {examples}; treatment must start once per unit and never switch off"
        )
    t_min, t_max = t.min(), t.max()
    early = (g > 0) & (g < t_min)
    if early.any():
        cohorts = np.unique(g[early]).tolist()
        raise ScheduleError(
            f"cohort(s) {cohorts} in '{group}' are first treated before the data start (first period "
            f"{t_min:g}); their untreated outcomes are never observed. Drop these units or extend the data"
        )
    g = np.where(g > t_max, 0.0, g)
    w = None
    if weights is not None:
        w = column(weights).astype(float)
        if not np.all(np.isfinite(w) & (w > 0)):
            raise PanelValidationError(f"weights column '{weights}' must be positive; {int(np.sum(~(w > 0)))} rows are not")
    periods = np.unique(pd.unique(t))
    X = np.column_stack([column(c).astype(float) for c in covariates]) if covariates else np.empty((len(t), 0))
    return EventData(
        y=column(y).astype(float),
        time=t,
        group=g,
        unit=unit_codes,
        period=np.searchsorted(periods, t),
        cluster=unit_codes if cluster == unit else pd.factorize(column(cluster))[0],
        weights=w,
        X=X,
        covariate_names=tuple(covariates),
        periods=periods,
        cohorts=np.unique(g[g > 0]),
        index=index,
    )


@dataclass(frozen=True, eq=False)
class UntreatedModel:
    """``y = alpha_unit + lambda_period + X delta`` fitted on the rows in ``sample`` (WLS).

    The regressors are ``z_i = (unit dummies, period dummies except the first, x_i)``; the
    normal matrix ``A = Z_S' W Z_S`` is solved by eliminating the (diagonal) unit block.

    Attributes
    ----------
    unit, period, X, weights
        Codes, covariates and weights of ALL rows (the model predicts for every row).
    sample
        Rows used for fitting (the untreated observations).
    du, B, schur
        Unit-block diagonal, unit x rest cross products and the Schur
        complement of the rest block (period dummies and covariates).
    """

    unit: np.ndarray
    period: np.ndarray
    X: np.ndarray
    weights: np.ndarray
    sample: np.ndarray
    du: np.ndarray
    B: np.ndarray
    schur: np.ndarray

    @classmethod
    def build(
        cls, unit: np.ndarray, period: np.ndarray, X: np.ndarray, weights: np.ndarray, sample: np.ndarray
    ) -> "UntreatedModel":
        """Set up the normal equations on ``sample``.

        Raises
        ------
        DesignError
            A period without untreated rows, or collinear covariates / disconnected fixed
            effects (singular normal equations).
        """
        n_units, n_periods = int(unit.max()) + 1, int(period.max()) + 1
        ws = np.where(sample, weights, 0.0)
        du = np.bincount(unit, weights=ws, minlength=n_units)
        dt = np.bincount(period, weights=ws, minlength=n_periods)
        if np.any(dt == 0):
            raise DesignError(
                f"{int(np.sum(dt == 0))} period(s) have no untreated observation, so their period effect "
                "cannot be estimated; restrict the data to periods with untreated (not-yet- or never-treated) units"
            )
        cross = np.bincount(unit * n_periods + period, weights=ws, minlength=n_units * n_periods)
        cross = cross.reshape(n_units, n_periods)[:, 1:]
        p = X.shape[1]
        Bx = np.zeros((n_units, p))
        for j in range(p):
            Bx[:, j] = np.bincount(unit, weights=ws * X[:, j], minlength=n_units)
        B = np.hstack([cross, Bx])
        q = n_periods - 1 + p
        E = np.zeros((q, q))
        E[: n_periods - 1, : n_periods - 1] = np.diag(dt[1:])
        if p:
            tx = np.column_stack([np.bincount(period, weights=ws * X[:, j], minlength=n_periods) for j in range(p)])
            E[: n_periods - 1, n_periods - 1 :] = tx[1:]
            E[n_periods - 1 :, : n_periods - 1] = tx[1:].T
            E[n_periods - 1 :, n_periods - 1 :] = (X * ws[:, None]).T @ X
        inv_du = np.divide(1.0, du, out=np.zeros_like(du), where=du > 0)
        schur = E - B.T @ (B * inv_du[:, None])
        if q:
            scale = np.sqrt(np.abs(np.diag(schur)))
            cond = np.linalg.cond(schur / np.outer(scale, scale)) if np.all(scale > 0) else np.inf
            if not np.isfinite(cond) or cond > 1e12:
                raise DesignError(
                    "the model of untreated outcomes (unit and period fixed effects + covariates) is singular: "
                    "covariates are collinear with the fixed effects, or untreated units and periods are not connected"
                )
        return cls(unit=unit, period=period, X=X, weights=weights, sample=sample, du=du, B=B, schur=schur)

    @property
    def fitted_units(self) -> np.ndarray:
        """Mask of units with at least one untreated row (their effect is identified)."""
        return self.du > 0

    def moments(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Z'v`` split into the unit block and the rest block, for v of shape (n,) or (n, k)."""
        v2 = v.reshape(v.shape[0], -1)
        n_units, n_periods = self.du.shape[0], self.B.shape[1] - self.X.shape[1] + 1
        k = v2.shape[1]
        bu, bt = np.zeros((n_units, k)), np.zeros((n_periods - 1, k))
        for j in range(k):
            bu[:, j] = np.bincount(self.unit, weights=v2[:, j], minlength=n_units)
            bt[:, j] = np.bincount(self.period, weights=v2[:, j], minlength=n_periods)[1:]
        return bu, np.vstack([bt, self.X.T @ v2])

    def solve(self, bu: np.ndarray, br: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve ``A a = b`` with ``b = (bu, br)``; returns ``(a_unit, a_rest)``.

        Unit coefficients of units without untreated rows are NaN (not identified).
        """
        inv_du = np.divide(1.0, self.du, out=np.full_like(self.du, np.nan), where=self.du > 0)
        bu0 = np.where(np.isfinite(inv_du)[:, None], bu, 0.0)
        rhs = br - self.B.T @ (bu0 * np.nan_to_num(inv_du)[:, None])
        a_rest = linalg.solve(self.schur, rhs, assume_a="sym") if rhs.shape[0] else rhs
        a_unit = (bu - self.B @ a_rest) * inv_du[:, None]
        return a_unit, a_rest

    def predict(self, a_unit: np.ndarray, a_rest: np.ndarray) -> np.ndarray:
        """``z_i'a`` for every row (n x k); NaN for rows of units that are not identified."""
        n_periods = self.B.shape[1] - self.X.shape[1] + 1
        a_t = np.vstack([np.zeros((1, a_rest.shape[1])), a_rest[: n_periods - 1]])
        return a_unit[self.unit] + a_t[self.period] + self.X @ a_rest[n_periods - 1 :]

    def fit(self, y: np.ndarray) -> np.ndarray:
        """Fitted values ``z_i'gamma`` of the WLS fit of ``y`` on the sample, for every row."""
        v = np.where(self.sample, self.weights * y, 0.0)
        return self.predict(*self.solve(*self.moments(v)))[:, 0]

    def projection(self, v: np.ndarray) -> np.ndarray:
        """``z_i' A^{-1} Z' v`` for every row: the fitted projection of moments ``Z'v``."""
        return self.predict(*self.solve(*self.moments(v)))
