"""The FUI replication's counts and rates under the disclosure rule.

Every renderer of the FUI replication (terminal text, JSON, Markdown, HTML) takes its
counts from here, so one rule (:class:`evalkit.report.disclosure.DisclosureControl`)
decides what is shown everywhere.  Each function returns the values and a boolean frame
of the same rows marking the suppressed cells.

Additive groups get secondary suppression: table 8.1's categories of one characteristic
add up to the group's total, a model's ``used`` and ``excluded_*`` counts to its
entrants, and the entry steps' exclusions and kept entries to the spells at the top.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from evalkit.replications.fui.descriptives import table_rows
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.disclosure import DisclosureControl

__all__ = ["contamination", "entries", "model_sizes", "table_8_1", "table_8_1_cells"]


def table_8_1(rep: FuiReplication, rule: DisclosureControl) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 8.1 as records: ``row, group, kind, count, value, published, difference``.

    ``kind`` is ``count`` (``n_total``), ``pct`` (``value`` in percent) or ``mean``
    (county unemployment).  Counts of one characteristic (the rows built from one column
    in :func:`~evalkit.replications.fui.descriptives.table_rows`) are one additive group; a
    percentage is suppressed with its count or when its base is below the minimum, the
    mean when the group is.
    """
    table = rep.descriptives
    rows_of = table_rows(rep.sample.spec)
    comp = rep.descriptives_comparison().set_index(["row", "group"])
    rows, hidden = [], []
    blocks: dict[str, list[str]] = {}
    for row, (column, _, _) in rows_of.items():
        blocks.setdefault(column, []).append(row)
    sample = rep.sample.frame
    known = {column: sample[column].notna() for column, _, among_known in rows_of.values() if among_known}
    for i, group in enumerate(table["columns"]):
        in_group = sample["group"] == group
        n = table["n_total"][group]
        group_hidden = rule.small(n) or rule.too_few(n)
        cells = {row: table["rows"][row][i] for row in rows_of}
        secret: dict[str, bool] = {}
        for members in blocks.values():
            flags = rule.additive([cells[r][0] for r in members])
            secret.update(zip(members, flags))
        records = [("n_total", "count", n, float(n), group_hidden, group_hidden)]
        for row, (count, pct) in cells.items():
            column, _, among_known = rows_of[row]
            base = int((known[column] & in_group).sum()) if among_known else n
            count_hidden = group_hidden or secret[row]
            records.append((row, "pct", count, pct, count_hidden, count_hidden or rule.too_few(base)))
        records.append(("county_unemployment_pct_mean", "mean", None, table["county_unemployment_pct_mean"][i],
                        False, group_hidden))
        for row, kind, count, value, count_hidden, value_hidden in records:
            pub = comp.loc[(row, group), "published"] if (row, group) in comp.index else None
            rows.append({"row": row, "group": group, "kind": kind, "count": count, "value": value,
                         "published": pub, "difference": None if pub is None else value - pub})
            hidden.append({"count": count_hidden, "value": value_hidden, "difference": value_hidden})
    frame = pd.DataFrame(rows).astype({"count": "Int64"})
    return frame, pd.DataFrame(hidden).reindex(columns=frame.columns, fill_value=False)



def table_8_1_cells(
    rep: FuiReplication,
    rule: DisclosureControl,
    *,
    group_label: Callable[[str], str] = str,
    row_label: Callable[[str], str] = str,
) -> pd.DataFrame:
    """Table 8.1 for reading: one ``count pct%`` cell per row (index) and group (column),
    the published value in brackets, suppressed cells shown as the rule's marker (a
    suppressed count hides its percentage with it).  ``group_label`` and ``row_label``
    turn the keys into the reader's labels."""
    frame, mask = table_8_1(rep, rule)
    out: dict[str, dict[str, str]] = {}
    for (_, row), (_, hide) in zip(frame.iterrows(), mask.iterrows()):
        if row["kind"] == "count":
            shown = rule.marker if hide["count"] else f"{row['count']:,}"
        elif row["kind"] == "mean":
            shown = rule.marker if hide["value"] else f"{row['value']:.1f}"
        elif hide["count"]:
            shown = rule.marker
        else:
            pct = rule.marker if hide["value"] else ("" if pd.isna(row["value"]) else f"{row['value']:.1f}%")
            shown = f"{row['count']:,} {pct}".strip()
        if row["published"] is not None and not pd.isna(row["published"]):
            shown += f" [{row['published']:g}]"
        out.setdefault(group_label(row["group"]), {})[row_label(row["row"])] = shown
    return pd.DataFrame(out)

def model_sizes(sizes: pd.DataFrame, rule: DisclosureControl) -> pd.DataFrame:
    """Suppressed cells of a per-model sample-size frame (``entrants, used, excluded_*``).

    ``used`` and the ``excluded_*`` columns add up to ``entrants`` (shown unless small).
    """
    parts = ["used", *[c for c in sizes.columns if c.startswith("excluded_")]]
    mask = pd.DataFrame(False, index=sizes.index, columns=sizes.columns)
    for label, row in sizes.iterrows():
        flags = rule.additive([row[c] for c in parts], total_shown=not rule.small(row["entrants"]))
        mask.loc[label, parts] = flags
        mask.loc[label, "entrants"] = rule.small(row["entrants"])
    return mask


def entries(steps: dict[str, int], rule: DisclosureControl) -> dict[str, bool]:
    """Suppressed steps of the entry report: the exclusions and kept entries add up to the first step."""
    names = list(steps)
    if not names:
        return {}
    flags = [rule.small(steps[names[0]])] + rule.additive([steps[n] for n in names[1:]])
    return dict(zip(names, flags))


def contamination(rep: FuiReplication, rule: DisclosureControl) -> pd.DataFrame:
    """Suppressed ``share_exposed`` cells: the exposed or unexposed count, or the group, is below the minimum."""
    table = rep.contamination
    sizes = rep.sample.frame["group"].astype(str).value_counts()
    n = table["group"].astype(str).map(sizes).fillna(0)
    exposed = (table["share_exposed"] * n).round()
    # a share near 100 % reveals the few not exposed as much as a small share the few exposed
    hidden = [rule.rate_hidden(e, d) or rule.small(d - e) for e, d in zip(exposed, n)]
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask["share_exposed"] = hidden
    return mask



def warnings(rep: FuiReplication, rule: DisclosureControl) -> list[dict]:
    """The coded design warnings with suppressed contamination shares withheld.

    A contamination warning whose share exposed is suppressed (:func:`contamination`)
    keeps its code, group and horizon; its share becomes ``None`` and its message says
    "some entrants" instead of the percentage.
    """
    table = rep.contamination
    hidden = contamination(rep, rule)["share_exposed"]
    secret = {(str(g), int(h)) for g, h, x in zip(table["group"], table["horizon"], hidden) if x}
    out = []
    for warning in rep.coded_warnings():
        if warning["code"] == "contamination" and (warning["group"], warning["horizon"]) in secret:
            percent = f"{100 * warning['share_exposed']:.0f}% of group"
            warning = {**warning, "share_exposed": None, "suppressed": ["share_exposed"],
                       "message": warning["message"].replace(percent, f"some entrants ({rule.marker}) of group")}
        out.append(warning)
    return out
