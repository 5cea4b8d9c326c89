"""Least squares with absorbed fixed effects: the numerical core of every linear estimator.

:func:`fit_ols` takes arrays, not data frames: an outcome, regressors, optional analytic
weights, optional fixed-effect codes to absorb and optional cluster codes.  It returns an
:class:`OLSFit` that keeps what any covariance estimator needs, so that other inference
never refits (:meth:`OLSFit.vcov`).

Degrees of freedom (``df_k``, the parameter count in small-sample factors) follow
pyfixest's default ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")``, which
mimics fixest:

* without fixed effects, ``df_k = k`` (the columns of ``X``);
* with ``m`` absorbed fixed effects of ``G_1, ..., G_m`` levels,
  ``df_k = k + sum_j G_j - (m - 1)`` for ``iid``/``HC*`` (one level of every fixed effect
  but the first is redundant with the others);
* for ``CR1``, the levels of fixed effects nested in a cluster dimension (every level lies
  in one cluster) are not counted, but one parameter is added back per nested fixed
  effect: ``df_k = k + sum_j G_j - (m - 1) - sum_{nested} G_j + #nested``.

The reference distribution is ``t(n - df_k)`` for ``iid``/``HC*`` and ``t(G - 1)`` for
``CR1`` and ``CR3`` (``G`` the smaller cluster count), as in Stata, fixest and pyfixest.
``CR2`` t-tests use a ``t`` with Satterthwaite degrees of freedom per coefficient
(``df_terms``; Bell & McCaffrey 2002 or Imbens & Kolesar 2016, :mod:`evalkit.inference.cr2`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import linalg

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.inference.clusters import cluster_codes, n_clusters
from evalkit.inference.covariance import COVARIANCE_ESTIMATORS, CovType, compute_cov
from evalkit.inference.cr2 import CR2Df, check_cr2_df, cr2
from evalkit.regression.demean import demean, fe_codes, singleton_mask
from evalkit.results.base import freeze_arrays

__all__ = ["OLSFit", "fit_ols"]

_RANK_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class OLSFit:
    """A least-squares fit with one covariance estimate; arrays refer to the rows used.

    Attributes
    ----------
    beta
        Coefficients (k,).
    names
        Regressor names (k,).
    cov
        Covariance of ``beta`` under ``cov_type``.
    cov_type
        Covariance estimator name.
    X, resid
        Regressors after absorbing the fixed effects (n x k) and residuals (n,).
    weights
        Analytic weights (n,) or ``None``.
    bread
        ``(X'WX)^{-1}`` of the demeaned regressors.
    fe
        Fixed-effect codes (n x m) or ``None``.
    cluster
        Cluster codes (n x d) used by ``cov`` or ``None``.
    sample
        Boolean mask over the input rows: the rows used (fixed-effect singletons dropped).
    ssr, tss, tss_within
        Weighted residual sum of squares, total sum of squares (around the weighted mean
        when the model has an intercept or fixed effects, otherwise uncentred) and the sum
        of squares of the demeaned outcome (equal to ``tss`` without fixed effects).
    cr2_df
        Degrees of freedom of CR2 t-tests: ``"bell-mccaffrey"`` or ``"imbens-kolesar"``.
    df_terms
        Satterthwaite degrees of freedom per coefficient under ``CR2`` (``None`` for the
        other estimators, whose t-tests all use ``df_resid``).
    """

    beta: np.ndarray
    names: tuple[str, ...]
    cov: np.ndarray
    cov_type: str
    X: np.ndarray
    resid: np.ndarray
    weights: np.ndarray | None
    bread: np.ndarray
    fe: np.ndarray | None
    cluster: np.ndarray | None
    sample: np.ndarray
    ssr: float
    tss: float
    tss_within: float
    cr2_df: str = "bell-mccaffrey"
    df_terms: np.ndarray | None = None

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def nobs(self) -> int:
        """Number of rows used."""
        return int(self.X.shape[0])

    @property
    def n_fe_levels(self) -> tuple[int, ...]:
        """Number of levels of each absorbed fixed effect (empty without fixed effects)."""
        if self.fe is None:
            return ()
        return tuple(int(self.fe[:, j].max()) + 1 for j in range(self.fe.shape[1]))

    @property
    def n_clusters(self) -> tuple[int, ...] | None:
        """Number of clusters per clustering dimension (``None`` when not clustered)."""
        if self.cluster is None:
            return None
        return n_clusters(self.cluster)

    @cached_property
    def df_k(self) -> int:
        """Parameters counted in the small-sample factor (see the module docstring)."""
        k = self.X.shape[1]
        if self.fe is None:
            return k
        levels = self.n_fe_levels
        df = k + sum(levels) - (len(levels) - 1)
        if self.cluster is not None:
            nested = [j for j in range(self.fe.shape[1]) if _nested_in_any(self.fe[:, j], self.cluster)]
            df += len(nested) - sum(levels[j] for j in nested)
        return df

    @property
    def df_resid(self) -> int:
        """Degrees of freedom of the t reference distribution of the coefficients."""
        if self.cluster is not None:
            return min(self.n_clusters) - 1
        return self.nobs - self.df_k

    @property
    def std_errors(self) -> np.ndarray:
        """Square roots of the diagonal of ``cov``."""
        return np.sqrt(np.diag(self.cov))

    @property
    def r2(self) -> float:
        """``1 - SSR / TSS`` (``nan`` for a constant outcome, ``TSS = 0``)."""
        return 1.0 - self.ssr / self.tss if self.tss > 0 else float("nan")

    @property
    def r2_within(self) -> float:
        """``1 - SSR / TSS`` of the demeaned outcome (``nan`` without fixed effects or when it is 0)."""
        return 1.0 - self.ssr / self.tss_within if self.fe is not None and self.tss_within > 0 else float("nan")

    def vcov(
        self, cov_type: CovType, cluster: np.ndarray | None = None, *, cr2_df: CR2Df = "bell-mccaffrey"
    ) -> "OLSFit":
        """A new fit with another covariance estimator; the coefficients are not refitted.

        Parameters
        ----------
        cov_type
            One of ``"iid"``, ``"HC0"``, ``"HC1"``, ``"HC3"``, ``"CR1"``, ``"CR2"``, ``"CR3"``.
        cluster
            Cluster labels (n,) or (n, 2) for ``"CR1"``, aligned with the rows used
            (``sample``) or with the input rows of :func:`fit_ols`.
        cr2_df
            Degrees of freedom of CR2 t-tests (:mod:`evalkit.inference.cr2`).
        """
        check_cr2_df(cr2_df)
        codes = None
        if cluster is not None:
            arr = np.asarray(cluster)
            if arr.shape[0] == self.sample.shape[0] and arr.shape[0] != self.nobs:
                arr = arr[self.sample]
            if arr.shape[0] != self.nobs:
                raise EvalkitError(f"cluster has {arr.shape[0]} rows, expected {self.nobs} (or {self.sample.shape[0]})")
            codes = cluster_codes(arr)
        new = replace(self, cov_type=cov_type, cluster=codes, cr2_df=cr2_df)
        return _with_inference(new)


def _nested_in_any(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """Whether every level of ``fe`` lies in a single cluster of some clustering dimension.

    One pass per dimension: record a cluster of each level, then check every row agrees
    (O(n), where a unique over (level, cluster) pairs would sort all rows).
    """
    n_levels = int(fe.max()) + 1
    for d in range(cluster.shape[1]):
        first = np.empty(n_levels, dtype=cluster.dtype)
        first[fe] = cluster[:, d]
        if np.array_equal(first[fe], cluster[:, d]):
            return True
    return False


def _with_inference(fit: OLSFit) -> OLSFit:
    """``fit`` with the covariance (and, for CR2, the per-coefficient df) of its ``cov_type``."""
    if fit.cov_type == "CR2" and fit.cluster is not None:
        if fit.cluster.shape[1] != 1:
            raise EvalkitError("CR2 clusters in one dimension; got two cluster columns (use CR1 for two-way)")
        res = cr2(
            fit.X,
            fit.resid,
            fit.bread,
            fit.cluster,
            weights=fit.weights,
            absorbed=cr2_absorbed(fit),
            df=fit.cr2_df,  # type: ignore[arg-type]
        )
        return replace(fit, cov=res.cov, df_terms=res.df)
    return replace(fit, cov=_covariance(fit), df_terms=None)


#: Largest dense basis (rows x levels) of non-nested absorbed fixed effects CR2 builds.
_CR2_MAX_BASIS = 50_000_000


def cr2_absorbed(fit: OLSFit) -> np.ndarray | None:
    """Orthonormal basis of the absorbed fixed effects not nested in the clusters, whitened.

    The dummies of every such fixed effect, demeaned (weighted) by the nested fixed
    effects and scaled by ``sqrt(w)``; their column space is the part of the full
    projection that CR2's ``H_gg`` needs beyond the demeaned regressors
    (:mod:`evalkit.inference.cr2`).  ``None`` when all fixed effects are nested.
    """
    if fit.fe is None or fit.cluster is None:
        return None
    m = fit.fe.shape[1]
    nested = [j for j in range(m) if _nested_in_any(fit.fe[:, j], fit.cluster)]
    loose = [j for j in range(m) if j not in nested]
    if not loose:
        return None
    levels = sum(int(fit.fe[:, j].max()) + 1 for j in loose)
    if fit.nobs * levels > _CR2_MAX_BASIS:
        raise DesignError(
            f"CR2 with absorbed fixed effects not nested in the clusters (number {[j + 1 for j in loose]} in formula "
            f"order, {levels} levels) needs a dense {fit.nobs} x {levels} basis, more than {_CR2_MAX_BASIS:,} "
            "values; absorb only fixed effects nested in the clusters, or use CR1/CR3 with a wild cluster bootstrap"
        )
    S = np.column_stack([(fit.fe[:, j][:, None] == np.arange(int(fit.fe[:, j].max()) + 1)).astype(float) for j in loose])
    if nested:
        S = demean(S, fe_codes(fit.fe[:, nested]), fit.weights)
    if fit.weights is not None:
        S *= np.sqrt(fit.weights)[:, None]
    U, s, _ = np.linalg.svd(S, full_matrices=False)
    return U[:, s > 1e-9 * s.max()] if s.size and s.max() > 0 else None


def _covariance(fit: OLSFit) -> np.ndarray:
    if fit.cov_type not in COVARIANCE_ESTIMATORS:
        raise EvalkitError(f"unknown cov_type {fit.cov_type!r}; valid ones are {sorted(COVARIANCE_ESTIMATORS)}")
    if fit.cov_type == "HC3" and fit.fe is not None:
        raise DesignError(
            "HC3 needs the leverage of every parameter, which is not available for absorbed "
            "fixed effects; use HC1 or CR1, or put the fixed effects in as C() dummies"
        )
    if fit.cov_type == "CR3" and fit.fe is not None and fit.cluster is not None:
        loose = [j + 1 for j in range(fit.fe.shape[1]) if not _nested_in_any(fit.fe[:, j], fit.cluster)]
        if loose:
            raise DesignError(
                f"CR3 with absorbed fixed effects needs every fixed effect nested in the clusters; fixed "
                f"effect(s) number {loose} (in formula order) are not. Put them in as C() dummies, or use CR1"
            )
    return compute_cov(fit.cov_type, fit.X, fit.resid, fit.bread, weights=fit.weights, cluster=fit.cluster, df_k=fit.df_k)


#: Largest diagonal ratio of the Cholesky factor of ``Z'Z`` for which the Gram route is used.
_GRAM_COND = 1e5


def _gram_factor(Z: np.ndarray) -> np.ndarray | None:
    """Upper-triangular ``R`` with ``R'R = Z'Z`` for a well-conditioned normalised ``Z``.

    The Cholesky factor of the Gram matrix takes one BLAS-3 pass over the rows, about 20x
    faster than Householder QR at a million rows (benchmarks/README.md).  ``None`` when
    the factorization fails or its condition estimate exceeds ``_GRAM_COND`` (so that
    ``cond(Z)**2 * eps`` could matter); the caller then factors ``Z`` itself.
    """
    try:
        R = linalg.cholesky(Z.T @ Z, lower=False)
    except linalg.LinAlgError:
        return None
    diag = np.abs(np.diag(R))
    return R if diag.min() > 0 and diag.max() / diag.min() < _GRAM_COND else None


def _check_rank(Z: np.ndarray, names: tuple[str, ...], absorbed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pivoted QR of the column-normalised regressors; raise naming collinear columns.

    For a well-conditioned ``Z`` the pivoted QR is taken of its ``k x k`` Gram factor
    (:func:`_gram_factor`): ``Z = Q R`` and ``R P = Q_2 R_2`` make ``Z P = (Q Q_2) R_2`` a
    pivoted QR of ``Z``.  Otherwise (near collinearity) ``Z`` itself is factored.
    """
    small = _gram_factor(Z)
    R, piv = linalg.qr(Z if small is None else small, mode="r", pivoting=True)
    k = Z.shape[1]
    R = R[:k, :k]
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > _RANK_TOL * diag[0]))
    if rank == k:
        return R, piv
    coef = linalg.solve_triangular(R[:rank, :rank], R[:rank, rank:])
    parts = []
    for i, j in enumerate(piv[rank:]):
        involved = [names[piv[r]] for r in range(rank) if abs(coef[r, i]) > 1e-6]
        rhs = ", ".join(repr(v) for v in involved) if involved else "the other regressors"
        parts.append(f"{names[j]!r} is a linear combination of {rhs}")
    where = " after absorbing the fixed effects" if absorbed else ""
    raise DesignError(
        f"regressors are collinear{where}: " + "; ".join(parts) + ". Remove one of them "
        "(evalkit never drops regressors silently)."
    )


def fit_ols(
    y: np.ndarray,
    X: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    fe: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    cov_type: CovType = "iid",
    names: tuple[str, ...] | list[str] | None = None,
    drop_singletons: bool = True,
    tol: float = 1e-10,
    cr2_df: CR2Df = "bell-mccaffrey",
) -> OLSFit:
    """Least squares (weighted when ``weights`` are given) with absorbed fixed effects.

    Solves ``min_b sum_i w_i (y~_i - x~_i'b)^2`` where ``~`` denotes the weighted within
    transformation over all fixed effects (exact for one, alternating projections for
    several); by Frisch-Waugh-Lovell this equals the dummy-variable regression.

    Parameters
    ----------
    y
        Outcome (n,).
    X
        Regressors (n, k).  With fixed effects, leave out the intercept (it is absorbed).
    weights
        Positive analytic weights (n,).
    fe
        Fixed-effect labels to absorb, (n,) or (n, m).
    cluster
        Cluster labels, (n,) or (n, 2), for ``cov_type="CR1"``.
    cov_type
        ``"iid"``, ``"HC0"``, ``"HC1"``, ``"HC3"``, ``"CR1"``, ``"CR2"`` or ``"CR3"``
        (see :mod:`evalkit.inference.covariance`).
    names
        Regressor names (default ``x0, x1, ...``).
    drop_singletons
        Drop fixed-effect singletons (iteratively, as fixest and pyfixest do), with an
        :class:`~evalkit.errors.ExcludedRowsWarning` giving the count.  They are fitted
        perfectly and would only inflate the degrees of freedom.
    tol
        Tolerance of the alternating projections.
    cr2_df
        Degrees of freedom of CR2 t-tests: ``"bell-mccaffrey"`` (default) or
        ``"imbens-kolesar"`` (:mod:`evalkit.inference.cr2`).

    Raises
    ------
    DesignError
        Collinear regressors (named, with the columns they depend on), no regressors, or no
        residual degrees of freedom.
    EvalkitError
        Non-finite values, mismatched shapes, non-positive weights.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        rows = np.asarray(X).shape[0]
        raise EvalkitError(f"y must be a vector of {rows} values like the rows of X, got shape {y.shape}")
    return _fit_columns(y[:, None], X, weights=weights, fe=fe, cluster=cluster, cov_type=cov_type, names=names,
                        drop_singletons=drop_singletons, tol=tol, cr2_df=cr2_df)[0]


def fit_ols_outcomes(
    Y: np.ndarray,
    X: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    fe: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    cov_type: CovType = "iid",
    names: tuple[str, ...] | list[str] | None = None,
    drop_singletons: bool = True,
    tol: float = 1e-10,
    cr2_df: CR2Df = "bell-mccaffrey",
) -> list[OLSFit]:
    """:func:`fit_ols` of several outcomes on the same regressors, rows and fixed effects.

    The fixed effects are absorbed from ``Y`` and ``X`` in one demeaning and ``X`` is
    factored once; each outcome then costs a few passes over the rows.  The fits equal
    those of :func:`fit_ols` of each column up to rounding (the within transformation of
    several columns at once rounds differently in the last bits; with alternating
    projections every column is swept until all have converged to ``tol``).

    Parameters
    ----------
    Y
        Outcomes (n, m), one per column.
    X, weights, fe, cluster, cov_type, names, drop_singletons, tol, cr2_df
        As :func:`fit_ols`.

    Returns
    -------
    list of OLSFit
        One fit per column of ``Y``, in order.

    Raises
    ------
    DesignError, EvalkitError
        As :func:`fit_ols`; ``Y`` not of shape (n, m).
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise EvalkitError(f"Y must have one column per outcome, shape (n, m), got shape {Y.shape}")
    return _fit_columns(Y, X, weights=weights, fe=fe, cluster=cluster, cov_type=cov_type, names=names,
                        drop_singletons=drop_singletons, tol=tol, cr2_df=cr2_df)


def _fit_columns(
    Y: np.ndarray,
    X: np.ndarray,
    *,
    weights: np.ndarray | None,
    fe: np.ndarray | None,
    cluster: np.ndarray | None,
    cov_type: CovType,
    names: tuple[str, ...] | list[str] | None,
    drop_singletons: bool,
    tol: float,
    cr2_df: CR2Df,
) -> list[OLSFit]:
    """The fits of :func:`fit_ols_outcomes` (``Y`` 2-D), shared by :func:`fit_ols` (one column)."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, k = X.shape
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(k))
    _validate(Y, X, weights, names)
    check_cr2_df(cr2_df)
    w = None if weights is None else np.asarray(weights, dtype=float)
    codes = None if fe is None else fe_codes(fe)
    clus = None if cluster is None else np.asarray(cluster)
    for label, arr in (("fe", codes), ("cluster", clus)):
        if arr is not None and arr.shape[0] != n:
            raise EvalkitError(f"{label} has {arr.shape[0]} rows, expected {n} like y")

    sample = np.ones(n, dtype=bool)
    if codes is not None and drop_singletons:
        sample = singleton_mask(codes)
        dropped = int(n - sample.sum())
        if dropped:
            warnings.warn(
                f"{dropped} fixed-effect singleton rows were excluded (a row alone in its "
                "fixed-effect level is fitted perfectly and carries no information)",
                ExcludedRowsWarning,
                stacklevel=3,
            )
            Y, X, codes = Y[sample], X[sample], fe_codes(codes[sample])
            w = None if w is None else w[sample]
            clus = None if clus is None else clus[sample]

    m = Y.shape[1]
    if codes is None:
        Xd, Yd = X, Y
    else:
        both = demean(np.column_stack([Y, X]), codes, w, tol=tol)
        Yd, Xd = both[:, :m], both[:, m:]
    if w is None:
        Xw = Xd
        norms0 = np.sqrt(np.einsum("ij,ij->j", X, X))
    else:
        root = np.sqrt(w)
        Xw = Xd * root[:, None]
        norms0 = np.sqrt(np.einsum("ij,ij->j", X * root[:, None], X * root[:, None]))
    norms = np.sqrt(np.einsum("ij,ij->j", Xw, Xw))
    gone = norms <= _RANK_TOL * np.maximum(norms0, np.finfo(float).tiny)
    if gone.any():
        cols = [names[j] for j in np.flatnonzero(gone)]
        why = "constant within the fixed effects (absorbed by them)" if codes is not None else "all zero"
        raise DesignError(f"regressors {cols} are {why}; remove them")
    Z = Xw / norms
    R, piv = _check_rank(Z, names, codes is not None)

    def solve_normal(b: np.ndarray) -> np.ndarray:
        t = linalg.solve_triangular(R, b[piv], trans="T")
        u = linalg.solve_triangular(R, t)
        out = np.empty_like(u)
        out[piv] = u
        return out

    Rinv = linalg.solve_triangular(R, np.eye(k))
    ztz_inv = np.empty((k, k))
    ztz_inv[np.ix_(piv, piv)] = Rinv @ Rinv.T
    bread = ztz_inv / np.outer(norms, norms)
    wts = np.ones(len(Y)) if w is None else w
    has_const = codes is not None or bool(np.any(np.all(X == X[:1], axis=0) & (X[0] != 0)))
    cluster_code = None if clus is None else cluster_codes(clus)
    fits = []
    for j in range(m):
        y, yd = Y[:, j], Yd[:, j]
        yw = yd if w is None else yd * root
        bz = solve_normal(Z.T @ yw)
        bz += solve_normal(Z.T @ (yw - Z @ bz))  # one step of refinement (corrected semi-normal equations)
        beta = bz / norms
        resid = yd - Xd @ beta
        ybar = np.sum(wts * y) / wts.sum() if has_const else 0.0
        fit = OLSFit(
            beta=beta,
            names=names,
            cov=np.empty((k, k)),
            cov_type=cov_type,
            X=Xd,
            resid=resid,
            weights=w,
            bread=bread,
            fe=codes,
            cluster=cluster_code,
            sample=sample,
            ssr=float(np.sum(wts * resid**2)),
            tss=float(np.sum(wts * (y - ybar) ** 2)),
            tss_within=float(np.sum(wts * yd**2)) if codes is not None else float(np.sum(wts * (y - ybar) ** 2)),
            cr2_df=cr2_df,
        )
        if fit.nobs <= fit.df_k:
            raise DesignError(f"no residual degrees of freedom: {fit.nobs} rows for {fit.df_k} parameters")
        fits.append(_with_inference(fit))
    return fits


def _validate(Y: np.ndarray, X: np.ndarray, weights: np.ndarray | None, names: tuple[str, ...]) -> None:
    """Check the outcomes ``Y`` (n, m), regressors, weights and names of :func:`_fit_columns`."""
    n, k = X.shape
    if Y.shape[0] != n:
        shape = Y.shape if Y.shape[1] > 1 else Y.shape[:1]
        raise EvalkitError(f"y must be a vector of {n} values like the rows of X, got shape {shape}")
    if k == 0:
        raise DesignError("no regressors to estimate (X has no columns)")
    if len(names) != k:
        raise EvalkitError(f"{len(names)} names given for {k} regressors")
    for j in range(Y.shape[1]):
        if not np.all(np.isfinite(Y[:, j])):
            which = "y" if Y.shape[1] == 1 else f"outcome {j} of Y"
            raise EvalkitError(f"{which} has {int(np.sum(~np.isfinite(Y[:, j])))} non-finite values; "
                               "drop or impute them first")
    bad = ~np.all(np.isfinite(X), axis=0)
    if bad.any():
        raise EvalkitError(f"regressors {[names[j] for j in np.flatnonzero(bad)]} have non-finite values")
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != (n,):
            raise EvalkitError(f"weights must have shape ({n},), got {w.shape}")
        nonpos = ~(np.isfinite(w) & (w > 0))
        if nonpos.any():
            raise EvalkitError(f"weights must be finite and positive; {int(nonpos.sum())} rows are not")
