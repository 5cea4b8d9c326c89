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
Time-varying covariates are projected out jointly with the weights (the reference
implementation's ``X``; :func:`~evalkit.estimators.synthdid_weights.covariate_weights`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.synthdid_block import METHODS, Method, effect_curve, net_outcome
from evalkit.estimators.synthdid_cohorts import (
    CONTROL_GROUPS,
    NEVER,
    ControlGroup,
    Staggered,
    fit_cohorts,
)
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


def _matrix(design: StaggeredDesign, covariates: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                          np.ndarray | None]:
    """The ``N x T`` outcome matrix, each unit's first treated column (``-1`` never), the
    unit labels of the rows and the ``N x T x K`` covariates (``None`` without): never-treated
    units first, then the cohorts in adoption order, units sorted within each (the row
    order of R synthdid's ``panel.matrices``, so that resampling draws the same units for
    the same random numbers)."""
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
    order = np.lexsort((np.arange(design.n_units), adoption))
    X = None
    if covariates:
        X = np.empty((design.n_units, len(design.periods), len(covariates)))
        for k, name in enumerate(covariates):
            X[design.unit_code, design.period_code, k] = design.column(name).astype(float)
        X = X[order]
    return Y[order], adoption[order], design.unit_labels[order], X


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


def _frames(Y: np.ndarray, X: np.ndarray | None, covariates: Sequence[str], fit: Staggered,
            design: StaggeredDesign, units: np.ndarray, labels: list) -> tuple[pd.Series, ...]:
    """Unit weights, time weights, cohort table and trajectories (of ``Y - X beta`` with
    covariates), labelled."""
    periods = _labels(design.periods)
    omega, lam, rows, paths = [], [], [], []
    shares = fit.shares
    for c, g, share in zip(fit.cohorts, labels, shares, strict=True):
        block = c.block
        omega.append(pd.Series(block.omega, index=pd.MultiIndex.from_product([[g], units[c.controls]])))
        lam.append(pd.Series(block.lam, index=pd.MultiIndex.from_product([[g], periods[: c.start]])))
        rows.append({"cohort": g, "n_treated": len(c.treated), "n_control": len(c.controls), "n_pre": c.start,
                     "n_post": c.n_post, "estimate": block.tau, "share": share,
                     **{f"beta::{name}": float(b) for name, b in zip(covariates, block.beta, strict=True)}})
        sub = np.concatenate([c.controls, c.treated])
        net = net_outcome(Y[sub, :c.end], None if X is None else X[sub, :c.end], block.beta)
        n_c = len(c.controls)
        effects = np.full(c.end, np.nan)
        effects[c.start:] = effect_curve(net, n_c, c.start, block.omega, block.lam)
        paths.append(pd.DataFrame({
            "cohort": g, "time": periods[:c.end], "treated": net[n_c:].mean(axis=0),
            "synthetic": block.omega @ net[:n_c],
            "time_weight": np.concatenate([block.lam, np.zeros(c.n_post)]),
            "post": np.arange(c.end) >= c.start, "effect": effects,
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
    covariates: Sequence[str] = (),
    control_group: ControlGroup = "never_treated",
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
    covariates
        Time-varying numeric covariate columns.  Each cohort's estimate is the weighted
        double difference of ``y - X beta`` (the covariates projected out), with ``beta``
        fitted together with the unit and time weights as R synthdid's ``X`` argument
        does (its numbers are reproduced): alternating Frank-Wolfe steps for the weights
        and gradient steps for ``beta``, without the sparsifying round.  The
        coefficients are the ``beta::<column>`` columns of ``cohorts``; trajectories and
        effects are of ``y - X beta``.  Every resampled or left-out fit (placebo,
        bootstrap, jackknife, randomization) fits ``beta`` again.
    control_group
        The donors of each adoption cohort (staggered adoption): ``"never_treated"``
        (default; all periods) or ``"not_yet_treated"``: the never-treated units and the
        units of every later cohort, over the periods before the next cohort adopts, so
        that the cohort's post periods (and its share of the ATT) end there; the last
        cohort keeps all periods and the never-treated units.  Its ``unit_weights`` then
        include later-cohort units.  The same with one cohort.
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
        ``.randomization_test()``, ``covariates`` (the ``N x T x K`` array or ``None``).

    Raises
    ------
    EvalkitError
        Unknown ``method`` or ``vcov``, ``n_reps`` not an integer of at least 2.
    DesignError
        An unbalanced panel (units named), no never-treated unit, a constant outcome, too
        few pre periods or controls for fitted weights, a variance method the design does
        not support (see :mod:`evalkit.estimators.synthdid_variance`).
    """
    if method not in METHODS:
        raise EvalkitError(f"method must be one of {list(METHODS)}, got {method!r}")
    if control_group not in CONTROL_GROUPS:
        raise EvalkitError(f"control_group must be one of {list(CONTROL_GROUPS)}, got {control_group!r}")
    if vcov not in VCOV_METHODS:
        raise EvalkitError(f"vcov must be one of {list(VCOV_METHODS)}, got {vcov!r}")
    if isinstance(n_reps, bool) or not isinstance(n_reps, (int, np.integer)) or n_reps < 2:
        raise EvalkitError(f"n_reps must be an integer >= 2, got {n_reps!r}")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    design = build_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates, panel=True)
    Y, adoption, units, X = _matrix(design, covariates)
    _check(Y, adoption, method, design)
    fit = fit_cohorts(Y, adoption, method, X, control_group)
    cohort_values = [design.periods[c.start] for c in fit.cohorts]
    labels = _labels(np.array(cohort_values)).tolist()
    terms = [OVERALL] if len(fit.cohorts) == 1 else [OVERALL, *map(cohort_term, cohort_values)]
    generator = as_generator(rng)
    if vcov == "jackknife":
        draws = jackknife_draws(Y, fit, units, [str(g) for g in labels], method, X)
        cov = jackknife_cov(draws)
    elif vcov == "placebo":
        draws = placebo_draws(Y, adoption, method, fit, int(n_reps), generator, X, control_group)
        cov = resampling_cov(draws)
    else:
        draws = bootstrap_draws(Y, adoption, method, fit, int(n_reps), generator, X, control_group)
        cov = resampling_cov(draws)
    estimates = fit.estimates()
    unit_weights, time_weights, cohorts, trajectories = _frames(Y, X, covariates, fit, design, units, labels)
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
               "n_cohorts": len(fit.cohorts), **({} if vcov == "jackknife" else {"n_reps": int(n_reps)}),
               "control_group": control_group, **({"covariates": ", ".join(covariates)} if covariates else {})},
        method=method,
        unit_weights=unit_weights,
        time_weights=time_weights,
        cohorts=cohorts,
        trajectories=trajectories,
        draws=draws,
        outcomes=Y,
        adoption=adoption,
        covariates=X,
        control_group=control_group,
    )
