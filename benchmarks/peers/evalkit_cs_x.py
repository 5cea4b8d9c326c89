"""evalkit: ATT(g,t) doubly robust with the 8 covariate dummies (never-treated controls, analytic SEs) + dynamic."""

from _child import COVARIATES, run
import evalkit_cs


def estimate(data):
    return evalkit_cs.estimate(data, COVARIATES)


if __name__ == "__main__":
    run(estimate)
