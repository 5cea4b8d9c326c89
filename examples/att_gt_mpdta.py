"""ATT(g,t) on mpdta (teen employment and minimum wages, Callaway & Sant'Anna 2021).

Run from the repository root: ``python examples/att_gt_mpdta.py`` (writes att_gt_mpdta.png).
"""

import numpy as np
import pandas as pd

from evalkit.estimators.att_gt import att_gt

mpdta = pd.read_csv("tests/data/mpdta.csv")
res = att_gt(mpdta, y="lemp", time="year", group="first.treat", unit="countyreal",
             n_boot=999, rng=np.random.default_rng(2024))
print(res.summary())
print(res.pretest)
print(res.aggregate("simple").summary())
dynamic = res.aggregate("dynamic", n_boot=999, rng=np.random.default_rng(1))
print(dynamic.tidy())
dynamic.plot(title="Minimum wage and teen employment").savefig("att_gt_mpdta.png", dpi=120)
