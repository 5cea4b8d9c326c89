"""The two-way fixed-effects model of untreated outcomes shared by the regression-based estimators.

:class:`UntreatedModel` fits ``y_it = alpha_i + lambda_t + x_it'delta + e_it`` on the
untreated observations (``D_it = 0``) by solving the normal equations with the unit block
eliminated (a Schur complement on the period and covariate block), so no unit-dummy matrix
is ever formed.  The same solver gives the projection weights of the imputation estimator
(Borusyak, Jaravel & Spiess 2024, Theorem 3) and the first-stage correction of the
two-stage estimator (Gardner 2022): both need ``z_i'(Z_0'W Z_0)^{-1} b`` for a vector ``b``.

Those estimators need it for one ``b`` per target (event time): :meth:`category_moments`
forms every ``b_k = Z'(v 1{category = k})`` in one pass over the rows, :meth:`solve` solves
for all of them at once (one factorisation of the Schur complement), and
:meth:`cluster_scores` returns the cluster sums ``sum_{i in g} rho_i z_i'a_k`` from unit,
cluster x period and cluster x covariate sums of ``rho``, so the ``n x K`` matrix of
projections is never formed and the cost is a few passes over the rows whatever ``K``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

from evalkit.errors import DesignError
from evalkit.inference.clusters import cluster_sums

__all__ = ["UntreatedModel"]


@dataclass(frozen=True, eq=False)
class UntreatedModel:
    """``y = alpha_unit + lambda_period + X delta`` fitted on the rows in ``sample`` (WLS).

    The regressors are ``z_i = (unit dummies, period dummies except the first, x_i)``; the
    normal matrix ``A = Z_S' W Z_S`` is solved by eliminating the (diagonal) unit block.

    Attributes
    ----------
    unit, period, X, weights
        Codes, covariates and weights of ALL rows (the model predicts for every row).
    sample
        Rows used for fitting (the untreated observations).
    du, B, schur
        Unit-block diagonal, unit x rest cross products and the Schur
        complement of the rest block (period dummies and covariates).
    """

    unit: np.ndarray
    period: np.ndarray
    X: np.ndarray
    weights: np.ndarray
    sample: np.ndarray
    du: np.ndarray
    B: np.ndarray
    schur: np.ndarray

    @classmethod
    def build(
        cls, unit: np.ndarray, period: np.ndarray, X: np.ndarray, weights: np.ndarray, sample: np.ndarray
    ) -> "UntreatedModel":
        """Set up the normal equations on ``sample``.

        Raises
        ------
        DesignError
            A period without untreated rows, or collinear covariates / disconnected fixed
            effects (singular normal equations).
        """
        n_units, n_periods = int(unit.max()) + 1, int(period.max()) + 1
        ws = np.where(sample, weights, 0.0)
        du = np.bincount(unit, weights=ws, minlength=n_units)
        dt = np.bincount(period, weights=ws, minlength=n_periods)
        if np.any(dt == 0):
            raise DesignError(
                f"{int(np.sum(dt == 0))} period(s) have no untreated observation, so their period effect "
                "cannot be estimated; restrict the data to periods with untreated (not-yet- or never-treated) units"
            )
        cross = np.bincount(unit * n_periods + period, weights=ws, minlength=n_units * n_periods)
        cross = cross.reshape(n_units, n_periods)[:, 1:]
        p = X.shape[1]
        Bx = np.zeros((n_units, p))
        for j in range(p):
            Bx[:, j] = np.bincount(unit, weights=ws * X[:, j], minlength=n_units)
        B = np.hstack([cross, Bx])
        q = n_periods - 1 + p
        E = np.zeros((q, q))
        E[: n_periods - 1, : n_periods - 1] = np.diag(dt[1:])
        if p:
            tx = np.column_stack([np.bincount(period, weights=ws * X[:, j], minlength=n_periods) for j in range(p)])
            E[: n_periods - 1, n_periods - 1 :] = tx[1:]
            E[n_periods - 1 :, : n_periods - 1] = tx[1:].T
            E[n_periods - 1 :, n_periods - 1 :] = (X * ws[:, None]).T @ X
        inv_du = np.divide(1.0, du, out=np.zeros_like(du), where=du > 0)
        schur = E - B.T @ (B * inv_du[:, None])
        if q:
            scale = np.sqrt(np.abs(np.diag(schur)))
            cond = np.linalg.cond(schur / np.outer(scale, scale)) if np.all(scale > 0) else np.inf
            if not np.isfinite(cond) or cond > 1e12:
                raise DesignError(
                    "the model of untreated outcomes (unit and period fixed effects + covariates) is singular: "
                    "covariates are collinear with the fixed effects, or untreated units and periods are not connected"
                )
        return cls(unit=unit, period=period, X=X, weights=weights, sample=sample, du=du, B=B, schur=schur)

    @property
    def fitted_units(self) -> np.ndarray:
        """Mask of units with at least one untreated row (their effect is identified)."""
        return self.du > 0

    def moments(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Z'v`` split into the unit block and the rest block, for v of shape (n,) or (n, k)."""
        v2 = v.reshape(v.shape[0], -1)
        n_units, n_periods = self.du.shape[0], self.B.shape[1] - self.X.shape[1] + 1
        k = v2.shape[1]
        bu, bt = np.zeros((n_units, k)), np.zeros((n_periods - 1, k))
        for j in range(k):
            bu[:, j] = np.bincount(self.unit, weights=v2[:, j], minlength=n_units)
            bt[:, j] = np.bincount(self.period, weights=v2[:, j], minlength=n_periods)[1:]
        return bu, np.vstack([bt, self.X.T @ v2])

    def category_moments(self, category: np.ndarray, n_categories: int, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Z'(v * 1{category = k})`` for every ``k = 0..K-1`` in one pass over the rows.

        Parameters
        ----------
        category
            Category code ``0..K-1`` per row; rows with a negative code belong to none.
        n_categories
            ``K``.
        v
            Values per row (n,).

        Returns
        -------
        bu, br
            The unit block (units x K) and the rest block (periods - 1 + covariates, K),
            as :meth:`moments` of the ``K`` columns ``v * 1{category = k}``.
        """
        sel = category >= 0
        c, vs = category[sel], v[sel]
        n_units, n_periods = self.du.shape[0], self.B.shape[1] - self.X.shape[1] + 1
        K = int(n_categories)
        bu = np.bincount(c * n_units + self.unit[sel], weights=vs, minlength=K * n_units).reshape(K, n_units).T
        bt = np.bincount(c * n_periods + self.period[sel], weights=vs, minlength=K * n_periods).reshape(K, n_periods)
        bx = [np.bincount(c, weights=vs * self.X[sel, j], minlength=K) for j in range(self.X.shape[1])]
        return bu, np.vstack([bt[:, 1:].T, *bx]) if bx else bt[:, 1:].T

    def cluster_scores(
        self, a_unit: np.ndarray, a_rest: np.ndarray, rho: np.ndarray, cluster: np.ndarray, n_clusters: int
    ) -> np.ndarray:
        """``sum_{i in g} rho_i z_i'a_k`` for every cluster ``g`` and column ``k`` (G x K).

        Equal to ``cluster_sums(rho[:, None] * predict(a_unit, a_rest), cluster)`` with the
        predictions of units that are not identified taken as 0, but computed from the
        sums of ``rho`` per unit, per cluster x period and per cluster x covariate, so that
        no ``n x K`` matrix is formed.  When every unit lies in one cluster the unit sums
        are summed by cluster; otherwise a sparse cluster x unit matrix is used.
        """
        n_units, n_periods = self.du.shape[0], self.B.shape[1] - self.X.shape[1] + 1
        a_u = np.where(self.fitted_units[:, None], a_unit, 0.0)
        owner = np.zeros(n_units, dtype=cluster.dtype)
        owner[self.unit] = cluster
        if np.array_equal(owner[self.unit], cluster):
            out = cluster_sums(np.bincount(self.unit, weights=rho, minlength=n_units)[:, None] * a_u, owner, n_clusters)
        else:
            out = np.asarray(sparse.csr_matrix((rho, (cluster, self.unit)), shape=(n_clusters, n_units)) @ a_u)
        per_period = np.bincount(cluster * n_periods + self.period, weights=rho, minlength=n_clusters * n_periods)
        out = out + per_period.reshape(n_clusters, n_periods)[:, 1:] @ a_rest[: n_periods - 1]
        for j in range(self.X.shape[1]):
            out = out + np.outer(np.bincount(cluster, weights=rho * self.X[:, j], minlength=n_clusters),
                                 a_rest[n_periods - 1 + j])
        return out

    def solve(self, bu: np.ndarray, br: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve ``A a = b`` with ``b = (bu, br)``; returns ``(a_unit, a_rest)``.

        Unit coefficients of units without untreated rows are NaN (not identified).
        """
        inv_du = np.divide(1.0, self.du, out=np.full_like(self.du, np.nan), where=self.du > 0)
        bu0 = np.where(np.isfinite(inv_du)[:, None], bu, 0.0)
        rhs = br - self.B.T @ (bu0 * np.nan_to_num(inv_du)[:, None])
        a_rest = linalg.solve(self.schur, rhs, assume_a="sym") if rhs.shape[0] else rhs
        a_unit = (bu - self.B @ a_rest) * inv_du[:, None]
        return a_unit, a_rest

    def predict(self, a_unit: np.ndarray, a_rest: np.ndarray) -> np.ndarray:
        """``z_i'a`` for every row (n x k); NaN for rows of units that are not identified."""
        n_periods = self.B.shape[1] - self.X.shape[1] + 1
        a_t = np.vstack([np.zeros((1, a_rest.shape[1])), a_rest[: n_periods - 1]])
        return a_unit[self.unit] + a_t[self.period] + self.X @ a_rest[n_periods - 1 :]

    def fit(self, y: np.ndarray) -> np.ndarray:
        """Fitted values ``z_i'gamma`` of the WLS fit of ``y`` on the sample, for every row."""
        v = np.where(self.sample, self.weights * y, 0.0)
        return self.predict(*self.solve(*self.moments(v)))[:, 0]

    def projection(self, v: np.ndarray) -> np.ndarray:
        """``z_i' A^{-1} Z' v`` for every row: the fitted projection of moments ``Z'v``."""
        return self.predict(*self.solve(*self.moments(v)))
