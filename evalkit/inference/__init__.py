"""Inference shared by all estimators.

Covariance estimators as pure array functions; the multiplier bootstrap of influence
functions; the wild cluster bootstrap and randomization inference for few clusters.
"""

from evalkit.inference.covariance import (
    COVARIANCE_ESTIMATORS,
    CovType,
    cluster_codes,
    compute_cov,
    cov_cr1,
    cov_hc0,
    cov_hc1,
    cov_hc3,
    cov_iid,
    n_clusters,
)
from evalkit.inference.multiplier_bootstrap import multiplier_bootstrap
from evalkit.inference.randomization import RandomizationTest, did_randomization_test, randomization_test
from evalkit.inference.wild_bootstrap import WildBootstrapTest, wild_cluster_bootstrap

__all__ = [
    "COVARIANCE_ESTIMATORS",
    "CovType",
    "RandomizationTest",
    "WildBootstrapTest",
    "cluster_codes",
    "compute_cov",
    "cov_cr1",
    "cov_hc0",
    "cov_hc1",
    "cov_hc3",
    "cov_iid",
    "did_randomization_test",
    "multiplier_bootstrap",
    "n_clusters",
    "randomization_test",
    "wild_cluster_bootstrap",
]
