"""Sun & Abraham (2021): frozen pyfixest saturated regression + share aggregation."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, ExcludedRowsWarning, FewClustersWarning
from evalkit.estimators.sun_abraham import sun_abraham

REF = json.loads((Path(__file__).parent / "reference" / "staggered_regression.json").read_text())
DATA = pd.DataFrame(REF["data"])
COLS = {"y": "y", "time": "time", "group": "g", "unit": "unit"}
SA = REF["sun_abraham"]


def test_event_times_match_pyfixest_saturated_regression() -> None:
    res = sun_abraham(DATA, **COLS)
    post = res.params.drop("ATT")
    assert res.event_time.drop("ATT").tolist() == SA["event_times"]
    np.testing.assert_allclose(post, SA["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.std_errors.drop("ATT"), SA["se"], rtol=1e-6)
    np.testing.assert_allclose(post, [SA["diff_diff_points"][str(e)] for e in SA["event_times"]], rtol=1e-8)


def test_cohort_effects_match_pyfixest() -> None:
    catt = sun_abraham(DATA, **COLS).extra["catt"]
    assert [[g, e] for g, e in zip(catt["cohort"], catt["event_time"])] == SA["cohort_cells"]
    np.testing.assert_allclose(catt["estimate"], SA["cohort_coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(catt["std_error"], SA["cohort_se"], rtol=1e-6)


def test_shares_sum_to_one_per_event_time_and_att_is_share_average() -> None:
    res = sun_abraham(DATA, **COLS)
    catt = res.extra["catt"]
    np.testing.assert_allclose(catt.groupby("event_time")["share"].sum(), 1.0, rtol=1e-12)
    post = catt.loc[catt["event_time"] >= 0]
    counts = DATA.loc[DATA["g"] > 0].assign(e=lambda d: d["time"] - d["g"]).groupby(["g", "e"]).size()
    sizes = np.array([counts[(g, e)] for g, e in zip(post["cohort"], post["event_time"])], dtype=float)
    np.testing.assert_allclose(res.params["ATT"], np.sum(sizes * post["estimate"]) / sizes.sum(), rtol=1e-12)


def test_adding_constant_to_outcome_changes_nothing() -> None:
    a = sun_abraham(DATA, **COLS)
    b = sun_abraham(DATA.assign(y=DATA["y"] + 5.0), **COLS)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-9, atol=1e-9)


def test_last_cohort_as_control() -> None:
    no_never = DATA.loc[DATA["g"] > 0]
    with pytest.raises(DesignError, match="control_group='last_treated'"):
        sun_abraham(no_never, **COLS)
    with pytest.warns(ExcludedRowsWarning, match="periods >= 7"):
        res = sun_abraham(no_never, **COLS, control_group="last_treated")
    assert res.event_time.max() == 3  # cohort 3 observed until period 6


def test_few_clusters_counts_treated_and_untreated_rows_not_ever_treated_units() -> None:
    """Without never-treated units every cluster is ever treated, yet the not-yet-treated
    rows of many clusters are the comparison: no few-clusters warning for that alone."""
    no_never = DATA.loc[DATA["g"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        sun_abraham(no_never, **COLS, control_group="last_treated")


def test_bad_control_value() -> None:
    with pytest.raises(ValueError, match="control"):
        sun_abraham(DATA, **COLS, control_group="not_yet_treated")  # type: ignore[arg-type]
