"""py2sdid: bjs_did imputation estimator (Borusyak, Jaravel & Spiess 2024), unit-clustered SEs."""

from _child import estimates, run
import polars as pl
import py2sdid


def estimate(data, estimator=py2sdid.bjs_did, reported=lambda e: e >= 0):
    """``estimator``: bjs_did or ts_did (the same interface); ``reported``: which event times it estimates."""
    res = estimator(pl.from_pandas(data), yname="y", idname="unit", tname="time", gname="first_treated",
                    cluster_var="unit", verbose=False)
    return estimates(events=((e, v) for e, v in zip(res.event_study["rel_time"], res.event_study["estimate"])
                             if reported(e)), overall=res.att_avg)


if __name__ == "__main__":
    run(estimate)
