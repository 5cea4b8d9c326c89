"""Freeze lifelines' Aalen-Johansen estimates into ``aalen_johansen.json``.

lifelines caps pandas below 3, so it is never installed with evalkit's test extras; its
numbers are frozen here instead.  Made with lifelines 0.30.3, pandas 2.3.3, numpy 2.4.6 and
Python 3.11 in a throwaway virtual environment, from the repository root::

    python3 -m venv /tmp/lifelines-venv
    /tmp/lifelines-venv/bin/pip install lifelines==0.30.3 pandas==2.3.3 numpy==2.4.6
    /tmp/lifelines-venv/bin/python tests/reference/make_aalen_johansen.py

The versions used are also written into the JSON.  Three cases, each with its input data:

``distinct_times``
    Durations with three decimals: no two events of different types share a time, so
    lifelines' ``AalenJohansenFitter`` fits without jittering and its numbers are exact.
    Stored: CIF, variance and the two confidence bounds at every time of lifelines' table.
``monthly_ties``
    Whole-month durations where work, education and censoring share months (the case of
    register data).  lifelines would jitter event times at random; instead every event time
    is moved a tiny, distinct amount DOWN (events before censorings of the same month, the
    convention of the exact estimator), which lifelines then fits without ties.  Stored:
    CIF and variance read off at whole months 0..12.
``gamma_times``
    80 gamma durations with four decimals (seed 7), all distinct: CIF and variance at every
    time of lifelines' table.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import lifelines
import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter

OUT = Path(__file__).with_name("aalen_johansen.json")


def _fit(durations: np.ndarray, events: np.ndarray, k: int) -> AalenJohansenFitter:
    return AalenJohansenFitter(calculate_variance=True).fit(durations, events, event_of_interest=k)


def distinct_times(rng: np.random.Generator) -> dict:
    n = 150
    durations = np.round(rng.exponential(5.0, n), 3)
    events = rng.choice([0, 1, 2], size=n, p=[0.3, 0.4, 0.3])
    curves = {}
    for k in (1, 2):
        aj = _fit(durations, events, k)
        ci = aj.confidence_interval_.to_numpy()
        curves[str(k)] = {
            "time": aj.cumulative_density_.index.to_list(),
            "cif": aj.cumulative_density_.iloc[:, 0].to_list(),
            "variance": [None if np.isnan(v) else v for v in aj.variance_.to_numpy()],
            # lifelines' columns are labelled upper/lower the wrong way round: take min/max
            "conf_low": [None if np.isnan(v) else v for v in np.min(ci, axis=1)],
            "conf_high": [None if np.isnan(v) else v for v in np.max(ci, axis=1)],
        }
    return {"durations": durations.tolist(), "events": events.tolist(), "alpha": 0.05, "curves": curves}


def monthly_ties(rng: np.random.Generator) -> dict:
    n = 200
    durations = rng.integers(1, 13, n).astype(float)
    events = rng.choice([0, 1, 2], size=n, p=[0.3, 0.4, 0.3])
    shifted = durations.copy()
    is_event = events > 0
    # distinct offsets in (0, 1e-3): ordered below every censoring of the same month
    shifted[is_event] -= rng.permutation(np.arange(1, is_event.sum() + 1)) * 1e-6
    months = np.arange(13)
    curves = {}
    for k in (1, 2):
        aj = _fit(shifted, events, k)
        cif = aj.cumulative_density_.iloc[:, 0]
        var = aj.variance_
        curves[str(k)] = {
            "time": months.tolist(),
            "cif": [float(cif[cif.index <= m].iloc[-1]) for m in months],
            "variance": [float(var[var.index <= m].iloc[-1]) for m in months],
        }
    return {"durations": durations.tolist(), "events": events.tolist(), "curves": curves}


def gamma_times(rng: np.random.Generator) -> dict:
    n = 80
    durations = np.round(rng.gamma(2.0, 3.0, n), 4)
    events = rng.choice([0, 1, 2], size=n, p=[0.25, 0.45, 0.3])
    if AalenJohansenFitter._check_for_duplicates(durations, events):
        raise RuntimeError("tied event times: lifelines would jitter them")
    curves = {}
    for k in (1, 2):
        aj = _fit(durations, events, k)
        curves[str(k)] = {
            "time": aj.cumulative_density_.index.to_list(),
            "cif": aj.cumulative_density_.iloc[:, 0].to_list(),
            "variance": [None if np.isnan(v) else v for v in aj.variance_.to_numpy()],
        }
    return {"durations": durations.tolist(), "events": events.tolist(), "curves": curves}


def main() -> None:
    rng = np.random.default_rng(20240601)
    doc = {
        "generator": "tests/reference/make_aalen_johansen.py",
        "versions": {
            "python": platform.python_version(),
            "lifelines": lifelines.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "event_names": ["work", "education"],
        "distinct_times": distinct_times(rng),
        "monthly_ties": monthly_ties(rng),
        "gamma_times": gamma_times(np.random.default_rng(7)),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
