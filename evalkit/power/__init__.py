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
- :mod:`~evalkit.power.result`: :class:`PowerResult`;
- :mod:`~evalkit.power.cli`: the options of ``evalkit power``.

Names load on first use (the command line's parser imports :mod:`evalkit.power.cli`
without the estimation code).  The package is callable: ``evalkit.power(...)`` is
:func:`power` whether the name resolves to the function or to this package
(``import evalkit.power`` binds the package).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = ["OutcomeCells", "PlannedRollout", "PowerResult", "entry_outcomes", "outcome_cells", "power"]

_LAZY = {
    "OutcomeCells": "evalkit.power.cells",
    "entry_outcomes": "evalkit.power.cells",
    "outcome_cells": "evalkit.power.cells",
    "PlannedRollout": "evalkit.power.design",
    "PowerResult": "evalkit.power.result",
    "power": "evalkit.power.run",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.power' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _CallablePackage(types.ModuleType):
    """This package as a module that calls :func:`power`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from evalkit.power.run import power

        return power(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.power.cells import OutcomeCells, entry_outcomes, outcome_cells
    from evalkit.power.design import PlannedRollout
    from evalkit.power.result import PowerResult
    from evalkit.power.run import power
