"""Triple differences (evalkit.estimators.triple_diff) against independent references.

R triplediff's README prints ``ddd()`` on data drawn by its own random generator
(``gen_dgp_2periods`` after ``set.seed(1234)``); the package ships no frozen data and the
draws cannot be reproduced outside R, so the references here take two independent routes
(docs/triple_diff.md):

* without covariates the regression DDD is the triple interaction of the saturated OLS
  model (statsmodels), point and HC0 / cluster (no small-sample factor) standard error;
* with covariates the DR, IPW and regression DDD equal the combination
  ``DiD(4 vs 3) + DiD(4 vs 2) - DiD(4 vs 1)`` of three Callaway-Sant'Anna 2x2 estimates
  (``att_gt``, itself checked against R did) on the pairs of subgroups, with the influence
  functions combined as ``n / n_pair`` (Ortiz-Villavicencio & Sant'Anna 2025).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators import att_gt, triple_diff
from evalkit.inference import wild_cluster_bootstrap
from evalkit.sensitivity import honest_did

RTOL = 1e-10


def two_period(n: int = 1200, seed: int = 1, shift: float = 0.6) -> pd.DataFrame:
    """Two-period panel, four subgroups; covariate x shifted for the treated subgroup and
    trending with it, so that the DDD without covariates is biased."""
    rng = np.random.default_rng(seed)
    s, q = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x = rng.normal(size=n) + shift * s * q
    z = rng.binomial(1, 0.4 + 0.1 * s, n)
    cl = rng.integers(0, 40, n)
    y0 = 1 + s + q + x + z + rng.normal(size=n)
    y1 = y0 + 0.5 + 0.3 * s + 0.2 * q + 0.4 * x - 0.3 * z + 0.7 * s * z + 2.0 * s * q + rng.normal(size=n)
    return pd.DataFrame({
        "id": np.repeat(np.arange(n), 2), "t": np.tile([1, 2], n), "y": np.column_stack([y0, y1]).ravel(),
        "g": np.repeat(np.where(s == 1, 2, 0), 2), "q": np.repeat(q, 2), "x": np.repeat(x, 2),
        "z": np.repeat(z, 2), "cl": np.repeat(cl, 2), "w": np.repeat(rng.uniform(0.5, 2, n), 2),
    })


def test_regression_ddd_without_covariates_is_saturated_ols_panel() -> None:
    df = two_period()
    wide = df[df.t == 2].reset_index(drop=True)
    wide = wide.assign(dy=wide.y.to_numpy() - df[df.t == 1].y.to_numpy(), S=(wide.g > 0).astype(int))
    ols = smf.ols("dy ~ S * q", wide)
    hc0, crv = ols.fit(cov_type="HC0"), ols.fit(cov_type="cluster", cov_kwds={"groups": wide.cl, "use_correction": False})
    for method in ("reg", "ipw", "dr"):  # without covariates all three are the difference of mean changes
        res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", est_method=method)
        np.testing.assert_allclose(res.params.iloc[0], hc0.params["S:q"], rtol=RTOL)
        np.testing.assert_allclose(res.std_errors.iloc[0], hc0.bse["S:q"], rtol=RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", est_method="reg", cluster="cl")
    np.testing.assert_allclose(res.std_errors.iloc[0], crv.bse["S:q"], rtol=RTOL)
    assert res.params.index.tolist() == ["cohort::2:time::2"]
    simple = res.aggregate("simple")
    assert simple.params.index.tolist() == ["ATT"]
    np.testing.assert_allclose(simple.params.iloc[0], res.params.iloc[0], rtol=RTOL)
    np.testing.assert_allclose(simple.std_errors.iloc[0], res.std_errors.iloc[0], rtol=RTOL)


def test_regression_ddd_without_covariates_is_saturated_ols_cross_sections() -> None:
    df = two_period().assign(post=lambda d: (d.t == 2).astype(int), S=lambda d: (d.g > 0).astype(int))
    fit = smf.ols("y ~ S * q * post", df).fit(cov_type="HC0")
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", panel=False, est_method="reg")
    np.testing.assert_allclose(res.params.iloc[0], fit.params["S:q:post"], rtol=RTOL)
    np.testing.assert_allclose(res.std_errors.iloc[0], fit.bse["S:q:post"], rtol=RTOL)


def _three_did(df: pd.DataFrame, method: str, panel: bool, covariates: list[str], weights: str | None) -> tuple[float, float]:
    """DiD(4 vs 3) + DiD(4 vs 2) - DiD(4 vs 1) from three att_gt fits, and its SE."""
    s, q = (df.g > 0).to_numpy(), df.q.to_numpy() == 1
    focal = s & q
    obs = df.id.to_numpy() if panel else df.index.to_numpy()
    n = len(np.unique(obs))
    att, inf = 0.0, pd.Series(0.0, index=np.unique(obs))
    for cs, cq, sign in ((1, 0, 1), (0, 1, 1), (0, 0, -1)):
        pair = focal | ((s == bool(cs)) & (q == bool(cq)))
        sub = df[pair].assign(g=np.where(focal[pair], 2, 0))
        fit = att_gt(sub, y="y", time="t", group="g", unit="id" if panel else None, covariates=covariates,
                     est_method=method, panel=panel, weights=weights)
        n_pair = fit.influence.shape[0]
        att += sign * fit.params.iloc[0]
        inf.loc[fit.obs_labels] += sign * fit.influence[:, 0] * n / n_pair
    return att, float(np.sqrt((inf**2).sum()) / n)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("panel", [True, False])
def test_ddd_with_covariates_is_three_did(method: str, panel: bool) -> None:
    df = two_period(n=800, seed=3)
    weights = "w" if method == "dr" else None
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id" if panel else None,
                      covariates=["x", "z"], est_method=method, panel=panel, weights=weights)
    att, se = _three_did(df, method, panel, ["x", "z"], weights)
    np.testing.assert_allclose(res.params.iloc[0], att, rtol=RTOL)
    np.testing.assert_allclose(res.std_errors.iloc[0], se, rtol=RTOL)


def test_covariates_remove_the_bias_of_the_unconditional_ddd() -> None:
    """The trend depends on x, which is shifted for the treated subgroup: DDD without
    covariates is off by 0.4 * shift = 0.8; the DR-DDD with covariates recovers 2."""
    df = two_period(n=4000, seed=5, shift=2.0)
    plain = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id")
    dr = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", covariates="~ x + z")
    assert abs(plain.params.iloc[0] - 2.0) > 6 * plain.std_errors.iloc[0]
    assert abs(dr.params.iloc[0] - 2.0) < 3 * dr.std_errors.iloc[0]


def staggered(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, dict[tuple[int, int], float]]:
    """Panel of 4 periods, cohorts 3, 4 and never (0); each cohort has its own trend
    (violating DiD parallel trends) shared by eligible and ineligible units (DDD parallel
    trends hold); eligible units of a cohort gain 1 + (t - g) + g / 4 from g on."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4], n, p=[0.4, 0.3, 0.3])
    q = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    unit_fe = rng.normal(size=n) + 0.5 * q
    rows = []
    truth = {}
    for t in range(1, 5):
        trend = {0: 0.2, 3: 0.6, 4: -0.4}
        y = unit_fe + np.vectorize(trend.get)(g) * t + 0.3 * q * t + 0.2 * x * t + rng.normal(size=n)
        effect = np.where((g > 0) & (t >= g), 1 + (t - g) + g / 4, 0.0)
        y = y + effect * q
        for gg in (3, 4):
            if t >= gg:
                truth[(gg, t)] = 1 + (t - gg) + gg / 4
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "y": y, "g": g, "q": q, "x": x,
                                  "cl": np.arange(n) % 50}))
    return pd.concat(rows, ignore_index=True), truth


def test_staggered_cells_are_two_period_ddds() -> None:
    df, _ = staggered()
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", covariates=["x"])
    for (g, t), att in zip(zip(res.group, res.time), res.params):
        base = g - 1 if t >= g else t - 1
        sub = df[df.g.isin([0, g]) & df.t.isin([base, t])]
        sub = sub.assign(g=np.where(sub.g == g, t if t >= g else base + 1, 0))
        two = triple_diff(sub, y="y", time="t", group="g", eligible="q", unit="id", covariates=["x"])
        np.testing.assert_allclose(att, two.params.iloc[0], rtol=RTOL)


def test_not_yet_treated_is_gmm_of_comparison_cohorts() -> None:
    df, _ = staggered(seed=2)
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", control_group="not_yet_treated",
                      base_period="universal")
    # ATT(3,3) has two comparisons (never, cohort 4): each a DDD on its own pair of cohorts
    ests, infs = [], []
    n = df.id.nunique()
    for c in (0, 4):
        sub = df[df.g.isin([3, c]) & df.t.isin([2, 3])].assign(g=lambda d: np.where(d.g == 3, 3, 0))
        two = triple_diff(sub, y="y", time="t", group="g", eligible="q", unit="id")
        col = pd.Series(0.0, index=np.arange(n))
        col.loc[two.obs_labels] = two.influence[:, 0] * n / len(two.obs_labels)
        ests.append(two.params.iloc[0])
        infs.append(col.to_numpy())
    psi = np.column_stack(infs)
    inv = np.linalg.inv(psi.T @ psi / n**2)
    w = inv.sum(axis=0) / inv.sum()
    np.testing.assert_allclose(res.params["cohort::3:time::3"], w @ ests, rtol=RTOL)
    np.testing.assert_allclose(res.std_errors["cohort::3:time::3"], np.sqrt(((psi @ w) ** 2).sum()) / n, rtol=RTOL)
    # ATT(3,4): cohort 4 is treated by then, so only the never-treated compare
    never = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", base_period="universal")
    np.testing.assert_allclose(res.params["cohort::3:time::4"], never.params["cohort::3:time::4"], rtol=RTOL)
    assert res.params["cohort::3:time::2"] == 0.0


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_staggered_ddd_recovers_known_effects_where_did_fails(control_group: str) -> None:
    df, truth = staggered(n=3000, seed=7)
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", covariates=["x"],
                      control_group=control_group)
    for (g, t), att, se in zip(zip(res.group, res.time), res.params, res.std_errors):
        assert abs(att - truth.get((g, t), 0.0)) < 4 * se, (g, t, att, se)
    dyn = res.aggregate("dynamic")
    want = {e: np.mean([v for (g, t), v in truth.items() if t - g == e]) for e in (0, 1)}
    # e = 0 averages cohorts 3 and 4 by their shares, 1 only cohort 3
    for e in (0, 1):
        assert abs(dyn.params[f"event_time::{e}"] - want[e]) < 0.3
    did = att_gt(df[df.q == 1], y="y", time="t", group="g", unit="id", covariates=["x"], control_group=control_group)
    biased = [abs(a - truth[(g, t)]) / s for (g, t), a, s in zip(zip(did.group, did.time), did.params, did.std_errors)
              if (g, t) in truth]
    assert max(biased) > 5


def test_results_work_with_aggregations_bootstrap_and_wild_bootstrap() -> None:
    df, _ = staggered(n=600, seed=4)
    res = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", cluster="cl", n_boot=199, rng=1)
    assert res.crit_uniform is not None
    for kind in ("simple", "group", "calendar", "dynamic"):
        agg = res.aggregate(kind)
        assert np.isfinite(agg.std_errors["ATT"])
    test = wild_cluster_bootstrap(res.aggregate("simple"), "ATT", n_boot=199, rng=2)
    assert test.p_value < 0.05
    weights = res.estimand_weights(np.eye(len(res.params)))
    assert np.all(weights[~res.obs_eligible] == 0)
    tidy = res.tidy()
    assert {"group", "time", "event_time", "estimate", "std_error"} <= set(tidy.columns)
    html = res._repr_html_()  # renders compactly in a notebook, as every result
    assert "Triple differences" in html and html == res.summary()._repr_html_() and len(repr(res).splitlines()) <= 2
    universal = triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", base_period="universal")
    assert np.isfinite(honest_did(universal.aggregate("dynamic")).tidy()["conf_low"]).any()


def test_inputs_are_not_mutated_and_errors_name_the_column() -> None:
    df = two_period(n=200)
    before = df.copy()
    triple_diff(df, y="y", time="t", group="g", eligible="q", unit="id", covariates=["x"])
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(EvalkitError, match="'elig'.*not in the data"):
        triple_diff(df, y="y", time="t", group="g", eligible="elig", unit="id")
    with pytest.raises(EvalkitError, match="'q' must be 0 or 1.*2 rows"):
        triple_diff(df.assign(q=df.q.where(df.index > 1, 2)), y="y", time="t", group="g", eligible="q", unit="id")
    with pytest.raises(EvalkitError, match="constant within each unit.*1 units"):
        triple_diff(df.assign(q=df.q.where(df.index != 0, 1 - df.q)), y="y", time="t", group="g", eligible="q",
                    unit="id")
    with pytest.raises(DesignError, match="no enabled but ineligible"):
        triple_diff(df[~((df.g > 0) & (df.q == 0))], y="y", time="t", group="g", eligible="q", unit="id")
