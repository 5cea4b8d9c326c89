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


def _rows(variables: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    total = NORWAY if set(variables["area"]) - set(AREAS) else "Total"
    rows = [(a, variables[variables["area"] == a]) for a in AREAS if (variables["area"] == a).any()]
    return rows + [(total, variables)]


def table_3(variables: pd.DataFrame) -> pd.DataFrame:
    """``neet``, ``long_term_neet``, ``long_term_neet_women``, ``long_term_neet_men`` (percent)."""
    out = {}
    for name, rows in _rows(variables):
        ltn = rows["long_term_neet"]
        out[name] = {
            "neet": _pct(rows["neet"]),
            "long_term_neet": _pct(ltn),
            "long_term_neet_women": _pct(ltn[rows["female"] == 1]),
            "long_term_neet_men": _pct(ltn[rows["female"] == 0]),
        }
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.attrs["n_long_term_status_missing"] = int(variables["long_term_neet"].isna().sum())
    frame.attrs["n_neet_status_missing"] = int(variables["neet"].isna().sum())
    return frame


def table_4(variables: pd.DataFrame) -> pd.DataFrame:
    """NEET and long-term NEET (percent) of immigrants and of the rest of the population."""
    out = {}
    for name, rows in _rows(variables):
        imm = rows["innvandrerb"] == 1
        out[name] = {
            "neet_rest_of_population": _pct(rows.loc[~imm, "neet"]),
            "neet_immigrants": _pct(rows.loc[imm, "neet"]),
            "long_term_neet_rest_of_population": _pct(rows.loc[~imm, "long_term_neet"]),
            "long_term_neet_immigrants": _pct(rows.loc[imm, "long_term_neet"]),
        }
    return pd.DataFrame.from_dict(out, orient="index")
