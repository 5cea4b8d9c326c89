"""diff-diff: CallawaySantAnna doubly robust with the 8 covariate dummies (never-treated controls) + event study."""

from _child import COVARIATES, run
from diff_diff import CallawaySantAnna


def estimate(data):
    res = CallawaySantAnna(estimation_method="dr").fit(
        data, outcome="y", unit="unit", time="time", first_treat="first_treated", covariates=COVARIATES,
        aggregate="event_study")
    out = {f"gt:{g:g},{t:g}": v["effect"] for (g, t), v in res.group_time_effects.items()}
    out.update({f"e:{e:g}": v["effect"] for e, v in res.event_study_effects.items()})
    return out


if __name__ == "__main__":
    run(estimate)
