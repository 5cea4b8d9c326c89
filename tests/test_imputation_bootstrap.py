"""The wild cluster bootstrap of ``imputation_did``: its restricted scores are those of the
linear estimator with the tested null imposed, checked against brute-force refits of the
imputation estimator to bootstrap outcomes, and they equal two-stage DiD's scores (the
same estimate); the analytic BJS standard errors are left as they were."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import imputation_did, two_stage_did
from evalkit.inference import wild_cluster_bootstrap
from evalkit.inference.weights import draw_weights

pytestmark = pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")

COLS = {"y": "y", "time": "t", "group": "g", "unit": "unit", "weights": "n", "cluster": "county"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Two units per county in 8 counties (two waves of two counties, four never treated),
    6 periods, unequal analytic weights, effects that differ between the waves."""
    rng = np.random.default_rng(11)
    counties, per, periods = 8, 2, 6
    first = np.array([3, 3, 5, 5, 0, 0, 0, 0])
    county = np.repeat(np.arange(counties), per)
    unit = np.arange(county.size)
    t = np.arange(1, periods + 1)
    g = first[county]
    D = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    effect = np.where(g == 3, 0.8, -0.3)[:, None] * D
    y = (rng.normal(size=counties)[county][:, None] + 0.2 * t + rng.normal(size=(unit.size, periods))
         + 0.5 * rng.normal(size=(counties, periods))[county] + effect)
    return pd.DataFrame({"county": np.repeat(county, periods), "unit": np.repeat(unit, periods),
                         "t": np.tile(t, unit.size), "g": np.repeat(g, periods), "y": y.ravel(),
                         "n": rng.integers(5, 60, size=unit.size * periods).astype(float)})


def untreated_fit(df: pd.DataFrame) -> np.ndarray:
    """Y^(0) of every row: WLS of y on unit and period dummies over the untreated rows (numpy)."""
    Z = np.column_stack([pd.get_dummies(df["unit"]).to_numpy(float), pd.get_dummies(df["t"]).to_numpy(float)[:, 1:]])
    untreated = ~((df["g"] > 0) & (df["t"] >= df["g"])).to_numpy()
    sw = np.sqrt(df["n"].to_numpy())[untreated]
    coef = np.linalg.lstsq(Z[untreated] * sw[:, None], df["y"].to_numpy()[untreated] * sw, rcond=None)[0]
    return Z @ coef


@pytest.mark.parametrize("term, r", [("ATT", 0.0), ("ATT", 0.4), ("event_time::1", -0.2)])
def test_restricted_scores_equal_refits_under_the_null(panel: pd.DataFrame, term: str, r: float) -> None:
    """``sum_g v_g S~_g(r)`` is ``tau*_b - r`` of imputation_did refitted to
    ``y* = Y^(0) + r D + v_g e~``, ``e~`` the residual with the null imposed."""
    res = imputation_did(panel, **COLS)
    sc = res.bootstrap_scores([term])
    est = float(res.params[term])
    restricted = sc.scores[:, 0] + sc.shares[:, 0] * (est - r)
    rel = (panel["t"] - panel["g"]).to_numpy()
    treated = ((panel["g"] > 0) & (panel["t"] >= panel["g"])).to_numpy()
    target = treated if term == "ATT" else treated & (rel == 1)
    y = panel["y"].to_numpy()
    y0 = untreated_fit(panel)
    null_fit = y0 + r * target  # the model with the tested null imposed (other treated rows: unused)
    resid = np.where(treated & ~target, 0.0, y - null_fit)
    v = draw_weights("webb", 12, 8, np.random.default_rng(5))
    county = panel["county"].to_numpy()
    for vb in v:
        star = panel.assign(y=np.where(treated & ~target, y, null_fit + vb[county] * resid))
        refit = float(imputation_did(star, **COLS).params[term])
        assert refit - r == pytest.approx(vb @ restricted, rel=1e-9, abs=1e-12)


def test_scores_are_two_stage_scores_and_bjs_se_is_unchanged(panel: pd.DataFrame) -> None:
    imp = imputation_did(panel, **COLS)
    two = two_stage_did(panel, **COLS)
    terms = ["ATT", "event_time::0", "event_time::1", "event_time::3"]
    a, b = imp.bootstrap_scores(terms), two.bootstrap_scores(terms)
    np.testing.assert_allclose(imp.params[terms], two.params[terms], rtol=1e-10)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(a.shares, b.shares, rtol=1e-12)
    # the reported SE stays the BJS conservative one (cell-centred), smaller here than the scores'
    assert not np.allclose(np.sqrt((a.scores**2).sum(axis=0)), imp.std_errors[terms], rtol=1e-3)
    wi = wild_cluster_bootstrap(imp, "ATT", n_boot=199, weight_type="webb", rng=3, ci=False)
    wt = wild_cluster_bootstrap(two, "ATT", n_boot=199, weight_type="webb", rng=3, ci=False)
    assert wi.p_value == wt.p_value
    np.testing.assert_allclose(wi.draws, wt.draws, rtol=1e-9)
