"""Power and minimum detectable effect of a planned rollout, from the user's own history.

``evalkit.power(data, schedules, ...)`` (:func:`~evalkit.power.run.power`) moves the
planned 2x2 onto historical months, fills its waves with drawn units, scores each
placebo rollout with the planned few-cluster inference and reports the rejection share
of every true effect, the MDE at 80 % power and the analytic approximation beside it
(docs/power.md).

- :mod:`~evalkit.power.design`: the planned schedule (:class:`PlannedRollout`);
- :mod:`~evalkit.power.cells`: outcomes as unit x month sums (from a frame or a panel);
- :mod:`~evalkit.power.placebo`: placebo rollouts scored by the wild bootstrap or
  randomization inference;
- :mod:`~evalkit.power.analytic`: the design-effect approximation;
- :mod:`~evalkit.power.result`: :class:`PowerResult`.

The package is callable, ``evalkit.power(...)`` being :func:`power` whether the name
resolves to the function or to this package (``import evalkit.power`` binds the package).
"""

import sys
import types
from typing import Any

from evalkit.power.cells import OutcomeCells, entry_outcomes, outcome_cells
from evalkit.power.design import PlannedRollout
from evalkit.power.result import PowerResult
from evalkit.power.run import power

__all__ = ["OutcomeCells", "PlannedRollout", "PowerResult", "entry_outcomes", "outcome_cells", "power"]


class _CallablePackage(types.ModuleType):
    """This package as a module that calls :func:`power`."""

    def __call__(self, *args: Any, **kwargs: Any) -> PowerResult:
        return power(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
