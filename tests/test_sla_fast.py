"""The SLA fold's fast paths (cached event effects, per-transition clocks, the lean next deadline)
give the results of the plain rules: tracking in pieces or at once, with cold or warm caches, and
with a state tracked under another policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvekit.domain.actors import Actor
from resolvekit.domain.calendars import ALWAYS, BusinessCalendar
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.sla import DEFAULT_CLOCKS, ClockPolicy, SlaPolicy, agenda, annotate, next_deadline, track
from resolvekit.errors import ValidationError

T = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
ACTORS = (Actor.customer("c"), Actor.merchant("m", store_id="s"), Actor.platform("p"), Actor.system())
STATUSES = (
    "under_platform_review",
    "waiting_for_merchant_response",
    "waiting_for_customer_response",
    "under_merchant_review",
    "closed",
)
KINDS = tuple(k.value for k in EventKind if not k.value.endswith("_opened"))
OFFICE = BusinessCalendar("UTC")

HOST = ClockPolicy(
    "host",
    timedelta(hours=2),
    starts_on={"opened", "customer_message"},
    met_on={"merchant_response", "closed"},
    rearm=True,
    requires_met="resolution",
    paused_in={"waiting_for_merchant_response"},
    warn_before=timedelta(hours=1),
)
SWEPT = ClockPolicy(
    "swept",
    timedelta(hours=1),
    starts_on={"clock_breached", "deadline_warning", "offer_rejected"},
    met_on={"escalated", "platform_response"},
    rearm=True,
    paused_in=frozenset(),
    calendar=OFFICE,
    warn_before=timedelta(minutes=90),
)


def policies() -> dict[str, SlaPolicy]:
    """Fresh policies (so their caches are cold)."""
    return {
        "default": SlaPolicy(),
        "office": SlaPolicy(
            clocks=tuple(attrs.evolve(c, calendar=OFFICE) for c in DEFAULT_CLOCKS),
            calendar=OFFICE,
            warnings_in_working_time_only=True,
            auto_close_after=timedelta(days=4),
        ),
        "host": SlaPolicy(clocks=(*DEFAULT_CLOCKS, HOST, SWEPT), rejected_offers_before_escalation=2, auto_close_after=timedelta(hours=30)),
        "rearm": SlaPolicy(clocks=tuple(attrs.evolve(c, rearm=True) for c in DEFAULT_CLOCKS), unresponsive_after=None),
    }


WARM = policies()

_event = st.tuples(
    st.sampled_from(KINDS + ("message_added",) * 6 + ("case_closed", "clock_breached", "deadline_warning")),
    st.sampled_from(ACTORS),
    st.one_of(st.none(), st.sampled_from(STATUSES)),
    st.booleans(),
    st.sampled_from([0, 1, 30, 60 * 5, 60 * 30, 60 * 80]),
    st.sampled_from(["first_response", "next_response", "resolution", "host", "swept"]),
    st.integers(0, 3),
)


@st.composite
def logs(draw: Any) -> list[CaseEvent]:
    kind = draw(st.sampled_from(["complaint", "ticket"]))
    at = T + timedelta(hours=draw(st.integers(0, 24 * 7)))
    events = [CaseEvent("X", 1, f"{kind}_opened", ACTORS[0], at, {"status": draw(st.sampled_from(STATUSES[:4]))})]
    for kind_, actor, status, internal, minutes, clock, cycle in draw(st.lists(_event, max_size=14)):
        at += timedelta(minutes=minutes)
        payload: dict[str, Any] = {} if status is None else {"status": status}
        if internal:
            payload["internal"] = True
        if kind_ in ("clock_breached", "deadline_warning"):
            payload.update(clock=clock, cycle=cycle)
        when = at.astimezone(timezone(timedelta(hours=3))) if minutes == 1 else at  # now and then not in UTC
        events.append(CaseEvent("X", len(events) + 1, kind_, actor, when, payload))
    return events


@settings(max_examples=150)
@given(logs(), st.sampled_from(sorted(WARM)), st.data())
def test_tracking_in_pieces_with_warm_or_cold_caches_gives_one_state(events: list[CaseEvent], name: str, data: Any) -> None:
    cold = policies()[name]
    whole = track(events, cold)
    assert track(iter(events), WARM[name]) == whole
    cut = data.draw(st.integers(1, len(events)))
    assert track(events[cut:], WARM[name], track(events[:cut], WARM[name])) == whole
    assert [c.name for c in whole.clocks] == [p.name for p in cold.clocks if whole.kind in p.kinds]


@settings(max_examples=150)
@given(logs(), st.sampled_from(sorted(WARM)))
def test_next_deadline_is_the_first_step_of_the_agenda(events: list[CaseEvent], name: str) -> None:
    policy = WARM[name]
    state = track(events, policy)
    steps = agenda(state, policy)
    expected = steps[0].at if steps else None
    assert repr(next_deadline(state, policy)) == repr(expected)  # the same instant in the same zone


@settings(max_examples=80)
@given(logs(), st.data())
def test_a_state_tracked_under_fewer_clocks_goes_on_by_clock_name(events: list[CaseEvent], data: Any) -> None:
    cut = data.draw(st.integers(1, len(events)))
    small, large = SlaPolicy(), WARM["host"]  # the same built-in clocks; "large" adds two
    state = track(events[cut:], large, track(events[:cut], small))
    assert state.clocks == track(events, small).clocks


def _log(*steps: tuple[str, Actor, dict[str, Any]]) -> list[CaseEvent]:
    events = [CaseEvent("X", 1, "complaint_opened", ACTORS[0], T, {"status": "under_platform_review"})]
    for hours, (kind, actor, payload) in enumerate(steps, start=1):
        events.append(CaseEvent("X", len(events) + 1, kind, actor, T + timedelta(hours=hours), payload))
    return events


def test_an_event_that_concerns_no_clock_keeps_the_clock_objects() -> None:
    policy = SlaPolicy()
    before = track(_log(("review_passed", ACTORS[2], {"status": "waiting_for_merchant_response"})), policy)
    after = track([CaseEvent("X", 3, "ticket_rated", ACTORS[0], T + timedelta(hours=3), {})], policy, before)
    assert after.version == 3 and all(a is b for a, b in zip(after.clocks, before.clocks, strict=True))


def test_a_clock_started_while_the_case_waits_for_the_customer_starts_paused() -> None:
    policy = SlaPolicy()
    state = track(_log(("review_passed", ACTORS[2], {"status": "waiting_for_customer_response"})), policy)
    first = state.clock("first_response")
    assert first is not None and first.status == "paused" and first.pauses == 1 and first.deadline is None


def test_recorded_breaches_and_warnings_concern_their_cycle_only() -> None:
    policy = SlaPolicy()
    review = ("review_passed", ACTORS[2], {"status": "waiting_for_merchant_response"})
    other_cycle = ("clock_breached", ACTORS[3], {"clock": "first_response", "cycle": 2})
    state = track(_log(review, other_cycle), policy)
    assert not state.clock("first_response").breached  # type: ignore[union-attr]
    warned = track(_log(review, ("deadline_warning", ACTORS[3], {"clock": "first_response", "cycle": 1})), policy)
    assert warned.clock("first_response").warned  # type: ignore[union-attr]
    assert not [a for a in agenda(warned, policy) if a.kind == "warn"]
    breach = ("clock_breached", ACTORS[3], {"clock": "first_response", "cycle": 1})
    twice = track(_log(review, breach, breach), policy).clock("first_response")
    assert twice is not None and twice.breached and twice.breach_recorded and twice.breaches == 1


def test_annotate_returns_a_new_list_and_records_the_resolution_on_closing() -> None:
    policy = SlaPolicy()
    events = _log(("case_closed", ACTORS[0], {"status": "closed"}))
    state = track(events, policy)
    annotated = annotate(events, state, policy)
    assert annotated is not events and annotated[0] is events[0]
    assert annotated[1].payload["resolved_in_time"] is True and "resolved_in_time" not in events[1].payload
    assert annotate(events[:1], state, policy) == events[:1]


def test_always_counts_working_time_between_any_aware_times() -> None:
    plus3 = timezone(timedelta(hours=3))
    a, b = T, T + timedelta(hours=5)
    assert ALWAYS.working_time_between(a, b) == timedelta(hours=5)
    assert ALWAYS.working_time_between(a.astimezone(plus3), b) == timedelta(hours=5)
    assert ALWAYS.working_time_between(b, a.astimezone(plus3)) == timedelta(hours=-5)
    with pytest.raises(ValidationError):
        ALWAYS.working_time_between(a.replace(tzinfo=None), b)
