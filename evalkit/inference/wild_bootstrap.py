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

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference.clusters import cluster_codes, cluster_sums
from evalkit.inference.covariance import cr1_factor
from evalkit.inference.pvalues import invert_test, resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.inference.weights import WeightType, check_weight_type, draw_weights, enumerate_rademacher
from evalkit.results.hypothesis_tests import WildBootstrapTest

__all__ = ["wild_cluster_bootstrap"]

#: ``sum_h (Q1 v)_h^2`` below this share of its largest value is rounding noise of an exact zero.
_ZERO_RTOL = 1e-24
#: Bound on the elements of one block of draws (G x block).
_BLOCK_ELEMENTS = 1 << 22


class _Fit(Protocol):
    """What the bootstrap needs of a least-squares fit (:class:`~evalkit.regression.OLSFit`)."""

    beta: np.ndarray
    names: tuple[str, ...]
    cov: np.ndarray
    X: np.ndarray
    resid: np.ndarray
    weights: np.ndarray | None
    bread: np.ndarray
    cluster: np.ndarray | None
    nobs: int
    df_k: int

    def vcov(self, cov_type: Any, cluster: np.ndarray | None = None) -> "_Fit": ...


class FittedRegression(Protocol):
    """What the bootstrap needs of a regression result (:class:`~evalkit.regression.RegressionResult`).

    The bootstrap is duck-typed so that :mod:`evalkit.inference` stays below
    :mod:`evalkit.regression` in the layers (docs/architecture.md).
    """

    params: pd.Series
    fit: _Fit
    data: pd.DataFrame


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
    M = cluster_sums(X * z[:, None], codes, G)  # (G, k): sum_{i in h} z_i x_i'
    MA = M @ bread
    parts = []
    for u in (u0, u1):
        S = cluster_sums(X * u[:, None], codes, G)  # (G, k)
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


def _resolve_cluster(
    result: FittedRegression, cluster: str | np.ndarray | Sequence[object] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cluster codes (n,) and the labels of codes ``0..G-1`` (``None`` with the result's own clustering)."""
    fit = result.fit
    if cluster is None:
        if fit.cluster is None:
            raise EvalkitError(
                "the result is not clustered; pass cluster= (a column of the data or an array of "
                "cluster labels, one per row used)"
            )
        if fit.cluster.shape[1] != 1:
            raise EvalkitError("the wild cluster bootstrap clusters in one dimension; pass cluster= (one column)")
        return fit.cluster[:, 0], None
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
        where = f"column {cluster!r}" if isinstance(cluster, str) else "the cluster labels"
        raise EvalkitError(f"{where} has {int(pd.isna(labels).sum())} missing values; drop those rows before fitting")
    codes = cluster_codes(labels)[:, 0]
    return codes, _labels_of_codes(labels, codes)


def _labels_of_codes(labels: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The label of each code ``0..G-1``."""
    out = np.empty(int(codes.max()) + 1, dtype=object)
    out[codes] = labels
    return out


def _draws_key(V: np.ndarray, labels: np.ndarray | None) -> str:
    """Digest of the weight matrix (G x B) and of the cluster label of each of its rows.

    Two tests with the same key drew the same weight for the same cluster in every draw,
    which is what a step-down correction (:mod:`evalkit.inference.stepdown`) needs.
    """
    h = hashlib.sha256(np.ascontiguousarray(V, dtype=float).tobytes())
    h.update(repr(V.shape).encode())
    h.update(("labels:" + repr([str(v) for v in labels]) if labels is not None else "own clustering").encode())
    return h.hexdigest()[:20]


def wild_cluster_bootstrap(
    result: FittedRegression,
    term: str,
    *,
    cluster: str | np.ndarray | None = None,
    n_boot: int = 9999,
    weight_type: WeightType = "rademacher",
    impose_null: bool = True,
    null_value: float = 0.0,
    rng: RNG = None,
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
        one-way clustering.  Column ``g`` of the weight matrix
        (:func:`~evalkit.inference.weights.draw_weights`) belongs to the ``g``-th cluster in sorted label order when ``cluster`` is given,
        in order of first appearance with the result's own clustering.
    n_boot
        Number of draws.  Rademacher weights with ``2**G <= n_boot`` enumerate all ``2**G``
        sign vectors instead.
    weight_type
        Distribution of the wild weights: ``"rademacher"``, ``"webb"`` (recommended with
        fewer than ~12 clusters, Webb 2014) or ``"mammen"``.
    impose_null
        Restricted (WCR, default and recommended; Cameron, Gelbach & Miller 2008) or
        unrestricted (WCU) residuals.
    null_value
        Hypothesised value ``r`` of the coefficient.
    rng
        ``numpy.random.Generator`` or a seed; ``None`` is a fixed default seed
        (:func:`evalkit.inference.rng.as_generator`).  The same seed gives the same
        draws (:func:`~evalkit.inference.weights.draw_weights` is called once with it):
        fits with the same ``G`` clusters, ``n_boot`` and ``weight_type`` bootstrapped with
        the same integer seed get identical weights, cluster ``g`` by sorted label when
        ``cluster`` names a column, so their ``t_boot`` can be combined by a step-down
        correction (:func:`~evalkit.inference.romano_wolf`; ``draws_key`` records it).  A
        ``Generator`` passed to several calls advances, giving different draws.
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
        Unknown term or weight type, bad ``n_boot`` or ``alpha``, unusable cluster labels
        or fewer than two clusters.

    References
    ----------
    Cameron, Gelbach & Miller (2008), REStat 90(3).  Roodman, MacKinnon, Nielsen & Webb
    (2019), Stata Journal 19(1).  MacKinnon & Webb (2017), J. Applied Econometrics 32(2).
    Webb (2014), Queen's Economics WP 1315.
    """
    if not all(hasattr(result, a) for a in ("params", "fit", "data")):
        raise EvalkitError(
            f"wild_cluster_bootstrap needs a regression result (from feols or did2x2), got {type(result).__name__}"
        )
    if isinstance(null_value, bool) or not isinstance(null_value, (int, float, np.integer, np.floating)):
        raise EvalkitError(f"null_value must be a number, got {null_value!r}")
    if term not in result.params.index:
        raise EvalkitError(f"term {term!r} is not in the result; terms are {list(result.params.index)}")
    check_weight_type(weight_type)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise EvalkitError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    gen = as_generator(rng)

    codes, labels = _resolve_cluster(result, cluster)
    G = int(codes.max()) + 1
    if G < 2:
        raise EvalkitError(f"the wild cluster bootstrap needs at least two clusters, got {G}")
    fit = result.fit.vcov("CR1", codes)
    j = list(fit.names).index(term)
    root = np.ones(fit.nobs) if fit.weights is None else np.sqrt(fit.weights)
    X = fit.X * root[:, None]
    y = (fit.X @ fit.beta + fit.resid) * root
    ssc = cr1_factor(G, fit.nobs, fit.df_k)
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

    enumerated = weight_type == "rademacher" and 2**G <= n_boot
    V = (enumerate_rademacher(G) if enumerated else draw_weights(weight_type, n_boot, G, gen)).T  # (G, B)
    mom = _moments(X, u0, u1, j, fit.bread, codes, V)

    def t_boot(r: float) -> np.ndarray:
        if impose_null:
            num, den2 = mom.n0 - r * mom.n1, mom.q00 - 2 * r * mom.q01 + r * r * mom.q11
        else:
            num, den2 = mom.n0, mom.q00
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / np.sqrt(ssc * np.maximum(den2, 0.0))

    def p_value(r: float) -> float:
        return resampling_p_value((estimate - r) / se, t_boot(r))

    draws = t_boot(null_value)
    bounds = (float("nan"), float("nan"))
    if ci:
        bounds = (invert_test(p_value, estimate, -se, alpha), invert_test(p_value, estimate, se, alpha))
    return WildBootstrapTest(
        term=term,
        estimate=estimate,
        null_value=float(null_value),
        statistic=(estimate - null_value) / se,
        p_value=p_value(null_value),
        interval=bounds,
        alpha=alpha,
        n_boot=V.shape[1],
        weight_type=weight_type,
        n_clusters=G,
        impose_null=impose_null,
        enumerated=enumerated,
        t_boot=draws,
        draws_key=_draws_key(V, labels),
    )
