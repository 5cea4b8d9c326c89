"""The planned 2x2 with covariates: cells by unit, month and covariate values.

With covariates (the FUI model's county unemployment rate, age at entry, gender, education)
the planned 2x2 is the regression ``y = a + b1 post + b2 treated + b3 treated x post + x'g``.
Every regressor is constant within a cell of persons sharing unit, month and covariate
values, so the person-level least squares is the regression of the cells' means weighted
by their counts: same coefficients, same cluster scores (a cell's score is its count times
its mean residual times its regressors), so the same restricted wild cluster bootstrap
(the argument of :mod:`evalkit.planning.cells`, tested against ``did2x2(..., covariates=,
categorical=)`` on person rows).  Numeric covariates enter as they are; text or categorical
ones as indicators of every level but the first (sorted), named ``column::level``.

An effect added to the treated units' post-window outcomes moves ``b3`` by exactly the
effect and leaves the residuals unchanged (``treated x post`` is a column of the design), so
one interval per placebo still gives its rejection of every effect size
(:mod:`evalkit.planning.placebo`).  Covariates that explain between-unit or between-month
variance of the outcome shrink the residual cluster scores and so the MDE; with few
clusters only unit x window variation matters (unit and window effects are differenced
out already).  Randomization inference with covariates is not offered (its statistic would
need a refit per assignment); the planned inference with covariates is the wild bootstrap.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ExcludedRowsWarning
from evalkit.inference.weights import WeightType
from evalkit.planning.cell_bootstrap import TERMS, wild_cell_interval
from evalkit.planning.cells import OutcomeCells
from evalkit.results.base import freeze_arrays
from evalkit.rows import numeric_column

__all__ = ["CovariateCells", "covariate_cells", "covariate_interval"]


@dataclass(frozen=True)
class CovariateCells:
    """Cells of one outcome by unit, month and covariate values.

    ``unit`` (codes into ``units``), ``month``, ``count``, ``total`` (sum of the outcome) are
    per cell; ``X`` holds the covariate columns ``names`` (numeric values and level
    indicators).  ``outcome`` is the same outcome collapsed to unit x month
    (:class:`~evalkit.planning.cells.OutcomeCells`: placebo shifts, group checks and the
    analytic approximation use it).
    """

    outcome: OutcomeCells
    unit: np.ndarray
    month: np.ndarray
    count: np.ndarray
    total: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def before(self, month: int) -> CovariateCells:
        """Only the cells whose outcome is observed before ``month`` (see :meth:`OutcomeCells.before`)."""
        keep = self.month + (self.outcome.horizon or 0) < month
        return CovariateCells(self.outcome.before(month), self.unit[keep], self.month[keep], self.count[keep],
                              self.total[keep], self.X[keep], self.names)


def covariate_cells(outcome: OutcomeCells, data: pd.DataFrame, y: np.ndarray, w: np.ndarray, months: np.ndarray,
                    unit: str, covariates: Sequence[str], *, stacklevel: int = 3) -> CovariateCells:
    """Group the rows of ``data`` (outcome ``y``, count ``w``, month ``months``) by unit, month and covariates.

    ``outcome`` is the unit x month collapse of the same rows.  Rows with a missing
    covariate are left out with an :class:`~evalkit.errors.ExcludedRowsWarning` naming the
    column and the count (``stacklevel`` points it at the user's call).

    Raises
    ------
    EvalkitError
        A covariate that is not a column (named, with the columns there are), or one
        named twice.
    """
    covariates = list(covariates)
    absent = [c for c in covariates if c not in data.columns]
    if absent:
        raise EvalkitError(f"covariate(s) {absent} are not columns of the outcome data; its columns are "
                           f"{list(data.columns)[:12]}")
    if len(set(covariates)) != len(covariates) or unit in covariates:
        raise EvalkitError(f"covariates must be distinct columns other than the unit {unit!r}, got {covariates}")
    frame = pd.DataFrame({"_unit": data[unit].astype("string").to_numpy(), "_month": np.asarray(months),
                          "_w": w, "_wy": w * y})
    kinds = {}
    for c in covariates:
        column = data[c]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            frame[c] = numeric_column(data, c, "covariate")
            kinds[c] = "numeric"
        else:
            frame[c] = column.astype("string").to_numpy()
            kinds[c] = "categorical"
    missing = frame[covariates].isna().any(axis=1).to_numpy()
    if missing.any():
        counts = {c: int(frame[c].isna().sum()) for c in covariates if frame[c].isna().any()}
        warnings.warn(f"{int(missing.sum())} of {len(frame)} rows have a missing covariate ({counts}) and were left "
                      "out of the covariate model", ExcludedRowsWarning, stacklevel=stacklevel)
        frame = frame.loc[~missing]
    grouped = frame.groupby(["_unit", "_month", *covariates], sort=True, observed=True)[["_w", "_wy"]].sum()
    grouped = grouped.reset_index()
    columns, names = [], []
    for c in covariates:
        if kinds[c] == "numeric":
            columns.append(grouped[c].to_numpy(dtype=float))
            names.append(c)
            continue
        levels = sorted(pd.unique(grouped[c]))
        for level in levels[1:]:
            columns.append((grouped[c] == level).to_numpy(dtype=float))
            names.append(f"{c}::{level}")
    codes = {u: i for i, u in enumerate(outcome.units)}
    X = np.column_stack(columns) if columns else np.empty((len(grouped), 0))
    return CovariateCells(outcome=outcome, unit=grouped["_unit"].map(codes).to_numpy(dtype=np.intp),
                          month=grouped["_month"].to_numpy(dtype=np.int64), count=grouped["_w"].to_numpy(dtype=float),
                          total=grouped["_wy"].to_numpy(dtype=float), X=X, names=tuple(names))


def covariate_interval(cells: CovariateCells, pre: tuple[int, int], post: tuple[int, int], z: np.ndarray, *,
                       n_boot: int, weight_type: WeightType, alpha: float,
                       gen: np.random.Generator) -> tuple[float, float, float]:
    """Estimate and wild bootstrap interval of ``treated:post`` with covariates, units ``z`` treated.

    Covariate columns without variation in the two windows (a level absent there) are left
    out of that placebo's regression: they are collinear with the intercept.
    """
    in_pre = (cells.month >= pre[0]) & (cells.month <= pre[1])
    in_post = (cells.month >= post[0]) & (cells.month <= post[1])
    keep = (in_pre | in_post) & (cells.count > 0)
    treated = np.asarray(z, dtype=float)[cells.unit[keep]]
    after = in_post[keep].astype(float)
    covs = cells.X[keep]
    varies = covs.std(axis=0) > 0
    X = np.column_stack([np.ones(keep.sum()), after, treated, treated * after, covs[:, varies]])
    names = [*TERMS, *(n for n, v in zip(cells.names, varies) if v)]
    return wild_cell_interval(cells.total[keep] / cells.count[keep], X, cells.count[keep], cells.unit[keep], names,
                              n_boot=n_boot, weight_type=weight_type, alpha=alpha, gen=gen)
