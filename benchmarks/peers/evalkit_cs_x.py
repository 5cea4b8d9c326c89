"""evalkit: ATT(g,t) doubly robust with the 8 covariate dummies (never-treated controls, analytic SEs) + dynamic."""

import pandas as pd

from _child import COVARIATES, run
from evalkit.estimators.att_gt import att_gt


def estimate(data):
    res = att_gt(data, y="y", time="time", group="first_treated", unit="unit", covariates=COVARIATES)
    dyn = res.aggregate("dynamic")
    out = {f"gt:{g:g},{t:g}": v for g, t, v in zip(res.group, res.time, res.params.to_numpy())}
    out.update({f"e:{e:g}": v for e, v in zip(dyn.term_values, dyn.params.to_numpy()) if e is not pd.NA})
    out["overall"] = dyn.params["ATT"]
    return out


if __name__ == "__main__":
    run(estimate)
