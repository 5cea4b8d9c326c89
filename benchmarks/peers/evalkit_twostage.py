"""evalkit: two-stage DiD (Gardner 2022) with event-time terms."""

from _child import run
from evalkit.estimators.two_stage import two_stage_did


def estimate(data):
    res = two_stage_did(data, y="y", time="time", group="first_treated", unit="unit")
    return {f"e:{e:g}": v for e, v in zip(res.event_time.to_numpy(), res.params.to_numpy()) if e == e}


if __name__ == "__main__":
    run(estimate)
