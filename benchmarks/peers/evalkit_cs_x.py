"""evalkit: ATT(g,t) doubly robust with the 8 covariate dummies (never-treated controls, analytic SEs) + dynamic."""

from _child import COVARIATES, run
from evalkit_cs import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, COVARIATES))
