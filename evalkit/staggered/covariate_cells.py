"""Covariate cells: the distinct rows of a covariate matrix and the cell of every row.

Estimators whose nuisance models depend on the data only through sums within covariate
cells (discrete covariates) use them instead of the rows: the doubly robust ATT(g,t) of
:mod:`evalkit.estimators.att_gt_covariate_cells`, and the collinearity check of the
covariates in :func:`evalkit.staggered.gt_data.staggered_data` (the R factor of ``X`` is
that of the distinct rows scaled by the square roots of their counts, since both have the
Gram matrix ``X'X``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAX_CELL_SHARE", "covariate_cells"]

#: Use the cell path only when there are at most this share of distinct covariate rows per unit.
MAX_CELL_SHARE = 0.25


def covariate_cells(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct rows of ``x`` (n x k) and the code of each row, or ``None`` if too many.

    Rows are hashed by a fixed projection, factorised, and the codes checked against
    ``x`` exactly (a collision falls back to sorting the rows).
    """
    n, k = x.shape
    h = x @ (1.0 / np.sqrt(np.arange(2.0, k + 2.0)))
    codes, _ = pd.factorize(h)
    if n == 0 or codes.min() < 0:  # no rows, or non-finite values
        return None
    n_cells = int(codes.max()) + 1
    if n_cells > MAX_CELL_SHARE * n:
        return None
    first = np.empty(n_cells, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    rows = x[first]
    if not np.array_equal(rows[codes], x):
        rows, codes = np.unique(x, axis=0, return_inverse=True)
        codes = codes.reshape(-1)
    return rows, codes
