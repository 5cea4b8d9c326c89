"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

Simulates a staggered rollout, estimates a TWFE event study with evalkit and reports robust
confidence intervals for the first post-period effect under relative-magnitude and
smoothness restrictions (also with a sign restriction, and smoothness with relative
magnitudes), with their breakdown values, and the power of the pre-trend test (Roth 2022).
Writes ``honest_did.png`` and ``pretrend_power.png``.

    python examples/honest_did.py
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from evalkit.estimators.event_study import event_study
from evalkit.sensitivity import honest_did, pretrend_power
from evalkit.simulate import simulate_staggered


def main() -> None:
    sim = simulate_staggered(400, 10, {5: 0.3, 7: 0.3}, effect=0.5, rng=np.random.default_rng(7))
    es = event_study(sim.data, y="y", time="time", group="first_treated", unit="unit")
    rm = honest_did(es, method="relative_magnitudes", m=[0.0, 0.5, 1.0, 1.5, 2.0])
    sd = honest_did(es, method="smoothness", m=[0.0, 0.05, 0.1, 0.15, 0.2])
    print("Relative magnitudes (C-LF):\n", rm.tidy().round(4).to_string(index=False))
    print(f"breakdown Mbar: {rm.breakdown()}  original CI: {np.round(rm.original, 4)}")
    print("Smoothness (FLCI):\n", sd.tidy().round(4).to_string(index=False))
    print(f"breakdown M: {sd.breakdown()}")
    sdb = honest_did(es, method="smoothness", m=[0.0, 0.05, 0.1, 0.15, 0.2], bias="positive")
    sdrm = honest_did(es, method="smoothness_relative_magnitudes", m=[0.0, 0.5, 1.0, 2.0])
    for res in (sdb, sdrm):
        print(f"{res.restriction} ({res.ci_method}):\n", res.tidy().round(4).to_string(index=False))
        print(f"breakdown: {res.breakdown()}")
    rm.plot().savefig("honest_did.png", dpi=120, bbox_inches="tight")
    pp = pretrend_power(es)
    print(pp.summary())
    worry = pretrend_power(es, slope=pp.slopes[0.8])
    print("bias of the post-period estimates under the 80% slope:\n", worry.bias.round(4))
    worry.plot().savefig("pretrend_power.png", dpi=120, bbox_inches="tight")


if __name__ == "__main__":
    main()
