"""Writing the FUI replication to a directory: a thin dispatcher over the renderers.

Terminal text: :mod:`evalkit.replications.fui.report_text`; Markdown, HTML, tables 8.1-8.3
in five formats and the figures: :mod:`evalkit.replications.fui.report_html`; the JSON
document: :mod:`evalkit.replications.fui.results_json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.replications.fui.descriptives import table_8_1_frame
from evalkit.replications.fui.published import TABLE_KEYS
from evalkit.replications.fui.regressions import PUBLISHED_NAMES
from evalkit.replications.fui.report_html import write_reports
from evalkit.replications.fui.results_json import results_document
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.json_contract import dumps


def write(
    rep: FuiReplication,
    out_dir: str | Path,
    *,
    lang: str = "en",
    disclosure: DisclosureControl | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write CSV tables, tables 8.1-8.3 (Markdown, HTML, LaTeX, Word, Excel), the figures,
    the Markdown and HTML reports in ``lang`` and ``results.json``.

    ``results.json`` is :func:`~evalkit.replications.fui.results_json.results_document`
    under the ``disclosure`` rule (default on) with ``provenance``; the reports use the
    same rule and show the same provenance.  CSV term names are the readable ones
    (``period_change``, ``fui_effect``, ...), as in every other output.
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
        tidy["term"] = tidy["term"].replace(PUBLISHED_NAMES)
        tidy.to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    if rep.compare_published:
        rep.comparison().to_csv(out / "published_vs_reproduced.csv", index=False)
        written.append(out / "published_vs_reproduced.csv")
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
    written += write_reports(rep, out, lang=lang, disclosure=disclosure, provenance=provenance)
    document = results_document(rep, disclosure=disclosure, provenance=provenance)
    (out / "results.json").write_text(dumps(document), encoding="utf-8")
    written += [out / n for n in ("fui_effects.csv", "sample_sizes.csv", "results.json")]
    return written


__all__ = ["write"]
