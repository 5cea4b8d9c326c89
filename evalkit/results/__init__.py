"""Result objects shared by all estimators and tests.

- :class:`EstimationResult`: labelled estimates, covariance, tidy frames and summaries.
- :class:`HypothesisTest` and its kinds (:class:`WaldTest`, :class:`WildBootstrapTest`,
  :class:`RandomizationTest`, :class:`ScheduleRandomizationTest`, :class:`InvalidTest`): one protocol, ``statistic``,
  ``p_value``, ``conf_int()``, ``tidy()``, ``summary()``.
"""

from evalkit.results.base import EstimationResult, Summary, read_only
from evalkit.results.hypothesis_tests import HypothesisTest, InvalidTest, RandomizationTest, WaldTest, WildBootstrapTest
from evalkit.results.multiple_testing import StepdownResult
from evalkit.results.schedule_tests import ScheduleRandomizationTest

__all__ = [
    "EstimationResult",
    "HypothesisTest",
    "InvalidTest",
    "RandomizationTest",
    "ScheduleRandomizationTest",
    "StepdownResult",
    "Summary",
    "WaldTest",
    "WildBootstrapTest",
    "read_only",
]
