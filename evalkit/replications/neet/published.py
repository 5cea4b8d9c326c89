"""The published numbers of the long-term NEET note (tables 2-4 and its text).

The note: long-term NEETs aged 15-29 in Akershus, Buskerud, Østfold and Oslo, register
data from microdata.no (2022/2023).  ``published.json`` beside this module holds its
definitions and numbers as transcribed (two decimals for the logit, one for shares).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

#: The four areas of the note, in its row order; "Norway" is the whole country.
AREAS: tuple[str, ...] = ("Akershus", "Buskerud", "Østfold", "Oslo")
NORWAY = "Norway"

#: Terms of table 2 (model 1) in the published order.
TERMS: tuple[str, ...] = (
    "dropout_1", "tidlarb_1", "allhelse_1", "sosbakgr_2", "sosbakgr_3",
    "grunnbelop_2", "grunnbelop_3", "innvandrerb_1",
)

#: Readable labels of the terms.
LABELS: dict[str, str] = {
    "dropout_1": "dropout from upper secondary",
    "tidlarb_1": "previous work experience",
    "allhelse_1": "health-related benefit",
    "sosbakgr_2": "parents: upper secondary",
    "sosbakgr_3": "parents: compulsory school",
    "grunnbelop_2": "household income 2-4 G",
    "grunnbelop_3": "household income > 4 G",
    "innvandrerb_1": "immigrant background",
    "barnevern_1": "child-welfare measure",
    "const": "constant",
}


@cache
def published() -> dict[str, Any]:
    """The note's numbers as shipped in ``evalkit/replications/neet/published.json``."""
    files = resources.files("evalkit.replications.neet")
    with files.joinpath("published.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def table_2() -> pd.DataFrame:
    """Table 2 (model 1): ``coef``, ``se``, ``z``, ``p``, ``conf_low``, ``conf_high`` by term."""
    terms = published()["table_2_logit_model_1"]["terms"]
    rows = {
        t: {"coef": v["coef"], "se": v["se"], "z": v["z"], "p": v["p"], "conf_low": v["ci"][0], "conf_high": v["ci"][1]}
        for t, v in terms.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").loc[list(TERMS)]


def table_3() -> pd.DataFrame:
    """Table 3: percent NEET and long-term NEET (all, women, men) by area (rows incl. Norway)."""
    table = published()["table_3_shares_by_area_and_gender_pct"]
    return pd.DataFrame.from_dict(table["rows"], orient="index", columns=table["columns"])


def table_4() -> pd.DataFrame:
    """Table 4: percent NEET and long-term NEET among immigrants and the rest, by area."""
    table = published()["table_4_shares_by_immigrant_status_pct"]
    return pd.DataFrame.from_dict(table["rows"], orient="index", columns=table["columns"])


def other_models() -> dict[str, Any]:
    """The coefficients of models 2-4 the note gives in its text (figure 3)."""
    return dict(published()["other_models_from_text"])
