"""diff-diff: ImputationDiD (Borusyak, Jaravel & Spiess 2024), overall ATT and every horizon, unit-clustered SEs."""

from _child import run
from diff_diff import ImputationDiD


def estimate(data):
    res = ImputationDiD(cluster="unit").fit(data, outcome="y", unit="unit", time="time", first_treat="first_treated",
                                            aggregate="event_study")
    out = {f"e:{e:g}": v["effect"] for e, v in res.event_study_effects.items() if v.get("n_obs", 1)}
    out["overall"] = res.overall_att
    return out


if __name__ == "__main__":
    run(estimate)
