"""Conley & Taber (2011) inference for difference-in-differences with few treated groups.

With ``N_1`` treated groups (counties) and many controls, the DiD estimator is not
asymptotically normal: as the number of controls ``N_0`` grows with ``N_1`` fixed,

    alpha^ - alpha  ->  sum_{j treated} sum_t A_jt eta_jt,

a fixed combination of the treated groups' own errors, with ``A_jt`` the weight of the
cell (group ``j``, period ``t``) in the estimator (Conley & Taber 2011, Proposition 1).
The control groups' errors do not matter in the limit, and, if the groups' errors are
identically distributed, they tell us the distribution of the treated ones.  Conley &
Taber estimate the distribution of ``alpha^ - alpha`` by putting the residuals of control
groups in place of the treated groups' errors, over all ``N_0^N_1`` ways of choosing a
control for each treated group (their Proposition 2):

    Z(l_1, ..., l_N1) = sum_j sum_t A_jt e_{l_j, t},

with ``e_lt`` the (weighted) mean residual of control ``l`` in period ``t``.  The test of
``alpha = r`` compares ``alpha^ - r`` with these draws; the confidence interval is the set
of ``r`` not rejected, ``[alpha^ - q_{1 - a/2}, alpha^ - q_{a/2}]`` (their equation 11).

Implementation for any least-squares fit (``feols``, ``did2x2``; an event study fitted with
event-time dummies gives one test per event time): a term ``c'beta`` is linear in the
outcomes, ``c'beta^ - c'beta = sum_i a_i u_i`` with ``a_i = w_i c' (X'WX)^{-1} x_i``
(Frisch-Waugh-Lovell, ``x_i`` after absorbing fixed effects).  ``A_jt`` sums ``a_i`` over
the rows of cell ``(j, t)``; replacing the treated rows' errors by a control cell's mean
residual is exact when ``a_i`` is constant within cells (regressors that vary by group and
period only) and an approximation with person-level covariates.

Event studies (``event_study``, ``sun_abraham``): each event-time term, and the post
average ``ATT`` (the equal-weight mean of the post event-time terms of ``event_study``;
``sun_abraham``'s own ``ATT``), is a contrast ``c'beta`` of the row-level regression the
result keeps for the wild bootstrap, so the same loadings apply.  The result also keeps
the cluster, the period and the ever-treated flag of each row
(:class:`GroupPeriods`).  This is Conley & Taber's model with regressors,
``Y_jt = alpha d_jt + X_jt beta + theta_j + gamma_t + eta_jt``, with ``d_jt`` one event
time's indicator and the other event times among the ``X_jt``; the draws use the loadings
of the fit itself (finite ``N_0``), whose limit weights only the treated groups' cells.

Assumptions (Conley & Taber 2011, Assumption 1): the groups' error vectors are independent
and identically distributed across groups, independent of treatment; in particular the
same variance for treated and control groups.  With cell means of groups of very
different sizes that fails (a small county's mean is noisier), and the test's size moves;
docs/few_clusters.md reports it by simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.clusters import cluster_codes
from evalkit.inference.pvalues import ALTERNATIVES, Alternative, invert_test, resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.results.base import freeze_arrays, read_only
from evalkit.results.hypothesis_tests import TermIntervalTest

__all__ = [
    "MAX_COMBINATIONS",
    "ConleyTaberTest",
    "GroupPeriods",
    "conley_taber_draws",
    "conley_taber_p_value",
    "conley_taber_test",
]

#: Largest number ``N_0^N_1`` of control combinations that is enumerated rather than sampled.
MAX_COMBINATIONS = 100_000
_DEFAULT_DRAWS = 9999
#: Name of the post average of an event study (the vocabulary's overall effect).
_POST_AVERAGE = "ATT"


@dataclass(frozen=True)
class GroupPeriods:
    """What an event-study result keeps for :func:`conley_taber_test`, per input row of its fit.

    Attributes
    ----------
    group
        Code of the row's group (the result's cluster, the level of assignment).
    period
        Code of the row's period.
    treated
        Whether the row's unit is ever treated (has a first treated period).

    The arrays align with the rows handed to the fit; those the fit dropped (its
    ``sample`` mask, e.g. fixed-effect singletons) are dropped here too.
    """

    group: np.ndarray
    period: np.ndarray
    treated: np.ndarray

    def __post_init__(self) -> None:
        if not (self.group.shape == self.period.shape == self.treated.shape) or self.group.ndim != 1:
            raise ValueError("group, period and treated must be arrays of one length")
        freeze_arrays(self)


@dataclass(frozen=True, eq=False, repr=False)
class ConleyTaberTest(TermIntervalTest):
    """Conley-Taber test of one term, with its confidence interval by test inversion.

    Attributes
    ----------
    statistic
        ``estimate - null_value``, the term's estimate net of the null.
    p_value
        ``(1 + #{draws at least as extreme as statistic}) / (1 + B)`` (``alternative``;
        ``"two-sided"`` is equal-tailed: twice the smaller tail, at most 1); see
        :func:`conley_taber_p_value`.
    distribution
        The draws of ``alpha^ - alpha`` built from control residuals (read-only): all
        ``N_0^N_1`` combinations when ``exact``, otherwise random ones.
    estimate, null_value
        The term's estimate and the value tested.
    n_treated, n_control
        Treated groups ``N_1`` and control groups ``N_0``.
    n_possible
        ``N_0^N_1``, the number of control combinations.
    exact
        Whether all combinations were enumerated.
    alternative
        ``"two-sided"``, ``"greater"`` (``Z >= statistic``) or ``"less"``.
    term
        The tested term.
    interval, alpha
        ``{r: p(r) > alpha}`` found by :func:`~evalkit.inference.pvalues.invert_test`, and
        its ``alpha``.
    """

    statistic: float
    p_value: float
    distribution: np.ndarray = field(repr=False)
    estimate: float
    null_value: float
    n_treated: int
    n_control: int
    n_possible: int
    exact: bool
    alternative: str
    term: str
    interval: tuple[float, float] = (float("nan"), float("nan"))
    alpha: float | None = None
    title = "Conley-Taber test"

    def __post_init__(self) -> None:
        object.__setattr__(self, "distribution", read_only(self.distribution))

    def _facts(self) -> dict[str, Any]:
        return {
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "n_combinations": int(self.distribution.size),
            "n_possible": self.n_possible,
            "exact": self.exact,
            "alternative": self.alternative,
        }

    def _notes(self) -> tuple[str, ...]:
        return ("distribution of the estimator from control groups' residuals (Conley & Taber 2011)",)

    def __str__(self) -> str:
        how = (
            f"all {self.n_possible} control combinations"
            if self.exact
            else f"{self.distribution.size} random control combinations of {self.n_possible}"
        )
        lines = [
            f"Conley-Taber test ({self.n_treated} treated, {self.n_control} control groups; {how})",
            f"{self.term} = {self.estimate:.6g}, H0: {self.null_value:g}    p = {self.p_value:.4f} ({self.alternative})",
        ]
        lo, hi = self.interval
        if self.alpha is not None and not (np.isnan(lo) and np.isnan(hi)):
            lines.append(f"{100 * (1 - self.alpha):g}% confidence interval: [{lo:.6g}, {hi:.6g}] (test inversion)")
        return "\n".join(lines)


def conley_taber_draws(
    loadings: np.ndarray,
    residuals: np.ndarray,
    *,
    max_combinations: int = MAX_COMBINATIONS,
    n_draws: int = _DEFAULT_DRAWS,
    rng: RNG = None,
) -> tuple[np.ndarray, bool]:
    """Draws of ``alpha^ - alpha`` from control residuals (Conley & Taber 2011, Proposition 2).

    Parameters
    ----------
    loadings
        ``(N_1, T)``: ``A_jt``, the weight of treated group ``j``'s cell in period ``t``.
    residuals
        ``(N_0, T)``: ``e_lt``, the mean residual of control group ``l`` in period ``t``.
    max_combinations
        All ``N_0^N_1`` choices ``(l_1, ..., l_N1)`` (with repetition) are enumerated when
        there are at most this many.
    n_draws, rng
        Otherwise ``n_draws`` choices, each ``l_j`` uniform over the controls, from ``rng``
        (:func:`~evalkit.inference.rng.as_generator`).

    Returns
    -------
    draws, exact
        ``Z = sum_j sum_t A_jt e_{l_j t}`` per combination, and whether all were enumerated.
    """
    loadings = np.asarray(loadings, dtype=float)
    residuals = np.asarray(residuals, dtype=float)
    if loadings.ndim != 2 or residuals.ndim != 2 or loadings.shape[1] != residuals.shape[1]:
        raise EvalkitError(
            f"loadings (N_1, T) and residuals (N_0, T) need the same periods, got {loadings.shape} and {residuals.shape}"
        )
    if not np.all(np.isfinite(loadings)) or not np.all(np.isfinite(residuals)):
        raise EvalkitError("loadings and residuals must be finite")
    n_treated, n_control = loadings.shape[0], residuals.shape[0]
    if n_treated < 1 or n_control < 2:
        raise DesignError(
            f"the Conley-Taber test needs at least 1 treated and 2 control groups, got {n_treated} and {n_control}"
        )
    contrib = loadings @ residuals.T  # (N_1, N_0): treated j's combination with control l's residuals
    if float(n_control) ** n_treated <= max_combinations:
        draws = contrib[0]
        for row in contrib[1:]:
            draws = (draws[:, None] + row[None, :]).ravel()
        return draws, True
    if n_draws < 1:
        raise EvalkitError(f"n_draws must be a positive integer, got {n_draws}")
    pick = as_generator(rng).integers(0, n_control, size=(n_draws, n_treated))
    return contrib[np.arange(n_treated)[None, :], pick].sum(axis=1), False


def conley_taber_p_value(statistic: float, draws: np.ndarray, alternative: Alternative = "two-sided") -> float:
    """p-value of ``statistic`` (``alpha^ - r``) against the draws, by the one tie rule.

    ``"greater"``: ``(1 + #{Z_b >= s}) / (1 + B)``, ``"less"`` likewise; ``"two-sided"`` is
    equal-tailed, ``min(1, 2 min(greater, less))``, whose inversion is Conley & Taber's
    interval ``[alpha^ - q_{1-a/2}, alpha^ - q_{a/2}]``.  The observed statistic counts as
    one more draw (as the treated group's own error is one more draw from the same
    distribution): with few combinations (one treated group among ``N_0`` controls gives
    ``N_0``) a statistic beyond every draw has p-value ``2 / (N_0 + 1)``, not 0, so the
    test keeps its size where a level below that cannot be reached.
    """
    if alternative not in ALTERNATIVES:
        raise EvalkitError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if alternative != "two-sided":
        return resampling_p_value(statistic, draws, alternative, add_observed=True)
    upper = resampling_p_value(statistic, draws, "greater", add_observed=True)
    lower = resampling_p_value(statistic, draws, "less", add_observed=True)
    return min(1.0, 2 * min(upper, lower))


def conley_taber_test(
    result: Any,
    term: str | Sequence[str] | None = None,
    *,
    time: str | None = None,
    treated: str | None = None,
    null_value: float = 0.0,
    alternative: Alternative = "two-sided",
    alpha: float = 0.05,
    ci: bool = True,
    max_combinations: int = MAX_COMBINATIONS,
    n_draws: int = _DEFAULT_DRAWS,
    rng: RNG = None,
) -> ConleyTaberTest | dict[str, ConleyTaberTest]:
    """Conley-Taber (2011) test and interval of a regression term with few treated groups.

    Parameters
    ----------
    result
        A ``feols`` or ``did2x2`` result clustered (one-way) by the group whose treatment
        varies (``result.fit`` and ``result.data``, the rows used, are read), or an
        ``event_study`` / ``sun_abraham`` result (clustered by the group of assignment,
        by default the unit).
    term
        The term (``did2x2``: default its effect term), or several terms (e.g. the
        event-time dummies of an event study), tested one by one with the same control
        combinations (returns a dict).  Event studies: any ``event_time::e`` term and
        ``"ATT"``, the post average (``event_study``: the equal-weight mean of the
        ``event_time::e`` terms with ``e >= 0``; ``sun_abraham``: its own ``ATT``);
        default all of them.
    time
        Column of the period of each row (``did2x2``: default its ``post`` column; event
        studies: not used, the result keeps its periods).
    treated
        0/1 column marking the rows of treated groups (``did2x2``, or ``feols(...,
        treated=)``: default the result's); a group is treated when its rows are 1.
        Event studies: not used, a group is treated when its units have a first treated
        period.
    null_value, alternative
        ``H0: term = null_value``; ``"two-sided"`` (equal-tailed), ``"greater"`` or ``"less"``.
    alpha, ci
        Level of the confidence interval (by test inversion), and whether to compute it.
    max_combinations, n_draws, rng
        All ``N_0^N_1`` control combinations are used when there are at most
        ``max_combinations``, otherwise ``n_draws`` random ones from ``rng``
        (:func:`conley_taber_draws`).

    Returns
    -------
    ConleyTaberTest, or a dict of them by term.

    Raises
    ------
    EvalkitError
        The result is not a clustered regression or event study, a column or term is
        unknown, the treated column is not constant within groups.
    DesignError
        Fewer than one treated or two control groups, or a control group without a row in
        a period where a treated group's cell enters the term.
    """
    if getattr(result, "group_periods", None) is not None:
        fit, contrasts, terms, estimates, group, period, is_treated = _event_study_parts(result, term)
        time_label = "period"
    else:
        fit, contrasts, terms, estimates, group, period, is_treated, time_label = _regression_parts(
            result, term, time, treated)
    a = _row_weights(fit, contrasts)  # (n, m)
    w = np.ones(fit.nobs) if fit.weights is None else np.asarray(fit.weights, dtype=float)
    G, T = int(group.max()) + 1, int(period.max()) + 1
    cell = group * T + period
    load = np.stack([np.bincount(cell, weights=a[:, k], minlength=G * T).reshape(G, T) for k in range(len(terms))])
    wsum = np.bincount(cell, weights=w, minlength=G * T).reshape(G, T)
    rsum = np.bincount(cell, weights=w * np.asarray(fit.resid, dtype=float), minlength=G * T).reshape(G, T)
    controls = ~is_treated
    used = np.any(np.abs(load[:, is_treated, :]) > 0, axis=(0, 1))
    missing = (wsum[controls][:, used] <= 0).sum()
    if missing:
        raise DesignError(
            f"the Conley-Taber test needs every control group in every period where treated groups enter "
            f"the term: {int(missing)} control x {time_label!r} cells are empty"
        )
    resid = np.where(wsum > 0, rsum / np.where(wsum > 0, wsum, 1.0), 0.0)[controls]
    rng = as_generator(rng)
    state = rng.bit_generator.state
    out = {}
    for k, name in enumerate(terms):
        rng.bit_generator.state = state  # the same control combinations for every term
        draws, exact = conley_taber_draws(
            load[k][is_treated], resid, max_combinations=max_combinations, n_draws=n_draws, rng=rng
        )
        out[name] = _test(name, float(estimates[k]), draws, exact, null_value, alternative, alpha, ci, is_treated)
    return out[terms[0]] if isinstance(term, str) or (term is None and len(terms) == 1) else out


def _regression_parts(
    result: Any, term: str | Sequence[str] | None, time: str | None, treated: str | None
) -> tuple[Any, np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """A ``feols``/``did2x2`` result: its fit, the terms' contrasts and estimates, and the
    group, period and treated-group codes from its data's columns."""
    fit, data = getattr(result, "fit", None), getattr(result, "data", None)
    if fit is None or not isinstance(data, pd.DataFrame) or not hasattr(fit, "bread"):
        raise EvalkitError(
            f"the Conley-Taber test takes a feols, did2x2, event_study or sun_abraham result, "
            f"got {type(result).__name__}"
            + (f" ({result.model_name}: it keeps no row-level regression)" if hasattr(result, "model_name") else "")
        )
    if len(data) != fit.nobs:
        raise EvalkitError(f"the result's data has {len(data)} rows, its fit {fit.nobs}")
    names = list(result.params.index)
    terms = _terms(result, term, names)
    time = time if time is not None else getattr(result, "post", None)
    treated = treated if treated is not None else getattr(result, "treated", None)
    for role, col in (("time", time), ("treated", treated)):
        if col is None:
            raise EvalkitError(f"the Conley-Taber test needs {role}=: the column of the rows' {role}")
        if col not in data.columns:
            raise EvalkitError(f"{role}={col!r} is not a column of the result's data; columns: {list(data.columns)}")
    if fit.cluster is None or fit.cluster.shape[1] != 1:
        raise EvalkitError("the Conley-Taber test needs a result clustered in one dimension by the treated groups")
    group = fit.cluster[:, 0]
    period = cluster_codes(data[time].to_numpy())[:, 0]
    is_treated = _treated_groups(data[treated].to_numpy(dtype=float), group, f"treated={treated!r}")
    contrasts = np.zeros((len(terms), len(names)))
    for row, name in enumerate(terms):
        contrasts[row, names.index(name)] = 1.0
    estimates = result.params[terms].to_numpy(dtype=float)
    return fit, contrasts, terms, estimates, group, period, is_treated, str(time)


def _event_study_parts(
    result: Any, term: str | Sequence[str] | None
) -> tuple[Any, np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An event-study result: the row-level fit its scores keep, each term (and the post
    average ``ATT``) as a contrast of the fit's coefficients, and the group, period and
    treated-group codes of the fit's rows (:class:`GroupPeriods`)."""
    event_time = result.event_time.reindex(result.params.index)
    event_terms = [n for n in result.params.index if np.isfinite(event_time[n])]
    available = event_terms + [_POST_AVERAGE] if _POST_AVERAGE not in event_terms else event_terms
    if term is None:
        terms = available
    else:
        terms = [term] if isinstance(term, str) else list(term)
        unknown = [t for t in terms if t not in available]
        if unknown or not terms:
            raise EvalkitError(f"terms {unknown} cannot be tested by Conley-Taber; the result's terms are {available}")
    post = [n for n in event_terms if event_time[n] >= 0]
    own = [t for t in terms if t in result.params.index]
    average = _POST_AVERAGE in terms and _POST_AVERAGE not in result.params.index
    if average and not post:
        raise EvalkitError(f"{result.model_name}: no event time >= 0 to average for {_POST_AVERAGE!r}")
    needed = list(dict.fromkeys(own + (post if average else [])))
    scores = result.bootstrap_scores(needed)  # RegressionScores: the results with group_periods are regressions
    fit = scores.fit
    rows = {name: scores.contrasts[i] for i, name in enumerate(needed)}
    if average:
        rows[_POST_AVERAGE] = np.mean([rows[n] for n in post], axis=0)
    contrasts = np.stack([rows[t] for t in terms])
    params = result.params
    estimates = np.array([params[t] if t in params.index else float(np.mean(params[post])) for t in terms])
    gp = result.group_periods
    keep = np.ones(fit.nobs, dtype=bool)
    if gp.group.size != fit.nobs:
        sample = np.asarray(fit.sample, dtype=bool)
        if sample.size != gp.group.size or int(sample.sum()) != fit.nobs:
            raise EvalkitError(f"{result.model_name}: its {gp.group.size} rows do not match its fit's {fit.nobs}")
        keep = sample
    group = np.unique(gp.group[keep], return_inverse=True)[1].ravel()
    period = np.unique(gp.period[keep], return_inverse=True)[1].ravel()
    is_treated = _treated_groups(gp.treated[keep].astype(float), group, "the ever-treated flag (a first treated period)")
    return fit, contrasts, terms, estimates, group, period, is_treated


def _test(
    name: str, estimate: float, draws: np.ndarray, exact: bool, null_value: float, alternative: Alternative,
    alpha: float, ci: bool, is_treated: np.ndarray,
) -> ConleyTaberTest:
    n_treated, n_control = int(is_treated.sum()), int((~is_treated).sum())
    interval = (float("nan"), float("nan"))
    if ci:
        if not 0 < alpha < 1:
            raise EvalkitError(f"alpha must be in (0, 1), got {alpha}")
        scale = float(np.max(np.abs(draws)))
        if scale <= 0:
            raise DesignError(f"{name}: the control residuals give a degenerate (all-zero) distribution")

        def p_of(r: float) -> float:
            return conley_taber_p_value(estimate - r, draws, alternative)

        interval = (invert_test(p_of, estimate, -scale, alpha), invert_test(p_of, estimate, scale, alpha))
    return ConleyTaberTest(
        statistic=estimate - null_value,
        p_value=conley_taber_p_value(estimate - null_value, draws, alternative),
        distribution=draws,
        estimate=estimate,
        null_value=float(null_value),
        n_treated=n_treated,
        n_control=n_control,
        n_possible=n_control**n_treated,
        exact=exact,
        alternative=alternative,
        term=name,
        interval=interval,
        alpha=alpha if ci else None,
    )


def _terms(result: Any, term: str | Sequence[str] | None, names: list[str]) -> list[str]:
    if term is None:
        effect = getattr(result, "effect_term", None)
        if effect is None:
            raise EvalkitError(f"name the term(s) to test: term= one of {names}")
        return [effect]
    terms = [term] if isinstance(term, str) else list(term)
    unknown = [t for t in terms if t not in names]
    if unknown or not terms:
        raise EvalkitError(f"terms {unknown} are not in the result; its terms are {names}")
    return terms


def _treated_groups(flag: np.ndarray, group: np.ndarray, column: str) -> np.ndarray:
    """Per group: treated (all rows 1) or control (all rows 0); ``column`` names the flag."""
    if not np.all(np.isin(flag, (0.0, 1.0))):
        bad = np.unique(flag[~np.isin(flag, (0.0, 1.0))])[:5]
        raise EvalkitError(f"{column} must be 0/1, got values such as {bad.tolist()}")
    G = int(group.max()) + 1
    ones = np.bincount(group, weights=flag, minlength=G)
    rows = np.bincount(group, minlength=G)
    mixed = np.flatnonzero((ones > 0) & (ones < rows))
    if mixed.size:
        raise EvalkitError(
            f"{column} must be constant within each cluster (group); {mixed.size} clusters mix 0 and 1 "
            f"(cluster codes {mixed[:5].tolist()})"
        )
    return ones > 0


def _row_weights(fit: Any, contrasts: np.ndarray) -> np.ndarray:
    """``a_i = w_i c' (X'WX)^{-1} x_i`` per row and term: ``c'beta^ = sum_i a_i y_i``."""
    X = np.asarray(fit.X, dtype=float)
    a = X @ (np.asarray(fit.bread, dtype=float) @ contrasts.T)
    if fit.weights is not None:
        a = a * np.asarray(fit.weights, dtype=float)[:, None]
    return a
