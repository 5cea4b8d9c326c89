"""Result objects shared by all estimators."""

from evalkit.results.base import EstimationResult, InvalidTest, Summary, WaldTest

__all__ = ["EstimationResult", "InvalidTest", "Summary", "WaldTest"]
