"""differences: ATTgt doubly robust with the 8 covariate dummies (never-treated controls) + event aggregation."""

from _child import COVARIATES, run
import differences_cs


def estimate(data):
    return differences_cs.estimate(data, COVARIATES)


if __name__ == "__main__":
    run(estimate)
