"""The NEET tables under the disclosure rule (:mod:`evalkit.report.disclosure`), for every output.

Every share of tables 3 and 4 is a rate ``count / persons`` (:func:`~.shares.counts`):
it is suppressed when its count is a small count or its denominator has fewer than
``min_cell`` persons (:meth:`~evalkit.report.disclosure.DisclosureControl.rate_hidden`),
with the counts themselves.  Shares that add up within an area are suppressed together
(secondary suppression, as :meth:`~evalkit.report.disclosure.DisclosureControl.additive` for pairs):
women and men add up to long-term NEET, immigrants and the rest of the population to
NEET and to long-term NEET, so one hidden part would be recovered from the other (a pair:
both parts are hidden, whatever the other's count, also a zero).  The
logit models (table 2, models 2-4) are hidden when their sample has fewer than
``min_cell`` persons, and the sample's counts by reason when they are small.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.report.disclosure import DisclosureControl

__all__ = ["ADDITIVE", "models", "sample", "shares"]

#: Parts -> the share they add up to, within one area.
ADDITIVE: dict[tuple[str, str], str] = {
    ("long_term_neet_women", "long_term_neet_men"): "long_term_neet",
    ("neet_rest_of_population", "neet_immigrants"): "neet",
    ("long_term_neet_rest_of_population", "long_term_neet_immigrants"): "long_term_neet",
}

#: Columns of a share's record that the rule hides with the share.
SHARE_COLUMNS = ("estimate", "difference", "within", "count")


def _hidden_cells(cells: pd.DataFrame, rule: DisclosureControl) -> pd.Series:
    """Per (area, measure) of :func:`~.shares.counts`: whether the share is suppressed."""
    hidden = pd.Series([rule.rate_hidden(c, n) for c, n in zip(cells["count"], cells["persons"])],
                       index=pd.MultiIndex.from_frame(cells[["area", "measure"]]))
    for area in cells["area"].unique():
        for parts in ADDITIVE:
            keys = [(area, p) for p in parts]
            if all(k in hidden.index for k in keys) and any(hidden[k] for k in keys):
                for k in keys:  # the other part and the shown total would give the hidden one away
                    hidden[k] = True
    return hidden


def shares(table: pd.DataFrame, cells: pd.DataFrame, rule: DisclosureControl) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 3 or 4 (long, with ``count`` and ``persons``) and the mask of what is suppressed.

    ``cells`` holds every share of both tables (the secondary suppression crosses them);
    ``persons`` is hidden where it is a small count.
    """
    hidden = _hidden_cells(cells, rule)
    keys = list(zip(table["area"], table["measure"]))
    share = pd.Series([bool(hidden.get(k, False)) for k in keys], index=table.index)
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for column in SHARE_COLUMNS:
        if column in mask:
            mask[column] = share
    mask["persons"] = [rule.small(n) for n in table["persons"]]
    return table, mask


def models(n_persons: int, rule: DisclosureControl) -> bool:
    """Whether the logit models (fitted on ``n_persons``) are suppressed."""
    return rule.too_few(n_persons)


def sample(facts: dict[str, Any], rule: DisclosureControl) -> dict[str, Any]:
    """The sample's counts with the small ones replaced by the rule's marker."""
    return {k: (rule.marker if isinstance(v, int) and not isinstance(v, bool) and rule.small(v) else v)
            for k, v in facts.items()}
