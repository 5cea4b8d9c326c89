"""differences: ATTgt (doubly robust, never-treated controls, analytic SEs) + event aggregation."""

from _child import estimates, run
from differences import ATTgt


def estimate(data, covariates=None):
    panel = data.assign(cohort=data["first_treated"].where(data["first_treated"] > 0)).set_index(["unit", "time"])
    att = ATTgt(panel, cohort_column="cohort")
    att.fit("y" if covariates is None else "y ~ " + " + ".join(covariates), est_method="dr", progress_bar=False)
    cells = att.results()[("ATTgtElements", "", "ATT")]
    event = att.aggregate("event")[("EventAggregation", "", "ATT")]
    overall = att.aggregate("event", overall=True)[("EventAggregationOverall", "", "ATT")].iloc[0]
    return estimates(((g, t, v) for (g, _, t), v in cells.items()), event.items(), overall)


if __name__ == "__main__":
    run(estimate)
