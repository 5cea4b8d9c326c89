"""The synthetic population of the long-term NEET note: monthly histories and persons."""

from evalkit.replications.neet.synthetic.generate import DEFAULT_SCALE, SyntheticNeetData, simulate_neet_population

__all__ = ["DEFAULT_SCALE", "SyntheticNeetData", "simulate_neet_population"]
