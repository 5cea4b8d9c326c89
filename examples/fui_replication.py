"""Reproduce the published FUI tables on a synthetic panel and check recovery of a known effect.

Run: python examples/fui_replication.py
"""

import evalkit
from evalkit.replications.fui import report

# 1. the calibrated synthetic panel at a fifth of national size
data = evalkit.simulate_fui_panel(scale=0.2, seed=1)
replication = evalkit.run_fui(data.panel, data.unemployment)
print(report.to_text(replication))

# 2. a panel with a known true effect: +5 points on education, -3 on employment
truth = evalkit.simulate_fui_panel(
    scale=0.2, seed=2, effects={"education": 0.05, "employment": -0.03}, noise="bernoulli"
)
effects = evalkit.run_fui(truth.panel, truth.unemployment).conventional.effects()
print(effects[["outcome", "horizon", "estimate", "std_error", "conf_low", "conf_high"]])
