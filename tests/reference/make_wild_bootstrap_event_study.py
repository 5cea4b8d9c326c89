"""Freeze wild cluster bootstrap reference values of an event-study regression from
pyfixest + wildboottest.

Run by hand from the repository root (in an environment with pyfixest and wildboottest;
they are never evalkit dependencies):

    python tests/reference/make_wild_bootstrap_event_study.py

It writes tests/reference/wild_bootstrap_event_study.json: a staggered panel (10
counties of 3 units, 6 periods; 2 counties first treated in period 3, 2 in period 5),
the regression ``y ~ event-time dummies (ref -1) + period dummies | unit`` clustered by
county, and for each tested event time the CR1 t-statistic, wildboottest's p-value and
its sorted bootstrap t-statistics.  The unit fixed effects are nested in the county
clusters and the period effects are explicit dummies, so the dummy-variable bootstrap of
wildboottest is the one evalkit's ``event_study(..., fe=("unit",), covariates=<period
dummies>)`` runs.  With 10 clusters and reps=9999 all 2**10 Rademacher draws are
enumerated (no seed dependence).
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

OUT = Path(__file__).with_name("wild_bootstrap_event_study.json")
EVENT_TIMES = [-4, -3, -2, 0, 1, 2, 3]
CASES = [
    {"id": "e0_wcr", "event_time": 0, "impose_null": True},
    {"id": "e2_wcr", "event_time": 2, "impose_null": True},
    {"id": "em3_wcr", "event_time": -3, "impose_null": True},
    {"id": "e1_wcu", "event_time": 1, "impose_null": False},
]


def dummy(e: int) -> str:
    return f"e_{'m' if e < 0 else ''}{abs(e)}"


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    n_counties, per, n_periods = 10, 3, 6
    first = np.array([3, 3, 5, 5] + [0] * 6)
    county = np.repeat(np.arange(n_counties), per)
    n = county.size
    t = np.arange(1, n_periods + 1)
    g = first[county]
    shock = rng.normal(size=n_counties)[county][:, None] + 0.7 * rng.normal(size=(n_counties, n_periods))[county]
    treated = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = shock + rng.normal(size=n)[:, None] + 0.3 * t + 0.25 * treated + rng.normal(size=(n, n_periods))
    data = pd.DataFrame({"county": np.repeat(county, n_periods), "unit": np.repeat(np.arange(n), n_periods),
                         "t": np.tile(t, n), "g": np.repeat(g, n_periods), "y": y.ravel()})
    rel = np.where(data["g"] > 0, data["t"] - data["g"], np.nan)
    for e in EVENT_TIMES:
        data[dummy(e)] = (rel == e).astype(float)
    for p in t[1:]:
        data[f"d{p}"] = (data["t"] == p).astype(float)
    return data


def main() -> None:
    data = make_data()
    periods = [c for c in data.columns if c.startswith("d") and c[1:].isdigit()]
    formula = f"y ~ {' + '.join(dummy(e) for e in EVENT_TIMES)} + {' + '.join(periods)} | unit"
    fit = pf.feols(formula, data=data, vcov={"CRV1": "county"})
    results = []
    for case in CASES:
        term = dummy(case["event_time"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, t_boot = fit.wildboottest(
                param=term, reps=9999, cluster="county", weights_type="rademacher",
                impose_null=case["impose_null"], bootstrap_type="11", seed=1, return_bootstrapped_t_stats=True,
            )
        t_boot = np.asarray(t_boot, dtype=float).ravel()
        results.append({**case, "term": term, "tstat": float(out["t value"]), "p_value": float(out["Pr(>|t|)"]),
                        "n_draws": int(t_boot.size), "t_boot_sorted": np.sort(t_boot).tolist(),
                        "pyfixest_cr1_tstat": float(fit.tstat()[term])})
    OUT.write_text(json.dumps({
        "generator": "tests/reference/make_wild_bootstrap_event_study.py",
        "versions": {p: version(p) for p in ("pyfixest", "wildboottest", "numpy", "pandas")},
        "formula": formula,
        "period_dummies": periods,
        "call": "pyfixest.feols(formula, data, vcov={'CRV1': 'county'}).wildboottest(param=term, reps=9999, "
                "cluster='county', weights_type='rademacher', impose_null=..., bootstrap_type='11')",
        "p_value_convention": "wildboottest: mean(|t| < |t*|) over all 2**G draws (ties not counted)",
        "data": data[["county", "unit", "t", "g", "y", *periods]].to_dict(orient="list"),
        "cases": results,
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
