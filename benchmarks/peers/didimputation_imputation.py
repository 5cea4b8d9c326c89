"""did-imputation: did_imputation (a port of Borusyak's Stata did_imputation), every horizon, unit clusters."""

import numpy as np

from _child import run
from did_imputation import did_imputation


def estimate(data):
    data = data.assign(Ei=data["first_treated"].where(data["first_treated"] > 0, np.nan))
    res = did_imputation(data, y="y", i="unit", t="time", Ei="Ei", fe=["unit", "time"], allhorizons=True,
                         cluster="unit", minn=0)
    return {f"e:{float(str(k).lstrip('tau')):g}": v for k, v in res.estimates.items()}


if __name__ == "__main__":
    run(estimate)
