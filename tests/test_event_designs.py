"""The design of the event-time estimators (evalkit.staggered.event_data): one implementation
for one outcome and several, and the few-cluster warning that names the user's own line."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import FewClustersWarning
from evalkit.estimators.event_study import event_study
from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.stacked import stacked_did
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.two_stage import two_stage_did
from evalkit.staggered.event_data import event_design, event_designs


@pytest.fixture()
def twelve_units() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [(u, t, (0, 5, 7)[u % 3], rng.normal(), rng.normal()) for u in range(12) for t in range(1, 10)]
    return pd.DataFrame(rows, columns=["unit", "time", "g", "y", "z"])


@pytest.mark.parametrize("estimator, options", [
    (event_study, {}), (sun_abraham, {}), (imputation_did, {}), (two_stage_did, {}),
    (stacked_did, {"min_e": -2, "max_e": 2}),
])
def test_the_few_cluster_warning_names_the_callers_line(twelve_units, estimator, options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line_after()
        estimator(twelve_units, y="y", time="time", group="g", unit="unit", **options)
    few = [w for w in caught if issubclass(w.category, FewClustersWarning)]
    assert few, f"{estimator.__name__}: no FewClustersWarning with 12 clusters"
    assert {(w.filename, w.lineno) for w in few} == {(__file__, line)}


def _line_after() -> int:
    """The line number after the caller's line."""
    import inspect

    return inspect.currentframe().f_back.f_lineno + 1


def test_one_outcome_is_the_first_of_several(twelve_units):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        one = event_design(twelve_units, y="z", time="time", group="g", unit="unit")
        first, second = event_designs(twelve_units, ys=["y", "z"], time="time", group="g", unit="unit")
    np.testing.assert_array_equal(one.y, second.y)
    for name in ("time", "group", "unit", "period", "cluster", "periods", "cohorts"):
        np.testing.assert_array_equal(getattr(one, name), getattr(first, name))
    assert not np.array_equal(first.y, second.y)
