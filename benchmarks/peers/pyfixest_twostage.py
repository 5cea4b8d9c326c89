"""pyfixest: did2s two-stage DiD (Gardner 2022) with event-time terms (never-treated: rel = -1)."""

from _child import event_time, run
import pyfixest as pf


def estimate(data):
    data = data.assign(rel=event_time(data), treat=((data["first_treated"] > 0) & (data["time"] >= data["first_treated"])).astype(int))
    fit = pf.did2s(data, yname="y", first_stage="~ 0 | unit + time", second_stage="~ i(rel, ref=-1.0)",
                   treatment="treat", cluster="unit")
    return {f"e:{float(name.split('::')[1].rstrip(']')):g}": v for name, v in fit.coef().items()}


if __name__ == "__main__":
    run(estimate)
