"""Which notifications an accepted command produces, and for whom.

Notifications are computed here, purely, and written to the outbox in the same transaction as the
events; a dispatcher delivers them later. Each has a stable ``key`` per (event, recipient, channel)
so the receiving side can drop a duplicate delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from resolvekit._i18n import N_, render
from resolvekit.domain.actors import Role
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.sla import SLA_EVENTS, sla_params

__all__ = ["Notification", "Recipient", "notifications_for"]


@attrs.frozen
class Recipient:
    """Who a notification is for: a customer (by customer id), a store's merchants (by store id) or the platform team."""

    role: Role = attrs.field(converter=Role)
    id: str


@attrs.frozen(hash=False)
class Notification:
    """One message to one recipient on one channel, about one event.

    ``subject`` and ``body`` are gettext ids whose ``{named}`` placeholders are filled from
    ``params`` when the message is rendered for the recipient's locale.
    """

    key: str
    case_id: str
    event_version: int
    event_kind: str
    recipient: Recipient
    channel: str
    subject: str
    body: str
    params: Mapping[str, Any] = attrs.field(factory=dict)

    def render(self, locale: str = "en") -> tuple[str, str]:
        """The subject and body in ``locale``."""
        return render(self.subject, self.params, locale), render(self.body, self.params, locale)

    def to_dict(self) -> dict[str, Any]:
        """The notification as JSON-ready data."""
        return {
            "key": self.key,
            "case_id": self.case_id,
            "event_version": self.event_version,
            "event_kind": self.event_kind,
            "recipient": {"role": self.recipient.role.value, "id": self.recipient.id},
            "channel": self.channel,
            "subject": self.subject,
            "body": self.body,
            "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        """Rebuild a notification written by :meth:`to_dict`."""
        recipient = data["recipient"]
        return cls(
            key=data["key"],
            case_id=data["case_id"],
            event_version=int(data["event_version"]),
            event_kind=data["event_kind"],
            recipient=Recipient(recipient["role"], recipient["id"]),
            channel=data["channel"],
            subject=data["subject"],
            body=data["body"],
            params=data["params"],
        )


_CUSTOMER, _MERCHANT, _PLATFORM = Role.CUSTOMER, Role.MERCHANT, Role.PLATFORM

# (event kind, author role or None for any) -> [(recipient role, subject id, body id)]
_RULES: dict[EventKind, list[tuple[Role, str, str]]] = {
    EventKind.COMPLAINT_OPENED: [
        (_CUSTOMER, N_("Complaint {case_id} received"), N_("We received your complaint about order {order_number}. Keep your complaint number {case_id} to follow it up.")),
        (_PLATFORM, N_("New complaint {case_id} to review"), N_("A complaint about order {order_number} awaits platform review.")),
    ],
    EventKind.TICKET_OPENED: [
        (_CUSTOMER, N_("Ticket {case_id} received"), N_("Your ticket is under the merchant's review.")),
        (_MERCHANT, N_("New ticket {case_id}"), N_("{customer_name} opened a ticket: {description}")),
    ],
    EventKind.REVIEW_PASSED: [
        (_MERCHANT, N_("Complaint {case_id} awaits your response"), N_("A complaint about order {order_number} passed review and awaits your response.")),
        (_CUSTOMER, N_("Complaint {case_id} passed review"), N_("Your complaint was passed to the merchant.")),
    ],
    EventKind.OFFER_PROPOSED: [
        (_CUSTOMER, N_("A resolution was offered for {case_id}"), N_("{author_label} offers: {offer_kind} {offer_amount}. {text}")),
    ],
    EventKind.OFFER_ACCEPTED: [
        (_MERCHANT, N_("Offer accepted on {case_id}"), N_("The offer {offer_id} on order {order_number} was accepted.")),
    ],
    EventKind.OFFER_REJECTED: [
        (_MERCHANT, N_("Offer rejected on {case_id}"), N_("{customer_name} rejected the offer {offer_id}: {reason}")),
    ],
    EventKind.OFFER_WITHDRAWN: [
        (_CUSTOMER, N_("Offer withdrawn on {case_id}"), N_("The offer {offer_id} was withdrawn.")),
    ],
    EventKind.OFFER_EXPIRED: [
        (_CUSTOMER, N_("Offer expired on {case_id}"), N_("The offer {offer_id} expired without an answer.")),
        (_MERCHANT, N_("Offer expired on {case_id}"), N_("The offer {offer_id} expired without an answer.")),
    ],
    EventKind.OFFER_AWAITING_RETURN: [
        (_CUSTOMER, N_("Send the item back for {case_id}"), N_("Use the prepaid return label: {label}. Your refund follows when the item arrives.")),
    ],
    EventKind.OFFER_EXECUTED: [
        (_CUSTOMER, N_("Your resolution for {case_id} is done"), N_("The offer {offer_id} on order {order_number} was carried out.")),
    ],
    EventKind.OFFER_FAILED: [
        (_MERCHANT, N_("Offer {offer_id} could not be carried out"), N_("Step {step} failed: {reason}. It will be retried.")),
        (_PLATFORM, N_("Offer {offer_id} could not be carried out"), N_("Step {step} failed: {reason}. It will be retried.")),
    ],
    EventKind.COMPLAINT_DISPUTED: [
        (_CUSTOMER, N_("The merchant answered complaint {case_id}"), N_("The merchant considers the complaint not valid: {body}")),
        (_PLATFORM, N_("Complaint {case_id} disputed by the merchant"), N_("The merchant considers the complaint not valid: {body}")),
    ],
    EventKind.CASE_CLOSED: [
        (_MERCHANT, N_("{kind_label} {case_id} was closed"), N_("The {kind_label} about order {order_number} was closed.")),
    ],
    EventKind.TICKET_RATED: [
        (_MERCHANT, N_("Ticket {case_id} was rated"), N_("The customer rated the ticket {stars} of 5.")),
    ],
    EventKind.CASE_ESCALATED: [
        (_PLATFORM, N_("{kind_label} {case_id} escalated to the platform"), N_("Reason: {reason_label}. Reference {reference}. Follow up within 48 hours.")),
        (_MERCHANT, N_("{kind_label} {case_id} was escalated"), N_("The {kind_label} about order {order_number} went to the platform ({reason_label}). Reference {reference}.")),
        (_CUSTOMER, N_("Your {kind_label} {case_id} went to the platform"), N_("The platform team now follows your case ({reason_label}). Reference {reference}.")),
    ],
    EventKind.DEADLINE_WARNING: [
        (_MERCHANT, N_("Respond to {case_id} by {deadline}"), N_("The {clock_label} deadline of the {kind_label} about order {order_number} is {deadline}.")),
    ],
    EventKind.CLOCK_BREACHED: [
        (_MERCHANT, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline of the {kind_label} about order {order_number} passed at {deadline}.")),
        (_PLATFORM, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline passed at {deadline}.")),
    ],
    EventKind.AUTO_CLOSE_WARNED: [
        (_CUSTOMER, N_("{kind_label} {case_id} will close soon"), N_("Without a reply from you, the {kind_label} about order {order_number} closes automatically at {closes_at}.")),
    ],
}
_REPLY_TO_CUSTOMER = (_CUSTOMER, N_("New reply on {case_id}"), N_("{author_label} replied: {body}"))
_REPLY_TO_MERCHANT = (_MERCHANT, N_("New reply on {case_id}"), N_("{customer_name} replied: {body}"))
_KIND_LABELS = {"complaint": N_("Complaint"), "ticket": N_("Ticket"), "help_request": N_("Help request")}
_AUTHOR_LABELS = {_MERCHANT: N_("The merchant"), _PLATFORM: N_("The platform team")}


Rule = tuple[Role, str, str]

# Self-service (DOMAIN section 3): what the delayed-order triage sends, and platform-routed tickets.
_TRACKING_LINK: list[Rule] = [
    (_CUSTOMER, N_("Tracking order {order_number}"), N_("Your order {order_number} is '{order_status}'. Follow it here: {tracking_url}")),
]
_TRACKING_ON_ORDER_PAGE: list[Rule] = [
    (
        _CUSTOMER,
        N_("Tracking order {order_number}"),
        N_("Your order {order_number} is '{order_status}'. Its tracking link is on the order's page in your account."),
    ),
]
_ORDER_DETAILS: list[Rule] = [
    (
        _CUSTOMER,
        N_("Details of order {order_number}"),
        N_("Order {order_number} was placed on {placed_at} and its status is '{order_status}'. Items: {items}. Total paid: {total_paid} {currency}."),
    ),
]
_LATE_ORDER_TICKET = (
    _MERCHANT,
    N_("Order {order_number} is late: ticket {case_id}"),
    N_("A ticket was opened automatically: order {order_number} is {age_hours} hours old and still '{order_status}'."),
)
_AUTOMATIC_TICKET: list[Rule] = [
    (
        _CUSTOMER,
        N_("Ticket {case_id}: order {order_number} is late"),
        N_("Order {order_number} is taking longer than expected, so ticket {case_id} was opened with the store for you. Follow the order here: {tracking_url}"),
    ),
    _LATE_ORDER_TICKET,
]
_AUTOMATIC_TICKET_NO_LINK: list[Rule] = [
    (
        _CUSTOMER,
        N_("Ticket {case_id}: order {order_number} is late"),
        N_("Order {order_number} is taking longer than expected, so ticket {case_id} was opened with the store for you. Its tracking link is on the order's page in your account."),
    ),
    _LATE_ORDER_TICKET,
]
_PLATFORM_TICKET: list[Rule] = [
    (_CUSTOMER, N_("Ticket {case_id} received"), N_("Your ticket went to the platform team, who will contact you within a few days.")),
    (_PLATFORM, N_("New ticket {case_id} for the platform team"), N_("{customer_name} opened a '{ticket_type}' ticket at store {store_id}. {form} {description}")),
]


def _self_service(case: Case, event: CaseEvent) -> tuple[list[Rule], dict[str, Any]] | None:
    """Rules and parameters of self-service events that differ from the plain tables, or ``None``."""
    p = event.payload
    if event.kind is EventKind.HELP_REQUESTED:
        order = p.get("order") or {}
        params: dict[str, Any] = {
            "order_status": order.get("status", ""),
            "tracking_url": order.get("tracking_url") or "",
            "placed_at": str(order.get("placed_at", ""))[:10],
            "items": ", ".join(f"{i['quantity']} x {i['name']}" for i in order.get("items", ())),
            "total_paid": order.get("total_paid", ""),
            "currency": order.get("currency", ""),
        }
        if p.get("outcome") == "send_order_details":
            return _ORDER_DETAILS, params
        return (_TRACKING_LINK if params["tracking_url"] else _TRACKING_ON_ORDER_PAGE), params
    if event.kind is EventKind.TICKET_OPENED and p.get("origin") == "automatic":
        triage = p.get("triage") or {}
        hours = float(triage.get("age_seconds", 0)) / 3600
        params = {
            "order_status": p.get("order_status", ""),
            "tracking_url": p.get("tracking_url") or "",
            "age_hours": f"{hours:.0f}",
        }
        return (_AUTOMATIC_TICKET if params["tracking_url"] else _AUTOMATIC_TICKET_NO_LINK), params
    if event.kind is EventKind.TICKET_OPENED and p.get("routing") == "platform":
        form = p.get("form") or {}
        params = {
            "ticket_type": p.get("ticket_type", ""),
            "store_id": case.store_id,
            "form": "; ".join(f"{k}: {v}" for k, v in sorted(form.items())),
        }
        return _PLATFORM_TICKET, params
    return None


def _recipient_id(case: Case, role: Role) -> str:
    if role is _CUSTOMER:
        return case.customer_id
    if role is _MERCHANT:
        return case.store_id
    return "platform"


def notifications_for(case: Case, events: Iterable[CaseEvent], channel: str = "email") -> list[Notification]:
    """The notifications ``events`` (just folded into ``case``) call for.

    Internal notes notify nobody; a reply notifies the other side; an opening sends the customer a
    receipt and tells the side that acts next.
    """
    result: list[Notification] = []
    for event in events:
        if event.kind is EventKind.MESSAGE_ADDED:
            if event.payload.get("internal"):
                continue
            rules = [_REPLY_TO_MERCHANT if event.actor.role is _CUSTOMER else _REPLY_TO_CUSTOMER]
        else:
            rules = _RULES.get(event.kind, [])
        special = _self_service(case, event)
        if special is not None:
            rules = special[0]
        params: dict[str, Any] = {
            "case_id": case.id,
            "order_number": case.order_number or "",
            "customer_name": case.customer_name,
            "kind_label": _KIND_LABELS[case.kind],
            "author_label": _AUTHOR_LABELS.get(event.actor.role, ""),
        }
        for key in ("body", "text", "stars", "description"):
            if key in event.payload:
                params[key] = event.payload[key]
        if "offer_id" in event.payload:
            p = event.payload
            amount = f"{p['amount']} {p['currency']}" if p.get("amount") is not None else ""
            if p.get("percent") is not None and not amount:
                amount = f"{p['percent']}%"
            params.update(
                offer_id=p["offer_id"],
                offer_kind=p.get("kind", ""),
                offer_amount=amount,
                text=p.get("text") or "",
                reason=p.get("reason") or "",
                step=p.get("step") or "",
                label=p.get("label") or "",
            )
        if event.kind in SLA_EVENTS:
            params.update(sla_params(event.payload))
        if special is not None:
            params.update(special[1])
        platform_routed = getattr(case, "routing", "merchant") == "platform"
        for role, subject, body in rules:
            if platform_routed and role is _MERCHANT:  # a platform-routed ticket's staff side is the platform
                role = _PLATFORM
            recipient = Recipient(role, _recipient_id(case, role))
            result.append(
                Notification(
                    key=f"{case.id}:{event.version}:{role.value}:{recipient.id}:{channel}",
                    case_id=case.id,
                    event_version=event.version,
                    event_kind=event.kind.value,
                    recipient=recipient,
                    channel=channel,
                    subject=subject,
                    body=body,
                    params=params,
                )
            )
    return result
