"""The policy: every rule that differs between platforms, in one frozen, documented object.

A host builds one :class:`Policy` (or takes the defaults) and hands it to
:class:`~resolvekit.ResolveKit`. Bad settings fail here, at construction, never mid-command.
Later capabilities add their settings to this object.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Role
from resolvekit.domain.notifications import NotificationPolicy
from resolvekit.domain.offers import OfferPolicy
from resolvekit.domain.security import SecurityPolicy
from resolvekit.domain.sla import SlaPolicy
from resolvekit.domain.triage import TriagePolicy
from resolvekit.errors import ConfigurationError

__all__ = ["COMPLAINT_REASONS", "Policy"]


def _roles(value: Iterable[Role | str]) -> frozenset[Role]:
    try:
        roles = frozenset(Role(v) for v in value)
    except ValueError as exc:
        raise ConfigurationError(N_("Unknown role in policy: {reason}"), reason=str(exc)) from None
    if not roles:
        raise ConfigurationError(N_("A policy needs at least one role that may close; got none."))
    return roles


COMPLAINT_REASONS: frozenset[str] = frozenset(
    {
        "product_defect",
        "different_product",
        "damaged_goods",
        "missing_parts",
        "not_received",
        "buyers_remorse",
        "description_mismatch",
        "shipping_delivery",
        "customer_service",
        "packaging",
        "fraud_account_security",
        "other",
    }
)
"""Default complaint reasons (DOMAIN section 2)."""


def _reasons(value: Iterable[str]) -> frozenset[str]:
    reasons = frozenset(value)
    if not reasons or not all(isinstance(r, str) and r.strip() for r in reasons):
        raise ConfigurationError(N_("Policy.complaint_reasons must be a non-empty set of non-empty names."))
    return reasons


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(N_("Policy.{field} must be a positive whole number, got {value!r}."), field=attribute.name, value=value)


@attrs.frozen
class Policy:
    """Rules of one platform. Every field has a default taken from ``DOMAIN.md``.

    Attributes:
        complaint_closers: roles that may close a complaint. Default: only the customer (DOMAIN 2).
        ticket_closers: roles that may close a ticket. Default: only the customer (DOMAIN 3).
        complaint_platform_review: whether a new complaint starts ``under_platform_review`` (the
            platform checks it first). When ``False`` the system passes the review at once and the
            complaint starts waiting for the merchant.
        close_requires_confirmation: whether closing (or accepting a resolution, which closes) needs
            the customer's explicit confirmation step.
        max_message_length: the longest message body, in characters (default 5000).
        max_attachments: the most attachments on one message (default 10).
        complaint_reasons: the reasons a customer may choose (DOMAIN section 2: reasons of the
            claims source and categories of the sellers' guide). A host may narrow or extend them.
        offers: the resolution-offer rules (:class:`~resolvekit.domain.offers.OfferPolicy`: expiry,
            offers per complaint, partial-refund share limits, return before refund, whether
            accepting closes the complaint), each with its documented default.
        sla: deadlines, SLA clocks, escalation and auto-close (:class:`~resolvekit.domain.sla.SlaPolicy`:
            24 h first and next response on a 24/7 calendar, 72 h resolution, 48 h inquiry to claim,
            escalation after 3 rejected offers or 3 days without an answer, no auto-close), each
            with its documented default.
        triage: the delayed-order triage settings (:class:`~resolvekit.domain.triage.TriagePolicy`:
            the 48 h window, "over" meaning strictly longer; the host-status -> triage-status map;
            5 minutes of tolerated clock skew for orders created "in the future").
        security: guest access, verification codes, card numbers in free text, attachments and
            blocked customers (:class:`~resolvekit.domain.security.SecurityPolicy`: 6-digit codes
            valid 10 minutes, 5 attempts per code and 10 per complaint per hour, 30-minute guest
            access, card numbers masked, 10 MiB files of PDF, common images or XML), each with its
            documented default.
        notifications: how notifications go out
            (:class:`~resolvekit.domain.notifications.NotificationPolicy`: email only, SMS of at most
            2 parts, chat messages of at most 4096 characters, proactive messages only within 30 days
            of the order's completion, 2 seconds for a machine translation at delivery).
    """

    complaint_closers: frozenset[Role] = attrs.field(default=frozenset({Role.CUSTOMER}), converter=_roles)
    ticket_closers: frozenset[Role] = attrs.field(default=frozenset({Role.CUSTOMER}), converter=_roles)
    complaint_platform_review: bool = True
    close_requires_confirmation: bool = True
    max_message_length: int = attrs.field(default=5000, validator=_positive)
    max_attachments: int = attrs.field(default=10, validator=_positive)
    complaint_reasons: frozenset[str] = attrs.field(default=COMPLAINT_REASONS, converter=_reasons)
    offers: OfferPolicy = attrs.field(factory=OfferPolicy, validator=attrs.validators.instance_of(OfferPolicy))
    sla: SlaPolicy = attrs.field(factory=SlaPolicy, validator=attrs.validators.instance_of(SlaPolicy))
    triage: TriagePolicy = attrs.field(factory=TriagePolicy, validator=attrs.validators.instance_of(TriagePolicy))
    security: SecurityPolicy = attrs.field(factory=SecurityPolicy, validator=attrs.validators.instance_of(SecurityPolicy))
    notifications: NotificationPolicy = attrs.field(
        factory=NotificationPolicy, validator=attrs.validators.instance_of(NotificationPolicy)
    )
