"""CR3: the cluster jackknife covariance of least-squares coefficients.

Leaving cluster ``g`` out gives ``b_(g)``; the CR3 covariance is

    V_CR3 = (G - 1) / G * sum_g (b_(g) - b)(b_(g) - b)'

centred at the full-sample estimate ``b`` (MacKinnon, Nielsen & Webb 2023, their CV3).
No refit is needed: with ``A = X'WX``, ``A_g = X_g'W_g X_g`` and the cluster score
``s_g = X_g'W_g u_g``, the normal equations ``X'Wu = 0`` give

    b_(g) - b = -(A - A_g)^{-1} s_g,

which is also ``-(X'WX)^{-1} X_g'W_g^{1/2} (I - H_gg)^{-1} W_g^{1/2} u_g`` (the form of Bell &
McCaffrey 2002), so CR3 is the CR2 sandwich with ``(I - H_gg)^{-1}`` in place of
``(I - H_gg)^{-1/2}``.  CR3 is conservative with few or unbalanced clusters, where CR1
t-tests over-reject (MacKinnon, Nielsen & Webb 2023).

Conventions differ by a scalar factor only:

* evalkit and MacKinnon, Nielsen & Webb (2023): ``(G - 1) / G``;
* R clubSandwich's ``"CR3"`` (Bell & McCaffrey's approximate jackknife): 1;
* pyfixest's ``{"CRV3": cluster}``: its CR1 small-sample factor
  ``G / (G - 1) * (n - 1) / (n - k)`` (1 with ``ssc(k_adj=False, G_adj=False)``).

With absorbed fixed effects the formula applies to the demeaned regressors and is the
leave-one-cluster-out refit only when every fixed effect is nested in the clusters
(removing a cluster removes whole levels); :mod:`evalkit.regression` checks that.

References
----------
Bell & McCaffrey (2002), Survey Methodology 28(2).  MacKinnon, Nielsen & Webb (2023),
J. Econometrics 232(2), "Cluster-robust inference: A guide to empirical practice".
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.clusters import cluster_codes

__all__ = ["cov_cr3", "jackknife_coefficients"]

#: Smallest eigenvalue of ``A - A_g`` relative to the largest under which dropping a
#: cluster leaves the regressors collinear.
_SINGULAR_RTOL = 1e-10


def _one_way(cluster: np.ndarray) -> np.ndarray:
    codes = cluster_codes(cluster)
    if codes.shape[1] != 1:
        raise EvalkitError(f"CR3 clusters in one dimension; got {codes.shape[1]} cluster columns (use CR1 for two-way)")
    return codes[:, 0]


def jackknife_coefficients(
    X: np.ndarray,
    resid: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Differences ``b_(g) - b`` of the leave-one-cluster-out estimates, (G, k).

    Raises
    ------
    DesignError
        Fewer than two clusters, or a cluster without which the regressors are collinear
        (e.g. the only treated cluster); the message gives the cluster's position.
    """
    X = np.asarray(X, dtype=float)
    e = np.asarray(resid, dtype=float)
    codes = _one_way(cluster)
    G = int(codes.max()) + 1
    if G < 2:
        raise DesignError(f"CR3 needs at least two clusters, got {G}")
    Xw = X if weights is None else X * np.asarray(weights, dtype=float)[:, None]
    A = X.T @ Xw
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    top = np.abs(np.linalg.eigvalsh(A)).max()
    out = np.empty((G, X.shape[1]))
    for g in range(G):
        rows = order[bounds[g] : bounds[g + 1]]
        rest = A - X[rows].T @ Xw[rows]
        if np.linalg.eigvalsh(rest).min() <= _SINGULAR_RTOL * top:
            raise DesignError(
                f"without cluster number {g + 1} of {G} (in sorted order, {rows.size} rows) the regressors are "
                "collinear, so its leave-one-out estimate is not defined; CR3 needs every regressor to vary "
                "outside each cluster (use CR1 with a wild cluster bootstrap instead)"
            )
        out[g] = -np.linalg.solve(rest, Xw[rows].T @ e[rows])
    return out


def cov_cr3(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
) -> np.ndarray:
    """CR3 cluster jackknife covariance ``(G-1)/G * sum_g (b_(g) - b)(b_(g) - b)'``.

    ``bread`` and ``df_k`` are accepted for the common signature of the covariance
    registry and not used: ``A - A_g`` is formed from ``X`` directly, and CR3 has no
    parameter-count factor.  One-way clustering only.
    """
    diffs = jackknife_coefficients(X, resid, cluster, weights=weights)
    G = diffs.shape[0]
    return (G - 1) / G * (diffs.T @ diffs)
