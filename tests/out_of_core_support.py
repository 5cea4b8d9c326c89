"""Shared by the out-of-core tests: a small staggered panel, and the in-memory vs in-engine check.

Each out-of-core estimator (``att_gt_in_engine``, ``event_study_in_engine``,
``imputation_in_engine``) must reproduce its in-memory estimator on a panel both can
hold: the same terms, estimates, standard errors and covariance to :data:`TOL`, and the
same observation and cluster counts.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import FewClustersWarning

TOL = {"rtol": 1e-10, "atol": 1e-12}

#: Column roles of :func:`staggered_panel`, as every estimator takes them.
ARGS = {"y": "outcome", "time": "month", "group": "first", "unit": "person", "cluster": "county"}


def staggered_panel(n_units: int = 600, n_periods: int = 6, seed: int = 3) -> pd.DataFrame:
    """Balanced panel; units nested in 12 regions; cohort 3, 5 or never by region and unit."""
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 12, n_units)
    cohort = np.where(region < 4, 3.0, np.where(region < 8, 5.0, 0.0))
    cohort[rng.random(n_units) < 0.1] = 0.0
    edu = rng.integers(0, 3, n_units)
    w = rng.choice([1.0, 2.0, 3.5], n_units)
    unit = np.repeat(np.arange(n_units) + 1000, n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    g = np.repeat(cohort, n_periods)
    treated = (g > 0) & (t >= g)
    y = (np.repeat(rng.normal(size=n_units), n_periods) + 0.3 * t + 0.4 * np.repeat(edu, n_periods) * t / n_periods
         + treated * (1.0 + 0.2 * (t - g)) + rng.normal(size=len(t)))
    return pd.DataFrame({"person": unit, "month": t, "first": g, "county": np.repeat(region, n_periods).astype(str),
                         "edu": np.repeat(edu, n_periods), "wt": np.repeat(w, n_periods), "outcome": y})


def fit_both(in_memory: Callable[..., Any], in_engine: Callable[..., Any], data: pd.DataFrame, source: Any,
             engine: Any = None, **kwargs: Any) -> tuple[Any, Any]:
    """``in_memory(data, ...)`` and ``in_engine(source, ...)`` with the same arguments (few-cluster warnings off)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        memory = in_memory(data, **ARGS, **kwargs)
        stored = in_engine(source, **ARGS, engine=engine, **kwargs)
    return memory, stored


def assert_same(memory: Any, stored: Any, extra: Iterable[str] = ()) -> None:
    """Terms, estimates, SEs and covariance to :data:`TOL`; nobs, clusters and the ``extra`` keys exactly."""
    assert list(stored.params.index) == list(memory.params.index)
    np.testing.assert_allclose(stored.params, memory.params, **TOL)
    np.testing.assert_allclose(stored.std_errors, memory.std_errors, **TOL)
    np.testing.assert_allclose(stored.cov, memory.cov, **TOL)
    assert stored.nobs == memory.nobs
    assert stored.n_clusters == memory.n_clusters
    for key in extra:
        assert stored.extra[key] == memory.extra[key]
