"""diff-diff: CallawaySantAnna (doubly robust, never-treated controls, analytic SEs) + event study."""

from _child import estimates, run
from diff_diff import CallawaySantAnna


def estimate(data, covariates=None):
    res = CallawaySantAnna(estimation_method="dr").fit(
        data, outcome="y", unit="unit", time="time", first_treat="first_treated", covariates=covariates,
        aggregate="event_study")
    return estimates(((g, t, v["effect"]) for (g, t), v in res.group_time_effects.items()),
                     ((e, v["effect"]) for e, v in res.event_study_effects.items()))


if __name__ == "__main__":
    run(estimate)
