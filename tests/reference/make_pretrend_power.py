"""Reference values for tests/test_pretrend_power.py (Roth 2022 pre-trend power, pretrends R package).

Run by hand from the repository root, with a checkout of https://github.com/jonathandroth/pretrends
(commit 122731d, "updated readme") and the ``rdata`` reader in some environment:

    pip install rdata
    python tests/reference/make_pretrend_power.py /path/to/pretrends

1. ``beta``, ``sigma`` and ``tVec`` of the He & Wang (2017, Fig. 2C) event study, read from
   the package's ``data/HeAndWangResults.rda`` (all digits).
2. The README's printed output for that example (typed in from README.md at that
   commit, rounded as printed there): ``slope_for_power(targetPower = 0.5)``, ``df_power``
   and ``df_eventplot$meanAfterPretesting`` for the linear trend ``slope50 * (t + 1)``,
   ``df_power`` for the quadratic trend ``0.024 (t + 1)^2``.  The package's test rejects
   when any pre-period |t| exceeds 1.96 (not ``qnorm(0.975)``), and it computes the
   probabilities with ``mvtnorm::pmvnorm`` (Genz-Bretz quasi-Monte Carlo at its default
   absolute error ``1e-3``) and ``tmvtnorm::mtmvnorm``: its power and Bayes factors are
   accurate to about ``1e-4``, not to the printed digits.
3. SciPy's independent quasi-Monte Carlo box probabilities (Genz & Bretz, ``abseps=1e-10``)
   for the same two trends: the rejection probabilities to about ``1e-9``.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from scipy import stats

OUT = Path(__file__).with_name("pretrend_power.json")
THRESHOLD = 1.96  # the package's hard-coded critical value


def load(checkout: Path) -> tuple[list[float], list[list[float]], list[float]]:
    import rdata

    data = rdata.read_rda(checkout / "data" / "HeAndWangResults.rda")["HeAndWangResults"]
    return (np.asarray(data["beta"], float).tolist(), np.asarray(data["sigma"], float).tolist(),
            np.asarray(data["tVec"], float).tolist())


def scipy_power(delta_pre: np.ndarray, sigma_pre: np.ndarray) -> float:
    bound = THRESHOLD * np.sqrt(np.diag(sigma_pre))
    p = stats.multivariate_normal.cdf(bound, delta_pre, sigma_pre, lower_limit=-bound, abseps=1e-10, releps=0.0,
                                      maxpts=50_000_000, rng=np.random.default_rng(1))
    return float(1.0 - p)


def main() -> None:
    beta, sigma, t_vec = load(Path(sys.argv[1]))
    t = np.asarray(t_vec)
    sig = np.asarray(sigma)
    pre = t < -1
    slope50 = 0.05205871
    published = {
        "slope50": slope50,
        "linear": {"delta": (slope50 * (t + 1)).tolist(), "power": 0.4999776, "bayes_factor": 0.56901,
                   "likelihood_ratio": 0.1057627,
                   "mean_after_pretest": [-0.09230764, -0.05555285, -0.02790950, 0.06490184, 0.12084694, 0.16946498,
                                          0.22453827]},
        "quadratic": {"delta": (0.024 * (t + 1) ** 2).tolist(), "power": 0.6624282, "bayes_factor": 0.3841516,
                      "likelihood_ratio": 0.4332635},
    }
    scipy_values = {name: scipy_power(np.asarray(published[name]["delta"])[pre], sig[np.ix_(pre, pre)])
                    for name in ("linear", "quadratic")}
    scipy_values["size"] = scipy_power(np.zeros(int(pre.sum())), sig[np.ix_(pre, pre)])
    OUT.write_text(json.dumps({
        "source": "pretrends R package README (He & Wang 2017, Figure 2C), github.com/jonathandroth/pretrends "
                  "commit 122731d; data/HeAndWangResults.rda",
        "threshold": THRESHOLD, "reference_period": -1,
        "versions": {"rdata": version("rdata"), "scipy": version("scipy"), "numpy": version("numpy")},
        "beta": beta, "sigma": sigma, "tVec": t_vec,
        "published": published, "scipy_power": scipy_values,
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
