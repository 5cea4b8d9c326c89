"""evalkit: ATT(g,t) (never-treated controls, no covariates, analytic SEs) + dynamic aggregation."""

from _child import estimates, run
from evalkit.estimators.att_gt import att_gt


def estimate(data, covariates=None):
    res = att_gt(data, y="y", time="time", group="first_treated", unit="unit", covariates=covariates)
    dyn = res.aggregate("dynamic")
    return estimates(zip(res.group, res.time, res.params.to_numpy()), zip(dyn.term_values, dyn.params.to_numpy()),
                     dyn.params["ATT"])


if __name__ == "__main__":
    run(estimate)
