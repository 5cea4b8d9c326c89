"""linearmodels: PanelOLS with entity and time effects on event-time dummies, clustered by unit."""

import numpy as np
import pandas as pd
from _child import event_time, run
from linearmodels.panel import PanelOLS


def estimate(data):
    rel = event_time(data).to_numpy()
    times = [e for e in np.unique(rel) if e != -1]
    dummies = pd.DataFrame({f"e{e}": (rel == e).astype(float) for e in times})
    dummies.index = pd.MultiIndex.from_arrays([data["unit"], data["time"]])
    y = pd.Series(data["y"].to_numpy(), index=dummies.index, name="y")
    fit = PanelOLS(y, dummies, entity_effects=True, time_effects=True).fit(cov_type="clustered", cluster_entity=True)
    return {f"e:{e:g}": fit.params[f"e{e}"] for e in times}


if __name__ == "__main__":
    run(estimate)
