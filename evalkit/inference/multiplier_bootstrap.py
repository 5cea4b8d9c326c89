"""Multiplier bootstrap of asymptotically linear estimators from their influence functions.

For estimates with influence functions ``psi_i`` (rows of an ``(n, k)`` matrix), one draw
perturbs the estimate by ``(1/n) sum_c V_c S_c`` where ``S_c`` sums ``psi_i`` over the
units of cluster ``c`` (each unit its own cluster by default) and ``V_c`` are i.i.d.
multipliers with mean 0 and variance 1 (Callaway & Sant'Anna 2021, Sec. 4; Kline &
Santos 2012), drawn by :func:`evalkit.inference.weights.draw_weights` (the generator the
wild bootstrap uses too).  As in R's did package:

* the default multipliers are Mammen's two-point weights;
* standard errors are the interquartile range of the draws divided by
  ``qnorm(0.75) - qnorm(0.25)`` (robust to heavy tails);
* the uniform band's critical value is the ``1 - alpha`` quantile of
  ``max_j |draw_j / se_j|`` over the draws (sup-t band).

With clusters, R did bootstraps cluster *means* of the influence function; evalkit uses
cluster *sums* (the usual cluster-robust form), which coincides with R did when all
clusters have the same size.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from evalkit.errors import EvalkitError
from evalkit.inference.clusters import cluster_sums
from evalkit.inference.covariance import SE_FLOOR
from evalkit.inference.rng import RNG, as_generator
from evalkit.inference.weights import WeightType, check_weight_type, draw_weights
from evalkit.progress import Progress
from evalkit.results.base import freeze_arrays

__all__ = ["BootstrapResult", "bootstrap_cov", "bootstrap_draws", "bootstrap_summary", "multiplier_bootstrap"]

#: Number of multipliers generated per block (bounds memory for millions of clusters).
_BLOCK_ELEMENTS = 1 << 22
_IQR_NORMAL = NormalDist().inv_cdf(0.75) - NormalDist().inv_cdf(0.25)


@dataclass(frozen=True)
class BootstrapResult:
    """Standard errors, their covariance and the sup-t critical value from a multiplier bootstrap.

    ``se`` is NaN for estimates whose influence function is (numerically) zero, e.g.
    reference cells fixed at 0.  ``cov`` is :func:`bootstrap_cov` (diagonal ``se**2``).  ``draws`` holds the ``(n_boot, k)``
    perturbations (read-only).
    """

    se: np.ndarray
    cov: np.ndarray
    crit_uniform: float
    draws: np.ndarray
    n_clusters: int
    weight_type: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def bootstrap_draws(
    influence: np.ndarray,
    *,
    n_boot: int,
    rng: RNG,
    cluster: np.ndarray | None = None,
    weight_type: WeightType = "mammen",
) -> np.ndarray:
    """Multiplier-bootstrap perturbations ``(1/n) sum_c V_c S_c``, an ``(n_boot, k)`` array.

    The multipliers are drawn in blocks of clusters (about ``2**22`` multipliers each,
    all draws of a block of clusters), in one fixed order that depends only on ``n_boot``
    and the number of clusters, so the same ``rng`` state gives the same multipliers for
    any influence matrix.  Any linear combination ``psi @ a`` of the columns has the draws
    ``draws @ a`` with the same multipliers; aggregations use this to reuse draws.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise EvalkitError(f"n_boot must be an integer of at least 2, got {n_boot!r}")
    check_weight_type(weight_type)
    gen = as_generator(rng)
    influence = np.asarray(influence, dtype=float)
    if influence.ndim == 1:
        influence = influence[:, None]
    n = influence.shape[0]
    sums = cluster_sums(influence, cluster)
    n_clusters = sums.shape[0]
    block = max(1, _BLOCK_ELEMENTS // n_boot)
    draws = np.zeros((n_boot, sums.shape[1]))
    bar = Progress(n_clusters, "bootstrap clusters")
    for start in range(0, n_clusters, block):
        stop = min(n_clusters, start + block)
        draws += draw_weights(weight_type, n_boot, stop - start, gen) @ sums[start:stop]
        bar.update(stop - start)
    bar.close()
    draws /= n
    return draws


def bootstrap_summary(draws: np.ndarray, *, alpha: float = 0.05, band: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Standard errors (scaled IQR of the draws) and the sup-t critical value over ``band``.

    Standard errors at or below :data:`~evalkit.inference.covariance.SE_FLOOR` (a zero
    influence function) are NaN; the critical value is NaN when no column in ``band`` has
    a standard error.
    """
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    se = (q75 - q25) / _IQR_NORMAL
    se = np.where(se > SE_FLOOR, se, np.nan)
    ok = np.isfinite(se) & (True if band is None else np.asarray(band, dtype=bool))
    if not ok.any():
        return se, float("nan")
    sup_t = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
    return se, float(np.quantile(sup_t, 1 - alpha, method="inverted_cdf"))


def bootstrap_cov(draws: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Covariance consistent with bootstrap standard errors: ``corr(draws) * se se'``.

    The correlations are those of the draws, the scale the robust ``se`` of
    :func:`bootstrap_summary`, so the diagonal is ``se**2`` exactly; rows and columns of
    NaN standard errors are NaN.
    """
    se = np.asarray(se, dtype=float)
    ok = np.isfinite(se)
    cov = np.full((se.size, se.size), np.nan)
    if ok.any():
        sd = draws[:, ok].std(axis=0)
        centred = (draws[:, ok] - draws[:, ok].mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        corr = centred.T @ centred / draws.shape[0]
        np.fill_diagonal(corr, 1.0)
        cov[np.ix_(ok, ok)] = corr * np.outer(se[ok], se[ok])
    return cov


def multiplier_bootstrap(
    influence: np.ndarray,
    *,
    n_boot: int,
    rng: RNG,
    cluster: np.ndarray | None = None,
    alpha: float = 0.05,
    weight_type: WeightType = "mammen",
    band: np.ndarray | None = None,
) -> BootstrapResult:
    """Bootstrap standard errors and a uniform critical value from influence functions.

    Parameters
    ----------
    influence
        ``(n, k)`` influence functions, scaled so that ``sqrt(sum(psi**2)) / n`` is the
        analytic standard error (R did's convention).
    n_boot
        Number of bootstrap draws.
    rng
        Generator or seed (:func:`evalkit.inference.rng.as_generator`); the same seed
        gives the same result.
    cluster
        Integer cluster code per row (``0..C-1``) or ``None`` (each row its own cluster).
    alpha
        One minus the simultaneous coverage of the uniform band.
    weight_type
        ``"mammen"`` (R did's default), ``"rademacher"`` or ``"webb"``.
    band
        Boolean mask of the columns the uniform band covers (default: all), so that
        further columns (e.g. an overall average) share the same draws.
    """
    draws = bootstrap_draws(influence, n_boot=n_boot, rng=rng, cluster=cluster, weight_type=weight_type)
    se, crit = bootstrap_summary(draws, alpha=alpha, band=band)
    cov = bootstrap_cov(draws, se)
    n_clusters = np.shape(influence)[0] if cluster is None else int(np.max(cluster)) + 1
    return BootstrapResult(se=se, cov=cov, crit_uniform=crit, draws=draws, n_clusters=n_clusters, weight_type=weight_type)
