"""The storage conformance suite: the rules of :class:`~resolvekit.storage.Storage` as pytest tests.

Every built-in backend (in-memory, SQLite, PostgreSQL) runs these tests, and so can a host's own
backend. Subclass :class:`StorageConformance` in a test module and override one fixture,
``make_storage``: it returns a callable that opens the backend on a database of its own for this
test, and opens the *same* database again when called a second time (after the first storage was
closed), so the suite can check that a durable backend keeps everything across a restart::

    import pytest
    from resolvekit.testing.conformance import StorageConformance

    class TestMyStorage(StorageConformance):
        @pytest.fixture
        def make_storage(self, tmp_path):
            return lambda: MyStorage(tmp_path / "cases.db")

Set ``durable = False`` on a backend that forgets everything when closed (the restart test is then
skipped). The suite needs pytest and hypothesis (both test-only dependencies of a host).

What it checks: atomic commits (events, snapshot, outbox entries and the idempotency record
together, or nothing), contiguous versions, :class:`~resolvekit.errors.ConcurrencyConflict` for
stale and premature writers, idempotency keys (a known key writes nothing and returns its record),
snapshots equal to the fold of the log, queries (every filter, half-open date ranges, keyset
paging, ties), the outbox (pending, delivered, failed with backoff, duplicates), the optional
capabilities (the deadline index, the offer-work index, the order index, purging delivered outbox
entries, verification codes, templates), concurrent threads, and persistence across a restart.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit.application import ResolveKit
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, Complaint, Message, Ticket, fold
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.notifications import Notification, Recipient
from resolvekit.domain.templates import CannedResponse
from resolvekit.domain.values import Customer, Order, OrderItem
from resolvekit.errors import ConcurrencyConflict, ResolveKitError, ValidationError
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.storage import (
    AppliedCommand,
    CaseQuery,
    Commit,
    DueCase,
    OfferIndex,
    OrderIndex,
    OutboxRetention,
    Storage,
    TemplateStore,
    VerificationCode,
    VerificationStore,
)
from resolvekit.testing.clock import ManualClock

__all__ = ["StorageConformance"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _token() -> str:
    return secrets.token_hex(4)


class _World:
    """A store, its customers and orders, and the actors, all named with a fresh token."""

    def __init__(self, token: str | None = None, stores: int = 2, customers: int = 2) -> None:
        self.token = token or _token()
        self.stores = [f"{self.token}-store-{i}" for i in range(stores)]
        self.customers = [Customer(f"{self.token}-cust-{i}", f"Customer {i}") for i in range(customers)]
        self.platform = Actor.platform(f"{self.token}-agent")

    def merchant(self, store_id: str) -> Actor:
        return Actor.merchant(f"{store_id}-owner", store_id=store_id)

    def order(self, store_id: str, customer: Customer, n: int) -> Order:
        return Order(
            id=f"{store_id}-{customer.id}-ord-{n}",
            number=str(1000 + n),
            store_id=store_id,
            customer_id=customer.id,
            status="delivered",
            created_at=T0 - timedelta(days=3),
            total_paid=Decimal("120.00"),
            currency="SAR",
            items=(OrderItem("sku-1", "Kettle", 1, Decimal("120.00")),),
        )


class _Failing:
    """A notifier whose deliveries fail while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = True
        self.sent: list[str] = []

    @hookimpl
    def resolvekit_deliver(self, notification: Any) -> str | None:
        if self.failing:
            raise ConnectionError("mail server down")
        self.sent.append(notification.key)
        return "ok"


def _app(storage: Storage, clock: ManualClock, *plugins: object) -> ResolveKit:
    return ResolveKit(storage=storage, clock=clock, plugins=plugins or [RecordingNotifier()])


def _notification(case: Case, version: int, role: Role, recipient: str) -> Notification:
    return Notification(
        key=f"{case.id}:{version}:{role.value}:{recipient}:email",
        case_id=case.id,
        event_version=version,
        event_kind="message_added",
        recipient=Recipient(role, recipient),
        channel="email",
        subject="New reply on {case_id}",
        body="{body}",
        params={"case_id": case.id, "body": f"version {version}"},
    )


def _case(
    case_id: str,
    store_id: str,
    customer_id: str,
    at: datetime = T0,
    *,
    kind: str = "ticket",
    status: str = "under_merchant_review",
    order_id: str | None = None,
) -> Case:
    """A case at version 1, built directly (the storage never interprets a case or its events)."""
    cls = Ticket if kind == "ticket" else Complaint
    return cls(
        id=case_id,
        store_id=store_id,
        customer_id=customer_id,
        order_id=order_id,
        status=status,
        version=1,
        opened_at=at,
        updated_at=at,
        description="Where is my order?",
        customer_name="Noura",
    )


def _opening_commit(case: Case) -> Commit:
    """The commit that stores ``case`` (at version 1) with one event and two notifications."""
    event = CaseEvent(case.id, 1, EventKind.TICKET_OPENED if case.kind == "ticket" else EventKind.COMPLAINT_OPENED,
                      Actor.customer(case.customer_id), case.opened_at, {"status": case.status, "store_id": case.store_id})
    notifications = (_notification(case, 1, Role.CUSTOMER, case.customer_id), _notification(case, 1, Role.MERCHANT, case.store_id))
    return Commit(case, 0, (event,), notifications)


def _ticket_commit(case_id: str, store_id: str, customer_id: str, at: datetime = T0) -> Commit:
    """An opening commit of a ticket, with its event and notifications."""
    return _opening_commit(_case(case_id, store_id, customer_id, at))


def _note_commit(case: Case, body: str, at: datetime, applied: AppliedCommand | None = None, expected: int | None = None) -> Commit:
    """A commit appending one reply to ``case`` (decided on ``expected``, default the case's version)."""
    version = case.version + 1
    author = Actor.merchant("owner", store_id=case.store_id)
    event = CaseEvent(case.id, version, EventKind.MESSAGE_ADDED, author, at,
                      {"message_id": f"{case.id}/{version}", "body": body, "internal": False})
    message = Message(f"{case.id}/{version}", author, at, body)
    after = attrs.evolve(case, version=version, updated_at=at, messages=(*case.messages, message))
    notifications = (_notification(after, version, Role.CUSTOMER, case.customer_id),)
    return Commit(after, case.version if expected is None else expected, (event,), notifications, applied)


def _state(storage: Storage, case_id: str) -> tuple[Any, ...]:
    """Everything the storage holds about a case (to show that a refused commit changed nothing)."""
    return (storage.load(case_id), storage.events(case_id), list(storage.outbox(case_id)))


def _all_pages(storage: Storage, query: CaseQuery) -> list[Case]:
    found: list[Case] = []
    page = storage.query(query)
    found.extend(page.items)
    while page.next_cursor is not None:
        assert len(page.items) == query.limit, "only the last page may be short"
        page = storage.query(attrs.evolve(query, after=page.next_cursor))
        found.extend(page.items)
    return found


def _matches(case: Case, q: CaseQuery) -> bool:
    return (
        (q.store_id is None or case.store_id == q.store_id)
        and (q.customer_id is None or case.customer_id == q.customer_id)
        and (q.kind is None or case.kind == q.kind)
        and (q.statuses is None or case.status in q.statuses)
        and (q.order_id is None or case.order_id == q.order_id)
        and (q.opened_from is None or case.opened_at >= q.opened_from)
        and (q.opened_before is None or case.opened_at < q.opened_before)
        and (q.case_id is None or case.id == q.case_id)
    )


_HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.differing_executors],
    derandomize=False,
)


class StorageConformance:
    """Tests every :class:`~resolvekit.storage.Storage` must pass. Override :meth:`make_storage`."""

    durable: ClassVar[bool] = True
    """Whether the backend keeps its data when closed and opened again (the restart test)."""

    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        """Return a callable opening the backend on this test's own database (again, when called again)."""
        raise NotImplementedError("override the make_storage fixture in your StorageConformance subclass")

    @pytest.fixture
    def storage(self, make_storage: Callable[[], Storage]) -> Iterator[Storage]:
        """The storage under test, closed after the test."""
        storage = make_storage()
        try:
            yield storage
        finally:
            storage.close()

    # -- basics -----------------------------------------------------------------------------------

    def test_implements_the_protocol(self, storage: Storage) -> None:
        assert isinstance(storage, Storage)

    def test_unknown_things_are_absent(self, storage: Storage) -> None:
        assert storage.load("no-such-case") is None
        assert storage.events("no-such-case") == []
        assert storage.applied("no-such-key") is None
        assert list(storage.outbox("no-such-case")) == []
        page = storage.query(CaseQuery(store_id="no-such-store"))
        assert page.items == () and page.next_cursor is None

    def test_commit_writes_events_snapshot_and_outbox(self, storage: Storage) -> None:
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        assert storage.commit(commit) is None
        assert storage.load(commit.case.id) == commit.case
        assert storage.events(commit.case.id) == list(commit.events)
        keys = [e.notification.key for e in storage.outbox(commit.case.id)]
        assert sorted(keys) == sorted(n.key for n in commit.notifications)
        assert all(e.attempts == 0 and e.delivered_at is None for e in storage.outbox(commit.case.id))

    def test_events_are_sliced_by_version(self, storage: Storage) -> None:
        case = self._case_with_notes(storage, notes=4)
        log = storage.events(case.id)
        assert [e.version for e in log] == [1, 2, 3, 4, 5]
        for after, upto in itertools.product(range(7), [None, *range(7)]):
            expected = [e for e in log if e.version > after and (upto is None or e.version <= upto)]
            assert storage.events(case.id, after_version=after, up_to_version=upto) == expected

    def _case_with_notes(self, storage: Storage, notes: int, at: datetime = T0) -> Case:
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1", at)
        storage.commit(commit)
        case = commit.case
        for i in range(notes):
            note = _note_commit(case, f"note {i}", at + timedelta(minutes=i + 1))
            storage.commit(note)
            case = note.case
        return case

    def test_text_is_kept_exactly(self, storage: Storage) -> None:
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(commit)
        bodies = ["مرحبا، الغطاء مكسور", "emoji 🫖✨", 'quotes " \' and \\ backslash', "nul \x00 and\ttab\nnewline", "x" * 5000]
        case = commit.case
        for body in bodies:
            note = _note_commit(case, body, T0 + timedelta(minutes=1))
            storage.commit(note)
            case = note.case
        assert storage.load(case.id) == case
        assert [m.body for m in case.messages] == bodies
        assert [e.payload["body"] for e in storage.events(case.id)[1:]] == bodies

    # -- versions and conflicts -------------------------------------------------------------------

    def test_stale_writer_gets_a_conflict_and_writes_nothing(self, storage: Storage) -> None:
        opening = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(opening)
        storage.commit(_note_commit(opening.case, "first", T0 + timedelta(minutes=1)))
        before = _state(storage, opening.case.id)
        stale = _note_commit(opening.case, "decided on version 1", T0 + timedelta(minutes=2))
        with pytest.raises(ConcurrencyConflict) as info:
            storage.commit(stale)
        assert info.value.params["expected"] == 1
        assert info.value.params["actual"] == 2
        assert _state(storage, opening.case.id) == before

    def test_premature_writer_gets_a_conflict(self, storage: Storage) -> None:
        case = self._case_with_notes(storage, notes=1)
        before = _state(storage, case.id)
        ahead = attrs.evolve(case, version=case.version + 3)
        commit = _note_commit(ahead, "from the future", T0 + timedelta(hours=1))
        with pytest.raises(ConcurrencyConflict):
            storage.commit(commit)
        assert _state(storage, case.id) == before

    def test_opening_an_existing_case_conflicts(self, storage: Storage) -> None:
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(commit)
        before = _state(storage, commit.case.id)
        again = _ticket_commit(commit.case.id, "store-2", "cust-2", T0 + timedelta(days=1))
        with pytest.raises(ConcurrencyConflict) as info:
            storage.commit(again)
        assert info.value.params["actual"] == 1
        assert _state(storage, commit.case.id) == before

    def test_of_two_writers_on_one_version_one_wins(self, storage: Storage) -> None:
        opening = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(opening)
        case = opening.case
        first = _note_commit(case, "first", T0)
        second = _note_commit(case, "second", T0)
        storage.commit(first)
        with pytest.raises(ConcurrencyConflict):
            storage.commit(second)
        assert [m.body for m in storage.load(case.id).messages] == ["first"]  # type: ignore[union-attr]

    @_HYPOTHESIS
    @given(steps=st.lists(st.sampled_from(["customer", "merchant", "note", "platform"]), min_size=1, max_size=8))
    def test_snapshot_equals_fold_of_log(self, storage: Storage, steps: list[str]) -> None:
        clock = ManualClock(T0)
        world = _World(stores=1, customers=1)
        app = _app(storage, clock)
        customer = world.customers[0]
        store = world.stores[0]
        buyer = Actor.customer(customer.id)
        merchant = world.merchant(store)
        result = app.open_complaint(buyer, order=world.order(store, customer, 1), customer=customer,
                                    reason="damaged_goods", description="Broken", declaration_accepted=True)
        case_id = result.case.id
        accepted = len(result.events)
        for i, step in enumerate(steps):
            clock.advance(minutes=7)
            try:
                if step == "customer":
                    result = app.reply(buyer, case_id, f"customer {i}")
                elif step == "merchant":
                    result = app.reply(merchant, case_id, f"merchant {i}")
                elif step == "note":
                    result = app.add_note(merchant, case_id, f"note {i}")
                else:
                    result = app.pass_review(world.platform, case_id)
            except ResolveKitError:
                continue  # refused by the lifecycle: must leave no trace (checked below)
            accepted += len(result.events)
        log = storage.events(case_id)
        assert [e.version for e in log] == list(range(1, accepted + 1))
        stored = storage.load(case_id)
        assert stored is not None and stored.version == accepted
        assert stored == fold(log)

    # -- idempotency ------------------------------------------------------------------------------

    def test_known_idempotency_key_writes_nothing_and_returns_its_record(self, storage: Storage) -> None:
        opening = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(opening)
        record = AppliedCommand(f"k-{_token()}", "fingerprint-1", opening.case.id, 2, 2)
        first = _note_commit(opening.case, "once", T0, applied=record)
        assert storage.commit(first) is None
        assert storage.applied(record.key) == record
        before = _state(storage, opening.case.id)
        # The same key again, on the fresh case (a retry after a lost reply): nothing is written.
        retry = _note_commit(first.case, "once", T0, applied=attrs.evolve(record, first_version=3, last_version=3))
        assert storage.commit(retry) == record
        # The same key on a stale version (the retry raced): still the record, not a conflict.
        stale = _note_commit(opening.case, "once", T0, applied=record)
        assert storage.commit(stale) == record
        assert _state(storage, opening.case.id) == before

    def test_application_replays_a_known_key(self, storage: Storage) -> None:
        clock = ManualClock(T0)
        world = _World()
        app = _app(storage, clock)
        customer = world.customers[0]
        buyer = Actor.customer(customer.id)
        order = world.order(world.stores[0], customer, 1)

        def open_complaint() -> Any:
            return app.open_complaint(buyer, order=order, customer=customer, reason="damaged_goods",
                                      description="Broken lid", declaration_accepted=True, idempotency_key="open-1")

        opened = open_complaint()
        again = open_complaint()
        assert again.replayed and again.case.id == opened.case.id
        reply = app.reply(buyer, opened.case.id, "more details", idempotency_key="reply-1")
        replay = app.reply(buyer, opened.case.id, "more details", idempotency_key="reply-1")
        assert replay.replayed and replay.events == reply.events
        assert len(storage.events(opened.case.id)) == len(opened.events) + 1
        assert len(_all_pages(storage, CaseQuery(customer_id=customer.id))) == 1

    # -- outbox -----------------------------------------------------------------------------------

    def test_outbox_pending_failed_backoff_delivered(self, storage: Storage) -> None:
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(commit)
        keys = {n.key for n in commit.notifications}
        assert keys, "an opened ticket notifies someone"
        pending = {e.notification.key for e in storage.pending_notifications(T0, 1000)}
        assert keys <= pending
        key = sorted(keys)[0]
        storage.mark_failed(key, "ConnectionError: mail server down", T0 + timedelta(seconds=30))
        assert key not in {e.notification.key for e in storage.pending_notifications(T0 + timedelta(seconds=29), 1000)}
        due = {e.notification.key: e for e in storage.pending_notifications(T0 + timedelta(seconds=30), 1000)}
        assert key in due
        assert due[key].attempts == 1 and due[key].last_error == "ConnectionError: mail server down"
        assert due[key].next_attempt_at == T0 + timedelta(seconds=30)
        storage.mark_delivered(key, T0 + timedelta(seconds=31))
        assert key not in {e.notification.key for e in storage.pending_notifications(T0 + timedelta(days=9), 1000)}
        entry = {e.notification.key: e for e in storage.outbox(commit.case.id)}[key]
        assert entry.delivered_at == T0 + timedelta(seconds=31)
        assert entry.attempts == 2 and entry.last_error is None
        assert entry.notification == next(n for n in commit.notifications if n.key == key)

    def test_outbox_keeps_the_first_of_a_duplicate_key(self, storage: Storage) -> None:
        opening = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(opening)
        note = _note_commit(opening.case, "hello", T0)
        duplicate = attrs.evolve(opening.notifications[0], body="a different body")
        storage.commit(attrs.evolve(note, notifications=(*note.notifications, duplicate)))
        entries = [e for e in storage.outbox(opening.case.id) if e.notification.key == duplicate.key]
        assert [e.notification for e in entries] == [opening.notifications[0]]

    def test_pending_respects_the_limit(self, storage: Storage) -> None:
        for _ in range(3):
            storage.commit(_ticket_commit(f"T-{_token()}", "store-1", "cust-1"))
        everything = storage.pending_notifications(T0, 1000)
        assert len(everything) >= 6
        some = storage.pending_notifications(T0, 2)
        assert len(some) == 2
        assert len({e.notification.key for e in some}) == 2

    def test_dispatch_retries_with_backoff_until_delivered(self, storage: Storage) -> None:
        clock = ManualClock(T0)
        notifier = _Failing()
        app = _app(storage, clock, notifier)
        app.storage.commit(_ticket_commit(f"T-{_token()}", "store-1", "cust-1"))
        first = app.dispatch()
        assert first.delivered == 0 and first.failed >= 1
        assert app.dispatch().failed == 0  # nothing due before the backoff
        clock.advance(seconds=30)
        notifier.failing = False
        assert app.dispatch().delivered == first.failed
        assert sorted(notifier.sent) == sorted(key for key, _ in first.errors)
        clock.advance(days=2)
        assert app.dispatch().delivered == 0

    # -- outbox retention (OutboxRetention; every built-in backend has it) --------------------------

    def _retention(self, storage: Storage) -> OutboxRetention:
        if not isinstance(storage, OutboxRetention):
            pytest.skip("this backend cannot purge its outbox (it does not implement OutboxRetention)")
        return storage

    def _outbox_history(self, storage: Storage) -> tuple[list[str], dict[str, list[str]]]:
        """Three tickets, two entries each: the first delivered twice over, the second once with a
        failure beside it, the third pending. Returns the case ids and their entry keys (sorted)."""
        token = _token()
        cases = [f"T-{token}-{n}" for n in range(3)]
        keys: dict[str, list[str]] = {}
        for case_id in cases:
            commit = _ticket_commit(case_id, "store-1", "cust-1")
            storage.commit(commit)
            keys[case_id] = sorted(n.key for n in commit.notifications)
        first, second, _ = cases
        storage.mark_delivered(keys[first][0], T0 + timedelta(hours=1))
        storage.mark_delivered(keys[first][1], T0 + timedelta(hours=2))
        storage.mark_delivered(keys[second][0], T0 + timedelta(hours=3))
        storage.mark_failed(keys[second][1], "ConnectionError: mail server down", T0 + timedelta(hours=1))
        return cases, keys

    def test_purging_deletes_only_entries_delivered_before_the_cut_off(self, storage: Storage) -> None:
        retention = self._retention(storage)
        cases, keys = self._outbox_history(storage)
        first, second, third = cases
        kept = {case_id: list(storage.outbox(case_id)) for case_id in (second, third)}
        pending = {e.notification.key for e in storage.pending_notifications(T0 + timedelta(days=1), 1000)}
        case = storage.load(first)
        assert retention.purge_delivered(T0 + timedelta(hours=3)) == 2  # strictly before: not the 3 h one
        assert list(storage.outbox(first)) == []
        assert {case_id: list(storage.outbox(case_id)) for case_id in (second, third)} == kept
        assert {e.notification.key for e in storage.pending_notifications(T0 + timedelta(days=1), 1000)} == pending
        assert storage.load(first) == case and len(storage.events(first)) == 1  # only the outbox entries go
        assert retention.purge_delivered(T0 + timedelta(hours=3)) == 0
        assert retention.purge_delivered(T0 + timedelta(hours=3, microseconds=1)) == 1
        # pending and failed-but-undelivered entries stay, however old
        assert retention.purge_delivered(T0 + timedelta(days=3650)) == 0
        assert [e.notification.key for e in storage.outbox(second)] == [keys[second][1]]
        failed = storage.outbox(second)[0]
        assert failed.delivered_at is None and failed.attempts == 1 and failed.last_error is not None
        assert sorted(e.notification.key for e in storage.outbox(third)) == keys[third]

    def test_purging_respects_the_limit(self, storage: Storage) -> None:
        retention = self._retention(storage)
        token = _token()
        delivered = []
        for n in range(3):
            commit = _ticket_commit(f"T-{token}-{n}", "store-1", "cust-1")
            storage.commit(commit)
            for m, notification in enumerate(commit.notifications):
                storage.mark_delivered(notification.key, T0 + timedelta(minutes=10 * n + m))
                delivered.append(notification.key)
        cut_off = T0 + timedelta(days=1)

        def left() -> set[str]:
            return {e.notification.key for n in range(3) for e in storage.outbox(f"T-{token}-{n}")}

        assert retention.purge_delivered(cut_off, 4) == 4
        assert len(left()) == 2 and left() <= set(delivered)
        assert retention.purge_delivered(cut_off, 1) == 1
        assert retention.purge_delivered(cut_off) == 1
        assert retention.purge_delivered(cut_off) == 0 and left() == set()

    def test_application_purges_the_outbox_on_its_clock(self, storage: Storage) -> None:
        self._retention(storage)
        clock = ManualClock(T0)
        app = _app(storage, clock)
        commit = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(commit)
        assert app.dispatch().delivered == 2  # delivered at T0
        clock.advance(days=30)
        assert app.purge_outbox() == 0  # delivered exactly 30 days ago: not older
        clock.advance(seconds=1)
        assert app.purge_outbox(limit=1) == 1
        assert app.purge_outbox(timedelta(days=30)) == 1
        assert list(storage.outbox(commit.case.id)) == []
        for bad in (timedelta(0), timedelta(days=-1), 30):
            with pytest.raises(ValidationError):
                app.purge_outbox(bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            app.purge_outbox(limit=0)

    def test_purging_survives_a_restart(self, make_storage: Callable[[], Storage]) -> None:
        if not self.durable:
            pytest.skip("this backend does not keep data across a restart (durable = False)")
        storage = make_storage()
        try:
            retention = self._retention(storage)
            cases, _ = self._outbox_history(storage)
            assert retention.purge_delivered(T0 + timedelta(hours=3)) == 2
            before = {case_id: list(storage.outbox(case_id)) for case_id in cases}
        finally:
            storage.close()
        again = make_storage()
        try:
            assert {case_id: list(again.outbox(case_id)) for case_id in cases} == before
            assert before[cases[0]] == []
            assert self._retention(again).purge_delivered(T0 + timedelta(hours=3)) == 0
            assert self._retention(again).purge_delivered(T0 + timedelta(hours=4)) == 1
        finally:
            again.close()

    # -- queries ----------------------------------------------------------------------------------

    _STATUSES = ("under_platform_review", "under_merchant_review", "waiting_for_customer_response", "closed")

    def _populate(self, storage: Storage, specs: list[tuple[int, int, str, int, int]], world: _World) -> list[Case]:
        """Store one case per spec ``(store, customer, kind, minutes after T0, status)``, with 0-2 replies."""
        cases = []
        for n, (store_i, cust_i, kind, minutes, status_i) in enumerate(specs):
            store = world.stores[store_i]
            case = _case(
                f"{kind[0].upper()}-{world.token}-{n:03d}",
                store,
                world.customers[cust_i].id,
                T0 + timedelta(minutes=minutes),
                kind=kind,
                status=self._STATUSES[status_i % len(self._STATUSES)],
                order_id=f"{store}-order-{n % 3}" if n % 4 else None,
            )
            storage.commit(_opening_commit(case))
            for reply in range(n % 3):
                commit = _note_commit(case, f"reply {reply}", case.opened_at + timedelta(hours=reply + 1))
                storage.commit(commit)
                case = commit.case
            cases.append(case)
        return cases

    _specs = st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from(["ticket", "complaint"]), st.integers(0, 4), st.integers(0, 3)),
        min_size=1,
        max_size=10,
    )

    @_HYPOTHESIS
    @given(specs=_specs, data=st.data())
    def test_queries_match_a_model(self, storage: Storage, specs: list[tuple[int, int, str, int, int]], data: st.DataObject) -> None:
        world = _World()
        cases = self._populate(storage, specs, world)
        statuses = list(self._STATUSES)
        times = [T0 + timedelta(minutes=m) for m in range(6)]
        for _ in range(4):
            scope = data.draw(st.sampled_from(["store", "customer", "both"]))
            query = CaseQuery(
                store_id=data.draw(st.sampled_from(world.stores)) if scope != "customer" else None,
                customer_id=data.draw(st.sampled_from([c.id for c in world.customers])) if scope != "store" else None,
                kind=data.draw(st.sampled_from([None, "ticket", "complaint"])),
                statuses=data.draw(st.none() | st.sets(st.sampled_from([*statuses, "no_such_status"]), max_size=3)),
                order_id=data.draw(st.none() | st.sampled_from([c.order_id for c in cases])),
                opened_from=data.draw(st.none() | st.sampled_from(times)),
                opened_before=data.draw(st.none() | st.sampled_from(times)),
                limit=data.draw(st.integers(1, 4)),
            )
            expected = sorted((c for c in cases if _matches(c, query)), key=lambda c: (c.opened_at, c.id), reverse=True)
            assert _all_pages(storage, query) == expected

    def test_date_bounds_are_half_open(self, storage: Storage) -> None:
        world = _World()
        cases = self._populate(storage, [(0, 0, "ticket", m, 0) for m in (0, 1, 2)], world)
        t1 = T0 + timedelta(minutes=1)
        t2 = T0 + timedelta(minutes=2)
        found = _all_pages(storage, CaseQuery(store_id=world.stores[0], opened_from=t1, opened_before=t2))
        assert found == [cases[1]]
        assert _all_pages(storage, CaseQuery(store_id=world.stores[0], opened_before=T0)) == []
        assert _all_pages(storage, CaseQuery(store_id=world.stores[0], opened_from=t2)) == [cases[2]]

    def test_paging_through_ties_is_stable(self, storage: Storage) -> None:
        world = _World()
        cases = self._populate(storage, [(0, 0, "ticket", 0, 0)] * 7, world)
        expected = sorted(cases, key=lambda c: c.id, reverse=True)
        pages = []
        page = storage.query(CaseQuery(store_id=world.stores[0], limit=3))
        pages.append(page.items)
        while page.next_cursor:
            page = storage.query(CaseQuery(store_id=world.stores[0], limit=3, after=page.next_cursor))
            pages.append(page.items)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [c for p in pages for c in p] == expected

    def test_unfiltered_query_lists_every_case(self, storage: Storage) -> None:
        world = _World()
        cases = self._populate(storage, [(i % 2, i % 2, "ticket", i, 0) for i in range(5)], world)
        assert _all_pages(storage, CaseQuery(limit=2)) == sorted(cases, key=lambda c: (c.opened_at, c.id), reverse=True)

    def test_empty_status_set_matches_nothing(self, storage: Storage) -> None:
        world = _World()
        self._populate(storage, [(0, 0, "ticket", 0, 0)], world)
        assert storage.query(CaseQuery(store_id=world.stores[0], statuses=frozenset())).items == ()

    def test_a_foreign_cursor_is_refused(self, storage: Storage) -> None:
        with pytest.raises(ValidationError):
            storage.query(CaseQuery(after="not a cursor"))

    # -- deadlines (the SLA sweep's index; optional: only for backends with a ``due`` method) ------

    def test_due_lists_deadlines_in_order_with_keyset_paging(self, storage: Storage) -> None:
        due: Callable[..., Sequence[DueCase]] | None = getattr(storage, "due", None)
        if due is None:
            pytest.skip("this backend keeps no deadline index (no 'due' method)")
        hour = timedelta(hours=1)
        token = _token()
        deadlines = {f"T-{token}-a": T0 + hour, f"T-{token}-b": T0 + 2 * hour, f"T-{token}-c": T0 + hour, f"T-{token}-d": None}
        opened = {}
        for case_id, deadline in deadlines.items():
            commit = attrs.evolve(_ticket_commit(case_id, "store-1", "cust-1"), next_deadline=deadline)
            storage.commit(commit)
            opened[case_id] = commit.case

        def ours(rows: Sequence[DueCase]) -> list[tuple[str, datetime]]:
            return [(r.case_id, r.next_deadline) for r in rows if r.case_id.startswith(f"T-{token}")]

        assert ours(due(T0 + hour, 1000)) == [(f"T-{token}-a", T0 + hour), (f"T-{token}-c", T0 + hour)]
        first = due(T0 + 3 * hour, 2)
        rest = due(T0 + 3 * hour, 1000, after=(first[-1].next_deadline, first[-1].case_id))
        assert ours([*first, *rest]) == [
            (f"T-{token}-a", T0 + hour), (f"T-{token}-c", T0 + hour), (f"T-{token}-b", T0 + 2 * hour)
        ]
        assert ours(due(T0, 1000)) == []
        # A later commit moves a deadline, or clears it.
        storage.commit(attrs.evolve(_note_commit(opened[f"T-{token}-a"], "later", T0), next_deadline=T0 + 5 * hour))
        storage.commit(attrs.evolve(_note_commit(opened[f"T-{token}-c"], "done", T0), next_deadline=None))
        assert ours(due(T0 + 9 * hour, 1000)) == [(f"T-{token}-b", T0 + 2 * hour), (f"T-{token}-a", T0 + 5 * hour)]

    # -- the offer-work index (OfferIndex; every built-in backend has it) ----------------------------

    def _offer_index(self, storage: Storage) -> OfferIndex:
        if not isinstance(storage, OfferIndex):
            pytest.skip("this backend keeps no offer-work index (it does not implement OfferIndex)")
        return storage

    def _offer_steps(self, storage: Storage, token: str, steps: dict[str, datetime | None]) -> dict[str, Case]:
        opened = {}
        for case_id, step in steps.items():
            commit = attrs.evolve(_ticket_commit(case_id, "store-1", "cust-1"), next_offer_step=step, next_deadline=T0 - timedelta(days=1))
            storage.commit(commit)
            opened[case_id] = commit.case
        return opened

    def test_offers_due_lists_offer_steps_in_order_with_keyset_paging(self, storage: Storage) -> None:
        index = self._offer_index(storage)
        hour = timedelta(hours=1)
        token = _token()
        a, b, c, d = (f"T-{token}-{x}" for x in "abcd")
        opened = self._offer_steps(storage, token, {a: T0 + hour, b: T0 + 2 * hour, c: T0 + hour, d: None})

        def ours(rows: Sequence[DueCase]) -> list[tuple[str, datetime]]:
            return [(r.case_id, r.next_deadline) for r in rows if r.case_id.startswith(f"T-{token}")]

        assert ours(index.offers_due(T0 + hour, 1000)) == [(a, T0 + hour), (c, T0 + hour)]
        first = index.offers_due(T0 + 3 * hour, 2)
        rest = index.offers_due(T0 + 3 * hour, 1000, after=(first[-1].next_deadline, first[-1].case_id))
        assert ours([*first, *rest]) == [(a, T0 + hour), (c, T0 + hour), (b, T0 + 2 * hour)]
        assert ours(index.offers_due(T0, 1000)) == []
        # The SLA deadline and the offer step are separate: each index lists only its own time.
        due: Callable[..., Sequence[DueCase]] | None = getattr(storage, "due", None)
        if due is not None:
            assert ours(due(T0 + 3 * hour, 1000)) == [(x, T0 - timedelta(days=1)) for x in sorted((a, b, c, d))]
        # A later commit moves a step, or clears it.
        storage.commit(attrs.evolve(_note_commit(opened[a], "later", T0), next_offer_step=T0 + 5 * hour))
        storage.commit(attrs.evolve(_note_commit(opened[c], "done", T0), next_offer_step=None))
        assert ours(index.offers_due(T0 + 9 * hour, 1000)) == [(b, T0 + 2 * hour), (a, T0 + 5 * hour)]

    def test_rescheduling_an_offer_step_needs_the_current_version(self, storage: Storage) -> None:
        index = self._offer_index(storage)
        token = _token()
        case_id = f"T-{token}-a"
        opened = self._offer_steps(storage, token, {case_id: T0})
        noted = _note_commit(opened[case_id], "later", T0)
        storage.commit(attrs.evolve(noted, next_offer_step=T0))  # version 2

        def ours() -> list[tuple[str, datetime]]:
            return [(r.case_id, r.next_deadline) for r in index.offers_due(T0 + timedelta(days=9), 1000) if r.case_id == case_id]

        before = _state(storage, case_id)
        assert index.reschedule_offers(case_id, 1, T0 + timedelta(hours=5)) is False  # stale: a newer commit stored its own
        assert ours() == [(case_id, T0)]
        assert index.reschedule_offers(case_id, 2, T0 + timedelta(hours=5)) is True
        assert ours() == [(case_id, T0 + timedelta(hours=5))]
        assert index.reschedule_offers(case_id, 2, None) is True
        assert ours() == []
        assert index.reschedule_offers(case_id, 2, T0 - timedelta(days=1)) is True
        assert ours() == [(case_id, T0 - timedelta(days=1))]
        assert index.reschedule_offers(f"T-{token}-missing", 1, T0) is False
        assert _state(storage, case_id) == before  # only the index entry changed
        storage.commit(attrs.evolve(_note_commit(noted.case, "again", T0), next_offer_step=None))
        assert ours() == []

    def test_the_offer_sweeps_follow_the_index(self, storage: Storage) -> None:
        index = self._offer_index(storage)
        clock = ManualClock(T0)
        world = _World()
        app = _app(storage, clock)
        customer = world.customers[0]
        buyer = Actor.customer(customer.id)
        merchant = world.merchant(world.stores[0])

        def complaint(n: int) -> str:
            order = world.order(world.stores[0], customer, n)
            case_id = app.open_complaint(buyer, order=order, customer=customer, reason="damaged_goods",
                                         description="Broken lid", declaration_accepted=True).case.id
            if app.get_case(world.platform, case_id).status == "under_platform_review":
                app.pass_review(world.platform, case_id)
            return case_id

        def steps(case_id: str) -> list[datetime]:
            return [r.next_deadline for r in index.offers_due(T0 + timedelta(days=365), 1000) if r.case_id == case_id]

        accepted, expiring = complaint(1), complaint(2)
        assert steps(accepted) == [] and steps(expiring) == []
        offer_id = app.propose_offer(merchant, accepted, "other", text="We will call you.").events[0].payload["offer_id"]
        app.propose_offer(merchant, expiring, "other", text="A call?")
        assert steps(accepted) == [T0 + timedelta(days=3)]  # a proposed offer: its expiry
        clock.advance(hours=1)
        app.accept_offer(buyer, accepted, offer_id, confirmed=True)
        assert steps(accepted) == [T0 + timedelta(hours=1)]  # accepted: due for execution now
        assert app.execute_pending().executed == 1
        assert steps(accepted) == []
        assert app.expire_offers() == 0
        clock.advance(days=3)
        assert app.expire_offers() == 1
        assert steps(expiring) == [] and app.expire_offers() == 0

    def test_offer_steps_survive_a_restart(self, make_storage: Callable[[], Storage]) -> None:
        if not self.durable:
            pytest.skip("this backend does not keep data across a restart (durable = False)")
        storage = make_storage()
        token = _token()
        try:
            index = self._offer_index(storage)
            self._offer_steps(storage, token, {f"T-{token}-a": T0, f"T-{token}-b": T0 + timedelta(hours=1), f"T-{token}-c": None})
            assert index.reschedule_offers(f"T-{token}-b", 1, T0 + timedelta(hours=2))
            before = list(index.offers_due(T0 + timedelta(days=1), 1000))
        finally:
            storage.close()
        again = make_storage()
        try:
            after = list(self._offer_index(again).offers_due(T0 + timedelta(days=1), 1000))
            assert after == before
            assert [(r.case_id, r.next_deadline) for r in after if r.case_id.startswith(f"T-{token}")] == [
                (f"T-{token}-a", T0), (f"T-{token}-b", T0 + timedelta(hours=2))
            ]
        finally:
            again.close()

    # -- the other complaints of an order (OrderIndex; optional: every built-in backend has it) ----

    def test_other_complaints_of_an_order_are_the_ones_the_query_finds(self, storage: Storage) -> None:
        if not isinstance(storage, OrderIndex):
            pytest.skip("this backend reads an order's complaints through query (it does not implement OrderIndex)")
        world = _World()
        mine, theirs = world.stores
        customer = world.customers[0].id
        order = f"{world.token}-order"

        def complaint(name: str, store_id: str, minutes: int, order_id: str | None = order, kind: str = "complaint") -> Case:
            case = _case(f"C-{world.token}-{name}", store_id, customer, T0 + timedelta(minutes=minutes), kind=kind, order_id=order_id)
            storage.commit(_opening_commit(case))
            return case

        me = complaint("me", mine, 1)
        assert list(storage.other_complaints(order, mine, me.id)) == []  # the usual case: the order has only this one
        assert list(storage.other_complaints(f"{order}-none", mine, me.id)) == []
        early, tie_a, tie_b = complaint("early", mine, 0), complaint("tie-a", mine, 2), complaint("tie-b", mine, 2)
        complaint("other-store", theirs, 3)  # the same order id at another store
        complaint("ticket", mine, 3, kind="ticket")  # not a complaint
        complaint("other-order", mine, 3, order_id=f"{order}-2")
        noted = _note_commit(early, "later", T0 + timedelta(hours=1))
        storage.commit(noted)  # each is returned as its latest snapshot
        expected = [tie_b, tie_a, me, noted.case]  # newest first, ties by id descending
        assert list(storage.other_complaints(order, mine, "C-none")) == expected
        assert list(storage.other_complaints(order, mine, me.id)) == [tie_b, tie_a, noted.case]
        queried = _all_pages(storage, CaseQuery(kind="complaint", order_id=order, limit=2))
        assert [c for c in queried if c.store_id == mine and c.id != me.id] == [tie_b, tie_a, noted.case]
        assert [c.id for c in storage.other_complaints(order, theirs, me.id)] == [f"C-{world.token}-other-store"]

    # -- one case by id, within its scope (how the application loads a case for an actor) ---------

    def test_a_case_is_found_by_id_only_within_its_store_and_customer(self, storage: Storage) -> None:
        token = _token()
        mine = _ticket_commit(f"T-{token}-a", f"{token}-store-1", f"{token}-cust-1")
        other = _ticket_commit(f"T-{token}-b", f"{token}-store-2", f"{token}-cust-2")
        storage.commit(mine)
        storage.commit(other)
        case_id = mine.case.id
        assert storage.query(CaseQuery(case_id=case_id, limit=1)).items == (mine.case,)
        assert storage.query(CaseQuery(case_id=case_id, store_id=f"{token}-store-1")).items == (mine.case,)
        assert storage.query(CaseQuery(case_id=case_id, customer_id=f"{token}-cust-1")).items == (mine.case,)
        assert storage.query(CaseQuery(case_id=case_id, store_id=f"{token}-store-2")).items == ()
        assert storage.query(CaseQuery(case_id=case_id, customer_id=f"{token}-cust-2")).items == ()
        assert storage.query(CaseQuery(case_id=f"T-{token}-none")).items == ()

    # -- verification codes and guest attempts (VerificationStore; every built-in backend has it) --

    def _codes(self, storage: Storage) -> VerificationStore:
        if not isinstance(storage, VerificationStore):
            pytest.skip("this backend keeps no verification codes (it does not implement VerificationStore)")
        return storage

    def test_a_verification_code_is_kept_replaced_and_read_back(self, storage: Storage) -> None:
        codes = self._codes(storage)
        case_id = f"C-{_token()}"
        assert codes.verification_code(case_id, "access") is None
        first = VerificationCode(case_id, "access", "a" * 64, "key-1", T0, T0 + timedelta(minutes=10))
        codes.put_verification_code(first)
        assert codes.verification_code(case_id, "access") == first
        assert codes.verification_code(case_id, "close") is None
        second = attrs.evolve(first, digest="b" * 64, issued_at=T0 + timedelta(minutes=1), expires_at=T0 + timedelta(minutes=11))
        codes.put_verification_code(second)
        assert codes.verification_code(case_id, "access") == second

    def test_attempts_on_a_code_stop_at_the_limit(self, storage: Storage) -> None:
        codes = self._codes(storage)
        case_id = f"C-{_token()}"
        codes.put_verification_code(VerificationCode(case_id, "access", "a" * 64, "k", T0, T0 + timedelta(minutes=10)))
        taken = [codes.try_verification_code(case_id, "access", T0, 3) for _ in range(5)]
        assert [None if t is None else t.attempts for t in taken] == [1, 2, 3, None, None]
        assert codes.try_verification_code(f"C-{_token()}", "access", T0, 3) is None  # no such code
        stored = codes.verification_code(case_id, "access")
        assert stored is not None and stored.attempts == 3

    def test_an_expired_or_used_code_takes_no_attempt(self, storage: Storage) -> None:
        codes = self._codes(storage)
        case_id = f"C-{_token()}"
        code = VerificationCode(case_id, "close", "a" * 64, "k", T0, T0 + timedelta(minutes=10))
        codes.put_verification_code(code)
        assert codes.try_verification_code(case_id, "close", T0 + timedelta(minutes=10), 5) is None  # expiry is exclusive
        assert codes.use_verification_code(case_id, "close", "b" * 64, T0) is False  # another digest
        assert codes.use_verification_code(case_id, "close", "a" * 64, T0) is True
        assert codes.use_verification_code(case_id, "close", "a" * 64, T0) is False  # once only
        assert codes.try_verification_code(case_id, "close", T0, 5) is None
        stored = codes.verification_code(case_id, "close")
        assert stored is not None and stored.used_at == T0 and stored.attempts == 0

    def test_threads_never_get_more_attempts_than_the_limit(self, storage: Storage) -> None:
        codes = self._codes(storage)
        case_id = f"C-{_token()}"
        codes.put_verification_code(VerificationCode(case_id, "access", "a" * 64, "k", T0, T0 + timedelta(minutes=10)))
        granted: list[int] = []
        used: list[bool] = []

        def guesser() -> None:
            for _ in range(5):
                taken = codes.try_verification_code(case_id, "access", T0, 7)
                if taken is not None:
                    granted.append(taken.attempts)
                    used.append(codes.use_verification_code(case_id, "access", "a" * 64, T0))

        threads = [threading.Thread(target=guesser) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 1 <= len(granted) <= 7 and len(set(granted)) == len(granted)
        assert used.count(True) == 1

    def test_guest_attempts_are_counted_per_subject_within_the_window(self, storage: Storage) -> None:
        codes = self._codes(storage)
        a, b = f"subject-{_token()}", f"subject-{_token()}"
        minute = timedelta(minutes=1)
        counts = [codes.count_guest_attempt(a, T0 + i * minute, T0 + i * minute - timedelta(hours=1)) for i in range(3)]
        assert counts == [1, 2, 3]
        assert codes.count_guest_attempt(b, T0 + 3 * minute, T0 + 3 * minute - timedelta(hours=1)) == 1
        later = T0 + timedelta(minutes=61, seconds=30)  # the first two attempts fell out of the window
        assert codes.count_guest_attempt(a, later, later - timedelta(hours=1)) == 2

    # -- threads and restarts ---------------------------------------------------------------------

    def test_threads_never_lose_or_interleave_writes(self, storage: Storage) -> None:
        opening = _ticket_commit(f"T-{_token()}", "store-1", "cust-1")
        storage.commit(opening)
        case_id = opening.case.id
        outcomes: list[str] = []
        errors: list[BaseException] = []

        def writer(name: str) -> None:
            try:
                for i in range(8):
                    case = storage.load(case_id)
                    assert case is not None
                    try:
                        storage.commit(_note_commit(case, f"{name}-{i}", T0))
                        outcomes.append(f"{name}-{i}")
                    except ConcurrencyConflict:
                        pass
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        log = storage.events(case_id)
        assert [e.version for e in log] == list(range(1, len(outcomes) + 2))
        assert sorted(e.payload["body"] for e in log[1:]) == sorted(outcomes)
        stored = storage.load(case_id)
        assert stored is not None and stored.version == len(log)
        assert [m.body for m in stored.messages] == [e.payload["body"] for e in log[1:]]

    def test_everything_survives_a_restart(self, make_storage: Callable[[], Storage]) -> None:
        if not self.durable:
            pytest.skip("this backend does not keep data across a restart (durable = False)")
        storage = make_storage()
        try:
            case = self._case_with_notes(storage, notes=2)
            record = AppliedCommand(f"k-{_token()}", "fp", case.id, 4, 4)
            last = _note_commit(case, "with a key", T0 + timedelta(hours=1), applied=record)
            storage.commit(last)
            keys = sorted(e.notification.key for e in storage.outbox(case.id))
            storage.mark_failed(keys[0], "boom", T0 + timedelta(hours=2))
            storage.mark_delivered(keys[-1], T0 + timedelta(hours=1))
            before = (_state(storage, case.id), storage.applied(record.key), list(storage.pending_notifications(T0 + timedelta(hours=3), 1000)))
            listed = _all_pages(storage, CaseQuery(store_id="store-1"))
        finally:
            storage.close()
        again = make_storage()
        try:
            after = (_state(again, case.id), again.applied(record.key), list(again.pending_notifications(T0 + timedelta(hours=3), 1000)))
            assert after == before
            assert _all_pages(again, CaseQuery(store_id="store-1")) == listed
            assert again.load(case.id) == last.case
        finally:
            again.close()

    def test_a_storage_reads_what_another_one_wrote(self, make_storage: Callable[[], Storage]) -> None:
        """Two storages on one database (two processes): whatever one keeps in memory, each load sees
        the other's latest commit."""
        if not self.durable:
            pytest.skip("this backend does not keep data across a restart (durable = False)")
        first, second = make_storage(), make_storage()
        try:
            case = self._case_with_notes(first, notes=1)
            assert first.load(case.id) == case and second.load(case.id) == case  # each has read (and may keep) it
            for n, (writer, reader) in enumerate([(second, first), (first, second), (second, first)]):
                current = writer.load(case.id)
                assert current is not None
                note = _note_commit(current, f"note {n} from the other side", T0 + timedelta(hours=n + 1))
                writer.commit(note)
                assert reader.load(case.id) == note.case
                assert reader.load(case.id) == note.case  # and again, from whatever it kept
        finally:
            first.close()
            second.close()

    # -- canned responses (TemplateStore; every built-in backend has it) ----------------------------

    def _templates(self, storage: Storage) -> TemplateStore:
        if not isinstance(storage, TemplateStore):
            pytest.skip("this backend stores no canned responses (it does not implement TemplateStore)")
        return storage

    def test_templates_are_kept_per_store_and_locale(self, storage: Storage) -> None:
        templates = self._templates(storage)
        store, other = f"store-{_token()}", f"store-{_token()}"
        en = CannedResponse("delay", "Delay", "Hello {customer_name}, order {order_number} ships today.", store_id=store, locale="en")
        ar = CannedResponse("delay", "تأخير", "مرحبًا {customer_name}، طلبك {order_number} يُشحن اليوم.", store_id=store, locale="ar")
        thanks = CannedResponse("thanks", "Thanks", "Thank you, {customer_name}!", store_id=store, locale="pt_BR")
        theirs = CannedResponse("delay", "Delay", "Hi {customer_name}.", store_id=other, locale="en")
        for template in (thanks, ar, theirs, en):
            templates.save_template(template)
        assert list(templates.templates(store)) == [ar, en, thanks]  # by (id, locale)
        assert list(templates.templates(store, template_id="delay")) == [ar, en]
        assert list(templates.templates(other)) == [theirs]
        assert list(templates.templates(f"store-{_token()}")) == []
        changed = attrs.evolve(en, title="Delay (new)", body="Dear {customer_name}, sorry for the wait.")
        templates.save_template(changed)  # same (store, id, locale): replaced, not added
        assert list(templates.templates(store, template_id="delay")) == [ar, changed]
        assert templates.delete_template(store, "delay", "en") == 1
        assert templates.delete_template(store, "delay", "en") == 0
        assert list(templates.templates(store)) == [ar, thanks]
        assert templates.delete_template(store, "thanks") == 1
        assert templates.delete_template(store, "delay") == 1
        assert list(templates.templates(store)) == [] and list(templates.templates(other)) == [theirs]

    def test_arabic_text_round_trips_intact(self, make_storage: Callable[[], Storage]) -> None:
        """Arabic (right-to-left, with diacritics, Arabic-Indic digits and direction marks) is stored
        and read back exactly: case text, messages, notification parameters, templates."""
        storage = make_storage()
        name, text = "نورة الحربي", "وصل الإبريق مكسورًا ١٢٣ \u200f«عاجل»"
        clock = ManualClock(T0)
        app = _app(storage, clock)
        try:
            customer = Customer(f"cust-{_token()}", name, locale="ar_SA", time_zone="Asia/Riyadh")
            order = Order(
                id=f"ord-{_token()}", number="١٠٠١", store_id="store-1", customer_id=customer.id, status="تم التوصيل",
                created_at=T0 - timedelta(days=3), total_paid=Decimal("249.00"), currency="SAR",
                items=(OrderItem("sku-1", "إبريق زجاجي", 1, Decimal("249.00")),),
            )  # fmt: skip
            buyer = Actor.customer(customer.id)
            case_id = app.open_complaint(
                buyer, order=order, customer=customer, reason="damaged_goods", description=text, declaration_accepted=True
            ).case.id
            app.reply(buyer, case_id, text + " – شكرًا")
            template = CannedResponse("sorry", "اعتذار", "عزيزتي {customer_name}، نعتذر عن طلبك {order_number}.", store_id="store-1", locale="ar")
            if isinstance(storage, TemplateStore):
                storage.save_template(template)
            before = (storage.load(case_id), storage.events(case_id), [e.notification for e in storage.outbox(case_id)])
            rendered = [app.render_notification(n) for n in before[2]]
        finally:
            storage.close()
        again = make_storage() if self.durable else storage
        try:
            if self.durable:
                after = (again.load(case_id), again.events(case_id), [e.notification for e in again.outbox(case_id)])
                assert after == before
                if isinstance(again, TemplateStore):
                    assert list(again.templates("store-1", template_id="sorry")) == [template]
            case = before[0]
            assert case is not None and case.description == text and case.customer_name == name
            assert case.messages[-1].body == text + " – شكرًا" and case.order_number == "١٠٠١"
            receipt = next(r for r, n in zip(rendered, before[2], strict=True) if n.recipient.role is Role.CUSTOMER)
            assert receipt.locale == "ar_SA" and receipt.direction == "rtl" and "١٠٠١" in receipt.body
        finally:
            if self.durable:
                again.close()

    def test_verification_codes_and_attempts_survive_a_restart(self, make_storage: Callable[[], Storage]) -> None:
        if not self.durable:
            pytest.skip("this backend does not keep data across a restart (durable = False)")
        storage = make_storage()
        try:
            codes = self._codes(storage)
            code = VerificationCode(f"C-{_token()}", "access", "c" * 64, "k", T0, T0 + timedelta(minutes=10))
            codes.put_verification_code(code)
            assert codes.try_verification_code(code.case_id, "access", T0, 5) is not None
            subject = f"subject-{_token()}"
            codes.count_guest_attempt(subject, T0, T0 - timedelta(hours=1))
        finally:
            storage.close()
        again = make_storage()
        try:
            codes = self._codes(again)
            assert codes.verification_code(code.case_id, "access") == attrs.evolve(code, attempts=1)
            assert codes.count_guest_attempt(subject, T0, T0 - timedelta(hours=1)) == 2
        finally:
            again.close()
