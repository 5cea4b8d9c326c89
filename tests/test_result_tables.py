"""Result tables are cheap and unchanged: p-values and quantiles from scipy.special, tidy made once.

:mod:`evalkit.results.distributions` evaluates what ``scipy.stats.norm`` and
``scipy.stats.t`` evaluate (``ndtr``, ``ndtri``, ``stdtr``, ``stdtrit``), so the values
must agree to the last bit; ``tidy`` is computed once per result and ``alpha`` and must
still hand out independent frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.regression import feols
from evalkit.results import EstimationResult
from evalkit.results.distributions import quantile, survival

X = np.array([-np.inf, -40.0, -3.2, -1.0, -1e-12, 0.0, 1e-9, 0.5, 1.96, 2.7, 8.0, 38.5, np.inf, np.nan])


@pytest.mark.parametrize("df", [None, 1, 2.5, 7, 30, 1e6, np.inf, 0, -2, np.nan])
def test_survival_and_quantile_are_those_of_scipy_stats(df):
    ref = stats.norm if df is None else stats.t(df)
    np.testing.assert_array_equal(survival(X, df), ref.sf(X))
    q = np.array([1e-12, 0.025, 0.5, 0.9, 0.95, 0.975, 0.995, 1 - 1e-12])
    np.testing.assert_array_equal(quantile(q, df), ref.ppf(q))


def test_per_term_degrees_of_freedom_broadcast():
    df = np.array([3.0, 12.5, 40.0])
    t = np.array([2.1, -0.4, 3.3])
    np.testing.assert_array_equal(survival(t, df), stats.t(df).sf(t))
    np.testing.assert_array_equal(quantile(0.975, df), stats.t(df).ppf(0.975))


def _reference_tidy(res: EstimationResult, alpha: float) -> pd.DataFrame:
    """tidy as computed before, with scipy.stats."""
    est, se = res.params.to_numpy(), res.std_errors.to_numpy()
    dist = stats.norm if res.df_resid is None else stats.t(res.df_resid)
    t = est / se
    crit = dist.ppf(1 - alpha / 2)
    return pd.DataFrame({"term": res.params.index.astype(str), "estimate": est, "std_error": se, "statistic": t,
                         "p_value": 2 * dist.sf(np.abs(t)), "conf_low": est - crit * se, "conf_high": est + crit * se})


@pytest.mark.parametrize("df_resid", [None, 17])
def test_tidy_is_the_scipy_stats_one_and_each_call_gets_its_own_copy(df_resid):
    params = pd.Series([0.1, -2.0, 0.0], index=["a", "b", "c"])
    se = pd.Series([0.05, 0.7, 0.3], index=params.index)
    res = EstimationResult(params=params, std_errors=se, nobs=100, cov_type="iid", df_resid=df_resid)
    for alpha in (0.05, 0.1, 0.05):
        got = res.tidy(alpha)
        pd.testing.assert_frame_equal(got, _reference_tidy(res, alpha), rtol=1e-14, atol=0)
        got.loc[0, "estimate"] = 99.0  # the caller's frame; the result's table is untouched
    assert res.tidy().loc[0, "estimate"] == 0.1
    np.testing.assert_allclose(res.pvalues.to_numpy(), _reference_tidy(res, 0.05)["p_value"], rtol=1e-14)
    ci = res.conf_int(0.1)
    ref = _reference_tidy(res, 0.1)
    np.testing.assert_allclose(ci["lower"], ref["conf_low"], rtol=1e-14)
    assert list(ci.index) == ["a", "b", "c"]


@pytest.mark.filterwarnings("ignore::evalkit.errors.FewClustersWarning")
def test_cr2_tidy_uses_each_terms_satterthwaite_df():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"g": np.repeat(np.arange(9), 6), "x": rng.normal(size=54)})
    data["y"] = 0.3 * data["x"] + rng.normal(size=54) + data["g"] * 0.1
    res = feols("y ~ x", data, vcov="CR2", cluster="g")
    df = res.df_terms.to_numpy()
    t = res.params.to_numpy() / res.std_errors.to_numpy()
    np.testing.assert_array_equal(res.tidy()["p_value"].to_numpy(), 2 * stats.t(df).sf(np.abs(t)))
    crit = stats.t(df).ppf(0.975)
    np.testing.assert_array_equal(res.conf_int()["upper"].to_numpy(), res.params.to_numpy() + crit * res.std_errors.to_numpy())


def test_conditional_test_pieces_equal_their_scipy_stats_and_numpy_definitions():
    """The ARP test's distinct dual vertices and truncated-normal quantiles (evalkit.sensitivity.arp)
    are those of np.unique(axis=0) and scipy.stats.norm, bit for bit."""
    from evalkit.sensitivity.arp import _truncnorm_quantile, _unique_rows

    rng = np.random.default_rng(5)
    G = np.round(rng.integers(0, 3, size=(400, 6)) * rng.choice([0.5, 1.0], size=(400, 6)), 12)
    np.testing.assert_array_equal(_unique_rows(G), np.unique(G, axis=0))
    np.testing.assert_array_equal(_unique_rows(G[:1]), np.unique(G[:1], axis=0))
    lo = np.array([-3.0, -0.2, 0.0, 0.4, 2.5, 9.0, -np.inf])
    hi = np.array([1.0, 0.3, 4.0, np.inf, 7.0, 9.5, np.inf])
    p = 0.9
    ref = np.where(lo > 0, stats.norm.isf(stats.norm.sf(lo) - p * (stats.norm.sf(lo) - stats.norm.sf(hi))),
                   stats.norm.ppf(stats.norm.cdf(lo) + p * (stats.norm.cdf(hi) - stats.norm.cdf(lo))))
    np.testing.assert_array_equal(_truncnorm_quantile(p, lo, hi), ref)
