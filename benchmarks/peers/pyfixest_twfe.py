"""pyfixest: feols("y ~ i(rel, ref=-1) | unit + time"), CRV1 by unit (never-treated: rel = -1)."""

from _child import event_time, run
import pyfixest as pf


def estimate(data):
    data = data.assign(rel=event_time(data))
    fit = pf.feols("y ~ i(rel, ref=-1) | unit + time", data=data, vcov={"CRV1": "unit"})
    coef = fit.coef()
    return {f"e:{float(name.split('::')[1].rstrip(']')):g}": v for name, v in coef.items()}


if __name__ == "__main__":
    run(estimate)
