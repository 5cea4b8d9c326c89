"""The published numbers of the FUI evaluation (Fafo 2020, chapter 8, tables 8.1-8.3)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: Table 8.1's four groups, in the published column order.
GROUPS: tuple[str, ...] = ("south_west_t1", "south_west_t2", "rest_t1", "rest_t2")

#: Regression terms in the published row order (entry-month dummies are not reported).
TERMS: tuple[str, ...] = (
    "period_change",
    "region_difference",
    "fui_effect",
    "category_situational",
    "category_specially_adapted",
    "female",
    "age_20_24",
    "age_25_29",
    "education_upper_secondary",
    "education_higher",
    "county_unemployment_pct",
    "constant",
)

#: Norwegian labels of the terms and outcomes, for users who search for them.
NORWEGIAN_LABELS: dict[str, str] = {
    "period_change": "Periode (t2)",
    "region_difference": "Sør- og Vestlandet",
    "fui_effect": "Forsterket ungdomsinnsats (t2 x Sør- og Vestlandet)",
    "category_situational": "Situasjonsbestemt innsats",
    "category_specially_adapted": "Spesielt tilpasset innsats",
    "female": "Kvinne",
    "age_20_24": "Alder 20-24 år",
    "age_25_29": "Alder 25-29 år",
    "education_upper_secondary": "Videregående utdanning",
    "education_higher": "Høyere utdanning",
    "county_unemployment_pct": "Ledighet i fylket (prosent)",
    "constant": "Konstant",
    "employed": "I arbeid",
    "in_education": "I utdanning",
}

#: Outcome -> key of its table in the published JSON.
TABLE_KEYS: dict[str, str] = {"employed": "table_8_2_employment", "in_education": "table_8_3_education"}


@cache
def published() -> dict[str, Any]:
    """The published tables as shipped in ``evalkit/data/fui_published.json``."""
    with resources.files("evalkit.data").joinpath("fui_published.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def without_age_terms(numbers: dict[str, Any]) -> dict[str, Any]:
    """The published numbers without the age dummies of tables 8.2-8.3.

    For a study with other age bands: its age dummies have another reference band, so
    they are compared with nothing (table 8.1's age rows compare by band, by name).
    """
    tables = set(TABLE_KEYS.values())
    return {key: ({t: cells for t, cells in value.items() if not t.startswith("age_")} if key in tables else value)
            for key, value in numbers.items()}
