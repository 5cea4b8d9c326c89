"""evalkit: imputation DiD (Borusyak, Jaravel & Spiess 2024), overall ATT and every horizon."""

from _child import run
from evalkit.estimators.imputation import imputation_did


def estimate(data):
    res = imputation_did(data, y="y", time="time", group="first_treated", unit="unit")
    return {("overall" if e != e else f"e:{e:g}"): v for e, v in zip(res.event_time.reindex(res.params.index).to_numpy(), res.params.to_numpy())}


if __name__ == "__main__":
    run(estimate)
