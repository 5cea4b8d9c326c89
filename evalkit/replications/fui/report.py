"""Rendering the FUI replication: terminal text, Markdown, CSV and a self-contained HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from evalkit.replications.fui.descriptives import table_8_1_frame
from evalkit.replications.fui.published import NORWEGIAN_LABELS, TABLE_KEYS, TERMS, published
from evalkit.replications.fui.regressions import PUBLISHED_NAMES
from evalkit.replications.fui.report_html import table_8_1_display, to_html, to_markdown, write_reports
from evalkit.replications.fui.run import FuiReplication

OUTCOME_TITLES = {"employed": "Table 8.2: employment", "in_education": "Table 8.3: education"}
EXCLUSIONS_TITLE = ("Entrants in each model: used, and excluded by reason (entrants = used + excluded; "
                    "a covariate column names the only covariate missing)")


def regression_table(rep: FuiReplication, outcome: str, *, norwegian: bool = False) -> pd.DataFrame:
    """Published layout: one row per term, per horizon ``coef (se)`` and the published value."""
    mine = rep.conventional.table(outcome)
    ref = published()[TABLE_KEYS[outcome]]
    columns: dict[str, list[str]] = {}
    horizons = rep.sample.spec.horizons
    for h in horizons:
        col, pub = [], []
        for term in TERMS:
            cell = mine.get(term, {}).get(str(h))
            col.append("" if cell is None else f"{cell['coef']:.3f} ({cell['se']:.3f}){_stars(cell['p'])}")
            p = ref.get(term, {}).get(str(h))
            pub.append("" if p is None else f"{p['coef']:.3f} ({p['se']:.3f})")
        columns[f"{h} mo"] = col
        columns[f"{h} mo published"] = pub
    index = [NORWEGIAN_LABELS[t] if norwegian else t for t in TERMS]
    frame = pd.DataFrame(columns, index=index)
    n = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    frame.loc["N"] = ["" if c.endswith("published") else str(n[(outcome, int(c.split()[0]))]) for c in frame.columns]
    return frame


def _reason_label(column: str) -> str:
    """``excluded_missing_female`` -> ``missing female``."""
    reason = column.removeprefix("excluded_")
    fixed = {"outcome_censored": "outcome censored (past the panel's end)",
             "outcome_no_row": "outcome missing (no row in the outcome month)",
             "outcome_not_recorded": "outcome missing (status not recorded in the outcome month)",
             "outcome_missing": "outcome missing (censored, no row or status not recorded)",
             "missing_several_covariates": "missing several covariates"}
    return fixed.get(reason, reason.replace("missing_", "missing ", 1))


def exclusions_table(rep: FuiReplication) -> pd.DataFrame:
    """Per model, the entrants, those used and those excluded by reason (reasons that occur)."""
    sizes = rep.exclusions()
    reasons = [c for c in sizes.columns if c.startswith("excluded_") and sizes[c].any()]
    table = sizes.set_index(["outcome", "horizon"])[["entrants", "used", *reasons]]
    table = table.rename(columns={c: _reason_label(c) for c in reasons})
    return table.map(lambda n: f"{n:,}")


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def effects_table(rep: FuiReplication) -> pd.DataFrame:
    """FUI effect by specification, outcome and horizon as ``estimate (se)``."""
    eff = rep.effects()
    eff["cell"] = [f"{e:.3f} ({s:.3f})" for e, s in zip(eff["estimate"], eff["std_error"])]
    return eff.pivot_table(index=["specification", "outcome"], columns="horizon", values="cell", aggfunc="first")


def to_text(rep: FuiReplication, *, norwegian: bool = False) -> str:
    """The whole replication as terminal text (Norwegian term labels with ``norwegian``)."""
    parts = [
        "FUI (forsterket ungdomsinnsats) evaluation, chapter 8, reproduced by evalkit",
        "",
        str(rep.sample.entries.report),
        "",
        "Table 8.1: new users by region and entry window (published in brackets; the three education "
        "levels in % of entrants with known education, as published, every other row in % of all)",
        table_8_1_display(rep).to_string(),
        "",
    ]
    parts += [EXCLUSIONS_TITLE, exclusions_table(rep).to_string(), ""]
    for outcome in rep.sample.spec.outcomes:
        parts += [OUTCOME_TITLES.get(outcome, outcome) + " (linear probability model, conventional SE)",
                  regression_table(rep, outcome, norwegian=norwegian).to_string(), ""]
    comp = rep.comparison()
    parts += [
        "Published vs reproduced: |difference| in published SE units "
        f"(max {comp['diff_in_se'].abs().max():.2f}; within 1 SE: {(comp['diff_in_se'].abs() <= 1).mean():.0%}, "
        f"within 2 SE: {(comp['diff_in_se'].abs() <= 2).mean():.0%})",
        "",
        "FUI effect under other specifications",
        effects_table(rep).to_string(),
        "",
        *_few_clusters_text(rep),
        *_event_study_text(rep),
        *_placebo_text(rep),
        "Design diagnostics",
        *[f"- {w}" for w in rep.warnings()],
    ]
    return "\n".join(parts)


def _few_clusters_text(rep: FuiReplication) -> list[str]:
    if rep.few_clusters is None:
        return []
    shown = rep.few_clusters[
        ["outcome", "horizon", "estimate", "cr1_p", "wild_p", "wild_conf_low", "wild_conf_high", "randomization_p"]
    ]
    return [
        "Inference with few treated counties (18 counties, 6 treated): CR1, wild cluster "
        "bootstrap (WCR, Webb weights) and randomization over all C(18,6) county assignments",
        shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        "",
    ]


def event_study_table(rep: FuiReplication) -> pd.DataFrame:
    """Imputation estimates of exposed cohorts: ``estimate (se)`` by event time."""
    post = rep.event_study.exposed_effects()
    post["cell"] = [f"{e:.3f} ({s:.3f}){_stars(p)}" for e, s, p in zip(post["estimate"], post["std_error"], post["p_value"])]
    table = post.pivot_table(index=["outcome", "horizon"], columns="event_time", values="cell", aggfunc="first")
    table.columns = [f"e={int(c)}" for c in table.columns]
    return table


def event_study_sample_table(rep: FuiReplication) -> pd.DataFrame:
    """Per event-study model, the new users used and those excluded by reason (reasons that occur)."""
    sizes = rep.event_study.cohorts
    reasons = [c for c in sizes.columns if c.startswith("excluded_") and sizes[c].any()]
    table = sizes.set_index(["outcome", "horizon"])[["entrants", "used", *reasons]]
    labels = {"excluded_all_counties_treated": "outcome month after every county's start"}
    table = table.rename(columns={c: labels.get(c) or _reason_label(c) for c in reasons})
    return table.map(lambda n: f"{n:,}")


def _event_study_text(rep: FuiReplication) -> list[str]:
    if rep.event_study is None:
        return []
    tests = rep.event_study.pretrend_tests
    lines = [
        "Event study of all monthly entry cohorts (imputation estimator, Borusyak-Jaravel-Spiess; "
        "not-yet-treated counties as comparison; e = entry month minus the county's FUI start; "
        "e < 0: entered before the start, outcome month under FUI; the rest of Norway's start "
        "in July 2017 ends the comparison, so long horizons have only partly exposed cohorts)",
        event_study_table(rep).fillna("").to_string(),
        "",
        "New users in each event-study model: used, and excluded by reason (entrants = used + excluded)",
        event_study_sample_table(rep).to_string(),
        "",
        "Pre-trend tests (BJS test 1, county-clustered):",
    ]
    lines += [f"  {r.outcome} {r.horizon} mo: {r.note}" for r in tests.itertuples()]
    lines += [
        "",
        "Sensitivity to parallel-trend violations (Rambachan & Roth 2023, relative magnitudes): "
        "95% CI of the average effect of the exposed cohorts (two-stage event study) when "
        "post-period violations may reach Mbar times the largest pre-period one "
        "(+: the interval reaches the edge of the search grid and may be longer)",
        sensitivity_table(rep).to_string(),
    ]
    return lines + [""]


def sensitivity_table(rep: FuiReplication) -> pd.DataFrame:
    """Robust intervals by ``Mbar`` and the breakdown value per outcome and horizon."""
    sens = rep.event_study.sensitivity
    sens = sens.assign(
        cell=[
            f"[{lo:.3f}, {hi:.3f}]" + ("+" if open_end else "")
            for lo, hi, open_end in zip(sens["conf_low"], sens["conf_high"], sens["open_end"])
        ]
    )
    table = sens.pivot_table(index=["outcome", "horizon"], columns="m", values="cell", aggfunc="first")
    table.columns = [f"Mbar={m:g}" for m in table.columns]
    table["breakdown"] = sens.groupby(["outcome", "horizon"])["breakdown"].first()
    return table


def placebo_table(rep: FuiReplication) -> pd.DataFrame:
    """Placebo "FUI effects" as ``estimate (se)``, invalid horizons marked."""
    eff = rep.placebo
    eff = eff.assign(
        cell=[
            f"{e:.3f} ({s:.3f}){_stars(p)}" + ("" if ok else " [exposed]")
            for e, s, p, ok in zip(eff["estimate"], eff["std_error"], eff["p_value"], eff["valid"])
        ]
    )
    return eff.pivot_table(index="outcome", columns="horizon", values="cell", aggfunc="first")


def _placebo_text(rep: FuiReplication) -> list[str]:
    if rep.placebo is None:
        return []
    return [
        f"Placebo: the 2x2 model between two pre-rollout windows ({rep.placebo['windows'].iloc[0]}); "
        "[exposed] marks horizons where some entrants had reached FUI by the outcome month",
        placebo_table(rep).to_string(),
        "",
    ]


def write(rep: FuiReplication, out_dir: str | Path, *, lang: str = "en") -> list[Path]:
    """Write CSV tables, tables 8.1-8.3 (Markdown, HTML, LaTeX, Word, Excel), figures, the
    Markdown and HTML reports (:mod:`~evalkit.replications.fui.report_html`) and the JSON document."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    table_8_1_frame(rep.descriptives).to_csv(out / "table_8_1.csv")
    written.append(out / "table_8_1.csv")
    for outcome, key in TABLE_KEYS.items():
        if outcome not in rep.sample.spec.outcomes:
            continue
        name = "_".join(key.split("_")[:3])
        tidy = pd.concat(
            [res.tidy().assign(horizon=h) for (o, h), res in rep.conventional.models.items() if o == outcome]
        )
        tidy["term"] = tidy["term"].replace(PUBLISHED_NAMES)
        tidy.to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    rep.comparison().to_csv(out / "published_vs_reproduced.csv", index=False)
    rep.effects().to_csv(out / "fui_effects.csv", index=False)
    rep.exclusions().to_csv(out / "sample_sizes.csv", index=False)
    if rep.placebo is not None:
        rep.placebo.to_csv(out / "placebo.csv", index=False)
        written.append(out / "placebo.csv")
    if rep.few_clusters is not None:
        rep.few_clusters.to_csv(out / "few_cluster_inference.csv", index=False)
        written.append(out / "few_cluster_inference.csv")
    if rep.event_study is not None:
        rep.event_study.estimates.to_csv(out / "event_study.csv", index=False)
        written.append(out / "event_study.csv")
    written += write_reports(rep, out, lang=lang)
    (out / "results.json").write_text(json.dumps(rep.to_json(), indent=1), encoding="utf-8")
    written += [out / n for n in ("published_vs_reproduced.csv", "fui_effects.csv", "sample_sizes.csv", "results.json")]
    return written


__all__ = ["effects_table", "exclusions_table", "regression_table", "to_html", "to_markdown", "to_text", "write"]
