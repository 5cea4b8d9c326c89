"""diff-diff: TwoStageDiD (Gardner 2022), overall ATT and event-time effects, unit-clustered SEs."""

from _child import run
from diff_diff import TwoStageDiD
from diffdiff_imputation import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, TwoStageDiD))
