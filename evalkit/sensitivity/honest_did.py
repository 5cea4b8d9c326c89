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
  default; :mod:`evalkit.sensitivity.flci`) or the conditional / C-LF tests;
* ``"smoothness_relative_magnitudes"`` (``Delta^SDRM(Mbar)``): C-LF (default) or conditional;
* any of the three intersected with a sign restriction (``bias="positive"`` /
  ``"negative"``: ``Delta^SDB``, ``Delta^RMB``, ``Delta^SDRMB``) or a monotonicity
  restriction (``monotonicity="increasing"`` / ``"decreasing"``: ``Delta^SDM``,
  ``Delta^RMM``, ``Delta^SDRMM``); under smoothness the default is then the FLCI hybrid
  ``"C-F"``, otherwise C-LF.

The defaults are those of the HonestDiD R package.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError, EvalkitWarning
from evalkit.inference.rng import RNG, as_generator
from evalkit.results import EstimationResult, HypothesisTest, Summary, read_only
from evalkit.results.distributions import survival, upper_quantile
from evalkit.sensitivity.arp import conditional_accept
from evalkit.sensitivity.flci import optimal_flci
from evalkit.sensitivity.inputs import event_study_inputs
from evalkit.sensitivity.restrictions import (
    RESTRICTIONS,
    Bias,
    Monotonicity,
    Restriction,
    restriction_pieces,
    second_differences,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SensitivityResult", "honest_did", "honest_did_arrays"]

CIMethod = Literal["C-LF", "C-F", "conditional", "FLCI"]
Target = Literal["first", "average"]
_CI_METHODS = ("C-LF", "C-F", "conditional", "FLCI")
_SHORT = {"relative_magnitudes": "RM", "smoothness": "SD", "smoothness_relative_magnitudes": "SDRM"}


def _default_ci(method: str, shaped: bool) -> str:
    """The R package's default: FLCI under SD, C-F under SD with a sign or monotonicity
    restriction, C-LF otherwise."""
    if method == "smoothness":
        return "C-F" if shaped else "FLCI"
    return "C-LF"


def restriction_name(method: str, bias: str | None = None, monotonicity: str | None = None) -> str:
    """The R package's name of the restriction: ``DeltaSD``, ``DeltaRMPB``, ``DeltaSDI``, ``DeltaSDRMD``, ..."""
    suffix = ""
    if bias is not None:
        suffix = "PB" if bias == "positive" else "NB"
    elif monotonicity is not None:
        suffix = "I" if monotonicity == "increasing" else "D"
    return f"Delta{_SHORT[method]}{suffix}"


@dataclass(frozen=True, eq=False, repr=False)
class SensitivityResult(HypothesisTest):
    """Robust confidence intervals for ``theta = l'tau_post`` over a grid of bounds ``M``.

    It follows the test protocol of :mod:`evalkit.results.hypothesis_tests`:
    ``statistic`` and ``p_value`` are those of the usual z test of ``theta = 0`` under exact
    parallel trends (the test behind ``original``); ``conf_int()`` holds the robust
    intervals, one row per bound; ``tidy()`` one row per bound with
    ``m_bar`` (relative magnitudes, also with smoothness) or ``m`` (smoothness), ``conf_low,
    conf_high, method, ci_method, open_end, restriction``; ``summary()`` a printable :class:`~evalkit.results.Summary`.
    The result is immutable: a frozen dataclass whose arrays are read-only copies.

    Attributes
    ----------
    method, ci_method
        Restriction (``"relative_magnitudes"``, ``"smoothness"``,
        ``"smoothness_relative_magnitudes"``) and interval construction.
    bias, monotonicity
        The sign (``"positive"``/``"negative"``) or monotonicity (``"increasing"``/
        ``"decreasing"``) restriction intersected with it, or None.
    m
        The bounds (``Mbar`` for relative magnitudes and for smoothness with relative
        magnitudes, ``M`` for smoothness), ascending.
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
    bias: str | None = None
    monotonicity: str | None = None
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
        return float(2 * survival(abs(self.statistic)))

    @property
    def restriction(self) -> str:
        """The R package's name of the restriction (``DeltaRM``, ``DeltaSDPB``, ``DeltaRMI``, ``DeltaSDRM``, ...)."""
        return restriction_name(self.method, self.bias, self.monotonicity)

    @property
    def _bound_name(self) -> str:
        return "m" if self.method == "smoothness" else "m_bar"

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Robust intervals: columns ``lower`` and ``upper``, indexed by the bound (``m_bar`` or ``m``).

        The intervals are computed at the ``alpha`` of the call; another level raises.
        The interval under exact parallel trends is :attr:`original`.
        """
        self._check_alpha(alpha)
        return pd.DataFrame({"lower": self.lower, "upper": self.upper},
                            index=pd.Index(self.m, name=self._bound_name))

    def tidy(self) -> pd.DataFrame:
        """One row per bound: ``m_bar`` (or ``m``), ``conf_low, conf_high, method, ci_method, open_end, restriction``."""
        return pd.DataFrame({
            self._bound_name: self.m.astype(float), "conf_low": self.lower.astype(float),
            "conf_high": self.upper.astype(float), "method": self.method, "ci_method": self.ci_method,
            "open_end": np.isin(self.m, self.open_ends), "restriction": self.restriction,
        })

    def _facts(self) -> dict[str, Any]:
        lo, hi = self.original
        return {
            "method": self.method, "restriction": self.restriction, "ci_method": self.ci_method,
            "estimate": self.estimate,
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
    """RM and SDRM: ``0, 0.5, ..., 2``; SD: 5 points up to an upper confidence bound of the
    largest pre-period second difference (the reference period included)."""
    if method != "smoothness":
        return np.arange(0.0, 2.01, 0.5)
    # second differences of (beta_pre, 0); with one pre period, its slope into the reference
    D = second_differences(num_pre, 1)[: num_pre - 1, :num_pre] if num_pre >= 2 else np.eye(1)
    sd = np.sqrt(np.diag(D @ sigma[:num_pre, :num_pre] @ D.T))
    vals = D @ betahat[:num_pre]
    upper = float(np.max(np.abs(vals) + upper_quantile(alpha) * sd))
    return np.linspace(0.0, upper, 5)


def _theta_grid(betahat: np.ndarray, sigma: np.ndarray, num_pre: int,
                l_vec: np.ndarray, method: str, m: float, n_points: int,
                theta_range: tuple[float, float] | None = None) -> np.ndarray:
    """Grid of ``theta`` containing the identified set at ``betahat`` widened by 20 sd: for RM
    (the R package's grid) ``l'beta_post +- (Mbar sum_t t |l_t| max |pre first difference| + 20 sd)``;
    for SDRM the linear extrapolation of the last pre period ``+- (Mbar sum_t |l_t| t (t + 1) / 2
    max |pre second difference| + 20 sd)``; for SD the FLCI at ``m`` widened by 20 sd.  Sign and
    monotonicity restrictions only shrink these sets.  ``theta_range`` replaces the ends."""
    if theta_range is not None:
        return np.linspace(theta_range[0], theta_range[1], n_points)
    post = slice(num_pre, None)
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    center = float(l_vec @ betahat[post])
    t = np.arange(1, len(l_vec) + 1, dtype=float)
    if method == "relative_magnitudes":
        max_pre = float(np.abs(np.diff(np.r_[betahat[:num_pre], 0.0])).max())
        half = m * float(t @ np.abs(l_vec)) * max_pre + 20 * sd_theta
        return np.linspace(center - half, center + half, n_points)
    if method == "smoothness_relative_magnitudes":
        max_pre = float(np.abs(np.diff(np.r_[betahat[:num_pre], 0.0], n=2)).max())
        center += float(betahat[num_pre - 1] * (t @ l_vec))  # theta = l'(beta_post - delta_post), delta_t = -t beta_{-1}
        half = m * float((t * (t + 1) / 2) @ np.abs(l_vec)) * max_pre + 20 * sd_theta
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
    bias: Bias | None = None,
    monotonicity: Monotonicity | None = None,
    grid_points: int = 1000,
    theta_range: tuple[float, float] | None = None,
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
        ``"smoothness_relative_magnitudes"``: post-period changes in the slope at most
        ``Mbar`` times the largest pre-period change in the slope (needs two pre periods).
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
        ``"C-LF"`` (conditional least-favorable hybrid, default for relative magnitudes and
        for smoothness with relative magnitudes), ``"conditional"`` (ARP conditional test),
        ``"FLCI"`` (smoothness without sign or monotonicity restriction only; its default) or
        ``"C-F"`` (conditional FLCI hybrid, smoothness only; the default with ``bias`` or
        ``monotonicity``).
    bias
        ``"positive"`` / ``"negative"``: the post-period differential trend is known to be
        non-negative / non-positive (``Delta^SDB``, ``Delta^RMB``, ``Delta^SDRMB``).
    monotonicity
        ``"increasing"`` / ``"decreasing"``: the differential trend is monotone over all
        periods (``Delta^SDM``, ``Delta^RMM``, ``Delta^SDRMM``).  Not together with ``bias``.
    grid_points
        Points of the ``theta`` grid over which the tests are inverted (C-LF, conditional,
        C-F); the interval ends are exact to one grid step.
    theta_range
        ``(lower, upper)`` ends of that grid, the same for every bound (the R package's
        ``grid.lb`` / ``grid.ub``).  Default: a range that contains the identified set
        widened by 20 standard errors (C-LF, conditional) or the FLCI of level
        ``alpha / 10`` (C-F, which rejects everything outside it).  Widen it when the
        result warns that a confidence set reaches its edge.
    n_sims, rng
        Draws for the least-favorable critical value; ``rng`` is a
        ``numpy.random.Generator`` or an int seed (:func:`evalkit.inference.rng.as_generator`;
        ``None``: the default seed, so results are reproducible).

    Raises
    ------
    DesignError
        Fewer than one pre or post period, ``sigma`` of the wrong shape or not symmetric
        positive semi-definite, ``"FLCI"`` asked for relative magnitudes (its set is not
        convex) or with a sign or monotonicity restriction (it would ignore it; use
        ``"C-F"``), ``"C-F"`` asked outside smoothness.
    """
    if method not in RESTRICTIONS:
        raise EvalkitError(f"method must be one of {list(RESTRICTIONS)}, got {method!r}")
    shaped = bias is not None or monotonicity is not None
    ci_method = ci_method or _default_ci(method, shaped)
    if ci_method not in _CI_METHODS:
        raise EvalkitError(f"ci_method must be one of {list(_CI_METHODS)}, got {ci_method!r}")
    if ci_method == "FLCI" and method != "smoothness":
        raise DesignError(f"the FLCI is not valid under {method} (a non-convex set); use 'C-LF' or 'conditional'")
    if ci_method == "FLCI" and shaped:
        raise DesignError("the FLCI ignores sign and monotonicity restrictions; use ci_method='C-F' (the FLCI hybrid)")
    if ci_method == "C-F" and method != "smoothness":
        raise DesignError(f"ci_method='C-F' (the FLCI hybrid) exists under smoothness only, not {method}; use 'C-LF'")
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
    if theta_range is not None:
        ends = np.asarray(theta_range, dtype=float)
        if ends.shape != (2,) or not np.isfinite(ends).all() or not ends[0] < ends[1]:
            raise EvalkitError(f"theta_range must be two finite numbers (lower, upper) with lower < upper, "
                               f"got {theta_range!r}")
        theta_range = (float(ends[0]), float(ends[1]))
    rng = as_generator(rng)

    post = slice(num_pre, None)
    estimate = float(l_vec @ betahat[post])
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    z = float(upper_quantile(alpha / 2))
    lower, upper, open_ends = [], [], []
    for mm in grid_m:
        if ci_method == "FLCI":
            f = optimal_flci(betahat, sigma, num_pre, l_vec, float(mm), alpha=alpha)
            lower.append(f.lower)
            upper.append(f.upper)
            continue
        pieces = restriction_pieces(method, num_pre, num_post, float(mm), bias=bias, monotonicity=monotonicity)
        flci = None
        if ci_method == "C-F":  # the first stage: the FLCI of level kappa = alpha / 10; its range is the grid
            flci = optimal_flci(betahat, sigma, num_pre, l_vec, float(mm), alpha=alpha / 10)
            ends = (flci.lower, flci.upper) if theta_range is None else theta_range
            grid = np.linspace(ends[0], ends[1], grid_points)
        else:
            grid = _theta_grid(betahat, sigma, num_pre, l_vec, method, float(mm), grid_points, theta_range)
        # the R package drops the moments without a post-period coefficient, except under
        # smoothness with one post period (computeConditionalCS_DeltaSD / SDB / SDM)
        accept = conditional_accept(pieces, betahat, sigma, num_pre, l_vec, grid, alpha=alpha,
                                    hybrid=ci_method == "C-LF", n_sims=n_sims, rng=rng, flci=flci,
                                    post_moments_only=num_post > 1 or method != "smoothness")
        if not accept.any():
            lower.append(np.nan)
            upper.append(np.nan)
            continue
        if (flci is None or theta_range is not None) and (accept[0] or accept[-1]):
            open_ends.append(float(mm))
        lower.append(float(grid[accept].min()))
        upper.append(float(grid[accept].max()))
    if open_ends:
        warnings.warn(f"the confidence set reaches the edge of the theta grid for m = {open_ends}; "
                      "the interval may be longer than reported", EvalkitWarning, stacklevel=2)
    return SensitivityResult(
        method=method, ci_method=ci_method, m=grid_m, lower=np.array(lower), upper=np.array(upper),
        estimate=estimate, std_error=sd_theta, original=(estimate - z * sd_theta, estimate + z * sd_theta), l_vec=l_vec,
        num_pre=num_pre, num_post=num_post, alpha=alpha, open_ends=tuple(open_ends), bias=bias,
        monotonicity=monotonicity,
    )


def honest_did(
    result: EstimationResult,
    *,
    method: Restriction = "relative_magnitudes",
    m: Sequence[float] | None = None,
    target: Target | Sequence[float] = "first",
    alpha: float = 0.05,
    ci_method: CIMethod | None = None,
    bias: Bias | None = None,
    monotonicity: Monotonicity | None = None,
    ref: int | None = None,
    grid_points: int = 1000,
    theta_range: tuple[float, float] | None = None,
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
    method, m, target, alpha, ci_method, bias, monotonicity, grid_points, theta_range, n_sims, rng
        As in :func:`honest_did_arrays`.
    """
    betahat, sigma, num_pre, num_post, _ = event_study_inputs(result, ref)
    return honest_did_arrays(betahat, sigma, num_pre, num_post, method=method, m=m, target=target, alpha=alpha,
                             ci_method=ci_method, bias=bias, monotonicity=monotonicity, grid_points=grid_points,
                             theta_range=theta_range, n_sims=n_sims, rng=rng)
