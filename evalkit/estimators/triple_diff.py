"""Triple differences (DDD) with staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025).

Units belong to groups (states, regions) that enable treatment from period ``g`` (the
``group`` column, 0 = never) and are eligible or not (``eligible``, e.g. an age limit);
only eligible units of enabled groups are treated.  For every cohort ``g`` and period
``t``, ATT(g,t) of the eligible units of cohort ``g`` is identified under DDD parallel
trends (the eligible-ineligible gap in trends is the same across cohorts, conditional on
covariates) by a triple difference between cohort ``g`` and a comparison cohort, between
``t`` and a base period, chosen as in :func:`~evalkit.estimators.att_gt.att_gt`.  Each
cell is three 2x2 DiDs of the treated subgroup against the other subgroups
(:mod:`evalkit.estimators.triple_diff_cells`), each by regression adjustment, IPW or the
doubly robust estimator (Sant'Anna & Zhao 2020), for panels or repeated cross-sections.

With ``control_group="not_yet_treated"``, each cohort not yet enabled by ``max(t, base)``
(and the never-enabled) gives its own DDD; they are combined by optimal GMM weights (the
inverse of their covariance), as R triplediff does, because pooling them into one
comparison group is not a valid DDD.

The result is an :class:`~evalkit.estimators.att_gt_result.ATTgtResult`: terms
``cohort::g:time::t``, influence functions, and ``.aggregate("simple" | "group" |
"calendar" | "dynamic")`` weighting cohorts by their shares ``P(G = g)``, as R
triplediff's ``agg_ddd``.  A two-period design is one cell: ``.aggregate("simple")``
gives the term ``ATT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.att_gt import _cells, cell_results
from evalkit.estimators.att_gt_cells import PANEL_ESTIMATORS, RCS_ESTIMATORS
from evalkit.estimators.att_gt_result import ATTgtResult
from evalkit.estimators.triple_diff_cells import ddd_panel, ddd_rcs, gmm_combine
from evalkit.inference.covariance import influence_cov
from evalkit.inference.rng import RNG
from evalkit.progress import progress
from evalkit.rows import numeric_column
from evalkit.staggered.design import build_design
from evalkit.staggered.gt_data import StaggeredData, covariate_columns, staggered_data

__all__ = ["TripleDiffResult", "triple_diff"]


@dataclass(frozen=True, repr=False)
class TripleDiffResult(ATTgtResult):
    """ATT(g,t) of a triple difference; as :class:`ATTgtResult`, with the eligibility of
    each observation (``obs_eligible``): the estimates move one for one with the outcomes
    of eligible units of their cohort only (the wild bootstrap's estimand weights)."""

    obs_eligible: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    def estimand_members(self) -> np.ndarray:
        """Eligible observations of a treated cohort."""
        return super().estimand_members() & self.obs_eligible


def _eligibility(data: pd.DataFrame, eligible: str, unit: str | None, panel: bool, labels: np.ndarray) -> np.ndarray:
    """0/1 eligibility per observation (unit for panels, row otherwise), checked."""
    if eligible not in data.columns:
        raise EvalkitError(f"eligible column {eligible!r} is not in the data (columns: {list(data.columns)[:10]})")
    values = pd.Series(numeric_column(data, eligible, "eligible", "use 1 for eligible units, 0 otherwise"),
                       index=data.index)
    bad = values.isna() | ~values.isin([0.0, 1.0])
    if bad.any():
        raise EvalkitError(
            f"eligible column {eligible!r} must be 0 or 1 in every row; {int(bad.sum())} rows are not, "
            f"e.g. {list(pd.unique(data.loc[bad, eligible])[:5])} (first rows: {list(data.index[bad][:5])})"
        )
    if panel:
        per_unit = values.groupby(data[unit].to_numpy())
        varying = per_unit.nunique() > 1
        if varying.any():
            raise EvalkitError(
                f"eligible column {eligible!r} must be constant within each unit ({unit!r}) of a panel; "
                f"{int(varying.sum())} units change, e.g. {list(varying.index[varying][:5])}"
            )
        return per_unit.first().reindex(labels).to_numpy() == 1
    return values.reindex(labels).to_numpy() == 1


def _estimate_cell(
    sd: StaggeredData, elig: np.ndarray, g: float, ti: int, base: int, control_group: str, anticipation: int,
    est_method: str,
) -> tuple[float, np.ndarray]:
    later = sd.periods[max(ti, base)]
    in_periods = np.ones(sd.n_obs, bool) if sd.panel else (sd.obs_period == ti) | (sd.obs_period == base)
    if control_group == "never_treated":
        comparisons = [0.0]
    else:
        comparisons = [c for c in np.unique(sd.obs_group[in_periods])
                       if c == 0 or (c > later + anticipation and c != g)]
    label = f"for cohort {g:g} in periods {sd.periods[base]:g} and {sd.periods[ti]:g}"
    if not comparisons:
        raise DesignError(f"no comparison units ({control_group.replace('_', '-')}) {label}; "
                          "use control_group='never_treated' or drop the cohort")
    columns, atts = [], []
    for c in comparisons:
        mask = in_periods & ((sd.obs_group == g) | (sd.obs_group == c))
        treated = sd.obs_group[mask] == g
        cohort_label = f"{label} (comparison cohort {c:g})" if len(comparisons) > 1 else label
        if sd.panel:
            res = ddd_panel(sd.outcome[mask, ti], sd.outcome[mask, base], treated, elig[mask],
                            sd.design[mask, base], sd.weights[mask], PANEL_ESTIMATORS[est_method], cohort_label)
        else:
            res = ddd_rcs(sd.outcome[mask], sd.obs_period[mask] == ti, treated, elig[mask], sd.design[mask],
                          sd.weights[mask], RCS_ESTIMATORS[est_method], cohort_label)
        inf = np.zeros(sd.n_obs)
        inf[mask] = res.inf * (sd.n_obs / mask.sum())
        columns.append(inf)
        atts.append(res.att)
    if len(columns) == 1:
        return atts[0], columns[0]
    influence = np.column_stack(columns)
    att, inf, _ = gmm_combine(np.array(atts), influence, influence_cov(influence, sd.cluster, divisor=sd.n_obs))
    return att, inf


def triple_diff(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    eligible: str,
    unit: str | None = None,
    covariates: str | Sequence[str] | None = None,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    base_period: Literal["varying", "universal"] = "varying",
    est_method: Literal["dr", "ipw", "reg"] = "dr",
    panel: bool = True,
    weights: str | None = None,
    anticipation: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
    n_boot: int | None = None,
    rng: RNG = None,
) -> TripleDiffResult:
    """Estimate every ATT(g,t) of a triple-difference design (Ortiz-Villavicencio & Sant'Anna 2025).

    Parameters
    ----------
    data
        Long data: one row per unit and period (``panel=True``) or one row per independent
        observation (``panel=False``); not modified.
    y, time, group, unit
        Outcome, integer period, the period from which the unit's group (state, region)
        enables treatment (R triplediff's ``gname``; 0 or ``inf`` = never) and the unit id
        (panels only).  Two periods and one enabling date is the classic DDD.
    eligible
        0/1 column: the unit is eligible for treatment (R triplediff's ``pname``; constant
        within unit for panels).  Only eligible units of enabled groups are treated.
    covariates
        ``"~ x1 + x2"`` or a list of columns, for conditional DDD parallel trends; propensity
        scores and outcome regressions are fitted within each pair of subgroups.
    control_group
        ``"never_treated"`` or ``"not_yet_treated"`` (one DDD per cohort not yet enabled by
        ``max(t, base) + anticipation``, combined by GMM).
    base_period
        ``"varying"`` or ``"universal"``, as in :func:`~evalkit.estimators.att_gt.att_gt`.
    est_method
        ``"dr"`` (doubly robust, default), ``"ipw"`` or ``"reg"`` (regression adjustment).
    panel
        Balanced panel (``True``; units missing a period are excluded with a warning) or
        repeated cross-sections (``False``).
    weights
        Column of sampling weights (constant within unit for panels).
    anticipation
        Periods before ``g`` in which units may already react.
    cluster
        Column of clusters coarser than units (cluster-robust standard errors and
        bootstrap; one cluster is an error, few give a ``FewClustersWarning``).
    alpha
        Level of the bootstrap's uniform (sup-t) band.
    n_boot, rng
        Multiplier-bootstrap draws (Mammen weights; ``None``: analytic standard errors) and
        the random generator or seed (:func:`evalkit.inference.rng.as_generator`).

    Returns
    -------
    TripleDiffResult
        Terms ``cohort::g:time::t``; standard errors from the influence functions,
        ``sqrt(sum_g S_g^2) / n`` with ``S_g`` their (cluster) sums (R triplediff reports
        ``sd(inf) / sqrt(n)``, the same up to the ``n / (n - 1)`` and centring).  Works with
        ``aggregate()``, :func:`~evalkit.inference.wild_cluster_bootstrap`,
        :func:`~evalkit.sensitivity.honest_did` and the report tables like ``att_gt``.
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError(f"control_group must be 'never_treated' or 'not_yet_treated', got {control_group!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if est_method not in PANEL_ESTIMATORS:
        raise ValueError(f"est_method must be 'dr', 'ipw' or 'reg', got {est_method!r}")
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise ValueError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if not data.index.is_unique:
        data = data.reset_index(drop=True)  # row labels identify repeated cross-section observations
    design = build_design(
        data, y=y, time=time, group=group, unit=unit, covariates=covariate_columns(covariates)[1],
        weights=weights, cluster=cluster, panel=panel, anticipation=anticipation,
    )
    if cluster is not None:
        design.check_clusters()
    sd = staggered_data(design, covariates=covariates, control_group=control_group, anticipation=anticipation,
                        allow_unbalanced_panel=False, clustered=cluster is not None)
    elig = _eligibility(data, eligible, unit, panel, sd.obs_labels)
    cells = _cells(sd.periods, sd.cohorts, base_period, anticipation)
    att = np.zeros(len(cells))
    influence = np.zeros((sd.n_obs, len(cells)))
    for j, (g, ti, base) in enumerate(progress(cells, "DDD ATT(g,t) cells")):
        if ti != base:  # universal base period: the reference cell is 0 by construction
            att[j], influence[:, j] = _estimate_cell(sd, elig, g, ti, base, control_group, anticipation, est_method)

    extra = {
        "control_group": control_group,
        "base_period": base_period,
        "est_method": est_method,
        "panel": panel,
        "eligible": eligible,
        "anticipation": anticipation,
        "n_cohorts": len(sd.cohorts),
        "n_periods": len(sd.periods),
        "n_eligible": int(elig.sum()),
        "n_ineligible": int((~elig).sum()),
    }
    return cell_results(TripleDiffResult, sd, cells, att, influence, n_boot=n_boot, alpha=alpha, rng=rng,
                        model_name="Triple differences ATT(g,t) (Ortiz-Villavicencio & Sant'Anna)", extra=extra,
                        obs_eligible=elig)
