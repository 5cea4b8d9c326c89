"""diff-diff: CallawaySantAnna doubly robust with the 8 covariate dummies (never-treated controls) + event study."""

from _child import COVARIATES, run
import diffdiff_cs


def estimate(data):
    return diffdiff_cs.estimate(data, COVARIATES)


if __name__ == "__main__":
    run(estimate)
