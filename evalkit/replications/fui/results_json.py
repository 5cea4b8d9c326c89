"""The FUI replication as one ``evalkit.results/1`` JSON document (``--json``, ``results.json``).

Layout (described field by field by ``evalkit/report/schemas/results-v1.json``)::

    schema, study, title
    provenance      evalkit version, inputs (name, bytes, sha256), seed, options, date, disclosure
    entries         the entry steps: [{step, count}]
    tables          table_8_1 [{row, group, kind, count, value, published, difference}],
                    table_8_2 / table_8_3 [{outcome, horizon, term, estimate, std_error,
                    statistic, p_value, conf_low, conf_high, published_estimate,
                    published_std_error, diff_in_published_se, nobs}]
    comparison      published vs reproduced in published-SE units (max, share within 1 and 2 SE)
    sample_sizes    per model: entrants, used, excluded by reason
    effects         the FUI effect under every specification
    inference       the FUI effect under every inference method (iid, cr1, wild, randomization, ...)
    few_clusters    the few-cluster inference frame as computed
    event_study     estimates, pretrend_tests, cohorts (samples) of the staggered event study
    sensitivity     Rambachan-Roth intervals by Mbar and the breakdown value
    placebo, contamination
    triple_diff     the FUI effect by triple difference (new users aged 30-34 as comparison), per
                    outcome and horizon, or null when not run
    warnings        [{code, message, ...context}]
    extra           any further result of the run, converted generically

Fields of :class:`~evalkit.replications.fui.run.FuiReplication` that this module does not
know are written under ``extra`` by :func:`~evalkit.report.json_contract.to_jsonable`, so
new results reach the document without a change here.  Counts and rates pass through the
disclosure rule (:mod:`evalkit.replications.fui.disclosed`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

import pandas as pd

from evalkit.replications.fui import disclosed
from evalkit.replications.fui.published import TABLE_KEYS
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.json_contract import SCHEMA_ID, clean, records, to_jsonable

__all__ = ["results_document", "run_date", "run_provenance"]

#: Fields of FuiReplication written by a section of their own.
_KNOWN = {"sample", "conventional", "clustered", "without_category", "descriptives", "contamination",
          "few_clusters", "event_study", "placebo", "triple_diff"}
_MODEL_COLUMNS = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def _version() -> str:
    try:
        return metadata.version("evalkit")
    except metadata.PackageNotFoundError:
        return "unknown"


def run_date() -> str:
    """Today's UTC date, or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch else _dt.datetime.now(_dt.UTC)
    return when.date().isoformat()


def run_provenance(
    *,
    inputs: Sequence[Mapping[str, Any]] = (),
    seed: int | None = None,
    options: Mapping[str, Any] | None = None,
    created: str | None = "today",
) -> dict[str, Any]:
    """Where a document comes from: evalkit and library versions, inputs, seed, options, date.

    ``inputs`` are :func:`~evalkit.report.json_contract.file_input` records (or
    ``{"role", "name", "synthetic": {...}}`` for a simulated panel).  ``created="today"``
    writes :func:`run_date`; ``None`` leaves the date out, so reruns give identical bytes.
    """
    versions = {name: _package(name) for name in ("numpy", "pandas", "scipy", "statsmodels")}
    return {
        "evalkit_version": _version(),
        "python": platform.python_version(),
        "packages": versions,
        "created": run_date() if created == "today" else created,
        "inputs": [clean(dict(i)) for i in inputs],
        "seed": seed,
        "options": clean(dict(options or {})),
    }


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def results_document(
    rep: FuiReplication,
    *,
    disclosure: DisclosureControl | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the run computed, as one JSON-ready document (see the module docstring).

    Parameters
    ----------
    rep
        The replication (:func:`~evalkit.replications.fui.run.run_fui`).
    disclosure
        The minimum-cell rule (default: on, :data:`~evalkit.report.disclosure.DEFAULT_MIN_CELL`).
    provenance
        From :func:`run_provenance` (default: versions and today's date, no inputs).
    """
    rule = disclosure or DisclosureControl()
    prov = dict(provenance) if provenance is not None else run_provenance()
    prov["disclosure"] = rule.provenance()
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "study": "fui",
        "title": "FUI (forsterket ungdomsinnsats) evaluation, chapter 8, reproduced by evalkit",
        "provenance": prov,
        "entries": _entries(rep, rule),
        "tables": _tables(rep, rule),
        "comparison": _comparison(rep, rule),
        "sample_sizes": _sample_sizes(rep.exclusions(), rule),
        "effects": _effects(rep, rule),
        "inference": _inference(rep, rule),
        "few_clusters": None if rep.few_clusters is None else _model_rows(
            rep.few_clusters, rep.conventional.sample_sizes, rule,
            tuple(c for c in rep.few_clusters.columns if c not in ("outcome", "horizon"))),
        "event_study": None,
        "sensitivity": None,
        "placebo": None,
        "contamination": records(rep.contamination, suppressed=disclosed.contamination(rep, rule)),
        "warnings": [clean(w) for w in disclosed.warnings(rep, rule)],
    }
    if rep.event_study is not None:
        es = rep.event_study
        study = to_jsonable(es)
        study.pop("sensitivity", None)
        doc["sensitivity"] = _model_rows(es.sensitivity, es.cohorts, rule, ("conf_low", "conf_high", "breakdown"))
        study["cohorts"] = _sample_sizes(es.cohorts, rule)
        study["estimates"] = _model_rows(es.estimates, es.cohorts, rule)
        study["pretrend_tests"] = _model_rows(es.pretrend_tests, es.cohorts, rule, ("statistic", "p_value"))
        doc["event_study"] = study
    if rep.placebo is not None:
        too_few = pd.DataFrame({c: rep.placebo["nobs"].map(rule.too_few) for c in _MODEL_COLUMNS
                                if c in rep.placebo})
        doc["placebo"] = records(rep.placebo, suppressed=too_few)
    doc["triple_diff"] = None
    if rep.triple_diff is not None:
        effects = rep.triple_diff.effects()
        doc["triple_diff"] = records(effects, suppressed=pd.DataFrame(
            {c: effects["nobs"].map(rule.too_few) for c in effects.columns if c not in ("outcome", "horizon", "nobs")}))
    extra = {f.name: to_jsonable(getattr(rep, f.name)) for f in dataclasses.fields(rep) if f.name not in _KNOWN}
    doc["extra"] = extra
    return doc


def _entries(rep: FuiReplication, rule: DisclosureControl) -> list[dict[str, Any]]:
    steps = dict(rep.sample.entries.report.steps)
    hidden = disclosed.entries(steps, rule)
    out = []
    for step, count in steps.items():
        row: dict[str, Any] = {"step": step, "count": None if hidden[step] else int(count)}
        if hidden[step]:
            row["suppressed"] = ["count"]
        out.append(row)
    return out


def _tables(rep: FuiReplication, rule: DisclosureControl) -> dict[str, Any]:
    frame, mask = disclosed.table_8_1(rep, rule)
    tables: dict[str, Any] = {"table_8_1": records(frame, suppressed=mask)}
    ref = rep.published_numbers()
    sizes = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    for outcome, key in TABLE_KEYS.items():
        if outcome not in rep.sample.spec.outcomes:
            continue
        rows = []
        for h in rep.sample.spec.horizons:
            tidy = rep.conventional.tidy(outcome, h)
            n = int(sizes[(outcome, h)])
            hidden = rule.too_few(n)
            for term, cell in tidy.iterrows():
                pub = ref.get(key, {}).get(term, {}).get(str(h))
                row = {"outcome": outcome, "horizon": int(h), "term": str(term),
                       **{c: (None if hidden else clean(cell[c])) for c in _MODEL_COLUMNS if c in cell},
                       "published_estimate": None if pub is None else pub["coef"],
                       "published_std_error": None if pub is None else pub["se"],
                       "diff_in_published_se": None if pub is None or hidden
                       else clean((cell["estimate"] - pub["coef"]) / pub["se"]),
                       "nobs": n}
                if hidden:
                    row["suppressed"] = [c for c in _MODEL_COLUMNS if c in cell] + ["diff_in_published_se"]
                rows.append(row)
        tables["_".join(key.split("_")[:3])] = rows
    return tables


def _comparison(rep: FuiReplication, rule: DisclosureControl) -> dict[str, Any]:
    comp = rep.comparison()
    sizes = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    shown = comp.loc[[not rule.too_few(sizes[(o, h)]) for o, h in zip(comp["outcome"], comp["horizon"])]]
    z = shown["diff_in_se"].abs()
    effect = shown.loc[shown["term"] == "fui_effect", "diff_in_se"].abs()
    return clean({
        "cells": len(shown),
        "max_abs_diff_in_se": z.max() if len(z) else None,
        "share_within_1_se": (z <= 1).mean() if len(z) else None,
        "share_within_2_se": (z <= 2).mean() if len(z) else None,
        "fui_effect_max_abs_diff_in_se": effect.max() if len(effect) else None,
    })


def _sample_sizes(sizes: pd.DataFrame, rule: DisclosureControl) -> list[dict[str, Any]]:
    """Per model: its keys, ``entrants``, ``used`` and ``excluded: {reason: count}``."""
    mask = disclosed.model_sizes(sizes, rule)
    out = []
    for (label, row), (_, hidden) in zip(sizes.iterrows(), mask.iterrows()):
        record: dict[str, Any] = {}
        excluded: dict[str, Any] = {}
        suppressed = []
        for column, value in row.items():
            shown = None if hidden[column] else clean(value)
            if hidden[column]:
                suppressed.append(column)
            if str(column).startswith("excluded_"):
                excluded[str(column).removeprefix("excluded_")] = shown
            else:
                record[str(column)] = shown
        record["excluded"] = excluded
        if suppressed:
            record["suppressed"] = suppressed
        out.append(record)
    return out


def _model_rows(frame: pd.DataFrame, sizes: pd.DataFrame, rule: DisclosureControl,
                columns: tuple[str, ...] = _MODEL_COLUMNS) -> list[dict[str, Any]]:
    """Records of per-model results, ``columns`` suppressed where the model used too few persons."""
    used = sizes.set_index(["outcome", "horizon"])["used"]
    hidden = [rule.too_few(used.get((o, h))) for o, h in zip(frame["outcome"], frame["horizon"])]
    mask = pd.DataFrame({c: hidden for c in columns if c in frame}, index=frame.index)
    return records(frame, suppressed=mask)


def _effects(rep: FuiReplication, rule: DisclosureControl) -> list[dict[str, Any]]:
    eff = rep.effects()
    mask = pd.DataFrame({c: eff["nobs"].map(rule.too_few) for c in _MODEL_COLUMNS if c in eff})
    return records(eff, suppressed=mask)


def _inference(rep: FuiReplication, rule: DisclosureControl) -> list[dict[str, Any]]:
    """The FUI effect per outcome, horizon and inference method, in one long table.

    ``iid`` and ``cr1`` come from the published and the county-clustered models; every
    further method ``m`` of the few-cluster frame (columns ``m_p``, optionally ``m_se``,
    ``m_conf_low``, ``m_conf_high``) adds its rows.
    """
    rows = []
    sizes = rep.conventional.sample_sizes.set_index(["outcome", "horizon"])["used"]
    for method, regs in (("iid", rep.conventional), ("cr1", rep.clustered)):
        for r in regs.effects().itertuples():
            rows.append({"outcome": r.outcome, "horizon": r.horizon, "method": method, "estimate": r.estimate,
                         "std_error": r.std_error, "p_value": r.p_value, "conf_low": r.conf_low,
                         "conf_high": r.conf_high})
    frame = rep.few_clusters
    if frame is not None:
        methods = [c[:-2] for c in frame.columns if c.endswith("_p") and c != "cr1_p"]
        for r in frame.to_dict(orient="records"):
            for m in methods:
                rows.append({"outcome": r["outcome"], "horizon": r["horizon"], "method": m,
                             "estimate": r.get(f"{m}_estimate", r.get("estimate")),
                             "std_error": r.get(f"{m}_se"), "p_value": r[f"{m}_p"],
                             "conf_low": r.get(f"{m}_conf_low"), "conf_high": r.get(f"{m}_conf_high")})
    out = []
    for row in rows:
        row = clean(row)
        if rule.too_few(sizes.get((row["outcome"], row["horizon"]))):
            hidden = ["estimate", "std_error", "p_value", "conf_low", "conf_high"]
            row.update({c: None for c in hidden}, suppressed=hidden)
        out.append(row)
    return out
