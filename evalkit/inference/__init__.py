"""The inference core shared by all estimators: pure array functions, and the few-cluster tests.

- :mod:`~evalkit.inference.clusters`: cluster codes and within-cluster sums;
- :mod:`~evalkit.inference.covariance`: sandwich covariances of least squares, influence
  functions -> covariance, the CR1 small-sample factor, the one SE floor;
- :mod:`~evalkit.inference.cluster_jackknife`: the CR3 (cluster jackknife) covariance;
- :mod:`~evalkit.inference.cr2`: the CR2 (Bell-McCaffrey) covariance and its
  Satterthwaite degrees of freedom;
- :mod:`~evalkit.inference.weights`: Rademacher, Mammen and Webb weight draws (wild and
  multiplier bootstrap);
- :mod:`~evalkit.inference.rng`: the one RNG rule;
- :mod:`~evalkit.inference.pvalues`: the one tie rule of resampling p-values;
- :mod:`~evalkit.inference.few_clusters`: the few-clusters check every clustering
  estimator runs;
- :mod:`~evalkit.inference.multiplier_bootstrap`: bootstrap of influence functions;
- :func:`wild_cluster_bootstrap`, :func:`randomization_test`,
  :func:`did_randomization_test`: inference with few (treated) clusters; the wild
  bootstrap takes any result through ``bootstrap_scores``
  (:mod:`~evalkit.inference.wild_bootstrap_scores`: regressions are bootstrapped by
  :mod:`~evalkit.inference.wild_bootstrap`, influence functions by
  :mod:`~evalkit.inference.wild_bootstrap_influence`);
- :func:`schedule_randomization_test`: randomization inference over rollout schedules;
- :func:`conley_taber_test`: Conley & Taber (2011) inference with few treated groups;
- :mod:`~evalkit.inference.stepdown`: Romano-Wolf and Westfall-Young step-down
  corrections over tests that share their draws.
"""

from evalkit.inference.clusters import cluster_codes, cluster_sums, indicator, n_clusters
from evalkit.inference.covariance import (
    COVARIANCE_ESTIMATORS,
    SE_FLOOR,
    CovType,
    compute_cov,
    cov_cr1,
    cov_cr2,
    cov_cr3,
    cov_hc0,
    cov_hc1,
    cov_hc3,
    cov_iid,
    cr1_factor,
    influence_cov,
    standard_errors,
)
from evalkit.inference.conley_taber import (
    MAX_COMBINATIONS,
    ConleyTaberTest,
    GroupPeriods,
    conley_taber_draws,
    conley_taber_p_value,
    conley_taber_test,
)
from evalkit.inference.cr2 import CR2_DF, CR2Df, CR2Result, cr2
from evalkit.inference.few_clusters import MIN_CLUSTERS, MIN_TREATED_CLUSTERS, count_clusters, warn_few_clusters
from evalkit.inference.multiplier_bootstrap import (
    BootstrapResult,
    bootstrap_cov,
    bootstrap_draws,
    bootstrap_summary,
    multiplier_bootstrap,
)
from evalkit.inference.pvalues import TIE_RTOL, Alternative, count_extreme, resampling_p_value
from evalkit.inference.randomization import assignments, did_randomization_test, randomization_test
from evalkit.inference.rng import DEFAULT_SEED, RNG, as_generator
from evalkit.inference.schedule_randomization import (
    n_schedule_assignments,
    schedule_assignments,
    schedule_randomization_test,
)
from evalkit.inference.stepdown import romano_wolf, romano_wolf_arrays, westfall_young, westfall_young_arrays
from evalkit.inference.weights import WEIGHT_TYPES, WeightType, draw_weights, enumerate_rademacher
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap

__all__ = [
    "COVARIANCE_ESTIMATORS",
    "CR2_DF",
    "MAX_COMBINATIONS",
    "DEFAULT_SEED",
    "MIN_CLUSTERS",
    "MIN_TREATED_CLUSTERS",
    "RNG",
    "SE_FLOOR",
    "TIE_RTOL",
    "WEIGHT_TYPES",
    "Alternative",
    "BootstrapResult",
    "CR2Df",
    "ConleyTaberTest",
    "CR2Result",
    "CovType",
    "GroupPeriods",
    "WeightType",
    "as_generator",
    "assignments",
    "bootstrap_cov",
    "bootstrap_draws",
    "bootstrap_summary",
    "cluster_codes",
    "cluster_sums",
    "compute_cov",
    "conley_taber_draws",
    "conley_taber_p_value",
    "conley_taber_test",
    "count_clusters",
    "count_extreme",
    "cov_cr1",
    "cov_cr2",
    "cov_cr3",
    "cov_hc0",
    "cov_hc1",
    "cov_hc3",
    "cov_iid",
    "cr1_factor",
    "cr2",
    "did_randomization_test",
    "draw_weights",
    "enumerate_rademacher",
    "indicator",
    "influence_cov",
    "multiplier_bootstrap",
    "n_clusters",
    "n_schedule_assignments",
    "randomization_test",
    "resampling_p_value",
    "romano_wolf",
    "romano_wolf_arrays",
    "schedule_assignments",
    "schedule_randomization_test",
    "standard_errors",
    "warn_few_clusters",
    "westfall_young",
    "westfall_young_arrays",
    "wild_cluster_bootstrap",
]
