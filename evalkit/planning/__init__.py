"""Power and minimum detectable effect of a planned rollout, from the user's own history.

``evalkit.power(data, schedules, ...)`` (:func:`~evalkit.planning.run.power`) moves the
planned 2x2 onto historical months, fills its waves with drawn units, scores each
placebo rollout with the planned few-cluster inference and reports the rejection share
of every true effect, the MDE at 80 % power and the analytic approximation beside it
(docs/power.md).

- :mod:`~evalkit.planning.design`: the planned schedule (:class:`PlannedRollout`);
- :mod:`~evalkit.planning.cells`: outcomes as unit x month sums (from a frame or a panel);
- :mod:`~evalkit.planning.placebo`: placebo rollouts of the 2x2 scored by the wild bootstrap or
  randomization inference (:mod:`~evalkit.planning.wild`: the wild bootstrap of a cell regression);
- :mod:`~evalkit.planning.event_study`: placebo rollouts of a staggered schedule scored as an
  event study (two-stage DiD, wild bootstrap);
- :mod:`~evalkit.planning.covariates`: the 2x2 with covariates (cells by covariate values);
- :mod:`~evalkit.planning.analytic`: the design-effect approximation;
- :mod:`~evalkit.planning.result`: :class:`PowerResult`;
- :mod:`~evalkit.planning.cli`: the options of ``evalkit power``.

Names load on first use (the command line's parser imports :mod:`evalkit.planning.cli`
without the estimation code).  ``evalkit.power`` is :func:`~evalkit.planning.run.power`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.lazy import lazy_module

__all__ = ["OutcomeCells", "PlannedRollout", "PowerResult", "entry_outcomes", "outcome_cells", "power"]

_LAZY = {
    "OutcomeCells": "evalkit.planning.cells",
    "entry_outcomes": "evalkit.planning.cells",
    "outcome_cells": "evalkit.planning.cells",
    "PlannedRollout": "evalkit.planning.design",
    "PowerResult": "evalkit.planning.result",
    "power": "evalkit.planning.run",
}


__getattr__, __dir__ = lazy_module(__name__, _LAZY)


if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.planning.cells import OutcomeCells, entry_outcomes, outcome_cells
    from evalkit.planning.design import PlannedRollout
    from evalkit.planning.result import PowerResult
    from evalkit.planning.run import power
