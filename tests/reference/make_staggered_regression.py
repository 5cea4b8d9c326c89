"""Freeze peer-package reference values for evalkit's regression-based staggered estimators.

Run by hand from the repository root:  python tests/reference/make_staggered_regression.py
It writes tests/reference/staggered_regression.json with the input data, the calls and
their estimates, standard errors and package versions:

* TWFE event study: pyfixest ``feols("y ~ i(rel, ref=-1) | unit + time")``, CRV1 by unit
  (never-treated rows coded to the reference, so all their dummies are zero);
* Sun & Abraham: pyfixest ``feols`` of y on cohort x event-time dummies (all event times
  but -1, never-treated controls) | unit + time, CRV1 by unit, aggregated with cohort
  shares of the observations at each event time (as fixest's ``sunab`` and diff-diff's
  ``SunAbraham``) and the delta method ``w' V w``;
* Gardner two-stage: pyfixest ``did2s`` (ATT and event-time second stages);
* Borusyak-Jaravel-Spiess imputation: diff-diff ``ImputationDiD`` (overall ATT and
  event-study horizons, conservative Theorem 3 variance, clustered by unit);
* Goodman-Bacon decomposition: diff-diff ``BaconDecomposition``.

pyfixest's demeaning tolerance is tightened to 1e-13 (also inside ``did2s``, by wrapping
its ``feols``) and the
fixed-effect recovery of ``did2s`` (lsqr ``atol=btol=1e-14``) so that the references are exact to ~1e-12.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import diff_diff
import numpy as np
import pandas as pd
import pyfixest as pf
import importlib
pf_did2s = importlib.import_module("pyfixest.did.did2s")
from pyfixest.demeaners import MapDemeaner
from pyfixest.estimation.models.feols_ import Feols

OUT = Path(__file__).with_name("staggered_regression.json")
DEMEANER = MapDemeaner(fixef_tol=1e-13)


def make_data() -> pd.DataFrame:
    """60 units, periods 1..8, cohorts 3, 5, 7 and never treated; dynamic, heterogeneous effects."""
    rng = np.random.default_rng(20240917)
    n_units, n_periods = 60, 8
    g = rng.choice([0, 3, 5, 7], size=n_units, p=[0.3, 0.25, 0.25, 0.2])
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    gi = np.repeat(g, n_periods)
    rel = np.where(gi > 0, time - gi, np.nan)
    effect = np.where((gi > 0) & (time >= gi), 1.0 + 0.4 * np.nan_to_num(rel) + 0.1 * gi, 0.0)
    x = rng.normal(size=unit.size) + 0.05 * time
    y = (np.repeat(rng.normal(size=n_units), n_periods) + 0.3 * time + 0.5 * x + effect
         + rng.normal(size=unit.size))
    w = np.repeat(rng.uniform(0.5, 2.0, size=n_units), n_periods)
    return pd.DataFrame({"unit": unit, "time": time, "g": gi, "x": x, "w": w, "y": y})


def with_rel(data: pd.DataFrame, leads: int | None = None, lags: int | None = None) -> pd.DataFrame:
    rel = np.where(data["g"] > 0, data["time"] - data["g"], -1.0)
    treated = data["g"] > 0
    if leads is not None:
        rel = np.where(treated, np.maximum(rel, -leads), rel)
    if lags is not None:
        rel = np.where(treated, np.minimum(rel, lags), rel)
    return data.assign(rel=rel.astype(int))


def coefs(fit) -> dict:
    return {"terms": [str(t) for t in fit.coef().index], "coef": fit.coef().tolist(), "se": fit.se().tolist()}


def twfe_cases(data: pd.DataFrame) -> list[dict]:
    cases = []
    for case_id, kwargs, leads, lags, cov, weights in [
        ("all", {}, None, None, "", None),
        ("binned", {"min_e": -3, "max_e": 3}, 3, 3, "", None),
        ("covariate_weighted", {"covariates": ["x"], "weights": "w"}, None, None, " + x", "w"),
    ]:
        d = with_rel(data, leads, lags)
        fit = pf.feols(f"y ~ i(rel, ref=-1){cov} | unit + time", d, vcov={"CRV1": "unit"}, weights=weights,
                       demeaner=DEMEANER)
        cases.append({"id": case_id, "kwargs": kwargs, **coefs(fit)})
    return cases


def sun_abraham_reference(data: pd.DataFrame) -> dict:
    d = data.copy()
    rel = np.where(d["g"] > 0, d["time"] - d["g"], np.nan)
    cells = sorted({(int(g), int(e)) for g, e in zip(d["g"], rel) if g > 0 and e != -1})
    names = []
    for g, e in cells:
        name = f"c{g}_e{e + 100}"
        d[name] = ((d["g"] == g) & (rel == e)).astype(float)
        names.append(name)
    fit = pf.feols("y ~ " + " + ".join(names) + " | unit + time", d, vcov={"CRV1": "unit"}, demeaner=DEMEANER)
    beta, V = fit.coef().to_numpy(), fit._vcov
    counts = pd.Series(1.0, index=pd.MultiIndex.from_arrays([d["g"], rel])).groupby(level=[0, 1]).sum()
    events = sorted({e for _, e in cells})
    est, se = [], []
    for e in events:
        wv = np.array([counts[(g, e)] if ee == e else 0.0 for g, ee in cells])
        wv /= wv.sum()
        est.append(float(wv @ beta))
        se.append(float(np.sqrt(wv @ V @ wv)))
    dd = diff_diff.SunAbraham().fit(data, outcome="y", unit="unit", time="time", first_treat="g")
    dd_points = {int(k): float(v["effect"]) for k, v in dd.event_study_effects.items()}
    return {"event_times": events, "coef": est, "se": se,
            "cohort_cells": [list(c) for c in cells], "cohort_coef": beta.tolist(),
            "cohort_se": fit.se().tolist(), "diff_diff_points": dd_points}


def did2s_reference(data: pd.DataFrame) -> dict:
    original, original_fixef = pf_did2s.feols, Feols.fixef
    pf_did2s.feols = lambda *a, **k: original(*a, demeaner=DEMEANER, **k)
    Feols.fixef = lambda self, atol=1e-14, btol=1e-14: original_fixef(self, atol=atol, btol=btol)
    try:
        d = with_rel(data).assign(treat=((data["g"] > 0) & (data["time"] >= data["g"])).astype(bool))
        att = pf.did2s(d, yname="y", first_stage="~ 0 | unit + time", second_stage="~ treat",
                       treatment="treat", cluster="unit")
        es = pf.did2s(d, yname="y", first_stage="~ 0 | unit + time",
                      second_stage="~ i(rel, ref=-1)", treatment="treat", cluster="unit")
        cov = pf.did2s(d, yname="y", first_stage="~ x | unit + time", second_stage="~ treat",
                       treatment="treat", cluster="unit", weights="w")
    finally:
        pf_did2s.feols, Feols.fixef = original, original_fixef
    return {"att": coefs(att), "event_time": coefs(es), "att_covariate_weighted": coefs(cov)}


def imputation_reference(data: pd.DataFrame) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = diff_diff.ImputationDiD(pretrends=True).fit(data, outcome="y", unit="unit", time="time",
                                                          first_treat="g")
        frame = res.aggregate("event_study").to_dataframe()
    frame = frame.loc[~frame["is_reference"]]
    return {"overall": {"coef": float(res.overall_att), "se": float(res.overall_se)},
            "event_time": {"event_times": frame["event_time"].astype(int).tolist(),
                           "coef": frame["att"].tolist(), "se": frame["se"].tolist()}}


def bacon_reference(data: pd.DataFrame) -> dict:
    res = diff_diff.BaconDecomposition().fit(data, outcome="y", unit="unit", time="time", first_treat="g")
    comps = [{"treated": float(c.treated_group), "control": str(c.control_group), "type": str(c.comparison_type),
              "estimate": float(c.estimate), "weight": float(c.weight)} for c in res.comparisons]
    return {"twfe": float(res.twfe_estimate), "comparisons": comps}


def main() -> None:
    data = make_data()
    payload = {
        "generator": "tests/reference/make_staggered_regression.py",
        "versions": {"pyfixest": pf.__version__, "diff_diff": diff_diff.__version__,
                     "numpy": np.__version__, "pandas": pd.__version__},
        "data": data.to_dict(orient="list"),
        "twfe": twfe_cases(data),
        "sun_abraham": sun_abraham_reference(data),
        "did2s": did2s_reference(data),
        "imputation": imputation_reference(data),
        "bacon": bacon_reference(data),
    }
    OUT.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
