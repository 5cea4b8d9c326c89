"""Replications of published evaluations, end to end."""
