"""Rendering the FUI replication: Markdown, CSV and a self-contained HTML page.

Terminal text: :mod:`evalkit.replications.fui.report_text`; the JSON document:
:mod:`evalkit.replications.fui.results_json`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.replications.fui.descriptives import table_8_1_frame
from evalkit.replications.fui.inference import FEW_CLUSTERS_LEAD, METHOD_NOTES
from evalkit.replications.fui.published import (
    NORWEGIAN_LABELS,
    TABLE_KEYS,
    TERMS,
    published,
)
from evalkit.replications.fui.results_json import results_document
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.json_contract import dumps
from evalkit.report.markdown import frame_to_markdown

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


def table_8_1_display(rep: FuiReplication) -> pd.DataFrame:
    """Table 8.1 for reading: ``count pct%`` per group, the published value in brackets."""
    frame = table_8_1_frame(rep.descriptives)
    comp = rep.descriptives_comparison().set_index(["row", "group"])
    out = pd.DataFrame(index=frame.index)
    for group in rep.descriptives["columns"]:
        cells = []
        for row in frame.index:
            count = frame.loc[row, (group, "count")]
            pct = frame.loc[row, (group, "pct")]
            pub = comp.loc[(row, group), "published"] if (row, group) in comp.index else None
            shown = f"{int(count)}" if pd.notna(count) else ""
            if pd.notna(pct):
                shown += f" {pct:.1f}%" if row != "county_unemployment_pct_mean" else f"{pct:.1f}"
            if pub is not None:
                shown += f" [{pub:g}]"
            cells.append(shown.strip())
        out[group] = cells
    return out


def to_markdown(rep: FuiReplication) -> str:
    """The replication as a Markdown document."""
    parts = ["# FUI evaluation reproduced", "", "```", str(rep.sample.entries.report), "```", "",
             "## Table 8.1 (published in brackets)", "",
             frame_to_markdown(table_8_1_display(rep)), "", "## Entrants in each model", "",
             EXCLUSIONS_TITLE + ".", "", frame_to_markdown(exclusions_table(rep))]
    for outcome in rep.sample.spec.outcomes:
        parts += ["", f"## {OUTCOME_TITLES.get(outcome, outcome)}", "", frame_to_markdown(regression_table(rep, outcome))]
    parts += ["", "## FUI effect under other specifications", "", frame_to_markdown(effects_table(rep))]
    if rep.few_clusters is not None:
        parts += ["", "## Inference with few treated counties", "", FEW_CLUSTERS_LEAD, "",
                  frame_to_markdown(rep.few_clusters, index=False), "", *[f"- {n}" for n in METHOD_NOTES]]
    if rep.event_study is not None:
        parts += ["", "## Event study of monthly entry cohorts", "", "![event study](event_study.png)", "",
                  frame_to_markdown(event_study_table(rep).fillna("")), "",
                  "New users in each event-study model (entrants = used + excluded):", "",
                  frame_to_markdown(event_study_sample_table(rep)), "",
                  "### Sensitivity to parallel-trend violations (relative magnitudes)", "",
                  frame_to_markdown(sensitivity_table(rep))]
    if rep.placebo is not None:
        parts += ["", "## Placebo test", "", frame_to_markdown(placebo_table(rep))]
    parts += ["", "## Contamination of the comparison", "", frame_to_markdown(rep.contamination, index=False)]
    parts += ["", "## Design warnings", "", *[f"- {w}" for w in rep.warnings()]]
    return "\n".join(parts) + "\n"


def to_html(rep: FuiReplication) -> str:
    """A self-contained HTML report (no external files or scripts)."""
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "th{background:#f3f3f3}"
        "svg{max-width:100%;height:auto}"
    )
    sections = [f"<h1>FUI evaluation reproduced</h1><pre>{html.escape(str(rep.sample.entries.report))}</pre>",
                "<h2>Table 8.1 (published in brackets)</h2>", table_8_1_display(rep).to_html(),
                f"<h2>Entrants in each model</h2><p>{html.escape(EXCLUSIONS_TITLE)}.</p>",
                exclusions_table(rep).to_html()]
    for outcome in rep.sample.spec.outcomes:
        sections += [f"<h2>{OUTCOME_TITLES.get(outcome, outcome)}</h2>", regression_table(rep, outcome).to_html()]
    if rep.few_clusters is not None:
        sections += ["<h2>Inference with few treated counties</h2>", f"<p>{html.escape(FEW_CLUSTERS_LEAD)}</p>",
                     rep.few_clusters.to_html(index=False, float_format=lambda v: f"{v:.4f}"),
                     "<ul>", *[f"<li>{html.escape(n)}</li>" for n in METHOD_NOTES], "</ul>"]
    if rep.event_study is not None:
        sections += ["<h2>Event study of monthly entry cohorts</h2>", _figure_svg(rep),
                     event_study_table(rep).fillna("").to_html(),
                     "<p>New users in each event-study model (entrants = used + excluded):</p>",
                     event_study_sample_table(rep).to_html(),
                     "<h3>Sensitivity to parallel-trend violations (relative magnitudes)</h3>",
                     sensitivity_table(rep).to_html()]
    if rep.placebo is not None:
        sections += ["<h2>Placebo test</h2>", placebo_table(rep).to_html()]
    sections += ["<h2>FUI effect under other specifications</h2>", effects_table(rep).to_html(),
                 "<h2>Contamination of the comparison</h2>",
                 rep.contamination.to_html(index=False, float_format=lambda v: f"{v:.2f}"),
                 "<h2>Design warnings</h2><ul>", *[f"<li>{html.escape(w)}</li>" for w in rep.warnings()], "</ul>"]
    return f"<!doctype html><html><head><meta charset='utf-8'><title>FUI evaluation</title><style>{style}</style></head><body>{''.join(sections)}</body></html>"


def _figure_svg(rep: FuiReplication) -> str:
    """The event-study figure as inline SVG (keeps the HTML report self-contained)."""
    import io

    import matplotlib.pyplot as plt

    fig = rep.event_study.plot_all()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def write(
    rep: FuiReplication,
    out_dir: str | Path,
    *,
    disclosure: DisclosureControl | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write CSV tables, a Markdown report, an HTML report and ``results.json``.

    ``results.json`` is :func:`~evalkit.replications.fui.results_json.results_document`
    under the ``disclosure`` rule (default on) with ``provenance``.
    """
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
        import matplotlib.pyplot as plt

        rep.event_study.estimates.to_csv(out / "event_study.csv", index=False)
        fig = rep.event_study.plot_all()
        for suffix in ("png", "svg"):
            fig.savefig(out / f"event_study.{suffix}", dpi=110)
        plt.close(fig)
        written += [out / "event_study.csv", out / "event_study.png", out / "event_study.svg"]
    (out / "report.md").write_text(to_markdown(rep), encoding="utf-8")
    (out / "report.html").write_text(to_html(rep), encoding="utf-8")
    document = results_document(rep, disclosure=disclosure, provenance=provenance)
    (out / "results.json").write_text(dumps(document), encoding="utf-8")
    written += [out / n for n in ("published_vs_reproduced.csv", "fui_effects.csv", "sample_sizes.csv", "report.md", "report.html", "results.json")]
    return written


__all__ = ["effects_table", "exclusions_table", "regression_table", "to_html", "to_markdown", "write"]
