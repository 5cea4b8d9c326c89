"""Cluster codes and within-cluster sums: the one implementation every estimator uses.

Labels of any type become integer codes ``0..G-1`` (:func:`cluster_codes`); sums of the
rows of a matrix within clusters (:func:`cluster_sums`) are one sparse ``G x n``
indicator product, a single pass over the rows whatever the number of columns, and never
a dense ``G x n`` matrix, so that millions of rows and thousands of clusters are cheap;
with one row per cluster (units as clusters) they are the rows put in cluster order.
:func:`indicator` returns that sparse operator for callers that apply it many times
(alternating projections).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from evalkit.errors import EvalkitError

__all__ = ["cluster_codes", "cluster_sums", "indicator", "n_clusters"]


def cluster_codes(cluster: np.ndarray) -> np.ndarray:
    """Cluster labels (n,) or (n, d) -> integer codes ``0..G-1`` per column, shape (n, d).

    Codes follow the sorted order of the labels.  ``d`` is 1 (one-way) or 2 (two-way
    clustering).

    Raises
    ------
    EvalkitError
        For another shape or missing labels.
    """
    arr = np.asarray(cluster)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, 2):
        raise EvalkitError(f"cluster must have shape (n,) or (n, 2), got {np.asarray(cluster).shape}")
    missing = pd.isna(arr)
    if missing.any():
        raise EvalkitError(f"cluster labels have {int(missing.any(axis=1).sum())} rows with missing values")
    return np.column_stack([pd.factorize(arr[:, j], sort=True)[0] for j in range(arr.shape[1])])


def n_clusters(codes: np.ndarray) -> tuple[int, ...]:
    """Number of clusters in each column of integer codes (n,) or (n, d) from :func:`cluster_codes`."""
    arr = np.asarray(codes)
    if arr.ndim == 1:
        arr = arr[:, None]
    return tuple(int(arr[:, j].max()) + 1 if arr.shape[0] else 0 for j in range(arr.shape[1]))


def indicator(codes: np.ndarray, n_groups: int | None = None, weights: np.ndarray | None = None) -> sparse.csr_matrix:
    """The sparse ``G x n`` matrix with ``w_i`` (default 1) at ``(codes[i], i)``.

    ``indicator(codes) @ A`` sums the rows of ``A`` within clusters.
    """
    codes = np.asarray(codes)
    n = codes.shape[0]
    G = int(codes.max()) + 1 if n_groups is None else int(n_groups)
    values = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    return sparse.csr_matrix((values, (codes, np.arange(n))), shape=(G, n))


def cluster_sums(values: np.ndarray, codes: np.ndarray | None, n_groups: int | None = None) -> np.ndarray:
    """Sums of the rows of ``values`` within clusters.

    Parameters
    ----------
    values
        (n,) or (n, k) array.
    codes
        Integer cluster code of each row (``0..G-1``), or ``None``: every row its own
        cluster (``values`` is returned as a float array).
    n_groups
        ``G`` when some codes may be unused (default: ``max(codes) + 1``).

    Returns
    -------
    numpy.ndarray
        (G,) or (G, k), like ``values``.
    """
    arr = np.asarray(values, dtype=float)
    if codes is None:
        return arr
    codes = np.asarray(codes)
    if codes.ndim != 1 or codes.shape[0] != arr.shape[0]:
        raise EvalkitError(f"cluster codes must be one per row ({arr.shape[0]}), got shape {codes.shape}")
    G = int(codes.max()) + 1 if n_groups is None else int(n_groups)
    if arr.ndim == 1:
        return np.bincount(codes, weights=arr, minlength=G)
    if G == len(codes) and (np.bincount(codes, minlength=G) == 1).all():
        # one row per cluster (units as clusters): the sums are the rows in cluster order
        sums = np.empty_like(arr)
        sums[codes] = arr
        return sums
    return np.asarray(indicator(codes, G) @ arr)
