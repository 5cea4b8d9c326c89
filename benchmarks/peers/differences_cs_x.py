"""differences: ATTgt doubly robust with the 8 covariate dummies (never-treated controls) + event aggregation."""

from _child import COVARIATES, run
from differences_cs import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, COVARIATES))
