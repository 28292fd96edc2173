"""Helpers for testing code that embeds resolvekit (and resolvekit itself)."""

from resolvekit.testing.clock import ManualClock

__all__ = ["ManualClock"]
