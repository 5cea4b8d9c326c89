"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan & Roth 2023).

:func:`honest_did` takes an event-study result of evalkit (TWFE, Sun & Abraham, two-stage,
or a dynamic Callaway & Sant'Anna aggregation), :func:`honest_did_arrays` raw estimates
``betahat`` (pre periods, then post periods, the reference period left out) and their
covariance ``sigma``.  For each bound ``M`` on the violation of parallel trends they return a
confidence interval for ``theta = l'tau_post`` that is valid whenever the differential
trend lies in the restriction (see :mod:`evalkit.sensitivity.restrictions`):

* ``"relative_magnitudes"`` (``Delta^RM(Mbar)``): confidence sets by the conditional
  least-favorable hybrid test (``"C-LF"``, default) or the conditional test, inverted over a
  grid of ``theta`` (Andrews, Roth & Pakes 2023; :mod:`evalkit.sensitivity.arp`);
* ``"smoothness"`` (``Delta^SD(M)``): the optimal fixed-length interval (``"FLCI"``,
  default; :mod:`evalkit.sensitivity.flci`) or the conditional / C-LF tests.

The defaults are those of the HonestDiD R package.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import DesignError, EvalkitWarning
from evalkit.inference.rng import RNG, as_generator
from evalkit.results import EstimationResult, HypothesisTest, Summary, read_only
from evalkit.sensitivity.arp import conditional_accept
from evalkit.sensitivity.flci import optimal_flci
from evalkit.sensitivity.inputs import event_study_inputs
from evalkit.sensitivity.restrictions import (
    relative_magnitude_polyhedra,
    second_differences,
    smoothness_polyhedron,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SensitivityResult", "honest_did", "honest_did_arrays"]

Restriction = Literal["relative_magnitudes", "smoothness"]
CIMethod = Literal["C-LF", "conditional", "FLCI"]
Target = Literal["first", "average"]
_DEFAULT_CI = {"relative_magnitudes": "C-LF", "smoothness": "FLCI"}


@dataclass(frozen=True, eq=False, repr=False)
class SensitivityResult(HypothesisTest):
    """Robust confidence intervals for ``theta = l'tau_post`` over a grid of bounds ``M``.

    It follows the test protocol of :mod:`evalkit.results.hypothesis_tests`:
    ``statistic`` and ``p_value`` are those of the usual z test of ``theta = 0`` under exact
    parallel trends (the test behind ``original``); ``conf_int()`` holds the robust
    intervals, one row per bound; ``tidy()`` one row per bound with
    ``m_bar`` (relative magnitudes) or ``m`` (smoothness), ``conf_low, conf_high, method,
    ci_method, open_end``; ``summary()`` a printable :class:`~evalkit.results.Summary`.
    The result is immutable: a frozen dataclass whose arrays are read-only copies.

    Attributes
    ----------
    method, ci_method
        Restriction (``"relative_magnitudes"`` / ``"smoothness"``) and interval construction.
    m
        The bounds (``Mbar`` for relative magnitudes, ``M`` for smoothness), ascending.
    lower, upper
        Robust interval for each bound (NaN when the confidence set is empty).
    estimate, std_error
        ``l'beta_hat_post`` and its standard error ``sqrt(l' Sigma_post l)``.
    original
        ``(lower, upper)`` of the usual interval ``estimate -+ z std_error`` that assumes
        exact parallel trends.
    l_vec, num_pre, num_post, alpha
        Target weights, numbers of pre and post periods, one minus the coverage.
    open_ends
        Bounds ``M`` whose confidence set reached the edge of the ``theta`` grid (the
        interval may be longer than reported).
    """

    method: str
    ci_method: str
    m: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    estimate: float
    std_error: float
    original: tuple[float, float]
    l_vec: np.ndarray
    num_pre: int
    num_post: int
    alpha: float
    open_ends: tuple[float, ...] = field(default=())
    title = "Sensitivity to violations of parallel trends (Rambachan & Roth 2023)"

    def __post_init__(self) -> None:
        for name in ("m", "lower", "upper", "l_vec"):
            object.__setattr__(self, name, read_only(np.asarray(getattr(self, name), dtype=float)))
        object.__setattr__(self, "original", (float(self.original[0]), float(self.original[1])))
        object.__setattr__(self, "open_ends", tuple(float(v) for v in self.open_ends))

    @property
    def statistic(self) -> float:  # type: ignore[override]
        """``estimate / std_error``: the z statistic of ``theta = 0`` under exact parallel trends."""
        return self.estimate / self.std_error if self.std_error > 0 else float("nan")

    @property
    def p_value(self) -> float:  # type: ignore[override]
        """Two-sided normal p-value of :attr:`statistic` (exact parallel trends, no robustness)."""
        return float(2 * stats.norm.sf(abs(self.statistic)))

    @property
    def _bound_name(self) -> str:
        return "m_bar" if self.method == "relative_magnitudes" else "m"

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Robust intervals: columns ``lower`` and ``upper``, indexed by the bound (``m_bar`` or ``m``).

        The intervals are computed at the ``alpha`` of the call; another level raises.
        The interval under exact parallel trends is :attr:`original`.
        """
        self._check_alpha(alpha)
        return pd.DataFrame({"lower": self.lower, "upper": self.upper},
                            index=pd.Index(self.m, name=self._bound_name))

    def tidy(self) -> pd.DataFrame:
        """One row per bound: ``m_bar`` (or ``m``), ``conf_low, conf_high, method, ci_method, open_end``."""
        return pd.DataFrame({
            self._bound_name: self.m.astype(float), "conf_low": self.lower.astype(float),
            "conf_high": self.upper.astype(float), "method": self.method, "ci_method": self.ci_method,
            "open_end": np.isin(self.m, self.open_ends),
        })

    def _facts(self) -> dict[str, Any]:
        lo, hi = self.original
        return {
            "method": self.method, "ci_method": self.ci_method, "estimate": self.estimate,
            "std_error": self.std_error, "original": f"[{lo:.6g}, {hi:.6g}]", "alpha": self.alpha,
            "num_pre": self.num_pre, "num_post": self.num_post, "breakdown": self.breakdown(),
        }

    def summary(self) -> Summary:
        """A printable summary: the facts and the robust interval per bound (it does not print by itself)."""
        table = self.tidy().set_index(self._bound_name)[["conf_low", "conf_high", "open_end"]]
        notes = (f"original: the {100 * (1 - self.alpha):g}% interval under exact parallel trends",
                 "breakdown: the smallest bound on the grid whose interval covers 0")
        return Summary(title=self.title, facts=self._facts(), table=table, notes=notes)

    def __str__(self) -> str:
        return str(self.summary())

    def breakdown(self, null: float = 0.0) -> float:
        """Smallest bound on the grid whose robust interval contains ``null`` (``inf`` if none).

        It reads as: the conclusion ``theta != null`` survives every bound below it on the
        grid.  A finer grid gives a sharper value.
        """
        covers = (self.lower <= null) & (null <= self.upper)
        return float(self.m[covers].min()) if covers.any() else float("inf")

    def plot(self, *, ax: Any = None, title: str | None = None, lang: str = "en") -> "Figure":
        """Robust intervals against the bound, the original interval at its own labelled
        position (:func:`evalkit.report.sensitivity_plot.plot_sensitivity`)."""
        from evalkit.report.sensitivity_plot import plot_sensitivity

        return plot_sensitivity(self.m, self.lower, self.upper, self.original, alpha=self.alpha,
                                method=self.method, ci_method=self.ci_method,
                                open_end=np.isin(self.m, self.open_ends), title=title, ax=ax, lang=lang)


def _target_vector(target: Target | Sequence[float], num_post: int) -> np.ndarray:
    if isinstance(target, str):
        if target == "first":
            return np.eye(num_post)[0]
        if target == "average":
            return np.full(num_post, 1.0 / num_post)
        raise ValueError(f"target must be 'first', 'average' or a weight vector, got {target!r}")
    l_vec = np.asarray(target, dtype=float)
    if l_vec.shape != (num_post,) or not np.isfinite(l_vec).all() or not l_vec.any():
        raise ValueError(f"target weights must be {num_post} finite numbers, not all zero; got {list(target)}")
    return l_vec


def _default_grid(method: str, betahat: np.ndarray, sigma: np.ndarray, num_pre: int, alpha: float) -> np.ndarray:
    """RM: ``0, 0.5, ..., 2``; SD: 5 points up to an upper confidence bound of the largest
    pre-period second difference (the reference period included)."""
    if method == "relative_magnitudes":
        return np.arange(0.0, 2.01, 0.5)
    # second differences of (beta_pre, 0); with one pre period, its slope into the reference
    D = second_differences(num_pre, 1)[: num_pre - 1, :num_pre] if num_pre >= 2 else np.eye(1)
    sd = np.sqrt(np.diag(D @ sigma[:num_pre, :num_pre] @ D.T))
    vals = D @ betahat[:num_pre]
    upper = float(np.max(np.abs(vals) + stats.norm.isf(alpha) * sd))
    return np.linspace(0.0, upper, 5)


def _theta_grid(betahat: np.ndarray, sigma: np.ndarray, num_pre: int,
                l_vec: np.ndarray, method: str, m: float, n_points: int) -> np.ndarray:
    """Grid of ``theta``: the R package's grid for RM; for SD the FLCI at ``m`` widened by 20 sd."""
    post = slice(num_pre, None)
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    center = float(l_vec @ betahat[post])
    if method == "relative_magnitudes":
        max_pre = float(np.abs(np.diff(np.r_[betahat[:num_pre], 0.0])).max())
        half = m * float(np.arange(1, len(l_vec) + 1) @ np.abs(l_vec)) * max_pre + 20 * sd_theta
        return np.linspace(center - half, center + half, n_points)
    f = optimal_flci(betahat, sigma, num_pre, l_vec, m, alpha=0.05)
    return np.linspace(f.lower - 20 * sd_theta, f.upper + 20 * sd_theta, n_points)


def honest_did_arrays(
    betahat: np.ndarray | Sequence[float],
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    *,
    method: Restriction = "relative_magnitudes",
    m: Sequence[float] | None = None,
    target: Target | Sequence[float] = "first",
    alpha: float = 0.05,
    ci_method: CIMethod | None = None,
    grid_points: int = 1000,
    n_sims: int = 1000,
    rng: RNG = None,
) -> SensitivityResult:
    """Robust confidence intervals under bounded violations of parallel trends (Rambachan & Roth 2023).

    Parameters
    ----------
    betahat
        Event-study estimates: ``num_pre`` pre-period coefficients (earliest first), then
        ``num_post`` post-period coefficients; the reference period (normalised to 0) lies
        between them and is left out.
    sigma
        Covariance of ``betahat``.
    num_pre, num_post
        Numbers of pre- and post-period coefficients.
    method
        ``"relative_magnitudes"``: post-period changes in the differential trend at most
        ``Mbar`` times the largest pre-period change.  ``"smoothness"``: the slope of the
        differential trend changes by at most ``M`` per period.
    m
        Grid of ``Mbar`` / ``M`` (default ``0, 0.5, 1, 1.5, 2`` for relative magnitudes; five
        points up to an upper confidence bound of the largest pre-period second difference
        for smoothness).
    target
        ``"first"`` (first post period), ``"average"`` (mean of the post periods) or weights
        ``l`` of length ``num_post``.
    alpha
        One minus the coverage.
    ci_method
        ``"C-LF"`` (conditional least-favorable hybrid, default for relative magnitudes),
        ``"conditional"`` (ARP conditional test) or ``"FLCI"`` (smoothness only; its default).
    grid_points
        Points of the ``theta`` grid over which the tests are inverted (C-LF, conditional);
        the interval ends are exact to one grid step.
    n_sims, rng
        Draws for the least-favorable critical value; ``rng`` is a
        ``numpy.random.Generator`` or an int seed (:func:`evalkit.inference.rng.as_generator`;
        ``None``: the default seed, so results are reproducible).

    Raises
    ------
    DesignError
        Fewer than one pre or post period, ``sigma`` of the wrong shape or not symmetric
        positive semi-definite, or ``"FLCI"`` asked for relative magnitudes (its set is not
        convex).
    """
    if method not in ("relative_magnitudes", "smoothness"):
        raise ValueError(f"method must be 'relative_magnitudes' or 'smoothness', got {method!r}")
    ci_method = ci_method or _DEFAULT_CI[method]
    if ci_method not in ("C-LF", "conditional", "FLCI"):
        raise ValueError(f"ci_method must be 'C-LF', 'conditional' or 'FLCI', got {ci_method!r}")
    if ci_method == "FLCI" and method == "relative_magnitudes":
        raise DesignError("the FLCI is not valid under relative magnitudes (a non-convex set); use 'C-LF' or 'conditional'")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    num_pre, num_post = int(num_pre), int(num_post)
    if num_pre < 1 or num_post < 1:
        raise DesignError(f"need at least one pre and one post period, got num_pre={num_pre}, num_post={num_post}")
    betahat = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    n = num_pre + num_post
    if betahat.shape != (n,) or sigma.shape != (n, n):
        raise DesignError(f"betahat must have {n} = num_pre + num_post entries and sigma be {n} x {n}; "
                          f"got {betahat.shape} and {sigma.shape}")
    if not (np.isfinite(betahat).all() and np.isfinite(sigma).all()):
        raise DesignError("betahat and sigma must be finite")
    if not np.allclose(sigma, sigma.T, rtol=1e-8, atol=1e-14) or np.linalg.eigvalsh(sigma).min() < -1e-10 * np.abs(sigma).max():
        raise DesignError("sigma must be a symmetric positive semi-definite covariance matrix")
    l_vec = _target_vector(target, num_post)
    grid_m = _default_grid(method, betahat, sigma, num_pre, alpha) if m is None else np.asarray(m, dtype=float)
    if grid_m.ndim != 1 or not len(grid_m) or (grid_m < 0).any() or not np.isfinite(grid_m).all():
        raise ValueError(f"m must be a non-empty sequence of non-negative numbers, got {m!r}")
    grid_m = np.sort(grid_m)
    rng = as_generator(rng)

    post = slice(num_pre, None)
    estimate = float(l_vec @ betahat[post])
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    z = float(stats.norm.isf(alpha / 2))
    lower, upper, open_ends = [], [], []
    for mm in grid_m:
        if ci_method == "FLCI":
            f = optimal_flci(betahat, sigma, num_pre, l_vec, float(mm), alpha=alpha)
            lower.append(f.lower)
            upper.append(f.upper)
            continue
        pieces = (relative_magnitude_polyhedra(num_pre, num_post, mm) if method == "relative_magnitudes"
                  else [smoothness_polyhedron(num_pre, num_post, mm)])
        grid = _theta_grid(betahat, sigma, num_pre, l_vec, method, float(mm), grid_points)
        accept = conditional_accept(pieces, betahat, sigma, num_pre, l_vec, grid, alpha=alpha,
                                    hybrid=ci_method == "C-LF", n_sims=n_sims, rng=rng)
        if not accept.any():
            lower.append(np.nan)
            upper.append(np.nan)
            continue
        if accept[0] or accept[-1]:
            open_ends.append(float(mm))
        lower.append(float(grid[accept].min()))
        upper.append(float(grid[accept].max()))
    if open_ends:
        warnings.warn(f"the confidence set reaches the edge of the theta grid for m = {open_ends}; "
                      "the interval may be longer than reported", EvalkitWarning, stacklevel=2)
    return SensitivityResult(
        method=method, ci_method=ci_method, m=grid_m, lower=np.array(lower), upper=np.array(upper),
        estimate=estimate, std_error=sd_theta, original=(estimate - z * sd_theta, estimate + z * sd_theta), l_vec=l_vec,
        num_pre=num_pre, num_post=num_post, alpha=alpha, open_ends=tuple(open_ends),
    )


def honest_did(
    result: EstimationResult,
    *,
    method: Restriction = "relative_magnitudes",
    m: Sequence[float] | None = None,
    target: Target | Sequence[float] = "first",
    alpha: float = 0.05,
    ci_method: CIMethod | None = None,
    ref: int | None = None,
    grid_points: int = 1000,
    n_sims: int = 1000,
    rng: RNG = None,
) -> SensitivityResult:
    """:func:`honest_did_arrays` on the event-time estimates and covariance of an evalkit result.

    Parameters
    ----------
    result
        An :class:`~evalkit.estimators.event_study.EventStudyResult` (``event_study``,
        ``sun_abraham``, ``imputation_did``, ``two_stage_did``) or ``att_gt(...).aggregate("dynamic")``.
        The result's own estimates and covariance are used (``result.cov``: clustered when
        the result is).  For a dynamic aggregation the reference is event time
        ``-1 - anticipation``: with ``base_period="universal"`` that estimate is 0 by
        construction and is left out; with ``"varying"`` it is left out as HonestDiD's
        wrapper for R did does, with a warning (prefer a universal base period).  Pre
        periods are the event times before the reference, post periods those after it;
        both must be consecutive.
    ref
        Reference event time (default: the result's own).
    method, m, target, alpha, ci_method, grid_points, n_sims, rng
        As in :func:`honest_did_arrays`.
    """
    betahat, sigma, num_pre, num_post, _ = event_study_inputs(result, ref)
    return honest_did_arrays(betahat, sigma, num_pre, num_post, method=method, m=m, target=target, alpha=alpha,
                             ci_method=ci_method, grid_points=grid_points, n_sims=n_sims, rng=rng)
