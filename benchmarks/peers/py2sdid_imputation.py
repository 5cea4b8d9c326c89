"""py2sdid: bjs_did imputation estimator (Borusyak, Jaravel & Spiess 2024), unit-clustered SEs."""

from _child import run
import polars as pl
import py2sdid


def estimate(data):
    res = py2sdid.bjs_did(pl.from_pandas(data), yname="y", idname="unit", tname="time", gname="first_treated",
                          cluster_var="unit", verbose=False)
    out = {f"e:{e:g}": v for e, v in zip(res.event_study["rel_time"], res.event_study["estimate"]) if e >= 0}
    out["overall"] = res.att_avg
    return out


if __name__ == "__main__":
    run(estimate)
