"""Cases (complaints and tickets) as the activity log folds them.

A case is never edited: :func:`apply` folds one :class:`~resolvekit.domain.events.CaseEvent` into
the case it follows, and :func:`fold` replays a whole log. What a storage backend keeps as a snapshot
must always equal ``fold(events)``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.offers import OFFER_EVENTS, Offer, apply_offer_event
from resolvekit.domain.risk import CustomerRisk
from resolvekit.domain.values import Attachment, Order
from resolvekit.errors import ValidationError

__all__ = [
    "Case",
    "Complaint",
    "Escalation",
    "HelpRequest",
    "Message",
    "Rating",
    "Ticket",
    "Translation",
    "apply",
    "can_see",
    "customer_may_see",
    "fold",
    "replace_fields",
]


@attrs.frozen
class Translation:
    """A machine translation of a message into ``locale``, made when it was delivered to a reader of
    that language; the message's own ``body`` stays the original."""

    locale: str
    text: str
    at: datetime


@attrs.frozen
class Message:
    """A reply or an internal note on a case.

    ``internal`` notes are written by the merchant or the platform and never reach a customer view.
    ``template`` names the canned response the message was written from, if any. ``language`` is
    the language the author wrote in, when known; ``translations`` are machine translations made for
    readers of other languages (the ``body`` is always the original). ``no_response_needed`` marks
    a reply that expects no answer and notified nobody.
    """

    id: str
    author: Actor
    at: datetime
    body: str
    attachments: tuple[Attachment, ...] = ()
    internal: bool = False
    template: str | None = None
    language: str | None = None
    no_response_needed: bool = False
    translations: tuple[Translation, ...] = ()

    def translation(self, locale: str) -> Translation | None:
        """The translation into ``locale`` (or another locale of the same language), if one was made."""
        language = locale.replace("-", "_").split("_", 1)[0].lower()
        exact = next((t for t in self.translations if t.locale == locale), None)
        return exact or next((t for t in self.translations if t.locale.split("_", 1)[0].lower() == language), None)


@attrs.frozen
class Rating:
    """The customer's 1-5 rating of a closed ticket."""

    stars: int
    comment: str | None
    at: datetime


@attrs.frozen
class Escalation:
    """The case went to the platform: its ``reference``, who escalated it (``by``), when and why.

    ``reason`` is one of :data:`resolvekit.domain.sla.ESCALATION_REASONS`; ``clock`` names the SLA
    clock whose missed deadline escalated it, if that was the reason.
    """

    reference: str
    by: Actor
    at: datetime
    reason: str
    note: str | None = None
    clock: str | None = None


@attrs.frozen
class Case:
    """What complaints and tickets share. ``version`` is the number of events folded so far."""

    id: str
    store_id: str
    customer_id: str
    order_id: str | None
    status: str
    version: int
    opened_at: datetime
    updated_at: datetime
    description: str
    customer_name: str = ""
    order_number: str | None = None
    attachments: tuple[Attachment, ...] = ()
    messages: tuple[Message, ...] = ()
    closed_at: datetime | None = None
    closed_by: Actor | None = None
    escalation: Escalation | None = None
    safety_issue: bool = False
    breached_clocks: tuple[str, ...] = ()
    resolved_in_time: bool | None = None
    customer_locale: str | None = None
    """The language of the customer (``Customer.locale`` when the case opened)."""
    customer_time_zone: str | None = None
    """The customer's time zone (``Customer.time_zone`` when the case opened), if the host gave one."""
    order_completed_at: datetime | None = None
    """When the case's order was completed (``Order.completed_at`` when the case opened), if known."""
    customer_risk: CustomerRisk | None = None
    """The host's risk verdict on the customer when the case opened (staff only; never in a customer's view)."""

    @property
    def kind(self) -> str:
        """``"complaint"`` or ``"ticket"``."""
        raise NotImplementedError

    @property
    def is_closed(self) -> bool:
        """Whether the case reached its final status."""
        return self.closed_at is not None

    def public_messages(self) -> tuple[Message, ...]:
        """The messages a customer may see (no internal notes)."""
        return tuple(m for m in self.messages if not m.internal)


@attrs.frozen
class Complaint(Case):
    """A customer's formal complaint about an order (DOMAIN section 2).

    ``order`` is the order as the host described it when the complaint was opened (what was paid,
    item by item); ``offers`` are the resolution offers made on the complaint, oldest first;
    ``disputed_at`` is when the merchant last answered that the complaint is not valid.
    """

    reason: str = ""
    order: Order | None = None
    offers: tuple[Offer, ...] = ()
    disputed_at: datetime | None = None

    @property
    def kind(self) -> str:
        """Always ``"complaint"``."""
        return "complaint"

    def offer(self, offer_id: str) -> Offer | None:
        """The offer with this id, or ``None``."""
        for offer in self.offers:
            if offer.id == offer_id:
                return offer
        return None


@attrs.frozen
class Ticket(Case):
    """A self-service ticket (DOMAIN section 3).

    ``ticket_type`` names its :class:`~resolvekit.domain.ticket_types.TicketType`; ``routing`` is who
    handles it (``"merchant"`` or ``"platform"``); ``form_fields`` are the cleaned form fields as
    ``(name, value)`` pairs (also as a dict through :attr:`form`).
    """

    ticket_type: str = ""
    rating: Rating | None = None
    routing: str = "merchant"
    form_fields: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        """Always ``"ticket"``."""
        return "ticket"

    @property
    def form(self) -> dict[str, str]:
        """The ticket's form fields by name."""
        return dict(self.form_fields)


@attrs.frozen
class HelpRequest(Case):
    """A self-service help request the delayed-order triage answered at once, without a ticket.

    It records that the customer asked about ``order_id`` and what they were sent (``outcome``: the
    tracking link or the order details) by which triage ``rule``; the notification travels through
    the outbox with it. It is final from the start (status ``answered``): nothing can be added.
    """

    outcome: str = ""
    rule: str = ""

    @property
    def kind(self) -> str:
        """Always ``"help_request"``."""
        return "help_request"


def _attachments(payload: Mapping[str, Any]) -> tuple[Attachment, ...]:
    return tuple(Attachment.from_dict(a) for a in payload.get("attachments", ()))


def _opened(cls: type[Case], event: CaseEvent, **extra: Any) -> Case:
    p = event.payload
    return cls(
        id=event.case_id,
        store_id=p["store_id"],
        customer_id=p["customer_id"],
        order_id=p.get("order_id"),
        status=p["status"],
        version=event.version,
        opened_at=event.at,
        updated_at=event.at,
        description=p["description"],
        customer_name=p.get("customer_name", ""),
        order_number=p.get("order_number"),
        attachments=_attachments(p),
        customer_locale=p.get("customer_locale"),
        customer_time_zone=p.get("customer_time_zone"),
        order_completed_at=_completed(p),
        customer_risk=None if p.get("customer_risk") is None else CustomerRisk.from_dict(p["customer_risk"]),
        **extra,
    )


def _completed(payload: Mapping[str, Any]) -> datetime | None:
    value = payload.get("order_completed_at") or (payload.get("order") or {}).get("completed_at")
    return None if not value else datetime.fromisoformat(value)


def _complaint_opened(case: Case | None, event: CaseEvent) -> Case:
    order = event.payload.get("order")
    return _opened(Complaint, event, reason=event.payload["reason"], order=None if order is None else Order.from_dict(order))


def _ticket_opened(case: Case | None, event: CaseEvent) -> Case:
    p = event.payload
    return _opened(
        Ticket,
        event,
        ticket_type=p["ticket_type"],
        routing=p.get("routing", "merchant"),
        form_fields=tuple(sorted(p.get("form", {}).items())),
    )


def _help_requested(case: Case | None, event: CaseEvent) -> Case:
    p = event.payload
    return _opened(HelpRequest, event, outcome=p["outcome"], rule=p["rule"], closed_at=event.at, closed_by=event.actor)


def _message_added(case: Case, event: CaseEvent) -> dict[str, Any]:
    p = event.payload
    message = Message(
        id=p["message_id"],
        author=event.actor,
        at=event.at,
        body=p["body"],
        attachments=_attachments(p),
        internal=bool(p.get("internal", False)),
        template=p.get("template"),
        language=p.get("language"),
        no_response_needed=bool(p.get("no_response_needed", False)),
    )
    return {"messages": (*case.messages, message)}


def _message_translated(case: Case, event: CaseEvent) -> dict[str, Any]:
    p = event.payload
    translation = Translation(p["locale"], p["text"], event.at)
    messages = tuple(
        attrs.evolve(m, translations=(*(t for t in m.translations if t.locale != translation.locale), translation))
        if m.id == p["message_id"]
        else m
        for m in case.messages
    )
    return {"messages": messages}


def _offer_changed(case: Case, event: CaseEvent) -> dict[str, Any]:
    assert isinstance(case, Complaint)
    return {"offers": apply_offer_event(case.offers, event)}


def _complaint_disputed(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {**_message_added(case, event), "disputed_at": event.at}


def _case_closed(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"closed_at": event.at, "closed_by": event.actor, "resolved_in_time": event.payload.get("resolved_in_time")}


def _case_escalated(case: Case, event: CaseEvent) -> dict[str, Any]:
    p = event.payload
    return {"escalation": Escalation(p["reference"], event.actor, event.at, p["reason"], p.get("note"), p.get("clock"))}


def _clock_breached(case: Case, event: CaseEvent) -> dict[str, Any]:
    clock = event.payload["clock"]
    return {} if clock in case.breached_clocks else {"breached_clocks": (*case.breached_clocks, clock)}


def _ticket_rated(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"rating": Rating(event.payload["stars"], event.payload.get("comment"), event.at)}


def _no_change(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {}


_OPENERS: dict[EventKind, Callable[[Case | None, CaseEvent], Case]] = {
    EventKind.COMPLAINT_OPENED: _complaint_opened,
    EventKind.TICKET_OPENED: _ticket_opened,
    EventKind.HELP_REQUESTED: _help_requested,
}
_CHANGES: dict[EventKind, Callable[[Case, CaseEvent], dict[str, Any]]] = {
    EventKind.REVIEW_PASSED: _no_change,
    EventKind.MESSAGE_ADDED: _message_added,
    EventKind.CASE_CLOSED: _case_closed,
    EventKind.TICKET_RATED: _ticket_rated,
    EventKind.COMPLAINT_DISPUTED: _complaint_disputed,
    **{kind: _offer_changed for kind in OFFER_EVENTS},
    EventKind.CASE_ESCALATED: _case_escalated,
    EventKind.SAFETY_ISSUE_FLAGGED: lambda case, event: {"safety_issue": True},
    EventKind.POLICY_DISPUTED: _no_change,
    EventKind.CLOCK_BREACHED: _clock_breached,
    EventKind.DEADLINE_WARNING: _no_change,
    EventKind.AUTO_CLOSE_WARNED: _no_change,
    EventKind.MESSAGE_TRANSLATED: _message_translated,
}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(a.name for a in attrs.fields(cls)) for cls in (Complaint, Ticket, HelpRequest)
}
_FIELD_PLANS: dict[type, tuple[operator.attrgetter[Any], dict[str, int]]] = {
    cls: (operator.attrgetter(*names), {name: index for index, name in enumerate(names)})
    for cls, names in _FIELD_NAMES.items()
}


def replace_fields(case: Case, changes: dict[str, Any]) -> Case:
    """``attrs.evolve`` for the case classes, without its per-call introspection.

    Case fields have no converters or validators (events are validated before they exist), so the
    built-in case classes are rebuilt positionally from all their values at once; other classes are
    copied slot by slot. This runs once per event on every command.
    """
    cls = type(case)
    plan = _FIELD_PLANS.get(cls)
    if plan is not None:
        values = list(plan[0](case))
        positions = plan[1]
        for name, value in changes.items():
            index = positions.get(name)
            if index is not None:  # like the slot-by-slot copy, names that are not fields are ignored
                values[index] = value
        return cls(*values)
    new = object.__new__(cls)
    for name in tuple(a.name for a in attrs.fields(cls)):
        object.__setattr__(new, name, changes[name] if name in changes else getattr(case, name))
    return new


def apply(case: Case | None, event: CaseEvent) -> Case:
    """Fold one event into the case it follows (``None`` before the opening event)."""
    expected = 1 if case is None else case.version + 1
    if event.version != expected:
        raise ValidationError(
            N_("Event version {version} does not follow version {previous} of case {case_id}."),
            version=event.version,
            previous=expected - 1,
            case_id=event.case_id,
        )
    opener = _OPENERS.get(event.kind)
    if opener is not None:
        if case is not None:
            raise ValidationError(N_("Case {case_id} is already open."), case_id=event.case_id)
        return opener(None, event)
    if case is None:
        raise ValidationError(N_("Case {case_id} must start with an opening event."), case_id=event.case_id)
    changes = _CHANGES[event.kind](case, event)
    changes["version"] = event.version
    changes["updated_at"] = event.at
    status = event.payload.get("status")
    if status is not None:
        changes["status"] = status
    return replace_fields(case, changes)


def fold(events: Iterable[CaseEvent], case: Case | None = None) -> Case | None:
    """Replay ``events`` onto ``case`` (``None`` to start from nothing); returns the resulting case."""
    for event in events:
        case = apply(case, event)
    return case


def customer_may_see(event: CaseEvent) -> bool:
    """Whether an event belongs in a customer's view of the activity log (internal notes do not)."""
    return not (event.kind is EventKind.MESSAGE_ADDED and event.payload.get("internal"))


def can_see(actor: Actor, case: Case) -> bool:
    """Tenancy: platform and system see every case, a merchant only its store's, a customer only theirs
    (and a customer acting through guest access only the one case it was granted for)."""
    role = actor.role
    if role is Role.CUSTOMER:
        return case.customer_id == actor.id and (actor.case_id is None or actor.case_id == case.id)
    if role is Role.MERCHANT:
        return case.store_id == actor.store_id
    return True
