"""moderndid: att_gt doubly robust with the 8 covariate dummies (never-treated controls, analytic SEs) + dynamic."""

import numpy as np
from _child import COVARIATES, run
import moderndid as md


def estimate(data):
    res = md.att_gt(data, yname="y", tname="time", idname="unit", gname="first_treated", boot=False, cband=False,
                    xformla="~ " + " + ".join(COVARIATES))
    dyn = md.aggte(res, type="dynamic", boot=False, cband=False)
    out = {f"gt:{g:g},{t:g}": v for g, t, v in zip(np.asarray(res.groups), np.asarray(res.times), np.asarray(res.att_gt))}
    out.update({f"e:{e:g}": v for e, v in zip(np.asarray(dyn.event_times), np.asarray(dyn.att_by_event))})
    out["overall"] = dyn.overall_att
    return out


if __name__ == "__main__":
    run(estimate)
