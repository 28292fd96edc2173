"""Working-time calendars: when a deadline falls, and how it was worked out.

A :class:`Calendar` turns "24 hours" or "3 business days" into an instant. Two kinds exist:

* :data:`ALWAYS` (:class:`TwentyFourSeven`): every instant is working time, so the 24 h rule counts
  weekends and holidays (DOMAIN section 5).
* :class:`BusinessCalendar`: business hours per weekday in one IANA time zone (``zoneinfo``), minus
  the public holidays of a country (the maintained ``holidays`` library) and any extra closed days.

Rules every calendar follows:

* Working intervals are **half-open**, ``[start, end)``: an interval ending at 24:00 and one starting
  at 00:00 the next day join without a gap, and an instant at an interval's end is not working time.
* Business hours are local wall-clock times; they are converted to UTC day by day, so a day on which
  the clocks change (DST) has its real length: a 09:00-17:00 day is 8 h of working time in summer
  and winter alike, and a 00:00-24:00 day is 23 h or 25 h on the change days.
* Inputs and outputs are timezone-aware; results are UTC.
* Bad settings (no working hours, overlapping or inverted intervals, an unknown country, subdivision
  or time zone) raise :class:`~resolvekit.errors.ConfigurationError` at construction.

Per-year tables of the working intervals (and the holiday set of each year) are built once and
reused, so computing a deadline is two binary searches.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol, runtime_checkable

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.values import utc
from resolvekit.errors import ConfigurationError, ValidationError

__all__ = [
    "ALWAYS",
    "BusinessCalendar",
    "Calendar",
    "DeadlineExplanation",
    "SkippedDay",
    "TwentyFourSeven",
    "WEEKDAYS",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_S = 86_400
_AVG_YEAR_US = 31_556_952_000_000  # 365.2425 days
_MAX_EMPTY_YEARS = 5
_ZERO = timedelta(0)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names accepted in business hours (Monday first, as :meth:`datetime.date.weekday`)."""
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _US


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _duration(value: timedelta, field: str = "duration") -> int:
    if not isinstance(value, timedelta):
        raise ValidationError(N_("{field} must be a timedelta, not {type}."), field=field, type=type(value).__name__)
    if value < timedelta(0):
        raise ValidationError(N_("{field} is negative ({value}); a duration of working time is zero or more."), field=field, value=str(value))
    return value // _US


@attrs.frozen
class SkippedDay:
    """A local day inside a deadline's span that contributed no working time, and why.

    ``reason`` is ``"holiday"`` (``name`` is the holiday's name) or ``"closed"`` (no business hours
    on that weekday, e.g. a weekend).
    """

    day: date
    reason: str
    name: str = ""


@attrs.frozen
class DeadlineExplanation:
    """How a deadline was computed: ``start`` plus ``duration`` of working time is ``deadline``.

    ``intervals`` are the working intervals used (UTC, half-open, adjacent ones joined), whose
    lengths add up to ``duration``; ``skipped`` lists the local days in between that gave no working
    time; ``calendar`` describes the calendar. ``paused`` (set by the SLA clocks) is the working time
    the clock spent paused, already included in ``duration``.
    """

    start: datetime
    duration: timedelta
    deadline: datetime
    calendar: str
    intervals: tuple[tuple[datetime, datetime], ...]
    skipped: tuple[SkippedDay, ...] = ()
    paused: timedelta = timedelta(0)

    def lines(self) -> list[str]:
        """The explanation as short English lines (for logs, the command line and support staff)."""
        out = [f"calendar: {self.calendar}", f"start: {self.start.isoformat()}", f"working time needed: {self.duration}"]
        if self.paused:
            out.append(f"  of which paused time added back: {self.paused}")
        for begin, end in self.intervals:
            out.append(f"  worked {begin.isoformat()} -> {end.isoformat()} ({end - begin})")
        for day in self.skipped:
            out.append(f"  skipped {day.day.isoformat()}: {day.reason}{' (' + day.name + ')' if day.name else ''}")
        out.append(f"deadline: {self.deadline.isoformat()}")
        return out


@runtime_checkable
class Calendar(Protocol):
    """What every calendar does. All times are aware; results are UTC."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of working time has passed since ``start``.

        A zero duration returns ``start``. A positive one ends inside (or at the end of) a working
        interval, never at the start of the next one.
        """

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)``; negative when ``b`` is before ``a``."""

    def is_working(self, t: datetime) -> bool:
        """Whether ``t`` lies inside a working interval (half-open: an interval's end is not)."""

    def next_working(self, t: datetime) -> datetime:
        """``t`` itself when it is working time, else the start of the next working interval."""

    def explain(self, start: datetime, duration: timedelta) -> DeadlineExplanation:
        """The deadline of :meth:`add`, with the intervals used and the days skipped."""

    def describe(self) -> str:
        """A short description such as ``"24/7"`` or ``"Europe/Berlin mon-fri 09:00-17:00, holidays DE"``."""


@attrs.frozen
class TwentyFourSeven:
    """Every instant is working time: weekends and holidays included (the 24 h response rule)."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start + duration``, in UTC."""
        if duration.__class__ is not timedelta or duration < _ZERO:
            _duration(duration)
        if start.tzinfo is UTC and start.__class__ is datetime:
            return start + duration
        return utc(start, "start") + duration

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """``b - a``."""
        if a.tzinfo is UTC and b.tzinfo is UTC and a.__class__ is datetime and b.__class__ is datetime:
            return b - a  # already aware UTC (what utc() would return as they are)
        return utc(b, "b") - utc(a, "a")

    def is_working(self, t: datetime) -> bool:
        """Always ``True``."""
        utc(t, "t")
        return True

    def next_working(self, t: datetime) -> datetime:
        """``t`` (in UTC)."""
        return utc(t, "t")

    def explain(self, start: datetime, duration: timedelta) -> DeadlineExplanation:
        """One interval from ``start`` to the deadline."""
        start = utc(start, "start")
        deadline = self.add(start, duration)
        intervals = ((start, deadline),) if duration else ()
        return DeadlineExplanation(start, duration, deadline, self.describe(), intervals)

    def describe(self) -> str:
        """``"24/7"``."""
        return "24/7"


ALWAYS = TwentyFourSeven()
"""The 24/7 calendar (every instant counts)."""


# -- business hours ---------------------------------------------------------------------------------

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Hours = tuple[tuple[tuple[int, int], ...], ...]


def _seconds(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _DAY_S:
        return value  # seconds since local midnight (the normalised form)
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ConfigurationError(N_("Business hours are local wall-clock times; drop the tzinfo from {value}."), value=str(value))
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if match:
            hours, minutes = int(match[1]), int(match[2])
            if minutes < 60 and (hours < 24 or (hours == 24 and minutes == 0)):
                return hours * 3600 + minutes * 60
    raise ConfigurationError(N_("{value!r} is not a time of day; write it as 'HH:MM' (00:00 to 24:00)."), value=value)


def _parse_intervals(spec: object) -> list[tuple[int, int]]:
    if isinstance(spec, str):
        result = []
        for part in spec.split(","):
            if not part.strip():
                continue
            match = _INTERVAL.match(part)
            if not match:
                raise ConfigurationError(
                    N_("{value!r} is not a business-hours interval; write it as 'HH:MM-HH:MM', several separated by commas."),
                    value=part,
                )
            result.append((_seconds(f"{match[1]}:{match[2]}"), _seconds(f"{match[3]}:{match[4]}")))
        return result
    if isinstance(spec, Iterable):
        result = []
        for item in spec:
            if isinstance(item, str):
                result.extend(_parse_intervals(item))
                continue
            try:
                begin, end = item
            except (TypeError, ValueError):
                raise ConfigurationError(N_("A business-hours interval is a (start, end) pair, got {value!r}."), value=item) from None
            result.append((_seconds(begin), _seconds(end)))
        return result
    raise ConfigurationError(N_("Business hours of a day are 'HH:MM-HH:MM' text or (start, end) pairs, got {value!r}."), value=spec)


def _weekdays(key: object) -> list[int]:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return [key]
    if isinstance(key, str):
        name = key.strip().lower()
        if "-" in name:
            first, _, last = name.partition("-")
            first, last = first.strip(), last.strip()
            if all(n in WEEKDAYS or n in _FULL_WEEKDAYS for n in (first, last)):
                a, b = WEEKDAYS.index(first[:3]), WEEKDAYS.index(last[:3])
                return [(a + i) % 7 for i in range((b - a) % 7 + 1)]
        elif name in WEEKDAYS or name in _FULL_WEEKDAYS:
            return [WEEKDAYS.index(name[:3])]
    raise ConfigurationError(
        N_("{value!r} is not a weekday; use 0-6 (Monday is 0), a name such as 'mon', or a range such as 'mon-fri'."),
        value=key,
    )


def _hours(value: Mapping[Any, Any] | Hours) -> Hours:
    """Normalise business hours to seven tuples (Monday first) of ``(start, end)`` seconds of the day."""
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    if isinstance(value, Mapping):
        for key, spec in value.items():
            intervals = _parse_intervals(spec)
            for weekday in _weekdays(key):
                days[weekday].extend(intervals)
    elif isinstance(value, tuple) and len(value) == 7:
        for weekday, spec in enumerate(value):
            days[weekday].extend(_parse_intervals(spec))
    else:
        raise ConfigurationError(N_("Business hours are a mapping of weekdays to intervals, e.g. {{'mon-fri': '09:00-17:00'}}."))
    result = []
    for weekday, intervals in enumerate(days):
        merged: list[tuple[int, int]] = []
        for begin, end in sorted(intervals):
            if end <= begin:
                raise ConfigurationError(
                    N_("The business-hours interval {interval} on {weekday} ends before it starts; use HH:MM-HH:MM with start < end (24:00 ends the day)."),
                    interval=f"{begin // 3600:02d}:{begin % 3600 // 60:02d}-{end // 3600:02d}:{end % 3600 // 60:02d}",
                    weekday=WEEKDAYS[weekday],
                )
            if merged and begin < merged[-1][1]:
                raise ConfigurationError(
                    N_("Business-hours intervals on {weekday} overlap; give each moment of the day at most once."),
                    weekday=WEEKDAYS[weekday],
                )
            if merged and begin == merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((begin, end))
        result.append(tuple(merged))
    if not any(result):
        raise ConfigurationError(N_("A business calendar needs working hours on at least one weekday; got none."))
    return tuple(result)


def _zone(key: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(key, str) or not key:
        raise ConfigurationError(N_("A business calendar needs an IANA time zone name such as 'Europe/Berlin', got {value!r}."), value=key)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigurationError(N_("Unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin' or 'Asia/Riyadh'."), value=key) from None


def _fmt(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@attrs.frozen
class _Year:
    """The working intervals of one local calendar year, in UTC microseconds, with running sums."""

    lo: int
    hi: int
    starts: list[int]
    ends: list[int]
    before: list[int]  # working time before interval i (within the year)
    through: list[int]  # working time up to the end of interval i
    total: int


@attrs.frozen(eq=False)
class _Caches:
    years: dict[int, _Year] = attrs.field(factory=dict)
    holidays: dict[int, Mapping[date, str]] = attrs.field(factory=dict)


@attrs.frozen
class BusinessCalendar:
    """Business hours in a time zone, minus public holidays.

    Args:
        time_zone: an IANA zone name, e.g. ``"Europe/Berlin"`` or ``"Asia/Riyadh"``.
        hours: weekday -> intervals of local time, e.g. ``{"mon-fri": "09:00-17:00"}`` (the default),
            ``{"sun-thu": "09:00-13:00, 14:00-18:00"}`` or ``{0: [(time(9), time(17))]}``. ``24:00``
            ends a day; ``"22:00-24:00"`` on Monday and ``"00:00-06:00"`` on Tuesday form one
            unbroken night shift. Touching intervals are joined; overlapping or inverted ones are
            refused.
        country: ISO 3166 code whose public holidays close the business (``holidays`` library,
            observed days included), or ``None`` for no public holidays.
        subdivision: a state or province of ``country`` with its own holidays (e.g. ``"BY"``).
        closed_days: extra local dates on which the business is closed (company holidays).

    Durations are working time: with 8-hour days, "3 business days" is ``timedelta(hours=24)``.
    """

    time_zone: str
    hours: Hours = attrs.field(default=(((9 * 3600, 17 * 3600),),) * 5 + ((), ()), converter=_hours)
    country: str | None = None
    subdivision: str | None = None
    closed_days: frozenset[date] = attrs.field(default=frozenset(), converter=frozenset)
    _zone: tzinfo = attrs.field(init=False, repr=False, eq=False, hash=False)
    _caches: _Caches = attrs.field(init=False, repr=False, eq=False, hash=False, factory=_Caches)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone(self.time_zone))
        for day in self.closed_days:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ConfigurationError(N_("closed_days holds dates (datetime.date), got {value!r}."), value=day)
        if self.subdivision is not None and self.country is None:
            raise ConfigurationError(N_("A holiday subdivision ({value!r}) needs a country."), value=self.subdivision)
        if self.country is not None:
            self._holidays_of(2000)  # fails now, at construction, for an unknown country or subdivision

    # -- holidays and per-year tables -----------------------------------------------------------

    def _holidays_of(self, year: int) -> Mapping[date, str]:
        known = self._caches.holidays.get(year)
        if known is not None:
            return known
        names: dict[date, str] = {}
        if self.country is not None:
            import holidays  # imported lazily: only business calendars with a country need it

            try:
                table = holidays.country_holidays(self.country, subdiv=self.subdivision, years=year)
            except (NotImplementedError, KeyError, ValueError) as exc:
                raise ConfigurationError(
                    N_("No public holidays are known for country {country!r} (subdivision {subdivision!r}): {reason}. Use an ISO 3166 code the 'holidays' library supports."),
                    country=self.country,
                    subdivision=self.subdivision,
                    reason=str(exc),
                ) from None
            names.update((day, str(name)) for day, name in table.items())
        self._caches.holidays[year] = names
        return names

    def closed_reason(self, day: date) -> SkippedDay | None:
        """Why the local ``day`` is closed as a whole (holiday, closed day), or ``None`` if not."""
        if day in self.closed_days:
            return SkippedDay(day, "holiday", "closed day")
        name = self._holidays_of(day.year).get(day)
        if name is not None:
            return SkippedDay(day, "holiday", name)
        if not self.hours[day.weekday()]:
            return SkippedDay(day, "closed")
        return None

    def _local(self, day: date, seconds: int) -> int:
        if seconds >= _DAY_S:
            day, seconds = day + timedelta(days=1), seconds - _DAY_S
        local = datetime(day.year, day.month, day.day, seconds // 3600, seconds % 3600 // 60, seconds % 60, tzinfo=self._zone)
        return _us(local)

    def day_intervals(self, day: date) -> list[tuple[int, int]]:
        """The working intervals of the local ``day`` in UTC microseconds (empty when closed)."""
        if self.closed_reason(day) is not None:
            return []
        result: list[tuple[int, int]] = []
        for begin, end in self.hours[day.weekday()]:
            lo, hi = self._local(day, begin), self._local(day, end)
            if result:
                lo = max(lo, result[-1][1])
            if hi > lo:
                result.append((lo, hi))
        return result

    def _year(self, year: int) -> _Year:
        known = self._caches.years.get(year)
        if known is not None:
            return known
        starts: list[int] = []
        ends: list[int] = []
        day = date(year, 1, 1)
        while day.year == year:
            for lo, hi in self.day_intervals(day):
                if ends and lo <= ends[-1]:  # joins the previous one (midnight, DST)
                    lo = ends[-1]
                    if hi > lo:
                        ends[-1] = hi
                    continue
                starts.append(lo)
                ends.append(hi)
            day += timedelta(days=1)
        before: list[int] = []
        through: list[int] = []
        total = 0
        for lo, hi in zip(starts, ends, strict=True):
            before.append(total)
            total += hi - lo
            through.append(total)
        block = _Year(self._local(date(year, 1, 1), 0), self._local(date(year + 1, 1, 1), 0), starts, ends, before, through, total)
        self._caches.years[year] = block
        return block

    def _year_at(self, us: int) -> int:
        year = 1970 + us // _AVG_YEAR_US
        while us < self._year(year).lo:
            year -= 1
        while us >= self._year(year).hi:
            year += 1
        return year

    def _position(self, us: int) -> tuple[int, int]:
        """(year, working time from the start of that year up to ``us``)."""
        year = self._year_at(us)
        block = self._year(year)
        i = bisect_right(block.ends, us)
        if i == len(block.starts):
            return year, block.total
        return year, block.before[i] + max(0, us - block.starts[i])

    # -- the Calendar protocol ------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start`` plus ``duration`` of working time (see :class:`Calendar`)."""
        if start.__class__ is not datetime or start.tzinfo is None:
            start = utc(start, "start")
        if duration.__class__ is not timedelta or duration < _ZERO:
            _duration(duration)
        remaining = duration // _US
        if remaining == 0:
            return start.astimezone(UTC)
        us = (start - _EPOCH) // _US
        years = self._caches.years
        year = 1970 + us // _AVG_YEAR_US
        block = years.get(year) or self._year(year)
        if not block.lo <= us < block.hi:
            year = self._year_at(us)
            block = self._year(year)
        empty = 0
        while True:
            ends = block.ends
            i = bisect_right(ends, us)
            if i < len(ends):
                target = block.before[i] + max(0, us - block.starts[i]) + remaining
                if target <= block.total:
                    j = bisect_left(block.through, target, lo=i)
                    return _EPOCH + timedelta(microseconds=block.starts[j] + target - block.before[j])
                remaining = target - block.total
            empty = empty + 1 if block.total == 0 else 0
            if empty > _MAX_EMPTY_YEARS:
                raise ConfigurationError(
                    N_("The calendar {calendar} has no working time for {years} years after {start}; check its hours and closed days."),
                    calendar=self.describe(),
                    years=empty,
                    start=start.isoformat(),
                )
            year += 1
            us = block.hi
            block = self._year(year)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)`` (negative when ``b < a``)."""
        a_us, b_us = _us(utc(a, "a")), _us(utc(b, "b"))
        if b_us < a_us:
            return -self.working_time_between(b, a)
        year_a, pos_a = self._position(a_us)
        year_b, pos_b = self._position(b_us)
        total = pos_b - pos_a
        for year in range(year_a, year_b):
            total += self._year(year).total
        return timedelta(microseconds=total)

    def is_working(self, t: datetime) -> bool:
        """Whether ``t`` is inside business hours on a day that is not closed."""
        us = _us(utc(t, "t"))
        block = self._year(self._year_at(us))
        i = bisect_right(block.ends, us)
        return i < len(block.starts) and block.starts[i] <= us

    def next_working(self, t: datetime) -> datetime:
        """``t`` if it is working time, else the start of the next working interval."""
        us = _us(utc(t, "t"))
        year = self._year_at(us)
        for _ in range(_MAX_EMPTY_YEARS + 2):
            block = self._year(year)
            i = bisect_right(block.ends, us)
            if i < len(block.starts):
                return _at(max(us, block.starts[i]))
            year += 1
            us = block.hi
        raise ConfigurationError(N_("The calendar {calendar} has no working time after {start}."), calendar=self.describe(), start=t.isoformat())

    def explain(self, start: datetime, duration: timedelta) -> DeadlineExplanation:
        """The deadline with the working intervals it used and the days it skipped."""
        start = utc(start, "start")
        deadline = self.add(start, duration)
        lo_us, hi_us = _us(start), _us(deadline)
        intervals: list[tuple[int, int]] = []
        skipped: list[SkippedDay] = []
        day = start.astimezone(self._zone).date()
        last = deadline.astimezone(self._zone).date()
        while day <= last:
            reason = self.closed_reason(day)
            if reason is not None and self._local(day, 0) < hi_us:
                skipped.append(reason)
            for begin, end in self.day_intervals(day):
                begin, end = max(begin, lo_us), min(end, hi_us)
                if end <= begin:
                    continue
                if intervals and intervals[-1][1] == begin:
                    intervals[-1] = (intervals[-1][0], end)
                else:
                    intervals.append((begin, end))
            day += timedelta(days=1)
        return DeadlineExplanation(
            start,
            duration,
            deadline,
            self.describe(),
            tuple((_at(a), _at(b)) for a, b in intervals),
            tuple(skipped),
        )

    def describe(self) -> str:
        """The zone, the hours per weekday and the holiday country."""
        groups: list[str] = []
        weekday = 0
        while weekday < 7:
            last = weekday
            while last + 1 < 7 and self.hours[last + 1] == self.hours[weekday]:
                last += 1
            if self.hours[weekday]:
                days = WEEKDAYS[weekday] if last == weekday else f"{WEEKDAYS[weekday]}-{WEEKDAYS[last]}"
                groups.append(f"{days} " + ",".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in self.hours[weekday]))
            weekday = last + 1
        text = f"{self.time_zone} {'; '.join(groups)}"
        if self.country:
            text += f", holidays {self.country}{'-' + self.subdivision if self.subdivision else ''}"
        if self.closed_days:
            text += f", {len(self.closed_days)} closed days"
        return text
