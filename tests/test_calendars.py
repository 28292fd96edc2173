"""Working-time calendars: 24/7 and business hours with holidays, DST, midnight and leap days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvekit.domain.calendars import ALWAYS, BusinessCalendar, Calendar, TwentyFourSeven
from resolvekit.errors import ConfigurationError, ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
US = timedelta(microseconds=1)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.fixture(scope="module")
def berlin() -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", {"mon-fri": "09:00-17:00"}, country="DE", subdivision="BE")


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 UTC, no holidays: easy arithmetic."""
    return BusinessCalendar("UTC")


# -- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"hours": {}}, "at least one weekday"),
        ({"hours": {"mon": ""}}, "at least one weekday"),
        ({"hours": {"mon": "17:00-09:00"}}, "ends before it starts"),
        ({"hours": {"mon": "09:00-09:00"}}, "ends before it starts"),
        ({"hours": {"mon": "09:00-13:00, 12:00-17:00"}}, "overlap"),
        ({"hours": {"mon-fri": "09:00-17:00", "wed": "16:00-18:00"}}, "overlap"),
        ({"hours": {"mon": "9-17"}}, "HH:MM-HH:MM"),
        ({"hours": {"mon": "09:00-24:30"}}, "not a time of day"),
        ({"hours": {"someday": "09:00-17:00"}}, "not a weekday"),
        ({"hours": {7: "09:00-17:00"}}, "not a weekday"),
        ({"hours": {"mon": [(time(9), time(17), time(18))]}}, "(start, end) pair"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"time_zone": ""}, "IANA"),
        ({"country": "XX"}, "No public holidays"),
        ({"country": "DE", "subdivision": "ZZ"}, "No public holidays"),
        ({"subdivision": "BY"}, "needs a country"),
        ({"closed_days": {datetime(2026, 1, 2, tzinfo=UTC)}}, "closed_days holds dates"),
    ],
)
def test_bad_calendars_fail_at_construction(kwargs: dict[str, object], words: str) -> None:
    kwargs = {"time_zone": "Europe/Berlin", **kwargs}
    with pytest.raises(ConfigurationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_hours_accept_names_ranges_pairs_and_join_touching_intervals() -> None:
    calendar = BusinessCalendar(
        "UTC", {"sun-thu": "09:00-13:00,13:00-17:00", "friday": [(time(10), "12:00")], 5: [("22:00", "24:00")]}
    )
    assert calendar.hours[6] == ((9 * 3600, 17 * 3600),)  # Sunday, joined
    assert calendar.hours[4] == ((10 * 3600, 12 * 3600),)
    assert calendar.hours[5] == ((22 * 3600, 24 * 3600),)
    assert calendar.describe() == "UTC mon-thu 09:00-17:00; fri 10:00-12:00; sat 22:00-24:00; sun 09:00-17:00"
    assert isinstance(calendar, Calendar) and isinstance(ALWAYS, Calendar)


def test_negative_duration_is_refused(office: BusinessCalendar) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for calendar in (office, ALWAYS):
        with pytest.raises(ValidationError, match="negative"):
            calendar.add(start, timedelta(hours=-1))


def test_naive_times_are_refused(office: BusinessCalendar) -> None:
    for calendar in (office, ALWAYS):
        with pytest.raises(ValidationError, match="naive"):
            calendar.add(datetime(2026, 3, 2, 9), timedelta(hours=1))
        with pytest.raises(ValidationError, match="naive"):
            calendar.is_working(datetime(2026, 3, 2, 9))


# -- 24/7 ----------------------------------------------------------------------------------------


def test_always_counts_weekends_and_holidays() -> None:
    friday = datetime(2026, 12, 24, 18, tzinfo=UTC)
    assert ALWAYS.add(friday, timedelta(hours=24)) == datetime(2026, 12, 25, 18, tzinfo=UTC)
    assert ALWAYS.is_working(datetime(2026, 12, 25, 3, tzinfo=UTC))
    explanation = ALWAYS.explain(friday, timedelta(hours=24))
    assert explanation.intervals == ((friday, friday + timedelta(hours=24)),) and explanation.skipped == ()
    assert TwentyFourSeven() == ALWAYS


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_always_add_is_plain_addition(start: datetime, duration: timedelta) -> None:
    deadline = ALWAYS.add(start, duration)
    assert deadline == start + duration
    assert ALWAYS.working_time_between(start, deadline) == duration


# -- business hours ------------------------------------------------------------------------------


def test_weekend_is_skipped(office: BusinessCalendar) -> None:
    friday = datetime(2026, 3, 6, 16, tzinfo=UTC)
    assert office.add(friday, timedelta(hours=2)) == datetime(2026, 3, 9, 10, tzinfo=UTC)
    explanation = office.explain(friday, timedelta(hours=2))
    assert [d.day for d in explanation.skipped] == [date(2026, 3, 7), date(2026, 3, 8)]
    assert {d.reason for d in explanation.skipped} == {"closed"}
    assert explanation.intervals == (
        (friday, datetime(2026, 3, 6, 17, tzinfo=UTC)),
        (datetime(2026, 3, 9, 9, tzinfo=UTC), datetime(2026, 3, 9, 10, tzinfo=UTC)),
    )


def test_a_deadline_ends_an_interval_not_starts_the_next(office: BusinessCalendar) -> None:
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert office.add(monday, timedelta(hours=8)) == datetime(2026, 3, 2, 17, tzinfo=UTC)
    assert office.add(monday, timedelta(0)) == monday
    assert office.add(datetime(2026, 3, 2, 17, tzinfo=UTC), timedelta(minutes=1)) == datetime(2026, 3, 3, 9, 1, tzinfo=UTC)
    # Half-open: the end of business is not working time, the start is.
    assert office.is_working(monday) and not office.is_working(datetime(2026, 3, 2, 17, tzinfo=UTC))
    assert office.is_working(datetime(2026, 3, 2, 17, tzinfo=UTC) - US)


def test_public_holidays_are_skipped_with_their_names(berlin: BusinessCalendar) -> None:
    # Wed 23 Dec 2026 16:00 Berlin (15:00 UTC); 25 and 26 Dec are holidays, 27 is a Sunday.
    start = local(BERLIN, 2026, 12, 23, 16)
    explanation = berlin.explain(start, timedelta(hours=16))
    assert explanation.deadline == local(BERLIN, 2026, 12, 28, 16)
    names = {d.day: (d.reason, d.name) for d in explanation.skipped}
    assert names[date(2026, 12, 25)] == ("holiday", "Christmas Day")
    assert names[date(2026, 12, 26)][0] == "holiday"
    assert names[date(2026, 12, 27)] == ("closed", "")
    assert sum((b - a for a, b in explanation.intervals), timedelta(0)) == timedelta(hours=16)
    assert any("Christmas Day" in line for line in explanation.lines())


def test_closed_days_and_subdivision_holidays() -> None:
    bavaria = BusinessCalendar("Europe/Berlin", country="DE", subdivision="BY", closed_days={date(2026, 1, 2)})
    berlin = BusinessCalendar("Europe/Berlin", country="DE", subdivision="BE")
    # 6 January (Epiphany) is a holiday in Bavaria, not in Berlin.
    assert not bavaria.is_working(local(BERLIN, 2026, 1, 6, 10))
    assert berlin.is_working(local(BERLIN, 2026, 1, 6, 10))
    assert not bavaria.is_working(local(BERLIN, 2026, 1, 2, 10))
    assert bavaria.closed_reason(date(2026, 1, 2)) is not None


def test_year_boundary_and_new_year_holiday(berlin: BusinessCalendar) -> None:
    start = local(BERLIN, 2026, 12, 31, 16)
    # 1 January 2027 is a Friday and a holiday; the deadline is Monday 4 January.
    assert berlin.add(start, timedelta(hours=2)) == local(BERLIN, 2027, 1, 4, 10)
    assert berlin.working_time_between(start, local(BERLIN, 2027, 1, 4, 10)) == timedelta(hours=2)


def test_dst_spring_forward_in_berlin(berlin: BusinessCalendar) -> None:
    # Clocks go from 02:00 to 03:00 on Sunday 29 March 2026; business days keep 8 hours.
    friday = local(BERLIN, 2026, 3, 27, 16)
    deadline = berlin.add(friday, timedelta(hours=2))
    assert deadline == local(BERLIN, 2026, 3, 30, 10)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert friday.astimezone(UTC) == datetime(2026, 3, 27, 15, tzinfo=UTC)
    assert berlin.working_time_between(local(BERLIN, 2026, 3, 30, 0), local(BERLIN, 2026, 3, 31, 0)) == timedelta(hours=8)


def test_dst_days_have_their_real_length_on_an_all_day_calendar() -> None:
    always_open = BusinessCalendar("Europe/Berlin", {"mon-sun": "00:00-24:00"})
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    day = lambda d: always_open.working_time_between(  # noqa: E731
        local(BERLIN, d.year, d.month, d.day), local(BERLIN, *(d + timedelta(days=1)).timetuple()[:3])
    )
    assert day(spring) == timedelta(hours=23)
    assert day(autumn) == timedelta(hours=25)
    assert day(date(2026, 6, 1)) == timedelta(hours=24)
    # No gap anywhere: adding is plain elapsed time, across both changes.
    start = local(BERLIN, 2026, 3, 28, 12)
    assert always_open.add(start, timedelta(days=300)) == start.astimezone(UTC) + timedelta(days=300)


def test_sao_paulo_midnight_that_did_not_exist() -> None:
    # On 4 November 2018 Sao Paulo moved its clocks from 00:00 straight to 01:00.
    early = BusinessCalendar("America/Sao_Paulo", {"mon-sun": "00:00-08:00"})
    day = early.day_intervals(date(2018, 11, 4))
    assert len(day) == 1
    start, end = day[0]
    assert end - start == 7 * 3600 * 1_000_000  # seven real hours
    assert early.add(local(SAO_PAULO, 2018, 11, 3, 7), timedelta(hours=2)) == local(SAO_PAULO, 2018, 11, 4, 2)
    all_day = BusinessCalendar("America/Sao_Paulo", {"mon-sun": "00:00-24:00"})
    before = local(SAO_PAULO, 2018, 11, 3, 23)
    assert all_day.add(before, timedelta(hours=2)) == before.astimezone(UTC) + timedelta(hours=2)
    # And back on 17 February 2019 (the 23:00 hour of the 16th happened twice): a 25-hour day.
    assert all_day.working_time_between(local(SAO_PAULO, 2019, 2, 16), local(SAO_PAULO, 2019, 2, 17)) == timedelta(hours=25)


def test_night_shift_crosses_midnight_without_a_gap() -> None:
    nights = BusinessCalendar("Europe/Berlin", {"mon": "22:00-24:00", "tue": "00:00-06:00"})
    monday = local(BERLIN, 2026, 3, 2, 23)
    assert nights.add(monday, timedelta(hours=2)) == local(BERLIN, 2026, 3, 3, 1)
    assert nights.is_working(local(BERLIN, 2026, 3, 3, 0))
    assert nights.is_working(local(BERLIN, 2026, 3, 2, 22))
    assert not nights.is_working(local(BERLIN, 2026, 3, 3, 6))
    explanation = nights.explain(monday, timedelta(hours=2))
    assert explanation.intervals == ((monday.astimezone(UTC), local(BERLIN, 2026, 3, 3, 1).astimezone(UTC)),)
    # A full shift is eight hours; the ninth is in the next shift, a week later.
    assert nights.add(local(BERLIN, 2026, 3, 2, 22), timedelta(hours=9)) == local(BERLIN, 2026, 3, 9, 23)


def test_leap_day(office: BusinessCalendar) -> None:
    # 29 February 2028 is a Tuesday: a working day.
    monday = datetime(2028, 2, 28, 16, tzinfo=UTC)
    assert office.add(monday, timedelta(hours=2)) == datetime(2028, 2, 29, 10, tzinfo=UTC)
    assert office.add(datetime(2028, 2, 29, 16, tzinfo=UTC), timedelta(hours=2)) == datetime(2028, 3, 1, 10, tzinfo=UTC)
    assert ALWAYS.add(datetime(2028, 2, 28, 12, tzinfo=UTC), timedelta(hours=24)) == datetime(2028, 2, 29, 12, tzinfo=UTC)
    weekends = BusinessCalendar("UTC", {"sat-sun": "00:00-24:00"})
    # 2024-02-29 was a Thursday: Saturday 24th + 48 h of weekend ends on Sunday 25th 24:00.
    assert weekends.add(datetime(2024, 2, 24, tzinfo=UTC), timedelta(hours=48)) == datetime(2024, 2, 26, tzinfo=UTC)


def test_next_working(berlin: BusinessCalendar) -> None:
    assert berlin.next_working(local(BERLIN, 2026, 12, 24, 18)) == local(BERLIN, 2026, 12, 28, 9)
    inside = local(BERLIN, 2026, 12, 28, 11)
    assert berlin.next_working(inside) == inside


def test_working_time_between_is_antisymmetric(office: BusinessCalendar) -> None:
    a, b = datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert office.working_time_between(a, b) == timedelta(hours=7 + 8 + 3)
    assert office.working_time_between(b, a) == -timedelta(hours=18)
    assert office.working_time_between(a, a) == timedelta(0)


# -- properties ----------------------------------------------------------------------------------

_BERLIN_CAL = BusinessCalendar("Europe/Berlin", {"mon-fri": "08:30-12:00, 13:00-17:30", "sat": "10:00-14:00"}, country="DE")
_starts = st.datetimes(min_value=datetime(2018, 1, 1), max_value=datetime(2032, 1, 1), timezones=st.just(UTC))
_durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


@settings(max_examples=150)
@given(_starts, _durations)
def test_working_time_to_the_deadline_is_the_duration(start: datetime, duration: timedelta) -> None:
    deadline = _BERLIN_CAL.add(start, duration)
    assert deadline >= start
    assert _BERLIN_CAL.working_time_between(start, deadline) == duration
    if duration:
        assert _BERLIN_CAL.is_working(deadline - US)


@settings(max_examples=100)
@given(_starts, _durations, _durations)
def test_add_is_monotone_and_composes(start: datetime, first: timedelta, second: timedelta) -> None:
    once = _BERLIN_CAL.add(start, first + second)
    assert _BERLIN_CAL.add(_BERLIN_CAL.add(start, first), second) == once
    assert _BERLIN_CAL.add(start, min(first, second)) <= _BERLIN_CAL.add(start, max(first, second))


@settings(max_examples=100)
@given(_starts)
def test_next_working_skips_only_closed_time(t: datetime) -> None:
    upcoming = _BERLIN_CAL.next_working(t)
    assert upcoming >= t and _BERLIN_CAL.is_working(upcoming)
    assert _BERLIN_CAL.working_time_between(t, upcoming) == timedelta(0)
    assert _BERLIN_CAL.is_working(t) == (upcoming == t)
