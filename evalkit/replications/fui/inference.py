"""Inference for the FUI effect that is honest about the few treated counties.

The reform was assigned to one region of six counties; the comparison region has twelve.
Conventional and county-clustered (CR1) standard errors are unreliable in such a design:
CR1 rests on many clusters and rejects a true null too often with 18 counties and 6
treated (MacKinnon & Webb 2017).  For each outcome and horizon this module reports, beside
the naive CR1 test,

- the restricted wild cluster bootstrap by county with Webb weights (Cameron, Gelbach &
  Miller 2008; Roodman, MacKinnon, Nielsen & Webb 2019): p-value and confidence interval
  by test inversion;
- randomization inference over which six of the eighteen counties are treated, all
  C(18, 6) = 18,564 assignments enumerated (Fisher; Conley & Taber 2011 for few policy
  changes): the exact p-value of the sharp null of no effect in any county and the
  interval of constant effects it does not reject (Imbens & Rubin 2015, ch. 5.7).

These two are the few-cluster-valid inference of the report; CR1 is shown as the naive
comparison.  Both work with the fixed effects of a study's model (``[model] fixed_effects``):
the randomization test absorbs them (:func:`~evalkit.inference.did_randomization_test`),
and the wild bootstrap is that of the dummy-variable regression: fixed effects nested in
the counties (county, region) are absorbed, which gives the same bootstrap, and others
(entry month) enter as dummies (:func:`bootstrap_model`).  The family of 2 outcomes x 4 horizons is tested eight times, so each method
also gets family-wise step-down p-values built on the same draws: Romano-Wolf (maxT) for
the wild bootstrap, whose eight tests share one set of county weights, and Westfall-Young
(minP) for the randomization tests, which share the enumerated assignments (Romano & Wolf
2005; Westfall & Young 1993).  Both assume that shocks are independent across counties; a shock common to
the whole South-West cannot be told apart from the reform with one treated region.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from evalkit.errors import FewClustersWarning
from evalkit.inference.randomization import did_randomization_test
from evalkit.inference.stepdown import romano_wolf, westfall_young
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap
from evalkit.progress import progress
from evalkit.regression.feols import feols
from evalkit.replications.fui.regressions import FuiRegressions

EFFECT_TERM = "south_west:t2"

#: The few-cluster section's first sentence in every report format.
FEW_CLUSTERS_LEAD = (
    "The wild cluster bootstrap and randomization inference by county are valid with so few (treated) "
    "counties and are the inference of this report; CR1 is shown only as the naive comparison."
)

#: What each inference column of :func:`few_cluster_inference` is, for the report's text.
METHOD_NOTES: tuple[str, ...] = (
    "wild: restricted wild cluster bootstrap by county (WCR, Webb weights), p-value and "
    "interval by test inversion -- valid with few clusters (the recommended test)",
    "randomization: every assignment of the reform to as many counties as were treated "
    "(C(18,6) = 18,564 for the Norwegian schedule), exact p-value of no effect in any county and "
    "the interval of constant effects not rejected -- valid with few clusters if counties are exchangeable",
    "step-down: family-wise p-values over all outcomes and horizons from the same draws -- Romano-Wolf "
    "of the wild tests, Westfall-Young of the randomization tests; rejecting where they are below alpha "
    "keeps the chance of any false rejection among the 2 x 4 tests at alpha",
    "CR1: county-clustered t-test and interval, shown only as the naive comparison: with so few "
    "(treated) counties it rejects a true null too often (MacKinnon & Webb 2017)",
)


def bootstrap_model(result: Any, fixed_effects: tuple[str, ...], cluster: str = "county") -> Any:
    """The regression whose wild cluster bootstrap is that of the dummy-variable regression.

    The bootstrap works on the data with the absorbed fixed effects partialled out
    (Frisch-Waugh-Lovell).  For fixed effects nested in the clusters (county or region
    effects, clusters by county) the draws' residuals stay orthogonal to them and the
    bootstrap equals the dummy-variable regression's; for others (entry-month effects)
    it would not, so they are refitted as dummies (``C(entry_month)``).  ``result`` is
    one model of :func:`~evalkit.replications.fui.regressions.fit_fui_regressions`
    (county-clustered), returned as it is when every fixed effect is nested.
    """
    data = result.data
    spread = [fe for fe in fixed_effects if data.groupby(fe, sort=False)[cluster].nunique().max() > 1]
    if not spread:
        return result
    rhs = result.formula.partition(" | ")[0]
    nested = [fe for fe in fixed_effects if fe not in spread]
    formula = rhs + "".join(f" + C(`{fe}`)" for fe in spread)
    if nested:
        formula += " | " + " + ".join(f"`{fe}`" for fe in nested)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)  # the bootstrap is the few-cluster test
        return feols(formula, data, vcov="CR1", cluster=cluster)


def few_cluster_inference(
    clustered: FuiRegressions, *, n_boot: int = 9999, seed: int = 2017, alpha: float = 0.05
) -> pd.DataFrame:
    """Few-cluster-valid p-values and intervals of the FUI effect per outcome and horizon.

    Parameters
    ----------
    clustered
        The FUI regressions with county-clustered (CR1) covariance.
    n_boot
        Wild bootstrap draws (Webb's six-point weights).
    seed
        Seed of the bootstrap draws (the randomization test enumerates, needing none).
    alpha
        One minus the coverage of every interval.

    Returns
    -------
    pandas.DataFrame
        One row per outcome and horizon: ``estimate``; the naive ``cr1_se``, ``cr1_p``,
        ``cr1_conf_low``, ``cr1_conf_high``; ``wild_p``, ``wild_conf_low``,
        ``wild_conf_high``; ``randomization_p``, ``randomization_conf_low``,
        ``randomization_conf_high``; the family-wise step-down ``romano_wolf_p`` (of
        the wild tests) and ``westfall_young_p`` (of the randomization tests) over every
        row; ``assignments`` and ``n_clusters``.
        :data:`METHOD_NOTES` says which is which.
    """
    if clustered.cov_type != "CR1":
        raise ValueError("few_cluster_inference needs the county-clustered (CR1) regressions")
    rows, wild_tests, permutation_tests = [], {}, {}
    for (outcome, horizon), res in progress(clustered.models.items(), "wild bootstrap and randomization (models)"):
        wild = wild_cluster_bootstrap(
            bootstrap_model(res, clustered.fixed_effects), EFFECT_TERM, cluster="county", n_boot=n_boot, weight_type="webb", rng=seed, alpha=alpha
        )
        permuted = did_randomization_test(
            res.data, "y", unit="county", treated="south_west", post="t2",
            covariates=list(clustered.covariates), categorical=list(clustered.fixed_effects), alpha=alpha,
        )
        naive = res.conf_int(alpha=alpha).loc[EFFECT_TERM]
        wild_tests[f"{outcome}_{horizon}"], permutation_tests[f"{outcome}_{horizon}"] = wild, permuted
        rows.append(
            {
                "outcome": outcome,
                "horizon": horizon,
                "estimate": float(res.params[EFFECT_TERM]),
                "cr1_se": float(res.std_errors[EFFECT_TERM]),
                "cr1_p": float(res.pvalues[EFFECT_TERM]),
                "cr1_conf_low": float(naive["lower"]),
                "cr1_conf_high": float(naive["upper"]),
                "wild_p": wild.p_value,
                "wild_conf_low": wild.interval[0],
                "wild_conf_high": wild.interval[1],
                "randomization_p": permuted.p_value,
                "randomization_conf_low": permuted.interval[0],
                "randomization_conf_high": permuted.interval[1],
                "assignments": permuted.n_possible,
                "n_clusters": wild.n_clusters,
            }
        )
    table = pd.DataFrame(rows)
    insert = table.columns.get_loc("assignments")
    table.insert(insert, "westfall_young_p", westfall_young(permutation_tests).p_value_adjusted)
    table.insert(insert, "romano_wolf_p", romano_wolf(wild_tests).p_value_adjusted)
    return table


def wild_effects(result: Any, *, n_boot: int = 9999, seed: int = 2017, alpha: float = 0.05) -> pd.DataFrame:
    """Wild cluster bootstrap p-value and interval of every term of a staggered result.

    For the event study's imputation (or two-stage) result: the restricted score
    bootstrap by its clusters (counties) with Webb weights, one set of weights for all
    terms (:func:`~evalkit.inference.wild_cluster_bootstrap`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``term`` (``ATT``, ``event_time::e``): ``wild_p``, ``wild_conf_low``,
        ``wild_conf_high``.
    """
    tests = wild_cluster_bootstrap(result, None, n_boot=n_boot, weight_type="webb", rng=seed, alpha=alpha)
    return pd.DataFrame(
        {
            "wild_p": [t.p_value for t in tests.values()],
            "wild_conf_low": [t.interval[0] for t in tests.values()],
            "wild_conf_high": [t.interval[1] for t in tests.values()],
        },
        index=pd.Index(list(tests), name="term"),
    )
