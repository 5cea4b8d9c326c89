"""csdid: ATTgt (doubly robust, never-treated controls, analytic SEs) + dynamic aggregation."""

from _child import estimates, run
from csdid.att_gt import ATTgt


def estimate(data, covariates=None):
    formula = None if covariates is None else "~ " + " + ".join(covariates)
    fit = ATTgt(yname="y", tname="time", idname="unit", gname="first_treated", data=data,
                xformla=formula).fit(est_method="dr", bstrap=False)
    fit.aggte(typec="dynamic", bstrap=False)
    r = fit.results
    return estimates(zip(r["group"], r["year"], r["att"]), zip(fit.atte["egt"], fit.atte["att_egt"]),
                     fit.atte["overall_att"])


if __name__ == "__main__":
    run(estimate)
