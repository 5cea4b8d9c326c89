"""moderndid: att_gt (doubly robust, never-treated controls, analytic SEs) + dynamic aggregation."""

import numpy as np
from _child import estimates, run
import moderndid as md


def estimate(data, covariates=None):
    formula = {} if covariates is None else {"xformla": "~ " + " + ".join(covariates)}
    res = md.att_gt(data, yname="y", tname="time", idname="unit", gname="first_treated", boot=False, cband=False,
                    **formula)
    dyn = md.aggte(res, type="dynamic", boot=False, cband=False)
    return estimates(zip(np.asarray(res.groups), np.asarray(res.times), np.asarray(res.att_gt)),
                     zip(np.asarray(dyn.event_times), np.asarray(dyn.att_by_event)), dyn.overall_att)


if __name__ == "__main__":
    run(estimate)
