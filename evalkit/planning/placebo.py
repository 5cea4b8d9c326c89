"""Placebo rollouts: the planned 2x2 on historical months, scored with the planned inference.

For every shift of the planned windows into the pre-reform history (every ``shift_step``
months at which both windows lie in the observed months) and every assignment of the
planned wave sizes to units (drawn by :func:`evalkit.inference.schedule_assignments`,
all of them when there are at most ``n_assignments``), the 2x2 DiD of the unit x window
cells is estimated and its few-cluster interval at level ``alpha`` computed:

- ``"wild"``: the restricted wild cluster bootstrap by unit
  (:func:`evalkit.inference.wild_cluster_bootstrap` of the weighted cell regression,
  :func:`evalkit.regression.fit_ols`; see :mod:`evalkit.planning.cells` for why the cells
  give the person-level test);
- ``"randomization"``: randomization inference over which units are treated, inverted
  under a constant additive effect, exactly as
  :func:`evalkit.inference.did_randomization_test` does, with the 2x2 coefficient of every
  assignment computed at once from the units' window sums (the data of one shift are the
  same for every placebo assignment, so the reference distribution is computed once per
  shift).

A true effect ``delta`` added to the treated units' post-window outcomes moves the DiD
coefficient by exactly ``delta`` and leaves the residuals unchanged, so the planned test
of "no effect" on the data with the effect added rejects exactly when ``-delta`` lies
outside the placebo's interval (both tests are inverted with the same draws).  One
interval per replication therefore gives its rejection of every effect size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference import (
    as_generator,
    assignments,
    resampling_p_value,
    schedule_assignments,
)
from evalkit.inference.pvalues import invert_test
from evalkit.inference.randomization import MAX_ENUMERATION
from evalkit.inference.rng import RNG
from evalkit.inference.weights import WeightType
from evalkit.panel.months import month_label
from evalkit.planning.cells import OutcomeCells
from evalkit.planning.covariates import CovariateCells, covariate_interval
from evalkit.planning.design import PlannedRollout
from evalkit.planning.event_study import score_event_study
from evalkit.planning.wild import TERMS, wild_cell_interval

__all__ = ["ESTIMATORS", "INFERENCE", "Estimator", "Inference", "WindowSums", "placebo_shifts", "score_placebos"]

Inference = Literal["wild", "randomization"]
INFERENCE: tuple[str, ...] = ("wild", "randomization")
Estimator = Literal["2x2", "event_study"]
ESTIMATORS: tuple[str, ...] = ("2x2", "event_study")


@dataclass(frozen=True)
class WindowSums:
    """Per unit: observations and outcome sums in the pre and post window of one shift."""

    n_pre: np.ndarray
    s_pre: np.ndarray
    n_post: np.ndarray
    s_post: np.ndarray

    @classmethod
    def of(cls, cells: OutcomeCells, pre: tuple[int, int], post: tuple[int, int]) -> "WindowSums":
        n_pre, s_pre, _ = cells.window(pre)
        n_post, s_post, _ = cells.window(post)
        return cls(n_pre, s_pre, n_post, s_post)

    def did(self, Z: np.ndarray) -> "AssignmentDid":
        """The 2x2 DiD under every assignment (rows of ``Z``, True = treated)."""
        return AssignmentDid(self, Z.astype(float))


class AssignmentDid:
    """2x2 DiDs of the person-weighted group means for many assignments ``Z`` at once.

    ``b3 = (Y_T,post - Y_T,pre) - (Y_C,post - Y_C,pre)`` with ``Y`` the group means (sums
    over the group's units of the cells' sums over their counts): the coefficient of
    ``treated x post`` in the weighted regression of the cell means on ``1, post, treated,
    treated x post``.  The group counts are computed once; each outcome costs one
    product with ``Z``.
    """

    def __init__(self, sums: WindowSums, Z: np.ndarray) -> None:
        self.sums, self.Z = sums, Z
        self.n_t_pre, self.n_t_post = Z @ sums.n_pre, Z @ sums.n_post
        self.n_c_pre = sums.n_pre.sum() - self.n_t_pre
        self.n_c_post = sums.n_post.sum() - self.n_t_post

    def of(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """``b3`` of every assignment for an outcome with unit sums ``s_pre``, ``s_post``."""
        t_pre, t_post = self.Z @ s_pre, self.Z @ s_post
        with np.errstate(divide="ignore", invalid="ignore"):
            return (t_post / self.n_t_post - t_pre / self.n_t_pre
                    - (s_post.sum() - t_post) / self.n_c_post + (s_pre.sum() - t_pre) / self.n_c_pre)

    def outcome(self) -> np.ndarray:
        """``b3`` of the outcome."""
        return self.of(self.sums.s_pre, self.sums.s_post)

    def effect_shift(self, z: np.ndarray) -> np.ndarray:
        """``b3`` of the outcome ``1`` in the post cells of the units ``z`` (0 elsewhere): how
        much each assignment's ``b3`` moves when a constant effect is added on ``z``."""
        return self.of(np.zeros_like(self.sums.n_pre), self.sums.n_post * z)


def placebo_shifts(cells: OutcomeCells, plan: PlannedRollout, *, step: int = 1,
                   span: tuple[int, int] | None = None) -> list[int]:
    """Shifts (months) moving the design's months into the months with observations.

    ``span``: the design's first and last month (default the 2x2's,
    :meth:`PlannedRollout.design_span`; the event study passes :meth:`PlannedRollout.event_span`).

    Raises
    ------
    DesignError
        When the history is shorter than the design: names both spans.
    """
    first, last = cells.observed_months()
    lo, hi = plan.design_span() if span is None else span
    shifts = list(range(first - lo, last - hi + 1))
    shifts = [k for k in shifts if (k - shifts[0]) % step == 0] if shifts else []
    if not shifts:
        raise DesignError(
            f"outcome {cells.label!r}: the planned design {plan.name!r} spans {hi - lo + 1} entry months "
            f"({month_label(lo)}..{month_label(hi)}) but the history has observations only from {month_label(first)} "
            f"to {month_label(last)} ({last - first + 1} months); give a longer pre-reform panel or shorter windows"
        )
    return shifts


def _wild_interval(sums: WindowSums, z: np.ndarray, *, n_boot: int, weight_type: WeightType, alpha: float,
                   gen: np.random.Generator) -> tuple[float, float, float]:
    U = z.size
    unit = np.concatenate([np.arange(U), np.arange(U)])
    post = np.repeat([0.0, 1.0], U)
    treated = np.concatenate([z, z]).astype(float)
    n = np.concatenate([sums.n_pre, sums.n_post])
    s = np.concatenate([sums.s_pre, sums.s_post])
    keep = n > 0
    X = np.column_stack([np.ones(2 * U), post, treated, treated * post])[keep]
    return wild_cell_interval(s[keep] / n[keep], X, n[keep], unit[keep], TERMS, n_boot=n_boot,
                              weight_type=weight_type, alpha=alpha, gen=gen)


def _randomization_intervals(sums: WindowSums, placebo: np.ndarray, Z: np.ndarray, exact: bool, *,
                             alpha: float) -> list[tuple[float, float, float]]:
    """Interval of the randomization test over the assignments ``Z`` for each placebo assignment.

    The test of :func:`evalkit.inference.did_randomization_test`: ``b3`` under every
    assignment, inverted under a constant additive effect ``tau`` (the statistic of
    assignment ``a`` is ``b3_a(y) - tau b3_a(d)``, ``d`` the placebo's treated post cells).
    """
    reference, observed_did = sums.did(Z), sums.did(placebo)
    dist = reference.outcome()
    if not np.isfinite(dist).all():
        raise DesignError(f"{int((~np.isfinite(dist)).sum())} of {len(dist)} assignments leave a treated or "
                          "comparison group without observations in a window")
    observed_all = observed_did.outcome()
    step = float(np.std(dist)) or 1.0
    out = []
    for observed, z in zip(map(float, observed_all), placebo.astype(float)):
        shift = reference.effect_shift(z)
        shift_observed = float(observed_did.effect_shift(z)[len(out)])  # 1 up to rounding

        def p_value(tau: float, observed: float = observed, shift: np.ndarray = shift,
                    shift_observed: float = shift_observed) -> float:
            return resampling_p_value(observed - tau * shift_observed, dist - tau * shift, add_observed=not exact)

        out.append((observed, invert_test(p_value, observed, -step, alpha), invert_test(p_value, observed, step, alpha)))
    return out


def score_placebos(
    cells: OutcomeCells,
    plan: PlannedRollout,
    *,
    inference: Sequence[str] = ("wild",),
    n_assignments: int = 20,
    shift_step: int = 1,
    n_boot: int = 999,
    weight_type: WeightType = "webb",
    n_perm: int | None = None,
    alpha: float = 0.05,
    rng: RNG = None,
    estimator: Estimator = "2x2",
    strata: np.ndarray | None = None,
    covariates: CovariateCells | None = None,
) -> pd.DataFrame:
    """Estimate and few-cluster interval of every placebo rollout of ``plan`` on ``cells``.

    ``estimator``: ``"2x2"`` (this module) or ``"event_study"``
    (:mod:`evalkit.planning.event_study`, wild bootstrap only).  ``strata``: a stratum
    label per unit of ``cells``; the planned waves are then filled within strata
    (:meth:`PlannedRollout.starts`) and the randomization test permutes within strata.
    ``covariates``: the same outcome in cells by covariate values
    (:mod:`evalkit.planning.covariates`); the 2x2 is then scored with the covariates (wild
    bootstrap only).

    Returns
    -------
    pandas.DataFrame
        One row per shift, assignment, inference and term: ``shift`` (months), ``pre_start``,
        ``post_start`` (``2016-03``), ``assignment`` (number within the shift),
        ``inference``, ``term`` (``treated:post`` for the 2x2), ``estimate``, ``lower``, ``upper``.
    """
    unknown = [m for m in inference if m not in INFERENCE]
    if unknown or not inference:
        raise EvalkitError(f"inference must be some of {list(INFERENCE)}, got {list(inference)}")
    if estimator not in ESTIMATORS:
        raise EvalkitError(f"estimator must be one of {list(ESTIMATORS)}, got {estimator!r}")
    gen = as_generator(rng)
    if covariates is not None and (estimator != "2x2" or list(inference) != ["wild"]):
        raise EvalkitError("covariates enter the planned 2x2 scored by the wild cluster bootstrap "
                           f"(estimator='2x2', inference='wild'), got estimator={estimator!r}, inference={list(inference)}")
    if estimator == "event_study":
        if list(inference) != ["wild"]:
            raise EvalkitError(f"the event study is scored with the wild cluster bootstrap only (inference='wild'), "
                               f"got {list(inference)}")
        shifts = placebo_shifts(cells, plan, step=shift_step, span=plan.event_span(cells.n_units))
        return score_event_study(cells, plan, shifts, n_assignments=n_assignments, n_boot=n_boot,
                                 weight_type=weight_type, alpha=alpha, gen=gen, strata=strata)
    starts = plan.starts(cells.n_units, strata)
    template = ((starts > 0) & (starts <= plan.post[0])).astype(np.intp)
    if "randomization" in inference:
        if strata is None:
            Z_all, exact = assignments(cells.n_units, int(template.sum()), n_perm=n_perm, rng=gen)
        else:
            Z_all, exact = schedule_assignments(template, strata, max_assignments=n_perm or MAX_ENUMERATION,
                                                n_draws=n_perm or 9999, rng=gen)
            Z_all = Z_all.astype(bool)
    rows = []
    for k in placebo_shifts(cells, plan, step=shift_step):
        pre, post = plan.shifted(k)
        sums = WindowSums.of(cells, pre, post)
        Z, _ = schedule_assignments(template, strata, max_assignments=n_assignments, n_draws=n_assignments,
                                    rng=gen)
        placebo = Z.astype(bool)
        groups = np.column_stack([placebo @ sums.n_pre, placebo @ sums.n_post,
                                  ~placebo @ sums.n_pre, ~placebo @ sums.n_post])
        if (groups <= 0).any():
            raise DesignError(f"outcome {cells.label!r}, placebo windows {month_label(pre[0])}..{month_label(post[1])}: "
                              "a treated or comparison group has no observations in a window")
        found: dict[str, list[tuple[float, float, float]]] = {}
        if "wild" in inference and covariates is not None:
            found["wild"] = [covariate_interval(covariates, pre, post, z, n_boot=n_boot, weight_type=weight_type,
                                                alpha=alpha, gen=gen) for z in placebo]
        elif "wild" in inference:
            found["wild"] = [_wild_interval(sums, z, n_boot=n_boot, weight_type=weight_type, alpha=alpha, gen=gen)
                             for z in placebo]
        if "randomization" in inference:
            found["randomization"] = _randomization_intervals(sums, placebo, Z_all, exact, alpha=alpha)
        for method, intervals in found.items():
            for a, (estimate, lower, upper) in enumerate(intervals):
                rows.append((k, month_label(pre[0]), month_label(post[0]), a, method, "treated:post", estimate,
                             lower, upper))
    return pd.DataFrame(rows, columns=["shift", "pre_start", "post_start", "assignment", "inference", "term",
                                       "estimate", "lower", "upper"])
