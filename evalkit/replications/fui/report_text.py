"""The FUI replication as terminal text: every line at most 100 characters.

Tables too wide for the terminal continue below by blocks of horizons or event times;
the full tables are in the reports of ``--out`` (CSV, Markdown, HTML, ``results.json``).
Counts and rates pass through the disclosure rule (:mod:`evalkit.replications.fui.disclosed`);
p-values read ``< 0.001`` rather than ``0.0000``.
"""

from __future__ import annotations

import pandas as pd

from evalkit.replications.fui import disclosed
from evalkit.replications.fui.labels import label
from evalkit.replications.fui.published import TABLE_KEYS
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.text import WIDTH, bullet, format_p, paragraph, table

__all__ = ["entries_text", "to_text"]

OUTCOME_TITLES = {"employed": "Table 8.2: employment", "in_education": "Table 8.3: education"}


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _cell(estimate: float, se: float, p: float | None = None) -> str:
    return f"{estimate:.3f} ({se:.3f}){'' if p is None else _stars(p)}"


def entries_text(rep: FuiReplication, rule: DisclosureControl) -> str:
    """The entry steps with their counts (suppressed steps show the marker)."""
    steps = dict(rep.sample.entries.report.steps)
    hidden = disclosed.entries(steps, rule)
    width = min(max((len(k) for k in steps), default=0), WIDTH - 16)
    lines = ["entries:"]
    for step, count in steps.items():
        shown = rule.marker if hidden[step] else f"{count:,}"
        lines.append(f"  {step[:width]:<{width}}  {shown:>10}")
    return "\n".join(lines)


def sizes_text(sizes: pd.DataFrame, rule: DisclosureControl, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Per model: entrants, used and the reasons that occur, suppressed cells marked."""
    mask = disclosed.model_sizes(sizes, rule)
    reasons = [c for c in sizes.columns if c.startswith("excluded_") and sizes[c].any()]
    columns = ["entrants", "used", *reasons]
    shown = pd.DataFrame(
        {c: [rule.marker if h else f"{v:,}" for v, h in zip(sizes[c], mask[c])] for c in columns}, index=sizes.index
    )
    shown.index = pd.MultiIndex.from_frame(sizes[["outcome", "horizon"]])
    labels = labels or {}
    return shown.rename(columns={c: labels.get(c) or _reason(c) for c in reasons})


def _reason(column: str) -> str:
    """``excluded_missing_female`` -> ``missing female``, ``excluded_outcome_no_row`` -> ``outcome no row``."""
    reason = column.removeprefix("excluded_")
    if reason.startswith("missing_") and reason != "missing_several_covariates":
        return reason.replace("missing_", "missing ", 1)
    return reason.replace("_", " ")


def regression_text(rep: FuiReplication, outcome: str, rule: DisclosureControl, *, norwegian: bool) -> pd.DataFrame:
    """One row per published term; per horizon ``coef (se)`` and the published value.

    The published columns are left out for an outcome without published numbers (the
    publication has the states at the horizon) or with the comparison off.
    """
    ref = rep.published_numbers().get(TABLE_KEYS.get(outcome, ""), {})
    sizes = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    columns: dict[str, list[str]] = {}
    for h in rep.sample.spec.horizons:
        tidy = rep.conventional.tidy(outcome, h)
        hidden = rule.too_few(sizes[(outcome, h)])
        mine, pub = [], []
        for term in rep.conventional.terms:
            if term in tidy.index:
                cell = tidy.loc[term]
                mine.append(rule.marker if hidden else _cell(cell["estimate"], cell["std_error"], cell["p_value"]))
            else:
                mine.append("")
            p = ref.get(term, {}).get(str(h))
            pub.append("" if p is None else _cell(p["coef"], p["se"]))
        n = sizes[(outcome, h)]
        columns[f"{h} mo"] = mine + [rule.marker if rule.small(n) else f"{n:,}"]
        if ref:
            columns[f"{h} mo published"] = pub + [""]
    index = [label(t, "nb") if norwegian else t for t in rep.conventional.terms] + ["N"]
    return pd.DataFrame(columns, index=index)


def effects_text(rep: FuiReplication) -> pd.DataFrame:
    """The FUI effect by specification, outcome and horizon."""
    eff = rep.effects()
    eff["cell"] = [_cell(e, s, p) for e, s, p in zip(eff["estimate"], eff["std_error"], eff["p_value"])]
    eff["specification"] = eff["specification"].str.replace(" (iid SE)", "", regex=False)
    table_ = eff.pivot_table(index=["specification", "outcome"], columns="horizon", values="cell", aggfunc="first")
    table_.columns = [f"{h} mo" for h in table_.columns]
    return table_


def few_clusters_text(rep: FuiReplication) -> pd.DataFrame:
    """Per outcome and horizon: the few-cluster-valid p-values and intervals, CR1 last (naive)."""
    frame = rep.few_clusters
    out = frame[["outcome", "horizon"]].copy()
    out["estimate"] = frame["estimate"].map(lambda v: f"{v:.3f}")
    methods = [c.removesuffix("_p") for c in frame.columns if c.endswith("_p") and c != "cr1_p"] + ["cr1"]
    for method in methods:
        label = {"cr1": "CR1 (naive)", "romano_wolf": "wild step-down", "westfall_young": "randomization step-down"}.get(
            method, method)
        out[f"{label} p"] = frame[f"{method}_p"].map(format_p)
        if f"{method}_conf_low" in frame.columns:
            out[f"{label} 95% CI"] = [f"[{lo:.3f}, {hi:.3f}]"
                                      for lo, hi in zip(frame[f"{method}_conf_low"], frame[f"{method}_conf_high"])]
    return out.set_index(["outcome", "horizon"])


def _few_clusters_parts(rep: FuiReplication) -> list[str]:
    """The few-cluster section: which inference is valid and why, the table, what each method is."""
    from evalkit.replications.fui.inference import METHOD_NOTES  # the few-cluster tests, loaded when they ran

    frame = rep.sample.frame
    counties, treated = frame["county"].nunique(), frame.loc[frame["south_west"] == 1, "county"].nunique()
    title = (f"Inference with few treated counties ({counties} counties, {treated} treated, one treated region): "
             "the wild cluster bootstrap and randomization inference are valid with so few clusters and are "
             "the inference of this report; CR1 is shown only as the naive comparison")
    return [*_section(title, table(few_clusters_text(rep)))[:-1], *[bullet(n) for n in METHOD_NOTES], ""]


def _event_study_p(frame: pd.DataFrame) -> pd.Series:
    """The p-value behind the stars: the wild cluster bootstrap's where computed, else CR1."""
    return frame["wild_p"].fillna(frame["p_value"]) if "wild_p" in frame else frame["p_value"]


def event_study_text(rep: FuiReplication) -> pd.DataFrame:
    """Imputation estimates of exposed cohorts, ``estimate (se)`` by event time."""
    post = rep.event_study.exposed_effects()
    post["cell"] = [_cell(e, s, p) for e, s, p in zip(post["estimate"], post["std_error"], _event_study_p(post))]
    frame = post.pivot_table(index=["outcome", "horizon"], columns="event_time", values="cell", aggfunc="first")
    frame.columns = [f"e={int(c)}" for c in frame.columns]
    return frame.fillna("")


def sensitivity_text(rep: FuiReplication) -> pd.DataFrame:
    """Robust intervals by ``Mbar`` and the breakdown value per outcome and horizon."""
    sens = rep.event_study.sensitivity
    sens = sens.assign(cell=[f"[{lo:.3f}, {hi:.3f}]" + ("+" if open_end else "")
                             for lo, hi, open_end in zip(sens["conf_low"], sens["conf_high"], sens["open_end"])])
    frame = sens.pivot_table(index=["outcome", "horizon"], columns="m", values="cell", aggfunc="first")
    frame.columns = [f"Mbar={m:g}" for m in frame.columns]
    frame["breakdown"] = sens.groupby(["outcome", "horizon"])["breakdown"].first().map(lambda v: f"{v:g}")
    return frame


def placebo_text(rep: FuiReplication, rule: DisclosureControl) -> pd.DataFrame:
    """Placebo "FUI effects" as ``estimate (se)``, invalid horizons marked."""
    eff = rep.placebo
    cells = [rule.marker if rule.too_few(n) else _cell(e, s, p) + ("" if ok else " [exposed]")
             for e, s, p, ok, n in zip(eff["estimate"], eff["std_error"], eff["p_value"], eff["valid"], eff["nobs"])]
    frame = eff.assign(cell=cells).pivot_table(index="outcome", columns="horizon", values="cell", aggfunc="first")
    frame.columns = [f"{h} mo" for h in frame.columns]
    return frame


def triple_diff_text(rep: FuiReplication, rule: DisclosureControl) -> pd.DataFrame:
    """The published 2x2 and the triple difference side by side, ``estimate (se)`` by horizon."""
    both = rep.triple_diff.beside(rep.conventional.effects())
    cells = [rule.marker if rule.too_few(n) else _cell(e, s, p)
             for e, s, p, n in zip(both["estimate"], both["std_error"], both["p_value"], both["nobs"])]
    frame = both.assign(cell=cells).pivot_table(index=["method", "outcome"], columns="horizon", values="cell",
                                                aggfunc="first", sort=False)
    frame.columns = [f"{h} mo" for h in frame.columns]
    return frame


def _section(title: str, body: str) -> list[str]:
    return [paragraph(title), body, ""]


def to_text(rep: FuiReplication, *, norwegian: bool = False, disclosure: DisclosureControl | None = None) -> str:
    """The whole replication as terminal text (Norwegian term labels with ``norwegian``)."""
    rule = disclosure or DisclosureControl()
    parts = ["FUI (forsterket ungdomsinnsats) evaluation, chapter 8, reproduced by evalkit", "",
             entries_text(rep, rule), ""]
    shares = "the three education levels in % of entrants with known education" + (
        ", as published" if rep.compare_published else "") + ", every other row in % of all"
    parts += _section(
        "Table 8.1: new users by region and entry window ("
        + ("published in brackets; " if rep.compare_published else "") + shares + ")",
        table(disclosed.table_8_1_cells(rep, rule)))
    parts += _section(
        "Entrants in each model: used, and excluded by reason (entrants = used + excluded; a covariate "
        "column names the only covariate missing)",
        table(sizes_text(rep.exclusions(), rule)))
    for outcome in rep.sample.spec.outcomes:
        title = OUTCOME_TITLES.get(outcome) or f"Model of {outcome.replace('_', ' ')}"
        parts += _section(title + " (linear probability model, conventional SE; "
                          "* p < 0.1, ** p < 0.05, *** p < 0.01)",
                          table(regression_text(rep, outcome, rule, norwegian=norwegian)))
    comp = rep.comparison()
    if len(comp):  # none when no published outcome and horizon was estimated
        z = comp["diff_in_se"].abs()
        parts += [paragraph(f"Published vs reproduced: |difference| in published SE units: max {z.max():.2f}; "
                            f"within 1 SE: {(z <= 1).mean():.0%}, within 2 SE: {(z <= 2).mean():.0%}"), ""]
    parts += _section("FUI effect under other specifications", table(effects_text(rep)))
    if rep.few_clusters is not None:
        parts += _few_clusters_parts(rep)
    if rep.event_study is not None:
        parts += _event_study_parts(rep, rule)
    if rep.placebo is not None:
        parts += _section(
            f"Placebo: the 2x2 model between two pre-rollout windows ({rep.placebo['windows'].iloc[0]}); "
            "[exposed] marks horizons where some entrants had reached FUI by the outcome month",
            table(placebo_text(rep, rule)))
    if rep.triple_diff is not None:
        parts += _section(
            "FUI effect by triple difference: new users aged 30-34 in the same counties and months as the "
            "within-region comparison, which removes shocks specific to the South-West (stars: wild cluster "
            "bootstrap by county for the triple difference, iid for the 2x2)",
            table(triple_diff_text(rep, rule)))
    parts += ["Design diagnostics", *[bullet(w["message"]) for w in disclosed.warnings(rep, rule)], "", paragraph(rule.note)]
    return "\n".join(parts)


def event_study_overall_text(rep: FuiReplication) -> pd.DataFrame:
    """The imputation average effect of all exposed cohorts: wild-bootstrap inference, CR1 beside it."""
    frame = rep.event_study.overall
    out = frame[["outcome", "horizon"]].copy()
    out["ATT (se)"] = [_cell(e, s) for e, s in zip(frame["estimate"], frame["std_error"])]
    if "wild_p" in frame:
        out["wild p"] = frame["wild_p"].map(format_p)
        out["wild 95% CI"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(frame["wild_conf_low"], frame["wild_conf_high"])]
    out["CR1 (naive) p"] = frame["p_value"].map(format_p)
    return out.set_index(["outcome", "horizon"])


def _event_study_parts(rep: FuiReplication, rule: DisclosureControl) -> list[str]:
    study = rep.event_study
    wild = "wild_p" in study.estimates and study.estimates["wild_p"].notna().any()
    stars = ("stars from the wild cluster bootstrap by county (WCR, Webb weights), valid with few clusters; "
             "SEs are CR1" if wild else "stars and SEs CR1 by county, naive with so few clusters")
    parts = _section(
        "Event study of all monthly entry cohorts (imputation estimator, Borusyak-Jaravel-Spiess; not-yet-"
        "treated counties as comparison; e = entry month minus the county's FUI start; e < 0: entered before "
        "the start, outcome month under FUI; the rest of Norway's start in July 2017 ends the comparison, so "
        f"long horizons have only partly exposed cohorts; {stars})",
        table(event_study_text(rep)))
    if study.overall is not None:
        parts += _section("Average effect of all exposed cohorts (imputation ATT): the wild cluster bootstrap is "
                          "the valid inference, CR1 the naive comparison", table(event_study_overall_text(rep)))
    labels = {"excluded_all_counties_treated": "after every start"}
    parts += _section("New users in each event-study model: used, and excluded by reason (entrants = used + "
                      "excluded; 'after every start': outcome month after every county's start)",
                      table(sizes_text(study.cohorts, rule, labels)))
    lines = ["Pre-trend tests (BJS test 1, county-clustered):"]
    for r in study.pretrend_tests.itertuples():
        if pd.isna(r.statistic):
            lines.append(paragraph(f"{r.outcome} {r.horizon} mo: {r.note}", indent="  "))
        else:
            lines.append(f"  {r.outcome} {r.horizon} mo: F = {r.statistic:.2f}, p = {format_p(r.p_value)}")
    parts += [*lines, ""]
    parts += _section(
        "Sensitivity to parallel-trend violations (Rambachan & Roth 2023, relative magnitudes): 95% CI of the "
        "average effect of the exposed cohorts (two-stage event study) when post-period violations may reach "
        "Mbar times the largest pre-period one (+: the interval reaches the edge of the search grid)",
        table(sensitivity_text(rep)))
    return parts
