"""The FUI evaluation end to end: panel in, published tables (and better) out."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from os import PathLike
from typing import TYPE_CHECKING

import pandas as pd

from evalkit.cohorts import RolloutSchedule, whole_number, younger_pool
from evalkit.errors import FewClustersWarning
from evalkit.panel import ColumnRoles, StatusPanel, read_panel
from evalkit.progress import stage
from evalkit.replications.fui.descriptives import table_8_1
from evalkit.replications.fui.diagnostics import BAD_CONTROL_NOTE, contamination, contamination_warnings
from evalkit.replications.fui.placebo import placebo_test
from evalkit.replications.fui.published import GROUPS, TABLE_KEYS, published, without_age_terms
from evalkit.replications.fui.regressions import FuiRegressions, fit_fui_regressions, with_covariance
from evalkit.replications.fui.sample import (
    FuiSample,
    FuiSpec,
    check_exposure,
    fui_entry_pool,
    prepare_sample,
    shared_outcome_rows,
)
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.unemployment import check_unemployment
from evalkit.results import Summary
from evalkit.results.display import NotebookDisplay, short_repr

if TYPE_CHECKING:  # the event study and the triple difference (att_gt: scipy.stats, formulaic) load when they run
    from evalkit.replications.fui.event_study import FuiEventStudy
    from evalkit.replications.fui.triple_diff import FuiTripleDiff


@dataclass(frozen=True)
class FuiReplication(NotebookDisplay):
    """Everything the FUI analysis produces.

    Attributes
    ----------
    sample
        The analysis sample (entries with outcomes and covariates) and its reports.
    conventional
        The published models (conventional iid standard errors).
    clustered
        The same models with standard errors clustered by county (CR1).  With 18 counties
        and 6 treated ones these are themselves unreliable; see ``docs/fui.md``.
    without_category
        The models without the need-category control (bad-control check).
    descriptives
        Table 8.1 in the published JSON layout.
    contamination
        Per group and horizon, the share of entrants already exposed to FUI.
    few_clusters
        Per outcome and horizon, the few-cluster-valid p-values and intervals of the FUI
        effect (wild cluster bootstrap and randomization inference by county) beside the
        naive CR1 ones (:func:`~evalkit.replications.fui.inference.few_cluster_inference`;
        ``None`` when not requested).
    event_study
        Event studies of all monthly entry cohorts by months relative to the county's
        start (``None`` when not requested).
    placebo
        The 2x2 "effect" between two pre-rollout windows, per outcome and horizon, with
        a flag for the horizons that are valid placebos (``None`` when not requested).
    triple_diff
        The FUI effect by a triple difference with new users aged 30-34 as the
        within-region comparison (:mod:`evalkit.replications.fui.triple_diff`; ``None``
        when not requested or when the data lack that age band).
    compare_published
        Whether the outputs set the published numbers beside the reproduced ones (off
        for a study of one's own: no published columns, no comparison).
    """

    sample: FuiSample
    conventional: FuiRegressions
    clustered: FuiRegressions
    without_category: FuiRegressions
    descriptives: dict
    contamination: pd.DataFrame
    few_clusters: pd.DataFrame | None = None
    event_study: FuiEventStudy | None = None
    placebo: pd.DataFrame | None = None
    triple_diff: FuiTripleDiff | None = None
    compare_published: bool = True

    def published_numbers(self) -> dict:
        """The published numbers the outputs compare with: :func:`published`, or ``{}`` when off.

        With age bands other than the published ones, the age dummies of tables 8.2-8.3
        are left out (:func:`~evalkit.replications.fui.published.without_age_terms`).
        """
        if not self.compare_published:
            return {}
        return published() if self.sample.spec.published_age_groups else without_age_terms(published())

    def _facts(self) -> dict:
        frame = self.sample.frame
        return {
            "entrants": len(frame),
            "counties": frame["county"].nunique(),
            "treated counties": frame.loc[frame["south_west"] == 1, "county"].nunique(),
            "models": len(self.conventional.models),
            "few-cluster inference": self.few_clusters is not None,
            "event study": self.event_study is not None,
            "placebo": self.placebo is not None,
            "triple difference": self.triple_diff is not None,
        }

    def summary(self) -> Summary:
        """The FUI effect per outcome and horizon (published model) with the design facts.

        ``p_value`` is the published (iid) one, ``p_value_cr1`` county-clustered; with
        few-cluster inference, ``p_value_wild`` is the wild cluster bootstrap's (the valid
        one with 18 counties).  It does not print by itself.
        """
        keys = ["outcome", "horizon"]
        table = self.conventional.effects()[[*keys, "estimate", "std_error", "p_value", "nobs"]]
        table = table.merge(
            self.clustered.effects()[[*keys, "p_value"]].rename(columns={"p_value": "p_value_cr1"}), on=keys
        )
        if self.few_clusters is not None:
            wild = self.few_clusters[[*keys, "wild_p"]].rename(columns={"wild_p": "p_value_wild"})
            table = table.merge(wild, on=keys, how="left")
        codes = sorted({w["code"] for w in self.coded_warnings()})
        notes = (f"design warnings: {', '.join(codes)} (see .warnings())",
                 "more: .effects(), .comparison(), .exclusions(), .few_clusters, .event_study, .placebo")
        return Summary(title="FUI replication: effect of FUI by outcome and horizon", facts=self._facts(),
                       table=table.set_index(keys), notes=notes)

    def __repr__(self) -> str:
        return short_repr("FuiReplication", self._facts(), limit=4)

    def exclusions(self) -> pd.DataFrame:
        """Per model (outcome, horizon): entrants, used, and the excluded by reason.

        ``entrants`` equals ``used`` plus the ``excluded_*`` columns in every row (see
        :func:`~evalkit.replications.fui.regressions.exclusions`).
        """
        sizes = self.conventional.sample_sizes
        return sizes.astype({c: "int64" for c in sizes.columns if c != "outcome"})

    def effects(self) -> pd.DataFrame:
        """The FUI effect by outcome and horizon under each specification."""
        parts = []
        for label, regs in (
            ("published (iid SE)" if self.compare_published else "conventional (iid SE)", self.conventional),
            ("county-clustered SE", self.clustered),
            ("without need category", self.without_category),
        ):
            parts.append(regs.effects().assign(specification=label))
        return pd.concat(parts, ignore_index=True)

    def comparison(self) -> pd.DataFrame:
        """Published vs reproduced coefficients of tables 8.2 and 8.3, difference in SE units.

        No rows when the comparison is off (``compare_published``).
        """
        ref = self.published_numbers()
        rows = []
        for outcome, key in TABLE_KEYS.items():
            mine = self.conventional.table(outcome)
            for term in self.conventional.terms:
                for h, cell in ref.get(key, {}).get(term, {}).items():
                    got = mine.get(term, {}).get(h)
                    if got is None:
                        continue
                    rows.append(
                        {
                            "table": "_".join(key.split("_")[:3]),
                            "outcome": outcome,
                            "term": term,
                            "horizon": int(h),
                            "published_coef": cell["coef"],
                            "published_se": cell["se"],
                            "coef": got["coef"],
                            "se": got["se"],
                            "diff_in_se": (got["coef"] - cell["coef"]) / cell["se"],
                        }
                    )
        columns = ["table", "outcome", "term", "horizon", "published_coef", "published_se", "coef", "se",
                   "diff_in_se"]
        return pd.DataFrame(rows, columns=columns)

    def descriptives_comparison(self) -> pd.DataFrame:
        """Table 8.1: published vs reproduced counts and percentages (published missing when off).

        The rows of the publication that the study's table has: an age row only for a band
        of the published bounds (another band has another name).
        """
        ref = published()["table_8_1_descriptives"]
        mine = self.descriptives
        columns = ("row", "group", "published", "reproduced", "kind")
        rows = []
        for i, group in enumerate(GROUPS):
            rows.append(("n_total", group, ref["n_total"][group], mine["n_total"][group], "count"))
            rows += [
                (row, group, cells[i][1], mine["rows"][row][i][1], "pct") for row, cells in ref["rows"].items()
                if row in mine["rows"]
            ]
            rows.append(
                (
                    "county_unemployment_pct_mean",
                    group,
                    ref["county_unemployment_pct_mean"][i],
                    mine["county_unemployment_pct_mean"][i],
                    "mean",
                )
            )
        out = pd.DataFrame(rows, columns=list(columns))
        if not self.compare_published:
            out["published"] = float("nan")
        out["difference"] = out["reproduced"] - out["published"]
        return out

    def warnings(self) -> list[str]:
        """Design warnings: contaminated horizons, the bad-control caveat and the few clusters."""
        return [w["message"] for w in self.coded_warnings()]

    def coded_warnings(self) -> list[dict]:
        """The design warnings with a stable ``code`` (what CI expectations match on).

        ``{"code", "message", **context}``: ``contamination`` (with ``group``,
        ``horizon``, ``share_exposed``), ``event_study_not_estimated`` (with ``outcome``,
        ``horizon``, ``estimator``, ``entry_month``, ``start_month``, ``reason``),
        ``bad_control``, ``few_clusters`` (with ``n_clusters``, ``n_treated_clusters``).
        """
        n_counties = self.sample.frame["county"].nunique()
        n_treated = self.sample.frame.loc[self.sample.frame["south_west"] == 1, "county"].nunique()
        clusters = (
            f"County-clustered (CR1) SEs rest on {n_counties} counties ({n_treated} treated) and "
            "one treated region: with so few clusters they are too small (MacKinnon & Webb "
            "2017); treat them as a lower bound. "
            + (
                "The few-cluster section gives the valid tests: the wild cluster bootstrap and "
                "randomization inference over counties (Conley & Taber 2011)."
                if self.few_clusters is not None
                else "Run with few-cluster inference (the default; not --no-few-clusters) for the "
                "wild cluster bootstrap and randomization inference over counties (Conley & Taber 2011)."
            )
        )
        contaminated = self.contamination[self.contamination["contaminated"]]
        out = [
            {"code": "contamination", "message": message, "group": str(row.group), "horizon": int(row.horizon),
             "share_exposed": float(row.share_exposed)}
            for message, row in zip(contamination_warnings(contaminated), contaminated.itertuples())
        ]
        if self.event_study is not None:
            out += [
                {"code": "event_study_not_estimated",
                 "message": f"Event study, {row.outcome} {row.horizon} mo: {row.estimator} not estimated: its "
                 f"ATT(g,t) cell of the {row.entry_month} entrants of the counties starting {row.start_month} "
                 f"cannot be estimated ({row.reason}); the other estimators are shown",
                 "outcome": str(row.outcome), "horizon": int(row.horizon), "estimator": str(row.estimator),
                 "entry_month": str(row.entry_month), "start_month": str(row.start_month), "reason": str(row.reason)}
                for row in self.event_study.not_estimated.itertuples()
            ]
        return out + [
            {"code": "bad_control", "message": BAD_CONTROL_NOTE},
            {"code": "few_clusters", "message": clusters, "n_clusters": int(n_counties),
             "n_treated_clusters": int(n_treated)},
        ]

def run_fui(
    panel: StatusPanel | pd.DataFrame | str | PathLike[str],
    unemployment: pd.DataFrame | str | PathLike[str],
    *,
    schedule: RolloutSchedule | None = None,
    spec: FuiSpec | None = None,
    roles: ColumnRoles | None = None,
    unemployment_columns: Mapping[str, str] | None = None,
    few_clusters: bool = True,
    n_boot: int = 9999,
    event_study: bool = True,
    event_study_horizons: tuple[int, ...] | None = None,
    placebo: bool = True,
    placebo_windows: dict[str, tuple[str, str]] | None = None,
    triple_diff: bool = False,
    compare_published: bool = True,
) -> FuiReplication:
    """Run the chapter-8 analysis of the FUI evaluation.

    Parameters
    ----------
    panel
        A status panel (validated, a DataFrame, or a CSV/Parquet path).
    unemployment
        County unemployment rates (a DataFrame, or a CSV/Parquet path): columns
        ``county``, ``month``, ``unemployment_pct`` (percent), checked by :func:`~evalkit.replications.fui.unemployment.check_unemployment`.
    schedule
        The rollout schedule (default: the Norwegian 2017 schedule).  Its start months
        must fit the windows (:func:`~evalkit.replications.fui.sample.check_exposure`);
        this is checked before anything is estimated.
    spec
        Windows, horizons, washout, age limit, categories (published values by default).
    roles
        Column roles when ``panel`` is not yet validated.
    unemployment_columns
        evalkit name -> the user's column of the unemployment table, e.g.
        ``{"unemployment_pct": "ledighet"}``.
    few_clusters
        Add wild cluster bootstrap and randomization inference by county
        (:mod:`evalkit.replications.fui.inference`) to the 2x2 effects, with step-down
        p-values over outcomes and horizons, and the wild cluster bootstrap to the event
        study's imputation estimates.
    n_boot
        Wild bootstrap draws.
    event_study
        Add the staggered-rollout event study of all monthly entry cohorts
        (:mod:`evalkit.replications.fui.event_study`).
    event_study_horizons
        Horizons of the event study (default: those of ``spec``).
    placebo
        Add the placebo test between two pre-rollout windows
        (:mod:`evalkit.replications.fui.placebo`).
    placebo_windows
        The placebo's two windows (default
        :data:`~evalkit.replications.fui.placebo.PLACEBO_WINDOWS`).
    triple_diff
        Add the triple difference with new users aged 30-34 as the within-region
        comparison, when the data have at least
        :data:`~evalkit.replications.fui.triple_diff.MIN_BAND_ENTRANTS` of them in every
        region and window (:func:`~evalkit.replications.fui.triple_diff.fui_triple_diff`;
        with ``few_clusters`` also its wild cluster bootstrap by county).
    compare_published
        Set the published numbers beside the reproduced ones in every output (turn off
        for a study of one's own).
    """
    n_boot = whole_number(n_boot, name="n_boot", minimum=1)
    schedule = schedule or norway_2017_schedule()
    spec = spec or FuiSpec()
    unemployment = check_unemployment(unemployment, columns=unemployment_columns)
    check_exposure(schedule, spec)
    if not isinstance(panel, StatusPanel):
        stage("reading and validating the panel")
        panel = read_panel(panel, roles=roles)
    stage("finding new users and their outcomes")
    # one pass for the entries and one for their outcomes, shared by every analysis below
    # (with the triple difference, of the entrants up to its comparison band's age)
    if triple_diff:
        from evalkit.replications.fui.triple_diff import fui_triple_diff, triple_diff_spec
    pool_spec = triple_diff_spec(spec) if triple_diff else spec
    widest = fui_entry_pool(panel, pool_spec)
    pool = younger_pool(widest, spec.max_age) if triple_diff else widest
    cohort_spec = spec if event_study_horizons is None or not event_study else replace(
        spec, horizons=tuple(event_study_horizons))
    horizons = tuple(sorted({*spec.horizons, *cohort_spec.horizons}))
    rows = (shared_outcome_rows(panel, pool_spec, widest, horizons)
            if placebo or event_study or triple_diff else None)
    sample = prepare_sample(panel, unemployment, schedule, spec, pool=pool, rows=rows)
    stage(f"fitting {3 * len(spec.outcomes) * len(spec.horizons)} linear probability models")
    conventional = fit_fui_regressions(sample)
    with warnings.catch_warnings():
        # 18 counties: the replication reports clustered SEs with this caveat in its docs
        warnings.simplefilter("ignore", FewClustersWarning)
        clustered = with_covariance(conventional, "CR1", cluster="county")  # the same fits, no refit
    without_category = fit_fui_regressions(sample, control_for_category=False)
    inference = None
    if few_clusters:
        stage(f"wild cluster bootstrap ({n_boot:,} draws) and randomization inference by county")
        from evalkit.replications.fui.inference import few_cluster_inference

        inference = few_cluster_inference(clustered, n_boot=n_boot)
    study = None
    if event_study:
        from evalkit.replications.fui.event_study import entry_cohorts, event_study_covariates, fui_event_study

        stage("event study of all monthly entry cohorts")
        study = fui_event_study(
            entry_cohorts(panel, unemployment, schedule, cohort_spec, pool=pool, rows=rows),
            outcomes=cohort_spec.outcomes,
            horizons=cohort_spec.horizons,
            covariates=event_study_covariates(cohort_spec),
            n_boot=n_boot if few_clusters else None,
        )
    ddd = None
    if triple_diff:
        stage("triple difference with new users aged 30-34")
        ddd = fui_triple_diff(panel, unemployment, schedule, spec, n_boot=n_boot if few_clusters else None,
                              pool=widest, rows=rows)
    if placebo:
        stage("placebo test between two pre-rollout windows")
    return FuiReplication(
        sample=sample,
        conventional=conventional,
        clustered=clustered,
        without_category=without_category,
        descriptives=table_8_1(sample),
        contamination=contamination(sample),
        few_clusters=inference,
        event_study=study,
        placebo=(placebo_test(panel, unemployment, schedule, spec, windows=placebo_windows, pool=pool, rows=rows)
                 if placebo else None),
        triple_diff=ddd,
        compare_published=compare_published,
    )
