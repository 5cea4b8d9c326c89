"""Tables 3 and 4 of the note: percent NEET and long-term NEET by area, gender and immigrant status.

Shares are percentages of the persons aged 15-29 of each area.  NEET is the status at the
reference month; long-term NEET is counted among the persons whose long-term status is
known (those with a missing status, e.g. a short spell open at the panel start, are
counted in ``.attrs`` and left out of its denominator).  The last row is the whole data
("Norway" when it holds areas beyond the note's four, else "Total").
"""

from __future__ import annotations

import pandas as pd

from evalkit.replications.neet.published import AREAS, NORWAY


def _pct(values: pd.Series) -> float:
    known = values.dropna().astype(float)
    return float(100 * known.mean()) if len(known) else float("nan")


def _count(values: pd.Series) -> tuple[int, int]:
    """The persons behind a share: (in the state, with the state known)."""
    known = values.dropna().astype(float)
    return int(known.sum()), len(known)


def _rows(variables: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    total = NORWAY if set(variables["area"]) - set(AREAS) else "Total"
    rows = [(a, variables[variables["area"] == a]) for a in AREAS if (variables["area"] == a).any()]
    return rows + [(total, variables)]


def _groups_3(rows: pd.DataFrame) -> dict[str, pd.Series]:
    ltn = rows["long_term_neet"]
    return {"neet": rows["neet"], "long_term_neet": ltn, "long_term_neet_women": ltn[rows["female"] == 1],
            "long_term_neet_men": ltn[rows["female"] == 0]}


def _groups_4(rows: pd.DataFrame) -> dict[str, pd.Series]:
    imm = rows["innvandrerb"] == 1
    return {"neet_rest_of_population": rows.loc[~imm, "neet"], "neet_immigrants": rows.loc[imm, "neet"],
            "long_term_neet_rest_of_population": rows.loc[~imm, "long_term_neet"],
            "long_term_neet_immigrants": rows.loc[imm, "long_term_neet"]}


def counts(variables: pd.DataFrame) -> pd.DataFrame:
    """The persons behind every share of tables 3 and 4 (what the disclosure rule checks).

    Long: ``area``, ``measure``, ``count`` (persons in the state), ``persons`` (with the
    state known: the share's denominator).
    """
    records = []
    for name, rows in _rows(variables):
        for measure, values in {**_groups_3(rows), **_groups_4(rows)}.items():
            count, persons = _count(values)
            records.append({"area": name, "measure": measure, "count": count, "persons": persons})
    return pd.DataFrame(records)


def table_3(variables: pd.DataFrame) -> pd.DataFrame:
    """``neet``, ``long_term_neet``, ``long_term_neet_women``, ``long_term_neet_men`` (percent)."""
    out = {name: {m: _pct(v) for m, v in _groups_3(rows).items()} for name, rows in _rows(variables)}
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.attrs["n_long_term_status_missing"] = int(variables["long_term_neet"].isna().sum())
    frame.attrs["n_neet_status_missing"] = int(variables["neet"].isna().sum())
    return frame


def table_4(variables: pd.DataFrame) -> pd.DataFrame:
    """NEET and long-term NEET (percent) of immigrants and of the rest of the population."""
    out = {name: {m: _pct(v) for m, v in _groups_4(rows).items()} for name, rows in _rows(variables)}
    return pd.DataFrame.from_dict(out, orient="index")
