"""What a result hands to :func:`~evalkit.inference.wild_bootstrap.wild_cluster_bootstrap`.

:mod:`evalkit.inference` sits below the estimators (docs/architecture.md), so the wild
bootstrap never imports a result class.  A result takes part by one method,
``bootstrap_scores(terms)`` (:class:`BootstrapScored`), returning one of two containers:

* :class:`RegressionScores`: a least-squares fit with CR1 covariance, the cluster codes of
  its rows and one contrast ``w`` per term (the term is ``w'beta``).  The null
  ``w'beta = r`` can be imposed (restricted least squares), so the bootstrap is the
  restricted wild cluster bootstrap (WCR).  Regression results (``event_study``,
  ``sun_abraham``; ``feols``/``did2x2`` through their fit) give these.
* :class:`InfluenceScores`: per cluster ``g`` and term, the cluster sum ``S_g`` of the
  term's influence function, scaled so that ``theta^ - theta ~ sum_g S_g``, and the
  cluster's share ``omega_g`` of the estimand's weight (``d theta^ / d y`` summed over the
  cluster's treated observations; the shares of a term sum to one).  Estimators that are
  not one regression (``att_gt`` and its aggregations, ``imputation_did``,
  ``two_stage_did``) give these; the bootstrap is then unrestricted (bootstrap-t).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from evalkit.errors import EvalkitError
from evalkit.inference.clusters import cluster_sums
from evalkit.results.base import freeze_arrays

__all__ = ["BootstrapScored", "InfluenceScores", "RegressionScores", "influence_scores", "regression_scores"]


@dataclass(frozen=True)
class RegressionScores:
    """A fitted regression and the contrasts of the tested terms (restricted wild bootstrap).

    Attributes
    ----------
    terms
        Names of the tested terms, one per row of ``contrasts``.
    fit
        A least-squares fit (:class:`~evalkit.regression.OLSFit`: ``beta``, ``X`` after
        absorbing fixed effects, ``resid``, ``weights``, ``bread``, ``nobs``, ``df_k``)
        whose ``cov`` is CR1 on ``codes``.
    codes
        Cluster code ``0..G-1`` of each row of the fit.
    contrasts
        ``(m, k)``: term ``l`` is ``contrasts[l] @ fit.beta``.
    """

    terms: tuple[str, ...]
    fit: object
    codes: np.ndarray
    contrasts: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def select(self, terms: Sequence[str]) -> "RegressionScores":
        """The same fit with the contrasts of ``terms`` only, in that order."""
        rows = [self.terms.index(t) for t in terms]
        return RegressionScores(tuple(terms), self.fit, self.codes, self.contrasts[rows])


@dataclass(frozen=True)
class InfluenceScores:
    """Cluster sums of influence functions and the estimand's weight shares (unrestricted bootstrap).

    Attributes
    ----------
    terms
        Names of the terms, one per column.
    estimates
        ``(m,)`` point estimates.
    scores
        ``(G, m)``: ``S_g``, the cluster sums of the influence functions, scaled so that
        ``theta* - theta^ = sum_g v_g S_g`` (the multiplier bootstrap's); their variance
        ``sum_g S_g^2`` is the estimator's analytic one, except for ``imputation_did``,
        which reports BJS's cell-centred conservative variance and bootstraps the
        residuals around its estimate (two-stage DiD's scores).
    shares
        ``(G, m)``: ``omega_g``, the cluster's share of the estimand's weight; each column
        sums to one.
    """

    terms: tuple[str, ...]
    estimates: np.ndarray
    scores: np.ndarray
    shares: np.ndarray

    def __post_init__(self) -> None:
        if self.scores.shape != self.shares.shape or self.scores.shape[1] != len(self.terms):
            raise ValueError("scores and shares must both be (n_clusters, n_terms)")
        freeze_arrays(self)

    @property
    def n_clusters(self) -> int:
        """Number of clusters ``G``."""
        return int(self.scores.shape[0])

    def select(self, terms: Sequence[str]) -> "InfluenceScores":
        """The columns of ``terms`` only, in that order."""
        cols = [self.terms.index(t) for t in terms]
        return InfluenceScores(tuple(terms), self.estimates[cols], self.scores[:, cols], self.shares[:, cols])


def regression_scores(fit: Any, contrasts: np.ndarray, terms: Sequence[str]) -> RegressionScores:
    """:class:`RegressionScores` of a fit whose ``cov`` is CR1 on its one-way ``cluster``.

    Raises
    ------
    EvalkitError
        The fit is not clustered in one dimension, or has fewer than two clusters.
    """
    if fit.cluster is None or fit.cluster.shape[1] != 1:
        raise EvalkitError("the wild cluster bootstrap needs a fit clustered in one dimension")
    codes = np.unique(fit.cluster[:, 0], return_inverse=True)[1].ravel()
    if codes.max(initial=0) < 1:
        raise EvalkitError(f"the wild cluster bootstrap needs at least two clusters, got {int(codes.max()) + 1}")
    return RegressionScores(tuple(terms), fit, codes, np.asarray(contrasts, dtype=float))


def influence_scores(
    terms: Sequence[str],
    estimates: np.ndarray,
    influence: np.ndarray,
    weights: np.ndarray,
    cluster: np.ndarray | None,
    *,
    divisor: float = 1.0,
) -> InfluenceScores:
    """Build :class:`InfluenceScores` from observation-level arrays.

    Parameters
    ----------
    terms, estimates
        Term names and estimates (``m``).
    influence
        ``(n, m)`` influence functions with variance ``sum_g (sum_{i in g} psi_i)^2 / divisor^2``
        (:func:`~evalkit.inference.covariance.influence_cov`'s convention).
    weights
        ``(n, m)`` non-negative weight of each observation in each estimand (normalised here
        so that each column sums to one).
    cluster
        Cluster code of each observation, or ``None`` (each observation its own cluster).
    divisor
        As in :func:`~evalkit.inference.covariance.influence_cov` (``n`` for att_gt).
    """
    influence = np.asarray(influence, dtype=float)
    weights = np.asarray(weights, dtype=float)
    codes = np.arange(influence.shape[0]) if cluster is None else np.asarray(cluster)
    scores = cluster_sums(influence, codes) / divisor
    shares = cluster_sums(weights, codes)
    total = shares.sum(axis=0)
    if np.any(total <= 0):
        bad = [t for t, s in zip(terms, total) if s <= 0]
        raise EvalkitError(f"terms {bad} have no treated observation to bootstrap")
    return InfluenceScores(tuple(terms), np.asarray(estimates, dtype=float), scores, shares / total)


@runtime_checkable
class BootstrapScored(Protocol):
    """A result the wild cluster bootstrap accepts: it names its terms and hands out scores."""

    @property
    def params(self) -> object: ...

    def bootstrap_scores(self, terms: Sequence[str]) -> RegressionScores | InfluenceScores: ...
