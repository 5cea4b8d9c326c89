"""CR2: the bias-reduced linearisation covariance of Bell & McCaffrey, with Satterthwaite df.

For least squares ``y = X b + u`` with clusters ``g`` (rows scaled by ``sqrt(w)`` first
under analytic weights, so ``X``, ``e`` below are the whitened regressors and residuals),

    V_CR2 = B (sum_g X_g' A_g e_g e_g' A_g X_g) B,    A_g = (I - H_gg)^{-1/2},

with ``B = (X'X)^{-1}`` and ``H_gg`` the block of cluster ``g`` of the hat matrix of the
FULL model, fixed effects included (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018,
working-independence model ``Phi = I``; the symmetric inverse square root, Moore-Penrose
where ``I - H_gg`` is singular, as in R clubSandwich).  No further factor is applied: CR2
is unbiased when the errors are independent and homoskedastic.  With weights this is CR2
of the whitened regression, as clubSandwich's of ``lm(sqrt(w) y ~ 0 + sqrt(w) X)`` (R
clubSandwich's CR2 of ``lm(..., weights = w)`` takes the Cholesky factor of the working
variance instead, another matrix when the weights vary within a cluster;
docs/few_clusters.md).

**Absorbed fixed effects.**  With fixed effects absorbed, ``X`` holds the demeaned
regressors and the full hat matrix is ``H = P_N + H_S + X B X'``, where ``P_N`` projects on
the fixed effects nested in the clusters and ``H_S`` on the other fixed effects' dummies
after removing the nested ones (an orthonormal basis ``S`` of that space, built by
:mod:`evalkit.regression`, is passed as ``absorbed``).  ``P_N`` is block diagonal by
cluster, and ``X_g``, ``e_g`` and ``S_g`` are orthogonal to it within each cluster, so
nested fixed effects drop out exactly (Pustejovsky & Tipton 2018, Theorem 2); the others
enter ``H_gg`` through ``S``.  This equals CR2 of the dummy-variable regression.

**Computation.**  ``H_gg = W_g W_g'`` with ``W_g = [X_g L, S_g]`` (``B = L L'``) has rank at
most ``k + r``; with the thin SVD ``W_g = U s V'``,
``A_g v = v + U diag((1 - s^2)^{-1/2} - 1) U' v`` (the term is ``-1`` where
``1 - s^2 <= 1e-12``: the Moore-Penrose inverse root), so the cost is
``O(n_g (k + r)^2)`` per cluster and no ``n_g x n_g`` matrix is formed.  The
Bell-McCaffrey traces ``tr M = sum_g z_g'z_g - ||F||^2`` and ``tr M^2`` follow from the
``(k + r) x G`` matrix ``F = [W_g'z_g]_g`` in ``O(G (k + r)^2)``; the Imbens-Kolesar
df form one ``G x G`` matrix per coefficient.

**Degrees of freedom** for the t-test of coefficient ``j`` (contrast ``c = e_j``):
``c'Vc = sum_g (z_g' e_g)^2`` with ``z_g = A_g X_g B c``.  Under the working model
``e = (I - H) u``, ``u ~ N(0, Omega)``, it is a quadratic form ``u'QQ'u`` with columns
``q_g = (I - H)_{., g} z_g``, and its Satterthwaite degrees of freedom are

    nu = (tr M)^2 / tr(M^2),    M = Q' Omega Q   (G x G).

* Bell & McCaffrey (2002): ``Omega = I``, then ``M_gh = z_g'(I - H)_{gh} z_h
  = delta_gh z_g'z_g - (W_g'z_g)'(W_h'z_h)``.
* Imbens & Kolesar (2016): ``Omega = sigma_e^2 I + sigma_c^2 sum_c v_c v_c'`` (a random
  cluster effect; ``v_c`` is the cluster's indicator, ``sqrt(w)`` on its rows under
  weights).  ``rho = sigma_c^2 / (sigma_e^2 + sigma_c^2)`` is estimated from the
  residuals by moments: ``sigma_c^2`` the mean product ``e_i e_j`` over pairs ``i != j``
  in one cluster, ``sigma_e^2 + sigma_c^2`` the mean ``e_i^2`` (truncated to ``[0, 1)``).
  With cluster fixed effects ``Q'v_c = 0`` and the two coincide.

References
----------
Bell, R. M. & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
regression with multi-stage samples. *Survey Methodology* 28(2), 169-181.  Imbens, G. W. &
Kolesar, M. (2016). Robust standard errors in small samples: some practical advice.
*Review of Economics and Statistics* 98(4), 701-712.  Pustejovsky, J. E. & Tipton, E.
(2018). Small-sample methods for cluster-robust variance estimation and hypothesis
testing in fixed effects models. *Journal of Business & Economic Statistics* 36(4), 672-683.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.clusters import cluster_codes

__all__ = ["CR2_DF", "CR2Df", "CR2Result", "HTZResult", "check_cr2_df", "cov_cr2", "cr2", "htz_test"]

CR2Df = Literal["bell-mccaffrey", "imbens-kolesar"]
#: The degrees-of-freedom approximations of CR2 t-tests.
CR2_DF: tuple[str, ...] = ("bell-mccaffrey", "imbens-kolesar")

#: ``1 - s^2`` at or below this is a zero eigenvalue of ``I - H_gg`` (Moore-Penrose root).
_SINGULAR_TOL = 1e-12


@dataclass(frozen=True)
class CR2Result:
    """CR2 covariance (k x k) and the Satterthwaite degrees of freedom of each coefficient."""

    cov: np.ndarray
    df: np.ndarray


def _one_way(cluster: np.ndarray) -> np.ndarray:
    codes = cluster_codes(cluster)
    if codes.shape[1] != 1:
        raise EvalkitError(f"CR2 clusters in one dimension; got {codes.shape[1]} cluster columns (use CR1 for two-way)")
    return codes[:, 0]


def check_cr2_df(df: str) -> None:
    """Raise for an unknown CR2 degrees-of-freedom method."""
    if df not in CR2_DF:
        raise EvalkitError(f"cr2_df must be one of {list(CR2_DF)}, got {df!r}")


def _ik_rho(e: np.ndarray, order: np.ndarray, bounds: np.ndarray) -> float:
    """Moment estimate of the intra-cluster correlation of the residuals, in [0, 1)."""
    pairs = 0.0
    products = 0.0
    for g in range(bounds.size - 1):
        eg = e[order[bounds[g] : bounds[g + 1]]]
        products += eg.sum() ** 2 - (eg**2).sum()
        pairs += eg.size * (eg.size - 1)
    total = float(np.mean(e**2))
    if pairs == 0 or total <= 0:
        return 0.0
    return float(np.clip(products / pairs / total, 0.0, 1.0 - 1e-12))


@dataclass(frozen=True)
class _Blocks:
    """Per-cluster pieces of CR2 (whitened rows): ``Z_g = A_g X_g B``, ``F_g = W_g' Z_g``, ..."""

    B: np.ndarray  # (k, k) bread
    e: np.ndarray  # (n,) whitened residuals
    order: np.ndarray  # rows sorted by cluster
    bounds: np.ndarray  # (G + 1,) cluster boundaries in ``order``
    scores: np.ndarray  # (G, k) X_g' A_g e_g
    F: np.ndarray  # (G, p, k) W_g' Z_g
    ztz: np.ndarray  # (G, k, k) Z_g' Z_g
    ones_z: np.ndarray  # (G, k) v_g' Z_g
    ones_w: np.ndarray  # (G, p) v_g' W_g


def _blocks(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None,
    absorbed: np.ndarray | None,
) -> _Blocks:
    """One pass over the clusters: the adjusted scores and the matrices of the df (module docstring)."""
    codes = _one_way(cluster)
    G = int(codes.max()) + 1
    if G < 2:
        raise DesignError(f"CR2 needs at least two clusters, got {G}")
    root = None if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    Xt = np.asarray(X, dtype=float) if root is None else X * root[:, None]
    e = np.asarray(resid, dtype=float) if root is None else resid * root
    B = np.asarray(bread, dtype=float)
    vals, vecs = np.linalg.eigh((B + B.T) / 2)
    L = vecs * np.sqrt(np.clip(vals, 0.0, None))  # B = L L'
    XL = Xt @ L
    W = XL if absorbed is None else np.hstack([XL, absorbed])
    k, p = Xt.shape[1], W.shape[1]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    scores = np.empty((G, k))
    F = np.empty((G, p, k))
    ztz = np.empty((G, k, k))
    ones_z = np.empty((G, k))
    ones_w = np.empty((G, p))
    for g in range(G):
        rows = order[bounds[g] : bounds[g + 1]]
        Wg = W[rows]
        U, s, _ = np.linalg.svd(Wg, full_matrices=False)
        gap = 1.0 - s**2
        f = np.where(gap > _SINGULAR_TOL, 1.0 / np.sqrt(np.maximum(gap, _SINGULAR_TOL)) - 1.0, -1.0)

        def adjust(v: np.ndarray, U: np.ndarray = U, f: np.ndarray = f) -> np.ndarray:
            return v + U @ (f[:, None] * (U.T @ v)) if v.ndim == 2 else v + U @ (f * (U.T @ v))

        scores[g] = Xt[rows].T @ adjust(e[rows])
        Z = adjust(Xt[rows] @ B)
        F[g] = Wg.T @ Z
        ztz[g] = Z.T @ Z
        v = np.ones(rows.size) if root is None else root[rows]
        ones_z[g] = v @ Z
        ones_w[g] = v @ Wg
    return _Blocks(B, e, order, bounds, scores, F, ztz, ones_z, ones_w)


def cr2(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    absorbed: np.ndarray | None = None,
    df: CR2Df = "bell-mccaffrey",
) -> CR2Result:
    """CR2 covariance and per-coefficient degrees of freedom (see the module docstring).

    Parameters
    ----------
    X, resid, bread
        Regressors after absorbing the fixed effects (n x k, not whitened), residuals
        (n,) and ``(X'WX)^{-1}``.
    cluster
        One cluster label per row.
    weights
        Analytic weights (n,): inverse-variance working weights (rows scaled by ``sqrt(w)``).
    absorbed
        Orthonormal (n x r) basis, in the whitened rows, of the absorbed fixed effects that
        are not nested in the clusters (after removing the nested ones); ``None`` when all
        absorbed fixed effects are nested or there are none.
    df
        ``"bell-mccaffrey"`` (working independence) or ``"imbens-kolesar"`` (random
        cluster effect with estimated intra-cluster correlation).

    Raises
    ------
    DesignError
        Fewer than two clusters.
    """
    check_cr2_df(df)
    blocks = _blocks(X, resid, bread, cluster, weights=weights, absorbed=absorbed)
    B, F, order, bounds, e = blocks.B, blocks.F, blocks.order, blocks.bounds, blocks.e
    scores, ones_z, ones_w = blocks.scores, blocks.ones_z, blocks.ones_w
    zz = np.einsum("gjj->gj", blocks.ztz)  # diag(Z_g' Z_g)
    G, k = zz.shape
    cov = B @ (scores.T @ scores) @ B
    if df == "bell-mccaffrey":
        # M_j = D_j - F_j'F_j with D_j = diag(zz[:, j]): traces without forming the G x G matrix
        norms = np.einsum("gpj,gpj->gj", F, F)  # ||F_j[:, g]||^2
        gram = np.einsum("gpj,gqj->jpq", F, F)  # F_j F_j'  (p x p)
        trace = zz.sum(axis=0) - norms.sum(axis=0)
        trace_sq = (zz**2).sum(axis=0) - 2 * (zz * norms).sum(axis=0) + np.einsum("jpq,jpq->j", gram, gram)
    else:
        rho = _ik_rho(e, order, bounds)
        idx = np.arange(G)
        trace = np.empty(k)
        trace_sq = np.empty(k)
        for j in range(k):  # one G x G matrix at a time
            Fj = F[:, :, j]  # (G, p)
            M = -(Fj @ Fj.T)
            M[idx, idx] += zz[:, j]
            # R[c, g] = delta_cg v_g'z_g - (W_c'v_c)' F_g
            R = -(ones_w @ Fj.T)
            R[idx, idx] += ones_z[:, j]
            M = (1.0 - rho) * M + rho * (R.T @ R)
            trace[j] = np.trace(M)
            trace_sq[j] = np.einsum("gh,hg->", M, M)
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = np.where(trace_sq > 0, trace**2 / trace_sq, np.nan)
    return CR2Result(cov=cov, df=dof)


def cov_cr2(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    df_k: int | None = None,
    absorbed: np.ndarray | None = None,
) -> np.ndarray:
    """CR2 covariance for the covariance registry (``df_k`` is not used: CR2 has no factor).

    See :func:`cr2`, which also returns the Satterthwaite degrees of freedom.
    """
    return cr2(X, resid, bread, cluster, weights=weights, absorbed=absorbed).cov


@dataclass(frozen=True)
class HTZResult:
    """The approximate Hotelling T^2 test (HTZ) of ``C b = r`` with the CR2 covariance.

    Attributes
    ----------
    statistic
        ``F = delta W / q`` with ``W = (C b - r)'(C V C')^{-1}(C b - r)``.
    df_num, df_denom
        ``q`` and ``eta - q + 1``.
    delta
        ``(eta - q + 1) / eta``.
    p_value
        ``P(F(q, eta - q + 1) > statistic)``.
    wald
        ``W``, the unadjusted Wald statistic (its naive F test is ``W / q`` on ``(q, G - 1)``).
    """

    statistic: float
    df_num: int
    df_denom: float
    delta: float
    p_value: float
    wald: float


def htz_test(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    beta: np.ndarray,
    contrasts: np.ndarray,
    *,
    null: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    absorbed: np.ndarray | None = None,
) -> HTZResult:
    """Pustejovsky & Tipton's (2018, sec. 3.3) HTZ test of ``q`` linear constraints under CR2.

    ``Q = C V_CR2 C'`` is approximated by a scaled Wishart whose degrees of freedom
    ``eta`` match its total variance under the working model (independent homoskedastic
    errors, as for the Bell-McCaffrey df): with ``z_sg = A_g X_g B c_s`` and
    ``M^{st}_{gh} = z_sg'(I - H)_{gh} z_th`` (``G x G``, built like the df of :func:`cr2`),
    ``E Q_st = tr M^{st} = Omega_st``; after normalising by ``Omega^{-1/2}``,

        Var(Q~_st) = sum_{g,h} (M~^{ss}_{gh} M~^{tt}_{gh} + M~^{st}_{gh} M~^{ts}_{gh}),
        eta = q (q + 1) / sum_{s,t} Var(Q~_st),

    and ``F = (eta - q + 1) / (eta q) W ~ F(q, eta - q + 1)``.  With ``q = 1`` this is the
    CR2 t-test with Bell-McCaffrey df (``F = t^2``, ``eta = nu``).  Arguments as for
    :func:`cr2`, with ``beta`` (k,), ``contrasts`` ``C`` (q x k) and ``null`` ``r`` (q,;
    default 0).  Matches R clubSandwich's ``Wald_test(..., test = "HTZ")``.

    Raises
    ------
    EvalkitError
        ``contrasts`` not of full row rank, or not ``q x k``.
    """
    from scipy import stats  # scipy.stats loads only when a p-value is drawn

    C = np.atleast_2d(np.asarray(contrasts, dtype=float))
    k = np.asarray(X).shape[1]
    if C.shape[1] != k or np.linalg.matrix_rank(C) < C.shape[0]:
        raise EvalkitError(f"the constraints must be a full-rank q x {k} matrix, got shape {C.shape}")
    q = C.shape[0]
    r = np.zeros(q) if null is None else np.asarray(null, dtype=float).reshape(q)
    blocks = _blocks(X, resid, bread, cluster, weights=weights, absorbed=absorbed)
    cov = blocks.B @ (blocks.scores.T @ blocks.scores) @ blocks.B
    diff = C @ np.asarray(beta, dtype=float) - r
    wald = float(diff @ np.linalg.solve(C @ cov @ C.T, diff))
    # Omega = E Q under the working model, then the constraints normalised by Omega^{-1/2}
    Dc = np.einsum("sk,gkl,tl->stg", C, blocks.ztz, C)  # (Z_g c_s)'(Z_g c_t)
    Fc = np.einsum("gpk,sk->sgp", blocks.F, C)  # F_g c_s
    omega = Dc.sum(axis=2) - np.einsum("sgp,tgp->st", Fc, Fc)
    vals, vecs = np.linalg.eigh((omega + omega.T) / 2)
    root = (vecs / np.sqrt(vals)) @ vecs.T  # Omega^{-1/2}
    D = np.einsum("as,bt,stg->abg", root, root, Dc)
    Fn = np.einsum("as,sgp->agp", root, Fc)
    # M^{ab} = diag(D^{ab}) - F_a F_b' (G x G) is never formed: its Hadamard sums from G x p pieces
    norms = np.einsum("agp,bgp->abg", Fn, Fn)  # F_a,g . F_b,g
    cross = np.einsum("agp,bgq->abpq", Fn, Fn)  # F_a' F_b  (p x p)
    diag = np.einsum("aag->ag", D)
    dnorm = np.einsum("aag->ag", norms)
    total = 0.0
    for a in range(q):
        for b in range(q):
            same = (diag[a] * diag[b]).sum() - (diag[a] * dnorm[b]).sum() - (diag[b] * dnorm[a]).sum()
            same += float(np.sum(cross[a, b] ** 2))  # ||F_a'F_b||^2 = sum_gh (F_aF_a')_gh (F_bF_b')_gh
            mixed = (D[a, b] ** 2).sum() - 2 * (D[a, b] * norms[a, b]).sum()
            mixed += float(np.sum(cross[b, a] * cross[b, a].T))  # tr((F_b'F_a)^2)
            total += same + mixed
    eta = q * (q + 1) / total
    df_denom = eta - q + 1
    delta = df_denom / eta
    statistic = delta * wald / q
    p = float(stats.f.sf(statistic, q, df_denom)) if df_denom > 0 else float("nan")
    return HTZResult(float(statistic), q, float(df_denom), float(delta), p, wald)
