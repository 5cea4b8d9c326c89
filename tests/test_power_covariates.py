"""The planned 2x2 with covariates (evalkit.power(covariates=...), ``evalkit power --covariate``): the cell-level
wild bootstrap is the person-level did2x2 with the covariates, and a covariate that explains the unit x month
variance of the outcome lowers the MDE where it must."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_power import person_2x2

import evalkit
from evalkit import did2x2, wild_cluster_bootstrap
from evalkit.errors import EvalkitError, FewClustersWarning
from evalkit.planning import PlannedRollout, outcome_cells
from evalkit.planning.cells import outcome_rows
from evalkit.planning.covariates import covariate_cells, covariate_interval
from evalkit.planning.placebo import placebo_shifts

PLAN = PlannedRollout.parse("2001-01:4,2001-07:rest")


def county_panel(*, units: int = 12, months: int = 40, persons: int = 25, seed: int = 0,
                 effect_of_unemployment: float = -3.0) -> pd.DataFrame:
    """Persons with an age band, in counties whose monthly unemployment rate (AR(1) across months) moves
    their employment probability: the unemployment rate is the unit x month shock, observed."""
    rng = np.random.default_rng(seed)
    rate = np.empty((units, months))
    rate[:, 0] = rng.normal(0.04, 0.01, units)
    for t in range(1, months):
        rate[:, t] = 0.04 + 0.8 * (rate[:, t - 1] - 0.04) + rng.normal(0, 0.01 * np.sqrt(1 - 0.64), units)
    n = rng.poisson(persons, (units, months)) + 2
    unit_of = np.repeat(np.repeat(np.arange(units), months), n.ravel())
    month_of = np.repeat(np.tile(np.arange(months), units), n.ravel())
    band = rng.choice(["16-19", "20-24", "25-29"], size=unit_of.size)
    p = 0.45 + effect_of_unemployment * (rate[unit_of, month_of] - 0.04) + np.where(band == "16-19", -0.1, 0.05)
    labels = pd.period_range("2000-01", periods=months, freq="M").astype(str)
    return pd.DataFrame({
        "county": [f"u{u:02d}" for u in unit_of], "month": labels[month_of], "age_band": band,
        "unemployment": rate[unit_of, month_of] * 100,
        "y": (rng.uniform(size=unit_of.size) < np.clip(p, 0.01, 0.99)).astype(float),
    })


def test_cell_level_covariate_model_is_the_person_level_did2x2_with_covariates():
    data = county_panel(months=30, seed=1)
    kept, y, w, months, _ = outcome_rows(data, "y", unit="county", period="month")
    cells = outcome_cells(data, "y", unit="county", period="month")
    model = covariate_cells(cells, kept, y, w, months.to_numpy(), "county", ["unemployment", "age_band"])
    assert model.names == ("unemployment", "age_band::20-24", "age_band::25-29")
    shift = placebo_shifts(cells, PLAN)[2]
    z = np.zeros(12, dtype=bool)
    z[[0, 4, 7, 10]] = True
    estimate, lower, upper = covariate_interval(model, *PLAN.shifted(shift), z, n_boot=999, weight_type="webb",
                                                alpha=0.05, gen=np.random.default_rng(5))
    rows = person_2x2(data, PLAN, shift, [cells.units[i] for i in np.flatnonzero(z)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit = did2x2(rows, "y", treated="treated", post="post", covariates=["unemployment"], categorical=["age_band"],
                     cluster="county")
    test = wild_cluster_bootstrap(fit, fit.effect_term, n_boot=999, weight_type="webb", rng=np.random.default_rng(5))
    assert estimate == pytest.approx(fit.effect, rel=1e-9)
    np.testing.assert_allclose([lower, upper], test.interval, rtol=1e-6)


def test_a_covariate_that_explains_the_shocks_lowers_the_mde():
    # cells (county x month) with the county unemployment rate: the unit x month shocks are the rate's
    data = county_panel(months=60, persons=60, seed=2, effect_of_unemployment=-6.0)
    cells = (data.groupby(["county", "month"], as_index=False)
             .agg(y=("y", "mean"), persons=("y", "size"), unemployment=("unemployment", "first")))
    options = {"outcomes": "y", "period": "month", "count": "persons", "n_assignments": 4, "shift_step": 3,
               "n_boot": 199, "rng": 4}
    without = evalkit.power(cells, PLAN, **options).mde().iloc[0]
    result = evalkit.power(cells, PLAN, covariates=["unemployment"], **options)
    with_rate = result.mde().iloc[0]
    assert with_rate["mde"] < 0.75 * without["mde"], (with_rate["mde"], without["mde"])
    assert with_rate["placebo_sd"] < 0.75 * without["placebo_sd"]
    assert result.designs.iloc[0]["covariates"] == "unemployment"
    # a covariate unrelated to the outcome changes little
    noise = cells.assign(noise=np.random.default_rng(0).normal(size=len(cells)))
    unrelated = evalkit.power(noise, PLAN, covariates=["noise"], **options).mde().iloc[0]
    assert unrelated["mde"] == pytest.approx(without["mde"], rel=0.25)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covariates": ["jobless"]}, r"covariate\(s\) \['jobless'\] are not columns"),
        ({"covariates": ["unemployment"], "inference": "randomization"}, "wild cluster bootstrap"),
        ({"covariates": ["unemployment"], "estimator": "event_study"}, "wild cluster bootstrap"),
        ({"covariates": ["county"]}, "other than the unit 'county'"),
    ],
)
def test_covariate_errors_name_the_column_or_option(kwargs, message):
    data = county_panel(months=30, seed=3)
    with pytest.raises(EvalkitError, match=message):
        evalkit.power(data, PLAN, outcomes="y", period="month", n_assignments=1, n_boot=99, **kwargs)
    with pytest.raises(EvalkitError, match="need the outcome's rows"):
        evalkit.power(outcome_cells(data, "y", unit="county", period="month"), PLAN, covariates=["x"])
