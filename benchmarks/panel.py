"""The synthetic person-month panel every benchmark process reads (written once to Parquet).

``n_rows / 40`` units observed in months ``1..40``; each unit lives in one of 19 regions,
and the region's rollout month is its cohort: regions 0-5 start in month 13, 6-11 in
month 19, 12-15 in month 25, 16-18 never (``first_treated = 0``).  The outcome is

    y_it = a_i + b_t + 1{t >= g_i} (0.5 + 0.02 (t - g_i) + 0.1 k(g_i)) + e_it,

with ``a_i ~ N(0, 1)``, ``b_t ~ N(0, 0.25)``, ``e_it ~ N(0, 1)`` and ``k(g)`` the cohort's
index (effects differ by cohort and grow with event time).  Each unit also has a category
``c_i`` in ``0..8`` (uniform), given as 8 dummy columns ``x1..x8`` (the discrete covariates
of the ``cs_x`` benchmark); it adds the trend ``0.1 c_i t / 40`` to ``y``.  Columns:
``unit``, ``time``, ``region``, ``first_treated``, ``y``, ``x1..x8``.  Seeded: the same size
gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

N_PERIODS = 40
N_REGIONS = 19
N_CATEGORIES = 9
#: Names of the covariate dummies (category 0 is the omitted level).
COVARIATES = [f"x{k}" for k in range(1, N_CATEGORIES)]
REGION_COHORT = np.array([13] * 6 + [19] * 6 + [25] * 4 + [0] * 3)


def make_panel(n_rows: int, seed: int = 20170101) -> pd.DataFrame:
    """Balanced staggered panel of ``n_rows`` person-months (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_units = n_rows // N_PERIODS
    region = rng.integers(0, N_REGIONS, n_units)
    g = REGION_COHORT[region]
    unit_fe = rng.normal(0.0, 1.0, n_units)
    time_fe = rng.normal(0.0, 0.5, N_PERIODS)
    t = np.tile(np.arange(1, N_PERIODS + 1), n_units)
    gi = np.repeat(g, N_PERIODS)
    k = np.searchsorted(np.array([13, 19, 25]), gi)
    effect = np.where((gi > 0) & (t >= gi), 0.5 + 0.02 * (t - gi) + 0.1 * k, 0.0)
    y = np.repeat(unit_fe, N_PERIODS) + time_fe[t - 1] + effect + rng.normal(0.0, 1.0, n_units * N_PERIODS)
    category = np.repeat(rng.integers(0, N_CATEGORIES, n_units), N_PERIODS)
    frame = pd.DataFrame({
        "unit": np.repeat(np.arange(n_units, dtype=np.int64), N_PERIODS),
        "time": t.astype(np.int64),
        "region": np.repeat(region, N_PERIODS).astype(np.int64),
        "first_treated": gi.astype(np.int64),
        "y": y + 0.1 * category * t / N_PERIODS,
    })
    for k, name in enumerate(COVARIATES, start=1):
        frame[name] = (category == k).astype(np.int64)
    return frame


def panel_path(directory: Path, n_rows: int) -> Path:
    """Parquet file of the panel with ``n_rows`` rows, written on first use."""
    path = directory / f"panel_x_{n_rows}.parquet"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        make_panel(n_rows).to_parquet(path, index=False)
    return path
