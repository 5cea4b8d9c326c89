"""Power of pre-trend tests and the distortion from pre-testing (Roth 2022, "Pretest with caution").

An event study is often trusted because its pre-period coefficients are insignificant.
Roth (2022) asks how likely that test is to detect a violation of parallel trends that
matters, and what passing it does to the post-period estimates.  For a hypothesised
difference in trends ``delta`` (pre and post periods, the reference period at 0) and
``beta_hat ~ N(tau + delta, Sigma)`` with ``tau_pre = 0``:

* the pre-test passes when ``beta_hat_pre`` lies in the acceptance region ``B``:
  ``test="each"`` (the pretrends R package's test): no pre-period coefficient is
  individually significant, ``|beta_hat_j| <= z_{1-alpha/2} se_j`` for every pre period;
  ``test="wald"``: ``beta_hat_pre' Sigma_pre^{-1} beta_hat_pre <= chi2_{T_pre, 1-alpha}``;
* **power** ``= 1 - P(beta_hat_pre in B)`` under ``delta`` (a box probability of the normal
  for ``"each"``, :func:`evalkit.sensitivity.mvn.box_probability`; the noncentral
  chi-square CDF with noncentrality ``delta_pre' Sigma_pre^{-1} delta_pre`` for ``"wald"``);
* **Bayes factor** ``P(pass | delta) / P(pass | 0)``; **likelihood ratio** of the observed
  ``beta_hat_pre`` under ``delta`` against parallel trends (normal densities);
* **mean after pre-testing**: ``E[beta_hat_pre | pass]`` (the normal truncated to ``B``:
  Tallis's formula for the box, :func:`evalkit.sensitivity.mvn.truncated_mean`; for the
  ellipsoid ``delta_pre F_{T_pre+2}(c; lambda) / F_{T_pre}(c; lambda)``, ``F_k`` the noncentral
  chi-square CDF, from ``E[Z 1{|Z|^2 <= c}] = mu F_{k+2}(c; |mu|^2)`` for ``Z ~ N(mu, I_k)``)
  and, by the regression of ``beta_hat_post`` on ``beta_hat_pre``,
  ``E[beta_hat_post | pass] = tau_post + delta_post + Sigma_post,pre Sigma_pre^{-1}
  (E[beta_hat_pre | pass] - delta_pre)``.  With ``tau = 0`` this is the expected bias of
  the post-period estimates after passing the pre-test (Roth 2022);
* the **slope for power** ``p``: the ``s > 0`` at which the test rejects the linear trend
  ``delta_t = s (t - ref)`` with probability ``p`` (a root of a power function increasing
  in ``s`` by Anderson's theorem, found to ``1e-12`` relative).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.results import EstimationResult, Summary, read_only
from evalkit.results.display import NotebookDisplay, short_repr
from evalkit.sensitivity.inputs import event_study_inputs
from evalkit.sensitivity.mvn import box_probability, truncated_mean

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PretrendPower", "pretrend_power", "pretrend_power_arrays", "slope_for_power"]

PreTest = Literal["each", "wald"]


def _check_test(test: str, alpha: float) -> None:
    if test not in ("each", "wald"):
        raise EvalkitError(f"test must be 'each' (no pre-period coefficient significant) or 'wald', got {test!r}")
    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")


def _pass_probability(delta_pre: np.ndarray, sigma_pre: np.ndarray, test: str, alpha: float) -> float:
    """``P(beta_hat_pre in B)`` for ``beta_hat_pre ~ N(delta_pre, sigma_pre)``."""
    from scipy import stats  # loaded here, not with evalkit.sensitivity

    k = len(delta_pre)
    if test == "wald":
        lam = float(delta_pre @ np.linalg.solve(sigma_pre, delta_pre))
        c = stats.chi2.isf(alpha, k)
        return float(stats.ncx2.cdf(c, k, lam)) if lam > 0 else float(stats.chi2.cdf(c, k))
    bound = stats.norm.isf(alpha / 2) * np.sqrt(np.diag(sigma_pre))
    return box_probability(delta_pre, sigma_pre, -bound, bound)


def _mean_after_pretest(delta_pre: np.ndarray, sigma_pre: np.ndarray, test: str, alpha: float) -> np.ndarray:
    """``E[beta_hat_pre | beta_hat_pre in B]`` for ``beta_hat_pre ~ N(delta_pre, sigma_pre)``."""
    from scipy import stats  # loaded here, not with evalkit.sensitivity

    k = len(delta_pre)
    if test == "wald":
        lam = float(delta_pre @ np.linalg.solve(sigma_pre, delta_pre))
        if lam == 0:
            return np.zeros(k)
        c = stats.chi2.isf(alpha, k)
        return delta_pre * float(stats.ncx2.cdf(c, k + 2, lam) / stats.ncx2.cdf(c, k, lam))
    bound = stats.norm.isf(alpha / 2) * np.sqrt(np.diag(sigma_pre))
    return truncated_mean(delta_pre, sigma_pre, -bound, bound)


def _relative_times(num_pre: int, num_post: int) -> np.ndarray:
    """``t - ref`` of the coefficients: ``-T_pre, ..., -1, 1, ..., T_post``."""
    return np.r_[np.arange(-num_pre, 0), np.arange(1, num_post + 1)].astype(float)


def slope_for_power(sigma_pre: np.ndarray, power: float, *, test: PreTest = "each", alpha: float = 0.05) -> float:
    """Slope ``s > 0`` of the linear trend ``s (t - ref)`` that the pre-test detects with probability ``power``.

    Parameters
    ----------
    sigma_pre
        Covariance of the ``T_pre`` pre-period coefficients (earliest first, the last one
        the period just before the reference).
    power
        Target rejection probability; it must exceed the test's size (its rejection
        probability under parallel trends), else the slope is ``nan``.
    test, alpha
        The pre-test (``"each"`` or ``"wald"``) and its level.
    """
    _check_test(test, alpha)
    if not 0 < power < 1:
        raise EvalkitError(f"power must lie in (0, 1), got {power}")
    sigma_pre = np.atleast_2d(np.asarray(sigma_pre, dtype=float))
    t_pre = np.arange(-len(sigma_pre), 0).astype(float)

    def gap(s: float) -> float:
        return 1.0 - _pass_probability(s * t_pre, sigma_pre, test, alpha) - power

    if gap(0.0) >= 0:
        return float("nan")
    hi = float(np.sqrt(np.diag(sigma_pre)).max())
    while gap(hi) < 0:
        hi *= 2.0
    from scipy import optimize  # loaded only where the root is found

    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-14 * hi, rtol=1e-12))


@dataclass(frozen=True, eq=False, repr=False)
class PretrendPower(NotebookDisplay):
    """Power of the pre-trend test against a hypothesised trend, and what passing it implies.

    Attributes
    ----------
    test, alpha
        The pre-test (``"each"``: no pre-period coefficient significant at ``alpha``;
        ``"wald"``: the joint Wald test) and its level.
    event_times
        Event time of each coefficient (the reference period left out).
    reference
        The reference event time (normalised to 0).
    betahat, std_errors
        The estimates and their standard errors.
    delta
        The hypothesised difference in trends at each event time.
    slope
        Its slope when it is the linear trend ``slope * (t - reference)``, else ``nan``.
    power, size
        Rejection probability of the pre-test under ``delta`` and under parallel trends.
    bayes_factor
        ``P(pass | delta) / P(pass | parallel trends)``: below 1, passing the pre-test is
        evidence for parallel trends against ``delta``.
    likelihood_ratio
        Likelihood of the observed pre-period estimates under ``delta`` against parallel trends.
    mean_after_pretest
        ``E[beta_hat | the pre-test passes]`` under ``delta`` and no effect; for the post
        periods the expected bias of the estimates that survive the pre-test.
    passed
        Whether the observed estimates pass the pre-test.
    slopes
        ``{power: slope}`` for the powers asked (default 50 % and 80 %; a read-only mapping).
    num_pre, num_post
        Numbers of pre- and post-period coefficients.
    """

    test: str
    alpha: float
    event_times: np.ndarray
    reference: int
    betahat: np.ndarray
    std_errors: np.ndarray
    delta: np.ndarray
    slope: float
    power: float
    size: float
    bayes_factor: float
    likelihood_ratio: float
    mean_after_pretest: np.ndarray
    passed: bool
    slopes: Mapping[float, float]
    num_pre: int
    num_post: int
    title = "Power of the pre-trend test (Roth 2022)"

    def __post_init__(self) -> None:
        for name in ("event_times", "betahat", "std_errors", "delta", "mean_after_pretest"):
            object.__setattr__(self, name, read_only(np.asarray(getattr(self, name), dtype=float)))
        object.__setattr__(self, "slopes", MappingProxyType(dict(self.slopes)))

    def slope_for(self, power: float) -> float:
        """The slope detected with probability ``power`` (one of :attr:`slopes`)."""
        if power not in self.slopes:
            raise EvalkitError(f"slope for power {power} was not computed; the result has {sorted(self.slopes)} "
                               f"(pass powers=[..., {power}] to pretrend_power)")
        return self.slopes[power]

    @property
    def bias(self) -> pd.DataFrame:
        """Post periods: ``unconditional`` bias (``delta``) and bias ``after_pretest``, indexed by ``event_time``."""
        post = slice(self.num_pre, None)
        return pd.DataFrame({"unconditional": self.delta[post], "after_pretest": self.mean_after_pretest[post]},
                            index=pd.Index(self.event_times[post].astype(int), name="event_time"))

    def tidy(self) -> pd.DataFrame:
        """One row per event time, the reference included: ``event_time, period, estimate,
        std_error, conf_low, conf_high, delta, mean_after_pretest`` (intervals ``1 - alpha``
        pointwise)."""
        from scipy import stats  # loaded here, not with evalkit.sensitivity

        z = float(stats.norm.isf(self.alpha / 2))
        k = self.num_pre
        times = np.r_[self.event_times[:k], self.reference, self.event_times[k:]]
        est = np.r_[self.betahat[:k], 0.0, self.betahat[k:]]
        se = np.r_[self.std_errors[:k], 0.0, self.std_errors[k:]]
        return pd.DataFrame({
            "event_time": times.astype(int),
            "period": ["pre"] * k + ["reference"] + ["post"] * self.num_post,
            "estimate": est, "std_error": se, "conf_low": est - z * se, "conf_high": est + z * se,
            "delta": np.r_[self.delta[:k], 0.0, self.delta[k:]],
            "mean_after_pretest": np.r_[self.mean_after_pretest[:k], 0.0, self.mean_after_pretest[k:]],
        })

    def _facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "test": self.test, "alpha": self.alpha, "slope": self.slope if np.isfinite(self.slope) else "given delta",
            "power": self.power, "size": self.size, "bayes_factor": self.bayes_factor,
            "likelihood_ratio": self.likelihood_ratio, "passed": self.passed,
        }
        facts.update({f"slope_{100 * p:g}": s for p, s in self.slopes.items()})
        return facts

    def summary(self) -> Summary:
        """The facts and, per event time, the estimate, the hypothesised trend and the mean after pre-testing."""
        table = self.tidy().set_index("event_time")[["estimate", "std_error", "delta", "mean_after_pretest"]]
        notes = ("power: probability that the pre-test rejects under the hypothesised trend delta",
                 "mean_after_pretest: expected estimate given that the pre-test passes, under delta and no effect "
                 "(post periods: the bias that survives the pre-test)",
                 "slope_p: slope of the linear trend the pre-test detects with probability p")
        return Summary(title=self.title, facts=self._facts(), table=table, notes=notes)

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        return short_repr(type(self).__name__, self._facts())

    def plot(self, *, ax: Any = None, title: str | None = None, lang: str = "en") -> "Figure":
        """Estimates with intervals, the hypothesised trend and the mean after pre-testing
        (:func:`evalkit.report.pretrend_plot.plot_pretrend_power`)."""
        from evalkit.report.pretrend_plot import plot_pretrend_power

        return plot_pretrend_power(self.tidy(), alpha=self.alpha, power=self.power, ax=ax, title=title, lang=lang)


def pretrend_power_arrays(
    betahat: np.ndarray | Sequence[float],
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    *,
    slope: float | None = None,
    delta: Sequence[float] | None = None,
    test: PreTest = "each",
    alpha: float = 0.05,
    powers: Sequence[float] = (0.5, 0.8),
    ref: int = -1,
) -> PretrendPower:
    """Power of the pre-trend test against a linear (``slope``) or given (``delta``) trend (Roth 2022).

    Parameters
    ----------
    betahat, sigma, num_pre, num_post
        Event-study estimates (``num_pre`` pre-period coefficients, earliest first, then
        ``num_post`` post-period ones; the reference period left out) and their covariance,
        as :func:`evalkit.sensitivity.honest_did_arrays` takes them.
    slope
        The hypothesised trend ``slope * (t - ref)``.
    delta
        Or any hypothesised trend: one value per coefficient of ``betahat``.  With neither,
        the linear trend the pre-test detects with probability 50 % (as in the pretrends
        package's example).
    test
        ``"each"``: the test rejects when any pre-period coefficient is significant at
        ``alpha`` (the pretrends package); ``"wald"``: the joint Wald test at ``alpha``.
    alpha
        Level of the pre-test (and of the intervals of :meth:`PretrendPower.tidy`).
    powers
        Powers for which the detected slope is reported (:attr:`PretrendPower.slopes`).
    ref
        Event time of the reference period (labels: pre periods ``ref - num_pre`` ...
        ``ref - 1``, post periods ``ref + 1`` ...).
    """
    _check_test(test, alpha)
    num_pre, num_post = int(num_pre), int(num_post)
    if num_pre < 1 or num_post < 0:
        raise DesignError(f"need at least one pre period, got num_pre={num_pre}, num_post={num_post}")
    n = num_pre + num_post
    betahat = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    if betahat.shape != (n,) or sigma.shape != (n, n):
        raise DesignError(f"betahat must have {n} = num_pre + num_post entries and sigma be {n} x {n}; "
                          f"got {betahat.shape} and {sigma.shape}")
    if not (np.isfinite(betahat).all() and np.isfinite(sigma).all()):
        raise DesignError("betahat and sigma must be finite")
    if not np.allclose(sigma, sigma.T, rtol=1e-8, atol=1e-14):
        raise DesignError("sigma must be a symmetric covariance matrix")
    sigma_pre = sigma[:num_pre, :num_pre]
    if np.linalg.eigvalsh(sigma_pre).min() <= 1e-12 * np.abs(sigma_pre).max():
        raise DesignError("the covariance of the pre-period estimates must be positive definite")
    if slope is not None and delta is not None:
        raise EvalkitError("give either slope= (a linear trend) or delta= (a trend per coefficient), not both")
    slopes = {float(p): slope_for_power(sigma_pre, float(p), test=test, alpha=alpha) for p in powers}
    rel = _relative_times(num_pre, num_post)
    if delta is None:
        if slope is None:
            slope = slopes[0.5] if 0.5 in slopes else slope_for_power(sigma_pre, 0.5, test=test, alpha=alpha)
        if not np.isfinite(slope):
            raise DesignError("the pre-test rejects more than half the time under parallel trends; give slope= or delta=")
        trend = float(slope) * rel
    else:
        trend = np.asarray(delta, dtype=float).ravel()
        if trend.shape != (n,) or not np.isfinite(trend).all():
            raise EvalkitError(f"delta must hold {n} finite values, one per coefficient of betahat "
                               f"({num_pre} pre, {num_post} post), got {np.shape(delta)}")
        slope = float("nan")
    d_pre = trend[:num_pre]
    p_pass = _pass_probability(d_pre, sigma_pre, test, alpha)
    p_pass0 = _pass_probability(np.zeros(num_pre), sigma_pre, test, alpha)
    pre_mean = _mean_after_pretest(d_pre, sigma_pre, test, alpha)
    post_mean = trend[num_pre:] + sigma[num_pre:, :num_pre] @ np.linalg.solve(sigma_pre, pre_mean - d_pre)
    from scipy import stats  # loaded here, not with evalkit.sensitivity

    dens = stats.multivariate_normal(np.zeros(num_pre), sigma_pre)
    b_pre = betahat[:num_pre]
    likelihood_ratio = float(np.exp(dens.logpdf(b_pre - d_pre) - dens.logpdf(b_pre)))
    if test == "wald":
        passed = float(b_pre @ np.linalg.solve(sigma_pre, b_pre)) <= stats.chi2.isf(alpha, num_pre)
    else:
        passed = bool((np.abs(b_pre) <= stats.norm.isf(alpha / 2) * np.sqrt(np.diag(sigma_pre))).all())
    return PretrendPower(
        test=test, alpha=alpha, event_times=ref + rel, reference=int(ref), betahat=betahat,
        std_errors=np.sqrt(np.diag(sigma)), delta=trend, slope=float(slope), power=1.0 - p_pass, size=1.0 - p_pass0,
        bayes_factor=p_pass / p_pass0, likelihood_ratio=likelihood_ratio, mean_after_pretest=np.r_[pre_mean, post_mean],
        passed=bool(passed), slopes=slopes, num_pre=num_pre, num_post=num_post,
    )


def pretrend_power(
    result: EstimationResult,
    *,
    slope: float | None = None,
    delta: Sequence[float] | None = None,
    test: PreTest = "each",
    alpha: float = 0.05,
    powers: Sequence[float] = (0.5, 0.8),
    ref: int | None = None,
) -> PretrendPower:
    """:func:`pretrend_power_arrays` on the event-time estimates and covariance of an evalkit result.

    Parameters
    ----------
    result
        An event-study result as :func:`evalkit.sensitivity.honest_did` takes it
        (``event_study``, ``sun_abraham``, ``two_stage_did``, ``att_gt(...).aggregate("dynamic")``);
        its own covariance is used.
    ref
        Reference event time (default: the result's own).
    slope, delta, test, alpha, powers
        As in :func:`pretrend_power_arrays`; ``delta`` has one value per event time other
        than the reference, in event-time order.
    """
    betahat, sigma, num_pre, num_post, ref = event_study_inputs(result, ref)
    return pretrend_power_arrays(betahat, sigma, num_pre, num_post, slope=slope, delta=delta, test=test, alpha=alpha,
                                 powers=powers, ref=ref)
