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

Every name loads its module on first use (PEP 562, :func:`evalkit.lazy.lazy_module`), so
a regression's covariance loads neither the few-cluster tests nor the bootstraps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

_LAZY = {
    "cluster_codes": "evalkit.inference.clusters",
    "cluster_sums": "evalkit.inference.clusters",
    "indicator": "evalkit.inference.clusters",
    "n_clusters": "evalkit.inference.clusters",
    "COVARIANCE_ESTIMATORS": "evalkit.inference.covariance",
    "SE_FLOOR": "evalkit.inference.covariance",
    "CovType": "evalkit.inference.covariance",
    "compute_cov": "evalkit.inference.covariance",
    "cov_cr1": "evalkit.inference.covariance",
    "cov_cr2": "evalkit.inference.covariance",
    "cov_cr3": "evalkit.inference.covariance",
    "cov_hc0": "evalkit.inference.covariance",
    "cov_hc1": "evalkit.inference.covariance",
    "cov_hc3": "evalkit.inference.covariance",
    "cov_iid": "evalkit.inference.covariance",
    "cr1_factor": "evalkit.inference.covariance",
    "influence_cov": "evalkit.inference.covariance",
    "standard_errors": "evalkit.inference.covariance",
    "MAX_COMBINATIONS": "evalkit.inference.conley_taber",
    "ConleyTaberTest": "evalkit.inference.conley_taber",
    "GroupPeriods": "evalkit.inference.conley_taber",
    "conley_taber_draws": "evalkit.inference.conley_taber",
    "conley_taber_p_value": "evalkit.inference.conley_taber",
    "conley_taber_test": "evalkit.inference.conley_taber",
    "CR2_DF": "evalkit.inference.cr2",
    "CR2Df": "evalkit.inference.cr2",
    "CR2Result": "evalkit.inference.cr2",
    "cr2": "evalkit.inference.cr2",
    "MIN_CLUSTERS": "evalkit.inference.few_clusters",
    "MIN_TREATED_CLUSTERS": "evalkit.inference.few_clusters",
    "count_clusters": "evalkit.inference.few_clusters",
    "warn_few_clusters": "evalkit.inference.few_clusters",
    "BootstrapResult": "evalkit.inference.multiplier_bootstrap",
    "bootstrap_cov": "evalkit.inference.multiplier_bootstrap",
    "bootstrap_draws": "evalkit.inference.multiplier_bootstrap",
    "bootstrap_summary": "evalkit.inference.multiplier_bootstrap",
    "multiplier_bootstrap": "evalkit.inference.multiplier_bootstrap",
    "TIE_RTOL": "evalkit.inference.pvalues",
    "Alternative": "evalkit.inference.pvalues",
    "count_extreme": "evalkit.inference.pvalues",
    "resampling_p_value": "evalkit.inference.pvalues",
    "assignments": "evalkit.inference.randomization",
    "did_randomization_test": "evalkit.inference.randomization",
    "randomization_test": "evalkit.inference.randomization",
    "DEFAULT_SEED": "evalkit.inference.rng",
    "RNG": "evalkit.inference.rng",
    "as_generator": "evalkit.inference.rng",
    "n_schedule_assignments": "evalkit.inference.schedule_randomization",
    "schedule_assignments": "evalkit.inference.schedule_randomization",
    "schedule_randomization_test": "evalkit.inference.schedule_randomization",
    "romano_wolf": "evalkit.inference.stepdown",
    "romano_wolf_arrays": "evalkit.inference.stepdown",
    "westfall_young": "evalkit.inference.stepdown",
    "westfall_young_arrays": "evalkit.inference.stepdown",
    "WEIGHT_TYPES": "evalkit.inference.weights",
    "WeightType": "evalkit.inference.weights",
    "draw_weights": "evalkit.inference.weights",
    "enumerate_rademacher": "evalkit.inference.weights",
    "wild_cluster_bootstrap": "evalkit.inference.wild_bootstrap",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_module(__name__, _LAZY)

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
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
    from evalkit.inference.few_clusters import (
        MIN_CLUSTERS,
        MIN_TREATED_CLUSTERS,
        count_clusters,
        warn_few_clusters,
    )
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
    from evalkit.inference.stepdown import (
        romano_wolf,
        romano_wolf_arrays,
        westfall_young,
        westfall_young_arrays,
    )
    from evalkit.inference.weights import WEIGHT_TYPES, WeightType, draw_weights, enumerate_rademacher
    from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap
