"""evalkit: TWFE event study, unit and month fixed effects, unit-clustered (CR1) SEs."""

from _child import run
from evalkit.estimators.event_study import event_study


def estimate(data):
    res = event_study(data, y="y", time="time", group="first_treated", unit="unit")
    return {f"e:{e:g}": v for e, v in zip(res.event_time.to_numpy(), res.params.to_numpy())}


if __name__ == "__main__":
    run(estimate)
