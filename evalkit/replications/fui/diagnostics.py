"""Design diagnostics the published analysis lacked.

*Contamination*: the 2x2 design assumes that the comparison region is untreated in both
windows and the treated region untreated in the pre window.  With a staged rollout this
fails at long horizons: entrants of March-June 2017 in the rest of Norway reach FUI in
July 2017, so their outcomes 3, 6 and 9 months later are partly measured under FUI, and
entrants of spring 2016 in the South-West reach it in January 2017 by their 9-month
horizon.  For every group and horizon this module reports the share of entrants whose
outcome month lies on or after their region's start.

*Bad control*: the need category is assigned after entry, under the new regime in the
treated region, so the reform can move it; conditioning on it can bias the effect
(Angrist & Pischke 2009, sec. 3.2.3).  The replication therefore also reports the effect
without it.
"""

from __future__ import annotations

import pandas as pd

from evalkit.replications.fui.sample import FuiSample

BAD_CONTROL_NOTE = (
    "The need category (innsatsgruppe) is assigned after entry, under the new regime in the "
    "treated region: the reform can move it, so controlling for it may bias the FUI effect "
    "(a 'bad control'). Compare with the estimate without it."
)


def contamination(sample: FuiSample) -> pd.DataFrame:
    """Share of each group's entrants whose outcome month is on or after their region's start.

    Returns one row per group and horizon with ``assumed`` (``"treated"`` for the treated
    region's post window, else ``"untreated"``), ``share_exposed`` and ``contaminated``
    (an untreated group with some entrants already exposed).
    """
    frame = sample.frame
    rows = []
    for group, part in frame.groupby("group", sort=False, observed=True):
        assumed = "treated" if group == "south_west_t2" else "untreated"
        for h in sample.spec.horizons:
            exposed = (part["entry_month"] + h >= part["start_month"]).fillna(False)
            share = float(exposed.mean()) if len(part) else float("nan")
            rows.append(
                {
                    "group": group,
                    "horizon": h,
                    "assumed": assumed,
                    "share_exposed": share,
                    "contaminated": assumed == "untreated" and share > 0,
                }
            )
    return pd.DataFrame(rows).sort_values(["group", "horizon"]).reset_index(drop=True)


def contamination_warnings(table: pd.DataFrame) -> list[str]:
    """Plain-language warnings for the contaminated horizons."""
    out = []
    for (group, h), row in table[table["contaminated"]].set_index(["group", "horizon"]).iterrows():
        out.append(
            f"horizon {h}: {100 * row['share_exposed']:.0f}% of group {group}, assumed untreated, "
            "had reached FUI by the outcome month, so the 2x2 estimate at this horizon is "
            "contaminated (an event study with not-yet-treated controls avoids this)"
        )
    return out
