"""Entry cohorts of new users and rollout schedules."""

from evalkit.cohorts.arguments import whole_number
from evalkit.cohorts.entries import Entries, EntryReport, find_entries
from evalkit.cohorts.rollout import RolloutSchedule

__all__ = ["Entries", "EntryReport", "RolloutSchedule", "find_entries", "whole_number"]
