"""evalkit: Sun-Abraham interaction-weighted event study (never-treated controls)."""

from _child import run
from evalkit.estimators.sun_abraham import sun_abraham


def estimate(data):
    res = sun_abraham(data, y="y", time="time", group="first_treated", unit="unit")
    return {f"e:{e:g}": v for e, v in zip(res.event_time.to_numpy(), res.params.to_numpy()) if e == e}


if __name__ == "__main__":
    run(estimate)
