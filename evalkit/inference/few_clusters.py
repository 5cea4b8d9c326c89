"""The one check of cluster counts that every clustering estimator runs.

Cluster-robust standard errors are consistent as the number of clusters ``G`` grows; with
few clusters they are too small and t-tests over-reject.  Cameron & Miller (2015) put the
usual threshold at about 30 to 50 clusters.  What matters as much is the number of
*treated* clusters: with few treated (or few untreated) clusters, CR1 t-tests over-reject
badly even when ``G`` is large, and the restricted wild cluster bootstrap tends to
under-reject (MacKinnon & Webb 2017, 2018).

The rule (:func:`warn_few_clusters`):

* ``G < 2``: a :class:`~evalkit.errors.DesignError`; nothing cluster-robust is defined;
* ``G < MIN_CLUSTERS`` (30), or fewer than ``MIN_TREATED_CLUSTERS`` (6) clusters with
  treated rows or with untreated rows (when the estimator knows which rows are treated):
  a :class:`~evalkit.errors.FewClustersWarning` that names the clustering column, gives
  the counts and names the few-cluster methods,
  :func:`~evalkit.inference.wild_cluster_bootstrap` (restricted, Webb weights) and
  :func:`~evalkit.inference.randomization_test` /
  :func:`~evalkit.inference.did_randomization_test`.

References
----------
Cameron & Miller (2015), "A practitioner's guide to cluster-robust inference", Journal
of Human Resources 50(2).  MacKinnon & Webb (2017), "Wild bootstrap inference for wildly
different cluster sizes", Journal of Applied Econometrics 32(2).  MacKinnon & Webb
(2018), "The wild bootstrap for few (treated) clusters", Econometrics Journal 21(2).
"""

from __future__ import annotations

import warnings

import numpy as np

from evalkit.errors import DesignError, FewClustersWarning

__all__ = ["MIN_CLUSTERS", "MIN_TREATED_CLUSTERS", "FEW_CLUSTER_METHODS", "count_clusters", "warn_few_clusters"]

#: Fewer clusters than this trigger a :class:`~evalkit.errors.FewClustersWarning`.
MIN_CLUSTERS = 30
#: Fewer clusters with treated (or with untreated) rows than this trigger the warning too.
MIN_TREATED_CLUSTERS = 6
#: What the warning recommends.
FEW_CLUSTER_METHODS = (
    "evalkit.wild_cluster_bootstrap(result, term, weight_type='webb') (restricted wild cluster "
    "bootstrap) or evalkit.randomization_test / evalkit.did_randomization_test (randomization "
    "inference over treated clusters)"
)


def count_clusters(codes: np.ndarray, treated: np.ndarray | None = None) -> tuple[int, int | None, int | None]:
    """``(G, G with treated rows, G with untreated rows)`` from integer codes and a 0/1 mask.

    The last two are ``None`` without ``treated``.
    """
    codes = np.asarray(codes)
    if codes.size and np.issubdtype(codes.dtype, np.integer) and codes.min() >= 0:
        # codes 0..G-1: one count per cluster instead of sorting the rows
        rows = np.bincount(codes)
        G = int(np.count_nonzero(rows))
        if treated is None:
            return G, None, None
        n_treated = np.bincount(codes, weights=np.asarray(treated).astype(bool), minlength=rows.size)
        return G, int(np.count_nonzero(n_treated)), int(np.count_nonzero(rows - n_treated))
    G = int(np.unique(codes).size)
    if treated is None:
        return G, None, None
    mask = np.asarray(treated).astype(bool)
    return G, int(np.unique(codes[mask]).size), int(np.unique(codes[~mask]).size)


def warn_few_clusters(
    n_clusters: int,
    *,
    n_treated: int | None = None,
    n_control: int | None = None,
    column: str | None = None,
    stacklevel: int = 2,
) -> None:
    """Raise on fewer than two clusters; warn on few (treated) clusters (module docstring).

    Parameters
    ----------
    n_clusters
        Number of clusters ``G``.
    n_treated, n_control
        Clusters with treated rows and with untreated rows, when known.
    column
        The user's clustering column, named in the message.
    stacklevel
        Which frame the warning points to, counted from the caller of this function:
        1 is the caller itself, 2 (default) the caller's caller (the user's call of an
        estimator that runs this check directly).

    Raises
    ------
    DesignError
        With fewer than two clusters.
    """
    what = f"clustering on {column!r}" if column is not None else "clustering"
    if n_clusters < 2:
        raise DesignError(
            f"{what} gives {n_clusters} cluster(s); cluster-robust inference needs at least two "
            "(with one region treated as a whole, use " + FEW_CLUSTER_METHODS + " over more units)"
        )
    counts = f"{n_clusters} clusters"
    few_treated = False
    if n_treated is not None and n_control is not None:
        counts += f" ({n_treated} with treated rows, {n_control} with untreated rows)"
        few_treated = min(n_treated, n_control) < MIN_TREATED_CLUSTERS
    if n_clusters < MIN_CLUSTERS or few_treated:
        warnings.warn(
            f"{what} with {counts}: cluster-robust standard errors are too small and t-tests "
            f"over-reject with fewer than ~{MIN_CLUSTERS} clusters or fewer than "
            f"~{MIN_TREATED_CLUSTERS} treated (or untreated) clusters (Cameron & Miller 2015; "
            f"MacKinnon & Webb 2017). Use {FEW_CLUSTER_METHODS} instead.",
            FewClustersWarning,
            stacklevel=stacklevel + 1,
        )
