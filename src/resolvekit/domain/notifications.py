"""Which notifications an accepted command produces, and for whom.

Notifications are computed here, purely, and written to the outbox in the same transaction as the
events; a dispatcher delivers them later. Each has a stable ``key`` per (event, recipient, channel)
so the receiving side can drop a duplicate delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain import labels
from resolvekit.domain.actors import Role
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.sla import SLA_EVENTS, sla_params
from resolvekit.errors import ConfigurationError

__all__ = ["Notification", "NotificationPolicy", "Recipient", "notifications_for", "proactive_allowed"]


@attrs.frozen
class Recipient:
    """Who a notification is for: a customer (by customer id), a store's merchants (by store id) or the platform team.

    ``locale`` and ``time_zone`` are what resolvekit knows of the recipient's preferences (for a
    customer, from the :class:`~resolvekit.Customer` value given when the case was opened); the
    ``resolvekit_recipient_profile`` hook can say otherwise. They are not part of the recipient's
    identity (two recipients with the same role and id are equal).
    """

    role: Role = attrs.field(converter=Role)
    id: str
    locale: str | None = attrs.field(default=None, eq=False, kw_only=True)
    time_zone: str | None = attrs.field(default=None, eq=False, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The recipient as JSON-ready data (preferences only when known)."""
        data: dict[str, Any] = {"role": self.role.value, "id": self.id}
        if self.locale is not None:
            data["locale"] = self.locale
        if self.time_zone is not None:
            data["time_zone"] = self.time_zone
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipient:
        """Rebuild a recipient written by :meth:`to_dict`."""
        return cls(data["role"], data["id"], locale=data.get("locale"), time_zone=data.get("time_zone"))


def _channels(value: Iterable[str]) -> tuple[str, ...]:
    channels = (value,) if isinstance(value, str) else tuple(value)
    if not channels or not all(isinstance(c, str) and c.strip() for c in channels) or len(set(channels)) != len(channels):
        raise ConfigurationError(N_("NotificationPolicy.channels must name one or more distinct channels, got {value!r}."), value=channels)
    return channels


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(N_("NotificationPolicy.{field} must be a positive whole number, got {value!r}."), field=attribute.name, value=value)


def _duration(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(N_("NotificationPolicy.{field} must be a positive timedelta, got {value!r}."), field=attribute.name, value=value)


@attrs.frozen
class NotificationPolicy:
    """How notifications go out (DOMAIN section 7).

    Attributes:
        channels: the channels every notification is sent on; one outbox entry per (event,
            recipient, channel). A recipient whose profile lists other channels skips the rest.
            Default: email only.
        sms_segments: the most SMS parts one text may take (153 GSM characters or 67 UCS-2 units
            each, 160 or 70 for a single part); longer texts are cut at a word with an ellipsis.
        chat_max_length: the longest chat or app message, in characters.
        proactive_window: how long after the order's completion resolvekit may still send a customer
            a proactive message (DOMAIN: 30 days).
        proactive_events: the event kinds whose notifications to the customer are proactive (sent
            on resolvekit's own initiative, not in answer to anyone): reminders before an automatic
            close and offers that expired unanswered. They are not sent when the event comes more than
            ``proactive_window`` after the order's completion.
        translation_timeout: how long delivery waits for the translation hook before it sends the
            original text, marked as untranslated.
    """

    channels: tuple[str, ...] = attrs.field(default=("email",), converter=_channels)
    sms_segments: int = attrs.field(default=2, validator=_at_least_one)
    chat_max_length: int = attrs.field(default=4096, validator=_at_least_one)
    proactive_window: timedelta = attrs.field(default=timedelta(days=30), validator=_duration)
    proactive_events: frozenset[str] = attrs.field(default=frozenset({"auto_close_warned", "offer_expired"}), converter=frozenset)
    translation_timeout: timedelta = attrs.field(default=timedelta(seconds=2), validator=_duration)


def proactive_allowed(order_completed_at: datetime | None, at: datetime, window: timedelta = timedelta(days=30)) -> bool:
    """Whether a proactive message about an order may go out at ``at``: before the order completed
    (``None``: not completed, or not known to be) or within ``window`` of its completion."""
    return order_completed_at is None or at <= order_completed_at + window


@attrs.frozen(hash=False)
class Notification:
    """One message to one recipient on one channel, about one event.

    ``subject`` and ``body`` are gettext ids whose ``{named}`` placeholders are filled from
    ``params`` when the message is rendered for the recipient's locale; parameters that depend on the
    locale (labels, money, dates) are localized values (:mod:`resolvekit.domain.labels`).
    ``translatable`` describes the text a person wrote that the notification carries (which
    parameter, the message id, its language when known, its author), for machine translation at
    delivery; ``None`` when there is none.
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
    translatable: Mapping[str, Any] | None = None

    def render(self, locale: str = "en", time_zone: str = "UTC") -> tuple[str, str]:
        """The subject and body in ``locale`` with resolvekit's own catalogs.

        A host's catalogs belong to its application: use ``rk.localizer.render_notification``, or the
        ``message`` argument of the ``resolvekit_deliver`` hook, to see them.
        """
        from resolvekit.localization import builtin_localizer

        return builtin_localizer().render_pair(self, locale, time_zone)

    def to_dict(self) -> dict[str, Any]:
        """The notification as JSON-ready data."""
        return {
            "key": self.key,
            "case_id": self.case_id,
            "event_version": self.event_version,
            "event_kind": self.event_kind,
            "recipient": self.recipient.to_dict(),
            "channel": self.channel,
            "subject": self.subject,
            "body": self.body,
            "params": dict(self.params),
            "translatable": None if self.translatable is None else dict(self.translatable),
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
            recipient=Recipient.from_dict(recipient),
            channel=data["channel"],
            subject=data["subject"],
            body=data["body"],
            params=data["params"],
            translatable=data.get("translatable"),
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
    EventKind.CASE_CLOSED: [  # both sides learn of it, except the side that closed
        (_MERCHANT, N_("{kind_label} {case_id} was closed"), N_("The {kind_name} about order {order_number} was closed.")),
        (_CUSTOMER, N_("{kind_label} {case_id} was closed"), N_("The {kind_name} about order {order_number} was closed.")),
    ],
    EventKind.TICKET_RATED: [
        (_MERCHANT, N_("Ticket {case_id} was rated"), N_("The customer rated the ticket {stars} of 5.")),
    ],
    EventKind.CASE_ESCALATED: [
        (_PLATFORM, N_("{kind_label} {case_id} escalated to the platform"), N_("Reason: {reason_label}. Reference {reference}. Follow up within 48 hours.")),
        (_MERCHANT, N_("{kind_label} {case_id} was escalated"), N_("The {kind_name} about order {order_number} went to the platform ({reason_label}). Reference {reference}.")),
        (_CUSTOMER, N_("Your {kind_name} {case_id} went to the platform"), N_("The platform team now follows your case ({reason_label}). Reference {reference}.")),
    ],
    EventKind.DEADLINE_WARNING: [
        (_MERCHANT, N_("Respond to {case_id} by {deadline}"), N_("The {clock_label} deadline of the {kind_name} about order {order_number} is {deadline}.")),
    ],
    EventKind.CLOCK_BREACHED: [
        (_MERCHANT, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline of the {kind_name} about order {order_number} passed at {deadline}.")),
        (_PLATFORM, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline passed at {deadline}.")),
    ],
    EventKind.AUTO_CLOSE_WARNED: [
        (_CUSTOMER, N_("{kind_label} {case_id} will close soon"), N_("Without a reply from you, the {kind_name} about order {order_number} closes automatically at {closes_at}.")),
    ],
}
_REVIEW = "under_platform_review"
_REPLY_TO_CUSTOMER = (_CUSTOMER, N_("New reply on {case_id}"), N_("{author_label} replied: {body}"))
_REPLY_TO_MERCHANT = (_MERCHANT, N_("New reply on {case_id}"), N_("{customer_name} replied: {body}"))
_KIND_LABELS = labels.KIND_LABELS
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
        N_("Order {order_number} was placed on {placed_at} and its status is '{order_status}'. Items: {items}. Total paid: {total_paid}."),
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


_SELF_SERVICE_KINDS = frozenset({EventKind.HELP_REQUESTED, EventKind.TICKET_OPENED})
"""The only event kinds :func:`_self_service` may answer for."""


def _self_service(case: Case, event: CaseEvent) -> tuple[list[Rule], dict[str, Any]] | None:
    """Rules and parameters of self-service events that differ from the plain tables, or ``None``."""
    p = event.payload
    if event.kind is EventKind.HELP_REQUESTED:
        order = p.get("order") or {}
        params: dict[str, Any] = {
            "order_status": labels.term(str(order.get("status", ""))),
            "tracking_url": order.get("tracking_url") or "",
            "placed_at": labels.day(str(order.get("placed_at", ""))) if order.get("placed_at") else "",
            "items": ", ".join(f"{i['quantity']} x {i['name']}" for i in order.get("items", ())),
            "total_paid": labels.money(order["total_paid"], order["currency"]) if order.get("currency") else order.get("total_paid", ""),
            "currency": order.get("currency", ""),
        }
        if p.get("outcome") == "send_order_details":
            return _ORDER_DETAILS, params
        return (_TRACKING_LINK if params["tracking_url"] else _TRACKING_ON_ORDER_PAGE), params
    if event.kind is EventKind.TICKET_OPENED and p.get("origin") == "automatic":
        triage = p.get("triage") or {}
        hours = float(triage.get("age_seconds", 0)) / 3600
        params = {
            "order_status": labels.term(str(p.get("order_status", ""))),
            "tracking_url": p.get("tracking_url") or "",
            "age_hours": labels.number(round(hours)),
        }
        return (_AUTOMATIC_TICKET if params["tracking_url"] else _AUTOMATIC_TICKET_NO_LINK), params
    if event.kind is EventKind.TICKET_OPENED and p.get("routing") == "platform":
        form = p.get("form") or {}
        params = {
            "ticket_type": labels.term(str(p.get("ticket_type", ""))),
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


def _localized(params: dict[str, Any]) -> None:
    """Turn the locale-dependent parameters (labels, deadlines) into localized values, in place."""
    for key in ("kind_label", "kind_name", "author_label", "reason_label", "clock_label"):
        value = params.get(key)
        if isinstance(value, str) and value:
            params[key] = labels.label(value)
    for key in ("deadline", "closes_at", "expires_at"):
        value = params.get(key)
        if isinstance(value, str) and value:
            params[key] = labels.moment(value)


def _offer_params(p: Mapping[str, Any]) -> dict[str, Any]:
    from resolvekit.domain.offers import BUILTIN_KINDS

    amount: Any = ""
    if p.get("amount") is not None and p.get("currency"):
        amount = labels.money(p["amount"], p["currency"])
    elif p.get("percent") is not None:
        amount = labels.percent(p["percent"])
    kind = str(p.get("kind", ""))
    builtin = BUILTIN_KINDS.get(kind)
    return {
        "offer_id": p["offer_id"],
        "offer_kind": labels.label(builtin.label) if builtin is not None else labels.term(kind) if kind else "",
        "offer_amount": amount,
        "text": p.get("text") or "",
        "reason": p.get("reason") or "",
        "step": p.get("step") or "",
        "label": p.get("label") or "",
        "expires_at": p.get("expires_at") or "",
    }


def _written_text(event: CaseEvent) -> str | None:
    """The parameter holding text a person wrote (for machine translation), if the event has one."""
    p = event.payload
    if p.get("message_id") and isinstance(p.get("body"), str):
        return "body"  # a reply, or the merchant's answer to a complaint
    if event.kind is EventKind.OFFER_PROPOSED and isinstance(p.get("text"), str) and p["text"].strip():
        return "text"
    return None


def _recipient(case: Case, role: Role) -> Recipient:
    if role is _CUSTOMER:
        return Recipient(
            role,
            case.customer_id,
            locale=getattr(case, "customer_locale", None),
            time_zone=getattr(case, "customer_time_zone", None),
        )
    return Recipient(role, _recipient_id(case, role))


def notifications_for(
    case: Case, events: Iterable[CaseEvent], channel: str = "email", *, policy: NotificationPolicy | None = None
) -> list[Notification]:
    """The notifications ``events`` (just folded into ``case``) call for: one per (event, recipient, channel).

    Internal notes and replies marked "no response needed" notify nobody; a reply notifies the other
    side; an opening sends the customer a receipt and tells the side that acts next. With a
    ``policy``, every notification goes out on each of ``policy.channels`` (else on ``channel``), and
    proactive notifications to the customer (``policy.proactive_events``) are left out when the event
    comes more than ``policy.proactive_window`` after the order's completion.
    """
    channels = policy.channels if policy is not None else (channel,)
    completed_at: datetime | None = getattr(case, "order_completed_at", None)
    platform_routed = getattr(case, "routing", "merchant") == "platform"
    kind_label, kind_name = _KIND_LABELS[case.kind], labels.KIND_NAMES[case.kind]
    recipients: dict[Role, Recipient] = {}  # built once per role: the case does not change in the loop
    result: list[Notification] = []
    for event in events:
        translatable: dict[str, Any] | None = None
        if event.kind is EventKind.MESSAGE_ADDED:
            if event.payload.get("internal") or event.payload.get("no_response_needed"):
                continue
            rules = [_REPLY_TO_MERCHANT if event.actor.role is _CUSTOMER else _REPLY_TO_CUSTOMER]
        else:
            rules = _RULES.get(event.kind, [])
        written = _written_text(event)
        if written is not None:
            author = event.actor.role
            translatable = {
                "param": written,
                "message_id": event.payload.get("message_id"),
                "language": event.payload.get("language")
                or (getattr(case, "customer_locale", None) if author is _CUSTOMER else None),
                "author": {"role": str(author), "id": _recipient_id(case, author) if author is not Role.SYSTEM else "system"},
            }
        special = _self_service(case, event) if event.kind in _SELF_SERVICE_KINDS else None
        if special is not None:
            rules = special[0]
        author_label = _AUTHOR_LABELS.get(event.actor.role, "")
        params: dict[str, Any] = {  # the labels localized here, as _localized would
            "case_id": case.id,
            "order_number": case.order_number or "",
            "customer_name": case.customer_name,
            "kind_label": labels.label(kind_label) if kind_label else kind_label,
            "kind_name": labels.label(kind_name) if kind_name else kind_name,
            "author_label": labels.label(author_label) if author_label else author_label,
            "status": labels.status(case.status),
        }
        for key in ("body", "text", "description"):
            if key in event.payload:
                params[key] = event.payload[key]
        if "stars" in event.payload:
            params["stars"] = labels.number(event.payload["stars"])
        extended = False  # only parameters added below still need localizing
        if event.kind in SLA_EVENTS:
            params.update(sla_params(event.payload))
            extended = True
        if "offer_id" in event.payload:
            params.update(_offer_params(event.payload))
            extended = True
        if special is not None:
            params.update(special[1])
            extended = True
        if extended:
            _localized(params)
        kind_value = str(event.kind)  # a StrEnum's str() is its value (cheaper than .value)
        proactive = policy is not None and kind_value in policy.proactive_events
        for role, subject, body in rules:
            if event.kind is EventKind.CASE_CLOSED and role is event.actor.role:
                continue  # the side that closed the case knows
            if event.kind is EventKind.COMPLAINT_OPENED and role is _PLATFORM and case.status != _REVIEW:
                continue  # the policy skips platform review: nothing awaits the platform
            if platform_routed and role is _MERCHANT:  # a platform-routed ticket's staff side is the platform
                role = _PLATFORM
            if proactive and role is _CUSTOMER and policy is not None:
                if not proactive_allowed(completed_at, event.at, policy.proactive_window):
                    continue
            recipient = recipients.get(role) or recipients.setdefault(role, _recipient(case, role))
            role_value = str(role)
            for name in channels:
                result.append(
                    Notification(
                        key=f"{case.id}:{event.version}:{role_value}:{recipient.id}:{name}",
                        case_id=case.id,
                        event_version=event.version,
                        event_kind=kind_value,
                        recipient=recipient,
                        channel=name,
                        subject=subject,
                        body=body,
                        params=params,
                        translatable=translatable,
                    )
                )
    return result
