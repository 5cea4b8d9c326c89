"""The long-term NEET risk-factor analysis (15-29 year olds in Akershus, Buskerud, Østfold, Oslo).

:func:`run_neet` derives the note's variables from monthly histories and person
attributes, fits its logit models (statsmodels) and puts tables 2-4 beside the published
numbers; :mod:`evalkit.replications.neet.synthetic` makes the calibrated population.
"""

from evalkit.replications.neet.run import NeetReplication, NeetSummary, run_neet

__all__ = ["NeetReplication", "NeetSummary", "run_neet"]
