"""Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

For each cohort ``g`` (units first treated in period ``g``) and period ``t``,

    ATT(g,t) = E[Y_t(g) - Y_t(0) | G = g],

is identified under parallel trends by a 2x2 difference-in-differences between cohort
``g`` and a comparison group (never-treated units, or units not yet treated by ``t``),
between period ``t`` and a base period (``g - 1 - anticipation`` after treatment; before
treatment the previous period (``"varying"``) or ``g - 1 - anticipation`` as well
(``"universal"``)).  Each cell is estimated by a pluggable 2x2 estimator
(:mod:`evalkit.estimators.att_gt_cells`), and its influence function over all
observations is kept in the result, so that standard errors, the multiplier bootstrap and
every aggregation (:mod:`evalkit.estimators.att_gt_result`) need no refit.  Numbers match R's
``did::att_gt`` (Callaway & Sant'Anna 2021, J. Econometrics 225(2), 200-230).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Callable, Literal

import numpy as np
import pandas as pd

from evalkit.errors import CellDesignError, DesignError, EvalkitError, EvalkitWarning
from evalkit.estimators.att_gt_cells import PANEL_ESTIMATORS, PSCORE_TRIM, RCS_ESTIMATORS, CellEstimate
from evalkit.estimators.att_gt_covariate_cells import dr_cell, dr_rcs_cell
from evalkit.estimators.att_gt_result import ATTgtResult, share_influence
from evalkit.inference.covariance import influence_cov, standard_errors
from evalkit.inference.multiplier_bootstrap import bootstrap_cov, bootstrap_draws, bootstrap_summary
from evalkit.inference.rng import RNG, as_generator
from evalkit.progress import progress
from evalkit.results import InvalidTest, WaldTest
from evalkit.results.distributions import chi2_survival
from evalkit.staggered.covariate_cells import MAX_CELL_SHARE, covariate_cells
from evalkit.staggered.design import build_design, check_outcomes, outcome_names
from evalkit.staggered.gt_data import StaggeredData, covariate_columns, staggered_data
from evalkit.staggered.terms import cell_term

ControlGroup = Literal["never_treated", "not_yet_treated"]
BasePeriod = Literal["varying", "universal"]
EstMethod = Literal["dr", "ipw", "reg"]


def _cell_controls(obs_group: np.ndarray, g: float, later: float, control_group: str, anticipation: int) -> np.ndarray:
    never = obs_group == 0
    if control_group == "never_treated":
        return never
    return never | ((obs_group > later + anticipation) & (obs_group != g))


def _cells(periods: np.ndarray, cohorts: np.ndarray, base_period: str, anticipation: int) -> list[tuple[float, int, int]]:
    """(cohort, index of t, index of base period) for every cell, in R did's order."""
    cells = []
    first_t = 1 if base_period == "varying" else 0
    for g in cohorts:
        before = np.flatnonzero(periods + anticipation < g)
        universal_base = int(before[-1])
        for ti in range(first_t, len(periods)):
            post = g <= periods[ti]
            base = universal_base if (post or base_period == "universal") else ti - 1
            cells.append((float(g), ti, base))
    return cells


def _estimate_cell(
    sd: StaggeredData, g: float, ti: int, base: int, control_group: str, anticipation: int,
    est: Callable[..., CellEstimate], rcs_cells: tuple[np.ndarray, np.ndarray] | None = None,
    others: Sequence[StaggeredData] = (),
) -> tuple[float, np.ndarray] | list[tuple[float, np.ndarray]]:
    """ATT(g,t) of one cell and its influence function over all observations.

    ``rcs_cells``: the covariate cells of the rows (distinct rows, code per row) when ``est``
    is the doubly robust repeated cross-section estimator, which is then computed from them
    (:func:`~evalkit.estimators.att_gt_covariate_cells.dr_rcs_cell`) unless the cell needs
    ``est`` to report its error.  ``others``: the same observations with other outcomes
    (:meth:`StaggeredData.with_outcome`), estimated in the same cell; then a list of
    ``(att, influence)``, ``sd``'s first.
    """
    later = sd.periods[max(ti, base)]
    row_group = sd.row_group if sd.unbalanced else sd.obs_group
    treated = row_group == g
    controls = _cell_controls(row_group, g, later, control_group, anticipation)
    period = float(sd.periods[ti])
    comparison = control_group.replace("_", "-")
    advice = "use control_group='never_treated' or drop the cohort" if control_group != "never_treated" \
        else "drop the cohort or the period"
    if sd.panel:
        mask = treated | controls
        if not controls.any():
            reason = f"no comparison units ({comparison})"
            raise CellDesignError(f"{reason} for cohort {g:g} in period {period:g}; {advice}", group=g, period=period,
                                  reason=reason)
        if not treated.any():
            raise CellDesignError(f"no observations of cohort {g:g} in periods {sd.periods[base]:g} and {period:g}",
                                  group=g, period=period, reason="no observations of the cohort in the cell's periods")
    else:
        # repeated cross-sections: each side must be observed in both of the cell's periods
        mask = (treated | controls) & ((sd.obs_period == ti) | (sd.obs_period == base))
        for p in sorted({base, ti}):
            at = sd.obs_period == p
            if not (controls & at).any():
                reason = f"no comparison observations ({comparison}) in one of the cell's periods"
                raise CellDesignError(f"no comparison observations ({comparison}) for cohort {g:g} in period "
                                      f"{sd.periods[p]:g}; {advice}", group=g, period=period, reason=reason)
            if not (treated & at).any():
                raise CellDesignError(f"no observations of cohort {g:g} in period {sd.periods[p]:g}", group=g,
                                      period=period, reason="no observations of the cohort in one of the cell's periods")
    try:
        results = _cell_estimate([sd, *others], ti, base, mask, treated, est, rcs_cells)
    except DesignError as error:
        raise CellDesignError(f"ATT(g,t) of cohort {g:g} in period {period:g}: {error}", group=g,
                              period=period, reason=error.reason) from error
    out = []
    for res in results:
        scaled = res.inf * (sd.n_obs / mask.sum())
        if sd.unbalanced:
            # R did's unbalanced panel: row influence functions scaled by n_units / n_cell_rows, summed per unit
            out.append((res.att, np.bincount(sd.row_unit[mask], weights=scaled, minlength=sd.n_obs)))
            continue
        inf = np.zeros(sd.n_obs)
        inf[mask] = scaled
        out.append((res.att, inf))
    return out if others else out[0]


def _cell_estimate(
    sds: list[StaggeredData], ti: int, base: int, mask: np.ndarray, treated: np.ndarray,
    est: Callable[..., CellEstimate], rcs_cells: tuple[np.ndarray, np.ndarray] | None,
) -> list[CellEstimate]:
    """``est`` on the rows of one cell (``mask``) for each outcome of ``sds`` (the same
    observations): the two periods of each unit on a panel, the rows of the two periods on
    cross-sections (from the covariate cells when given, shared by the outcomes)."""
    sd = sds[0]
    if sd.panel:
        return [est(one.outcome[mask, ti], one.outcome[mask, base], treated[mask], sd.design[mask, base],
                    sd.weights[mask]) for one in sds]
    post = sd.obs_period[mask] == ti
    weights = sd.row_weights if sd.unbalanced else sd.weights
    y = sd.outcome[mask] if len(sds) == 1 else np.column_stack([one.outcome[mask] for one in sds])
    fast = None if rcs_cells is None else dr_rcs_cell(y, post, treated[mask], rcs_cells[1][mask], rcs_cells[0],
                                                      weights[mask])
    if fast is None:
        return [est(one.outcome[mask], post, treated[mask], sd.design[mask], weights[mask]) for one in sds]
    return [CellEstimate(*fast)] if len(sds) == 1 else [CellEstimate(*f) for f in fast]


def _cells_without_covariates(
    sd: StaggeredData, cells: list[tuple[float, int, int]], control_group: str, anticipation: int, trim: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every ATT(g,t) and its influence function from cohort x period sums (no covariates).

    Without covariates the outcome-regression, IPW and doubly robust 2x2 estimators all
    reduce to a difference of weighted mean changes, ``ATT = dY_g - dY_c``, with influence
    ``n w_i (dy_i - dY_g) / W_g`` for units of cohort ``g`` and ``-n w_i (dy_i - dY_c) / W_c``
    for comparison units (``W`` the summed weights).  The means come from cohort x period
    weighted sums computed once; each influence column is written once.  ``None`` (use the
    general path, which also reports errors) when a cell lacks treated or comparison units
    or, for IPW and DR (``trim``), its propensity score reaches ``PSCORE_TRIM``.
    """
    n = sd.n_obs
    values, code = np.unique(sd.obs_group, return_inverse=True)
    rows = [np.flatnonzero(code == k) for k in range(len(values))]
    wsum = np.bincount(code, weights=sd.weights, minlength=len(values))
    ysum = np.stack([sd.weights[r] @ sd.outcome[r] for r in rows])  # (cohorts incl. 0, periods)
    att = np.zeros(len(cells))
    # per cohort (rows) and cell (columns): the mean change subtracted and the scale of the
    # influence (0: the cohort is not in the cell)
    eta = np.zeros((len(values), len(cells)))
    scale = np.zeros((len(values), len(cells)))
    for j, (g, ti, base) in enumerate(cells):
        if ti == base:
            continue
        later = sd.periods[max(ti, base)]
        treated = values == g
        controls = _cell_controls(values, g, later, control_group, anticipation)
        w_t, w_c = wsum[treated].sum(), wsum[controls].sum()
        if w_t == 0 or w_c == 0 or (trim and w_t / (w_t + w_c) >= PSCORE_TRIM):
            return None
        change = ysum[:, ti] - ysum[:, base]
        eta_t, eta_c = change[treated].sum() / w_t, change[controls].sum() / w_c
        att[j] = eta_t - eta_c
        eta[treated, j], scale[treated, j] = eta_t, n / w_t
        eta[controls, j], scale[controls, j] = eta_c, -n / w_c
    # each cohort's block of the (row-major) influence matrix in one pass over its units
    later_index = np.array([c[1] for c in cells], dtype=np.intp)
    base_index = np.array([c[2] for c in cells], dtype=np.intp)
    influence = np.zeros((n, len(cells)))
    for k, r in enumerate(rows):
        cols = np.flatnonzero(scale[k])
        if len(cols) == 0:
            continue
        y = sd.outcome[r]
        block = y[:, later_index[cols]] - y[:, base_index[cols]]
        block -= eta[k, cols]
        influence[np.ix_(r, cols)] = (scale[k, cols] * sd.weights[r][:, None]) * block
    return att, influence


def _dr_from_covariate_cells(
    sd: StaggeredData, cells: list[tuple[float, int, int]], control_group: str, anticipation: int,
    est: Callable[..., CellEstimate],
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every doubly robust ATT(g,t) of a balanced panel from covariate cells (discrete covariates).

    Each cell's 2x2 estimate comes from sums within the distinct covariate rows of its base
    period (:mod:`evalkit.estimators.att_gt_covariate_cells`); a cell that needs the general
    path (to report its error) takes it.  ``None`` (use the general path) when the
    covariates have too many distinct values to gain from cells.
    """
    if sd.covariate_cells is not None:  # the cells of the covariate columns, found once
        distinct, period_cell = sd.covariate_cells
        invariant = bool(np.all(period_cell == period_cell[:, :1]))

        def cells_of(b: int) -> tuple[np.ndarray, np.ndarray] | None:
            in_base, present = pd.factorize(period_cell[:, b])
            return None if len(present) > MAX_CELL_SHARE * sd.n_obs else (distinct[present], in_base)
    else:
        invariant = bool(np.all(sd.design == sd.design[:, :1, :]))

        def cells_of(b: int) -> tuple[np.ndarray, np.ndarray] | None:
            return covariate_cells(sd.design[:, b, :])
    by_base = {0: cells_of(0)} if invariant else {}
    values, cohort_code = np.unique(sd.obs_group, return_inverse=True)
    # the units of a 2x2 cell depend only on its cohort and comparison cohorts, the same for
    # consecutive cells: their outcomes (period-major, each period contiguous), treatment and
    # weights are gathered once per run of cells with the same units
    units_key, units = None, None
    att = np.zeros(len(cells))
    influence = np.zeros((sd.n_obs, len(cells)), order="F")
    for j, (g, ti, base) in enumerate(progress(cells, "ATT(g,t) cells")):
        if ti == base:
            continue
        b = 0 if invariant else base
        if b not in by_base:
            by_base[b] = cells_of(b)
        if by_base[b] is None:
            return None
        rows, code = by_base[b]
        in_cell = (values == g) | _cell_controls(values, g, sd.periods[max(ti, base)], control_group, anticipation)
        if units_key != (g, in_cell.tobytes()):
            units_key, mask = (g, in_cell.tobytes()), in_cell[cohort_code]
            units = (mask, sd.outcome.T[:, mask], (sd.obs_group == g)[mask], sd.weights[mask])
        mask, outcome, treated, weights = units
        res = dr_cell(outcome[ti] - outcome[base], treated, code[mask], rows, weights)
        if res is None:
            att[j], influence[:, j] = _estimate_cell(sd, g, ti, base, control_group, anticipation, est)
        else:
            att[j] = res[0]
            influence[mask, j] = res[1] * (sd.n_obs / len(treated))
    return att, np.ascontiguousarray(influence)


def _pretest(params: np.ndarray, cov: np.ndarray, group: np.ndarray, time: np.ndarray, se: np.ndarray) -> WaldTest | InvalidTest:
    pre = np.flatnonzero((group > time) & np.isfinite(se))
    if len(pre) == 0:
        return InvalidTest("no pre-treatment ATT(g,t) with a positive standard error to test")
    sub = cov[np.ix_(pre, pre)]
    if 1 / np.linalg.cond(sub) <= np.finfo(float).eps:
        return InvalidTest("the covariance of the pre-treatment ATT(g,t) is singular")
    stat = float(params[pre] @ np.linalg.solve(sub, params[pre]))
    return WaldTest(
        statistic=stat, df_num=len(pre), p_value=float(chi2_survival(stat, len(pre))), null="all pre-treatment ATT(g,t) = 0"
    )


def att_gt(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    time: str,
    group: str,
    unit: str | None = None,
    covariates: str | Sequence[str] | None = None,
    control_group: ControlGroup = "never_treated",
    base_period: BasePeriod = "varying",
    est_method: EstMethod | Callable[..., CellEstimate] = "dr",
    panel: bool = True,
    allow_unbalanced_panel: bool = True,
    weights: str | None = None,
    anticipation: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
    n_boot: int | None = None,
    rng: RNG = None,
) -> ATTgtResult | dict[str, ATTgtResult]:
    """Estimate every ATT(g,t) of a staggered adoption design (Callaway & Sant'Anna 2021).

    Parameters
    ----------
    data
        Long data: one row per unit and period (``panel=True``) or one row per independent
        observation (``panel=False``, repeated cross-sections such as monthly entry
        cohorts).  Validated by :func:`evalkit.staggered.design.build_design` (the one
        front end of every staggered estimator); not modified.
    y, time, group, unit
        Columns of the outcome, the integer period, the first treated period (R did's
        ``gname``: 0 or ``inf`` = never treated; a missing value is an error) and the unit
        id (panels only).  Units treated in or before the first period (+ anticipation)
        are excluded with a warning; cohorts after the last period are never treated
        within the data.  ``y`` may list several outcomes missing on the same rows: they
        share the design and, on repeated cross-sections with the doubly robust estimator
        and discrete covariates, each cell's weighted counts, logit and regression normal
        matrices; each gets the result of its own call.
    covariates
        ``"~ x1 + x2"`` (formulaic formula) or a list of columns, for conditional parallel
        trends; panels use each unit's covariates in the cell's base period.
    control_group
        ``"never_treated"`` or ``"not_yet_treated"`` (units with ``group`` beyond
        ``max(t, base) + anticipation``, and never-treated units).
    base_period
        ``"varying"`` (pre-treatment cells compare with the previous period) or
        ``"universal"`` (all cells compare with ``g - 1 - anticipation``; that cell is 0).
    est_method
        ``"dr"`` (doubly robust, default), ``"ipw"``, ``"reg"``, or a callable with the
        signature documented in :mod:`evalkit.estimators.att_gt_cells`.
    panel
        Panel (``True``) or repeated cross-sections (``False``).
    allow_unbalanced_panel
        Panels whose units miss periods: ``True`` (default) keeps every unit as R did's
        ``allow_unbalanced_panel=TRUE`` does (each ATT(g,t) by the repeated cross-section
        estimator on the rows of its two periods, influence functions summed per unit,
        cohort weights counting units); ``False`` excludes the incomplete units (warned).
        A balanced panel is estimated the same way either way.
    weights
        Column of sampling weights (constant within unit for panels).
    anticipation
        Number of periods before ``g`` in which units may already react.
    cluster
        Column with clusters coarser than units (standard errors and bootstrap are
        cluster-robust; constant within unit for panels).  One cluster is an error; fewer
        than 30 clusters, or fewer than 6 with treated (or never-treated) units, give a
        :class:`~evalkit.errors.FewClustersWarning`.
    alpha
        Level of the bootstrap's uniform (sup-t) band.
    n_boot, rng
        Number of multiplier-bootstrap draws (Mammen weights; ``None``: analytic standard
        errors only) and a ``numpy.random.Generator`` or an int seed
        (:func:`evalkit.inference.rng.as_generator`; ``None``: the default seed).  The
        multipliers are drawn once and applied to the ATT(g,t) and the cohort-share
        influence functions together; the draws are kept (``boot_draws``) so that every
        ``aggregate()`` of the result is bootstrapped from the same draws without new ones.

    Returns
    -------
    ATTgtResult or dict of str to ATTgtResult
        Terms ``cohort::g:time::t``; ``std_errors`` analytic or bootstrap; ``cov`` their
        covariance (cluster-robust; after a bootstrap the draws' correlation scaled to the
        bootstrap standard errors); ``crit_uniform`` the sup-t critical value when
        bootstrapped.  For a list of outcomes a dict ``outcome -> result`` in their order
        (with ``n_boot`` the outcomes' draws follow each other from ``rng``, as in
        consecutive calls).

    Raises
    ------
    CellDesignError
        A cell cannot be estimated (no comparison units, no treated rows, covariates
        collinear within it); its ``group`` and ``period`` name the cell.
    PanelValidationError
        Outcomes of ``y`` missing on different rows.
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise EvalkitError(f"control_group must be 'never_treated' or 'not_yet_treated', got {control_group!r}")
    if base_period not in ("varying", "universal"):
        raise EvalkitError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise EvalkitError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if callable(est_method):
        est, method_name = est_method, getattr(est_method, "__name__", "custom")
    elif est_method in ("dr", "ipw", "reg"):
        est, method_name = est_method, est_method
    else:
        raise EvalkitError(f"est_method must be 'dr', 'ipw', 'reg' or a callable, got {est_method!r}")

    outcomes = outcome_names(y)
    if not isinstance(y, str):
        check_outcomes(data, outcomes)
    design = build_design(
        data, y=outcomes[0], time=time, group=group, unit=unit, covariates=covariate_columns(covariates)[1],
        weights=weights, cluster=cluster, panel=panel, anticipation=anticipation,
    )
    if cluster is not None:
        design.check_clusters()
    sd = staggered_data(design, covariates=covariates, control_group=control_group, anticipation=anticipation,
                        allow_unbalanced_panel=allow_unbalanced_panel, clustered=cluster is not None)
    if not callable(est):
        est = (PANEL_ESTIMATORS if sd.panel else RCS_ESTIMATORS)[est_method]
    elif sd.unbalanced:
        raise DesignError("a custom est_method on an unbalanced panel needs the repeated cross-section signature; "
                          "pass allow_unbalanced_panel=False to balance the panel, or a balanced panel")
    sds = [sd, *(sd.with_outcome(design.column(other)) for other in outcomes[1:])]
    cells = _cells(sd.periods, sd.cohorts, base_period, anticipation)
    fast = None
    if sd.panel and not callable(est_method) and len(sd.covariate_names) == 1:
        fast = [_cells_without_covariates(one, cells, control_group, anticipation, trim=est_method != "reg")
                for one in sds]
    elif sd.panel and est_method == "dr":
        fast = [_dr_from_covariate_cells(one, cells, control_group, anticipation, est) for one in sds]
    if fast is None or any(f is None for f in fast):
        rcs_cells = sd.covariate_cells if (not sd.panel and est_method == "dr" and len(sd.covariate_names) > 1) \
            else None
        fast = [(np.zeros(len(cells)), np.zeros((sd.n_obs, len(cells)))) for _ in sds]
        for j, (g, ti, base) in enumerate(progress(cells, "ATT(g,t) cells")):
            if ti == base:
                continue  # universal base period: the reference cell is 0 by construction
            estimated = _estimate_cell(sd, g, ti, base, control_group, anticipation, est, rcs_cells, others=sds[1:])
            for (att, influence), (value, inf) in zip(fast, estimated if len(sds) > 1 else [estimated]):
                att[j], influence[:, j] = value, inf
    extra = {
        "control_group": control_group,
        "base_period": base_period,
        "est_method": method_name,
        "panel": panel,
        "unbalanced_panel": sd.unbalanced,
        "anticipation": anticipation,
        "n_cohorts": len(sd.cohorts),
        "n_periods": len(sd.periods),
    }
    results = {outcome: cell_results(ATTgtResult, one, cells, att, influence, n_boot=n_boot, alpha=alpha, rng=rng,
                                     model_name="ATT(g,t) (Callaway & Sant'Anna)", extra=dict(extra))
               for outcome, one, (att, influence) in zip(outcomes, sds, fast)}
    return results[y] if isinstance(y, str) else results


def cell_results(
    result_type: type[ATTgtResult],
    sd: StaggeredData,
    cells: list[tuple[float, int, int]],
    att: np.ndarray,
    influence: np.ndarray,
    *,
    n_boot: int | None,
    alpha: float,
    rng: RNG,
    model_name: str,
    extra: dict,
    **fields: object,
) -> ATTgtResult:
    """A group-time result from each cell's estimate and influence function.

    The analytic covariance is ``S'S / n^2`` with ``S`` the (cluster sums of the) influence
    functions (Callaway & Sant'Anna 2021, Theorem 2); with ``n_boot`` the standard errors,
    covariance and uniform critical value come instead from one multiplier bootstrap
    (their Algorithm 1, Mammen weights) whose draws also cover the cohort shares, so that
    every aggregation reuses them.  ``fields`` are further fields of ``result_type``.
    """
    n = sd.n_obs
    cov = influence_cov(influence, sd.cluster, divisor=n)
    se = standard_errors(cov)
    group_arr = np.array([c[0] for c in cells]).astype(np.int64)
    time_arr = sd.periods[[c[1] for c in cells]].astype(np.int64)
    pretest = _pretest(att, cov, group_arr, time_arr, se)
    crit, cov_type, draws = None, "analytic", None
    if n_boot is not None:
        joint = np.hstack([influence, share_influence(sd.obs_group, sd.weights, np.unique(group_arr))])
        draws = bootstrap_draws(joint, n_boot=n_boot, rng=as_generator(rng), cluster=sd.cluster)
        se, crit = bootstrap_summary(draws[:, : len(cells)], alpha=alpha)
        cov = bootstrap_cov(draws[:, : len(cells)], se)
        cov_type = f"multiplier bootstrap ({n_boot} draws, Mammen)"
        if not np.isfinite(crit):
            warnings.warn("the uniform critical value could not be computed", EvalkitWarning, stacklevel=3)
            crit = None
    terms = pd.Index([cell_term(g, t) for g, t in zip(group_arr, time_arr)], name="term")
    return result_type(
        params=pd.Series(att, index=terms, name="estimate"),
        std_errors=pd.Series(se, index=terms, name="std_error"),
        nobs=n,
        cov_type=cov_type,
        cov=pd.DataFrame(cov, index=terms, columns=terms),
        n_clusters=None if sd.cluster is None else int(sd.cluster.max()) + 1,
        crit_uniform=crit,
        model_name=model_name,
        extra=extra,
        group=group_arr,
        time=time_arr,
        influence=influence,
        periods=sd.periods.astype(np.int64),
        obs_group=sd.obs_group,
        obs_weights=sd.weights,
        cluster=sd.cluster,
        obs_labels=sd.obs_labels,
        alpha=alpha,
        pretest=pretest,
        boot_draws=draws,
        **fields,
    )
