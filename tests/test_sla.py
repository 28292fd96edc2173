"""SLA clocks, pauses, escalation, auto-close and sweeps (DOMAIN section 5)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import Actor, Customer, Order, Policy, ResolveKit
from resolvekit.__main__ import main
from resolvekit.domain.calendars import ALWAYS, BusinessCalendar
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.sla import (
    DEFAULT_CLOCKS,
    Action,
    ClockPolicy,
    SlaPolicy,
    agenda,
    due_actions,
    explain,
    next_deadline,
    track,
)
from resolvekit.errors import CaseClosed, ConfigurationError, NotDue, PermissionDenied, ResolveKitError, ValidationError
from resolvekit.plugins.memory import MemoryStorage
from resolvekit.testing import ManualClock

T = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
CUSTOMER = Actor.customer("c")
MERCHANT = Actor.merchant("m", store_id="s")
PLATFORM = Actor.platform("p")
SYSTEM = Actor.system()


# -- a small log builder for the pure functions -------------------------------------------------


class Log:
    """Builds a complaint's events; ``status`` follows what the real lifecycle would do."""

    def __init__(self, kind: str = "complaint", at: datetime = T) -> None:
        self.events: list[CaseEvent] = []
        self.at = at
        if kind == "complaint":
            self.add("complaint_opened", CUSTOMER, status="under_platform_review")
        else:
            self.add("ticket_opened", CUSTOMER, status="under_merchant_review")

    def add(self, kind: str, actor: Actor, after: timedelta = timedelta(0), **payload: Any) -> Log:
        self.at += after
        self.events.append(CaseEvent("X", len(self.events) + 1, kind, actor, self.at, payload))
        return self

    def review(self, after: timedelta = timedelta(0)) -> Log:
        return self.add("review_passed", PLATFORM, after, status="waiting_for_merchant_response")

    def merchant(self, after: timedelta = timedelta(0)) -> Log:
        return self.add("message_added", MERCHANT, after, body="answer", status="waiting_for_customer_response")

    def customer(self, after: timedelta = timedelta(0)) -> Log:
        return self.add("message_added", CUSTOMER, after, body="question", status="waiting_for_merchant_response")


def clock_of(log: Log, name: str, policy: SlaPolicy | None = None) -> Any:
    state = track(log.events, policy or SlaPolicy())
    return state.clock(name)


# -- policy validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: ClockPolicy("x", timedelta(hours=-1), starts_on={"opened"}, met_on={"closed"}), "positive duration"),
        (lambda: ClockPolicy("x", timedelta(0), starts_on={"opened"}, met_on={"closed"}), "positive duration"),
        (lambda: ClockPolicy("x", 24, starts_on={"opened"}, met_on={"closed"}), "timedelta"),
        (lambda: ClockPolicy("", timedelta(hours=1), starts_on={"opened"}, met_on={"closed"}), "non-empty name"),
        (lambda: ClockPolicy("x", timedelta(hours=1), starts_on=set(), met_on={"closed"}), "at least one trigger"),
        (lambda: ClockPolicy("x", timedelta(hours=1), starts_on={"opened"}, met_on={"closed"}, kinds={"order"}), "complaint"),
        (lambda: ClockPolicy("x", timedelta(hours=1), starts_on={"opened"}, met_on={"closed"}, calendar="24/7"), "calendar"),
        (lambda: ClockPolicy("x", timedelta(hours=1), starts_on={"opened"}, met_on={"closed"}, warn_before=timedelta(-1)), "positive"),
        (lambda: SlaPolicy(clocks=(*DEFAULT_CLOCKS, DEFAULT_CLOCKS[0])), "unique"),
        (lambda: SlaPolicy(clocks=DEFAULT_CLOCKS[1:]), "requires clock 'first_response'"),
        (lambda: SlaPolicy(clocks=DEFAULT_CLOCKS[:2]), "resolution_clock"),
        (lambda: SlaPolicy(auto_close_after=timedelta(days=-21)), "positive duration"),
        (lambda: SlaPolicy(unresponsive_after=timedelta(0)), "positive duration"),
        (lambda: SlaPolicy(auto_close_warning=timedelta(hours=-1)), "zero or more"),
        (lambda: SlaPolicy(rejected_offers_before_escalation=0), "positive whole number"),
        (lambda: SlaPolicy(escalators={"boss"}), "Unknown role"),
        (lambda: Policy(sla="fast"), "sla"),
        (lambda: SlaPolicy(calendar=BusinessCalendar("Nowhere/City")), "Unknown time zone"),
    ],
)
def test_bad_sla_policies_fail_at_construction(make: Any, words: str) -> None:
    with pytest.raises((ConfigurationError, TypeError), match=words):
        make()


def test_default_policy_is_documented_and_light() -> None:
    sla = Policy().sla
    first = sla.clock("first_response")
    assert first is not None and first.duration == timedelta(hours=24) and first.calendar is ALWAYS
    assert sla.clock("resolution").duration == timedelta(hours=72)  # type: ignore[union-attr]
    assert sla.clock("inquiry_to_claim").duration == timedelta(hours=48)  # type: ignore[union-attr]
    assert sla.auto_close_after is None and sla.rejected_offers_before_escalation == 3
    assert hash(Policy()) == hash(Policy())


# -- clocks -------------------------------------------------------------------------------------


def test_first_response_met_in_time_and_late() -> None:
    in_time = clock_of(Log().review(timedelta(hours=1)).merchant(timedelta(hours=23, minutes=59)), "first_response")
    assert in_time.status == "met" and not in_time.breached
    assert in_time.deadline == T + timedelta(hours=25)
    late = clock_of(Log().review(timedelta(hours=1)).merchant(timedelta(hours=24)), "first_response")
    assert late.status == "met" and late.breached and late.breaches == 1  # half-open: at the deadline is late


def test_automatic_replies_and_internal_notes_do_not_count() -> None:
    log = Log().review()
    log.add("message_added", SYSTEM, timedelta(hours=1), body="We got your message")
    log.add("message_added", MERCHANT, timedelta(hours=1), body="note", internal=True)
    assert clock_of(log, "first_response").status == "running"


def test_next_response_rearms_each_time_the_customer_writes() -> None:
    log = Log().review().merchant(timedelta(hours=2))
    assert clock_of(log, "next_response").status == "idle"
    log.customer(timedelta(hours=1))
    first = clock_of(log, "next_response")
    assert first.status == "running" and first.cycle == 1 and first.deadline == log.at + timedelta(hours=24)
    log.customer(timedelta(hours=3))  # a second message does not restart a running clock
    assert clock_of(log, "next_response").started_at == first.started_at
    log.merchant(timedelta(hours=30))  # late
    late = clock_of(log, "next_response")
    assert late.status == "met" and late.breached
    log.customer(timedelta(hours=1))
    second = clock_of(log, "next_response")
    assert second.cycle == 2 and second.status == "running" and not second.breached and second.breaches == 1


def test_customer_writing_before_the_first_response_does_not_arm_next_response() -> None:
    log = Log().review().customer(timedelta(hours=1))
    assert clock_of(log, "next_response").status == "idle"
    assert clock_of(log, "first_response").status == "running"


def test_pause_and_resume_repeatedly() -> None:
    log = Log().review()
    paused = timedelta(0)
    for hours in (2, 5, 1, 7):
        log.merchant(timedelta(hours=1))
        log.customer(timedelta(hours=hours))
        paused += timedelta(hours=hours)
    resolution = clock_of(log, "resolution")
    assert resolution.pauses == 4 and resolution.paused_for == paused
    assert resolution.deadline == T + timedelta(hours=72) + paused
    log.merchant(timedelta(hours=1))
    waiting = clock_of(log, "resolution")
    assert waiting.status == "paused" and waiting.deadline is None and explain(waiting, SlaPolicy()) is None


def test_pauses_on_a_business_calendar_count_working_time() -> None:
    office = BusinessCalendar("UTC")
    policy = SlaPolicy(clocks=tuple(attrs.evolve(c, calendar=office) if c.name == "resolution" else c for c in DEFAULT_CLOCKS))
    # Opened Monday 09:00; waits for the customer Monday 10:00 -> Tuesday 10:00 (8 working hours).
    log = Log().review().merchant(timedelta(hours=1)).customer(timedelta(hours=24))
    resolution = clock_of(log, "resolution", policy)
    assert resolution.paused_for == timedelta(hours=8)
    # 72 working hours = 9 business days, plus 8 paused: Friday of the second week 09:00 + 8 h.
    assert resolution.deadline == office.add(T, timedelta(hours=80))
    explanation = explain(resolution, policy)
    assert explanation is not None and explanation.paused == timedelta(hours=8)
    assert sum((b - a for a, b in explanation.intervals), timedelta(0)) == timedelta(hours=80)


def test_closing_stops_clocks_and_records_resolution() -> None:
    log = Log().review().merchant(timedelta(hours=1)).add("case_closed", CUSTOMER, timedelta(hours=2), status="closed")
    state = track(log.events, SlaPolicy())
    assert state.clock("resolution").status == "met"  # type: ignore[union-attr]
    assert state.closed_at == log.at and agenda(state, SlaPolicy()) == () and next_deadline(state, SlaPolicy()) is None


def test_a_state_from_another_policy_is_refused() -> None:
    log = Log().review()
    state = track(log.events, SlaPolicy())
    renamed = SlaPolicy(clocks=tuple(attrs.evolve(c, name="answer") if c.name == "escalation_follow_up" else c for c in DEFAULT_CLOCKS))
    with pytest.raises(ConfigurationError, match="escalation_follow_up"):
        track(Log().merchant().events[1:], renamed, state)


def test_a_recorded_breach_stays_even_when_the_policy_is_relaxed() -> None:
    log = Log().review()
    deadline = T + timedelta(hours=24)
    log.add("clock_breached", SYSTEM, timedelta(hours=25), clock="first_response", cycle=1, deadline=deadline.isoformat())
    log.merchant(timedelta(hours=1))
    relaxed = SlaPolicy(clocks=tuple(attrs.evolve(c, duration=timedelta(days=30)) if c.name == "first_response" else c for c in DEFAULT_CLOCKS))
    clock = clock_of(log, "first_response", relaxed)
    assert clock.breached and clock.breach_recorded and clock.deadline == T + timedelta(days=30)


def test_tracking_is_incremental_and_pure() -> None:
    log = Log().review().merchant(timedelta(hours=3)).customer(timedelta(hours=4)).merchant(timedelta(hours=5))
    whole = track(log.events, SlaPolicy())
    assert whole.kind == "complaint" and whole.version == len(log.events) and whole.status == "waiting_for_customer_response"
    assert [c.name for c in whole.clocks] == ["first_response", "next_response", "resolution", "escalation_follow_up"]
    assert [c.name for c in track(Log("ticket").events, SlaPolicy()).clocks] == [
        "first_response", "next_response", "inquiry_to_claim", "escalation_follow_up"
    ]
    for cut in range(1, len(log.events)):
        assert track(log.events[cut:], SlaPolicy(), track(log.events[:cut], SlaPolicy())) == whole


# -- properties ---------------------------------------------------------------------------------

_gaps = st.lists(st.integers(min_value=1, max_value=60 * 40), min_size=1, max_size=12)  # minutes


def _alternating(gaps: list[int]) -> Log:
    """Merchant and customer take turns: every other gap is a wait for the customer (a pause)."""
    log = Log().review()
    for index, minutes in enumerate(gaps):
        (log.merchant if index % 2 == 0 else log.customer)(timedelta(minutes=minutes))
    if len(gaps) % 2:
        log.customer(timedelta(minutes=1))
    return log


@settings(max_examples=80)
@given(_gaps)
def test_always_deadline_is_start_plus_duration_plus_paused_time(gaps: list[int]) -> None:
    log = _alternating(gaps)
    paused = sum((timedelta(minutes=m) for m in gaps[1::2]), timedelta(0))
    if len(gaps) % 2:
        paused += timedelta(minutes=1)
    resolution = clock_of(log, "resolution")
    assert resolution.paused_for == paused
    assert resolution.deadline == resolution.started_at + timedelta(hours=72) + paused


_OFFICE_POLICY = SlaPolicy(
    clocks=tuple(attrs.evolve(c, calendar=BusinessCalendar("Europe/Berlin", country="DE")) for c in DEFAULT_CLOCKS)
)


@settings(max_examples=80)
@given(_gaps, st.integers(min_value=0, max_value=20), st.floats(0, 1), st.floats(0, 1), st.booleans())
def test_adding_a_pause_never_moves_a_deadline_earlier(gaps: list[int], which: int, at: float, length: float, office: bool) -> None:
    policy = _OFFICE_POLICY if office else SlaPolicy()
    running = [i for i in range(0, len(gaps), 2) if gaps[i] >= 3]  # turns in which the merchant is awaited
    if not running:
        return
    i = running[which % len(running)]
    # Split that turn: the merchant answers after x, the customer after y more (a new pause), the
    # rest of the turn as before; every other event keeps its time.
    x = 1 + int(at * (gaps[i] - 3))
    y = 1 + int(length * (gaps[i] - x - 2))
    with_pause = _alternating(gaps[:i] + [x, y, gaps[i] - x - y] + gaps[i + 1 :])
    base = _alternating(gaps)
    assert base.at == with_pause.at
    before = clock_of(base, "resolution", policy)
    after = clock_of(with_pause, "resolution", policy)
    assert before.deadline is not None and after.deadline is not None
    assert after.deadline >= before.deadline and after.pauses == before.pauses + 1


# -- escalation rules on the log ----------------------------------------------------------------


def test_repeated_rejected_offers_escalate() -> None:
    if "offer_rejected" not in {k.value for k in EventKind}:
        pytest.skip("resolution offers are not available")
    log = Log().review()
    policy = SlaPolicy(rejected_offers_before_escalation=2)
    log.add("offer_rejected", CUSTOMER, timedelta(hours=1), offer_id="o1", reason="too little")
    assert not [a for a in agenda(track(log.events, policy), policy) if a.kind == "escalate" and a.reason == "rejected_offers"]
    log.add("offer_rejected", CUSTOMER, timedelta(hours=1), offer_id="o2", reason="still too little")
    state = track(log.events, policy)
    steps = [a for a in due_actions(state, policy, log.at) if a.kind == "escalate"]
    assert steps == [Action("escalate", log.at, reason="rejected_offers")]
    off = SlaPolicy(rejected_offers_before_escalation=None)
    assert not [a for a in agenda(track(log.events, off), off) if a.reason == "rejected_offers"]


def test_unresponsive_side_escalates_after_the_policy_period() -> None:
    log = Log().review()
    state = track(log.events, SlaPolicy())
    step = [a for a in agenda(state, SlaPolicy()) if a.kind == "escalate"]
    assert step == [Action("escalate", log.at + timedelta(days=3), reason="unresponsive", deadline=log.at + timedelta(days=3))]
    # The customer writing again does not reset the merchant's silence.
    log.customer(timedelta(days=1))
    assert [a.at for a in agenda(track(log.events, SlaPolicy()), SlaPolicy()) if a.kind == "escalate"] == [step[0].at]


def test_warnings_wait_for_working_time() -> None:
    office = BusinessCalendar("UTC")
    policy = SlaPolicy(calendar=office, warnings_in_working_time_only=True)
    # Review passes Friday 20:00; the 24 h deadline is Saturday 20:00, the warning would be 16:00.
    log = Log(at=datetime(2026, 3, 6, 20, tzinfo=UTC)).review()
    state = track(log.events, policy)
    warnings = [a for a in agenda(state, policy) if a.kind == "warn"]
    assert warnings == []  # the next working time (Monday 09:00) is after the deadline: no warning
    log2 = Log(at=datetime(2026, 3, 5, 20, tzinfo=UTC)).review()  # Thursday 20:00, deadline Friday 20:00
    warn = [a for a in agenda(track(log2.events, policy), policy) if a.kind == "warn"]
    assert [a.at for a in warn] == [datetime(2026, 3, 6, 16, tzinfo=UTC)]
    loose = SlaPolicy()
    assert [a.at for a in agenda(track(log.events, loose), loose) if a.kind == "warn"] == [datetime(2026, 3, 7, 16, tzinfo=UTC)]
    # Outside working time a due warning is held back.
    late_state = track(log2.events, policy)
    assert not [a for a in due_actions(late_state, policy, datetime(2026, 3, 6, 17, 30, tzinfo=UTC)) if a.kind == "warn"]
    assert [a.kind for a in due_actions(late_state, policy, datetime(2026, 3, 6, 16, 30, tzinfo=UTC))] == ["warn"]


# -- the application: commands, sweeps ------------------------------------------------------------


@pytest.fixture
def sla_clock() -> ManualClock:
    return ManualClock(T)


def _app(clock: ManualClock, **sla: Any) -> ResolveKit:
    return ResolveKit(storage="memory://", clock=clock, policy=Policy(sla=SlaPolicy(**sla)))


def _complaint(app: ResolveKit, customer: Customer, order: Order, *, review: bool = True) -> str:
    result = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods", description="It broke.", declaration_accepted=True
    )
    if review:
        app.pass_review(Actor.platform("agent"), result.case.id)
    return result.case.id


def _ticket(app: ResolveKit, customer: Customer, order: Order) -> Any:
    return app.open_ticket(
        Actor.customer(customer.id), store_id=order.store_id, customer=customer, ticket_type="order_delayed", order=order, description="Where is it?"
    )


def _kinds(app: ResolveKit, case_id: str) -> list[str]:
    return [e.kind.value for e in app.activity(Actor.platform("agent"), case_id)]


def test_sweep_warns_then_records_the_breach_once(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    assert app.sweep().steps == ()
    sla_clock.advance(hours=21)
    report = app.sweep()
    assert [(s.kind, s.clock) for s in report.steps] == [("warn", "first_response")]
    sla_clock.advance(hours=4)
    report = app.sweep()
    assert [(s.kind, s.clock) for s in report.steps] == [("breach", "first_response")]
    before = _kinds(app, case_id)
    assert app.sweep().steps == () and _kinds(app, case_id) == before  # sweeping twice changes nothing
    case = app.get_case(Actor.platform("agent"), case_id)
    assert case.breached_clocks == ("first_response",)
    outbox = {(e.notification.event_kind, e.notification.recipient.role.value) for e in app.storage.outbox(case_id)}
    assert {("deadline_warning", "merchant"), ("clock_breached", "merchant"), ("clock_breached", "platform")} <= outbox
    # A late answer meets the clock, but it stays breached.
    app.reply(Actor.merchant("owner", store_id=order.store_id), case_id, "Sorry for the wait.")
    state = app.sla(Actor.platform("agent"), case_id)
    assert state.clock("first_response").status == "met" and state.clock("first_response").breached  # type: ignore[union-attr]


def test_unanswered_inquiry_becomes_a_claim(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    ticket = _ticket(app, customer, order)
    sla_clock.advance(hours=48, seconds=1)
    report = app.sweep()
    kinds = {s.clock or s.reason for s in report.steps}
    assert "inquiry_to_claim" in kinds
    case = app.get_case(Actor.platform("agent"), ticket.case.id)
    assert case.escalation is not None
    assert case.escalation.by == Actor.system() and case.escalation.reason == "clock_breached"
    assert case.escalation.clock == "inquiry_to_claim" and case.escalation.reference.startswith(case.id)
    assert app.sweep().steps == ()


def test_people_escalate_with_a_reference(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    merchant = Actor.merchant("owner", store_id=order.store_id)
    result = app.escalate(merchant, case_id, note="We cannot agree.", reference="PLAT-7")
    escalation = result.case.escalation
    assert escalation is not None and escalation.reference == "PLAT-7" and escalation.by == merchant and escalation.reason == "requested"
    with pytest.raises(ValidationError, match="already escalated"):
        app.escalate(Actor.customer(customer.id), case_id)
    with pytest.raises(ValidationError, match="Unknown escalation reason"):
        app.escalate(merchant, case_id, reason="bored")
    # The platform follows up within 48 h: its own clock.
    assert app.sla(Actor.platform("agent"), case_id).clock("escalation_follow_up").status == "running"  # type: ignore[union-attr]
    app.reply(Actor.platform("agent"), case_id, "We are looking into it.")
    assert app.sla(Actor.platform("agent"), case_id).clock("escalation_follow_up").status == "met"  # type: ignore[union-attr]


def test_escalators_are_a_policy(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock, escalators={"merchant", "platform", "system"})
    case_id = _complaint(app, customer, order)
    with pytest.raises(PermissionDenied):
        app.escalate(Actor.customer(customer.id), case_id)
    assert _kinds(app, case_id) == ["complaint_opened", "review_passed"]


def test_customer_flags_a_safety_issue(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    buyer = Actor.customer(customer.id)
    result = app.flag_safety_issue(buyer, case_id, "The kettle sparks when plugged in.")
    assert [e.kind.value for e in result.events] == ["safety_issue_flagged", "case_escalated"]
    assert result.case.safety_issue and result.case.escalation.reason == "safety_issue" and result.case.escalation.by == buyer  # type: ignore[union-attr]
    again = app.flag_safety_issue(buyer, case_id, "It happened again.")
    assert [e.kind.value for e in again.events] == ["safety_issue_flagged"]  # escalated once
    with pytest.raises(PermissionDenied):
        app.flag_safety_issue(Actor.platform("agent"), case_id, "x")
    with pytest.raises(ValidationError):
        app.flag_safety_issue(buyer, case_id, "   ")


def test_dispute_of_policy_escalates(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    merchant = Actor.merchant("owner", store_id=order.store_id)
    result = app.dispute_policy(merchant, case_id, "The return window does not apply to custom items.")
    assert [e.kind.value for e in result.events] == ["policy_disputed", "case_escalated"]
    assert result.case.escalation.reason == "policy_dispute"  # type: ignore[union-attr]
    notified = {(e.notification.event_kind, e.notification.recipient.role.value) for e in app.storage.outbox(case_id)}
    assert ("case_escalated", "platform") in notified and ("case_escalated", "customer") in notified


def test_closed_cases_cannot_escalate(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    app.close(Actor.customer(customer.id), case_id, confirmed=True)
    with pytest.raises(CaseClosed):
        app.escalate(Actor.customer(customer.id), case_id)


def test_unresponsive_merchant_escalates_by_sweep(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    sla_clock.advance(days=3)
    report = app.sweep()
    assert ("escalate", "unresponsive") in {(s.kind, s.reason) for s in report.steps}
    assert app.get_case(Actor.platform("agent"), case_id).escalation.reason == "unresponsive"  # type: ignore[union-attr]


def test_rejected_offers_escalate_through_the_sweep(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock, rejected_offers_before_escalation=2)
    if not hasattr(app, "reject_offer"):
        pytest.skip("resolution offers are not available")
    case_id = _complaint(app, customer, order)
    merchant, buyer = Actor.merchant("owner", store_id=order.store_id), Actor.customer(customer.id)
    for amount in ("10.00", "20.00"):
        offer = app.propose_offer(merchant, case_id, "partial_refund", amount=amount)
        offer_id = offer.case.offers[-1].id  # type: ignore[attr-defined]
        app.reject_offer(buyer, case_id, offer_id, "Not enough.")
        sla_clock.advance(minutes=5)
    report = app.sweep()
    assert ("escalate", "rejected_offers") in {(s.kind, s.reason) for s in report.steps}


def test_auto_close_after_inactivity_with_a_warning_first(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock, auto_close_after=timedelta(days=21), auto_close_warning=timedelta(days=2))
    case_id = _complaint(app, customer, order)
    merchant = Actor.merchant("owner", store_id=order.store_id)
    app.reply(merchant, case_id, "Could you send a photo?")
    sla_clock.advance(days=19, seconds=1)
    assert [s.kind for s in app.sweep().steps] == ["auto_close_warning"]
    assert ("auto_close_warned", "customer") in {
        (e.notification.event_kind, e.notification.recipient.role.value) for e in app.storage.outbox(case_id)
    }
    # The customer answers: the inactivity timer starts again, and so does the warning.
    app.reply(Actor.customer(customer.id), case_id, "Here it is.")
    app.reply(merchant, case_id, "Thanks, anything else?")
    sla_clock.advance(days=20)
    assert [s.kind for s in app.sweep().steps] == ["auto_close_warning"]
    sla_clock.advance(days=1)
    assert app.sweep().steps == ()  # closes no sooner than two days after the warning
    sla_clock.advance(days=1)
    assert [s.kind for s in app.sweep().steps] == ["auto_close"]
    case = app.get_case(Actor.platform("agent"), case_id)
    assert case.is_closed and case.closed_by == Actor.system() and case.status == "closed"


def test_auto_close_needs_the_policy(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    from resolvekit.domain.escalation import run_action

    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    app.reply(Actor.merchant("owner", store_id=order.store_id), case_id, "Photo please?")
    sla_clock.advance(days=60)
    assert "auto_close" not in {s.kind for s in app.sweep().steps}
    case = app.storage.load(case_id)
    assert case is not None
    state = app.sla(Actor.platform("agent"), case_id)
    with pytest.raises(NotDue):
        run_action(case, SYSTEM, state, Action("auto_close", sla_clock.now), now=sla_clock.now, policy=app.policy)
    with pytest.raises(PermissionDenied):
        run_action(case, PLATFORM, state, Action("auto_close", sla_clock.now), now=sla_clock.now, policy=app.policy)


def test_resolved_in_time_is_recorded_on_the_case(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    quick = _complaint(app, customer, order)
    sla_clock.advance(hours=71)
    assert app.close(Actor.customer(customer.id), quick, confirmed=True).case.resolved_in_time is True
    slow = _complaint(app, customer, order)
    sla_clock.advance(hours=73)
    closed = app.close(Actor.customer(customer.id), slow, confirmed=True)
    assert closed.case.resolved_in_time is False
    assert closed.events[-1].payload["resolved_in_time"] is False
    ticket = _ticket(app, customer, order)
    assert app.close(Actor.customer(customer.id), ticket.case.id, confirmed=True).case.resolved_in_time is None


def test_due_lists_what_is_about_to_breach(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    case_id = _complaint(app, customer, order)
    assert app.due() == []
    soon = app.due(horizon=timedelta(hours=24))
    assert [(i.kind, i.clock, i.overdue) for i in soon] == [("warn", "first_response", False), ("breach", "first_response", False)]
    sla_clock.advance(hours=25)
    assert {(i.kind, i.overdue) for i in app.due() if i.case_id == case_id} >= {("breach", True)}
    explanation = app.explain_deadline(Actor.platform("agent"), case_id, "first_response")
    assert explanation.deadline == T + timedelta(hours=24) and explanation.calendar == "24/7"
    with pytest.raises(ValidationError):
        app.explain_deadline(Actor.platform("agent"), case_id, "next_response")


class CountingStorage(MemoryStorage):
    """Counts reads, to show a sweep reads only what is due."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def load(self, case_id: str) -> Any:
        self.loads += 1
        return super().load(case_id)


def test_sweeps_read_only_due_cases(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    storage = CountingStorage()
    app = ResolveKit(storage=storage, clock=sla_clock)
    due_ids = [_complaint(app, customer, order) for _ in range(3)]
    sla_clock.advance(hours=20)
    for _ in range(100):
        _complaint(app, customer, order)
    sla_clock.advance(hours=5)  # only the first three passed their 24 h
    storage.loads = 0
    report = app.sweep()
    assert {s.case_id for s in report.steps} == set(due_ids)
    assert report.examined == 3 and storage.loads < 40


def test_two_concurrent_sweeps_escalate_each_case_once(sla_clock: ManualClock, customer: Customer, order: Order) -> None:
    app = _app(sla_clock)
    other = ResolveKit(storage=app.storage, clock=sla_clock, policy=app.policy)
    tickets = [
        _ticket(app, customer, order).case.id
        for _ in range(30)
    ]
    sla_clock.advance(hours=49)
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def run(kit: ResolveKit) -> None:
        barrier.wait()
        reports.append(kit.sweep())

    threads = [threading.Thread(target=run, args=(kit,)) for kit in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(r.errors for r in reports)
    for ticket in tickets:
        kinds = _kinds(app, ticket)
        assert kinds.count("case_escalated") == 1
        assert kinds.count("clock_breached") == len({"first_response", "inquiry_to_claim"})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["open", "ticket", "reply", "customer", "wait"]), st.integers(1, 60 * 30)), max_size=25))
def test_sweeping_twice_changes_nothing(customer: Customer, order: Order, script: list[tuple[str, int]]) -> None:
    clock = ManualClock(T)
    app = _app(clock, auto_close_after=timedelta(days=5))
    cases: list[str] = []
    buyer, merchant = Actor.customer(customer.id), Actor.merchant("owner", store_id=order.store_id)
    for step, minutes in script:
        if step == "open":
            cases.append(_complaint(app, customer, order))
        elif step == "ticket":
            cases.append(_ticket(app, customer, order).case.id)
        elif cases and step in ("reply", "customer"):
            target = cases[minutes % len(cases)]
            actor = merchant if step == "reply" else buyer
            case = app.storage.load(target)
            if case is not None and not case.is_closed:
                try:
                    app.reply(actor, target, "hello")
                except ResolveKitError:
                    pass
        clock.advance(minutes=minutes)
        app.sweep()
        logs = {c: _kinds(app, c) for c in cases}
        outbox = {c: len(app.storage.outbox(c)) for c in cases}
        assert app.sweep().steps == ()
        assert {c: _kinds(app, c) for c in cases} == logs
        assert {c: len(app.storage.outbox(c)) for c in cases} == outbox


def test_sweep_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--storage", "memory://"]) == 0
    assert "0 cases examined" in capsys.readouterr().out


# -- durable backends: the deadline index and concurrent sweeps ------------------------------------


def _durable_urls(tmp_path: Any, request: pytest.FixtureRequest, backend: str) -> str:
    try:
        if backend == "sqlite":
            import resolvekit.plugins.sqlite  # noqa: F401
        else:
            import resolvekit.plugins.postgres  # noqa: F401
    except ImportError:
        pytest.skip(f"the {backend} backend is not available")
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'sla.db'}"
    conninfo, schema = request.getfixturevalue("postgres_schema")
    return f"{conninfo}{'&' if '?' in conninfo else '?'}schema={schema}"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_applications_on_one_database_sweep_each_case_once(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest, customer: Customer, order: Order
) -> None:
    url = _durable_urls(tmp_path, request, backend)
    clock = ManualClock(T)
    first = ResolveKit(storage=url, clock=clock)
    second = ResolveKit(storage=url, clock=clock)
    try:
        tickets = [_ticket(first, customer, order).case.id for _ in range(12)]
        quiet = _complaint(first, customer, order)
        clock.advance(hours=47)
        late = _complaint(first, customer, order, review=True)  # reviewed now: not due for 24 h
        clock.advance(hours=2)
        barrier = threading.Barrier(2)
        reports: list[Any] = []

        def run(kit: ResolveKit) -> None:
            barrier.wait()
            reports.append(kit.sweep())

        threads = [threading.Thread(target=run, args=(kit,)) for kit in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(reports) == 2 and not any(r.errors for r in reports)
        for ticket in tickets:
            kinds = _kinds(first, ticket)
            assert kinds.count("case_escalated") == 1 and kinds.count("clock_breached") == 2
        assert "clock_breached" in _kinds(first, quiet)
        assert "clock_breached" not in _kinds(first, late)
        assert first.sweep().steps == () and second.sweep().steps == ()
        due_soon = {item.case_id for item in second.due(horizon=timedelta(hours=24))}
        assert late in due_soon
    finally:
        first.storage.close()
        second.storage.close()


def test_a_backend_without_a_deadline_index_refuses_to_sweep(sla_clock: ManualClock) -> None:
    class NoIndex:
        def __init__(self) -> None:
            self._inner = MemoryStorage()

        def __getattr__(self, name: str) -> Any:
            if name == "due":
                raise AttributeError(name)
            return getattr(self._inner, name)

    app = ResolveKit(storage=NoIndex(), clock=sla_clock)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="deadline index"):
        app.sweep()
    with pytest.raises(ConfigurationError, match="deadline index"):
        app.due()
