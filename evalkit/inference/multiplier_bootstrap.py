"""Multiplier bootstrap of asymptotically linear estimators from their influence functions.

For estimates with influence functions ``psi_i`` (rows of an ``(n, k)`` matrix), one draw
perturbs the estimate by ``(1/n) sum_c V_c S_c`` where ``S_c`` sums ``psi_i`` over the
units of cluster ``c`` (each unit its own cluster by default) and ``V_c`` are i.i.d.
multipliers with mean 0 and variance 1 (Callaway & Sant'Anna 2021, Sec. 4; Kline &
Santos 2012).  As in R's did package:

* the default multipliers are Mammen's two-point weights, ``(1 - sqrt 5)/2`` with
  probability ``(sqrt 5 + 1)/(2 sqrt 5)`` and ``(1 + sqrt 5)/2`` otherwise;
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
from typing import Literal

import numpy as np
from scipy import stats

from evalkit.progress import Progress

#: Number of multipliers generated per block (bounds memory for millions of clusters).
_BLOCK_ELEMENTS = 1 << 22
_SQRT5 = np.sqrt(5.0)
_MAMMEN_LOW, _MAMMEN_HIGH = (1 - _SQRT5) / 2, (1 + _SQRT5) / 2
_MAMMEN_P_LOW = (_SQRT5 + 1) / (2 * _SQRT5)
_IQR_NORMAL = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)


@dataclass(frozen=True)
class BootstrapResult:
    """Standard errors and the sup-t critical value from a multiplier bootstrap.

    ``se`` is NaN for estimates whose influence function is (numerically) zero, e.g.
    reference cells fixed at 0.  ``draws`` holds the ``(n_boot, k)`` perturbations.
    """

    se: np.ndarray
    crit_uniform: float
    draws: np.ndarray
    n_clusters: int
    multipliers: str


def cluster_sums(influence: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Sum the rows of ``influence`` within clusters (integer codes ``0..C-1``)."""
    if cluster is None:
        return influence
    n_clusters = int(cluster.max()) + 1
    out = np.zeros((n_clusters, influence.shape[1]))
    np.add.at(out, cluster, influence)
    return out


def bootstrap_draws(
    influence: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    cluster: np.ndarray | None = None,
    multipliers: Literal["mammen", "rademacher"] = "mammen",
) -> np.ndarray:
    """Multiplier-bootstrap perturbations ``(1/n) sum_c V_c S_c``, an ``(n_boot, k)`` array.

    The multipliers are drawn in blocks of clusters (about ``2**22`` multipliers each,
    all draws of a block of clusters), in one fixed order that depends only on ``n_boot``
    and the number of clusters, so the same ``rng`` state gives the same multipliers for
    any influence matrix.  A two-point multiplier is ``V = low + (high - low) B`` with
    ``B`` Bernoulli, so each block costs one product ``B @ S_block`` (the block's cluster
    sums stay in cache) plus a rank-one term.  Any linear combination ``psi @ a`` of the columns has
    the draws ``draws @ a`` with the same multipliers; aggregations use this to reuse draws.
    """
    if n_boot < 2:
        raise ValueError(f"n_boot must be at least 2, got {n_boot}")
    if multipliers not in ("mammen", "rademacher"):
        raise ValueError(f"multipliers must be 'mammen' or 'rademacher', got {multipliers!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(42)")
    influence = np.asarray(influence, dtype=float)
    if influence.ndim == 1:
        influence = influence[:, None]
    n = influence.shape[0]
    sums = cluster_sums(influence, cluster)
    n_clusters = sums.shape[0]
    low, high, p_low = (_MAMMEN_LOW, _MAMMEN_HIGH, _MAMMEN_P_LOW) if multipliers == "mammen" else (-1.0, 1.0, 0.5)
    # blocks of clusters: each block's sums stay in cache while all draws use them
    block = max(1, _BLOCK_ELEMENTS // n_boot)
    uniform = np.empty(n_boot * min(block, n_clusters), dtype=np.float32)
    high_draw = np.empty(n_boot * min(block, n_clusters))
    draws = np.tile(low * sums.sum(axis=0), (n_boot, 1))
    bar = Progress(n_clusters, "bootstrap clusters")
    for start in range(0, n_clusters, block):
        stop = min(n_clusters, start + block)
        size = n_boot * (stop - start)
        u = rng.random(out=uniform[:size].reshape(n_boot, stop - start), dtype=np.float32)
        b = np.greater_equal(u, np.float32(p_low), out=high_draw[:size].reshape(n_boot, stop - start), casting="unsafe")
        draws += (high - low) * (b @ sums[start:stop])
        bar.update(stop - start)
    bar.close()
    draws /= n
    return draws


def bootstrap_summary(
    draws: np.ndarray, *, n: int, alpha: float = 0.05, band: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Standard errors (scaled IQR of the draws) and the sup-t critical value over ``band``.

    Standard errors at or below ``sqrt(eps) * 10 / sqrt(n)`` (a zero influence function)
    are NaN; the critical value is NaN when no column in ``band`` has a standard error.
    """
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    se = (q75 - q25) / _IQR_NORMAL
    tiny = np.sqrt(np.finfo(float).eps) * 10 / np.sqrt(n)
    se = np.where(se > tiny, se, np.nan)
    ok = np.isfinite(se) & (True if band is None else np.asarray(band, dtype=bool))
    if not ok.any():
        return se, float("nan")
    sup_t = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
    return se, float(np.quantile(sup_t, 1 - alpha, method="inverted_cdf"))


def multiplier_bootstrap(
    influence: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    cluster: np.ndarray | None = None,
    alpha: float = 0.05,
    multipliers: Literal["mammen", "rademacher"] = "mammen",
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
        Source of randomness (``numpy.random.default_rng(seed)``); the same seed gives the
        same result.
    cluster
        Integer cluster code per row (``0..C-1``) or ``None`` (each row its own cluster).
    alpha
        One minus the simultaneous coverage of the uniform band.
    multipliers
        ``"mammen"`` (R did's default) or ``"rademacher"``.
    band
        Boolean mask of the columns the uniform band covers (default: all), so that
        further columns (e.g. an overall average) share the same draws.
    """
    draws = bootstrap_draws(influence, n_boot=n_boot, rng=rng, cluster=cluster, multipliers=multipliers)
    n = np.shape(influence)[0]
    se, crit = bootstrap_summary(draws, n=n, alpha=alpha, band=band)
    n_clusters = n if cluster is None else int(cluster.max()) + 1
    return BootstrapResult(se=se, crit_uniform=crit, draws=draws, n_clusters=n_clusters, multipliers=multipliers)
