"""In-memory storage (``"memory://"``): everything in dictionaries, gone with the process.

For tests, notebooks and the benchmarks of the pure command path. It follows the whole
:class:`~resolvekit.storage.Storage` contract, including atomic commits, versions, idempotency and
the outbox, so code tested on it behaves the same on SQLite or PostgreSQL.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Sequence
from datetime import datetime

import attrs

from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.notifications import Notification
from resolvekit.domain.templates import CannedResponse
from resolvekit.errors import ConcurrencyConflict
from resolvekit.hookspecs import hookimpl
from resolvekit.storage import (
    AppliedCommand,
    CaseQuery,
    Commit,
    DueCase,
    OutboxEntry,
    Page,
    VerificationCode,
    decode_cursor,
    encode_cursor,
)

__all__ = ["MemoryStorage", "resolvekit_open_storage"]

_HEAP_SLACK = 64
"""Stale entries a deadline or offer-work heap may hold beyond twice its live ones (see :func:`_prune`)."""


class MemoryStorage:
    """A :class:`~resolvekit.storage.Storage` kept in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[CaseEvent]] = {}
        self._applied: dict[str, AppliedCommand] = {}
        # key -> the entry; a bare Notification is an entry never attempted (most are, until dispatch)
        self._outbox: dict[str, Notification | OutboxEntry] = {}
        # The deadline and offer-work indexes: the time by case id, and a heap of (time, case id)
        # pruned lazily against it (see _prune); a push past the heap's limit prunes it.
        self._deadlines: dict[str, datetime] = {}
        self._deadline_heap: list[tuple[datetime, str]] = []
        self._deadline_limit = _HEAP_SLACK
        self._offer_steps: dict[str, datetime] = {}
        self._offer_heap: list[tuple[datetime, str]] = []
        self._offer_limit = _HEAP_SLACK
        self._codes: dict[tuple[str, str], VerificationCode] = {}
        self._templates: dict[tuple[str, str, str], CannedResponse] = {}
        self._attempts: dict[str, list[datetime]] = {}
        self._by_order: dict[str, set[str]] = {}  # order id -> case ids (cases never change order)
        self._by_store: dict[str, set[str]] = {}  # store id -> case ids

    def load(self, case_id: str) -> Case | None:
        """The latest snapshot of the case."""
        return self._cases.get(case_id)

    def events(self, case_id: str, *, after_version: int = 0, up_to_version: int | None = None) -> list[CaseEvent]:
        """The case's events in ``(after_version, up_to_version]``."""
        events = self._events.get(case_id, [])
        end = len(events) if up_to_version is None else min(up_to_version, len(events))
        return events[after_version:end]

    def commit(self, commit: Commit) -> AppliedCommand | None:
        """Append the events, replace the snapshot and queue the notifications, atomically."""
        case = commit.case
        case_id = case.id
        applied = commit.applied
        with self._lock:
            if applied is not None:
                known = self._applied.get(applied.key)
                if known is not None:
                    return known
            log = self._events.get(case_id)
            if log is None:  # a new case
                if commit.expected_version != 0:
                    raise ConcurrencyConflict(case_id=case_id, expected=commit.expected_version, actual=0)
                self._events[case_id] = list(commit.events)
                self._cases[case_id] = case  # before the indexes: readers walk them without the lock
                self._by_store.setdefault(case.store_id, set()).add(case_id)
                if case.order_id is not None:
                    self._by_order.setdefault(case.order_id, set()).add(case_id)
            elif len(log) != commit.expected_version:
                raise ConcurrencyConflict(case_id=case_id, expected=commit.expected_version, actual=len(log))
            else:
                log.extend(commit.events)
                self._cases[case_id] = case
            for notification in commit.notifications:
                self._outbox.setdefault(notification.key, notification)
            if applied is not None:
                self._applied[applied.key] = applied
            # The deadline index, written inline (this runs on every command). A deadline moves on
            # almost every command, so it is pushed without comparing it with the stored one (a
            # repeated entry is dropped like a replaced one, see _prune); an offer step seldom moves.
            deadline = commit.next_deadline
            if deadline is None:
                self._deadlines.pop(case_id, None)
            else:
                self._deadlines[case_id] = deadline
                heapq.heappush(self._deadline_heap, (deadline, case_id))
                if len(self._deadline_heap) > self._deadline_limit:
                    self._deadline_limit = _prune(self._deadline_heap, self._deadlines)
            self._set_offer_step(case_id, commit.next_offer_step)
        return None

    def _set_offer_step(self, case_id: str, at: datetime | None) -> None:
        """Store the case's next offer step (the caller holds the lock)."""
        if at is None:
            self._offer_steps.pop(case_id, None)
        elif self._offer_steps.get(case_id) != at:
            self._offer_steps[case_id] = at
            heapq.heappush(self._offer_heap, (at, case_id))
            if len(self._offer_heap) > self._offer_limit:
                self._offer_limit = _prune(self._offer_heap, self._offer_steps)

    def due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next deadline is at or before ``until``, by ``(deadline, case id)``, after ``after``.

        Reads only the due part of a heap (stale entries are dropped on the way), so the cost
        follows what is due, not how many cases are open.
        """
        with self._lock:
            return _due_rows(self._deadline_heap, self._deadlines, until, limit, after)

    def offers_due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next offer step is at or before ``until``, by ``(step, case id)``, after ``after``.

        Like :meth:`due`, it reads only the due part of a heap.
        """
        with self._lock:
            return _due_rows(self._offer_heap, self._offer_steps, until, limit, after)

    def reschedule_offers(self, case_id: str, version: int, at: datetime | None) -> bool:
        """Set the case's next offer step if the case is still at ``version``."""
        with self._lock:
            case = self._cases.get(case_id)
            if case is None or case.version != version:
                return False
            self._set_offer_step(case_id, at)
            return True

    def applied(self, key: str) -> AppliedCommand | None:
        """The command recorded for an idempotency key."""
        return self._applied.get(key)

    def query(self, query: CaseQuery) -> Page:
        """Filter and page the cases (in Python: this backend has no database)."""
        after = decode_cursor(query.after) if query.after else None
        matches = []
        cases = self._cases
        if query.case_id is not None:  # one case at most (the tenancy lookup of every command): no sort
            one = cases.get(query.case_id)
            return Page((one,) if one is not None and _matches(one, query, after) else (), None)
        if query.order_id is not None:  # the indexes keep this from walking every case
            candidates = tuple(cases[i] for i in tuple(self._by_order.get(query.order_id, ())))
        elif query.store_id is not None:
            candidates = tuple(cases[i] for i in tuple(self._by_store.get(query.store_id, ())))
        else:
            candidates = tuple(cases.values())
        for case in candidates:
            if _matches(case, query, after):
                matches.append(case)
        if len(matches) > 1:
            matches.sort(key=_listing_key, reverse=True)
        page = matches[: query.limit]
        more = len(matches) > query.limit
        return Page(tuple(page), encode_cursor(page[-1]) if more else None)

    def other_complaints(self, order_id: str, store_id: str, case_id: str) -> Sequence[Case]:
        """The store's complaints about the order other than ``case_id``, newest first (OrderIndex)."""
        ids = self._by_order.get(order_id, ())
        if len(ids) == 1 and case_id in ids:
            return ()  # the usual case: the order has no other case
        cases = self._cases
        others = [cases[i] for i in tuple(ids) if i != case_id]  # (a copy of the set: commits add to it)
        found = [case for case in others if case.store_id == store_id and case.kind == "complaint"]
        found.sort(key=_listing_key, reverse=True)
        return found

    def pending_notifications(self, now: datetime, limit: int = 100) -> Sequence[OutboxEntry]:
        """Undelivered entries that are due."""
        with self._lock:
            due = [
                _entry(e)
                for e in self._outbox.values()
                if type(e) is not OutboxEntry or (e.delivered_at is None and (e.next_attempt_at is None or e.next_attempt_at <= now))
            ]
        return due[:limit]

    def mark_delivered(self, key: str, at: datetime) -> None:
        """Record a delivery."""
        with self._lock:
            entry = _entry(self._outbox[key])
            self._outbox[key] = attrs.evolve(entry, attempts=entry.attempts + 1, delivered_at=at, last_error=None)

    def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt and when to retry."""
        with self._lock:
            entry = _entry(self._outbox[key])
            self._outbox[key] = attrs.evolve(entry, attempts=entry.attempts + 1, last_error=error, next_attempt_at=retry_at)

    def outbox(self, case_id: str) -> Sequence[OutboxEntry]:
        """Every outbox entry of the case."""
        return [entry for entry in map(_entry, list(self._outbox.values())) if entry.notification.case_id == case_id]

    def purge_delivered(self, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` entries delivered before ``before``, oldest delivery first (OutboxRetention)."""
        with self._lock:
            delivered = [
                (e.delivered_at, key)
                for key, e in self._outbox.items()
                if type(e) is OutboxEntry and e.delivered_at is not None and e.delivered_at < before
            ]
            gone = [key for _, key in heapq.nsmallest(limit, delivered)]
            for key in gone:
                del self._outbox[key]
        return len(gone)

    # -- verification codes and guest attempts (VerificationStore) --------------------------------

    def put_verification_code(self, code: VerificationCode) -> None:
        """Store the current code of its case and purpose."""
        with self._lock:
            self._codes[(code.case_id, code.purpose)] = code

    def verification_code(self, case_id: str, purpose: str) -> VerificationCode | None:
        """The current code of the case and purpose."""
        return self._codes.get((case_id, purpose))

    def try_verification_code(self, case_id: str, purpose: str, at: datetime, max_attempts: int) -> VerificationCode | None:
        """Take one attempt on the current code if it is usable."""
        with self._lock:
            code = self._codes.get((case_id, purpose))
            if code is None or code.used_at is not None or at >= code.expires_at or code.attempts >= max_attempts:
                return None
            code = self._codes[(case_id, purpose)] = attrs.evolve(code, attempts=code.attempts + 1)
            return code

    def use_verification_code(self, case_id: str, purpose: str, digest: str, at: datetime) -> bool:
        """Mark the code used, once."""
        with self._lock:
            code = self._codes.get((case_id, purpose))
            if code is None or code.used_at is not None or code.digest != digest:
                return False
            self._codes[(case_id, purpose)] = attrs.evolve(code, used_at=at)
            return True

    def count_guest_attempt(self, subject: str, at: datetime, window_start: datetime) -> int:
        """Record an attempt; count the subject's attempts in the window."""
        with self._lock:
            for key in [k for k, times in self._attempts.items() if times and times[-1] < window_start]:
                del self._attempts[key]
            times = [t for t in self._attempts.get(subject, ()) if t >= window_start]
            times.append(at)
            self._attempts[subject] = times
            return len(times)

    # -- canned responses (TemplateStore) ----------------------------------------------------------

    def save_template(self, template: CannedResponse) -> None:
        """Insert or replace the template's ``(store_id, id, locale)`` version."""
        assert template.store_id is not None, "a saved template belongs to a store"
        with self._lock:
            self._templates[(template.store_id, template.id, template.locale)] = template

    def templates(self, store_id: str, *, template_id: str | None = None) -> Sequence[CannedResponse]:
        """The store's templates by ``(id, locale)``."""
        with self._lock:
            found = [t for (s, i, _), t in self._templates.items() if s == store_id and (template_id is None or i == template_id)]
        return sorted(found, key=lambda t: (t.id, t.locale))

    def delete_template(self, store_id: str, template_id: str, locale: str | None = None) -> int:
        """Delete one locale version (or all versions) of a template."""
        with self._lock:
            keys = [k for k in self._templates if k[0] == store_id and k[1] == template_id and (locale is None or k[2] == locale)]
            for key in keys:
                del self._templates[key]
        return len(keys)

    def close(self) -> None:
        """Nothing to release."""


def _due_rows(
    heap: list[tuple[datetime, str]],
    current: dict[str, datetime],
    until: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[DueCase]:
    """The ``(time, case id)`` rows of ``heap`` at or before ``until`` that are still ``current``, after ``after``.

    Pops the due part of the heap (dropping stale entries on the way) and pushes the live ones back;
    the caller holds the lock.
    """
    live: dict[str, datetime] = {}
    while heap and heap[0][0] <= until:
        at, case_id = heapq.heappop(heap)
        if current.get(case_id) == at:
            live[case_id] = at
    for case_id, at in live.items():
        heapq.heappush(heap, (at, case_id))
    rows = sorted((at, case_id) for case_id, at in live.items() if after is None or (at, case_id) > after)
    return [DueCase(case_id, at) for at, case_id in rows[:limit]]


def _prune(heap: list[tuple[datetime, str]], current: dict[str, datetime]) -> int:
    """Rebuild a lazily pruned heap of the times in ``current`` if it holds too many stale entries; its next limit.

    Entries that a later time replaced (or that repeat a live one) stay in the heap until it is read
    (:func:`_due_rows` keeps one entry per live time). A push that takes the heap past its limit
    calls this: the heap is rebuilt from ``current`` when it holds more than twice the cases it
    indexes plus :data:`_HEAP_SLACK`, and that bound is the new limit. So a push costs one length
    comparison, and the heap never grows past twice the most cases it indexed since its last
    rebuild (plus the slack).
    """
    bound = 2 * len(current) + _HEAP_SLACK
    if len(heap) > bound:
        heap[:] = [(when, key) for key, when in current.items()]
        heapq.heapify(heap)
    return bound


def _entry(value: Notification | OutboxEntry) -> OutboxEntry:
    """The outbox entry kept as ``value`` (a bare notification: never attempted)."""
    return value if isinstance(value, OutboxEntry) else OutboxEntry(value)


def _listing_key(case: Case) -> tuple[datetime, str]:
    """A case's listing key ``(opened_at, id)``; listings sort by it in reverse (newest first)."""
    return case.opened_at, case.id


def _matches(case: Case, query: CaseQuery, after: tuple[datetime, str] | None) -> bool:
    """Whether ``case`` passes every filter of ``query`` and comes after the cursor ``after``."""
    return (
        (query.store_id is None or case.store_id == query.store_id)
        and (query.customer_id is None or case.customer_id == query.customer_id)
        and (query.kind is None or case.kind == query.kind)
        and (query.statuses is None or case.status in query.statuses)
        and (query.order_id is None or case.order_id == query.order_id)
        and (query.opened_from is None or case.opened_at >= query.opened_from)
        and (query.opened_before is None or case.opened_at < query.opened_before)
        and (after is None or (case.opened_at, case.id) < after)
    )


@hookimpl
def resolvekit_open_storage(url: str) -> MemoryStorage | None:
    """Open a fresh in-memory store for ``memory://`` URLs."""
    return MemoryStorage() if url.split(":", 1)[0] == "memory" else None
