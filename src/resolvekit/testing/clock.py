"""A controllable clock for tests, simulations and notebooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from resolvekit.domain.values import utc

__all__ = ["ManualClock"]


@attrs.define
class ManualClock:
    """A clock that stands still until told to move. Pass it as ``ResolveKit(clock=clock)``.

    >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance(hours=2)
    datetime.datetime(2026, 1, 1, 2, 0, tzinfo=datetime.timezone.utc)
    """

    now: datetime = attrs.field(factory=lambda: datetime(2026, 1, 1, tzinfo=UTC), converter=utc)

    def __call__(self) -> datetime:
        """The current time."""
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or by ``timedelta(**kwargs)``) and return the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a ManualClock only moves forward")
        self.now = self.now + step
        return self.now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (aware; not earlier than now) and return it."""
        when = utc(when, "when")
        if when < self.now:
            raise ValueError("a ManualClock only moves forward")
        self.now = when
        return self.now
