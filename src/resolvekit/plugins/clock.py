"""The system clock: timezone-aware UTC ``datetime.now``. Registered last so any other clock wins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from resolvekit.hookspecs import hookimpl

__all__ = ["resolvekit_clock", "system_clock"]


def system_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@hookimpl(trylast=True)
def resolvekit_clock() -> Callable[[], datetime]:
    """Provide :func:`system_clock` when no other plugin provides a clock."""
    return system_clock
