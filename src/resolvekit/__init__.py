"""resolvekit: what happens after a sale goes wrong, as a library a shop backend embeds.

Create one :class:`ResolveKit` and call its commands with an :class:`Actor`::

    from resolvekit import Actor, ResolveKit

    rk = ResolveKit()
    result = rk.open_complaint(Actor.customer("c-1"), order=order, customer=customer,
                               reason="damaged_goods", description="...", declaration_accepted=True)
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from resolvekit.application import CommandResult, DispatchReport, ResolveKit
    from resolvekit.domain.actors import Actor, Role
    from resolvekit.domain.calendars import ALWAYS, BusinessCalendar, DeadlineExplanation
    from resolvekit.domain.cases import Case, Complaint, Escalation, HelpRequest, Message, Rating, Ticket
    from resolvekit.domain.events import CaseEvent, EventKind
    from resolvekit.domain.money import Money
    from resolvekit.domain.notifications import Notification, Recipient
    from resolvekit.domain.offers import ExecutionRequest, Offer, OfferKind, OfferPolicy
    from resolvekit.domain.policy import Policy
    from resolvekit.domain.risk import CustomerRisk
    from resolvekit.domain.security import SecurityPolicy
    from resolvekit.domain.sla import ClockPolicy, SlaPolicy
    from resolvekit.domain.templates import CannedResponse
    from resolvekit.domain.ticket_types import FormField, Requirement, Routing, TicketType
    from resolvekit.domain.triage import TriageBatch, TriageDecision, TriageOutcome, TriagePolicy, TriageRule, TriageRules
    from resolvekit.domain.values import Attachment, Customer, Order, OrderItem, Store
    from resolvekit.errors import (
        AccessGrantInvalid,
        AttachmentEmpty,
        AttachmentNameRefused,
        AttachmentRefused,
        AttachmentTooLarge,
        AttachmentTypeMismatch,
        AttachmentTypeNotAllowed,
        CustomerBlocked,
        GuestAccessDenied,
        TextRefused,
        VerificationCodeExpired,
        VerificationCodeRequired,
        VerificationCodeUsed,
        VerificationCodeWrong,
        VerificationFailed,
        VerificationLocked,
        VerificationNotSent,
        CardNumberRefused,
        CaseClosed,
        CaseNotFound,
        ConcurrencyConflict,
        ConfigurationError,
        CurrencyMismatch,
        IdempotencyKeyReused,
        InquiryNotOffered,
        InvalidAmount,
        InvalidShare,
        InvalidTransition,
        NotDue,
        NotFound,
        OfferExpired,
        OfferLimitReached,
        OfferNotFound,
        OfferNotOpen,
        OrderInFuture,
        OrderNotFound,
        OverRefund,
        PermissionDenied,
        ResolveKitError,
        SelfServiceDisabled,
        StorageError,
        UnknownTicketType,
        ValidationError,
    )
    from resolvekit.guest_access import GuestGrant
    from resolvekit.hookspecs import hookimpl
    from resolvekit.offer_service import ExecutionReport
    from resolvekit.self_service import HelpResult
    from resolvekit.storage import CaseQuery, Page

if _TYPE_CHECKING:  # the lifecycles load python-statemachine
    from resolvekit.domain.lifecycles import ComplaintLifecycle, HelpRequestLifecycle, OfferLifecycle, TicketLifecycle

__version__ = "0.1.0.dev0"
"""The installed version of resolvekit (PEP 440)."""

__all__ = [
    "ALWAYS",
    "AccessGrantInvalid",
    "Actor",
    "Attachment",
    "AttachmentEmpty",
    "AttachmentNameRefused",
    "AttachmentRefused",
    "AttachmentTooLarge",
    "AttachmentTypeMismatch",
    "AttachmentTypeNotAllowed",
    "BusinessCalendar",
    "CannedResponse",
    "CardNumberRefused",
    "Case",
    "CaseClosed",
    "CaseEvent",
    "CaseNotFound",
    "CaseQuery",
    "ClockPolicy",
    "CommandResult",
    "Complaint",
    "ComplaintLifecycle",
    "ConcurrencyConflict",
    "ConfigurationError",
    "CurrencyMismatch",
    "Customer",
    "CustomerBlocked",
    "CustomerRisk",
    "DeadlineExplanation",
    "DispatchReport",
    "Escalation",
    "EventKind",
    "ExecutionReport",
    "ExecutionRequest",
    "FormField",
    "GuestAccessDenied",
    "GuestGrant",
    "HelpRequest",
    "HelpRequestLifecycle",
    "HelpResult",
    "IdempotencyKeyReused",
    "InquiryNotOffered",
    "InvalidAmount",
    "InvalidShare",
    "InvalidTransition",
    "Message",
    "Money",
    "NotDue",
    "NotFound",
    "Notification",
    "Offer",
    "OfferExpired",
    "OfferKind",
    "OfferLifecycle",
    "OfferLimitReached",
    "OfferNotFound",
    "OfferNotOpen",
    "OfferPolicy",
    "Order",
    "OrderInFuture",
    "OrderItem",
    "OrderNotFound",
    "OverRefund",
    "Page",
    "PermissionDenied",
    "Policy",
    "Rating",
    "Recipient",
    "Requirement",
    "ResolveKit",
    "ResolveKitError",
    "Role",
    "Routing",
    "SecurityPolicy",
    "SelfServiceDisabled",
    "SlaPolicy",
    "StorageError",
    "Store",
    "TextRefused",
    "Ticket",
    "TicketLifecycle",
    "TicketType",
    "TriageBatch",
    "TriageDecision",
    "TriageOutcome",
    "TriagePolicy",
    "TriageRule",
    "TriageRules",
    "UnknownTicketType",
    "ValidationError",
    "VerificationCodeExpired",
    "VerificationCodeRequired",
    "VerificationCodeUsed",
    "VerificationCodeWrong",
    "VerificationFailed",
    "VerificationLocked",
    "VerificationNotSent",
    "hookimpl",
    "__version__",
]

# Public name -> the module defining it. Names load on first access (PEP 562), so `import resolvekit`
# costs almost nothing and a program pays only for the parts it uses; type checkers read the imports
# above. The lifecycle classes load python-statemachine, which the command path never needs (it uses
# the tables compiled from them). A new public name goes in __all__, the block above and this map.
_LAZY: dict[str, str] = {
    "ALWAYS": "resolvekit.domain.calendars",
    "AccessGrantInvalid": "resolvekit.errors",
    "Actor": "resolvekit.domain.actors",
    "Attachment": "resolvekit.domain.values",
    "AttachmentEmpty": "resolvekit.errors",
    "AttachmentNameRefused": "resolvekit.errors",
    "AttachmentRefused": "resolvekit.errors",
    "AttachmentTooLarge": "resolvekit.errors",
    "AttachmentTypeMismatch": "resolvekit.errors",
    "AttachmentTypeNotAllowed": "resolvekit.errors",
    "BusinessCalendar": "resolvekit.domain.calendars",
    "CannedResponse": "resolvekit.domain.templates",
    "CardNumberRefused": "resolvekit.errors",
    "Case": "resolvekit.domain.cases",
    "CaseClosed": "resolvekit.errors",
    "CaseEvent": "resolvekit.domain.events",
    "CaseNotFound": "resolvekit.errors",
    "CaseQuery": "resolvekit.storage",
    "ClockPolicy": "resolvekit.domain.sla",
    "CommandResult": "resolvekit.application",
    "Complaint": "resolvekit.domain.cases",
    "ConcurrencyConflict": "resolvekit.errors",
    "ConfigurationError": "resolvekit.errors",
    "CurrencyMismatch": "resolvekit.errors",
    "Customer": "resolvekit.domain.values",
    "CustomerBlocked": "resolvekit.errors",
    "CustomerRisk": "resolvekit.domain.risk",
    "DeadlineExplanation": "resolvekit.domain.calendars",
    "DispatchReport": "resolvekit.application",
    "Escalation": "resolvekit.domain.cases",
    "EventKind": "resolvekit.domain.events",
    "ExecutionReport": "resolvekit.offer_service",
    "ExecutionRequest": "resolvekit.domain.offers",
    "FormField": "resolvekit.domain.ticket_types",
    "GuestAccessDenied": "resolvekit.errors",
    "GuestGrant": "resolvekit.guest_access",
    "HelpRequest": "resolvekit.domain.cases",
    "HelpResult": "resolvekit.self_service",
    "IdempotencyKeyReused": "resolvekit.errors",
    "InquiryNotOffered": "resolvekit.errors",
    "InvalidAmount": "resolvekit.errors",
    "InvalidShare": "resolvekit.errors",
    "InvalidTransition": "resolvekit.errors",
    "Message": "resolvekit.domain.cases",
    "Money": "resolvekit.domain.money",
    "NotDue": "resolvekit.errors",
    "NotFound": "resolvekit.errors",
    "Notification": "resolvekit.domain.notifications",
    "Offer": "resolvekit.domain.offers",
    "OfferExpired": "resolvekit.errors",
    "OfferKind": "resolvekit.domain.offers",
    "OfferLimitReached": "resolvekit.errors",
    "OfferNotFound": "resolvekit.errors",
    "OfferNotOpen": "resolvekit.errors",
    "OfferPolicy": "resolvekit.domain.offers",
    "Order": "resolvekit.domain.values",
    "OrderInFuture": "resolvekit.errors",
    "OrderItem": "resolvekit.domain.values",
    "OrderNotFound": "resolvekit.errors",
    "OverRefund": "resolvekit.errors",
    "Page": "resolvekit.storage",
    "PermissionDenied": "resolvekit.errors",
    "Policy": "resolvekit.domain.policy",
    "Rating": "resolvekit.domain.cases",
    "Recipient": "resolvekit.domain.notifications",
    "Requirement": "resolvekit.domain.ticket_types",
    "ResolveKit": "resolvekit.application",
    "ResolveKitError": "resolvekit.errors",
    "Role": "resolvekit.domain.actors",
    "Routing": "resolvekit.domain.ticket_types",
    "SecurityPolicy": "resolvekit.domain.security",
    "SelfServiceDisabled": "resolvekit.errors",
    "SlaPolicy": "resolvekit.domain.sla",
    "StorageError": "resolvekit.errors",
    "Store": "resolvekit.domain.values",
    "TextRefused": "resolvekit.errors",
    "Ticket": "resolvekit.domain.cases",
    "TicketType": "resolvekit.domain.ticket_types",
    "TriageBatch": "resolvekit.domain.triage",
    "TriageDecision": "resolvekit.domain.triage",
    "TriageOutcome": "resolvekit.domain.triage",
    "TriagePolicy": "resolvekit.domain.triage",
    "TriageRule": "resolvekit.domain.triage",
    "TriageRules": "resolvekit.domain.triage",
    "UnknownTicketType": "resolvekit.errors",
    "ValidationError": "resolvekit.errors",
    "VerificationCodeExpired": "resolvekit.errors",
    "VerificationCodeRequired": "resolvekit.errors",
    "VerificationCodeUsed": "resolvekit.errors",
    "VerificationCodeWrong": "resolvekit.errors",
    "VerificationFailed": "resolvekit.errors",
    "VerificationLocked": "resolvekit.errors",
    "VerificationNotSent": "resolvekit.errors",
    "hookimpl": "resolvekit.hookspecs",
    **{
        name: "resolvekit.domain.lifecycles"
        for name in ("ComplaintLifecycle", "HelpRequestLifecycle", "OfferLifecycle", "TicketLifecycle")
    },
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolvekit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
