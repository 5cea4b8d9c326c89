"""ATT(g,t) on mpdta (teen employment and minimum wages, Callaway & Sant'Anna 2021).

Run: ``python examples/att_gt_mpdta.py`` (writes att_gt_mpdta.png in the current directory).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.estimators.att_gt import att_gt

MPDTA = Path(__file__).resolve().parent.parent / "tests" / "data" / "mpdta.csv"

mpdta = pd.read_csv(MPDTA)
res = att_gt(mpdta, y="lemp", time="year", group="first.treat", unit="countyreal",
             n_boot=999, rng=np.random.default_rng(2024))
print(res.summary())
print("\nPre-test of parallel trends (all pre-treatment ATT(g,t) zero):")
print(res.pretest)
print()
print(res.aggregate("simple").summary())
dynamic = res.aggregate("dynamic", n_boot=999, rng=np.random.default_rng(1))
print("\nEvent-time effects with pointwise and uniform (simultaneous) bands:")
print(dynamic.tidy().to_string(index=False))
dynamic.plot(title="Minimum wage and teen employment").savefig("att_gt_mpdta.png", dpi=120)
