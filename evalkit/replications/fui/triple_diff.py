"""The FUI effect by a triple difference: new users aged 30-34 as the within-region comparison.

FUI applies to new users under 30 only.  New users aged 30-34 who enter NAV in the same
counties and months share the region's labour market but not the reform, so the 2x2 of
the under-30s (south-west vs the rest, 2017 vs 2016) minus the same 2x2 of the 30-34s
removes any shock specific to the south-west in 2017 -- the main threat to the published
2x2 (with one treated region, neither the wild bootstrap nor randomization over counties
can tell such a shock from the reform).  It assumes instead that the gap between the two
age bands would have changed alike in both regions (DDD parallel trends,
Ortiz-Villavicencio & Sant'Anna 2025).

For each outcome and horizon, :func:`~evalkit.estimators.triple_diff` (repeated cross-
sections of the entry windows; doubly robust by default) with the model's covariates
(``FuiSpec.covariates``) but those of :data:`NOT_COVARIATES` -- for the published model
female, education, county unemployment, the need category (when the spec controls for
it) and the entry-month dummies; clustered by county, with the wild cluster bootstrap by
county (Webb weights) as for the 2x2.
Entrants with a missing covariate or outcome are left out, and counted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evalkit.cohorts import EntryPool, RolloutSchedule
from evalkit.errors import FewClustersWarning
from evalkit.estimators.triple_diff import TripleDiffResult, triple_diff
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap
from evalkit.outcomes import OutcomeRows
from evalkit.panel import StatusPanel
from evalkit.progress import progress
from evalkit.replications.fui.regressions import design_frame, required_columns
from evalkit.replications.fui.sample import FuiSample, FuiSpec, prepare_sample
from evalkit.results import Summary, WildBootstrapTest
from evalkit.results.display import NotebookDisplay, short_repr

#: Ages at entry (ends included) of the comparison band above the age limit.
COMPARISON_AGES = (30, 34)
#: Fewest comparison-band entrants in each region x window for the triple difference.
MIN_BAND_ENTRANTS = 20
#: Model columns the DDD leaves out: age defines eligibility, and columns constant within
#: a region would separate the treated from the comparison region.  Fixed effects of the
#: spec are not used either (the doubly robust DDD fits its models within pairs of subgroups).
NOT_COVARIATES = ("age", "age_group", "birth_year", "county", "region")
#: The DDD's term (the one treated cohort, the post window).
DDD_TERM = "cohort::2:time::2"


@dataclass(frozen=True)
class FuiTripleDiff(NotebookDisplay):
    """Triple-difference FUI effects per outcome and horizon.

    Attributes
    ----------
    models
        ``(outcome, horizon) -> TripleDiffResult`` (term ``cohort::2:time::2``).
    wild
        ``(outcome, horizon) -> WildBootstrapTest`` by county (empty without bootstrap).
    entrants
        Entrants per region x window x age band (``eligible``: under the age limit).
    ages
        The comparison band's ages.
    est_method
        ``"dr"``, ``"ipw"`` or ``"reg"``.
    """

    models: dict[tuple[str, int], TripleDiffResult]
    wild: dict[tuple[str, int], WildBootstrapTest]
    entrants: pd.DataFrame
    ages: tuple[int, int]
    est_method: str

    def effects(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per outcome and horizon: the DDD ``estimate``, its county-clustered
        ``std_error``, ``p_value``, ``conf_low``/``conf_high``, ``nobs`` and, with the
        bootstrap, ``wild_p`` and ``wild_conf_low``/``wild_conf_high``."""
        rows = []
        for (outcome, horizon), res in self.models.items():
            tidy = res.tidy(alpha).iloc[0]
            row = {"outcome": outcome, "horizon": horizon, "estimate": tidy["estimate"],
                   "std_error": tidy["std_error"], "p_value": tidy["p_value"], "conf_low": tidy["conf_low"],
                   "conf_high": tidy["conf_high"], "nobs": res.nobs}
            wild = self.wild.get((outcome, horizon))
            if wild is not None:
                row.update(wild_p=wild.p_value, wild_conf_low=wild.interval[0], wild_conf_high=wild.interval[1])
            rows.append(row)
        return pd.DataFrame(rows)

    def beside(self, two_by_two: pd.DataFrame) -> pd.DataFrame:
        """The published 2x2 (``two_by_two``: ``outcome``, ``horizon``, ``estimate``,
        ``std_error``, ``p_value``, ``nobs``, e.g. ``rep.conventional.effects()``) and the
        DDD side by side: one row per method, outcome and horizon, with ``p_value`` the
        wild cluster bootstrap's for the DDD when computed (the valid one with 18
        counties) and its ``p_method``."""
        keys = ["outcome", "horizon"]
        ddd = self.effects()
        ddd["p_method"] = "wild" if "wild_p" in ddd else "cr_influence"
        if "wild_p" in ddd:
            ddd["p_value"] = ddd["wild_p"]
        two = two_by_two[[*keys, "estimate", "std_error", "p_value", "nobs"]].assign(p_method="iid")
        parts = [two.assign(method="2x2 (published)"),
                 ddd[[*keys, "estimate", "std_error", "p_value", "nobs", "p_method"]].assign(
                     method=f"DDD (ages {self.ages[0]}-{self.ages[1]})")]
        return pd.concat(parts, ignore_index=True)[["method", *keys, "estimate", "std_error", "p_value", "p_method",
                                                      "nobs"]]

    def _facts(self) -> dict:
        return {"comparison": f"new users aged {self.ages[0]}-{self.ages[1]}", "estimator": self.est_method,
                "models": len(self.models), "wild bootstrap": bool(self.wild)}

    def summary(self) -> Summary:
        """The DDD effects (:meth:`effects`) with the design facts; it does not print by itself."""
        return Summary(title="FUI effect by triple difference (within-region age comparison)", facts=self._facts(),
                       table=self.effects().set_index(["outcome", "horizon"]),
                       notes=("entrants per region, window and age band: .entrants",))

    def __repr__(self) -> str:
        return short_repr("FuiTripleDiff", self._facts())


def _design(sample: FuiSample, max_age: int) -> tuple[pd.DataFrame, list[str]]:
    """Numeric columns of the DDD: time (1, 2), group (2 = treated region), eligible
    (age at most ``max_age``), county, and the model's covariates (the regressors of
    :func:`~evalkit.replications.fui.regressions.design_frame` but ``t2`` and
    ``south_west``); and the covariate names."""
    frame = sample.frame
    covariates = design_frame(sample, control_for_category=sample.spec.control_for_category).drop(
        columns=["t2", "south_west"])
    out = pd.DataFrame({
        "time": frame["t2"].to_numpy() + 1,
        "group": np.where(frame["south_west"].to_numpy() == 1, 2, 0),
        "eligible": (frame["age"].to_numpy() <= max_age).astype(int),
        "county": frame["county"].astype(str).to_numpy(),
    }, index=frame.index)
    return pd.concat([out, covariates], axis=1), list(covariates.columns)


def triple_diff_spec(spec: FuiSpec, ages: tuple[int, int] = COMPARISON_AGES) -> FuiSpec:
    """The spec of the DDD's entrants: ``spec`` with the age limit raised to ``ages[1]``,
    the published age bands, no fixed effects and the covariates but :data:`NOT_COVARIATES`."""
    if not spec.max_age < ages[0] <= ages[1]:
        raise ValueError(f"the comparison ages {ages} must lie above the age limit {spec.max_age}")
    return replace(spec, max_age=ages[1], age_groups=None, fixed_effects=(),
                   covariates=tuple(c for c in spec.covariates if c not in NOT_COVARIATES))


def fui_triple_diff(
    panel: StatusPanel,
    unemployment: pd.DataFrame,
    schedule: RolloutSchedule,
    spec: FuiSpec,
    *,
    ages: tuple[int, int] = COMPARISON_AGES,
    est_method: str = "dr",
    n_boot: int | None = 9999,
    seed: int = 2017,
    pool: EntryPool | None = None,
    rows: OutcomeRows | None = None,
) -> FuiTripleDiff | None:
    """The triple-difference FUI effect per outcome and horizon, or ``None`` when the data
    have fewer than :data:`MIN_BAND_ENTRANTS` new users aged ``ages`` in some region x window.

    Parameters
    ----------
    panel, unemployment, schedule, spec
        As for :func:`~evalkit.replications.fui.run_fui`; the entrants are found as for the
        2x2 with the age limit raised to ``ages[1]``.
    ages
        The comparison band (ages at entry, ends included), above ``spec.max_age``.
    est_method
        ``"dr"`` (default), ``"ipw"`` or ``"reg"`` (:func:`~evalkit.estimators.triple_diff`).
    n_boot, seed
        Wild cluster bootstrap draws by county (Webb weights; ``None``: none) and their seed.
    pool, rows
        The entry pool of :func:`triple_diff_spec` (:func:`~evalkit.replications.fui.sample.fui_entry_pool`)
        and the outcome rows of its entries (:func:`~evalkit.replications.fui.sample.shared_outcome_rows`),
        shared with the 2x2 (:func:`~evalkit.cohorts.younger_pool`); found when not given.
    """
    ddd_spec = triple_diff_spec(spec, ages)
    sample = prepare_sample(panel, unemployment, schedule, ddd_spec, pool=pool, rows=rows)
    frame = sample.frame
    sample = replace(sample, frame=frame[(frame["age"] <= spec.max_age) | (frame["age"] >= ages[0])])
    frame = sample.frame
    data, covariates = _design(sample, spec.max_age)
    entrants = (data.assign(band=np.where(data["eligible"] == 1, f"under {spec.max_age + 1}", f"{ages[0]}-{ages[1]}"),
                            group=frame["group"].to_numpy())
                .groupby(["group", "band"]).size().rename("entrants").reset_index())
    band = entrants[entrants["band"] != f"under {spec.max_age + 1}"]
    if len(band) < 4 or band["entrants"].min() < MIN_BAND_ENTRANTS:
        return None
    complete = frame[list(required_columns(ddd_spec))].notna().all(axis=1)
    models, wild = {}, {}
    keys = [(o, h) for o in spec.outcomes for h in spec.horizons]
    for outcome, horizon in progress(keys, "triple differences"):
        y = frame[f"{outcome}_{horizon}"]
        rows = (complete & y.notna()).to_numpy()
        cell = data[rows].assign(y=y[rows].astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)  # 18 counties: the wild bootstrap is the test
            res = triple_diff(cell, y="y", time="time", group="group", eligible="eligible", covariates=covariates,
                              est_method=est_method, panel=False, cluster="county")
            models[outcome, horizon] = res
            if n_boot is not None:
                wild[outcome, horizon] = wild_cluster_bootstrap(res, DDD_TERM, n_boot=n_boot, weight_type="webb",
                                                                rng=seed)
    return FuiTripleDiff(models=models, wild=wild, entrants=entrants, ages=tuple(ages), est_method=est_method)
