"""Which notifications an accepted command produces, and for whom.

Notifications are computed here, purely, and written to the outbox in the same transaction as the
events; a dispatcher delivers them later. Each has a stable ``key`` per (event, recipient, channel)
so the receiving side can drop a duplicate delivery.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from resolvekit._i18n import N_
from resolvekit.domain import labels
from resolvekit.domain._build import frozen_builder
from resolvekit.domain.actors import Role
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.offers import BUILTIN_KINDS
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

Rule = tuple[Role, str, str]
"""(recipient role, subject id, body id)"""

# event kind -> its rules (tuples: immutable, so the derived plans below can be cached)
_RULES: dict[EventKind, tuple[Rule, ...]] = {
    EventKind.COMPLAINT_OPENED: (
        (_CUSTOMER, N_("Complaint {case_id} received"), N_("We received your complaint about order {order_number}. Keep your complaint number {case_id} to follow it up.")),
        (_PLATFORM, N_("New complaint {case_id} to review"), N_("A complaint about order {order_number} awaits platform review.")),
    ),
    EventKind.TICKET_OPENED: (
        (_CUSTOMER, N_("Ticket {case_id} received"), N_("Your ticket is under the merchant's review.")),
        (_MERCHANT, N_("New ticket {case_id}"), N_("{customer_name} opened a ticket: {description}")),
    ),
    EventKind.REVIEW_PASSED: (
        (_MERCHANT, N_("Complaint {case_id} awaits your response"), N_("A complaint about order {order_number} passed review and awaits your response.")),
        (_CUSTOMER, N_("Complaint {case_id} passed review"), N_("Your complaint was passed to the merchant.")),
    ),
    EventKind.OFFER_PROPOSED: (
        (_CUSTOMER, N_("A resolution was offered for {case_id}"), N_("{author_label} offers: {offer_kind} {offer_amount}. {text}")),
    ),
    EventKind.OFFER_ACCEPTED: (
        (_MERCHANT, N_("Offer accepted on {case_id}"), N_("The offer {offer_id} on order {order_number} was accepted.")),
    ),
    EventKind.OFFER_REJECTED: (
        (_MERCHANT, N_("Offer rejected on {case_id}"), N_("{customer_name} rejected the offer {offer_id}: {reason}")),
    ),
    EventKind.OFFER_WITHDRAWN: (
        (_CUSTOMER, N_("Offer withdrawn on {case_id}"), N_("The offer {offer_id} was withdrawn.")),
    ),
    EventKind.OFFER_EXPIRED: (
        (_CUSTOMER, N_("Offer expired on {case_id}"), N_("The offer {offer_id} expired without an answer.")),
        (_MERCHANT, N_("Offer expired on {case_id}"), N_("The offer {offer_id} expired without an answer.")),
    ),
    EventKind.OFFER_AWAITING_RETURN: (
        (_CUSTOMER, N_("Send the item back for {case_id}"), N_("Use the prepaid return label: {label}. Your refund follows when the item arrives.")),
    ),
    EventKind.OFFER_EXECUTED: (
        (_CUSTOMER, N_("Your resolution for {case_id} is done"), N_("The offer {offer_id} on order {order_number} was carried out.")),
    ),
    EventKind.OFFER_FAILED: (
        (_MERCHANT, N_("Offer {offer_id} could not be carried out"), N_("Step {step} failed: {reason}. It will be retried.")),
        (_PLATFORM, N_("Offer {offer_id} could not be carried out"), N_("Step {step} failed: {reason}. It will be retried.")),
    ),
    EventKind.OFFER_CANCELLED: (
        (_CUSTOMER, N_("Offer cancelled on {case_id}"), N_("The offer {offer_id} was cancelled and will not be carried out: {reason}")),
        (_MERCHANT, N_("Offer cancelled on {case_id}"), N_("The offer {offer_id} was cancelled and will not be carried out: {reason}")),
    ),
    EventKind.COMPLAINT_DISPUTED: (
        (_CUSTOMER, N_("The merchant answered complaint {case_id}"), N_("The merchant considers the complaint not valid: {body}")),
        (_PLATFORM, N_("Complaint {case_id} disputed by the merchant"), N_("The merchant considers the complaint not valid: {body}")),
    ),
    EventKind.CASE_CLOSED: (  # both sides learn of it, except the side that closed
        (_MERCHANT, N_("{kind_label} {case_id} was closed"), N_("The {kind_name} about order {order_number} was closed.")),
        (_CUSTOMER, N_("{kind_label} {case_id} was closed"), N_("The {kind_name} about order {order_number} was closed.")),
    ),
    EventKind.TICKET_RATED: (
        (_MERCHANT, N_("Ticket {case_id} was rated"), N_("The customer rated the ticket {stars} of 5.")),
    ),
    EventKind.CASE_ESCALATED: (
        (_PLATFORM, N_("{kind_label} {case_id} escalated to the platform"), N_("Reason: {reason_label}. Reference {reference}. Follow up within 48 hours.")),
        (_MERCHANT, N_("{kind_label} {case_id} was escalated"), N_("The {kind_name} about order {order_number} went to the platform ({reason_label}). Reference {reference}.")),
        (_CUSTOMER, N_("Your {kind_name} {case_id} went to the platform"), N_("The platform team now follows your case ({reason_label}). Reference {reference}.")),
    ),
    EventKind.DEADLINE_WARNING: (
        (_MERCHANT, N_("Respond to {case_id} by {deadline}"), N_("The {clock_label} deadline of the {kind_name} about order {order_number} is {deadline}.")),
    ),
    EventKind.CLOCK_BREACHED: (
        (_MERCHANT, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline of the {kind_name} about order {order_number} passed at {deadline}.")),
        (_PLATFORM, N_("Deadline missed on {case_id}"), N_("The {clock_label} deadline passed at {deadline}.")),
    ),
    EventKind.AUTO_CLOSE_WARNED: (
        (_CUSTOMER, N_("{kind_label} {case_id} will close soon"), N_("Without a reply from you, the {kind_name} about order {order_number} closes automatically at {closes_at}.")),
    ),
}
_REVIEW = "under_platform_review"
_REPLY_TO_CUSTOMER = (_CUSTOMER, N_("New reply on {case_id}"), N_("{author_label} replied: {body}"))
_REPLY_TO_MERCHANT = (_MERCHANT, N_("New reply on {case_id}"), N_("{customer_name} replied: {body}"))
_KIND_LABELS = labels.KIND_LABELS
_AUTHOR_LABELS = {_MERCHANT: N_("The merchant"), _PLATFORM: N_("The platform team")}


# Self-service (DOMAIN section 3): what the delayed-order triage sends, and platform-routed tickets.
_TRACKING_LINK: tuple[Rule, ...] = (
    (_CUSTOMER, N_("Tracking order {order_number}"), N_("Your order {order_number} is '{order_status}'. Follow it here: {tracking_url}")),
)
_TRACKING_ON_ORDER_PAGE: tuple[Rule, ...] = (
    (
        _CUSTOMER,
        N_("Tracking order {order_number}"),
        N_("Your order {order_number} is '{order_status}'. Its tracking link is on the order's page in your account."),
    ),
)
_ORDER_DETAILS: tuple[Rule, ...] = (
    (
        _CUSTOMER,
        N_("Details of order {order_number}"),
        N_("Order {order_number} was placed on {placed_at} and its status is '{order_status}'. Items: {items}. Total paid: {total_paid}."),
    ),
)
_LATE_ORDER_TICKET = (
    _MERCHANT,
    N_("Order {order_number} is late: ticket {case_id}"),
    N_("A ticket was opened automatically: order {order_number} is {age_hours} hours old and still '{order_status}'."),
)
_AUTOMATIC_TICKET: tuple[Rule, ...] = (
    (
        _CUSTOMER,
        N_("Ticket {case_id}: order {order_number} is late"),
        N_("Order {order_number} is taking longer than expected, so ticket {case_id} was opened with the store for you. Follow the order here: {tracking_url}"),
    ),
    _LATE_ORDER_TICKET,
)
_AUTOMATIC_TICKET_NO_LINK: tuple[Rule, ...] = (
    (
        _CUSTOMER,
        N_("Ticket {case_id}: order {order_number} is late"),
        N_("Order {order_number} is taking longer than expected, so ticket {case_id} was opened with the store for you. Its tracking link is on the order's page in your account."),
    ),
    _LATE_ORDER_TICKET,
)
_PLATFORM_TICKET: tuple[Rule, ...] = (
    (_CUSTOMER, N_("Ticket {case_id} received"), N_("Your ticket went to the platform team, who will contact you within a few days.")),
    (_PLATFORM, N_("New ticket {case_id} for the platform team"), N_("{customer_name} opened a '{ticket_type}' ticket at store {store_id}. {form} {description}")),
)


_SELF_SERVICE_KINDS = frozenset({EventKind.HELP_REQUESTED, EventKind.TICKET_OPENED})
"""The only event kinds :func:`_self_service` may answer for."""


def _self_service(case: Case, event: CaseEvent) -> tuple[tuple[Rule, ...], dict[str, Any]] | None:
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


# -- the hot path -------------------------------------------------------------------------------------
#
# notifications_for runs in every command's transaction, so what depends only on constants is worked
# out once and kept:
#
# * which rules apply to an (event kind, author role, case routing, platform review) is a "plan" (the
#   rule tables are immutable tuples), worked out on first use;
# * what depends on the case's class and status only (the localized labels of its kind and status,
#   whether it awaits platform review) is a "case context", kept per (class, status);
# * a recipient (a frozen value) is built once per (role, id, preferences), and the localized labels
#   of authors and offer kinds once per id.
#
# Those labels are dicts shared by every notification that shows them: notification parameters are
# read-only (the localizer, delivery and the outbox only read them; to_dict copies). Everything an
# event brings (its parameters, the translatable text) is built afresh per event, and shared by that
# event's notifications only.

# Enum members as module constants: reading one off its class takes several times longer.
_SYSTEM = Role.SYSTEM
_MESSAGE_ADDED, _OFFER_PROPOSED = EventKind.MESSAGE_ADDED, EventKind.OFFER_PROPOSED

_Target = tuple[Role, str, str]
"""One notification to make per channel: (recipient role, subject id, body id)."""

_Label = dict[str, Any] | str
"""A localized label, or ``""`` for an empty message (as the parameters have always had it)."""

_Plan = tuple[str, tuple[_Target, ...], _Label, bool, bool]
"""What an event of a kind by an author makes: the kind's value (for :attr:`Notification.event_kind`),
the targets in order, the ``author_label`` parameter, and whether the kind is one of
:data:`_SELF_SERVICE_KINDS` (whose rules depend on the event) and of ``SLA_EVENTS`` (whose
parameters come from :func:`_sla_params`)."""

_Plans = dict[EventKind, dict[Role, _Plan]]
"""Plans by event kind and author role."""

_Address = tuple[Recipient, str]
"""A recipient and the ``"{role}:{id}:"`` part of the keys of its notifications."""


def _label(message: str) -> _Label:
    """``message`` as a localized label; an empty message stays as it is."""
    return labels.label(message) if message else message


_AUTHOR_PARAMS: dict[Role, _Label] = {role: _label(_AUTHOR_LABELS.get(role, "")) for role in Role}
"""The ``author_label`` parameter of an event by each role."""

_ROLE_VALUES: dict[Role, str] = {role: str(role) for role in Role}
"""Each role's value (``str(role)``, looked up)."""


def _make_plan(rules: tuple[Rule, ...], kind: EventKind, author: Role, platform_routed: bool, platform_review: bool) -> _Plan:
    """Who ``rules`` tell of an event of ``kind`` by ``author``, and with which texts.

    The side that closed a case is not told of it; a complaint opened without platform review
    (``platform_review`` false) tells the platform nothing; a platform-routed case's staff side is
    the platform. Proactive messages are left to the caller: that depends on the event's time.
    """
    targets: list[_Target] = []
    for role, subject, body in rules:
        if kind is EventKind.CASE_CLOSED and role is author:
            continue  # the side that closed the case knows
        if kind is EventKind.COMPLAINT_OPENED and role is _PLATFORM and not platform_review:
            continue  # the policy skips platform review: nothing awaits the platform
        if platform_routed and role is _MERCHANT:  # a platform-routed ticket's staff side is the platform
            role = _PLATFORM
        targets.append((role, subject, body))
    # a StrEnum's str() is its value
    return str(kind), tuple(targets), _AUTHOR_PARAMS[author], kind in _SELF_SERVICE_KINDS, kind in SLA_EVENTS


_plan = functools.cache(_make_plan)  # bounded: finitely many rule tables, event kinds and roles
""":func:`_make_plan`, kept per arguments (for the rules of self-service events)."""


def _table(kind: EventKind, author: Role) -> tuple[Rule, ...]:
    """The rules of the plain tables for an event of ``kind`` by ``author``."""
    if kind is EventKind.MESSAGE_ADDED:  # a reply notifies the other side
        return (_REPLY_TO_MERCHANT,) if author is _CUSTOMER else (_REPLY_TO_CUSTOMER,)
    return _RULES.get(kind, ())


_PLANS: dict[tuple[bool, bool], _Plans] = {(routed, review): {} for routed in (False, True) for review in (False, True)}
"""(platform-routed, platform review) -> event kind -> author role -> the plan of the plain tables for
such a case: nested dicts (cheaper to look up than a tuple key), filled by :func:`_plain_plan` and
bounded by the number of event kinds and roles."""


def _plain_plan(plans: _Plans, kind: EventKind, author: Role, platform_routed: bool, platform_review: bool) -> _Plan:
    """The plan of the plain tables for an event of ``kind`` by ``author``, kept in ``plans`` (the
    :data:`_PLANS` entry of ``platform_routed`` and ``platform_review``; the hot path looks it up itself first)."""
    by_author = plans.get(kind)
    if by_author is None:
        by_author = _remember(plans, kind, {})
    return _remember(by_author, author, _make_plan(_table(kind, author), kind, author, platform_routed, platform_review))


_CUSTOMER_ADDRESSES: dict[tuple[str, str | None, str | None], _Address] = {}
"""(customer id, locale, time zone) -> the customer's address (plain dicts: cheaper to look up than an lru_cache)."""

_STORE_ADDRESSES: dict[str, _Address] = {}
"""Store id -> the address of the store's merchants."""

_PLATFORM_ADDRESS: _Address = (Recipient(_PLATFORM, "platform"), f"{_PLATFORM}:platform:")


def _customer_address(case: Case) -> _Address:
    """The address of ``case``'s customer, with the preferences the case records (kept; the hot path looks it up itself first)."""
    customer_id, locale, time_zone = case.customer_id, case.customer_locale, case.customer_time_zone
    address = (Recipient(_CUSTOMER, customer_id, locale=locale, time_zone=time_zone), f"{_CUSTOMER}:{customer_id}:")
    return _remember(_CUSTOMER_ADDRESSES, (customer_id, locale, time_zone), address)


def _store_address(store_id: str) -> _Address:
    """The address of the merchants of store ``store_id`` (kept; the hot path looks it up itself first)."""
    return _remember(_STORE_ADDRESSES, store_id, (Recipient(_MERCHANT, store_id), f"{_MERCHANT}:{store_id}:"))


_CaseContext = tuple[dict[str, Any], _Plans, _Plans, bool, bool]
"""What notifications need of a case that depends on its class and status only: the template of an
event's parameters (the labels filled in, the case's own values to be set), its plans when routed to
the merchant and when routed to the platform, whether it awaits platform review, and whether it can
have a ``routing`` at all (only tickets have one: the others skip looking for it)."""

_CASE_CONTEXTS: dict[type[Case], dict[str, _CaseContext]] = {}
"""Case class -> status -> its :data:`_CaseContext` (nested dicts: cheaper to look up than a tuple key)."""

_OFFER_KIND_PARAMS: dict[str, _Label] = {}
"""Offer kind -> its ``offer_kind`` parameter: the label of a built-in kind, else the host's term."""

_NO_EVENTS: frozenset[str] = frozenset()
"""The proactive event kinds without a policy: none."""

_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> _V:
    """Keep ``value`` in ``cache`` (one of the caches above: filled as ids are met, never beyond 1,024 entries)."""
    if len(cache) >= 1024:  # the ids are few; odd values must not make the cache grow without bound
        cache.clear()
    cache[key] = value
    return value


def _case_context(case: Case) -> _CaseContext:
    """The :data:`_CaseContext` of ``case`` (kept; the hot path looks it up itself first)."""
    by_status = _CASE_CONTEXTS.get(case.__class__)
    if by_status is None:
        by_status = _remember(_CASE_CONTEXTS, case.__class__, {})
    found = by_status.get(case.status)
    if found is None:
        kind, status, review = case.kind, case.status, case.status == _REVIEW
        template = {
            # the parameters every notification has, in this order (the None ones are the case's own, set per event)
            "case_id": None,
            "order_number": None,
            "customer_name": None,
            "kind_label": _label(_KIND_LABELS[kind]),
            "kind_name": _label(labels.KIND_NAMES[kind]),
            "author_label": None,
            "status": labels.status(status),
        }
        # a routing field (tickets), or instances with a __dict__ that could hold one: look it up; else it is "merchant"
        routable = hasattr(case.__class__, "routing") or case.__class__.__dictoffset__ != 0
        found = _remember(by_status, status, (template, _PLANS[False, review], _PLANS[True, review], review, routable))
    return found


def _offer_kind_param(kind: str) -> _Label:
    found = _OFFER_KIND_PARAMS.get(kind)
    if found is None:
        builtin = BUILTIN_KINDS.get(kind)
        found = _remember(_OFFER_KIND_PARAMS, kind, labels.label(builtin.label) if builtin is not None else labels.term(kind) if kind else "")
    return found


def _sla_params(payload: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`~resolvekit.domain.sla.sla_params`, with the labels and moments localized."""
    params = sla_params(payload)
    for key in ("reason_label", "clock_label"):
        value = params[key]
        if isinstance(value, str) and value:
            params[key] = labels.label(value)
    for key in ("deadline", "closes_at"):
        value = params[key]
        if isinstance(value, str) and value:
            params[key] = labels.moment(value)
    return params


def _add_offer_params(params: dict[str, Any], p: Mapping[str, Any]) -> None:
    """Set the parameters of an event about an offer (localized) in ``params``, in this order."""
    amount: Any = ""
    if (value := p.get("amount")) is not None and (currency := p.get("currency")):
        amount = labels.money(value, currency)
    elif (value := p.get("percent")) is not None:
        amount = labels.percent(value)
    expires_at = p.get("expires_at") or ""
    kind = str(p.get("kind", ""))
    offer_kind = _OFFER_KIND_PARAMS.get(kind)
    params["offer_id"] = p["offer_id"]
    params["offer_kind"] = _offer_kind_param(kind) if offer_kind is None else offer_kind
    params["offer_amount"] = amount
    params["text"] = p.get("text") or ""
    params["reason"] = p.get("reason") or ""
    params["step"] = p.get("step") or ""
    params["label"] = p.get("label") or ""
    params["expires_at"] = labels.moment(expires_at) if isinstance(expires_at, str) and expires_at else expires_at


def _translatable(case: Case, kind: EventKind, p: Mapping[str, Any], author: Role) -> dict[str, Any] | None:
    """The text a person wrote that an event of ``kind`` by ``author`` with payload ``p`` carries, for
    machine translation, if it has one: which parameter holds it, the message id, its language when
    known and its author."""
    message_id = p.get("message_id")
    if message_id and isinstance(p.get("body"), str):
        param = "body"  # a reply, or the merchant's answer to a complaint
    elif kind is _OFFER_PROPOSED and isinstance(text := p.get("text"), str) and text.strip():
        param = "text"
    else:
        return None
    if author is _CUSTOMER:
        language, author_id = p.get("language") or case.customer_locale, case.customer_id
    else:
        language = p.get("language") or None
        author_id = case.store_id if author is _MERCHANT else "system" if author is _SYSTEM else "platform"
    return {"param": param, "message_id": message_id, "language": language, "author": {"role": _ROLE_VALUES[author], "id": author_id}}


# A command makes a notification per (event, recipient, channel): built positionally (every field, in
# order) without the frozen constructor's overhead (see resolvekit.domain._build).
_new_notification: Callable[..., Notification] = frozen_builder(Notification)


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
    channels: tuple[str, ...]
    if policy is None:
        channels, proactive_events = (channel,), _NO_EVENTS
    else:
        channels, proactive_events = policy.channels, policy.proactive_events
    # The case does not change in the loop: its part of the parameters is looked up once.
    try:
        context = _CASE_CONTEXTS[case.__class__][case.status]
    except KeyError:
        context = _case_context(case)
    template, plans, routed_plans, platform_review, routable = context
    platform_routed = routable and getattr(case, "routing", "merchant") == "platform"
    if platform_routed:
        plans = routed_plans
    case_id = case.id
    order_number = case.order_number or ""
    customer_name = case.customer_name
    result: list[Notification] = []
    for event in events:
        kind, payload, author = event.kind, event.payload, event.actor.role
        if kind is _MESSAGE_ADDED and (payload.get("internal") or payload.get("no_response_needed")):
            continue
        try:
            plan = plans[kind][author]
        except KeyError:  # the first event of its kind by such an author
            plan = _plain_plan(plans, kind, author, platform_routed, platform_review)
        kind_value, targets, author_label, self_service, sla = plan
        special = _self_service(case, event) if self_service else None
        if special is not None:
            kind_value, targets, author_label, _, _ = _plan(special[0], kind, author, platform_routed, platform_review)
        if not targets:
            continue  # nobody to tell (and nothing below could fail)
        translatable = _translatable(case, kind, payload, author) if "message_id" in payload or kind is _OFFER_PROPOSED else None
        params = template.copy()  # the template's keys in its order; set the case's own values (cheaper than a new dict)
        params["case_id"] = case_id
        params["order_number"] = order_number
        params["customer_name"] = customer_name
        params["author_label"] = author_label
        if "body" in payload:
            params["body"] = payload["body"]
        if "text" in payload:
            params["text"] = payload["text"]
        if "description" in payload:
            params["description"] = payload["description"]
        if "stars" in payload:
            params["stars"] = labels.number(payload["stars"])
        if sla:
            params.update(_sla_params(payload))
        if "offer_id" in payload:
            _add_offer_params(params, payload)
        if special is not None:
            params.update(special[1])
        version = event.version
        for role, subject, body in targets:
            if role is _CUSTOMER:
                if kind_value in proactive_events and policy is not None:  # a proactive message: not too long after the order's completion
                    if not proactive_allowed(case.order_completed_at, event.at, policy.proactive_window):
                        continue
                try:
                    recipient, address_key = _CUSTOMER_ADDRESSES[case.customer_id, case.customer_locale, case.customer_time_zone]
                except KeyError:
                    recipient, address_key = _customer_address(case)
            elif role is _MERCHANT:
                try:
                    recipient, address_key = _STORE_ADDRESSES[case.store_id]
                except KeyError:
                    recipient, address_key = _store_address(case.store_id)
            else:
                recipient, address_key = _PLATFORM_ADDRESS
            for name in channels:
                # key, case_id, event_version, event_kind, recipient, channel, subject, body, params, translatable
                result.append(_new_notification(f"{case_id}:{version}:{address_key}{name}", case_id, version, kind_value, recipient, name, subject, body, params, translatable))
    return result
