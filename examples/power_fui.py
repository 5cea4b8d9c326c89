"""Power of the 2017 FUI schedule and of candidate schedules, from placebo rollouts.

What MDE for employment 6 months after entry would the 2017 FUI schedule (6 South-West
counties in January, the rest in July) have had, and how would 9 treated counties, or
longer entry windows, change it?  The history is the synthetic register panel simulated
without any reform effect; with your extract, pass ``read_panel(...)`` or ``scan_panel(...)``
of the months before the reform and ``before="2017-01"``.

Run: python examples/power_fui.py [--scale 1.0]   (the national panel takes a minute;
``evalkit power --candidate nine=2017-01:9,2017-07:rest`` is the same on the command line)
"""

from __future__ import annotations

import argparse

import evalkit
from evalkit.panel import read_panel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.05, help="size of the synthetic panel (1 = national)")
    args = parser.parse_args()

    data = evalkit.simulate_fui_panel(scale=args.scale, seed=2017, effects={"employment": 0.0, "education": 0.0})
    panel = read_panel(data.panel)
    schedules = {
        "FUI 2017": "2017-01:6,2017-07:rest",
        "9 counties first": "2017-01:9,2017-07:rest",
        "longer windows": "2017-01:6,2017-07:rest;post=2017-02..2017-06;pre=2016-02..2016-06",
    }
    result = evalkit.power(panel, schedules, outcomes="employed", horizons=(6,), washout=12,
                           categories=("standard", "situational", "specially_adapted"), max_age=29,
                           inference="wild", n_assignments=3, shift_step=2, rng=2017)
    print(result.summary())
    print(result.mde()[["schedule", "n_treated", "replications", "mde", "analytic_mde", "icc"]].to_string(index=False))
    result.plot().savefig("power_fui.png", dpi=150)
    print("wrote power_fui.png")


if __name__ == "__main__":
    main()
