"""County profiles and the county x month registered-unemployment table of the simulator.

County parameters are not hard-coded by name: each county of the rollout schedule gets a
share of its region's entrants and an unemployment offset from a fixed seed, so the
synthetic "country" is the same for every simulation seed and follows the schedule file.
The regional unemployment paths are then shifted so that the entrant-weighted mean rate of
each analysis group equals table 8.1 (3.4, 3.0, 2.7 and 2.5 percent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.panel.months import to_month_index
from evalkit.replications.fui.published import GROUPS
from evalkit.replications.fui.synthetic.published import WINDOW_MONTHS

#: Months of the synthetic panel: January 2016 - December 2018.
PANEL_START = pd.Timestamp("2016-01-01")
N_MONTHS = 36
MONTHS = pd.date_range(PANEL_START, periods=N_MONTHS, freq="MS")

#: Seed of the synthetic country (county shares, unemployment offsets and trends).
COUNTRY_SEED = 20_170_101

#: Within-region standard deviation of county unemployment levels (percentage points).
COUNTY_SPREAD = 0.6

#: Share of each window's entrants by calendar month (March, April, May, June).
WINDOW_MONTH_SHARES = np.array([0.26, 0.24, 0.24, 0.26])

#: Regional unemployment anchors (percent) at Jan 2016, mid t1, mid t2 and Dec 2018.
_ANCHOR_MONTHS = np.array([0.0, 3.5, 15.5, 35.0])
_ANCHORS = {"south_west": np.array([3.3, 3.4, 3.0, 2.5]), "rest": np.array([2.8, 2.7, 2.5, 2.2])}


def month_index(timestamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since January 2016 (0 = January 2016)."""
    months = to_month_index(pd.Series(pd.DatetimeIndex(timestamps)))
    return months.to_numpy(dtype=np.int64) - int(to_month_index(pd.Series([PANEL_START])).iloc[0])


def window_month_indices(window: str) -> np.ndarray:
    """Month indices of an entry window (``"t1"`` or ``"t2"``)."""
    offset = 0 if window == "t1" else 12
    return np.array([offset + m - 1 for m in WINDOW_MONTHS])


def county_profile(schedule: pd.DataFrame) -> pd.DataFrame:
    """Per county: region code, share of the region's entrants, unemployment offset, trend.

    Returns the schedule's rows (in file order) with extra columns ``south_west`` (0/1),
    ``weight`` (sums to one within region), ``offset`` (pp, mean zero within region) and
    ``trend`` (pp per year).
    """
    rng = np.random.default_rng(COUNTRY_SEED)
    prof = schedule[["county", "region", "start_month"]].reset_index(drop=True).copy()
    prof["south_west"] = (prof["region"] == "south_west").astype(np.int8)
    n = len(prof)
    raw_weight = rng.lognormal(0.0, 0.6, n)
    raw_offset = rng.standard_normal(n)
    prof["trend"] = rng.normal(0.0, 0.15, n)
    prof["weight"] = raw_weight / prof.assign(w=raw_weight).groupby("region")["w"].transform("sum")
    z = pd.Series(raw_offset).groupby(prof["region"]).transform(lambda s: (s - s.mean()) / s.std())
    prof["offset"] = COUNTY_SPREAD * z.to_numpy()
    return prof


def _base_rates(profile: pd.DataFrame) -> np.ndarray:
    """County x month rates before the calibration shift (percent)."""
    t = np.arange(N_MONTHS, dtype=float)
    rates = np.empty((len(profile), N_MONTHS))
    season = 0.2 * np.cos(2 * np.pi * (MONTHS.month.to_numpy() - 1) / 12)
    for i, row in profile.iterrows():
        region_path = np.interp(t, _ANCHOR_MONTHS, _ANCHORS[row["region"]])
        rates[i] = region_path + row["offset"] + row["trend"] * (t - 17.5) / 12 + season
    return rates


def unemployment_rates(profile: pd.DataFrame, targets: dict[str, float]) -> np.ndarray:
    """County x month unemployment rates (percent) calibrated to the groups' mean rates.

    For region r and window w the expected mean over the group's entrants is
    ``sum_c weight_c * sum_m share_m * rate[c, m]``; a region-wide shift, constant within
    each window and linear between them, moves it onto ``targets[f"{r}_{w}"]``.
    """
    rates = _base_rates(profile)
    t = np.arange(N_MONTHS, dtype=float)
    for region in ("south_west", "rest"):
        rows = (profile["region"] == region).to_numpy()
        weight = profile.loc[rows, "weight"].to_numpy()
        shift = []
        for window in ("t1", "t2"):
            months = window_month_indices(window)
            mean = weight @ rates[np.ix_(rows, months)] @ WINDOW_MONTH_SHARES
            shift.append(targets[f"{region}_{window}"] - mean)
        t1_end, t2_start = window_month_indices("t1")[-1], window_month_indices("t2")[0]
        rates[rows] += np.interp(t, [t1_end, t2_start], shift)
    return np.clip(rates, 0.5, None)


def unemployment_frame(profile: pd.DataFrame, rates: np.ndarray) -> pd.DataFrame:
    """Long county x month table: ``county``, ``month``, ``unemployment_pct``."""
    return pd.DataFrame(
        {
            "county": np.repeat(profile["county"].to_numpy(dtype=object), N_MONTHS),
            "month": np.tile(MONTHS.to_numpy(), len(profile)),
            "unemployment_pct": rates.reshape(-1),
        }
    )


def group_targets(table: dict) -> dict[str, float]:
    """Mean unemployment per analysis group from table 8.1 (``{group: percent}``)."""
    return {g: float(table[g]["unemployment"]) for g in GROUPS}
