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

import sys as _sys
from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from resolvekit.testing.clock import ManualClock

__all__ = ["ManualClock"]


def __getattr__(name: str) -> object:
    # Loaded on first use, so that the pytest plugin (a submodule) costs nothing to load.
    if name == "ManualClock":
        from resolvekit.testing.clock import ManualClock

        return ManualClock
    raise AttributeError(f"module 'resolvekit.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if "pytest" in _sys.modules:  # under pytest: show the conformance suite's failed asserts in detail
    _sys.modules["pytest"].register_assert_rewrite("resolvekit.testing.conformance")
