"""Helpers for testing code that embeds resolvekit (and resolvekit itself).

* :class:`ManualClock` — a clock that moves only when told to.
* :mod:`resolvekit.testing.conformance` — the storage conformance suite (needs pytest and
  hypothesis; import it from your tests).
"""

import sys

from resolvekit.testing.clock import ManualClock

__all__ = ["ManualClock"]

if "pytest" in sys.modules:  # under pytest: show the conformance suite's failed asserts in detail
    sys.modules["pytest"].register_assert_rewrite("resolvekit.testing.conformance")
