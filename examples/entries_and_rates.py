"""New users, their outcomes after entry, transition rates and matrices, cumulative incidence.

Run: ``python examples/entries_and_rates.py [--scale 0.05]`` (the synthetic panel's size
relative to the national one).
"""

import argparse

import evalkit
from evalkit.replications.fui.schedule import norway_2017_schedule

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--scale", type=float, default=0.05)
args = parser.parse_args()

data = evalkit.simulate_fui_panel(scale=args.scale, seed=3)
panel = evalkit.read_panel(data.panel)
print(panel.report)

entries = evalkit.find_entries(
    panel, washout=12, max_age=29, categories=("standard", "situational", "specially_adapted"),
    schedule=norway_2017_schedule(),
)
print(entries.report)

outcomes = evalkit.outcomes_at_horizons(panel, entries, horizons=(1, 3, 6, 9))
print(outcomes.report)

rates = evalkit.transition_rates(
    outcomes, by="region", columns=outcomes.columns("employed") + outcomes.columns("in_education")
)
print("\nShare employed / in education k months after entry, by region:")
print(rates.summary())

matrix = evalkit.transition_matrix(panel)
print("\nEvery person's month-to-month moves between the monthly states:")
print(matrix.summary())

incidence = evalkit.cumulative_incidence(panel, entries, by="region")
print("\nFirst exit after entry, to employment or to education, by region:")
print(incidence.summary(times=(1, 3, 6, 9)))
