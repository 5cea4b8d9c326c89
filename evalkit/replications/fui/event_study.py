"""The FUI rollout as a staggered design: event studies of monthly entry cohorts.

The published 2x2 comparison uses four months of entrants per year and loses every later
horizon to contamination (the rest of Norway starts in July 2017).  Here every monthly
cohort of new users from the first confirmable month to the end of the data enters, by
months relative to its county's FUI start; counties not yet treated (the rest of Norway
until July 2017) are the comparison.

Timing with outcome horizons.  The outcome at horizon ``k`` of an entrant of month ``t``
is measured in month ``t + k``; it is (partly) exposed when ``t + k`` is on or after the
county's start ``s``.  So for horizon ``k`` an entry cohort counts as treated from entry
month ``s - k`` on (its *group* is ``s - k``): the comparison cohorts are those whose
outcome month still precedes their own county's start, and the months in which every
county is treated drop out.  Event time is reported as the entry month minus the start
month: ``-k ... -1`` are cohorts that entered before the start but were followed up under
FUI (partly exposed), ``0, 1, ...`` cohorts that entered under FUI.

Estimators: Borusyak, Jaravel & Spiess (2024) imputation (post-period effects, BJS
pre-trend test), Gardner (2022) two-stage event study (leads and lags) and Callaway &
Sant'Anna (2021) ATT(g,t) for repeated cross-sections with the doubly robust estimator
(Sant'Anna & Zhao 2020) and not-yet-treated controls, aggregated by event time; all
clustered by county and valid under heterogeneous, dynamic effects across the rollout.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from evalkit.cohorts import EntryPool, RolloutSchedule, find_entries
from evalkit.errors import CellDesignError, DesignError, EvalkitWarning, ExcludedRowsWarning, FewClustersWarning
from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.att_gt_result import AggregateResult
from evalkit.estimators.event_study_result import EventStudyResult
from evalkit.estimators.imputation import ImputationResult, imputation_did
from evalkit.estimators.two_stage import two_stage_did
from evalkit.outcomes import EXIT_STATES, OutcomeRows, outcomes_at_horizons
from evalkit.panel import StatusPanel
from evalkit.panel.months import month_label
from evalkit.replications.fui.inference import wild_effects
from evalkit.replications.fui.regressions import dummy_terms
from evalkit.replications.fui.sample import FuiSpec, attach_unemployment
from evalkit.results import InvalidTest, Summary
from evalkit.results.display import NotebookDisplay, short_repr
from evalkit.sensitivity import honest_did


#: The estimator whose ATT(g,t) cells can be too small to estimate on a small extract.
CALLAWAY = "Callaway-Sant'Anna (DR)"
#: Columns of :attr:`FuiEventStudy.not_estimated`.
NOT_ESTIMATED_COLUMNS = ("outcome", "horizon", "estimator", "entry_month", "start_month", "reason")


@dataclass(frozen=True)
class FuiEventStudy(NotebookDisplay):
    """Event-study estimates for each outcome and horizon.

    ``estimates`` is tidy: ``outcome, horizon, estimator, event_time, estimate, std_error,
    conf_low, conf_high, p_value``, with event time = entry month minus the county's
    start month.  ``pretrend_tests`` holds the BJS pre-trend test per outcome and horizon.
    ``sensitivity`` holds, per outcome and horizon, Rambachan & Roth (2023) confidence
    intervals for the average effect over the exposed cohorts of the two-stage event study
    when post-period violations of parallel trends may be up to ``m`` times the largest
    pre-period one (relative magnitudes), and the breakdown ``m``.  ``cohorts`` holds, per
    outcome and horizon, the entrants used and those left out by reason
    (:func:`event_study_sample`) and the first and last entry month used.  The imputation
    rows of ``estimates`` carry wild cluster bootstrap ``wild_p``, ``wild_conf_low`` and
    ``wild_conf_high`` (NaN for the other estimators, or without the bootstrap), and
    ``overall`` holds per outcome and horizon the imputation estimate of the average
    effect over all exposed cohorts (``ATT``) with its CR1 and wild-bootstrap inference.
    ``not_estimated`` lists, per outcome and horizon, an estimator left out, the ATT(g,t)
    cell that stopped it (the entry month of its cohort and its counties' start month)
    and why: the Callaway-Sant'Anna estimator fits its outcome and propensity models
    within each cell, which on a small extract can hold too few entrants (collinear
    covariates, no comparison); the other estimators of that model are kept.
    """

    estimates: pd.DataFrame
    pretrend_tests: pd.DataFrame
    cohorts: pd.DataFrame
    sensitivity: pd.DataFrame
    overall: pd.DataFrame | None = None
    not_estimated: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(NOT_ESTIMATED_COLUMNS)))

    def _facts(self) -> dict:
        return {
            "outcomes": ", ".join(self.estimates["outcome"].unique()),
            "horizons": ", ".join(str(h) for h in self.estimates["horizon"].unique()),
            "estimators": self.estimates["estimator"].nunique(),
            "entry months": f"{self.cohorts['first_month'].min()} to {self.cohorts['last_month'].max()}",
        }

    def summary(self) -> Summary:
        """The average effect over exposed cohorts (imputation) per outcome and horizon, with
        the pre-trend test's p-value and the sensitivity breakdown (it does not print by itself)."""
        keys = ["outcome", "horizon"]
        table = self.pretrend_tests[[*keys, "p_value"]].rename(columns={"p_value": "pretrend_p"})
        if self.overall is not None:
            wanted = [c for c in ("estimate", "std_error", "p_value", "wild_p") if c in self.overall.columns]
            table = self.overall[[*keys, *wanted]].merge(table, on=keys)
        breakdown = self.sensitivity.groupby(keys, as_index=False)["breakdown"].first()
        table = table.merge(breakdown, on=keys, how="left")
        notes = ("estimate: imputation (BJS) average over exposed cohorts; breakdown: Rambachan-Roth Mbar",
                 "more: .estimates (by event time), .plot(outcome, horizon), .cohorts, .sensitivity")
        return Summary(title="FUI event study of monthly entry cohorts", facts=self._facts(),
                       table=table.set_index(keys), notes=notes)

    def __repr__(self) -> str:
        return short_repr("FuiEventStudy", self._facts())

    def plot(self, outcome: str, horizon: int, *, lang: str = "en"):
        """All estimators of one outcome and horizon in one figure
        (:func:`~evalkit.replications.fui.figures.event_study_figure`)."""
        from evalkit.replications.fui.figures import event_study_figure

        return event_study_figure(self.estimates, lang=lang, outcome=outcome, horizon=horizon)

    def plot_all(self, *, lang: str = "en", sharey: bool = True):
        """One panel per outcome (rows) and horizon (columns) in a single figure, one legend."""
        from evalkit.replications.fui.figures import event_study_figure

        return event_study_figure(self.estimates, lang=lang, sharey=sharey)

    def exposed_effects(self, estimator: str = "imputation (BJS)") -> pd.DataFrame:
        """Effects of cohorts whose outcome month fell under FUI (event time >= -horizon).

        Event times ``-horizon ... -1`` are cohorts that entered before the start and were
        partly followed up under FUI; ``0, 1, ...`` entered under FUI.
        """
        part = self.estimates[
            (self.estimates["estimator"] == estimator) & (self.estimates["event_time"] >= -self.estimates["horizon"])
        ]
        return part.drop(columns="estimator").reset_index(drop=True)


def event_study_covariates(spec: FuiSpec) -> tuple[str, ...]:
    """Controls of the untreated-outcome model: fixed at entry, or set outside the reform.

    ``female``, the age-band dummies of the spec (:meth:`~FuiSpec.age_bands`, the first the
    reference), the education dummies and ``county_unemployment_pct``: for the published
    bands ``age_20_24`` and ``age_25_29``.  The need category is left out on purpose: it is
    assigned under the new regime (a bad control).
    """
    dummies = [t for t, (column, _) in dummy_terms(spec).items() if column in ("age_group", "education_level")]
    return ("female", *dummies, "county_unemployment_pct")


def entry_cohorts(
    panel: StatusPanel, unemployment: pd.DataFrame, schedule: RolloutSchedule, spec: FuiSpec | None = None,
    *, pool: EntryPool | None = None, rows: OutcomeRows | None = None,
) -> pd.DataFrame:
    """Every new user of the panel (no entry windows) with outcomes, covariates and start month.

    ``pool`` holds the panel's entries before any window (:func:`~evalkit.cohorts.entry_pool`) and ``rows``
    their states after entry (:func:`~evalkit.outcomes.outcome_rows`), reused when given.

    Entrants with unknown sex or education are kept with missing covariates (the dummies
    are missing too); :func:`fui_event_study` leaves them out of each model and counts them.
    """
    spec = spec or FuiSpec()
    entries = find_entries(
        panel, washout=spec.washout, categories=spec.categories, max_age=spec.max_age, min_age=spec.min_age or None,
        age_groups=spec.age_bands(), schedule=schedule, pool=pool,
    )
    frame = outcomes_at_horizons(panel, entries, horizons=spec.horizons, states=spec.states, ever=spec.ever,
                                 rows=rows).frame
    frame["county_unemployment_pct"] = attach_unemployment(frame, unemployment)
    frame["female"] = frame["female"].astype(float)
    for name, (column, level) in dummy_terms(spec).items():
        if not name.startswith(("category_", "entry_month_")):
            frame[name] = (frame[column] == level).astype(float).where(frame[column].notna())
    return frame


#: Columns whose missing value leaves an entrant out of the event study (the sources of
#: :func:`event_study_covariates`).
COVARIATE_SOURCES = ("female", "age_group", "education_level", "county_unemployment_pct")


def event_study_sample(cohorts: pd.DataFrame, outcome: str, horizon: int, last_start: int) -> tuple[pd.Series, dict]:
    """Which entrants one event-study model uses, and the others counted by reason.

    Reasons, each entrant counted once in this order: ``excluded_all_counties_treated``
    (outcome month on or after the last county's start: no comparison left),
    ``excluded_outcome_missing`` (censored, no row or status not recorded), ``excluded_missing_<column>`` (the
    only covariate source missing) and ``excluded_missing_several_covariates``; so
    ``entrants = used + excluded``.
    """
    column = f"{outcome}_{horizon}"
    late = (cohorts["entry_month"] >= last_start - horizon).to_numpy()
    no_outcome = cohorts[column].isna().to_numpy() & ~late
    sources = [c for c in COVARIATE_SOURCES if c in cohorts]
    lacking = cohorts[sources].isna().to_numpy()
    n_lacking = lacking.sum(axis=1)
    rest = ~late & ~no_outcome
    use = rest & (n_lacking == 0)
    counts = {
        "entrants": len(cohorts),
        "used": int(use.sum()),
        "excluded_all_counties_treated": int(late.sum()),
        "excluded_outcome_missing": int(no_outcome.sum()),
        **{f"excluded_missing_{c}": int((rest & (n_lacking == 1) & lacking[:, j]).sum()) for j, c in enumerate(sources)},
        "excluded_missing_several_covariates": int((rest & (n_lacking > 1)).sum()),
    }
    return pd.Series(use, index=cohorts.index), counts


def fui_event_study(
    cohorts: pd.DataFrame,
    *,
    outcomes: tuple[str, ...] = EXIT_STATES,
    horizons: tuple[int, ...] = (1, 3, 6, 9),
    leads: int = 6,
    covariates: tuple[str, ...] | None = None,
    sensitivity_m: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
    n_boot: int | None = 9999,
    seed: int = 2017,
) -> FuiEventStudy:
    """Imputation and two-stage event studies of the FUI rollout by entry cohort.

    Parameters
    ----------
    cohorts
        Output of :func:`entry_cohorts`: one row per entry with ``county``, ``entry_month``,
        ``start_month`` and outcome columns ``<outcome>_<horizon>``.
    leads
        Pre-periods (before partial exposure) in the BJS pre-trend test; fewer where the
        treated counties have fewer untreated cohorts in the data.
    covariates
        Numeric controls of the untreated-outcome model (``None``: those of the published
        spec, :func:`event_study_covariates`; pass the cohorts' spec's for other age bands).
    sensitivity_m
        Bounds ``Mbar`` of the relative-magnitudes sensitivity analysis.
    n_boot, seed
        Draws and seed of the wild cluster bootstrap of the imputation estimates by county
        (:func:`~evalkit.replications.fui.inference.wild_effects`); ``None``: no bootstrap.
    """
    covariates = event_study_covariates(FuiSpec()) if covariates is None else tuple(covariates)
    counts, samples = [], {}
    last_start = int(cohorts["start_month"].max())
    for outcome in outcomes:
        for k in horizons:
            column = f"{outcome}_{k}"
            use, sizes = event_study_sample(cohorts, outcome, k, last_start)
            data = _model_data(cohorts, use, [column], covariates, k)
            counts.append(
                {"outcome": outcome, "horizon": k, **sizes,
                 "first_month": month_label(data["entry_month"].min()),
                 "last_month": month_label(data["entry_month"].max())}
            )
            untreated = int(data["group"].min() - data["entry_month"].min())
            if untreated < 1:
                raise DesignError(
                    f"the event study cannot estimate horizon {k}: outcome {k} months after entry reaches the "
                    f"first county's start ({month_label(data['group'].min() + k)}) for every entry cohort in the "
                    f"data (the first is {month_label(data['entry_month'].min())}), so the first-treated counties "
                    "have no untreated cohort to impute from; estimate the event study at shorter horizons"
                )
            samples[outcome, k] = use, untreated
    parts = {}
    for k in horizons:
        # the outcomes of a horizon observed for the same entrants share each estimator's design (one call)
        same_rows: dict[bytes, list[str]] = {}
        for outcome in outcomes:
            same_rows.setdefault(samples[outcome, k][0].to_numpy().tobytes(), []).append(outcome)
        for shared in same_rows.values():
            use, untreated = samples[shared[0], k]
            columns = [f"{o}_{k}" for o in shared]
            joint = _model_data(cohorts, use, columns, covariates, k)
            # every lead needs untreated cohorts of the first-treated counties before it
            usable = min(leads, untreated - 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExcludedRowsWarning)
                warnings.simplefilter("ignore", FewClustersWarning)  # stated once by the report's diagnostics
                cols = dict(y=columns, time="entry_month", group="group", unit="county", cluster="county",
                            covariates=list(covariates))
                imputed = imputation_did(joint, **cols, min_e=-usable if usable >= 1 else None)
                staged = two_stage_did(joint, **cols, ref=-1)
                callaway = _callaway(joint, columns, covariates)
            for outcome, column in zip(shared, columns):
                parts[outcome, k] = _estimate(imputed[column], staged[column], callaway[column], outcome, k, usable,
                                              sensitivity_m, n_boot, seed)
    rows, tests, robust, overall, skipped = [], [], [], [], []
    for outcome in outcomes:
        for k in horizons:
            estimated, test, sens, average, failed = parts[outcome, k]
            rows.extend(estimated)
            tests.append(test)
            robust.append(sens)
            overall.append(average)
            skipped.extend(failed)
    estimates = pd.concat(rows, ignore_index=True).reindex(
        columns=["outcome", "horizon", "estimator", "event_time", "estimate", "std_error", "conf_low", "conf_high",
                 "p_value", "wild_p", "wild_conf_low", "wild_conf_high"]
    )
    averages = pd.concat(overall, ignore_index=True)
    averages = averages[["outcome", "horizon", *[c for c in averages.columns if c not in ("outcome", "horizon")]]]
    return FuiEventStudy(
        estimates=estimates,
        pretrend_tests=pd.DataFrame(tests),
        cohorts=pd.DataFrame(counts),
        sensitivity=pd.concat(robust, ignore_index=True),
        overall=averages,
        not_estimated=pd.DataFrame(skipped, columns=list(NOT_ESTIMATED_COLUMNS)),
    )


def _failed_cell(error: CellDesignError, horizon: int) -> dict[str, str]:
    """The ATT(g,t) cell that stopped Callaway-Sant'Anna, as months, and why (the error's
    ``reason``: without the cell's periods, which are month indices here, and without
    att_gt's advice on arguments the event study sets): the cell's period is an entry
    month and its group the counties' start minus the horizon."""
    return {"entry_month": month_label(int(error.period)), "start_month": month_label(int(error.group) + horizon),
            "reason": error.reason}


def _model_data(cohorts: pd.DataFrame, use: pd.Series, columns: list[str], covariates: tuple[str, ...],
                horizon: int) -> pd.DataFrame:
    """The entrants ``use`` with the outcome ``columns`` and ``covariates`` of one event-study
    model at ``horizon``, and their group (start month minus the horizon)."""
    data = cohorts.loc[use, ["county", "entry_month", "start_month", *columns, *covariates]]
    return data.assign(
        group=lambda d: (d["start_month"] - horizon).astype("int64"),
        entry_month=lambda d: d["entry_month"].astype("int64"),
    )


def _callaway(data: pd.DataFrame, columns: list[str], covariates: tuple[str, ...]) -> dict:
    """The Callaway-Sant'Anna event study (ATT(g,t) aggregated by event time) of each outcome
    column, or the :class:`CellDesignError` that stopped it: one ``att_gt`` of all the
    columns (the same entrants), or, when a cell fails, one per column for its own error."""
    kwargs = dict(time="entry_month", group="group", covariates=list(covariates), control_group="not_yet_treated",
                  est_method="dr", panel=False, cluster="county")
    try:
        return {column: res.aggregate("dynamic") for column, res in att_gt(data, y=columns, **kwargs).items()}
    except CellDesignError as error:
        if len(columns) == 1:
            return {columns[0]: error}
    out: dict = {}
    for column in columns:
        try:
            out[column] = att_gt(data, y=column, **kwargs).aggregate("dynamic")
        except CellDesignError as error:
            out[column] = error
    return out


def _estimate(
    imputed: ImputationResult, staged: EventStudyResult, callaway: AggregateResult | CellDesignError, outcome: str,
    k: int, usable: int, sensitivity_m: tuple[float, ...], n_boot: int | None, seed: int,
) -> tuple[list[pd.DataFrame], dict, pd.DataFrame, pd.DataFrame, list[dict]]:
    """The sensitivity analysis and wild bootstrap of one outcome and horizon beside its imputation,
    two-stage and Callaway-Sant'Anna results (or the error that stopped the latter), and the rows of
    :class:`FuiEventStudy`'s tables: estimates, pre-trend test, sensitivity, overall effect and the
    estimator left out (if any)."""
    skipped = []
    if usable >= 1:
        test: object = imputed.pretrend_test
    else:
        test = InvalidTest(
            f"no pre-trend test: the first-treated counties have {usable + 1} untreated "
            "entry cohort(s) in the data, too few to estimate leads beside the county effects"
        )
    if isinstance(callaway, CellDesignError):
        skipped.append({"outcome": outcome, "horizon": k, "estimator": CALLAWAY, **_failed_cell(callaway, k)})
    with warnings.catch_warnings():
        # intervals reaching the edge of the search grid are flagged in `open_end`
        warnings.simplefilter("ignore", EvalkitWarning)
        honest = honest_did(staged, method="relative_magnitudes", m=sensitivity_m, target="average")
    sens = honest.tidy().rename(columns={"m_bar": "m"}).assign(outcome=outcome, horizon=k,
                                                                breakdown=honest.breakdown())
    results = [("imputation (BJS)", imputed), ("two-stage (Gardner)", staged)]
    if not isinstance(callaway, CellDesignError):
        results.append((CALLAWAY, callaway))
    wild = wild_effects(imputed, n_boot=n_boot, seed=seed) if n_boot else None
    rows = []
    for name, res in results:
        tidy = res.tidy()
        if res is imputed:
            tidy = tidy if wild is None else tidy.join(wild, on="term")
            average = tidy[tidy["term"] == "ATT"].drop(columns=["term", "event_time"])
            average = average.assign(outcome=outcome, horizon=k)
        tidy = tidy[tidy["event_time"].notna()]
        rows.append(tidy.assign(outcome=outcome, horizon=k, estimator=name, event_time=tidy["event_time"] - k))
    pretrend = {"outcome": outcome, "horizon": k, "statistic": getattr(test, "statistic", float("nan")),
                "p_value": getattr(test, "p_value", float("nan")), "note": str(test)}
    return rows, pretrend, sens[["outcome", "horizon", "m", "conf_low", "conf_high", "open_end", "breakdown"]], \
        average, skipped
