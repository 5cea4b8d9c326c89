"""New users, their outcomes after entry, transition rates and cumulative incidence.

Run: ``python examples/entries_and_rates.py [--scale 0.05]`` (the synthetic panel's size
relative to the national one).
"""

import argparse

import evalkit
from evalkit.outcomes import first_exit_times

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--scale", type=float, default=0.05)
args = parser.parse_args()

data = evalkit.simulate_fui_panel(scale=args.scale, seed=3)
panel = evalkit.read_panel(data.panel)
print(panel.report)

entries = evalkit.find_entries(
    panel, washout=12, max_age=29, schedule=evalkit.RolloutSchedule.norway_2017()
)
print(entries.report)

outcomes = evalkit.outcomes_at_horizons(panel, entries, horizons=(1, 3, 6, 9))
print(outcomes.report)

rates = evalkit.transition_rates(
    outcomes.frame, by="region", outcomes_cols=outcomes.columns("employed") + outcomes.columns("in_education")
)
print("\nShare employed / in education k months after entry, by region (Wilson 95% intervals):")
print(rates.to_string(index=False))

exits = first_exit_times(panel.frame, entries.frame)
incidence = evalkit.cumulative_incidence(exits["duration"], exits["event"], event_names=("work", "education"))
print()
print(incidence.summary(times=(1, 3, 6, 9)))
