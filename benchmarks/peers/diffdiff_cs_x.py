"""diff-diff: CallawaySantAnna doubly robust with the 8 covariate dummies (never-treated controls) + event study."""

from _child import COVARIATES, run
from diffdiff_cs import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, COVARIATES))
