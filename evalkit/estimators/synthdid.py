"""Synthetic difference-in-differences for block and staggered designs.

Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021), "Synthetic Difference-in-
Differences", American Economic Review 111(12), 4088-4118.  Unit weights make the
controls' pre-period path parallel to the treated units', time weights make the pre
periods resemble the post periods, and the effect is the weighted double difference
(:mod:`evalkit.estimators.synthdid_block`).  Synthetic control and plain DiD are the same
code with other weights (``method=``).  Staggered adoption is estimated per adoption
cohort against the never-treated units and averaged by treated unit-periods
(:mod:`evalkit.estimators.synthdid_cohorts`); variance by placebo, jackknife or bootstrap
(:mod:`evalkit.estimators.synthdid_variance`) and a randomization test on the result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.synthdid_block import METHODS, Method, effect_curve
from evalkit.estimators.synthdid_cohorts import NEVER, Staggered, fit_cohorts
from evalkit.estimators.synthdid_result import SynthDiDResult
from evalkit.estimators.synthdid_variance import (
    VCOV_METHODS,
    Vcov,
    bootstrap_draws,
    jackknife_cov,
    jackknife_draws,
    placebo_draws,
    resampling_cov,
)
from evalkit.inference.covariance import standard_errors
from evalkit.inference.rng import RNG, as_generator
from evalkit.staggered.design import StaggeredDesign, build_design
from evalkit.staggered.terms import OVERALL, cohort_term

__all__ = ["synthdid"]

_NAMES = {"sdid": "Synthetic DiD", "sc": "Synthetic control", "did": "DiD"}


def _matrix(design: StaggeredDesign) -> tuple[np.ndarray, np.ndarray]:
    """The ``N x T`` outcome matrix and each unit's first treated column (``-1`` never)."""
    if not design.balanced:
        counts = np.bincount(design.unit_code, minlength=design.n_units)
        short = np.flatnonzero(counts < len(design.periods))
        raise DesignError(
            f"synthdid needs a balanced panel: every '{design.unit}' in every '{design.time}' "
            f"({len(design.periods)} periods); {len(short)} units have fewer rows (after rows with "
            f"missing values are left out), e.g. {list(design.unit_labels[short[:5]])}"
        )
    Y = np.empty((design.n_units, len(design.periods)))
    Y[design.unit_code, design.period_code] = design.column(design.y).astype(float)
    g = np.zeros(design.n_units)
    g[design.unit_code] = design.g
    adoption = np.where(g > 0, np.searchsorted(design.periods, g), NEVER)
    return Y, adoption


def _check(Y: np.ndarray, adoption: np.ndarray, method: str, design: StaggeredDesign) -> None:
    n_control = int(np.count_nonzero(adoption == NEVER))
    if n_control == 0:
        raise DesignError(
            f"synthdid compares each cohort with never-treated units; every one of the {len(adoption)} "
            f"units has a first treated period in '{design.group}' within the data"
        )
    if not (adoption != NEVER).any():
        raise DesignError(f"no unit is treated within the data: '{design.group}' is 0 (never) for all units")
    if np.ptp(Y) == 0:
        raise DesignError(f"outcome '{design.y}' is constant ({Y.flat[0]:g}) in all {Y.size} rows used")
    if method != "did":
        early = [design.periods[a] for a in np.unique(adoption[adoption != NEVER]) if a < 2]
        if early or n_control < 2:
            raise DesignError(
                f"method={method!r} fits weights on at least 2 pre periods and 2 never-treated units; "
                f"there are {n_control} never-treated units"
                + (f" and cohort(s) {early} start in the first or second period" if early else "")
                + "; use method='did'"
            )


def _labels(periods: np.ndarray) -> np.ndarray:
    """Periods as integers when they all are (the design holds them as floats)."""
    return periods.astype(np.int64) if np.all(np.mod(periods, 1) == 0) else periods


def _frames(Y: np.ndarray, fit: Staggered, design: StaggeredDesign, labels: list) -> tuple[pd.Series, ...]:
    """Unit weights, time weights, cohort table and trajectories, labelled."""
    periods, units = _labels(design.periods), design.unit_labels
    omega, lam, rows, paths = [], [], [], []
    shares = fit.shares
    for c, g, share in zip(fit.cohorts, labels, shares, strict=True):
        block = c.block
        omega.append(pd.Series(block.omega, index=pd.MultiIndex.from_product([[g], units[c.controls]])))
        lam.append(pd.Series(block.lam, index=pd.MultiIndex.from_product([[g], periods[: c.start]])))
        rows.append({"cohort": g, "n_treated": len(c.treated), "n_control": len(c.controls), "n_pre": c.start,
                     "n_post": c.n_post(len(periods)), "estimate": block.tau, "share": share})
        sub = np.concatenate([c.controls, c.treated])
        effects = np.full(len(periods), np.nan)
        effects[c.start:] = effect_curve(Y[sub], len(c.controls), c.start, block.omega, block.lam)
        paths.append(pd.DataFrame({
            "cohort": g, "time": periods, "treated": Y[c.treated].mean(axis=0),
            "synthetic": block.omega @ Y[c.controls],
            "time_weight": np.concatenate([block.lam, np.zeros(len(periods) - c.start)]),
            "post": np.arange(len(periods)) >= c.start, "effect": effects,
        }))
    names = [design.group, design.unit]
    unit_weights = pd.concat(omega).rename("omega").rename_axis(names)
    time_weights = pd.concat(lam).rename("lambda").rename_axis([design.group, design.time])
    return unit_weights, time_weights, pd.DataFrame(rows), pd.concat(paths, ignore_index=True)


def synthdid(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    method: Method = "sdid",
    vcov: Vcov = "placebo",
    n_reps: int = 200,
    rng: RNG = None,
) -> SynthDiDResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021), synthetic control or DiD.

    Parameters
    ----------
    data
        A balanced panel: one row per unit and period; not modified.
    y, time, group, unit
        Columns of the outcome, the integer period, the first treated period (0 or inf =
        never treated; as in :func:`~evalkit.estimators.att_gt`) and the unit.  One value
        of ``group`` among the treated is a block design; several are staggered adoption,
        estimated per cohort against the never-treated units and averaged by each
        cohort's share of the treated unit-periods.
    method
        ``"sdid"`` (unit and time weights, the paper's default penalties), ``"sc"``
        (synthetic control: unit weights without intercept, no time weights) or ``"did"``
        (uniform weights).
    vcov
        ``"placebo"`` (Algorithm 4; works with one treated unit), ``"jackknife"``
        (Algorithm 3; deterministic, needs 2+ treated units per cohort) or
        ``"bootstrap"`` (Algorithm 2; needs 2+ treated units).  Confidence intervals use
        the normal distribution.
    n_reps
        Placebo or bootstrap draws (unused by the jackknife).
    rng
        Seed or Generator of the draws (:func:`evalkit.inference.as_generator`).

    Returns
    -------
    SynthDiDResult
        ``params`` ``"ATT"`` (and ``"cohort::<g>"`` per cohort when staggered),
        ``unit_weights``, ``time_weights``, ``cohorts``, ``trajectories``, ``.plot()``,
        ``.randomization_test()``.

    Raises
    ------
    EvalkitError
        Unknown ``method`` or ``vcov``, ``n_reps`` not a positive integer.
    DesignError
        An unbalanced panel (units named), no never-treated unit, a constant outcome, too
        few pre periods or controls for fitted weights, a variance method the design does
        not support (see :mod:`evalkit.estimators.synthdid_variance`).
    """
    if method not in METHODS:
        raise EvalkitError(f"method must be one of {list(METHODS)}, got {method!r}")
    if vcov not in VCOV_METHODS:
        raise EvalkitError(f"vcov must be one of {list(VCOV_METHODS)}, got {vcov!r}")
    if isinstance(n_reps, bool) or not isinstance(n_reps, (int, np.integer)) or n_reps < 2:
        raise EvalkitError(f"n_reps must be an integer >= 2, got {n_reps!r}")
    design = build_design(data, y=y, time=time, group=group, unit=unit, panel=True)
    Y, adoption = _matrix(design)
    _check(Y, adoption, method, design)
    fit = fit_cohorts(Y, adoption, method)
    cohort_values = [design.periods[c.start] for c in fit.cohorts]
    labels = _labels(np.array(cohort_values)).tolist()
    terms = [OVERALL] if len(fit.cohorts) == 1 else [OVERALL, *map(cohort_term, cohort_values)]
    generator = as_generator(rng)
    if vcov == "jackknife":
        draws = jackknife_draws(Y, fit, design.unit_labels, [str(g) for g in labels])
        cov = jackknife_cov(draws)
    elif vcov == "placebo":
        draws = placebo_draws(Y, adoption, method, fit, int(n_reps), generator)
        cov = resampling_cov(draws)
    else:
        draws = bootstrap_draws(Y, adoption, method, fit, int(n_reps), generator)
        cov = resampling_cov(draws)
    estimates = fit.estimates()
    unit_weights, time_weights, cohorts, trajectories = _frames(Y, fit, design, labels)
    n_treated = int(np.count_nonzero(adoption != NEVER))
    return SynthDiDResult(
        params=pd.Series(estimates, index=terms),
        std_errors=pd.Series(standard_errors(cov, scale=float(np.std(Y))), index=terms),
        cov=pd.DataFrame(cov, index=terms, columns=terms),
        nobs=int(Y.size),
        cov_type=vcov,
        model_name=f"{_NAMES[method]}: {y}",
        extra={"outcome": y, "method": method, "n_units": int(Y.shape[0]), "n_treated": n_treated,
               "n_control": int(Y.shape[0]) - n_treated, "n_periods": int(Y.shape[1]),
               "n_cohorts": len(fit.cohorts), **({} if vcov == "jackknife" else {"n_reps": int(n_reps)})},
        method=method,
        unit_weights=unit_weights,
        time_weights=time_weights,
        cohorts=cohorts,
        trajectories=trajectories,
        draws=draws,
        outcomes=Y,
        adoption=adoption,
    )
