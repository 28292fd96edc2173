"""resolvekit: what happens after a sale goes wrong, as a library a shop backend embeds.

Create one :class:`ResolveKit` and call its commands with an :class:`Actor`::

    from resolvekit import Actor, ResolveKit

    rk = ResolveKit()
    result = rk.open_complaint(Actor.customer("c-1"), order=order, customer=customer,
                               reason="damaged_goods", description="...", declaration_accepted=True)
"""

from resolvekit.application import CommandResult, DispatchReport, ResolveKit
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, Complaint, Message, Proposal, Rating, Ticket
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.lifecycles import ComplaintLifecycle, TicketLifecycle
from resolvekit.domain.notifications import Notification, Recipient
from resolvekit.domain.policy import Policy
from resolvekit.domain.templates import CannedResponse
from resolvekit.domain.values import Attachment, Customer, Order, OrderItem, Store
from resolvekit.errors import (
    CaseClosed,
    CaseNotFound,
    ConcurrencyConflict,
    ConfigurationError,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    OrderNotFound,
    PermissionDenied,
    ResolveKitError,
    StorageError,
    ValidationError,
)
from resolvekit.hookspecs import hookimpl
from resolvekit.storage import CaseQuery, Page

__version__ = "0.1.0.dev0"

__all__ = [
    "Actor",
    "Attachment",
    "CannedResponse",
    "Case",
    "CaseClosed",
    "CaseEvent",
    "CaseNotFound",
    "CaseQuery",
    "CommandResult",
    "Complaint",
    "ComplaintLifecycle",
    "ConcurrencyConflict",
    "ConfigurationError",
    "Customer",
    "DispatchReport",
    "EventKind",
    "IdempotencyKeyReused",
    "InvalidTransition",
    "Message",
    "NotFound",
    "Notification",
    "Order",
    "OrderItem",
    "OrderNotFound",
    "Page",
    "PermissionDenied",
    "Policy",
    "Proposal",
    "Rating",
    "Recipient",
    "ResolveKit",
    "ResolveKitError",
    "Role",
    "StorageError",
    "Store",
    "Ticket",
    "TicketLifecycle",
    "ValidationError",
    "__version__",
    "hookimpl",
]
