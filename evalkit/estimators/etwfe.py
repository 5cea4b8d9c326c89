"""Extended two-way fixed effects (Wooldridge 2021, 2023): ``etwfe`` and its aggregations.

The regression saturates treatment in cohort x period cells (:mod:`evalkit.estimators.etwfe_design`),
so every cell ``ATT(g,t)`` has its own coefficient and no already-treated unit serves as a
control, which removes the bias of the static TWFE regression under heterogeneous effects.
Linear models are fitted by least squares with cohort and period effects; 0/1 outcomes and
counts by a logit or Poisson model (:mod:`evalkit.estimators.etwfe_fit`), whose effects are
average partial effects on the outcome's scale (:mod:`evalkit.estimators.etwfe_effects`).

:func:`etwfe` returns the cell effects (terms ``cohort::g:time::t``);
:meth:`ETWFEResult.aggregate` averages them over the treated rows as R etwfe's ``emfx``:
``"simple"`` (term ``ATT``), ``"group"`` (``cohort::g``), ``"calendar"`` (``time::t``) and
``"dynamic"`` (``event_time::e``, emfx's ``type = "event"``), each with the overall ``ATT``
(all post-treatment rows of the window) as last term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.estimators.etwfe_design import ControlGroup, ETWFEDesign, etwfe_design
from evalkit.estimators.etwfe_effects import Scale, average_effects, effect_scores, row_weights
from evalkit.estimators.etwfe_fit import ETWFEFit, Family, fit_etwfe
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.inference.covariance import standard_errors
from evalkit.inference.wild_bootstrap_scores import InfluenceScores, RegressionScores
from evalkit.results import EstimationResult
from evalkit.staggered.event_data import bin_event_times, event_design
from evalkit.staggered.terms import OVERALL, cohort_term, event_term, period_term

__all__ = ["ETWFEResult", "etwfe"]

Kind = Literal["simple", "group", "calendar", "dynamic"]
_KINDS = ("simple", "group", "calendar", "dynamic")


def _estimates(d: ETWFEDesign, fit: ETWFEFit, members: list[np.ndarray], terms: list[str], scale: Scale
               ) -> tuple[pd.Series, pd.Series, pd.DataFrame, InfluenceScores | RegressionScores]:
    effects = average_effects(d, fit, row_weights(members, d.w), scale)
    se = standard_errors(effects.cov)
    return (pd.Series(effects.estimates, index=terms, name="estimate"), pd.Series(se, index=terms, name="std_error"),
            pd.DataFrame(effects.cov, index=terms, columns=terms), effect_scores(d, fit, effects, terms))


@dataclass(frozen=True, kw_only=True, repr=False)
class ETWFEResult(EstimationResult):
    """Cell effects ``ATT(g,t)`` of extended TWFE (terms ``cohort::g:time::t``).

    Attributes (beyond :class:`~evalkit.results.EstimationResult`)
    ------------------------------------------------------------------
    design, model
        The saturated design and the fitted regression (``model.beta``, ``model.names``,
        ``model.cov``: every coefficient, for inspection).
    scale
        ``"response"`` (average partial effects on the outcome's scale) or ``"link"``.
    scores
        Wild-bootstrap scores of the cell terms (:meth:`bootstrap_scores`).
    """

    design: ETWFEDesign
    model: ETWFEFit
    scale: str = "response"
    scores: InfluenceScores | RegressionScores = field(repr=False)

    def bootstrap_scores(self, terms: Sequence[str]) -> InfluenceScores | RegressionScores:
        """The scores of ``terms`` for :func:`~evalkit.inference.wild_cluster_bootstrap`."""
        return self.scores.select(terms)

    def coefficients(self) -> pd.DataFrame:
        """Every regression coefficient with its CR1 standard error (as fixest's ``coeftable``)."""
        return pd.DataFrame({"estimate": self.model.beta, "std_error": np.sqrt(np.diag(self.model.cov))},
                            index=pd.Index(self.model.names, name="term"))

    def aggregate(self, kind: Kind = "simple", *, min_e: int | None = None, max_e: int | None = None,
                  scale: Scale | None = None) -> EventStudyResult:
        """Average the row effects over the treated rows (R etwfe's ``emfx``).

        Parameters
        ----------
        kind
            ``"simple"`` (``ATT``), ``"group"`` (``cohort::g``), ``"calendar"`` (``time::t``),
            ``"dynamic"`` (``event_time::e``; with never-treated controls the pre-treatment
            event times too, the reference ``-1`` left out).  Every kind ends with ``ATT``, the
            average over all post-treatment rows in the window.
        min_e, max_e
            Event window: only rows with ``min_e <= t - g <= max_e`` enter (emfx's ``window``).
        scale
            ``"response"`` (average partial effects) or ``"link"`` (default: the fit's).

        Returns
        -------
        EventStudyResult
            Estimates weighted by the rows' weights, delta-method CR1 covariance, ``t(G - 1)``
            p-values; ``event_time`` set for ``dynamic`` (reference ``-1``).
        """
        if kind not in _KINDS:
            raise EvalkitError(f"kind must be one of {list(_KINDS)}, got {kind!r}")
        scale = self.scale if scale is None else scale
        d = self.design
        e = d.time - d.group
        has = d.cell >= 0
        _, outside = bin_event_times(np.where(d.group > 0, e, np.nan), min_e=min_e, max_e=max_e, bin_endpoints=False)
        window = has & ~outside
        post = window & (d.time >= d.group)
        if not post.any() and kind != "dynamic":
            raise DesignError(f"no treated row has an event time in [{min_e}, {max_e}]")
        members: list[np.ndarray] = []
        terms: list[str] = []
        event: list[float] = []
        keys = {"group": d.group, "calendar": d.time, "dynamic": e}
        if kind != "simple":
            rows = window if kind == "dynamic" else post
            label = {"group": cohort_term, "calendar": period_term, "dynamic": event_term}[kind]
            for v in np.unique(keys[kind][rows]):
                members.append(np.flatnonzero(rows & (keys[kind] == v)))
                terms.append(label(v))
                event.append(float(v) if kind == "dynamic" else np.nan)
        if post.any():
            members.append(np.flatnonzero(post))
            terms.append(OVERALL)
            event.append(np.nan)
        params, se, cov, scores = _estimates(d, self.model, members, terms, scale)
        return EventStudyResult(
            params=params, std_errors=se, cov=cov, nobs=self.nobs, cov_type=self.cov_type, df_resid=self.df_resid,
            n_clusters=self.n_clusters, model_name=f"{self.model_name}, {kind}",
            extra={**self.extra, "kind": kind, "scale": scale},
            event_time=pd.Series(event, index=terms, dtype=float), reference=(-1,) if kind == "dynamic" else (),
            scores=scores,
        )


def etwfe(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    group: str,
    unit: str,
    covariates: Sequence[str] = (),
    control_group: ControlGroup = "not_yet_treated",
    family: Family = "gaussian",
    weights: str | None = None,
    cluster: str | None = None,
    scale: Scale = "response",
) -> ETWFEResult:
    """Extended two-way fixed effects (Wooldridge 2021; nonlinear: Wooldridge 2023).

    Parameters
    ----------
    data
        Panel or repeated cross-sections (``unit`` = region, rows = persons); not modified.
    y, time, group, unit
        Outcome, integer period, first treated period (0 or inf = never treated) and unit.
    covariates
        Numeric controls, demeaned within cohort and interacted with the cells, the cohorts
        and the periods (Wooldridge 2021, sec. 6.5; R etwfe's ``fml = y ~ x``).
    control_group
        ``"not_yet_treated"`` (default; Wooldridge's pooled OLS, R etwfe's ``cgroup = "notyet"``)
        or ``"never_treated"`` (cells also before treatment, placebo leads against the
        never-treated; ``cgroup = "never"``).
    family
        ``"gaussian"`` (least squares), ``"poisson"`` (counts, rates) or ``"logit"`` (0/1
        outcomes, shares); nonlinear models include cohort and period indicators.
    weights
        Positive weights: analytic weights of the regression (prior weights of the GLM), and
        the weights of the averages over rows.
    cluster
        Cluster column (default ``unit``); CR1 covariance, ``t(G - 1)`` p-values.
    scale
        ``"response"`` (default): effects on the outcome's scale; ``"link"``: on the linear
        predictor (log points for Poisson, log odds for logit; emfx's ``predict = "link"``).

    Returns
    -------
    ETWFEResult
        Cell effects ``cohort::g:time::t`` (averaged over the cell's rows); ``.aggregate()``.

    Raises
    ------
    DesignError
        No never-treated units with ``control_group="never_treated"``, no control cohort,
        collinear design, a GLM that does not converge.
    """
    if scale not in ("response", "link"):
        raise EvalkitError(f"scale must be 'response' or 'link', got {scale!r}")
    ed = event_design(data, y=y, time=time, group=group, unit=unit, covariates=covariates,
                      weights=weights, cluster=cluster)
    d = etwfe_design(ed, control_group, group)
    fit = fit_etwfe(d, family, y, weights is not None)
    members = [np.flatnonzero(d.cell == k) for k in range(d.n_cells)]
    terms = list(d.cell_names[: d.n_cells])
    params, se, cov, scores = _estimates(d, fit, members, terms, scale)
    return ETWFEResult(
        params=params, std_errors=se, cov=cov, nobs=len(d.y), cov_type="CR1", df_resid=fit.n_clusters - 1,
        n_clusters=fit.n_clusters, model_name=f"Extended TWFE ({family}): {y}",
        extra={"outcome": y, "family": family, "control_group": control_group,
               "covariates": ", ".join(ed.covariate_names) or "none"},
        design=d, model=fit, scale=scale, scores=scores,
    )
