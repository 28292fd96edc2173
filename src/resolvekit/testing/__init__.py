"""Helpers for testing code that embeds resolvekit (and resolvekit itself).

* :class:`ManualClock` — a clock that moves only when told to.
* :mod:`resolvekit.testing.conformance` — the storage conformance suite (needs pytest and
  hypothesis; import it from your tests).
* :mod:`resolvekit.testing.strategies` — hypothesis strategies (``orders()``, ``complaints()``,
  ``offers()``, ``command_sequences()``...), registered for ``st.from_type`` through the
  ``hypothesis`` entry point.
* :mod:`resolvekit.testing.pytest_plugin` — pytest fixtures prefixed ``resolvekit_``, loaded
  through the ``pytest11`` entry point without any import.
"""

import sys

from resolvekit.testing.clock import ManualClock

__all__ = ["ManualClock"]

if "pytest" in sys.modules:  # under pytest: show the conformance suite's failed asserts in detail
    sys.modules["pytest"].register_assert_rewrite("resolvekit.testing.conformance")
