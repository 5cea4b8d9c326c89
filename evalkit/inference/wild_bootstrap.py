"""Wild cluster bootstrap t-test and confidence interval for one regression coefficient.

The restricted wild cluster bootstrap (WCR) of Cameron, Gelbach & Miller (2008), computed
the fast way of Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and wild", Stata Journal
19(1)).  For ``H0: beta_j = r`` in ``y = X beta + u`` with clusters ``g = 1..G``:

1. Fit the restricted model (``beta_j = r``); its residuals are ``u~``.
2. Draw ``v_b`` (one weight per cluster) and build ``y*_b = X beta~ + u~ * v_b``.
3. Refit, compute the CR1 t-statistic ``t*_b = (beta*_j - r) / se*_j``.
4. The symmetric p-value is the share of draws with ``|t*_b| >= |t|``.

Nothing is refitted.  With ``a = (X'X)^{-1} e_j``, ``z_i = x_i'a``, the cluster sums
``S_g = sum_{i in g} x_i u~_i`` (G x k), ``c = S a`` and ``M_h = sum_{i in h} z_i x_i'``::

    beta*_j - r = c'v,     score_h(v) = c_h v_h - (M (X'X)^{-1} S' v)_h,
    se*_j^2 = ssc * sum_h score_h(v)^2,

so one draw costs O(G k) after one O(n k) pass over the data.  ``u~`` is linear in ``r``
(``u~ = M_{-j} y - r M_{-j} x_j``), so ``c``, ``S`` and the scores are too; the bootstrap
t-statistics for any ``r`` follow from six vectors of length B, which makes the
confidence interval by test inversion (bisection on ``r`` with the same draws) cheap.

With Rademacher weights and ``2**G <= n_boot`` all ``2**G`` sign vectors are enumerated
(exact p-value; boottest's rule).  The unrestricted variant (WCU, ``impose_null=False``)
uses the OLS residuals and ``t*_b = (beta*_j - beta^_j) / se*_j``.

Absorbed fixed effects: the bootstrap works on the regression core's demeaned data
(Frisch-Waugh-Lovell).  When every fixed effect is nested in the clusters (e.g. county
fixed effects, clustering by county) this is identical to bootstrapping the dummy-variable
regression; otherwise it bootstraps the demeaned regression.  Analytic weights enter by
scaling rows by ``sqrt(w)`` (weighted least squares).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference.covariance import cluster_codes
from evalkit.regression.feols import RegressionResult

__all__ = ["WildBootstrapTest", "WildWeights", "draw_wild_weights", "enumerate_rademacher", "wild_cluster_bootstrap"]

WildWeights = Literal["rademacher", "webb", "mammen"]

_SQRT5 = np.sqrt(5.0)
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
#: Relative tolerance under which ``|t*|`` and ``|t|`` count as tied (as extreme).
TIE_RTOL = 1e-10
#: Confidence interval ends beyond ``2**MAX_DOUBLINGS`` standard errors are reported as infinite.
MAX_DOUBLINGS = 30
#: ``sum_h (Q1 v)_h^2`` below this share of its largest value is rounding noise of an exact zero.
_ZERO_RTOL = 1e-24
#: Bound on the elements of one block of draws (G x block).
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False)
class WildBootstrapTest:
    """A wild cluster bootstrap test of ``term = null_value`` and its confidence interval.

    Attributes
    ----------
    term, estimate
        The coefficient tested and its estimate.
    null_value
        The hypothesised value ``r``.
    statistic
        CR1 t-statistic ``(estimate - r) / se`` (the bootstrap refers it to ``t_boot``).
    p_value
        Symmetric bootstrap p-value: share of draws with ``|t*| >= |t|``.
    conf_int
        ``(lower, upper)`` by test inversion at level ``1 - alpha``; infinite ends when no
        value is rejected on that side, ``(nan, nan)`` when not computed (``ci=False``).
    alpha
        One minus the coverage of ``conf_int``.
    n_boot
        Number of draws used (``2**G`` when enumerated).
    weights
        Weight distribution: ``"rademacher"``, ``"webb"`` or ``"mammen"``.
    n_clusters
        Number of clusters ``G``.
    impose_null
        ``True`` for WCR (restricted residuals), ``False`` for WCU.
    enumerated
        Whether all ``2**G`` Rademacher draws were used (exact).
    t_boot
        The bootstrap t-statistics under ``null_value`` (read-only).
    """

    term: str
    estimate: float
    null_value: float
    statistic: float
    p_value: float
    conf_int: tuple[float, float]
    alpha: float
    n_boot: int
    weights: str
    n_clusters: int
    impose_null: bool
    enumerated: bool
    t_boot: np.ndarray = field(repr=False)

    def __str__(self) -> str:
        kind = "WCR (null imposed)" if self.impose_null else "WCU (null not imposed)"
        draws = f"all {self.n_boot} draws enumerated" if self.enumerated else f"{self.n_boot} draws"
        lo, hi = self.conf_int
        ci = (
            "not computed"
            if np.isnan(lo) and np.isnan(hi)
            else f"[{lo:.6g}, {hi:.6g}] (test inversion)"
        )
        return "\n".join(
            [
                f"Wild cluster bootstrap, {kind}, {self.weights} weights, {draws}",
                f"H0: {self.term} = {self.null_value:g}    estimate = {self.estimate:.6g}",
                f"t (CR1) = {self.statistic:.4f}    bootstrap p = {self.p_value:.4f}    "
                f"clusters = {self.n_clusters}",
                f"{100 * (1 - self.alpha):g}% confidence interval: {ci}",
            ]
        )


def enumerate_rademacher(n_clusters: int) -> np.ndarray:
    """All ``2**G`` Rademacher sign vectors as a (G, 2**G) matrix (column 0 is all ones)."""
    if not 1 <= n_clusters <= 24:
        raise ValueError(f"enumeration needs 1 to 24 clusters, got {n_clusters}")
    draws = np.arange(2**n_clusters)
    bits = (draws[None, :] >> np.arange(n_clusters)[:, None]) & 1
    return 1.0 - 2.0 * bits


def draw_wild_weights(kind: WildWeights, n_clusters: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Random wild bootstrap weights, one per cluster and draw, as a (G, n_boot) matrix.

    ``"rademacher"``: +-1 with probability 1/2.  ``"webb"``: +-sqrt(1/2), +-1, +-sqrt(3/2)
    with probability 1/6 each (Webb 2014; six points, for few clusters).  ``"mammen"``:
    ``(1 - sqrt 5)/2`` with probability ``(sqrt 5 + 1)/(2 sqrt 5)``, else ``(1 + sqrt 5)/2``
    (Mammen 1993).  All have mean 0 and variance 1.
    """
    shape = (n_clusters, n_boot)
    if kind == "rademacher":
        return np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=shape)]
    if kind == "mammen":
        low = rng.random(shape) < (_SQRT5 + 1) / (2 * _SQRT5)
        return np.where(low, (1 - _SQRT5) / 2, (1 + _SQRT5) / 2)
    raise ValueError(f"weights must be 'rademacher', 'webb' or 'mammen', got {kind!r}")


def _cluster_sums(values: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Within-cluster column sums of ``values`` (n x m) -> (G x m)."""
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=G) for j in range(values.shape[1])])


@dataclass(frozen=True)
class _Moments:
    """Per-draw quantities from which ``t*_b(r)`` follows for any null value ``r``.

    ``beta*_j - r = n0 - r n1`` and ``se*^2 / ssc = q00 - 2 r q01 + r^2 q11``.
    """

    n0: np.ndarray
    n1: np.ndarray
    q00: np.ndarray
    q01: np.ndarray
    q11: np.ndarray


def _moments(
    X: np.ndarray, u0: np.ndarray, u1: np.ndarray, j: int, bread: np.ndarray, codes: np.ndarray, V: np.ndarray
) -> _Moments:
    """Bootstrap numerators and squared CR scores for residuals ``u0 - r u1`` (Roodman et al. 2019)."""
    G = V.shape[0]
    a = bread[:, j]
    z = X @ a
    M = _cluster_sums(X * z[:, None], codes, G)  # (G, k): sum_{i in h} z_i x_i'
    MA = M @ bread
    parts = []
    for u in (u0, u1):
        S = _cluster_sums(X * u[:, None], codes, G)  # (G, k)
        c = S @ a
        parts.append((c, S))
    n0, n1, q00, q01, q11 = (np.empty(V.shape[1]) for _ in range(5))
    block = max(1, _BLOCK_ELEMENTS // max(G, 1))
    for start in range(0, V.shape[1], block):
        Vb = V[:, start : start + block]
        (c0, S0), (c1, S1) = parts
        Q0 = c0[:, None] * Vb - MA @ (S0.T @ Vb)
        Q1 = c1[:, None] * Vb - MA @ (S1.T @ Vb)
        sl = slice(start, start + Vb.shape[1])
        n0[sl], n1[sl] = c0 @ Vb, c1 @ Vb
        q00[sl] = np.einsum("gb,gb->b", Q0, Q0)
        q01[sl] = np.einsum("gb,gb->b", Q0, Q1)
        q11[sl] = np.einsum("gb,gb->b", Q1, Q1)
    # Draws whose scores do not depend on r (v = +-1 under WCR: y* = +-y) have Q1 v = 0 in
    # exact arithmetic; zero their rounding noise so that far-away nulls keep the exact tie.
    exact_zero = q11 <= _ZERO_RTOL * max(float(q11.max()), np.finfo(float).tiny)
    q01[exact_zero] = 0.0
    q11[exact_zero] = 0.0
    return _Moments(n0, n1, q00, q01, q11)


def _resolve_cluster(result: RegressionResult, cluster: str | np.ndarray | Sequence[object] | None) -> np.ndarray:
    fit = result.fit
    if cluster is None:
        if fit.cluster is None:
            raise EvalkitError(
                "the result is not clustered; pass cluster= (a column of the data or an array of "
                "cluster labels, one per row used)"
            )
        if fit.cluster.shape[1] != 1:
            raise EvalkitError("the wild cluster bootstrap clusters in one dimension; pass cluster= (one column)")
        return fit.cluster[:, 0]
    if isinstance(cluster, str):
        if cluster not in result.data.columns:
            raise EvalkitError(f"cluster column {cluster!r} is not in the data of the result")
        labels = result.data[cluster].to_numpy()
    else:
        labels = np.asarray(cluster)
        if labels.ndim != 1 or labels.shape[0] != fit.nobs:
            raise EvalkitError(
                f"cluster must be a column name or one label per row used ({fit.nobs}), got shape {labels.shape}"
            )
    if pd.isna(labels).any():
        raise EvalkitError("cluster labels have missing values; drop those rows before fitting")
    return cluster_codes(labels)[:, 0]


def wild_cluster_bootstrap(
    result: RegressionResult,
    term: str,
    *,
    cluster: str | np.ndarray | None = None,
    n_boot: int = 9999,
    weights: WildWeights = "rademacher",
    impose_null: bool = True,
    null_value: float = 0.0,
    rng: np.random.Generator | int | None = None,
    alpha: float = 0.05,
    ci: bool = True,
) -> WildBootstrapTest:
    """Wild cluster bootstrap t-test of ``term = null_value`` and its confidence interval.

    Parameters
    ----------
    result
        A :func:`~evalkit.regression.feols` or :func:`~evalkit.estimators.did2x2` result.
        Its covariance type does not matter: the test uses CR1 t-statistics.
    term
        Coefficient to test, e.g. ``"treated:post"`` (``DiD2x2Result.effect_term``).
    cluster
        Column of ``result.data`` or labels (one per row used); default: the result's own
        one-way clustering.  Row ``g`` of the weight matrix (:func:`draw_wild_weights`)
        belongs to the ``g``-th cluster in sorted label order when ``cluster`` is given,
        in order of first appearance with the result's own clustering.
    n_boot
        Number of draws.  Rademacher weights with ``2**G <= n_boot`` enumerate all ``2**G``
        sign vectors instead.
    weights
        ``"rademacher"``, ``"webb"`` (recommended with fewer than ~12 clusters, Webb 2014)
        or ``"mammen"``.
    impose_null
        Restricted (WCR, default and recommended; Cameron, Gelbach & Miller 2008) or
        unrestricted (WCU) residuals.
    null_value
        Hypothesised value ``r`` of the coefficient.
    rng
        ``numpy.random.Generator`` or a seed; the same seed gives the same draws
        (:func:`draw_wild_weights` is called once with it).
    alpha
        One minus the coverage of the confidence interval.
    ci
        Compute the confidence interval by inverting the test (bisection on ``r`` with the
        same draws until the interval's ends are known to ``1e-9`` standard errors); an
        end farther than ``2**30`` standard errors is reported as infinite.

    Returns
    -------
    WildBootstrapTest

    Raises
    ------
    EvalkitError
        Unknown term, unusable cluster labels or fewer than two clusters.

    References
    ----------
    Cameron, Gelbach & Miller (2008), REStat 90(3).  Roodman, MacKinnon, Nielsen & Webb
    (2019), Stata Journal 19(1).  MacKinnon & Webb (2017), J. Applied Econometrics 32(2).
    Webb (2014), Queen's Economics WP 1315.
    """
    if term not in result.params.index:
        raise EvalkitError(f"term {term!r} is not in the result; terms are {list(result.params.index)}")
    if weights not in ("rademacher", "webb", "mammen"):
        raise ValueError(f"weights must be 'rademacher', 'webb' or 'mammen', got {weights!r}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    codes = _resolve_cluster(result, cluster)
    G = int(codes.max()) + 1
    if G < 2:
        raise EvalkitError(f"the wild cluster bootstrap needs at least two clusters, got {G}")
    fit = result.fit.vcov("CR1", codes)
    j = list(fit.names).index(term)
    root = np.ones(fit.nobs) if fit.weights is None else np.sqrt(fit.weights)
    X = fit.X * root[:, None]
    y = (fit.X @ fit.beta + fit.resid) * root
    ssc = G / (G - 1) * (fit.nobs - 1) / (fit.nobs - fit.df_k)
    estimate = float(fit.beta[j])
    se = float(np.sqrt(fit.cov[j, j]))

    if impose_null:
        others = np.delete(X, j, axis=1)
        if others.shape[1]:
            coef, *_ = np.linalg.lstsq(others, np.column_stack([y, X[:, j]]), rcond=None)
            resid = np.column_stack([y, X[:, j]]) - others @ coef
        else:
            resid = np.column_stack([y, X[:, j]])
        u0, u1 = resid[:, 0], resid[:, 1]
    else:
        u0, u1 = fit.resid * root, np.zeros(fit.nobs)

    enumerated = weights == "rademacher" and 2**G <= n_boot
    V = enumerate_rademacher(G) if enumerated else draw_wild_weights(weights, G, n_boot, gen)
    mom = _moments(X, u0, u1, j, fit.bread, codes, V)

    def t_boot(r: float) -> np.ndarray:
        if impose_null:
            num, den2 = mom.n0 - r * mom.n1, mom.q00 - 2 * r * mom.q01 + r * r * mom.q11
        else:
            num, den2 = mom.n0, mom.q00
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / np.sqrt(ssc * np.maximum(den2, 0.0))

    def p_value(r: float) -> float:
        t = abs(estimate - r) / se
        return float(np.mean(np.abs(t_boot(r)) >= t * (1 - TIE_RTOL)))

    draws = t_boot(null_value)
    bounds = (float("nan"), float("nan"))
    if ci:
        bounds = (_invert(p_value, estimate, -se, alpha), _invert(p_value, estimate, se, alpha))
    draws.setflags(write=False)
    return WildBootstrapTest(
        term=term,
        estimate=estimate,
        null_value=float(null_value),
        statistic=(estimate - null_value) / se,
        p_value=p_value(null_value),
        conf_int=bounds,
        alpha=alpha,
        n_boot=V.shape[1],
        weights=weights,
        n_clusters=G,
        impose_null=impose_null,
        enumerated=enumerated,
        t_boot=draws,
    )


def _invert(p_value: Callable[[float], float], estimate: float, step: float, alpha: float) -> float:
    """End of ``{r: p(r) > alpha}`` on the side of ``step``, found by doubling then bisection.

    When ``p(r) > alpha`` still holds ``2**MAX_DOUBLINGS`` standard errors away, the end is
    infinite: with few (treated) clusters some draws reproduce ``|t|`` for every ``r``
    (e.g. ``v = +-1`` under WCR), so ``p(r)`` never falls below their share.
    """
    inner, outer = estimate, estimate + step
    for _ in range(MAX_DOUBLINGS):
        if p_value(outer) <= alpha:
            break
        inner, outer = outer, estimate + 2 * (outer - estimate)
    else:
        return float(np.copysign(np.inf, step))
    tol = 1e-9 * abs(step)
    while abs(outer - inner) > tol:
        mid = (inner + outer) / 2
        if p_value(mid) > alpha:
            inner = mid
        else:
            outer = mid
    return (inner + outer) / 2
