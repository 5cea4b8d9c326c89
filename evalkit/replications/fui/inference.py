"""Inference for the FUI effect that is honest about the few treated counties.

The reform was assigned to one region of six counties; the comparison region has twelve.
Conventional and county-clustered (CR1) standard errors are too small in such a design
(MacKinnon & Webb 2017).  For each outcome and horizon this module adds

- the restricted wild cluster bootstrap by county with Webb weights (Cameron, Gelbach &
  Miller 2008; Roodman, MacKinnon, Nielsen & Webb 2019): p-value and confidence interval;
- randomization inference over which six of the eighteen counties are treated, all
  C(18, 6) = 18,564 assignments enumerated (Fisher; Conley & Taber 2011 for few policy
  changes): the exact p-value of the sharp null of no effect in any county.

Both assume that shocks are independent across counties; a shock common to the whole
South-West cannot be told apart from the reform with one treated region.
"""

from __future__ import annotations

import pandas as pd

from evalkit.inference.randomization import did_randomization_test
from evalkit.inference.wild_bootstrap import wild_cluster_bootstrap
from evalkit.progress import progress
from evalkit.replications.fui.regressions import FuiRegressions

EFFECT_TERM = "south_west:t2"


def few_cluster_inference(
    clustered: FuiRegressions, *, n_boot: int = 9999, seed: int = 2017, alpha: float = 0.05
) -> pd.DataFrame:
    """Wild-bootstrap and randomization p-values of the FUI effect per outcome and horizon.

    Parameters
    ----------
    clustered
        The FUI regressions with county-clustered (CR1) covariance.
    n_boot
        Wild bootstrap draws (Webb's six-point weights).
    seed
        Seed of the bootstrap draws (the randomization test enumerates, needing none).
    """
    if clustered.cov_type != "CR1":
        raise ValueError("few_cluster_inference needs the county-clustered (CR1) regressions")
    rows = []
    for (outcome, horizon), res in progress(clustered.models.items(), "wild bootstrap and randomization (models)"):
        wild = wild_cluster_bootstrap(
            res, EFFECT_TERM, cluster="county", n_boot=n_boot, weight_type="webb", rng=seed, alpha=alpha
        )
        permuted = did_randomization_test(
            res.data, "y", unit="county", treated="south_west", post="t2", covariates=list(clustered.covariates)
        )
        rows.append(
            {
                "outcome": outcome,
                "horizon": horizon,
                "estimate": float(res.params[EFFECT_TERM]),
                "cr1_se": float(res.std_errors[EFFECT_TERM]),
                "cr1_p": float(res.pvalues[EFFECT_TERM]),
                "wild_p": wild.p_value,
                "wild_conf_low": wild.interval[0],
                "wild_conf_high": wild.interval[1],
                "randomization_p": permuted.p_value,
                "assignments": permuted.n_possible,
                "n_clusters": wild.n_clusters,
            }
        )
    return pd.DataFrame(rows)
