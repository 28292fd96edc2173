"""The storage contract every backend fulfils (in-memory, SQLite, PostgreSQL, or a host's own).

A backend is an object implementing :class:`Storage`, returned by a plugin's
``resolvekit_open_storage`` hook. The application calls it from one place
(:class:`~resolvekit.ResolveKit`); the conformance suite in :mod:`resolvekit.testing` checks any
implementation against the rules written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.notifications import Notification
from resolvekit.domain.templates import CannedResponse
from resolvekit.errors import ValidationError

__all__ = [
    "AppliedCommand",
    "CaseQuery",
    "Commit",
    "DeadlineIndex",
    "DueCase",
    "OfferIndex",
    "OrderIndex",
    "OutboxEntry",
    "OutboxRetention",
    "Page",
    "Storage",
    "TemplateStore",
    "VerificationCode",
    "VerificationStore",
    "decode_cursor",
    "encode_cursor",
]


@attrs.frozen
class AppliedCommand:
    """What an idempotency key was used for: its command fingerprint and the events it appended."""

    key: str
    fingerprint: str
    case_id: str
    first_version: int
    last_version: int


@attrs.frozen
class Commit:
    """Everything one accepted command writes, in one transaction.

    ``expected_version`` is the case's version the command was decided on (0 for a new case); the
    backend refuses the commit with :class:`~resolvekit.errors.ConcurrencyConflict` when the stored
    version differs. ``case`` is the state after ``events`` (the snapshot), ``notifications`` go to
    the outbox, and ``applied`` (when the command carried an idempotency key) is recorded so a retry
    of the same key finds it. ``next_deadline`` is when the case next needs the SLA sweep (computed by
    the domain, ``None`` when nothing is pending); the backend stores it with the snapshot, indexed,
    for :meth:`DeadlineIndex.due`. ``next_offer_step`` is when the case's offers next need the
    offer worker (:func:`resolvekit.domain.offer_work.next_offer_step`: an accepted or interrupted
    offer to execute, a failed one to retry, a proposed one to expire; ``None`` when none will); a
    backend with an :class:`OfferIndex` stores it the same way, for :meth:`OfferIndex.offers_due`.
    """

    case: Case
    expected_version: int
    events: tuple[CaseEvent, ...]
    notifications: tuple[Notification, ...] = ()
    applied: AppliedCommand | None = None
    next_deadline: datetime | None = None
    next_offer_step: datetime | None = None


@attrs.frozen
class DueCase:
    """A case whose next SLA deadline has come (a row of :meth:`DeadlineIndex.due`).

    :meth:`OfferIndex.offers_due` lists its rows the same way; there ``next_deadline`` is the stored
    time of the case's next offer step.
    """

    case_id: str
    next_deadline: datetime


def _limit(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValidationError(N_("A page holds 1 to 1000 cases, got {value!r}."), value=value)


def _statuses(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen
class CaseQuery:
    """Filters and paging for listing cases. ``None`` means "any".

    ``opened_from`` is inclusive and ``opened_before`` exclusive (half-open). Results are ordered by
    ``(opened_at, id)`` descending (newest first); ``after`` is the opaque cursor of the previous page.
    ``store_id`` and ``customer_id`` are set by the application from the actor, so a listing's
    tenancy is part of the storage query itself. ``case_id`` selects one case (with a store or
    customer beside it: that case only if it belongs to them). The application loads a single case
    for a command with :meth:`Storage.load` and checks tenancy itself.
    """

    store_id: str | None = None
    customer_id: str | None = None
    kind: str | None = None
    statuses: frozenset[str] | None = attrs.field(default=None, converter=_statuses)
    order_id: str | None = None
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    limit: int = attrs.field(default=50, validator=_limit)
    after: str | None = None
    case_id: str | None = None


@attrs.frozen
class Page:
    """One page of cases and the cursor of the next one (``None`` on the last page)."""

    items: tuple[Case, ...]
    next_cursor: str | None


@attrs.frozen
class OutboxEntry:
    """A notification waiting in (or delivered from) the outbox."""

    notification: Notification
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@runtime_checkable
class Storage(Protocol):
    """What a storage backend does. Every method is safe to call from several threads.

    The rules (checked by :func:`resolvekit.testing.conformance`):

    * ``commit`` is atomic: the events, the snapshot, the outbox entries and the applied-command
      record are all written or none is.
    * Versions of a case are contiguous from 1; ``commit`` raises
      :class:`~resolvekit.errors.ConcurrencyConflict` when ``expected_version`` is not the stored one.
    * When ``commit.applied.key`` was already recorded, ``commit`` writes nothing and returns the
      recorded :class:`AppliedCommand`; otherwise it returns ``None``.
    * Outbox entries are delivered at least once: an entry stays pending until ``mark_delivered``.
    """

    def load(self, case_id: str) -> Case | None:
        """The latest snapshot of the case, or ``None`` if there is no such case."""

    def events(self, case_id: str, *, after_version: int = 0, up_to_version: int | None = None) -> list[CaseEvent]:
        """The case's events with ``after_version < version <= up_to_version``, in version order."""

    def commit(self, commit: Commit) -> AppliedCommand | None:
        """Write one accepted command atomically (see the class rules)."""

    def applied(self, key: str) -> AppliedCommand | None:
        """The command an idempotency key was used for, or ``None``."""

    def query(self, query: CaseQuery) -> Page:
        """Cases matching ``query``, one page at a time, filtered in the backend."""

    def pending_notifications(self, now: datetime, limit: int = 100) -> Sequence[OutboxEntry]:
        """Undelivered entries due at ``now`` (never attempted, or whose retry time has come)."""

    def mark_delivered(self, key: str, at: datetime) -> None:
        """Record that the notification ``key`` was delivered."""

    def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt; the entry is due again at ``retry_at``."""

    def outbox(self, case_id: str) -> Sequence[OutboxEntry]:
        """Every outbox entry of a case, delivered or not (for inspection and tests)."""

    def close(self) -> None:
        """Release connections and files."""


@attrs.frozen
class VerificationCode:
    """A one-time verification code as stored: its keyed hash (``digest``), never the code itself.

    ``purpose`` is what the code confirms (``"access"`` for guest access, ``"close"`` for closing);
    each ``(case_id, purpose)`` has at most one current code. ``key_id`` names the secret key the
    digest was made with, ``attempts`` counts the tries, ``used_at`` is set when it was used.
    """

    case_id: str
    purpose: str
    digest: str
    key_id: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None


@runtime_checkable
class VerificationStore(Protocol):
    """Verification codes and guest attempts (every built-in backend has it; guest access needs it).

    Each method is atomic on its own: two processes trying codes at once can never get more tries
    than the limit, nor both use one code. Nothing here is part of a case's activity log.
    """

    def put_verification_code(self, code: VerificationCode) -> None:
        """Store ``code`` as the current code of ``(code.case_id, code.purpose)``; the one before stops working."""

    def verification_code(self, case_id: str, purpose: str) -> VerificationCode | None:
        """The current code of ``(case_id, purpose)`` (used, expired or not), or ``None``."""

    def try_verification_code(self, case_id: str, purpose: str, at: datetime, max_attempts: int) -> VerificationCode | None:
        """Take one attempt on the current code, atomically.

        When the code exists, is unused, has not expired at ``at`` (``at < expires_at``) and has had
        fewer than ``max_attempts`` attempts, count this attempt and return the code with the new
        count; otherwise change nothing and return ``None``.
        """

    def use_verification_code(self, case_id: str, purpose: str, digest: str, at: datetime) -> bool:
        """Mark the current code used at ``at`` if it is still unused and its digest is ``digest``;
        ``True`` only for the one call that used it."""

    def count_guest_attempt(self, subject: str, at: datetime, window_start: datetime) -> int:
        """Record one attempt on ``subject`` at ``at`` and return how many attempts ``subject`` had at
        or after ``window_start``, this one included. Attempts (of any subject) older than
        ``window_start`` may be forgotten."""


@runtime_checkable
class TemplateStore(Protocol):
    """Canned responses per store and locale (every built-in backend has it; saved templates need it).

    A template is identified by ``(store_id, id, locale)``; saving one with the same identity
    replaces it. Text is kept exactly as given (any script, right-to-left included). Nothing here is
    part of a case's activity log; the checks (placeholders, permissions) happen before a backend is
    called.
    """

    def save_template(self, template: CannedResponse) -> None:
        """Insert or replace ``template`` (its ``store_id`` is set) under ``(store_id, id, locale)``."""

    def templates(self, store_id: str, *, template_id: str | None = None) -> Sequence[CannedResponse]:
        """The store's templates (only those of ``template_id`` when given), ordered by ``(id, locale)``."""

    def delete_template(self, store_id: str, template_id: str, locale: str | None = None) -> int:
        """Delete the ``locale`` version of a template (every version when ``None``); how many were deleted."""


@runtime_checkable
class DeadlineIndex(Protocol):
    """The deadline index a backend keeps for SLA sweeps (every built-in backend has it).

    A backend stores each commit's ``next_deadline`` with the case's snapshot, in the same
    transaction, indexed by ``(next_deadline, case id)``; :meth:`due` reads that index, so a sweep's
    cost follows what is due, not how many cases are open. A backend without it still stores cases;
    only :meth:`ResolveKit.due <resolvekit.sla_service.SlaCommands.due>` and
    :meth:`ResolveKit.sweep <resolvekit.sla_service.SlaCommands.sweep>` refuse to run on it.
    """

    def due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose stored next deadline is at or before ``until``, ordered by ``(deadline, case id)``.

        At most ``limit`` rows, each strictly after the ``(deadline, case id)`` pair ``after`` when
        given (keyset paging). A case whose latest commit had ``next_deadline=None`` is not listed.
        """


@runtime_checkable
class OfferIndex(Protocol):
    """The offer-work index a backend keeps for the offer worker (every built-in backend has it).

    A backend stores each commit's ``next_offer_step`` with the case's snapshot, in the same
    transaction, indexed by ``(next offer step, case id)``; :meth:`offers_due` reads that index, so
    :meth:`ResolveKit.execute_pending <resolvekit.offer_service.OfferCommands.execute_pending>` and
    :meth:`ResolveKit.expire_offers <resolvekit.offer_service.OfferCommands.expire_offers>` read the
    complaints that have offer work due, not every complaint. A backend without it still works: both
    then page through every complaint.
    """

    def offers_due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose stored next offer step is at or before ``until``, ordered by ``(step, case id)``.

        At most ``limit`` rows, each strictly after the ``(step, case id)`` pair ``after`` when given
        (keyset paging, as :meth:`DeadlineIndex.due`). A case whose latest commit had
        ``next_offer_step=None`` (and that was not rescheduled since) is not listed.
        """

    def reschedule_offers(self, case_id: str, version: int, at: datetime | None) -> bool:
        """Set the stored next offer step of the case to ``at`` (``None``: not listed), only if the case
        is still at ``version``; ``True`` when it was set.

        The offer worker calls it on a listed case that turns out to have nothing due (an entry a
        schema upgrade filled in, or one left behind): the version check keeps it from overwriting
        what a newer commit stored.
        """


@runtime_checkable
class OrderIndex(Protocol):
    """The other complaints of an order, read in one call (optional; every built-in backend has it).

    Offers are conserved per order, so proposing, accepting, imposing and executing a money offer
    reads the offers of the order's other complaints. A backend with :meth:`other_complaints`
    answers from its order index directly; without it the application pages through
    :meth:`Storage.query` filtered by the order (``kind="complaint"``), which finds the same cases.
    """

    def other_complaints(self, order_id: str, store_id: str, case_id: str) -> Sequence[Case]:
        """The complaints of store ``store_id`` about order ``order_id``, except the case ``case_id``.

        Every status, each as its latest snapshot, ordered like :meth:`Storage.query` (by
        ``(opened_at, id)`` descending); empty when the order has no other complaint.
        """


@runtime_checkable
class OutboxRetention(Protocol):
    """Deleting delivered outbox entries (every built-in backend has it).

    Delivered entries are kept until purged; :meth:`ResolveKit.purge_outbox
    <resolvekit.ResolveKit.purge_outbox>` (or ``resolvekit dispatch --purge-after DAYS``) calls
    :meth:`purge_delivered` with a cut-off. An entry not delivered yet (pending, or failed and
    waiting for its retry) is never deleted.
    """

    def purge_delivered(self, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` entries delivered strictly before ``before``; how many were deleted.

        Entries not delivered are never deleted, whatever their age. A backend deletes in bounded
        batches (oldest delivery first), so a purge never holds a long lock.
        """


def encode_cursor(case: Case) -> str:
    """The paging cursor that continues after ``case`` (ordering key ``(opened_at, id)``)."""
    return f"{case.opened_at.isoformat()}|{case.id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Split a cursor made by :func:`encode_cursor`; a malformed one is a ValidationError."""
    try:
        if not isinstance(cursor, str):
            raise ValueError(cursor)
        at, case_id = cursor.split("|", 1)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or when.utcoffset() is None:  # a naive time cannot be compared with opened_at
            raise ValueError(cursor)
        return when, case_id
    except ValueError:
        raise ValidationError(N_("The paging cursor {cursor!r} is not one resolvekit returned."), cursor=cursor) from None
