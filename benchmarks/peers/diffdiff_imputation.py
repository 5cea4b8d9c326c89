"""diff-diff: ImputationDiD (Borusyak, Jaravel & Spiess 2024), overall ATT and every horizon, unit-clustered SEs."""

from _child import estimates, run
from diff_diff import ImputationDiD


def estimate(data, estimator=ImputationDiD):
    """``estimator``: ImputationDiD or TwoStageDiD (the same interface and results)."""
    res = estimator(cluster="unit").fit(data, outcome="y", unit="unit", time="time", first_treat="first_treated",
                                        aggregate="event_study")
    return estimates(events=((e, v["effect"]) for e, v in res.event_study_effects.items() if v.get("n_obs", 1)),
                     overall=res.overall_att)


if __name__ == "__main__":
    run(estimate)
