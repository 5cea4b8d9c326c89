"""pyfixest: saturated (Sun-Abraham style) event study, cohort x event-time interactions."""

from _child import run
import pyfixest as pf


def estimate(data):
    fit = pf.event_study(data=data, yname="y", idname="unit", tname="time", gname="first_treated",
                         estimator="saturated")
    agg = fit.aggregate()
    return {f"e:{float(str(k).split('::')[-1].rstrip(']')):g}": v for k, v in agg["Estimate"].items()}


if __name__ == "__main__":
    run(estimate)
