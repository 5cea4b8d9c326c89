"""Entry cohorts of new users and rollout schedules."""

from evalkit.cohorts.entries import AGE_GROUPS, Entries, EntryReport, find_entries
from evalkit.cohorts.rollout import RolloutSchedule

__all__ = ["AGE_GROUPS", "Entries", "EntryReport", "RolloutSchedule", "find_entries"]
