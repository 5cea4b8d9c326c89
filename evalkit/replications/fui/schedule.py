"""The rollout schedule of the FUI reform, shipped as data.

*Forsterket ungdomsinnsats* started in Sør- og Vestlandet (South and West) in January
2017 and in the rest of Norway in July 2017.  The schedule is the table
``evalkit/data/rollout_norway_2017.csv`` (``county, region, start_month``), read by the
generic :meth:`~evalkit.cohorts.RolloutSchedule.read_csv`; ``--schedule`` replaces it.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from evalkit.cohorts import RolloutSchedule

#: The shipped schedule file inside the package.
NORWAY_2017_CSV = "rollout_norway_2017.csv"


def norway_2017_schedule() -> RolloutSchedule:
    """The FUI rollout: South-West from January 2017, the rest of Norway from July 2017."""
    with resources.files("evalkit.data").joinpath(NORWAY_2017_CSV).open(encoding="utf-8") as fh:
        return RolloutSchedule.from_frame(pd.read_csv(fh, dtype=str))
