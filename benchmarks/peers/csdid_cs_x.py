"""csdid: ATTgt doubly robust with the 8 covariate dummies (never-treated controls, no bootstrap) + dynamic aggte."""

from _child import COVARIATES, run
from csdid.att_gt import ATTgt


def estimate(data):
    fit = ATTgt(yname="y", tname="time", idname="unit", gname="first_treated", data=data,
                xformla="~ " + " + ".join(COVARIATES)).fit(est_method="dr", bstrap=False)
    fit.aggte(typec="dynamic", bstrap=False)
    r = fit.results
    out = {f"gt:{g:g},{t:g}": v for g, t, v in zip(r["group"], r["year"], r["att"])}
    out.update({f"e:{e:g}": v for e, v in zip(fit.atte["egt"], fit.atte["att_egt"])})
    out["overall"] = fit.atte["overall_att"]
    return out


if __name__ == "__main__":
    run(estimate)
