"""Idempotency keys, optimistic concurrency, and the notification outbox with its dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from resolvekit import (
    Actor,
    CaseClosed,
    CommandResult,
    ConcurrencyConflict,
    Customer,
    IdempotencyKeyReused,
    Notification,
    Order,
    PermissionDenied,
    Policy,
    ResolveKit,
    Role,
    ValidationError,
    hookimpl,
)
from resolvekit.domain import commands
from resolvekit.domain.cases import fold
from resolvekit.plugins.memory import MemoryStorage
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.storage import Commit, Storage
from resolvekit.testing import ManualClock

AUDITOR = Actor.platform("auditor")


def everything(app: ResolveKit) -> dict[str, Any]:
    page = app.list_cases(AUDITOR, limit=1000)
    return {c.id: (c, tuple(app.storage.events(c.id)), tuple(app.storage.outbox(c.id))) for c in page.items}


def open_complaint(app: ResolveKit, customer: Customer, order: Order, **kw: Any) -> CommandResult:
    return app.open_complaint(
        Actor.customer(customer.id),
        order=order,
        customer=customer,
        reason="damaged_goods",
        description="The lid is cracked.",
        declaration_accepted=True,
        **kw,
    )


@pytest.fixture
def case_id(app: ResolveKit, customer: Customer, order: Order, platform: Actor) -> str:
    case_id = open_complaint(app, customer, order).case.id
    app.pass_review(platform, case_id)
    return case_id


# -- idempotency -----------------------------------------------------------------------------------------


class TestIdempotency:
    def test_same_key_applies_once(self, app: ResolveKit, case_id: str, merchant: Actor, clock: ManualClock) -> None:
        first = app.reply(merchant, case_id, "We will refund you.", idempotency_key="k-1")
        assert not first.replayed
        before = everything(app)
        clock.advance(minutes=10)
        again = app.reply(merchant, case_id, "We will refund you.", idempotency_key="k-1")
        assert again.replayed
        assert again.events == first.events
        assert again.case == first.case
        assert everything(app) == before

    def test_replay_after_later_commands_returns_the_original_result(self, app: ResolveKit, case_id: str, merchant: Actor, buyer: Actor) -> None:
        first = app.reply(merchant, case_id, "We will refund you.", idempotency_key="k-1")
        app.reply(buyer, case_id, "Thanks!")
        app.add_note(merchant, case_id, "Refund queued.")
        again = app.reply(merchant, case_id, "We will refund you.", idempotency_key="k-1")
        assert again.replayed and again.events == first.events and again.case == first.case
        assert app.storage.load(case_id).version == first.case.version + 2  # type: ignore[union-attr]

    def test_opening_twice_with_a_key_opens_one_case(self, app: ResolveKit, customer: Customer, order: Order) -> None:
        first = open_complaint(app, customer, order, idempotency_key="open-1")
        before = everything(app)
        again = open_complaint(app, customer, order, idempotency_key="open-1")
        assert again.replayed and again.case.id == first.case.id and again.events == first.events
        assert everything(app) == before and len(before) == 1

    def test_multi_event_command_replays_all_its_events(self, app: ResolveKit, case_id: str, merchant: Actor, buyer: Actor) -> None:
        proposal = app.propose_offer(merchant, case_id, "full_refund").events[0].payload["offer_id"]
        first = app.accept_offer(buyer, case_id, proposal, confirmed=True, idempotency_key="acc")
        again = app.accept_offer(buyer, case_id, proposal, confirmed=True, idempotency_key="acc")
        assert len(first.events) == 2 and again.events == first.events and again.replayed

    def test_customer_replay_hides_internal_notes(self, app: ResolveKit, case_id: str, merchant: Actor, buyer: Actor) -> None:
        app.add_note(merchant, case_id, "internal")
        first = app.reply(buyer, case_id, "Hello", idempotency_key="r")
        app.add_note(merchant, case_id, "internal 2")
        again = app.reply(buyer, case_id, "Hello", idempotency_key="r")
        assert again.replayed and again.case == first.case
        assert not any(m.internal for m in again.case.messages)

    @pytest.mark.parametrize(
        "other",
        [
            lambda app, cid, m: app.reply(m, cid, "A different text.", idempotency_key="k-1"),
            lambda app, cid, m: app.add_note(m, cid, "We will refund you.", idempotency_key="k-1"),
            lambda app, cid, m: app.propose_offer(m, cid, "other", text="We will refund you.", idempotency_key="k-1"),
        ],
        ids=["other-body", "other-command", "other-command-same-text"],
    )
    def test_same_key_for_a_different_command(self, app: ResolveKit, case_id: str, merchant: Actor, other: Callable[..., Any]) -> None:
        app.reply(merchant, case_id, "We will refund you.", idempotency_key="k-1")
        before = everything(app)
        with pytest.raises(IdempotencyKeyReused) as info:
            other(app, case_id, merchant)
        assert "k-1" in str(info.value)
        assert everything(app) == before

    def test_same_key_on_another_case(self, app: ResolveKit, customer: Customer, order: Order, case_id: str, merchant: Actor) -> None:
        other_case = open_complaint(app, customer, order).case.id
        app.add_note(merchant, case_id, "note", idempotency_key="k")
        before = everything(app)
        with pytest.raises(IdempotencyKeyReused):
            app.add_note(merchant, other_case, "note", idempotency_key="k")
        assert everything(app) == before

    def test_keys_are_scoped_per_actor(self, app: ResolveKit, case_id: str, merchant: Actor, platform: Actor) -> None:
        colleague = Actor.merchant("owner-9", store_id="store-1")
        results = [app.add_note(actor, case_id, "Same words.", idempotency_key="shared") for actor in (merchant, colleague, platform)]
        assert [r.replayed for r in results] == [False, False, False]
        assert [r.events[0].version for r in results] == [3, 4, 5]
        assert app.add_note(colleague, case_id, "Same words.", idempotency_key="shared").replayed

    def test_keys_are_scoped_per_customer(self, app: ResolveKit, customer: Customer, order: Order) -> None:
        sara = Customer("cust-2", "Sara")
        sara_order = attrs.evolve(order, id="ord-2", customer_id="cust-2")
        a = open_complaint(app, customer, order, idempotency_key="open")
        b = open_complaint(app, sara, sara_order, idempotency_key="open")
        assert not b.replayed and a.case.id != b.case.id

    def test_a_refused_command_does_not_use_up_its_key(self, app: ResolveKit, case_id: str, merchant: Actor) -> None:
        before = everything(app)
        with pytest.raises(ValidationError):
            app.reply(merchant, case_id, "   ", idempotency_key="k-2")
        assert everything(app) == before
        # had the refusal recorded the key, this would be IdempotencyKeyReused
        result = app.reply(merchant, case_id, "Now with text.", idempotency_key="k-2")
        assert not result.replayed

    def test_refused_commands_with_a_key_stay_refused(self, app: ResolveKit, case_id: str, merchant: Actor) -> None:
        before = everything(app)
        for _ in range(2):
            with pytest.raises(PermissionDenied):
                app.close(merchant, case_id, confirmed=True, idempotency_key="k-3")
        assert everything(app) == before


# -- concurrency -----------------------------------------------------------------------------------------


class RacingStorage:
    """A storage wrapper that lets a competing writer commit just before each of our next commits."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.competitors: list[Callable[[], object]] = []
        self.commits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, commit: Commit) -> Any:
        self.commits += 1
        if self.competitors:
            self.competitors.pop(0)()
        return self.inner.commit(commit)


class TestConcurrency:
    @pytest.fixture
    def racing(self, clock: ManualClock) -> RacingStorage:
        return RacingStorage(MemoryStorage())

    def apps(self, racing: RacingStorage, clock: ManualClock, retries: int) -> tuple[ResolveKit, ResolveKit]:
        app = ResolveKit(storage=racing, clock=clock, conflict_retries=retries)  # type: ignore[arg-type]
        rival = ResolveKit(storage=racing.inner, clock=clock)
        return app, rival

    def waiting_for_customer(self, app: ResolveKit, customer: Customer, order: Order, platform: Actor, merchant: Actor) -> str:
        case_id = open_complaint(app, customer, order).case.id
        app.pass_review(platform, case_id)
        app.reply(merchant, case_id, "Can you send a photo?")
        return case_id

    def test_lost_race_is_a_conflict_and_writes_nothing(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor, buyer: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=0)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        racing.competitors.append(lambda: rival.reply(buyer, case_id, "Here it is."))
        with pytest.raises(ConcurrencyConflict) as info:
            app.reply(merchant, case_id, "Thanks, refunding now.")
        assert info.value.params == {"case_id": case_id, "expected": 3, "actual": 4}
        events = app.storage.events(case_id)
        assert [e.version for e in events] == [1, 2, 3, 4]
        assert events[-1].actor == buyer
        assert fold(events) == app.storage.load(case_id)
        assert {e.notification.event_version for e in app.storage.outbox(case_id)} == {1, 2, 3, 4}

    def test_retry_decides_again_on_the_fresh_case(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor, buyer: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=1)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        racing.competitors.append(lambda: rival.reply(buyer, case_id, "Here it is."))
        commits = racing.commits
        result = app.reply(merchant, case_id, "Thanks, refunding now.")
        assert racing.commits == commits + 2
        (event,) = result.events
        assert event.version == 5
        # decided on the fresh case (waiting for the merchant), so the reply moves the status again
        assert event.payload["status"] == "waiting_for_customer_response"
        assert result.case.status == "waiting_for_customer_response"
        assert fold(app.storage.events(case_id)) == app.storage.load(case_id) == result.case

    def test_retries_run_out(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=2)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        for i in range(3):
            racing.competitors.append(lambda i=i: rival.add_note(platform, case_id, f"note {i}"))
        with pytest.raises(ConcurrencyConflict):
            app.reply(merchant, case_id, "Mine.")
        assert [e.payload.get("body") for e in app.storage.events(case_id)[3:]] == ["note 0", "note 1", "note 2"]

    def test_retry_on_a_case_closed_meanwhile_is_refused(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor, buyer: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=3)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        racing.competitors.append(lambda: rival.close(buyer, case_id, confirmed=True))
        with pytest.raises(CaseClosed):
            app.reply(merchant, case_id, "Too late.")
        assert [e.kind.value for e in app.storage.events(case_id)][-1] == "case_closed"
        assert app.storage.load(case_id).version == 4  # type: ignore[union-attr]

    def test_racing_retry_with_the_same_key_is_a_replay(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=0)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        racing.competitors.append(lambda: rival.reply(merchant, case_id, "Refunding.", idempotency_key="dup"))
        result = app.reply(merchant, case_id, "Refunding.", idempotency_key="dup")
        assert result.replayed
        assert [e.version for e in result.events] == [4]
        assert len(app.storage.events(case_id)) == 4

    def test_racing_different_command_with_the_same_key(self, racing: RacingStorage, clock: ManualClock, customer: Customer, order: Order, platform: Actor, merchant: Actor) -> None:
        app, rival = self.apps(racing, clock, retries=0)
        case_id = self.waiting_for_customer(app, customer, order, platform, merchant)
        racing.competitors.append(lambda: rival.reply(merchant, case_id, "One thing.", idempotency_key="dup"))
        with pytest.raises(IdempotencyKeyReused):
            app.reply(merchant, case_id, "Another thing.", idempotency_key="dup")
        assert len(app.storage.events(case_id)) == 4

    def test_storage_refuses_a_commit_decided_on_an_old_version(self, app: ResolveKit, case_id: str, merchant: Actor, buyer: Actor, clock: ManualClock) -> None:
        case = app.storage.load(case_id)
        assert case is not None
        decided = [
            commands.reply(case, actor, body, now=clock.now, policy=app.policy)
            for actor, body in ((merchant, "first writer"), (buyer, "second writer"))
        ]
        app.storage.commit(Commit(fold(decided[0], case), case.version, tuple(decided[0])))  # type: ignore[arg-type]
        before = everything(app)
        with pytest.raises(ConcurrencyConflict):
            app.storage.commit(Commit(fold(decided[1], case), case.version, tuple(decided[1])))  # type: ignore[arg-type]
        assert everything(app) == before


# -- outbox ----------------------------------------------------------------------------------------------


def outbox_by_version(app: ResolveKit, case_id: str) -> dict[int, set[tuple[str, str]]]:
    result: dict[int, set[tuple[str, str]]] = {}
    for entry in app.storage.outbox(case_id):
        n = entry.notification
        result.setdefault(n.event_version, set()).add((n.recipient.role.value, n.recipient.id))
    return result


class TestOutbox:
    def test_each_event_notifies_the_right_recipients(self, app: ResolveKit, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        case_id = open_complaint(app, customer, order).case.id  # v1
        app.add_note(platform, case_id, "internal")  # v2: nobody
        app.pass_review(platform, case_id)  # v3
        app.reply(buyer, case_id, "Any news?")  # v4
        app.add_note(merchant, case_id, "internal")  # v5: nobody
        app.reply(merchant, case_id, "Yes.")  # v6
        app.reply(platform, case_id, "We are watching.")  # v7
        proposal = app.propose_offer(merchant, case_id, "full_refund").events[0]  # v8
        app.accept_offer(buyer, case_id, proposal.payload["offer_id"], confirmed=True)  # v9 (offer accepted), v10 (closed)
        assert outbox_by_version(app, case_id) == {
            1: {("customer", "cust-1"), ("platform", "platform")},
            3: {("merchant", "store-1"), ("customer", "cust-1")},
            4: {("merchant", "store-1")},
            6: {("customer", "cust-1")},
            7: {("customer", "cust-1")},
            8: {("customer", "cust-1")},
            9: {("merchant", "store-1")},
            10: {("merchant", "store-1")},
        }

    def test_ticket_notifications(self, app: ResolveKit, customer: Customer, order: Order, buyer: Actor, merchant: Actor) -> None:
        case_id = app.open_ticket(
            buyer, store_id="store-1", customer=customer, ticket_type="order_delayed", description="Late.", order=order
        ).case.id
        app.add_note(merchant, case_id, "check carrier")
        app.reply(merchant, case_id, "On its way.")
        app.close(buyer, case_id, confirmed=True)
        app.rate(buyer, case_id, 4)
        assert outbox_by_version(app, case_id) == {
            1: {("customer", "cust-1"), ("merchant", "store-1")},
            3: {("customer", "cust-1")},
            4: {("merchant", "store-1")},
            5: {("merchant", "store-1")},
        }

    def test_keys_are_stable_and_unique(self, app: ResolveKit, case_id: str, merchant: Actor, buyer: Actor) -> None:
        app.reply(merchant, case_id, "Hello")
        app.reply(buyer, case_id, "Hi")
        entries = app.storage.outbox(case_id)
        keys = [e.notification.key for e in entries]
        assert len(keys) == len(set(keys))
        for e in entries:
            n = e.notification
            assert n.key == f"{case_id}:{n.event_version}:{n.recipient.role.value}:{n.recipient.id}:{n.channel}"
            assert (e.attempts, e.delivered_at, e.last_error, e.next_attempt_at) == (0, None, None, None)

    def test_internal_notes_notify_nobody(self, app: ResolveKit, case_id: str, merchant: Actor, platform: Actor, notifier: RecordingNotifier) -> None:
        before = len(app.storage.outbox(case_id))
        app.add_note(merchant, case_id, "the customer seems upset")
        app.add_note(platform, case_id, "keep an eye on this store")
        assert len(app.storage.outbox(case_id)) == before
        app.dispatch()
        assert not any("upset" in m.body or "keep an eye" in m.body for m in notifier.sent)

    def test_reply_notification_carries_the_reply(self, app: ResolveKit, case_id: str, merchant: Actor, notifier: RecordingNotifier) -> None:
        app.reply(merchant, case_id, "We will send a new kettle.")
        app.dispatch()
        (sent,) = [m for m in notifier.sent if m.notification.event_version == 3]
        assert sent.notification.recipient.role is Role.CUSTOMER
        assert "We will send a new kettle." in sent.body and case_id in sent.subject

    def test_without_platform_review_both_opening_events_notify(self, clock: ManualClock, customer: Customer, order: Order) -> None:
        app = ResolveKit(storage="memory://", clock=clock, policy=Policy(complaint_platform_review=False))
        case_id = open_complaint(app, customer, order).case.id
        assert set(outbox_by_version(app, case_id)) == {1, 2}
        assert ("merchant", "store-1") in outbox_by_version(app, case_id)[2]


class TestDispatch:
    def test_delivers_each_pending_notification_once(self, app: ResolveKit, case_id: str, merchant: Actor, notifier: RecordingNotifier, clock: ManualClock) -> None:
        app.reply(merchant, case_id, "Hello")
        pending = {e.notification.key for e in app.storage.outbox(case_id)}
        report = app.dispatch()
        assert (report.delivered, report.failed, report.errors) == (len(pending), 0, ())
        assert sorted(m.notification.key for m in notifier.sent) == sorted(pending)
        assert all(e.delivered_at == clock.now and e.attempts == 1 for e in app.storage.outbox(case_id))
        clock.advance(days=2)
        assert app.dispatch() == type(report)(0, 0, ())
        assert len(notifier.sent) == len(pending)

    def test_only_new_notifications_go_out_next_time(self, app: ResolveKit, case_id: str, buyer: Actor, notifier: RecordingNotifier) -> None:
        app.dispatch()
        sent = len(notifier.sent)
        app.reply(buyer, case_id, "Hello?")
        assert app.dispatch().delivered == 1
        assert len(notifier.sent) == sent + 1 and notifier.sent[-1].notification.recipient.role is Role.MERCHANT

    def test_respects_the_limit(self, app: ResolveKit, case_id: str, notifier: RecordingNotifier) -> None:
        total = len(app.storage.outbox(case_id))
        assert total == 4
        assert app.dispatch(limit=3).delivered == 3
        assert app.dispatch(limit=3).delivered == 1
        assert len({m.notification.key for m in notifier.sent}) == len(notifier.sent) == 4

    def test_failing_notifier_keeps_entries_pending_with_backoff(self, clock: ManualClock, customer: Customer, order: Order) -> None:
        class Flaky:
            def __init__(self) -> None:
                self.down = True
                self.delivered: list[str] = []

            @hookimpl
            def resolvekit_deliver(self, notification: Notification) -> str:
                if self.down:
                    raise RuntimeError("smtp server unreachable")
                self.delivered.append(notification.key)
                return "sent"

        flaky = Flaky()
        app = ResolveKit(storage="memory://", clock=clock, plugins=[flaky], retry_backoff=timedelta(minutes=10))
        case_id = open_complaint(app, customer, order).case.id
        keys = {e.notification.key for e in app.storage.outbox(case_id)}
        start = clock.now

        report = app.dispatch()
        assert (report.delivered, report.failed) == (0, 2)
        assert {k for k, _ in report.errors} == keys
        assert all(msg == "RuntimeError: smtp server unreachable" for _, msg in report.errors)
        for entry in app.storage.outbox(case_id):
            assert entry.delivered_at is None and entry.attempts == 1
            assert entry.last_error == "RuntimeError: smtp server unreachable"
            assert entry.next_attempt_at == start + timedelta(minutes=10)

        assert app.dispatch() == type(report)(0, 0, ())  # not due yet: nothing attempted
        clock.advance(minutes=9, seconds=59)
        assert app.dispatch().failed == 0
        clock.advance(seconds=1)
        assert app.dispatch().failed == 2  # due exactly at next_attempt_at
        assert all(e.attempts == 2 and e.next_attempt_at == clock.now + timedelta(minutes=20) for e in app.storage.outbox(case_id))

        clock.advance(minutes=20)
        flaky.down = False
        assert app.dispatch().delivered == 2
        assert sorted(flaky.delivered) == sorted(keys)
        assert all(e.delivered_at == clock.now and e.attempts == 3 and e.last_error is None for e in app.storage.outbox(case_id))
        clock.advance(days=3)
        assert app.dispatch().delivered == 0 and len(flaky.delivered) == 2

    def test_backoff_doubles_up_to_one_day(self, clock: ManualClock, customer: Customer, order: Order) -> None:
        class Down:
            @hookimpl
            def resolvekit_deliver(self, notification: Notification) -> str:
                raise ConnectionError("no route")

        app = ResolveKit(storage="memory://", clock=clock, plugins=[Down()], retry_backoff=timedelta(hours=5))
        case_id = open_complaint(app, customer, order).case.id
        delays = []
        for _ in range(5):
            app.dispatch()
            (entry, *_) = app.storage.outbox(case_id)
            assert entry.next_attempt_at is not None
            delays.append(entry.next_attempt_at - clock.now)
            clock.set(entry.next_attempt_at)
        assert delays == [timedelta(hours=h) for h in (5, 10, 20, 24, 24)]

    def test_no_plugin_for_the_channel_keeps_entries_pending(self, clock: ManualClock, customer: Customer, order: Order) -> None:
        sms_only = RecordingNotifier(channels=frozenset({"sms"}))
        for app in (ResolveKit(storage="memory://", clock=clock), ResolveKit(storage="memory://", clock=clock, plugins=[sms_only])):
            case_id = open_complaint(app, customer, order).case.id
            report = app.dispatch()
            assert (report.delivered, report.failed) == (0, 2)
            assert all("email" in msg for _, msg in report.errors)
            for entry in app.storage.outbox(case_id):
                assert entry.delivered_at is None and entry.attempts == 1 and entry.last_error is not None
        assert sms_only.sent == []

    def test_naive_clock_refuses_to_dispatch(self, app: ResolveKit, case_id: str, notifier: RecordingNotifier) -> None:
        app._clock = lambda: datetime(2026, 11, 2, 9, 0)
        with pytest.raises(ValidationError):
            app.dispatch()
        assert notifier.sent == [] and all(e.attempts == 0 for e in app.storage.outbox(case_id))


class TestRetention:
    def test_delivered_entries_are_kept_until_purged(self, app: ResolveKit, case_id: str, clock: ManualClock, notifier: RecordingNotifier) -> None:
        app.dispatch()
        delivered = list(app.storage.outbox(case_id))
        assert delivered and all(e.delivered_at == clock.now for e in delivered)
        clock.advance(days=400)
        assert list(app.storage.outbox(case_id)) == delivered  # nothing goes by itself
        assert app.purge_outbox(timedelta(days=401)) == 0
        assert app.purge_outbox(timedelta(days=399), limit=1) == 1
        assert app.purge_outbox() == len(delivered) - 1
        assert list(app.storage.outbox(case_id)) == [] and app.get_case(AUDITOR, case_id).version == 2

    def test_pending_and_failed_entries_are_never_purged(self, clock: ManualClock, customer: Customer, order: Order) -> None:
        app = ResolveKit(storage="memory://", clock=clock, plugins=[RecordingNotifier(channels=frozenset({"sms"}))])
        case_id = open_complaint(app, customer, order).case.id
        assert app.dispatch().failed == 2  # nobody delivers email: failed, retried later
        clock.advance(days=400)
        assert app.purge_outbox(timedelta(days=1)) == 0
        assert [e.attempts for e in app.storage.outbox(case_id)] == [1, 1]

    @pytest.mark.parametrize("older_than", [timedelta(0), timedelta(seconds=-1), 30, None, "30 days"])
    def test_a_bad_age_is_refused(self, app: ResolveKit, older_than: object) -> None:
        with pytest.raises(ValidationError, match="older_than must be a positive timedelta"):
            app.purge_outbox(older_than)  # type: ignore[arg-type]

    @pytest.mark.parametrize("limit", [0, -5, 2.5, True, "10"])
    def test_a_bad_limit_is_refused(self, app: ResolveKit, limit: object) -> None:
        with pytest.raises(ValidationError, match="limit must be a positive whole number"):
            app.purge_outbox(limit=limit)  # type: ignore[arg-type]

    def test_a_backend_without_retention_is_a_configuration_error(self, clock: ManualClock) -> None:
        from resolvekit import ConfigurationError

        class KeepsEverything:
            def __init__(self) -> None:
                self.inner = MemoryStorage()

            def __getattr__(self, name: str) -> Any:
                if name == "purge_delivered":
                    raise AttributeError(name)
                return getattr(self.inner, name)

        app = ResolveKit(storage=KeepsEverything(), clock=clock)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="KeepsEverything cannot purge delivered notifications"):
            app.purge_outbox()
