"""diff-diff: TwoStageDiD (Gardner 2022), overall ATT and event-time effects, unit-clustered SEs."""

from _child import run
from diff_diff import TwoStageDiD
import diffdiff_imputation


def estimate(data):
    return diffdiff_imputation.estimate(data, TwoStageDiD)


if __name__ == "__main__":
    run(estimate)
