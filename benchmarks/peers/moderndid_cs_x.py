"""moderndid: att_gt doubly robust with the 8 covariate dummies (never-treated controls) + dynamic aggregation."""

from _child import COVARIATES, run
import moderndid_cs


def estimate(data):
    return moderndid_cs.estimate(data, COVARIATES)


if __name__ == "__main__":
    run(estimate)
