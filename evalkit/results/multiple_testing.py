"""Result of a step-down multiple-testing correction (Romano-Wolf, Westfall-Young).

A :class:`StepdownResult` holds a family of tests that share one set of resampling draws:
each test's own p-value and its p-value adjusted for family-wise error.  It follows the
result protocol of :mod:`evalkit.results` (``tidy()``, ``summary()``, read-only arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.results.base import Summary, read_only
from evalkit.results.display import NotebookDisplay, short_repr

__all__ = ["StepdownResult"]


@dataclass(frozen=True, eq=False, repr=False)
class StepdownResult(NotebookDisplay):
    """Per-test and family-wise adjusted p-values of tests sharing resampling draws.

    Attributes
    ----------
    method
        ``"romano-wolf"`` (step-down on the largest studentized statistic, maxT) or
        ``"westfall-young"`` (step-down on the smallest p-value, minP).
    terms
        Names of the tests, in the order given.
    statistics
        Observed statistics (read-only).
    p_value
        Each test's own resampling p-value, from the same draws and tie rule (read-only).
    p_value_adjusted
        Step-down adjusted p-values (read-only): rejecting every test with
        ``p_value_adjusted <= alpha`` controls the family-wise error rate at ``alpha``.
        Each is at least the test's own ``p_value``, and their order follows the order
        of the tests' evidence.
    n_draws
        Number of shared draws (bootstrap draws or assignments).
    source
        What the draws are (e.g. ``"wild cluster bootstrap, webb weights"``).
    """

    method: str
    terms: tuple[str, ...]
    statistics: np.ndarray = field(repr=False)
    p_value: np.ndarray = field(repr=False)
    p_value_adjusted: np.ndarray = field(repr=False)
    n_draws: int
    source: str = "draws"
    title = "Step-down multiple testing"

    def __post_init__(self) -> None:
        for name in ("statistics", "p_value", "p_value_adjusted"):
            object.__setattr__(self, name, read_only(np.asarray(getattr(self, name), dtype=float)))

    def tidy(self) -> pd.DataFrame:
        """One row per test: ``term, statistic, p_value, p_value_adjusted`` and the method."""
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "statistic": self.statistics,
                "p_value": self.p_value,
                "p_value_adjusted": self.p_value_adjusted,
                "method": self.method,
            }
        )

    def _facts(self) -> dict[str, Any]:
        return {"method": self.method, "tests": len(self.terms), "n_draws": self.n_draws, "draws": self.source}

    def summary(self) -> Summary:
        """A printable summary (it does not print by itself)."""
        table = self.tidy().set_index("term")[["statistic", "p_value", "p_value_adjusted"]]
        return Summary(
            title=f"{self.title} ({self.method})",
            facts=self._facts(),
            table=table,
            notes=("p_value_adjusted controls the family-wise error rate over the tests shown",),
        )

    def __repr__(self) -> str:
        return short_repr(type(self).__name__, self._facts())

    def __str__(self) -> str:
        lines = [f"Step-down {self.method} over {len(self.terms)} tests, {self.n_draws} shared draws ({self.source})"]
        width = max(len(t) for t in self.terms)
        for t, s, p, q in zip(self.terms, self.statistics, self.p_value, self.p_value_adjusted):
            lines.append(f"{t:<{width}}  statistic = {s: .4f}  p = {p:.4f}  adjusted p = {q:.4f}")
        return "\n".join(lines)
