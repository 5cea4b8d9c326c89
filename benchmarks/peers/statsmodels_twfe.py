"""statsmodels: OLS with unit and month dummies (LSDV) and event-time dummies, clustered by unit."""

import numpy as np
import pandas as pd
from _child import event_time, run
import statsmodels.api as sm


def estimate(data):
    rel = event_time(data).to_numpy()
    times = [e for e in np.unique(rel) if e != -1]
    X = np.column_stack([(rel == e).astype(float) for e in times])
    units = pd.get_dummies(data["unit"], drop_first=False, dtype=float).to_numpy()
    months = pd.get_dummies(data["time"], drop_first=True, dtype=float).to_numpy()
    design = np.hstack([X, units, months])
    fit = sm.OLS(data["y"].to_numpy(), design).fit(cov_type="cluster", cov_kwds={"groups": data["unit"].to_numpy()})
    return {f"e:{e:g}": b for e, b in zip(times, fit.params[: len(times)])}


if __name__ == "__main__":
    run(estimate)
