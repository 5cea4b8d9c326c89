"""Result of a randomization test over rollout schedules (which units start in which wave).

Follows the one protocol of test results (:mod:`evalkit.results.hypothesis_tests`):
``statistic``, ``p_value``, ``conf_int()``, ``tidy()``, ``summary()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalkit.results.base import read_only
from evalkit.results.hypothesis_tests import HypothesisTest

__all__ = ["ScheduleRandomizationTest"]


def _start_label(start: float) -> str:
    if start == 0 or np.isinf(start):
        return "never"
    return f"{start:g}"


@dataclass(frozen=True, eq=False, repr=False)
class ScheduleRandomizationTest(HypothesisTest):
    """A randomization test of a statistic over which units start in which wave.

    Attributes
    ----------
    statistic
        The statistic under the observed schedule.
    p_value
        Share of assignments whose statistic is at least as extreme (``alternative``, the
        tie rule of :mod:`evalkit.inference.pvalues`): ``count / A`` when all ``A``
        assignments were enumerated (the observed one among them), ``(1 + count) /
        (1 + A)`` for ``A`` random assignments.
    distribution
        The statistic under every assignment evaluated (read-only): all ``n_possible``
        when ``exact``, otherwise the random draws.
    waves
        ``(start, number of units)`` per wave, never-treated units (start 0) included; the
        counts (within each stratum) are kept by every assignment.
    n_units
        Number of units.
    n_possible
        Number of distinct assignments: the product over strata of the multinomial
        coefficients ``m_s! / prod_k m_{s,k}!``.
    exact
        Whether all assignments were enumerated.
    alternative
        ``"two-sided"`` (``|T_a| >= |T|``), ``"greater"`` (``T_a >= T``) or ``"less"``.
    strata
        Column within which units were permuted (``None``: all units together).
    n_strata
        Number of strata (1 without ``strata``).
    term
        What the statistic is (e.g. ``"ATT (simple)"``).

    Notes
    -----
    An arbitrary statistic cannot be inverted into a confidence interval without knowing
    how the effect enters it, so ``conf_int()`` is NaN.
    """

    statistic: float
    p_value: float
    distribution: np.ndarray = field(repr=False)
    waves: tuple[tuple[float, int], ...]
    n_units: int
    n_possible: int
    exact: bool
    alternative: str
    strata: str | None = None
    n_strata: int = 1
    term: str = "statistic"
    title = "Randomization test over rollout schedules"

    def __post_init__(self) -> None:
        object.__setattr__(self, "distribution", read_only(self.distribution))

    @property
    def n_assignments(self) -> int:
        """Number of assignments evaluated (``n_possible`` when ``exact``)."""
        return int(self.distribution.size)

    def _terms(self) -> list[str]:
        return [self.term]

    def _facts(self) -> dict[str, Any]:
        return {
            "n_units": self.n_units,
            "waves": ", ".join(f"{_start_label(s)}: {n}" for s, n in self.waves),
            "strata": self.strata if self.strata is not None else "none",
            "n_strata": self.n_strata,
            "n_assignments": self.n_assignments,
            "n_possible": self.n_possible,
            "exact": self.exact,
            "alternative": self.alternative,
        }

    def __str__(self) -> str:
        how = (
            f"all {self.n_possible} assignments enumerated"
            if self.exact
            else f"{self.n_assignments} random assignments of {self.n_possible}"
        )
        within = f" within {self.n_strata} strata of {self.strata!r}" if self.strata is not None else ""
        return "\n".join(
            [
                f"Randomization test over rollout schedules ({self.n_units} units{within}), {how}",
                "waves (start: units): " + self._facts()["waves"],
                f"{self.term} = {self.statistic:.6g}    p = {self.p_value:.4f} ({self.alternative})",
            ]
        )
