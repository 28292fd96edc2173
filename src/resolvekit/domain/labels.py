"""The words resolvekit shows people, and the values it formats for their locale.

Statuses, case kinds, roles and activity descriptions are gettext ids here, marked with ``N_`` so
they are extracted into the catalogs; nothing is translated in this module (the domain is pure).

Notification parameters that depend on the reader's locale (a label, an amount of money, a date)
are stored as *localized values*: small JSON-ready dicts with a ``"$"`` key saying what they are,
built by the constructors below (:func:`label`, :func:`money`, :func:`moment`...). They go into the
outbox as they are, and the recipient's :class:`~resolvekit.localization.Localizer` turns each into
text when the notification is rendered: ``{"$": "money", "amount": "249.00", "currency": "SAR"}``
becomes ``"SAR 249.00"`` in English and ``"‏٢٤٩٫٠٠ ر.س.‏"`` for ``ar_SA``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from resolvekit._i18n import N_
from resolvekit.domain.actors import Role
from resolvekit.domain.events import CaseEvent, EventKind

__all__ = [
    "ACTIVITY",
    "ACTOR_LABELS",
    "KIND_LABELS",
    "KIND_NAMES",
    "LOCALIZED_TYPES",
    "ROLE_NAMES",
    "STATUS_LABELS",
    "day",
    "describe_event",
    "label",
    "language",
    "moment",
    "money",
    "number",
    "percent",
    "status",
    "term",
]

STATUS_LABELS: Mapping[str, str] = {
    # cases
    "under_platform_review": N_("Under platform review"),
    "under_merchant_review": N_("Under merchant review"),
    "waiting_for_merchant_response": N_("Waiting for the merchant's response"),
    "waiting_for_customer_response": N_("Waiting for the customer's response"),
    "closed": N_("Closed"),
    "answered": N_("Answered"),
    # offers
    "proposed": N_("Proposed"),
    "accepted": N_("Accepted"),
    "executing": N_("Being carried out"),
    "awaiting_return": N_("Waiting for the returned item"),
    "failed": N_("Failed"),
    "executed": N_("Carried out"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
    "cancelled": N_("Cancelled"),
}
"""Every status of the case and offer lifecycles -> its label (a gettext id). A status missing here
(a host's own) is shown as it is named, or as the host's catalog translates the name."""

KIND_LABELS: Mapping[str, str] = {"complaint": N_("Complaint"), "ticket": N_("Ticket"), "help_request": N_("Help request")}
"""Case kinds, capitalised (at the start of a subject line)."""

KIND_NAMES: Mapping[str, str] = {"complaint": N_("complaint"), "ticket": N_("ticket"), "help_request": N_("help request")}
"""Case kinds inside a sentence (error messages)."""

ROLE_NAMES: Mapping[str, str] = {
    "customer": N_("customer"),
    "merchant": N_("merchant"),
    "platform": N_("platform team member"),
    "system": N_("automatic process"),
}
"""Roles inside a sentence (``"A {role} may not ..."``)."""

ACTOR_LABELS: Mapping[Role, str] = {
    Role.CUSTOMER: N_("The customer"),
    Role.MERCHANT: N_("The merchant"),
    Role.PLATFORM: N_("The platform team"),
    Role.SYSTEM: N_("resolvekit"),
}
"""Who did something, at the start of an activity description."""

ACTIVITY: Mapping[str, str] = {
    EventKind.COMPLAINT_OPENED: N_("{actor} opened the complaint about order {order_number}."),
    EventKind.TICKET_OPENED: N_("{actor} opened the ticket."),
    EventKind.HELP_REQUESTED: N_("The customer asked for help with order {order_number}; the answer: {outcome}."),
    EventKind.REVIEW_PASSED: N_("The complaint passed the platform review and went to the merchant."),
    EventKind.MESSAGE_ADDED: N_("{actor} replied."),
    EventKind.CASE_CLOSED: N_("{actor} closed the case."),
    EventKind.TICKET_RATED: N_("{actor} rated the ticket {stars} of 5."),
    EventKind.COMPLAINT_DISPUTED: N_("The merchant answered that the complaint is not valid."),
    EventKind.OFFER_PROPOSED: N_("{actor} offered a resolution: {offer_kind}."),
    EventKind.OFFER_ACCEPTED: N_("{actor} accepted the offer {offer_id}."),
    EventKind.OFFER_REJECTED: N_("{actor} rejected the offer {offer_id}."),
    EventKind.OFFER_WITHDRAWN: N_("{actor} withdrew the offer {offer_id}."),
    EventKind.OFFER_EXPIRED: N_("The offer {offer_id} expired without an answer."),
    EventKind.OFFER_EXECUTION_STARTED: N_("Carrying out the offer {offer_id} started."),
    EventKind.OFFER_STEP_DONE: N_("A step of the offer {offer_id} is done."),
    EventKind.OFFER_AWAITING_RETURN: N_("The offer {offer_id} waits for the item to come back."),
    EventKind.RETURN_RECEIVED: N_("The returned item of the offer {offer_id} arrived."),
    EventKind.OFFER_EXECUTED: N_("The offer {offer_id} was carried out."),
    EventKind.OFFER_FAILED: N_("Carrying out the offer {offer_id} failed; it will be retried."),
    EventKind.OFFER_CANCELLED: N_("{actor} cancelled the offer {offer_id}: {reason}"),
    EventKind.CASE_ESCALATED: N_("{actor} escalated the case to the platform."),
    EventKind.SAFETY_ISSUE_FLAGGED: N_("{actor} reported a safety issue."),
    EventKind.POLICY_DISPUTED: N_("{actor} disputed a policy."),
    EventKind.CLOCK_BREACHED: N_("A response deadline was missed."),
    EventKind.DEADLINE_WARNING: N_("A response deadline is near."),
    EventKind.AUTO_CLOSE_WARNED: N_("The customer was told that the case closes automatically at {closes_at}."),
}
"""Event kind -> the activity-log description (a gettext id with ``{named}`` parameters)."""

_INTERNAL_NOTE = N_("{actor} added an internal note.")
_MESSAGE_TRANSLATED = N_("A message was translated automatically into {language}.")
_OTHER_EVENT = N_("{actor} recorded '{event}'.")

LOCALIZED_TYPES = frozenset({"label", "term", "status", "money", "percent", "datetime", "date", "number", "language"})
"""The values of the ``"$"`` key of a localized value."""


def label(message: str) -> dict[str, Any]:
    """A gettext id, translated for the reader (e.g. ``label(KIND_LABELS["complaint"])``)."""
    return {"$": "label", "id": message}


def term(word: str) -> dict[str, Any]:
    """A host's word (an order status such as ``"delivered"``): translated when a catalog knows it,
    else shown as it is."""
    return {"$": "term", "id": word}


def status(name: str) -> dict[str, Any]:
    """A lifecycle status, shown as its translated label (:data:`STATUS_LABELS`)."""
    return {"$": "status", "id": name}


def money(amount: Decimal | str | int, currency: str) -> dict[str, Any]:
    """An amount of money, formatted for the reader's locale (symbol, grouping, digits)."""
    return {"$": "money", "amount": str(amount), "currency": currency}


def percent(value: Decimal | str | int) -> dict[str, Any]:
    """A share in percent (``10`` is 10 %)."""
    return {"$": "percent", "value": str(value)}


def moment(value: datetime | str) -> dict[str, Any]:
    """A point in time, shown as a date and time in the reader's time zone."""
    return {"$": "datetime", "at": value.isoformat() if isinstance(value, datetime) else value}


def day(value: date | datetime | str) -> dict[str, Any]:
    """A calendar date (no time), in the reader's locale."""
    if isinstance(value, datetime):
        value = value.date()
    return {"$": "date", "on": value.isoformat() if isinstance(value, date) else str(value)[:10]}


def number(value: int | Decimal | str) -> dict[str, Any]:
    """A number, with the reader's digits and grouping."""
    return {"$": "number", "value": value if isinstance(value, int) else str(value)}


def language(tag: str) -> dict[str, Any]:
    """A language (``"ar"``), shown by its name in the reader's language (``"Arabic"``, ``"árabe"``)."""
    return {"$": "language", "id": tag}



def describe_event(event: CaseEvent, order_number: str | None = None) -> tuple[str, dict[str, Any]]:
    """The activity description of ``event``: a gettext id and its parameters (localized values)."""
    p = event.payload
    params: dict[str, Any] = {
        "actor": label(ACTOR_LABELS.get(event.actor.role, ACTOR_LABELS[Role.SYSTEM])),
        "order_number": order_number or p.get("order_number") or "",
        "offer_id": p.get("offer_id") or "",
    }
    kind = event.kind
    if kind is EventKind.MESSAGE_ADDED and p.get("internal"):
        return _INTERNAL_NOTE, params
    if kind.value == "message_translated":
        params["language"] = language(str(p.get("locale", "")))
        return _MESSAGE_TRANSLATED, params
    if kind is EventKind.HELP_REQUESTED:
        from resolvekit.domain.triage import TriageOutcome

        outcome = p.get("outcome")
        known = outcome in TriageOutcome.__members__.values()
        params["outcome"] = label(TriageOutcome(str(outcome)).label) if known else term(str(outcome))
    elif kind is EventKind.TICKET_RATED:
        params["stars"] = number(int(p.get("stars", 0)))
    elif kind is EventKind.OFFER_PROPOSED:
        from resolvekit.domain.offers import BUILTIN_KINDS

        offer_kind = str(p.get("kind", ""))
        builtin = BUILTIN_KINDS.get(offer_kind)
        params["offer_kind"] = label(builtin.label) if builtin is not None else term(offer_kind)
    elif kind is EventKind.OFFER_CANCELLED:
        params["reason"] = str(p.get("reason") or "")
    elif kind is EventKind.AUTO_CLOSE_WARNED:
        params["closes_at"] = moment(str(p.get("closes_at", ""))) if p.get("closes_at") else ""
    text = ACTIVITY.get(kind)
    if text is None:
        params["event"] = kind.value
        return _OTHER_EVENT, params
    return text, params
