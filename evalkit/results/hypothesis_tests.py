"""Results of hypothesis tests: one protocol for Wald, bootstrap and randomization tests.

Every test result has

* ``statistic`` and ``p_value`` (floats; NaN for an :class:`InvalidTest`);
* ``conf_int(alpha=None)``: a frame with columns ``lower`` and ``upper``, one row per
  tested term (NaN where the test defines no interval, e.g. a joint Wald test);
* ``tidy()``: one row per tested term with ``term, statistic, p_value, conf_low,
  conf_high`` and the test's own facts;
* ``summary()``: a printable :class:`~evalkit.results.base.Summary`.

Results are immutable: arrays are read-only and the dataclasses are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.results.base import Summary, read_only
from evalkit.results.display import NotebookDisplay, short_repr

__all__ = ["HypothesisTest", "InvalidTest", "RandomizationTest", "WaldTest", "WildBootstrapTest"]


class HypothesisTest(NotebookDisplay):
    """The protocol every test result implements (see the module docstring).

    Subclasses are frozen dataclasses with ``statistic`` and ``p_value``; they provide
    :meth:`_terms`, :meth:`_bounds` and :meth:`_facts`.
    """

    statistic: float
    p_value: float
    title = "Test"

    def _terms(self) -> list[str]:
        return ["statistic"]

    def _bounds(self) -> tuple[float, float]:
        return (float("nan"), float("nan"))

    def _facts(self) -> dict[str, Any]:
        return {}

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """The confidence interval: columns ``lower`` and ``upper`` (NaN when the test has none).

        Intervals by test inversion are computed at the ``alpha`` of the call that made
        the test; asking for another level raises, naming the argument to change.
        """
        self._check_alpha(alpha)
        lo, hi = self._bounds()
        return pd.DataFrame({"lower": [lo], "upper": [hi]}, index=pd.Index(self._terms()[:1], name="term"))

    def _check_alpha(self, alpha: float | None) -> None:
        """Raise when ``alpha`` differs from the level the stored interval was computed at."""
        computed = getattr(self, "alpha", None)  # one minus the coverage of the stored interval
        if alpha is not None and computed is not None and not np.isclose(alpha, computed):
            raise EvalkitError(
                f"this interval was computed at alpha={computed:g}; rerun the test with alpha={alpha:g}"
            )

    def tidy(self) -> pd.DataFrame:
        """One row: ``term, statistic, p_value, conf_low, conf_high`` and the test's facts."""
        lo, hi = self._bounds()
        row: dict[str, Any] = {
            "term": self._terms()[0],
            "statistic": float(self.statistic),
            "p_value": float(self.p_value),
            "conf_low": lo,
            "conf_high": hi,
        }
        row.update({k: v for k, v in self._facts().items() if k not in row})
        return pd.DataFrame([row])

    def summary(self) -> Summary:
        """A printable summary (it does not print by itself)."""
        table = self.tidy().set_index("term")[["statistic", "p_value", "conf_low", "conf_high"]]
        return Summary(title=self.title, facts=self._facts(), table=table, notes=self._notes())

    def _notes(self) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        return short_repr(type(self).__name__, {"statistic": self.statistic, "p_value": self.p_value, **self._facts()})


class TermIntervalTest(HypothesisTest):
    """A test of one named ``term`` whose confidence interval (``interval``, by test
    inversion) is stored on the result; subclasses declare both fields."""

    term: str
    interval: tuple[float, float]

    def _terms(self) -> list[str]:
        return [self.term]

    def _bounds(self) -> tuple[float, float]:
        return (float(self.interval[0]), float(self.interval[1]))


@dataclass(frozen=True, eq=False, repr=False)
class WaldTest(HypothesisTest):
    """Wald test of a joint null ``R b = 0``.

    The reference distribution is chi-squared with ``df_num`` degrees of freedom, or
    ``F(df_num, df_denom)`` when ``df_denom`` is given (the statistic then divided by
    ``df_num``).  A joint test has no confidence interval (``conf_int()`` is NaN).
    """

    statistic: float
    df_num: int
    p_value: float
    null: str
    df_denom: float | None = None
    title = "Wald test"

    def _terms(self) -> list[str]:
        return [self.null]

    def _facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"test": "Wald", "null": self.null, "df_num": self.df_num}
        if self.df_denom is not None:
            facts["df_denom"] = self.df_denom
        return facts

    def __str__(self) -> str:
        dist = f"chi2({self.df_num})" if self.df_denom is None else f"F({self.df_num}, {self.df_denom:g})"
        return f"Wald test ({self.null}): {dist} = {self.statistic:.4f}, p = {self.p_value:.4f}"


@dataclass(frozen=True, eq=False, repr=False)
class InvalidTest(HypothesisTest):
    """A test that could not be computed, and why (never ``None``); statistic and p-value are NaN."""

    reason: str
    title = "Invalid test"

    @property
    def statistic(self) -> float:  # type: ignore[override]
        """NaN: no statistic could be computed."""
        return float("nan")

    @property
    def p_value(self) -> float:  # type: ignore[override]
        """NaN: no p-value could be computed."""
        return float("nan")

    def _terms(self) -> list[str]:
        return ["invalid"]

    def _facts(self) -> dict[str, Any]:
        return {"reason": self.reason}

    def __str__(self) -> str:
        return f"Invalid test: {self.reason}"


@dataclass(frozen=True, eq=False, repr=False)
class WildBootstrapTest(TermIntervalTest):
    """A wild cluster bootstrap test of ``term = null_value`` and its confidence interval.

    Attributes
    ----------
    term, estimate
        The term tested and its estimate.
    null_value
        The hypothesised value ``r``.
    statistic
        t-statistic ``(estimate - r) / se`` with a CR1-style standard error (the CR1
        covariance for regressions; ``G/(G-1)`` times the influence-function variance
        otherwise); the bootstrap refers it to ``draws``.
    p_value
        Symmetric bootstrap p-value: share of draws with ``|t*| >= |t|``.
    interval
        ``(lower, upper)`` by test inversion at level ``1 - alpha`` (without the null
        imposed: the symmetric studentised interval); infinite ends when no value is
        rejected on that side, ``(nan, nan)`` when not computed (``ci=False``).
        ``conf_int()`` returns it as a frame.
    alpha
        One minus the coverage of ``interval``.
    n_boot
        Number of draws used (``2**G`` when enumerated).
    weight_type
        Weight distribution: ``"rademacher"``, ``"webb"`` or ``"mammen"``.
    n_clusters
        Number of clusters ``G``.
    impose_null
        ``True`` for WCR (restricted residuals), ``False`` otherwise.
    enumerated
        Whether all ``2**G`` Rademacher draws were used (exact).
    method
        ``"WCR (null imposed)"``, ``"WCU (null not imposed)"`` or
        ``"influence-function bootstrap-t (null not imposed)"``.
    draws
        The bootstrap t-statistics under ``null_value`` (read-only), one per draw.  Tests
        of several terms from one call share the weight draws, so their ``draws`` are
        aligned row by row (the joint distribution a step-down correction needs).
    draws_key
        Digest of the weight draws and cluster labels: tests with equal keys share their
        draws (:mod:`evalkit.inference.stepdown`); empty when unknown.
    """

    term: str
    estimate: float
    null_value: float
    statistic: float
    p_value: float
    interval: tuple[float, float]
    alpha: float
    n_boot: int
    weight_type: str
    n_clusters: int
    impose_null: bool
    enumerated: bool
    method: str
    draws: np.ndarray = field(repr=False)
    draws_key: str = ""
    title = "Wild cluster bootstrap"

    def __post_init__(self) -> None:
        object.__setattr__(self, "draws", read_only(self.draws))

    def _facts(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "null_value": self.null_value,
            "method": self.method,
            "weight_type": self.weight_type,
            "n_boot": self.n_boot,
            "enumerated": self.enumerated,
            "n_clusters": self.n_clusters,
            "alpha": self.alpha,
        }

    def __str__(self) -> str:
        draws = f"all {self.n_boot} draws enumerated" if self.enumerated else f"{self.n_boot} draws"
        lo, hi = self.interval
        ci = "not computed" if np.isnan(lo) and np.isnan(hi) else f"[{lo:.6g}, {hi:.6g}] (test inversion)"
        return "\n".join(
            [
                f"Wild cluster bootstrap, {self.method}, {self.weight_type} weights, {draws}",
                f"H0: {self.term} = {self.null_value:g}    estimate = {self.estimate:.6g}",
                f"t (CR1) = {self.statistic:.4f}    bootstrap p = {self.p_value:.4f}    "
                f"clusters = {self.n_clusters}",
                f"{100 * (1 - self.alpha):g}% confidence interval: {ci}",
            ]
        )


@dataclass(frozen=True, eq=False, repr=False)
class RandomizationTest(TermIntervalTest):
    """A randomization test over treated units.

    Attributes
    ----------
    statistic
        The statistic under the observed assignment.
    p_value
        Share of assignments whose statistic is at least as extreme (``alternative``).
    distribution
        The statistic under every assignment evaluated (read-only): all ``C(N, N_1)``
        (observed included) when ``exact``, otherwise the random draws.
    n_units, n_treated
        ``N`` units, ``N_1`` of them treated.
    n_possible
        ``C(N, N_1)``, the number of possible assignments.
    exact
        Whether all assignments were enumerated.
    alternative
        ``"two-sided"`` (``|T_a| >= |T|``), ``"greater"`` (``T_a >= T``) or ``"less"``.
    term
        What the statistic is (e.g. the DiD term).
    interval, alpha
        Confidence interval by test inversion under a constant additive effect and the
        ``alpha`` it was computed at; ``(nan, nan)`` and ``None`` when the test cannot
        invert its statistic (:func:`~evalkit.inference.randomization_test` with an
        arbitrary statistic).
    """

    statistic: float
    p_value: float
    distribution: np.ndarray = field(repr=False)
    n_units: int
    n_treated: int
    n_possible: int
    exact: bool
    alternative: str
    term: str = "statistic"
    interval: tuple[float, float] = (float("nan"), float("nan"))
    alpha: float | None = None
    title = "Randomization test"

    def __post_init__(self) -> None:
        object.__setattr__(self, "distribution", read_only(self.distribution))

    def _facts(self) -> dict[str, Any]:
        return {
            "n_units": self.n_units,
            "n_treated": self.n_treated,
            "n_assignments": int(self.distribution.size),
            "n_possible": self.n_possible,
            "exact": self.exact,
            "alternative": self.alternative,
        }

    def __str__(self) -> str:
        how = (
            f"all {self.n_possible} assignments enumerated"
            if self.exact
            else f"{self.distribution.size} random assignments of {self.n_possible}"
        )
        lines = [
            f"Randomization test over treated units ({self.n_treated} of {self.n_units}), {how}",
            f"{self.term} = {self.statistic:.6g}    p = {self.p_value:.4f} ({self.alternative})",
        ]
        lo, hi = self.interval
        if self.alpha is not None and not (np.isnan(lo) and np.isnan(hi)):
            lines.append(f"{100 * (1 - self.alpha):g}% confidence interval: [{lo:.6g}, {hi:.6g}] (test inversion)")
        return "\n".join(lines)
