"""Rolling windows counted by order date, in whole UTC days, half-open.

A window of ``days`` days *as of* a date covers the orders placed on that date and the ``days - 1``
dates before it. Written as a half-open interval of order dates it is
``[as_of - (days - 1), as_of + 1)``: a 60-day window as of 2026-11-02 holds orders dated 2026-09-04
up to and including 2026-11-02; an order dated 2026-09-03 (exactly 60 days before) is outside, and so
is one dated after ``as_of``. Facts are bucketed by their order's date, never by when they arrived,
so a late feedback lands in the window of its order.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError
from resolvekit.reputation.facts import order_day

__all__ = ["Window"]


def _days(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(
            N_("A window is a positive whole number of days, got {value!r}; use 1 or more."), value=value
        )


def _as_of(value: date | datetime) -> date:
    return order_day(value)


@attrs.frozen
class Window:
    """``days`` whole days of order dates ending with ``as_of`` (included); see the module docs.

    A window of zero (or negative) days raises :class:`~resolvekit.errors.ConfigurationError`.
    """

    as_of: date = attrs.field(converter=_as_of)
    days: int = attrs.field(validator=_days)

    @property
    def first(self) -> date:
        """The earliest order date inside the window."""
        return self.as_of - timedelta(days=self.days - 1)

    @property
    def end(self) -> date:
        """The first order date after the window (exclusive bound)."""
        return self.as_of + timedelta(days=1)

    @property
    def first_day(self) -> int:
        """:attr:`first` as a day number (``date.toordinal``)."""
        return self.as_of.toordinal() - self.days + 1

    @property
    def end_day(self) -> int:
        """:attr:`end` as a day number (exclusive)."""
        return self.as_of.toordinal() + 1

    def __contains__(self, value: object) -> bool:
        if isinstance(value, datetime):
            value = order_day(value)
        if not isinstance(value, date):
            return False
        return self.first <= value < self.end
