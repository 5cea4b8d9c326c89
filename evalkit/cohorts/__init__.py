"""Entry cohorts of new users and rollout schedules."""

from evalkit.cohorts.arguments import whole_number
from evalkit.cohorts.entries import EntryPool, Entries, EntryReport, entry_pool, find_entries, younger_pool
from evalkit.cohorts.rollout import RolloutSchedule

__all__ = ["Entries", "EntryPool", "EntryReport", "RolloutSchedule", "entry_pool", "find_entries", "whole_number", "younger_pool"]
