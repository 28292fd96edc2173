"""Events: the append-only facts a case's activity log is made of."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from resolvekit.domain._build import frozen_builder
from resolvekit.domain.actors import Actor

__all__ = ["CaseEvent", "EventKind"]


class EventKind(enum.StrEnum):
    """What happened. Each accepted command appends one or more of these."""

    COMPLAINT_OPENED = "complaint_opened"
    TICKET_OPENED = "ticket_opened"
    HELP_REQUESTED = "help_requested"
    """A customer asked for help about an order and the delayed-order triage answered at once (a
    tracking link or the order details, no ticket); the payload carries the triage decision."""
    REVIEW_PASSED = "review_passed"
    MESSAGE_ADDED = "message_added"
    CASE_CLOSED = "case_closed"
    TICKET_RATED = "ticket_rated"
    COMPLAINT_DISPUTED = "complaint_disputed"
    """The merchant answered that the complaint is not valid (explanation and evidence)."""
    OFFER_PROPOSED = "offer_proposed"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_REJECTED = "offer_rejected"
    OFFER_WITHDRAWN = "offer_withdrawn"
    OFFER_EXPIRED = "offer_expired"
    OFFER_EXECUTION_STARTED = "offer_execution_started"
    OFFER_STEP_DONE = "offer_step_done"
    """One execution step succeeded; the payload carries the host's reference and the money moved."""
    OFFER_AWAITING_RETURN = "offer_awaiting_return"
    RETURN_RECEIVED = "return_received"
    OFFER_EXECUTED = "offer_executed"
    OFFER_FAILED = "offer_failed"
    OFFER_CANCELLED = "offer_cancelled"
    """The platform gave up on an accepted or failed offer (payload: offer_id, reason, the steps
    already completed); its money is no longer held against the order and it is never executed."""
    CASE_ESCALATED = "case_escalated"
    """The case went to the platform; the payload has the reference, the reason and, for a missed
    deadline, the clock. The actor is who escalated it (``system`` for the automatic rules)."""
    SAFETY_ISSUE_FLAGGED = "safety_issue_flagged"
    POLICY_DISPUTED = "policy_disputed"
    CLOCK_BREACHED = "clock_breached"
    """A sweep recorded that an SLA clock missed its deadline (payload: clock, cycle, deadline)."""
    DEADLINE_WARNING = "deadline_warning"
    AUTO_CLOSE_WARNED = "auto_close_warned"
    MESSAGE_TRANSLATED = "message_translated"
    """A message gained a machine translation for a reader of another language (payload: message_id,
    locale, text, source_locale); the original stays as written."""


def _event_kind(value: str) -> EventKind:
    """``EventKind(value)``, without the enum's lookup when ``value`` already is one (as for every event
    the commands make; events are built on every command)."""
    return value if isinstance(value, EventKind) else EventKind(value)


@attrs.frozen(hash=False)
class CaseEvent:
    """One entry of a case's activity log.

    ``version`` counts the case's events from 1 without gaps; ``payload`` holds only JSON-ready
    values (strings, numbers, booleans, ``None``, lists and dicts of them) so every storage backend
    can keep it as it is. An event that changes the case's status carries the new one as
    ``payload["status"]``.
    """

    case_id: str
    version: int
    kind: EventKind = attrs.field(converter=_event_kind)
    actor: Actor
    at: datetime
    payload: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data."""
        return {
            "case_id": self.case_id,
            "version": self.version,
            "kind": self.kind.value,
            "actor": self.actor.to_dict(),
            "at": self.at.isoformat(),
            "payload": dict(self.payload),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseEvent:
        """Rebuild an event written by :meth:`to_dict`."""
        return cls(
            case_id=data["case_id"],
            version=int(data["version"]),
            kind=EventKind(data["kind"]),
            actor=Actor.from_dict(data["actor"]),
            at=datetime.fromisoformat(data["at"]),
            payload=data["payload"],
        )


new_event: Callable[[str, int, EventKind, Actor, datetime, Mapping[str, Any]], CaseEvent] = frozen_builder(CaseEvent, trusted=("kind",))
"""``CaseEvent(case_id, version, kind, actor, at, payload)`` for a ``kind`` that already is an
:class:`EventKind` (as in every command), built without the frozen constructor's overhead."""
