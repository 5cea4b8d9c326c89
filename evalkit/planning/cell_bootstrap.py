"""The planned 2x2 on cell means, scored by the restricted wild cluster bootstrap.

Shared by the planned 2x2 without covariates (:mod:`evalkit.planning.placebo`) and with them
(:mod:`evalkit.planning.covariates`): a weighted regression of unit x window cell means on the
2x2's terms, which gives the person-level coefficients and cluster scores exactly when every
regressor is constant within a cell.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import FewClustersWarning
from evalkit.inference import wild_cluster_bootstrap
from evalkit.inference.weights import WeightType
from evalkit.regression import OLSFit, fit_ols

#: Terms of the 2x2 regression (covariates follow them).
TERMS = ("Intercept", "post", "treated", "treated:post")


@dataclass(frozen=True)
class CellRegression:
    """The 2x2 regression of cell means as :func:`wild_cluster_bootstrap` reads a result."""

    params: pd.Series
    fit: OLSFit
    data: pd.DataFrame | None = None


def wild_cell_interval(means: np.ndarray, X: np.ndarray, n: np.ndarray, unit: np.ndarray, names: Sequence[str], *,
                       n_boot: int, weight_type: WeightType, alpha: float,
                       gen: np.random.Generator) -> tuple[float, float, float]:
    """Estimate and restricted wild bootstrap interval of ``treated:post`` in the regression of cell
    means on ``X`` (columns ``names``) weighted by the cells' counts ``n``, clustered by ``unit``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit = fit_ols(means, X, weights=n, cluster=unit, cov_type="CR1", names=tuple(names))
    result = CellRegression(params=pd.Series(fit.beta, index=list(names)), fit=fit)
    test = wild_cluster_bootstrap(result, "treated:post", n_boot=n_boot, weight_type=weight_type, rng=gen,
                                  alpha=alpha)
    return test.estimate, test.interval[0], test.interval[1]
