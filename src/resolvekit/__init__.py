"""resolvekit: what happens after a sale goes wrong, as a library a shop backend embeds.

Create one :class:`ResolveKit` and call its commands with an :class:`Actor`::

    from resolvekit import Actor, ResolveKit

    rk = ResolveKit()
    result = rk.open_complaint(Actor.customer("c-1"), order=order, customer=customer,
                               reason="damaged_goods", description="...", declaration_accepted=True)
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

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

if _TYPE_CHECKING:
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

# The lifecycle classes are declared with python-statemachine, which the command path does not need
# (it uses the tables compiled from them on first use): they are imported when first asked for, so
# that `import resolvekit` does not load python-statemachine. Add new lifecycles here, not above.
_LAZY = {
    name: "resolvekit.domain.lifecycles"
    for name in ("ComplaintLifecycle", "HelpRequestLifecycle", "OfferLifecycle", "TicketLifecycle")
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
