"""Entry cohorts of new users and rollout schedules."""

from evalkit.cohorts.arguments import whole_number
from evalkit.cohorts.entries import Entries, EntryReport, SpellStarts, find_entries, spell_starts
from evalkit.cohorts.rollout import RolloutSchedule

__all__ = ["Entries", "EntryReport", "RolloutSchedule", "SpellStarts", "find_entries", "spell_starts", "whole_number"]
