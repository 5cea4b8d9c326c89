"""Inference shared by all estimators: covariance estimators as pure array functions."""

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

__all__ = [
    "COVARIANCE_ESTIMATORS",
    "CovType",
    "cluster_codes",
    "compute_cov",
    "cov_cr1",
    "cov_hc0",
    "cov_hc1",
    "cov_hc3",
    "cov_iid",
    "n_clusters",
]
