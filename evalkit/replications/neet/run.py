"""``run_neet``: the long-term NEET risk-factor analysis end to end, beside the published numbers."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.replications.neet import published as pub
from evalkit.replications.neet import disclosed, shares
from evalkit.replications.neet.logit import MODEL_TERMS, LogitResult, fit_logit, logit_sample
from evalkit.replications.neet.synthetic.generate import DEFAULT_SCALE, G_NOK, SyntheticNeetData, simulate_neet_population
from evalkit.replications.neet.variables import derive_variables
from evalkit.report.disclosure import DisclosureControl
from evalkit.results.base import _Copied
from evalkit.results.display import NotebookDisplay, html_block

def coefficient_tolerance(se: pd.Series) -> pd.Series:
    """Tolerance of the table 2 comparison: 2 published SE, or 0.05 where the SE rounds to 0.01."""
    return pd.Series(np.where(np.isclose(se, 0.01), 0.05, 2 * se), index=se.index)


#: Tolerance of the tables 3-4 comparison (percentage points).
SHARE_TOLERANCE = 0.3


def _beside(ours: pd.DataFrame, theirs: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Long frame: ``area``, ``measure``, ``estimate``, ``published``, ``difference``, ``within``,
    ``count``, ``persons`` (the persons behind the share, :func:`~.shares.counts`)."""
    a = ours.stack().rename("estimate")
    b = theirs.reindex(index=ours.index).stack().rename("published")
    out = pd.concat([a, b], axis=1)
    out.index.names = ["area", "measure"]
    out = out.reset_index()
    out["difference"] = out["estimate"] - out["published"]
    out["within"] = out["difference"].abs() <= SHARE_TOLERANCE + 1e-9
    return out.merge(persons, on=["area", "measure"], how="left", validate="one_to_one")


@dataclass(frozen=True)
class NeetSummary:
    """Printable tables of a :class:`NeetReplication` (never prints by itself)."""

    sections: tuple[tuple[str, pd.DataFrame], ...]
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = []
        for title, table in self.sections:
            lines += [title, "=" * len(title), table.to_string(float_format=lambda v: f"{v:.3f}"), ""]
        notes = [textwrap.fill(note, width=100, subsequent_indent="  ") for note in self.notes]
        return "\n".join(lines + notes)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        last = len(self.sections) - 1
        return "".join(
            html_block(title, {}, table, self.notes if i == last else ()) for i, (title, table) in enumerate(self.sections)
        )


@dataclass(frozen=True)
class NeetReplication(NotebookDisplay):
    """The analysis of the long-term NEET note on one population (read-only: frames are
    returned as copies, mappings read-only).

    Attributes
    ----------
    variables
        The note's variables per person (:func:`~.variables.derive_variables`).
    models
        Model name -> :class:`~.logit.LogitResult`.
    table_2
        Model 1 beside table 2: ours (``estimate`` ... ``ame``), ``published_coef``,
        ``published_se``, ``difference``, ``tolerance``, ``within``.
    table_3, table_4
        Shares beside tables 3 and 4 (long: ``area``, ``measure``, ``estimate``,
        ``published``, ``difference``, ``within`` 0.3 points).
    other_models
        The text's values for models 2-4 beside ours.
    sample
        Persons left out of the logit sample, by reason, and facts of the run.
    source
        What the data were (the synthetic population's arguments or "user data").
    """

    variables: pd.DataFrame = _Copied()  # type: ignore[assignment]
    models: Mapping[str, LogitResult] = _Copied()  # type: ignore[assignment]
    table_2: pd.DataFrame = _Copied()  # type: ignore[assignment]
    table_3: pd.DataFrame = _Copied()  # type: ignore[assignment]
    table_4: pd.DataFrame = _Copied()  # type: ignore[assignment]
    other_models: pd.DataFrame = _Copied()  # type: ignore[assignment]
    sample: Mapping[str, Any] = _Copied()  # type: ignore[assignment]
    source: str = ""

    def __repr__(self) -> str:
        return f"<NeetReplication {len(self.models)} models, {self.sample['in_sample']:,} persons in the logit sample; {self.source}>"

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Every model's terms: broom's columns, odds ratios and average marginal effects."""
        return pd.concat([m.tidy(alpha) for m in self.models.values()], ignore_index=True)

    def disclosed_shares(self, rule: DisclosureControl) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
        """Tables 3 and 4 with the mask of the cells the disclosure rule suppresses (:mod:`.disclosed`)."""
        cells = pd.concat([self.table_3, self.table_4])[["area", "measure", "count", "persons"]]
        return {name: disclosed.shares(table, cells, rule) for name, table in
                (("table_3", self.table_3), ("table_4", self.table_4))}

    def summary(self, disclosure: DisclosureControl | None = None) -> NeetSummary:
        """Tables 2-4 and the text's models beside the published numbers.

        Cells are shown under the ``disclosure`` rule (default on, minimum cell 5):
        suppressed ones show its marker (``<5``), and its note closes the summary.
        """
        rule = disclosure or DisclosureControl()
        t2 = self.table_2[["estimate", "std_error", "p_value", "ame", "published_coef", "published_se", "within"]]
        others = self.other_models
        if disclosed.models(int(self.sample["in_sample"]), rule):
            t2 = t2.astype(object)
            t2.loc[:, [c for c in t2.columns if not c.startswith("published")]] = rule.marker
            others = others.astype(object).assign(estimate=rule.marker, difference=rule.marker)
        wide = {}
        for name, (table, mask) in self.disclosed_shares(rule).items():
            ours = table["estimate"].map(lambda v: f"{v:.2f}").where(~mask["estimate"], rule.marker)
            published = table["published"].map(lambda v: "" if pd.isna(v) else f" [{v:.1f}]")
            shown = table.assign(cell=ours + published, measure=table["measure"].map(_measure_label))
            wide[name] = shown.pivot(index="measure", columns="area", values="cell")
        wide3, wide4 = wide["table_3"], wide["table_4"]
        order = [a for a in (*pub.AREAS, pub.NORWAY, "Total") if a in wide3.columns]
        notes = [
            f"data: {self.source}",
            "logit sample: " + ", ".join(f"{k.replace('_', ' ')} {v if isinstance(v, str) else format(v, ',')}"
                                         for k, v in disclosed.sample(dict(self.sample), rule).items()),
            f"table 2 within 2 published SE (0.05 where the SE rounds to 0.01): "
            f"{int(self.table_2['within'].sum())} of {len(self.table_2)} terms; tables 3-4 within "
            f"{SHARE_TOLERANCE} points: {int(self.table_3['within'].sum() + self.table_4['within'].sum())} of "
            f"{int(self.table_3['within'].notna().sum() + self.table_4['within'].notna().sum())} cells",
        ]
        return NeetSummary(
            sections=(
                ("Table 2: logit of long-term NEET, model 1, beside the note", t2),
                ("Table 3: percent NEET and long-term NEET by area and gender, ours [published]", wide3[order]),
                ("Table 4: percent NEET and long-term NEET by immigrant status, ours [published]", wide4[order]),
                ("Models 2-4: the note's text values beside ours", others),
            ),
            notes=(*notes, rule.note),
        )


def _measure_label(measure: str) -> str:
    """``long_term_neet_rest_of_population`` -> ``long-term NEET, rest``: short row labels."""
    label = measure.replace("long_term_neet", "long-term NEET").replace("neet", "NEET")
    for suffix, words in (("_rest_of_population", ", rest"), ("_immigrants", ", immigrants"),
                          ("_women", ", women"), ("_men", ", men")):
        label = label.replace(suffix, words)
    return label


def _table_2(model: LogitResult) -> pd.DataFrame:
    ours = model.tidy().set_index("term").loc[list(pub.TERMS)]
    published = pub.table_2()
    ours["published_coef"] = published["coef"]
    ours["published_se"] = published["se"]
    ours["difference"] = ours["estimate"] - ours["published_coef"]
    ours["tolerance"] = coefficient_tolerance(published["se"])
    ours["within"] = ours["difference"].abs() <= ours["tolerance"] + 1e-9
    return ours


def _other_models(models: Mapping[str, LogitResult]) -> pd.DataFrame:
    text = pub.other_models()
    wanted = [
        ("allhelse_1", "model_1", text["allhelse"]["model_1"]),
        ("allhelse_1", "model_2", text["allhelse"]["model_2"]),
        ("sosbakgr_3", "model_1", text["sosbakgr_3"]["model_1"]),
        ("sosbakgr_3", "model_2", text["sosbakgr_3"]["model_2"]),
        ("tidlarb_1", "model_3", text["tidlarb"]["models_3_4"]),
        ("tidlarb_1", "model_4", text["tidlarb"]["models_3_4"]),
        ("dropout_1", "model_3", text["dropout"]["models_3_4"]),
        ("dropout_1", "model_4", text["dropout"]["models_3_4"]),
    ]
    rows = []
    for term, model, value in wanted:
        if model in models:
            rows.append({"term": term, "model": model, "estimate": float(models[model].estimates.params[term]), "published": value})
    frame = pd.DataFrame(rows, columns=["term", "model", "estimate", "published"])
    frame["difference"] = frame["estimate"] - frame["published"]
    return frame


def run_neet(
    monthly: pd.DataFrame | None = None,
    persons: pd.DataFrame | None = None,
    *,
    data: SyntheticNeetData | None = None,
    scale: float = DEFAULT_SCALE,
    seed: int = 2023,
    reference_month: object = "2023-12",
    min_months: int = 24,
    max_income_g: float = 0.25,
    g_nok: float = G_NOK,
    columns: Mapping[str, str] | None = None,
    areas: Sequence[str] = pub.AREAS,
    models: Sequence[str] = tuple(MODEL_TERMS),
) -> NeetReplication:
    """Run the long-term NEET risk-factor analysis.

    Parameters
    ----------
    monthly, persons
        A register extract: monthly histories and person attributes
        (:mod:`~.variables`).  Without them the bundled synthetic population is made
        (``scale``, ``seed``) or ``data`` is used.
    data
        A :func:`~.synthetic.simulate_neet_population` result.
    reference_month, min_months, max_income_g, g_nok
        The note's definitions: status in December 2023, spells of at least 24 months,
        income below a quarter of G, G in NOK for the household income bands.
    columns
        Role -> column name of the extract (:data:`~.variables.DEFAULT_COLUMNS`).
    areas
        Areas (values of the ``area`` column) of the logit sample.
    models
        Which of ``model_1`` ... ``model_4`` to fit (model 1 is always fitted).
    """
    if (monthly is None) != (persons is None):
        raise EvalkitError("give both monthly and persons (a register extract), or neither (the synthetic population)")
    if monthly is not None and data is not None:
        raise EvalkitError("give either a register extract (monthly, persons) or data=, not both")
    unknown = sorted(set(models) - set(MODEL_TERMS))
    if unknown:
        raise EvalkitError(f"unknown models {unknown}; the models are {list(MODEL_TERMS)}")
    if monthly is None:
        data = data if data is not None else simulate_neet_population(scale=scale, seed=seed)
        monthly, persons = data.monthly, data.persons
        reference_month, g_nok = data.reference_month, data.g_nok
        source = f"synthetic population (scale {data.scale:g}, seed {data.seed}, noise {data.noise})"
    else:
        source = "user data"
    variables = derive_variables(
        monthly, persons, reference_month=reference_month, g_nok=g_nok, min_months=min_months,
        max_income_g=max_income_g, columns=columns,
    )
    sample, excluded = logit_sample(variables, tuple(areas))
    names = ["model_1", *[m for m in MODEL_TERMS if m in models and m != "model_1"]]
    fitted = {name: fit_logit(sample, name) for name in names}
    cells = shares.counts(variables)
    facts = {"persons": len(variables), "in_sample": len(sample), **excluded,
             }
    return NeetReplication(
        variables=variables,
        models=fitted,
        table_2=_table_2(fitted["model_1"]),
        table_3=_beside(shares.table_3(variables), pub.table_3(), cells),
        table_4=_beside(shares.table_4(variables), pub.table_4(), cells),
        other_models=_other_models(fitted),
        sample=facts,
        source=source,
    )
