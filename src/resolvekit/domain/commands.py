"""Commands: the rules that turn a request into events, or refuse it.

Each function here is pure. It takes the case as it is now (``None`` for an opening command), the
actor, the policy and the current time, and returns the events to append, or raises a
:class:`~resolvekit.errors.ResolveKitError` subclass. Nothing is written by this module, so a
refused command cannot leave a trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, Complaint, Ticket
from resolvekit.domain.events import CaseEvent, EventKind, new_event
from resolvekit.domain.free_text import screen_text
from resolvekit.domain.policy import Policy
from resolvekit.domain.security import attachment_data
from resolvekit.domain.templates import CannedResponse
from resolvekit.domain.transitions import ACTIONS, lifecycle_for
from resolvekit.domain.values import Attachment, Customer, Order, opening_details
from resolvekit.errors import (
    InvalidTransition,
    OrderNotFound,
    PermissionDenied,
    ValidationError,
)

__all__ = [
    "add_note",
    "close",
    "open_complaint",
    "open_ticket",
    "pass_review",
    "rate",
    "reply",
    "reply_canned",
]

_REPLY_EVENT = {
    ("complaint", Role.CUSTOMER): "customer_reply",
    ("complaint", Role.MERCHANT): "merchant_reply",
    ("complaint", Role.PLATFORM): "platform_reply",
    ("ticket", Role.CUSTOMER): "customer_reply",
    ("ticket", Role.MERCHANT): "merchant_reply",
    ("ticket", Role.PLATFORM): "merchant_reply",
    # a help request is final from the start: these meet its lifecycle's "closed is final"
    ("help_request", Role.CUSTOMER): "customer_reply",
    ("help_request", Role.MERCHANT): "merchant_reply",
    ("help_request", Role.PLATFORM): "merchant_reply",
}


def _text(value: object, field: str, policy: Policy) -> str:
    if not isinstance(value, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field=field, type=type(value).__name__)
    text = value.strip()
    if not text:
        raise ValidationError(N_("{field} is empty; write a message."), field=field)
    if len(text) > policy.max_message_length:
        raise ValidationError(
            N_("{field} has {length} characters; the limit is {limit}. Shorten it or split it into several replies."),
            field=field,
            length=len(text),
            limit=policy.max_message_length,
        )
    return screen_text(text, field, policy)


def _attachments(attachments: Iterable[Attachment], policy: Policy) -> list[dict[str, Any]]:
    if (attachments.__class__ is tuple or attachments.__class__ is list) and not attachments:  # the usual case: no files
        return []
    if isinstance(attachments, (str, bytes, Attachment)) or not isinstance(attachments, Iterable):
        raise ValidationError(N_("Attachments must be a list of Attachment values, not {type}."), type=type(attachments).__name__)
    items = list(attachments)
    if len(items) > policy.max_attachments:
        raise ValidationError(
            N_("{count} attachments were sent; at most {limit} fit on one message."),
            count=len(items),
            limit=policy.max_attachments,
        )
    for item in items:
        if not isinstance(item, Attachment):
            raise ValidationError(N_("Attachments must be Attachment values, not {type}."), type=type(item).__name__)
    return [attachment_data(a, policy) for a in items]


_event = new_event

# Enum members bound to module names: on Python 3.11 each ``Role.X`` lookup goes through
# ``EnumType.__getattr__`` (about 0.1 us), and these run on every command.
_CUSTOMER = Role.CUSTOMER
_COMPLAINT_OPENED, _REVIEW_PASSED, _MESSAGE_ADDED = EventKind.COMPLAINT_OPENED, EventKind.REVIEW_PASSED, EventKind.MESSAGE_ADDED


def _transition(case: Case, event: str, actor: Actor, policy: Policy, payload: dict[str, Any]) -> dict[str, Any]:
    """Fire ``event`` on the case's lifecycle; record the new status in ``payload`` when it changes."""
    target = lifecycle_for(case.kind).fire(case.status, event, actor.role, policy, case_id=case.id)
    if target != case.status:
        payload["status"] = target
    return payload


def _only_kind(case: Case, kind: type[Case], event: str) -> None:
    if not isinstance(case, kind):
        raise InvalidTransition(action=ACTIONS[event], kind=case.kind, status=case.status)


def open_complaint(
    *,
    case_id: str,
    actor: Actor,
    order: Order,
    customer: Customer,
    reason: str,
    description: str,
    attachments: Sequence[Attachment] = (),
    declaration_accepted: bool,
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """A customer opens a complaint about one of their orders (DOMAIN section 2)."""
    if actor.role is not _CUSTOMER:
        raise PermissionDenied(role=actor.role.value, action=N_("open a complaint"))
    if not isinstance(order, Order) or not isinstance(customer, Customer):
        raise ValidationError(N_("A complaint needs the Order and the Customer as the host describes them."))
    if not isinstance(reason, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field="reason", type=type(reason).__name__)
    if order.customer_id != actor.id or customer.id != actor.id:
        raise OrderNotFound(order_id=order.id)
    if not isinstance(reason, str) or reason not in policy.complaint_reasons:
        raise ValidationError(
            N_("Unknown complaint reason {reason!r}; choose one of {allowed}."),
            reason=reason,
            allowed=", ".join(sorted(policy.complaint_reasons)),
        )
    if declaration_accepted is not True:
        raise ValidationError(N_("The customer must agree to the declaration before the complaint is sent."))
    payload: dict[str, Any] = {
        "store_id": order.store_id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "order_id": order.id,
        "order_number": order.display_number,
        "order": order.to_dict(),
        "reason": reason,
        "description": _text(description, "description", policy),
        "attachments": _attachments(attachments, policy),
        "status": lifecycle_for("complaint").initial,
        **opening_details(customer, order),
    }
    events = [_event(case_id, 1, _COMPLAINT_OPENED, actor, now, payload)]
    if not policy.complaint_platform_review:
        target = lifecycle_for("complaint").fire(payload["status"], "pass_review", Role.SYSTEM, policy, case_id=case_id)
        events.append(_event(case_id, 2, EventKind.REVIEW_PASSED, Actor.system(), now, {"status": target, "note": None}))
    return events


def open_ticket(
    *,
    case_id: str,
    actor: Actor,
    store_id: str,
    customer: Customer,
    ticket_type: str,
    description: str,
    order: Order | None = None,
    attachments: Sequence[Attachment] = (),
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """A logged-in customer opens a self-service ticket at a store (DOMAIN section 3)."""
    if actor.role is not Role.CUSTOMER:
        raise PermissionDenied(role=actor.role.value, action=N_("open a ticket"))
    if customer.id != actor.id:
        raise ValidationError(N_("The customer opening a ticket must be the acting customer."))
    if order is not None and (order.customer_id != actor.id or order.store_id != store_id):
        raise OrderNotFound(order_id=order.id)
    if not isinstance(ticket_type, str) or not ticket_type.strip():
        raise ValidationError(N_("A ticket needs a ticket type."))
    payload = {
        "store_id": store_id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "order_id": order.id if order else None,
        "order_number": order.display_number if order else None,
        "ticket_type": ticket_type,
        "description": _text(description, "description", policy),
        "attachments": _attachments(attachments, policy),
        "status": lifecycle_for("ticket").initial,
        **opening_details(customer, order),
    }
    return [_event(case_id, 1, EventKind.TICKET_OPENED, actor, now, payload)]


def _message(
    case: Case,
    actor: Actor,
    event: str,
    body: str,
    attachments: Iterable[Attachment],
    *,
    internal: bool,
    template: str | None,
    now: datetime,
    policy: Policy,
    language: str | None = None,
    no_response_needed: bool = False,
) -> list[CaseEvent]:
    version = case.version + 1
    payload: dict[str, Any] = {
        "message_id": f"{case.id}/{version}",
        "body": _text(body, "body", policy),
        "attachments": _attachments(attachments, policy),
        "internal": internal,
        "template": template,
    }
    if language is not None:
        if not isinstance(language, str) or not language.strip():
            raise ValidationError(N_("A message's language is a locale tag such as 'ar' or 'pt_BR', got {value!r}."), value=language)
        payload["language"] = language
    if no_response_needed:
        payload["no_response_needed"] = True
    _transition(case, event, actor, policy, payload)
    return [_event(case.id, version, _MESSAGE_ADDED, actor, now, payload)]


def _reply_event(case: Case, actor: Actor) -> str:
    event = _REPLY_EVENT.get((case.kind, actor.role))
    if event is None:
        raise PermissionDenied(role=actor.role.value, action=N_("reply"))
    return event


def reply(
    case: Case,
    actor: Actor,
    body: str,
    attachments: Sequence[Attachment] = (),
    *,
    now: datetime,
    policy: Policy,
    language: str | None = None,
    no_response_needed: bool = False,
) -> list[CaseEvent]:
    """A customer, merchant or platform reply; the other side is notified (unless ``no_response_needed``).

    ``language`` is the language the reply is written in, when the caller knows it.
    """
    return _message(
        case, actor, _reply_event(case, actor), body, attachments, internal=False, template=None, now=now, policy=policy,
        language=language, no_response_needed=no_response_needed,
    )  # fmt: skip


def add_note(case: Case, actor: Actor, body: str, attachments: Sequence[Attachment] = (), *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """An internal note by the merchant or platform; customers never see it."""
    return _message(case, actor, "add_note", body, attachments, internal=True, template=None, now=now, policy=policy)


def reply_canned(
    case: Case,
    actor: Actor,
    template: CannedResponse,
    *,
    store_name: str = "",
    now: datetime,
    policy: Policy,
    values: Mapping[str, str] | None = None,
    no_response_needed: bool = False,
) -> list[CaseEvent]:
    """A staff reply written from a canned response, personalised with the case's details.

    ``values`` fills the placeholders the case does not know (amounts and deadlines, already
    formatted for the template's locale); the reply's language is the template's.
    """
    if actor.role not in (Role.MERCHANT, Role.PLATFORM):
        raise PermissionDenied(role=actor.role.value, action=N_("reply with a canned response"))
    if not isinstance(template, CannedResponse) or not isinstance(store_name, str):
        raise ValidationError(N_("A canned reply needs a CannedResponse and the store name as text."))
    filled: dict[str, str] = {
        **(values or {}),
        "customer_name": case.customer_name,
        "order_number": case.order_number or "",
        "case_id": case.id,
        "store_name": store_name,
    }
    body = template.render(filled)
    return _message(
        case, actor, _reply_event(case, actor), body, (), internal=False, template=template.id, now=now, policy=policy,
        language=template.locale if template.store_id is not None else None, no_response_needed=no_response_needed,
    )  # fmt: skip


def pass_review(case: Case, actor: Actor, note: str | None = None, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The platform's review outcome: the complaint is valid and passes to the merchant."""
    _only_kind(case, Complaint, "pass_review")
    payload: dict[str, Any] = {"note": None if note is None else _text(note, "note", policy)}
    _transition(case, "pass_review", actor, policy, payload)
    return [_event(case.id, case.version + 1, _REVIEW_PASSED, actor, now, payload)]


def _confirmation(actor: Actor, confirmed: bool, policy: Policy) -> None:
    if policy.close_requires_confirmation and actor.role is _CUSTOMER and confirmed is not True:
        raise ValidationError(N_("Closing needs the customer's confirmation; ask them to confirm, then send confirmed=True."))


def close(case: Case, actor: Actor, *, confirmed: bool = False, now: datetime, policy: Policy) -> list[CaseEvent]:
    """Close the case (by default only the customer may, after confirming). Closed is final."""
    payload = _transition(case, "close", actor, policy, {"resolution": None})
    _confirmation(actor, confirmed, policy)
    return [_event(case.id, case.version + 1, EventKind.CASE_CLOSED, actor, now, payload)]


def rate(case: Case, actor: Actor, stars: int, comment: str | None = None, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The customer rates a closed ticket from 1 to 5 stars, once."""
    if not isinstance(case, Ticket):
        raise InvalidTransition(action=ACTIONS["rate"], kind=case.kind, status=case.status)
    if actor.role is not Role.CUSTOMER:
        raise PermissionDenied(role=actor.role.value, action=ACTIONS["rate"])
    if not case.is_closed:
        raise InvalidTransition(action=ACTIONS["rate"], kind=case.kind, status=case.status)
    if case.rating is not None:
        raise ValidationError(N_("Ticket {case_id} is already rated."), case_id=case.id)
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise ValidationError(N_("A rating is a whole number of stars from 1 to 5, got {stars!r}."), stars=stars)
    payload = {"stars": stars, "comment": None if comment is None else _text(comment, "comment", policy)}
    return [_event(case.id, case.version + 1, EventKind.TICKET_RATED, actor, now, payload)]
