"""Cases (complaints and tickets) as the activity log folds them.

A case is never edited: :func:`apply` folds one :class:`~resolvekit.domain.events.CaseEvent` into
the case it follows, and :func:`fold` replays a whole log. What a storage backend keeps as a snapshot
must always equal ``fold(events)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from resolvekit._i18n import N_
from resolvekit.domain._build import frozen_builder, frozen_replacer
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.offers import OFFER_EVENTS, Offer, apply_offer_event
from resolvekit.domain.risk import CustomerRisk
from resolvekit.domain.values import Attachment, Order, logged_order
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

    kind: ClassVar[str]
    """``"complaint"``, ``"ticket"`` or ``"help_request"`` (a class attribute of each kind of case)."""

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

    kind: ClassVar[str] = "complaint"
    """Always ``"complaint"``."""

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

    kind: ClassVar[str] = "ticket"
    """Always ``"ticket"``."""

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

    kind: ClassVar[str] = "help_request"
    """Always ``"help_request"``."""


def _attachments(payload: Mapping[str, Any]) -> tuple[Attachment, ...]:
    files = payload.get("attachments", ())
    if not files and isinstance(files, (list, tuple)):
        return ()  # the usual case: no files
    return tuple(Attachment.from_dict(a) for a in files)


def _opened(cls: type[Case], event: CaseEvent, *own: Any, closed: bool = False) -> Case:
    """The case ``event`` opens: the fields every case has, from the payload, then ``own``, the first
    fields of ``cls`` itself. ``closed``: the case is final from the start (a help request).

    The fields go by position: keywords cost more than a microsecond per case
    (:data:`_CASE_FIELDS` says the order).
    """
    p = event.payload
    get = p.get
    at = event.at
    risk = get("customer_risk")
    return _BUILDERS[cls](
        event.case_id,
        p["store_id"],
        p["customer_id"],
        get("order_id"),
        p["status"],
        event.version,
        at,  # opened_at
        at,  # updated_at
        p["description"],
        get("customer_name", ""),
        get("order_number"),
        _attachments(p),
        (),  # messages
        at if closed else None,  # closed_at
        event.actor if closed else None,  # closed_by
        None,  # escalation
        False,  # safety_issue
        (),  # breached_clocks
        None,  # resolved_in_time
        get("customer_locale"),
        get("customer_time_zone"),
        _completed(p),  # order_completed_at
        None if risk is None else CustomerRisk.from_dict(risk),
        *own,
    )


_CASE_FIELDS = (
    "id", "store_id", "customer_id", "order_id", "status", "version", "opened_at", "updated_at", "description",
    "customer_name", "order_number", "attachments", "messages", "closed_at", "closed_by", "escalation",
    "safety_issue", "breached_clocks", "resolved_in_time", "customer_locale", "customer_time_zone",
    "order_completed_at", "customer_risk",
)  # fmt: skip
"""The fields of :class:`Case`, in the order :func:`_opened` passes them."""
assert tuple(a.name for a in attrs.fields(Case)) == _CASE_FIELDS, "update _opened for the new fields of Case"


def _completed(payload: Mapping[str, Any]) -> datetime | None:
    value = payload.get("order_completed_at") or (payload.get("order") or {}).get("completed_at")
    return None if not value else datetime.fromisoformat(value)


def _complaint_opened(case: Case | None, event: CaseEvent) -> Case:
    p = event.payload
    order = p.get("order")
    # Complaint's own fields: reason, order (offers and disputed_at keep their defaults)
    return _opened(Complaint, event, p["reason"], None if order is None else logged_order(order))


def _ticket_opened(case: Case | None, event: CaseEvent) -> Case:
    p = event.payload
    # Ticket's own fields: ticket_type, rating, routing, form_fields
    return _opened(Ticket, event, p["ticket_type"], None, p.get("routing", "merchant"), tuple(sorted(p.get("form", {}).items())))


def _help_requested(case: Case | None, event: CaseEvent) -> Case:
    p = event.payload
    # HelpRequest's own fields: outcome, rule
    return _opened(HelpRequest, event, p["outcome"], p["rule"], closed=True)


# The changes of the events that follow the opening one. Each records in ``changes`` what its event
# changes on the case; ``changes`` may already hold what earlier events of the same fold changed
# (:func:`fold` builds the case once, at the end), so a change that builds on a field reads it
# through :func:`_current`.


def _current(case: Case, changes: Mapping[str, Any], name: str) -> Any:
    """The field ``name`` as the events folded so far left it."""
    return changes[name] if name in changes else getattr(case, name)


def _message_added(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    p = event.payload
    get = p.get
    message = _build_message(
        p["message_id"],
        event.actor,
        event.at,
        p["body"],
        _attachments(p),
        bool(get("internal", False)),
        get("template"),
        get("language"),
        bool(get("no_response_needed", False)),
    )
    changes["messages"] = (*_current(case, changes, "messages"), message)


def _message_translated(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    p = event.payload
    translation = Translation(p["locale"], p["text"], event.at)
    changes["messages"] = tuple(
        attrs.evolve(m, translations=(*(t for t in m.translations if t.locale != translation.locale), translation))
        if m.id == p["message_id"]
        else m
        for m in _current(case, changes, "messages")
    )


def _offer_changed(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    assert isinstance(case, Complaint)
    changes["offers"] = apply_offer_event(_current(case, changes, "offers"), event)


def _complaint_disputed(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    _message_added(case, event, changes)
    changes["disputed_at"] = event.at


def _case_closed(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    changes["closed_at"] = event.at
    changes["closed_by"] = event.actor
    changes["resolved_in_time"] = event.payload.get("resolved_in_time")


def _case_escalated(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    p = event.payload
    changes["escalation"] = Escalation(p["reference"], event.actor, event.at, p["reason"], p.get("note"), p.get("clock"))


def _safety_issue_flagged(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    changes["safety_issue"] = True


def _clock_breached(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    clock = event.payload["clock"]
    breached = _current(case, changes, "breached_clocks")
    if clock not in breached:
        changes["breached_clocks"] = (*breached, clock)


def _ticket_rated(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    changes["rating"] = Rating(event.payload["stars"], event.payload.get("comment"), event.at)


def _no_change(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    return None


_OPENERS: dict[EventKind, Callable[[Case | None, CaseEvent], Case]] = {
    EventKind.COMPLAINT_OPENED: _complaint_opened,
    EventKind.TICKET_OPENED: _ticket_opened,
    EventKind.HELP_REQUESTED: _help_requested,
}
_CHANGES: dict[EventKind, Callable[[Case, CaseEvent, dict[str, Any]], None]] = {
    EventKind.REVIEW_PASSED: _no_change,
    EventKind.MESSAGE_ADDED: _message_added,
    EventKind.CASE_CLOSED: _case_closed,
    EventKind.TICKET_RATED: _ticket_rated,
    EventKind.COMPLAINT_DISPUTED: _complaint_disputed,
    **{kind: _offer_changed for kind in OFFER_EVENTS},
    EventKind.CASE_ESCALATED: _case_escalated,
    EventKind.SAFETY_ISSUE_FLAGGED: _safety_issue_flagged,
    EventKind.POLICY_DISPUTED: _no_change,
    EventKind.CLOCK_BREACHED: _clock_breached,
    EventKind.DEADLINE_WARNING: _no_change,
    EventKind.AUTO_CLOSE_WARNED: _no_change,
    EventKind.MESSAGE_TRANSLATED: _message_translated,
}


_CASE_CLASSES: tuple[type[Case], ...] = (Complaint, Ticket, HelpRequest)
_BUILDERS: dict[type, Callable[..., Case]] = {cls: frozen_builder(cls) for cls in _CASE_CLASSES}
"""The built-in case classes' positional constructors, without the frozen constructor's overhead."""
_REPLACERS: dict[type, Callable[[Any, dict[str, Any]], Case]] = {cls: frozen_replacer(cls) for cls in _CASE_CLASSES}
"""``attrs.evolve`` for the built-in case classes (see :func:`replace_fields`)."""
_build_message: Callable[..., Message] = frozen_builder(Message)

# Enum members bound to module names: on Python 3.11 each ``Role.X`` lookup goes through
# ``EnumType.__getattr__`` (about 0.1 us), and these run on every command.
_CUSTOMER, _MERCHANT, _MESSAGE_ADDED = Role.CUSTOMER, Role.MERCHANT, EventKind.MESSAGE_ADDED


def replace_fields(case: Case, changes: dict[str, Any]) -> Case:
    """``attrs.evolve`` for the case classes, without its per-call introspection.

    Case fields have no converters or validators (events are validated before they exist), so the
    built-in case classes are copied by generated code (one copy function per set of changed
    fields); other classes are copied slot by slot. Names that are not fields are ignored. This runs
    once per command (see :func:`fold`).
    """
    replace = _REPLACERS.get(type(case))
    if replace is not None:
        return replace(case, changes)
    new = object.__new__(type(case))
    for name in tuple(a.name for a in attrs.fields(type(case))):
        object.__setattr__(new, name, changes[name] if name in changes else getattr(case, name))
    return new


def _follow(case: Case, event: CaseEvent, changes: dict[str, Any]) -> None:
    """Record in ``changes`` what ``event``, which is not an opening event, changes on ``case`` (as
    ``changes`` already changed it)."""
    version = changes["version"] if "version" in changes else case.version
    if event.version != version + 1:
        raise ValidationError(
            N_("Event version {version} does not follow version {previous} of case {case_id}."),
            version=event.version,
            previous=version,
            case_id=event.case_id,
        )
    _CHANGES[event.kind](case, event, changes)
    changes["version"] = event.version
    changes["updated_at"] = event.at
    status = event.payload.get("status")
    if status is not None:
        changes["status"] = status


def _start(case: Case | None, event: CaseEvent) -> Case:
    """Fold an opening event (or refuse an event that cannot come first, or an opening one that comes later)."""
    expected = 1 if case is None else case.version + 1
    if event.version != expected:
        raise ValidationError(
            N_("Event version {version} does not follow version {previous} of case {case_id}."),
            version=event.version,
            previous=expected - 1,
            case_id=event.case_id,
        )
    opener = _OPENERS.get(event.kind)
    if opener is None:
        raise ValidationError(N_("Case {case_id} must start with an opening event."), case_id=event.case_id)
    if case is not None:
        raise ValidationError(N_("Case {case_id} is already open."), case_id=event.case_id)
    return opener(None, event)


def apply(case: Case | None, event: CaseEvent) -> Case:
    """Fold one event into the case it follows (``None`` before the opening event)."""
    if case is None or event.kind in _OPENERS:
        return _start(case, event)
    changes: dict[str, Any] = {}
    _follow(case, event, changes)
    return replace_fields(case, changes)


def fold(events: Iterable[CaseEvent], case: Case | None = None) -> Case | None:
    """Replay ``events`` onto ``case`` (``None`` to start from nothing); returns the resulting case.

    The same as applying the events one by one (:func:`apply`), but the changes of the events that
    follow one another are gathered and the case is rebuilt once, at the end.
    """
    changes: dict[str, Any] = {}
    for event in events:
        if case is None or event.kind in _OPENERS:
            if case is not None and changes:  # (an opening event here is refused: name the version it follows)
                case, changes = replace_fields(case, changes), {}
            case = _start(case, event)
        else:
            _follow(case, event, changes)
    return replace_fields(case, changes) if case is not None and changes else case


def customer_may_see(event: CaseEvent) -> bool:
    """Whether an event belongs in a customer's view of the activity log (internal notes do not)."""
    return not (event.kind is _MESSAGE_ADDED and event.payload.get("internal"))


def can_see(actor: Actor, case: Case) -> bool:
    """Tenancy: platform and system see every case, a merchant only its store's, a customer only theirs
    (and a customer acting through guest access only the one case it was granted for)."""
    role = actor.role
    if role is _CUSTOMER:
        return case.customer_id == actor.id and (actor.case_id is None or actor.case_id == case.id)
    if role is _MERCHANT:
        return case.store_id == actor.store_id
    return True
