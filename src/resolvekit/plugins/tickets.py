"""The built-in ticket types, registered through the same hook a host's plugin uses.

"My order is delayed" (:data:`~resolvekit.domain.ticket_types.ORDER_DELAYED`) and "payment deducted
without an order" (:data:`~resolvekit.domain.ticket_types.PAYMENT_WITHOUT_ORDER`), DOMAIN section 3.
Block this plugin (``ResolveKit(blocked=["tickets"])``) to offer only a host's own types, or register
a type of the same name with ``replace=True`` to change one of them.
"""

from __future__ import annotations

from resolvekit.domain.ticket_types import ORDER_DELAYED, PAYMENT_WITHOUT_ORDER, TicketTypeRegistry
from resolvekit.hookspecs import hookimpl

__all__ = ["resolvekit_ticket_types"]


@hookimpl
def resolvekit_ticket_types(register: TicketTypeRegistry) -> None:
    """Register the two built-in ticket types."""
    register(ORDER_DELAYED)
    register(PAYMENT_WITHOUT_ORDER)
