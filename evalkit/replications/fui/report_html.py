"""The FUI report for readers: tables 8.1-8.3 in five formats, figures, Markdown and HTML.

The report reads as an evaluation: key findings and design warnings first, then one
section per result the run computed, each with a short explanation in plain words, and
the provenance last.  Every word comes from :mod:`evalkit.replications.fui.labels` in the
chosen language (``"en"`` or ``"nb"``).  The HTML page is self-contained (figures inlined
as SVG, no scripts or external files) and its bytes are reproducible.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.replications.fui import disclosed, figures
from evalkit.replications.fui.labels import (
    EXPOSED,
    PROVENANCE,
    after_entry,
    check_lang,
    disclosure_note,
    label,
    spec_line,
    table_stem,
    warning_text,
    words,
)
from evalkit.replications.fui.published import TABLE_KEYS
from evalkit.replications.fui.results_json import run_provenance
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.markdown import frame_to_markdown
from evalkit.report.tables import ReportTable, TableColumn, etable, frame_table, published_column, star_legend

#: Table formats written for tables 8.1-8.3 by :func:`write_reports`.
TABLE_SUFFIXES = (".md", ".html", ".tex", ".docx", ".xlsx")


def p_text(p: float) -> str:
    """A p-value for reading: ``< 0.001`` below 0.001, else three decimals."""
    if pd.isna(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def regression_etable(rep: FuiReplication, outcome: str, *, lang: str = "en", captioned: bool = True) -> ReportTable:
    """Table 8.2 (employment) or 8.3 (education) in the published layout, evalkit next to published.

    One pair of columns per horizon (evalkit, published; evalkit alone at a horizon the
    publication does not report); stars from each column's own
    p-value; N, the covariance and the entry-month dummies as rows.  ``captioned=False``
    leaves out the caption and explanation (the report's section gives them).
    """
    w = words(lang)
    ref = rep.published_numbers().get(TABLE_KEYS.get(outcome, ""), {})
    caption, notes = model_texts(rep, outcome, lang)
    n = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    mine = rep.conventional.table(outcome)
    terms = rep.conventional.terms
    columns: list[TableColumn] = []
    top, sub = [], []
    for h in rep.sample.spec.horizons:
        cells = {t: {"coef": c["coef"], "se": c["se"], "p": c["p"]} for t in terms
                 if (c := mine.get(t, {}).get(str(h))) is not None}
        columns.append(published_column(cells, name=w["reproduced"],
                                        nobs=int(n[(outcome, h)]), vcov="iid"))
        top.append(after_entry(h, lang))
        sub.append(w["reproduced"])
        pub = {t: ref[t][str(h)] for t in terms if str(h) in ref.get(t, {})}
        if pub:  # a horizon the publication does not report has no published column
            columns.append(published_column(pub, name=w["published"], vcov="iid"))
            top.append(after_entry(h, lang))
            sub.append(w["published"])
    return etable(
        columns,
        labels={t: label(t, lang) for t in terms},
        order=[label(t, lang) for t in terms],
        heads=[top, sub],
        extra_rows={w["dummies"]: [w["columns"]["yes"]] * len(columns)},
        caption=caption if captioned else None,
        notes=notes if captioned else "",
        lang=lang,
    )


def model_texts(rep: FuiReplication, outcome: str, lang: str) -> tuple[str, str]:
    """The title and explanation of an outcome's model table: tables 8.2-8.3 for the states at
    the horizon (without the published wording when the comparison is off), else the outcome's."""
    w = words(lang)
    if outcome not in TABLE_KEYS:
        return (str(w["s_model"]).format(outcome=label(outcome, lang)),
                str(w["x_model"]).format(outcome=label(outcome, lang)))
    stem = TABLE_KEYS[outcome][:9]
    own = f"x_{stem}_own"
    return str(w[f"s_{stem}"]), str(w[own if not rep.compare_published and own in w else f"x_{stem}"])


def table_8_1_display(rep: FuiReplication, *, lang: str = "en", disclosure: DisclosureControl | None = None
                      ) -> pd.DataFrame:
    """Table 8.1 for reading: ``count pct%`` per group, the published value in brackets;
    cells under the disclosure rule (default on) show its marker."""
    groups = words(lang)["group"]
    return disclosed.table_8_1_cells(rep, disclosure or DisclosureControl(),
                                     group_label=lambda g: groups.get(g, g), row_label=lambda r: label(r, lang))


def table_8_1_etable(rep: FuiReplication, *, lang: str = "en", disclosure: DisclosureControl | None = None
                     ) -> ReportTable:
    """Table 8.1 as a :class:`~evalkit.report.tables.ReportTable` (published values in brackets)."""
    w = words(lang)
    rule = disclosure or DisclosureControl()
    return frame_table(table_8_1_display(rep, lang=lang, disclosure=rule), caption=str(w["s_table_8_1"]),
                       notes=f"{w['x_table_8_1' if rep.compare_published else 'x_table_8_1_own']} "
                             f"{disclosure_note(rule, lang)}")


def published_tables(rep: FuiReplication, *, lang: str = "en", disclosure: DisclosureControl | None = None
                     ) -> dict[str, ReportTable]:
    """Table 8.1 and the model table of every outcome by file stem (``table_8_1``, ``table_8_2``,
    ``table_8_3``; ``model_ever_employed`` for an outcome the publication has no table of)."""
    tables = {"table_8_1": table_8_1_etable(rep, lang=lang, disclosure=disclosure)}
    for outcome in rep.sample.spec.outcomes:
        tables[table_stem(outcome)] = regression_etable(rep, outcome, lang=lang)
    return tables


def event_study_figure(rep: FuiReplication, *, lang: str = "en", sharey: bool = True):
    """The event-study figure of the run (:func:`~evalkit.replications.fui.figures.event_study_figure`)."""
    return figures.event_study_figure(rep.event_study.estimates, lang=lang, sharey=sharey)


def event_study_table(rep: FuiReplication, *, lang: str = "en") -> pd.DataFrame:
    """Imputation estimates of exposed cohorts, transposed to fit a page: event times as rows,
    ``outcome, horizon`` as columns, cells ``estimate (se)`` with stars."""
    post = rep.event_study.exposed_effects()
    post["cell"] = [f"{e:.3f} ({s:.3f}){_stars(p)}" for e, s, p in
                    zip(post["estimate"], post["std_error"], post["p_value"])]
    post["column"] = [f"{label(o, lang)}, {words(lang)['month'].format(h=h)}"
                      for o, h in zip(post["outcome"], post["horizon"])]
    table = post.pivot_table(index="event_time", columns="column", values="cell", aggfunc="first", sort=False)
    table = table.sort_index()
    table.columns.name = None
    table.index = [str(int(e)) for e in table.index]
    table.index.name = words(lang)["columns"]["event_time"]
    return table.fillna("")


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def key_findings(rep: FuiReplication, *, lang: str = "en") -> list[str]:
    """The findings a reader needs first: the FUI effects, agreement with the publication,
    few-cluster p-values and pre-trend tests."""
    w = words(lang)
    ref = rep.published_numbers()
    findings = []
    eff = rep.conventional.effects()
    for row in eff.itertuples():
        table = ref.get(TABLE_KEYS.get(row.outcome, ""), {})
        pub = table.get("fui_effect", {}).get(str(row.horizon))
        findings.append(str(w["finding_effect" if table else "finding_effect_own"]).format(
            outcome=label(row.outcome, lang), after=after_entry(row.horizon, lang), b=f"{row.estimate:.3f}",
            lo=f"{row.estimate - 1.959964 * row.std_error:.3f}", hi=f"{row.estimate + 1.959964 * row.std_error:.3f}",
            pub="-" if pub is None else f"{pub['coef']:.3f} ({pub['se']:.3f})"))
    comp = rep.comparison()
    if len(comp):
        d = comp["diff_in_se"].abs()
        findings.append(str(w["finding_within"]).format(within=int((d <= 1).sum()), n=len(d),
                                                        within2=int((d <= 2).sum()), max=d.max()))
    if rep.few_clusters is not None:
        fc = rep.few_clusters
        findings.append(str(w["finding_wild"]).format(lo=p_text(fc["wild_p"].min()), hi=p_text(fc["wild_p"].max()),
                                                      rlo=p_text(fc["randomization_p"].min()),
                                                      rhi=p_text(fc["randomization_p"].max())))
    if rep.event_study is not None:
        tests = rep.event_study.pretrend_tests
        done = tests["p_value"].notna()
        findings.append(str(w["finding_pretrend"]).format(n_reject=int((tests.loc[done, "p_value"] < 0.05).sum()),
                                                          n=int(done.sum())))
    return findings


def sections(rep: FuiReplication, *, lang: str = "en", disclosure: DisclosureControl | None = None,
             provenance: Mapping[str, Any] | None = None, tables: Mapping[str, ReportTable] | None = None
             ) -> list[tuple[str, str, str, list[Any]]]:
    """The report's sections in order: ``(id, title, explanation, parts)``.

    A part is a :class:`~evalkit.report.tables.ReportTable`, a DataFrame, a list of
    strings (bullets) or ``("figure", name)``.  ``tables`` are the captioned model tables
    of :func:`published_tables` in ``lang`` when already built (their cells are reused,
    without caption); else they are built here.
    """
    w = words(lang)
    col = w["columns"]
    rule = disclosure or DisclosureControl()
    out: list[tuple[str, str, str, list[Any]]] = [
        ("findings", str(w["findings"]), "", [key_findings(rep, lang=lang)]),
        ("warnings", str(w["warnings"]), "", [[warning_text(x, lang, few_clusters=rep.few_clusters is not None,
                                                            marker=rule.marker) for x in disclosed.warnings(rep, rule)]]),
        ("table-8-1", str(w["s_table_8_1"]), str(w["x_table_8_1" if rep.compare_published else "x_table_8_1_own"]),
         [table_8_1_display(rep, lang=lang, disclosure=rule), disclosure_note(rule, lang)]),
        ("exclusions", str(w["s_exclusions"]), str(w["x_exclusions"]), [_counts(rep.exclusions(), lang, rule)]),
    ]
    for outcome in rep.sample.spec.outcomes:
        stem = table_stem(outcome)
        table = (tables[stem].retitled(None, star_legend(lang)) if tables is not None and stem in tables
                 else regression_etable(rep, outcome, lang=lang, captioned=False))
        out.append((stem.replace("_", "-"), *model_texts(rep, outcome, lang), [table]))
    comp = rep.comparison()
    if len(comp):  # none with the comparison off or no published outcome estimated
        comparison = comp.assign(term=[label(t, lang) for t in comp["term"]],
                                 outcome=[label(o, lang) for o in comp["outcome"]],
                                 diff_in_se=comp["diff_in_se"].map(lambda v: f"{v:.2f}"))
        comparison = comparison.pivot_table(index=["outcome", "term"], columns="horizon", values="diff_in_se",
                                            aggfunc="first", sort=False)
        comparison.columns = [str(w["month"]).format(h=h) for h in comparison.columns]
        out.append(("comparison", str(w["s_comparison"]), str(w["x_comparison"]), [comparison]))
    eff = rep.effects()
    eff["cell"] = [f"{e:.3f} ({s:.3f}){_stars(p)}" for e, s, p in zip(eff["estimate"], eff["std_error"], eff["p_value"])]
    eff["outcome"] = [label(o, lang) for o in eff["outcome"]]
    effects = eff.pivot_table(index=["specification", "outcome"], columns="horizon", values="cell",
                              aggfunc="first", sort=False)
    effects.columns = [str(w["month"]).format(h=h) for h in effects.columns]
    out.append(("effects", str(w["s_effects"]), str(w["x_effects"]), [effects]))
    if rep.few_clusters is not None:
        fc = rep.few_clusters
        shown = pd.DataFrame({  # the few-cluster-valid inference first, CR1 last as the naive comparison
            str(w["outcome"]): [label(o, lang) for o in fc["outcome"]],
            str(w["horizon"]): fc["horizon"].astype(str),
            col["estimate"]: fc["estimate"].map(lambda v: f"{v:.3f}"),
            col["wild_p"]: fc["wild_p"].map(p_text),
            col["wild_ci"]: [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(fc["wild_conf_low"], fc["wild_conf_high"])],
            col["romano_wolf_p"]: fc["romano_wolf_p"].map(p_text),
            col["randomization_p"]: fc["randomization_p"].map(p_text),
            col["randomization_ci"]: [f"[{lo:.3f}, {hi:.3f}]"
                                      for lo, hi in zip(fc["randomization_conf_low"], fc["randomization_conf_high"])],
            col["westfall_young_p"]: fc["westfall_young_p"].map(p_text),
            col["cr1_naive_p"]: fc["cr1_p"].map(p_text),
        })
        out.append(("few-clusters", str(w["s_few_clusters"]), str(w["x_few_clusters"]), [shown]))
    if rep.event_study is not None:
        study = rep.event_study
        out.append(("event-study", str(w["s_event_study"]), str(w["x_event_study"]),
                    [("figure", "event_study"), event_study_table(rep, lang=lang),
                     str(w["s_event_sample"]), _counts(study.cohorts[[c for c in study.cohorts.columns
                                                                      if c in ("outcome", "horizon", "entrants", "used")
                                                                      or c.startswith("excluded_")]], lang, rule)]))
        tests = study.pretrend_tests
        pre = pd.DataFrame({str(w["outcome"]): [label(o, lang) for o in tests["outcome"]],
                            str(w["horizon"]): tests["horizon"].astype(str),
                            col["statistic"]: tests["statistic"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
                            col["p_value"]: tests["p_value"].map(p_text)})
        out.append(("pretrend", str(w["s_pretrend"]), str(w["x_pretrend"]), [pre]))
        out.append(("sensitivity", str(w["s_sensitivity"]), str(w["x_sensitivity"]), [sensitivity_table(rep, lang=lang)]))
    if rep.placebo is not None:
        pl = rep.placebo
        pl = pl.assign(cell=[f"{e:.3f} ({s:.3f}){_stars(p)}" + ("" if ok else f" {EXPOSED[lang]}") for e, s, p, ok in
                             zip(pl["estimate"], pl["std_error"], pl["p_value"], pl["valid"])],
                       outcome=[label(o, lang) for o in pl["outcome"]])
        placebo = pl.pivot_table(index="outcome", columns="horizon", values="cell", aggfunc="first", sort=False)
        placebo.columns = [str(w["month"]).format(h=h) for h in placebo.columns]
        windows = pl["windows"].iloc[0] if lang == "en" else pl["windows"].iloc[0].replace(" vs ", " mot ")
        out.append(("placebo", str(w["s_placebo"]), str(w["x_placebo"]) + f" ({windows})", [placebo]))
    if rep.triple_diff is not None:
        out.append(triple_diff_section(rep, lang=lang, disclosure=rule))
    cont = rep.contamination
    hidden = disclosed.contamination(rep, rule)["share_exposed"]
    contamination = pd.DataFrame({col["group"]: [w["group"].get(g, g) for g in cont["group"]],
                                  str(w["horizon"]): cont["horizon"].astype(str),
                                  col["assumed"]: cont["assumed"].astype(str),
                                  col["share_exposed"]: [rule.marker if h else f"{v:.1%}"
                                                         for v, h in zip(cont["share_exposed"], hidden)],
                                  col["contaminated"]: [col["yes"] if c else col["no"] for c in cont["contaminated"]]})
    out.append(("contamination", str(w["s_contamination"]), str(w["x_contamination"]), [contamination]))
    out.append(("provenance", str(w["s_provenance"]), str(w["x_provenance"]),
                [provenance_lines(rep, provenance, rule, lang=lang)]))
    return out


#: Title and explanation of the triple-difference section, by language.
_TRIPLE_DIFF_WORDS = {
    "en": ("FUI effect by triple difference",
           "The published 2x2 beside a triple difference with new users aged 30-34 in the same counties and months "
           "as the within-region comparison (not eligible for FUI): it removes shocks specific to the South-West, "
           "the main threat to the 2x2, assuming the gap between the age groups would have moved alike in both "
           "regions. Stars: wild cluster bootstrap by county for the triple difference, iid for the 2x2."),
    "nb": ("FUI-effekt ved trippel differanse",
           "Den publiserte 2x2-modellen ved siden av en trippel differanse med nye brukere 30-34 år i de samme "
           "fylkene og månedene som sammenligning innen regionen (ikke omfattet av FUI): den fjerner sjokk som "
           "bare rammer Sør- og Vestlandet. Stjerner: wild cluster bootstrap etter fylke for trippeldifferansen, "
           "iid for 2x2-modellen."),
}


def triple_diff_section(rep: FuiReplication, *, lang: str = "en",
                        disclosure: DisclosureControl | None = None) -> tuple[str, str, str, list[Any]]:
    """The section with the published 2x2 and the triple difference side by side."""
    w = words(lang)
    rule = disclosure or DisclosureControl()
    both = rep.triple_diff.beside(rep.conventional.effects())
    both["cell"] = [rule.marker if rule.too_few(n) else f"{e:.3f} ({s:.3f}){_stars(p)}"
                    for e, s, p, n in zip(both["estimate"], both["std_error"], both["p_value"], both["nobs"])]
    both["outcome"] = [label(o, lang) for o in both["outcome"]]
    frame = both.pivot_table(index=["method", "outcome"], columns="horizon", values="cell", aggfunc="first", sort=False)
    frame.columns = [str(w["month"]).format(h=h) for h in frame.columns]
    title, text = _TRIPLE_DIFF_WORDS[check_lang(lang)]
    return ("triple-diff", title, text, [frame])


def sensitivity_table(rep: FuiReplication, *, lang: str = "en") -> pd.DataFrame:
    """Robust intervals by ``Mbar`` and the breakdown value per outcome and horizon."""
    sens = rep.event_study.sensitivity
    sens = sens.assign(cell=[f"[{lo:.3f}, {hi:.3f}]" + ("+" if o else "") for lo, hi, o in
                             zip(sens["conf_low"], sens["conf_high"], sens["open_end"])],
                       outcome=[label(o, lang) for o in sens["outcome"]])
    table = sens.pivot_table(index=["outcome", "horizon"], columns="m", values="cell", aggfunc="first", sort=False)
    table.columns = [f"Mbar={m:g}" for m in table.columns]
    table[words(lang)["columns"]["breakdown"]] = sens.groupby(["outcome", "horizon"], sort=False)["breakdown"].first()
    return table


def provenance_lines(rep: FuiReplication, provenance: Mapping[str, Any] | None,
                     rule: DisclosureControl, *, lang: str = "en") -> list[str]:
    """What produced the report, one line per item: versions, inputs, seed, options,
    the analysis specification, the disclosure rule (the ``provenance`` of ``results.json``)."""
    prov = dict(provenance) if provenance is not None else run_provenance(created=None)
    spec = rep.sample.spec
    names = PROVENANCE[check_lang(lang)]
    lines = [f"evalkit {prov.get('evalkit_version')}, Python {prov.get('python')}, "
             + ", ".join(f"{k} {v}" for k, v in (prov.get("packages") or {}).items())]
    for item in prov.get("inputs") or []:
        lines.append(f"{names['input']}: " + json.dumps(item, sort_keys=True, ensure_ascii=False))
    if prov.get("seed") is not None:
        lines.append(f"{names['seed']}: {prov['seed']}")
    if prov.get("options"):
        lines.append(f"{names['options']}: " + json.dumps(prov["options"], sort_keys=True, ensure_ascii=False))
    if prov.get("created"):
        lines.append(f"{names['created']}: {prov['created']}")
    lines.append(spec_line(spec, lang))
    lines.append(disclosure_note(rule, lang))
    return lines


def _counts(frame: pd.DataFrame, lang: str, rule: DisclosureControl) -> pd.DataFrame:
    """Per model: entrants, used and the reasons that occur, labelled; suppressed cells marked."""
    frame = frame.reset_index(drop=True)
    mask = disclosed.model_sizes(frame, rule)
    reasons = [c for c in frame.columns if c.startswith("excluded_") and frame[c].any()]
    table = frame[["outcome", "horizon", "entrants", "used", *reasons]].copy()
    for c in ["entrants", "used", *reasons]:
        table[c] = [rule.marker if h else f"{v:,}" for v, h in zip(frame[c], mask[c])]
    table["outcome"] = [label(o, lang) for o in table["outcome"]]
    col = words(lang)["columns"]
    table = table.rename(columns={"outcome": str(words(lang)["outcome"]), "horizon": str(words(lang)["horizon"]),
                                  "entrants": col["entrants"], "used": col["used"],
                                  **{c: label(c.removeprefix("excluded_"), lang) for c in reasons}})
    return table.astype(str)


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
    "table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:12.5px}"
    "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}"
    "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
    "section{margin-bottom:2em}p.explain{color:#444;max-width:60em}"
    "svg{max-width:100%;height:auto}figure{margin:1em 0}"
    "#findings ul,#warnings ul{background:#f7f7f2;padding:0.8em 2em;border-left:4px solid #0072B2}"
    "#warnings ul{border-left-color:#D55E00}"
)


def to_html(rep: FuiReplication, *, lang: str = "en", svgs: dict[str, str] | None = None,
            disclosure: DisclosureControl | None = None, provenance: Mapping[str, Any] | None = None) -> str:
    """The self-contained HTML report (no scripts, no external files; figures inline as SVG).

    ``svgs`` maps figure names to ready ``<svg>`` text (drawn when not given).
    """
    check_lang(lang)
    svgs = dict(svgs or {})
    if rep.event_study is not None and "event_study" not in svgs:
        svgs["event_study"] = _svg(event_study_figure(rep, lang=lang), "event_study")
    return html_page(sections(rep, lang=lang, disclosure=disclosure, provenance=provenance), lang=lang, svgs=svgs)


def html_page(parts: list[tuple[str, str, str, list[Any]]], *, lang: str = "en",
              svgs: Mapping[str, str] | None = None) -> str:
    """The HTML report of ready :func:`sections` (figures from ``svgs``: name -> ``<svg>`` text)."""
    w = words(check_lang(lang))
    body = [f"<h1>{html.escape(str(w['title']))}</h1>"]
    for sid, title, explain, items in parts:
        body.append(f"<section id='{sid}'><h2>{html.escape(title)}</h2>")
        if explain:
            body.append(f"<p class='explain'>{html.escape(explain)}</p>")
        for i, part in enumerate(items):
            body.append(_html_part(part, f"{sid}-{i}", svgs or {}))
        body.append("</section>")
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'><title>{html.escape(str(w['title']))}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def _html_part(part: Any, pid: str, figures: Mapping[str, str]) -> str:
    if isinstance(part, ReportTable):
        return part.to_html(table_id=pid)
    if isinstance(part, pd.DataFrame):
        return part.to_html(index=not isinstance(part.index, pd.RangeIndex), escape=True, border=0)
    if isinstance(part, tuple) and part[0] == "figure":
        return f"<figure>{figures.get(part[1], '')}</figure>"
    if isinstance(part, list):
        return "<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in part) + "</ul>"
    return f"<p>{html.escape(str(part))}</p>"


def to_markdown(rep: FuiReplication, *, lang: str = "en", disclosure: DisclosureControl | None = None,
                provenance: Mapping[str, Any] | None = None) -> str:
    """The report as Markdown, with the structure, prose and labels of the HTML report."""
    check_lang(lang)
    return markdown_page(sections(rep, lang=lang, disclosure=disclosure, provenance=provenance), lang=lang)


def markdown_page(parts: list[tuple[str, str, str, list[Any]]], *, lang: str = "en") -> str:
    """The Markdown report of ready :func:`sections`."""
    w = words(check_lang(lang))
    lines = [f"# {w['title']}", ""]
    for _, title, explain, items in parts:
        lines += [f"## {title}", ""]
        if explain:
            lines += [explain, ""]
        for part in items:
            if isinstance(part, ReportTable):
                lines += [part.to_markdown(), ""]
            elif isinstance(part, pd.DataFrame):
                lines += [frame_to_markdown(part, index=not isinstance(part.index, pd.RangeIndex)), ""]
            elif isinstance(part, tuple):
                lines += [f"![{part[1]}]({part[1]}.svg)", ""]
            elif isinstance(part, list):
                lines += [*[f"- {x}" for x in part], ""]
            else:
                lines += [str(part), ""]
    return "\n".join(lines)


def _svg(fig, name: str) -> str:
    from evalkit.report.event_plot import svg_text

    return svg_text(fig, salt=name)


def write_reports(rep: FuiReplication, out: Path, *, lang: str = "en", disclosure: DisclosureControl | None = None,
                  provenance: Mapping[str, Any] | None = None) -> list[Path]:
    """Write tables 8.1-8.3 in every format, the figures (300 dpi PNG, SVG) and the reports.

    Each table is laid out once and written in every format from that layout; the
    sections are built once for both reports; matplotlib loads only when there is a
    figure to draw.
    """
    check_lang(lang)
    written: list[Path] = []
    tables = published_tables(rep, lang=lang, disclosure=disclosure)
    for stem, table in tables.items():
        for suffix in TABLE_SUFFIXES:
            written.append(table.save(out / f"{stem}{suffix}"))
    svgs = {}
    if rep.event_study is not None:
        from evalkit.report.event_plot import save_figure, svg_document, svg_element

        fig = event_study_figure(rep, lang=lang)
        document = svg_document(fig, salt="event_study")  # the SVG file and the inlined figure: one drawing
        (out / "event_study.svg").write_bytes(document.encode("utf-8"))
        svgs["event_study"] = svg_element(document)
        fig.set_layout_engine("none")  # the PNG keeps the SVG's constrained layout instead of solving it again
        save_figure(fig, out / "event_study.png")
        written += [out / "event_study.png", out / "event_study.svg"]
    parts = sections(rep, lang=lang, disclosure=disclosure, provenance=provenance, tables=tables)
    (out / "report.md").write_text(markdown_page(parts, lang=lang), encoding="utf-8")
    (out / "report.html").write_text(html_page(parts, lang=lang, svgs=svgs), encoding="utf-8")
    return written + [out / "report.md", out / "report.html"]


__all__ = ["event_study_figure", "event_study_table", "html_page", "key_findings", "markdown_page", "p_text",
           "published_tables", "provenance_lines", "regression_etable", "sections", "table_8_1_display", "to_html",
           "to_markdown", "write_reports"]
