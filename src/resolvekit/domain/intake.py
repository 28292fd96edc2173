"""Self-service intake commands: pure decide functions for typed tickets and help requests.

Like :mod:`resolvekit.domain.commands`, each function takes what it needs (the actor, the customer,
the order, the ticket type or the triage decision, the policy and the current time) and returns the
events to append, or raises. Nothing is written here, so a refused request leaves no trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.policy import Policy
from resolvekit.domain.security import attachment_data
from resolvekit.domain.ticket_types import TicketType
from resolvekit.domain.triage import TriageDecision
from resolvekit.domain.values import Attachment, Customer, Order, Store, opening_details
from resolvekit.errors import OrderNotFound, PermissionDenied, SelfServiceDisabled, ValidationError

__all__ = [
    "ANSWERED",
    "TRIAGE_ACTOR",
    "answer_help_request",
    "check_intake",
    "check_order",
    "open_automatic_ticket",
    "open_typed_ticket",
    "order_details",
]

ANSWERED = "answered"
"""The status of a help request: answered at once (it is final)."""

TRIAGE_ACTOR = Actor.system("triage")
"""The actor of what the delayed-order triage does by itself (opening a ticket automatically)."""


def check_intake(actor: Actor, customer: Customer | None, store: Store | None, action: str) -> None:
    """Who may use self-service at a store: a logged-in customer, as themself, where it is enabled.

    ``customer`` (when given) must be the acting customer; ``store`` (when given) must have
    enabled self-service (:class:`~resolvekit.errors.SelfServiceDisabled` otherwise).
    """
    if not isinstance(actor, Actor) or actor.role is not Role.CUSTOMER:
        role = actor.role.value if isinstance(actor, Actor) else type(actor).__name__
        raise PermissionDenied(role=role, action=action)
    if customer is not None and (not isinstance(customer, Customer) or customer.id != actor.id):
        raise ValidationError(N_("The customer of a self-service request must be the acting customer."))
    if store is not None:
        if not isinstance(store, Store):
            raise ValidationError(N_("{field} must be a Store, not {type}."), field="store", type=type(store).__name__)
        if not store.self_service_enabled:
            raise SelfServiceDisabled(store_id=store.id)


def check_order(actor: Actor, order: Order | None, store_id: str, order_id: object = None) -> Order:
    """The order, if it is the acting customer's at this store; otherwise :class:`OrderNotFound`.

    A missing order and another customer's (or another store's) order get the same error, so a
    customer cannot learn which order ids exist.
    """
    if not isinstance(order, Order) or order.customer_id != actor.id or order.store_id != store_id:
        shown = order_id if order_id is not None else (order.id if isinstance(order, Order) else None)
        raise OrderNotFound(order_id=shown)
    return order


def _attachments(attachments: Sequence[Attachment], policy: Policy) -> list[dict[str, Any]]:
    if isinstance(attachments, (str, bytes, Attachment)) or not isinstance(attachments, Iterable):
        raise ValidationError(N_("Attachments must be a list of Attachment values, not {type}."), type=type(attachments).__name__)
    items = list(attachments)
    if len(items) > policy.max_attachments:
        raise ValidationError(
            N_("{count} attachments were sent; at most {limit} fit on one message."), count=len(items), limit=policy.max_attachments
        )
    for item in items:
        if not isinstance(item, Attachment):
            raise ValidationError(N_("Attachments must be Attachment values, not {type}."), type=type(item).__name__)
    return [attachment_data(a, policy) for a in items]


def open_typed_ticket(
    *,
    case_id: str,
    actor: Actor,
    store_id: str,
    customer: Customer,
    ticket_type: TicketType,
    fields: Mapping[str, object] | None = None,
    description: object = "",
    order: Order | None = None,
    attachments: Sequence[Attachment] = (),
    now: datetime,
    policy: Policy,
    triage: TriageDecision | None = None,
) -> list[CaseEvent]:
    """A customer opens a ticket of ``ticket_type`` at a store: the form is checked, the ticket
    starts in the type's initial status and is routed to the merchant or the platform.
    """
    if not isinstance(customer, Customer):
        raise ValidationError(N_("{field} must be a Customer, not {type}."), field="customer", type=type(customer).__name__)
    check_intake(actor, customer, None, N_("open a ticket"))
    if order is not None:
        check_order(actor, order, store_id)
    form, text = ticket_type.clean(fields=fields, description=description, order=order, attachments=attachments, policy=policy)
    payload: dict[str, Any] = {
        "store_id": store_id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "order_id": order.id if order else None,
        "order_number": order.display_number if order else None,
        "ticket_type": ticket_type.name,
        "description": text,
        "attachments": _attachments(attachments, policy),
        "status": ticket_type.initial_status,
        "routing": ticket_type.routing.value,
        "form": form,
        "origin": "customer",
        **opening_details(customer, order),
    }
    if triage is not None:
        payload["triage"] = triage.to_dict()
    return [CaseEvent(case_id, 1, EventKind.TICKET_OPENED, actor, now, payload)]


def open_automatic_ticket(
    *,
    case_id: str,
    customer: Customer,
    order: Order,
    ticket_type: TicketType,
    decision: TriageDecision,
    now: datetime,
) -> list[CaseEvent]:
    """The triage opens a ticket by itself (table case 2): no form, the decision is its description."""
    payload: dict[str, Any] = {
        "store_id": order.store_id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "order_id": order.id,
        "order_number": order.display_number,
        "ticket_type": ticket_type.name,
        "description": "",
        "attachments": [],
        "status": ticket_type.initial_status,
        "routing": ticket_type.routing.value,
        "form": {},
        "origin": "automatic",
        "triage": decision.to_dict(),
        "tracking_url": order.tracking_url,
        "order_status": order.status,
        **opening_details(customer, order),
    }
    return [CaseEvent(case_id, 1, EventKind.TICKET_OPENED, TRIAGE_ACTOR, now, payload)]


def order_details(order: Order) -> dict[str, Any]:
    """What the "send the order details" outcome tells the customer, as JSON-ready data."""
    return {
        "number": order.display_number,
        "status": order.status,
        "placed_at": order.created_at.isoformat(),
        "total_paid": str(order.total_paid),
        "currency": order.currency,
        "items": [{"name": item.name, "quantity": item.quantity, "unit_price": str(item.unit_price)} for item in order.items],
        "tracking_url": order.tracking_url,
    }


def answer_help_request(
    *,
    case_id: str,
    actor: Actor,
    customer: Customer,
    order: Order,
    decision: TriageDecision,
    now: datetime,
) -> list[CaseEvent]:
    """Record a help request the triage answered without a ticket (send the tracking link or the
    order details); the notification to the customer is queued with it.
    """
    payload: dict[str, Any] = {
        "store_id": order.store_id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "order_id": order.id,
        "order_number": order.display_number,
        "description": "",
        "status": ANSWERED,
        "outcome": decision.outcome.value,
        "rule": decision.rule,
        "triage": decision.to_dict(),
        "order": order_details(order),
        **opening_details(customer, order),
    }
    return [CaseEvent(case_id, 1, EventKind.HELP_REQUESTED, actor, now, payload)]
