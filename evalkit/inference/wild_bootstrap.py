"""Wild cluster bootstrap t-tests and confidence intervals, for every estimator in evalkit.

One function, :func:`wild_cluster_bootstrap`, takes any result: ``feols`` and ``did2x2``
(through their fit), ``event_study`` and ``sun_abraham`` (regressions), ``att_gt`` and
every aggregation, ``imputation_did`` and ``two_stage_did`` (influence functions).  A
result other than a ``feols`` fit takes part by a method ``bootstrap_scores(terms)``
(:mod:`~evalkit.inference.wild_bootstrap_scores`), so that inference imports no estimator.
By default the null is imposed for every result (WCR); ``impose_null=False`` gives the
unrestricted variant (WCU).

**Regressions: the restricted wild cluster bootstrap** (WCR) of Cameron, Gelbach & Miller
(2008), computed the fast way of Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and
wild", Stata Journal 19(1)).  For ``H0: w'beta = r`` in ``y = X beta + u`` with clusters
``g = 1..G`` (``w`` a unit vector for a coefficient, cohort shares for a Sun-Abraham
event-time effect):

1. Fit the restricted model (``w'beta = r``, restricted least squares); its residuals are
   ``u~ = u^ + X (X'X)^{-1} w (w'beta^ - r) / (w'(X'X)^{-1} w)``.
2. Draw ``v_b`` (one weight per cluster) and build ``y*_b = X beta~ + u~ * v_b``.
3. Refit, compute the CR1 t-statistic ``t*_b = (w'beta*_b - r) / se*_b``.
4. The symmetric p-value is the share of draws with ``|t*_b| >= |t|``.

Nothing is refitted.  With ``a = (X'X)^{-1} w``, ``z_i = x_i'a``, the cluster sums
``S_g = sum_{i in g} x_i u~_i`` (G x k), ``c = S a`` and ``M_h = sum_{i in h} z_i x_i'``::

    w'beta*_b - r = c'v,     score_h(v) = c_h v_h - (M (X'X)^{-1} S' v)_h,
    se*^2 = ssc * sum_h score_h(v)^2,

so one draw costs O(G k) after one O(n k) pass over the data.  ``u~`` is linear in ``r``
(``u~ = u0 - r u1``), so ``c``, ``S`` and the scores are too; the bootstrap
t-statistics for any ``r`` follow from five vectors of length B, which makes the
confidence interval by test inversion (bisection on ``r`` with the same draws) cheap.
The unrestricted variant (WCU, ``impose_null=False``) uses the OLS residuals and
``t*_b = (w'beta*_b - w'beta^) / se*_b``.

**Influence functions** (:mod:`~evalkit.inference.wild_bootstrap_influence`): the
cluster sums of the influence function, with the null imposed on the target parameter
(the restricted score bootstrap; nuisance parameters held at their estimates), are
multiplied by the weights and the bootstrap influence function is re-centred per draw (the
refit of the regression case), giving a CR1-style studentised statistic per draw; the
interval is again the inversion of the test.  Without the null imposed it is the symmetric
studentised (bootstrap-t) interval.

With Rademacher weights and ``2**G <= n_boot`` all ``2**G`` sign vectors are enumerated
(exact p-value; boottest's rule).  Several terms share one set of draws, so their
``draws`` can be combined (e.g. for a step-down multiple-testing correction).

Absorbed fixed effects: the bootstrap works on the regression core's demeaned data
(Frisch-Waugh-Lovell).  When every fixed effect is nested in the clusters (e.g. county
fixed effects, clustering by county) this is identical to bootstrapping the dummy-variable
regression; otherwise it bootstraps the demeaned regression.  Analytic weights enter by
scaling rows by ``sqrt(w)`` (weighted least squares).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference.clusters import cluster_codes, cluster_sums
from evalkit.inference.covariance import cr1_factor
from evalkit.inference.pvalues import invert_test, resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.inference.weights import WeightType, check_weight_type, draw_weights, enumerate_rademacher
from evalkit.inference.wild_bootstrap_influence import influence_moments
from evalkit.inference.wild_bootstrap_moments import Moments
from evalkit.inference.wild_bootstrap_scores import (
    BootstrapScored,
    InfluenceScores,
    RegressionScores,
    regression_scores,
)
from evalkit.results.hypothesis_tests import WildBootstrapTest

__all__ = ["wild_cluster_bootstrap"]

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
    :mod:`evalkit.regression` in the layers (docs/architecture.md).  Other results take
    part through ``bootstrap_scores`` (:class:`~evalkit.inference.wild_bootstrap_scores.BootstrapScored`).
    """

    params: pd.Series
    fit: _Fit
    data: pd.DataFrame


def _moments(
    X: np.ndarray, u0: np.ndarray, u1: np.ndarray, a: np.ndarray, bread: np.ndarray, codes: np.ndarray,
    V: np.ndarray, ssc: float,
) -> Moments:
    """Bootstrap numerators and squared CR scores of ``w'beta`` for residuals ``u0 - r u1``,
    with ``a = (X'X)^{-1} w`` (Roodman et al. 2019)."""
    G = V.shape[0]
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
    return Moments(n0, n1, q00, q01, q11, ssc)


def _resolve_cluster(
    result: FittedRegression, cluster: str | np.ndarray | Sequence[object] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The cluster code of each row used, and the label of each code ``0..G-1`` when
    ``cluster`` names them (a column or labels; ``None`` with the result's own clustering)."""
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
    by_code = np.empty(int(codes.max()) + 1, dtype=object)
    by_code[codes] = labels
    return codes, by_code


def _draws_key(V: np.ndarray, labels: np.ndarray | None) -> str:
    """Digest of the weight matrix (G x B) and of the cluster label of each of its rows.

    Two tests with the same key drew the same weight for the same cluster in every draw,
    which is what a step-down correction (:mod:`evalkit.inference.stepdown`) needs.
    """
    h = hashlib.sha256(np.ascontiguousarray(V, dtype=float).tobytes())
    h.update(repr(V.shape).encode())
    h.update(("labels:" + repr([str(v) for v in labels]) if labels is not None else "own clustering").encode())
    return h.hexdigest()[:20]


def _regression_scores(
    result: FittedRegression, terms: list[str], cluster: Any
) -> tuple[RegressionScores, np.ndarray | None]:
    """The scores of a ``feols``/``did2x2`` result: its fit with CR1 on the clusters, one
    unit contrast per term; and the label of each cluster code when ``cluster`` names them."""
    codes, labels = _resolve_cluster(result, cluster)
    G = int(codes.max()) + 1
    if G < 2:
        raise EvalkitError(f"the wild cluster bootstrap needs at least two clusters, got {G}")
    fit = result.fit.vcov("CR1", codes)
    names = list(fit.names)
    return regression_scores(fit, np.eye(len(names))[[names.index(t) for t in terms]], terms), labels


def _regression_moments(scores: RegressionScores, V: np.ndarray, impose_null: bool) -> tuple[list[Moments], np.ndarray]:
    """Bootstrap moments and CR1 standard errors of every contrast (WCR or WCU)."""
    fit: Any = scores.fit
    G = V.shape[0]
    root = np.ones(fit.nobs) if fit.weights is None else np.sqrt(fit.weights)
    X = fit.X * root[:, None]
    u_hat = fit.resid * root
    ssc = cr1_factor(G, fit.nobs, fit.df_k)
    moments = []
    for w in scores.contrasts:
        a = fit.bread @ w
        if impose_null:  # restricted least squares: u~ = u^ + X a (w'beta^ - r) / (w'a)
            shift = X @ a / float(w @ a)
            u0, u1 = u_hat + shift * float(w @ fit.beta), shift
        else:
            u0, u1 = u_hat, np.zeros(fit.nobs)
        moments.append(_moments(X, u0, u1, a, fit.bread, scores.codes, V, ssc))
    se = np.sqrt(np.einsum("lk,kj,lj->l", scores.contrasts, fit.cov, scores.contrasts))
    return moments, se


def _terms(result: Any, term: str | Sequence[str] | None) -> list[str]:
    available = list(result.params.index)
    terms = available if term is None else [term] if isinstance(term, str) else list(term)
    if not terms:
        raise EvalkitError(f"no term given; terms are {available}")
    absent = [t for t in terms if t not in available]
    if absent:
        raise EvalkitError(f"term(s) {absent} are not in the result; terms are {available}")
    if len(set(terms)) < len(terms):
        raise EvalkitError(f"term(s) repeated in {terms}")
    return terms


def _scores(result: Any, terms: list[str], cluster: Any) -> tuple[RegressionScores | InfluenceScores, np.ndarray | None]:
    """Dispatch: a result's own ``bootstrap_scores`` or a ``feols``/``did2x2`` fit; with the
    label of each cluster code when ``cluster`` names them (feols/did2x2 only)."""
    if isinstance(result, BootstrapScored):
        if cluster is not None:
            raise EvalkitError(
                f"cluster= applies to feols/did2x2 results only; a {type(result).__name__} is bootstrapped "
                "over the clusters it was estimated with: re-estimate it with cluster=<column>"
            )
        return result.bootstrap_scores(terms), None
    if all(hasattr(result, a) for a in ("params", "fit", "data")):
        return _regression_scores(result, terms, cluster)
    raise EvalkitError(
        "wild_cluster_bootstrap needs a result of feols, did2x2, event_study, sun_abraham, att_gt (or its "
        f"aggregate), imputation_did or two_stage_did, got {type(result).__name__}"
    )


def wild_cluster_bootstrap(
    result: Any,
    term: str | Sequence[str] | None = None,
    *,
    cluster: str | np.ndarray | None = None,
    n_boot: int = 9999,
    weight_type: WeightType = "rademacher",
    impose_null: bool = True,
    null_value: float = 0.0,
    rng: RNG = None,
    alpha: float = 0.05,
    ci: bool = True,
) -> WildBootstrapTest | dict[str, WildBootstrapTest]:
    """Wild cluster bootstrap t-test of ``term = null_value`` and its confidence interval.

    Parameters
    ----------
    result
        A result of :func:`~evalkit.regression.feols`, :func:`~evalkit.estimators.did2x2`,
        :func:`~evalkit.estimators.event_study`, :func:`~evalkit.estimators.sun_abraham`
        (regressions: CR1 t-statistics whatever the result's own covariance),
        :func:`~evalkit.estimators.att_gt`, its ``aggregate()`` (every kind),
        :func:`~evalkit.estimators.imputation_did` or :func:`~evalkit.estimators.two_stage_did`
        (influence functions: t-statistics with ``G/(G-1)`` times their variance).
    term
        The term to test in the result's vocabulary (``"treated:post"``,
        ``"cohort::2004:time::2006"``, ``"event_time::2"``, ``"ATT"``): one name returns one
        test; a list of names, or ``None`` (every term), returns a dict ``term -> test``
        whose tests share one set of weight draws.
    cluster
        feols/did2x2 only: column of ``result.data`` or labels (one per row used); default
        the result's own one-way clustering.  Column ``g`` of the weight matrix
        (:func:`~evalkit.inference.weights.draw_weights`) belongs to the ``g``-th cluster in
        sorted label order when ``cluster`` is given, in order of first appearance with the
        result's own clustering.  Other results use the clusters they were estimated with.
    n_boot
        Number of draws.  Rademacher weights with ``2**G <= n_boot`` enumerate all ``2**G``
        sign vectors instead.
    weight_type
        Distribution of the wild weights: ``"rademacher"``, ``"webb"`` (recommended with
        fewer than ~12 clusters, Webb 2014) or ``"mammen"``.
    impose_null
        Impose the null (WCR, default and recommended: restricted residuals for
        regressions, restricted scores for influence functions; Cameron, Gelbach & Miller
        2008; MacKinnon & Webb 2017) or not (WCU).
    null_value
        Hypothesised value ``r`` of the term(s).
    rng
        ``numpy.random.Generator`` or a seed; ``None`` is a fixed default seed
        (:func:`evalkit.inference.rng.as_generator`).  The same seed gives the same
        draws (:func:`~evalkit.inference.weights.draw_weights` is called once with it):
        results with the same ``G`` clusters bootstrapped with the same integer seed,
        ``n_boot`` and ``weight_type`` get identical weights (cluster ``g`` by sorted label
        when ``cluster`` names a column), so their ``draws`` can be combined by a step-down
        correction (:func:`~evalkit.inference.romano_wolf`; ``draws_key`` records it).  A
        ``Generator`` passed to several calls advances, giving different draws.
    alpha
        One minus the coverage of the confidence interval.
    ci
        Compute the confidence interval by inverting the test (bisection on ``r`` with the
        same draws until the interval's ends are known to ``1e-9`` standard errors); an
        end farther than ``2**30`` standard errors is reported as infinite.  Without the
        null imposed this is the symmetric studentised (bootstrap-t) interval
        ``estimate -+ q se``, ``q`` the ``1 - alpha`` quantile of ``|t*|``.

    Returns
    -------
    WildBootstrapTest or dict of str to WildBootstrapTest

    Raises
    ------
    EvalkitError
        Unknown term or weight type, bad ``n_boot`` or ``alpha``, unusable cluster labels,
        fewer than two clusters, ``cluster=`` with a result other than feols/did2x2.

    References
    ----------
    Cameron, Gelbach & Miller (2008), REStat 90(3).  Roodman, MacKinnon, Nielsen & Webb
    (2019), Stata Journal 19(1).  MacKinnon & Webb (2017), J. Applied Econometrics 32(2).
    Webb (2014), Queen's Economics WP 1315.
    """
    if not hasattr(result, "params"):
        _scores(result, [], cluster)  # raises, naming what is accepted
    if isinstance(null_value, bool) or not isinstance(null_value, (int, float, np.integer, np.floating)):
        raise EvalkitError(f"null_value must be a number, got {null_value!r}")
    terms = _terms(result, term)
    check_weight_type(weight_type)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise EvalkitError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    gen = as_generator(rng)
    scores, labels = _scores(result, terms, cluster)
    regression = isinstance(scores, RegressionScores)
    restricted = bool(impose_null)
    G = int(scores.codes.max()) + 1 if regression else scores.n_clusters
    if G < 2:
        raise EvalkitError(f"the wild cluster bootstrap needs at least two clusters, got {G}")
    enumerated = weight_type == "rademacher" and 2**G <= n_boot
    V = (enumerate_rademacher(G) if enumerated else draw_weights(weight_type, n_boot, G, gen)).T  # (G, B)
    if regression:
        moments, ses = _regression_moments(scores, V, restricted)
        estimates = scores.contrasts @ scores.fit.beta  # type: ignore[attr-defined]
    else:
        moments, ses = influence_moments(scores, V, restricted)
        estimates = scores.estimates
    variant = "WCR (null imposed)" if restricted else "WCU (null not imposed)"
    method = f"{variant}, {'regression' if regression else 'influence function'}"
    key = _draws_key(V, labels)
    tests = {}
    for name, estimate, se, mom in zip(terms, map(float, estimates), map(float, ses), moments):
        if not np.isfinite(estimate) or not se > 0:
            raise EvalkitError(
                f"term {name!r} has estimate {estimate} and standard error {se}: nothing to bootstrap; "
                "pass term= with the terms to test"
            )

        def p_value(r: float, estimate: float = estimate, se: float = se, mom: Moments = mom) -> float:
            return resampling_p_value((estimate - r) / se, mom.t_star(r))

        bounds = (float("nan"), float("nan"))
        if ci:
            bounds = (invert_test(p_value, estimate, -se, alpha), invert_test(p_value, estimate, se, alpha))
        tests[name] = WildBootstrapTest(
            term=name,
            estimate=estimate,
            null_value=float(null_value),
            statistic=(estimate - null_value) / se,
            p_value=p_value(null_value),
            interval=bounds,
            alpha=alpha,
            n_boot=V.shape[1],
            weight_type=weight_type,
            n_clusters=G,
            impose_null=restricted,
            enumerated=enumerated,
            method=method,
            draws=mom.t_star(null_value),
            draws_key=key,
        )
    return tests[term] if isinstance(term, str) else tests
