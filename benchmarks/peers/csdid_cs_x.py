"""csdid: ATTgt doubly robust with the 8 covariate dummies (never-treated controls) + dynamic aggregation."""

from _child import COVARIATES, run
from csdid_cs import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, COVARIATES))
