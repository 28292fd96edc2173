"""What the host's customer card says about a customer's risk (DOMAIN section 8).

The host owns the customer card: it blocks customers with a reason, and its fraud detection across
stores tags risky ones. resolvekit asks it through the ``resolvekit_customer_risk`` hook when a case
opens, records the answer on the case (merchants and the platform see it, the customer never does),
and refuses the opening when the customer is blocked and ``Policy.security.blocked_customers_may_open``
is ``False``.
"""

from __future__ import annotations

from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError

__all__ = ["CustomerRisk"]


def _reason(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field="CustomerRisk.reason", type=type(value).__name__)
    return value.strip()[:500] or None


@attrs.frozen
class CustomerRisk:
    """The host's verdict on a customer at a store.

    ``blocked``: the store (or the platform) blocked the customer. ``risky``: fraud detection tagged
    them (the "Blocked customer" tag of DOMAIN section 8 that warns the merchant). ``reason`` is the
    host's short explanation for staff, never shown to the customer (at most 500 characters kept).
    """

    blocked: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    risky: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    reason: str | None = attrs.field(default=None, converter=_reason)

    @property
    def flagged(self) -> bool:
        """Whether there is anything to warn staff about."""
        return self.blocked or self.risky

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain data (recorded in the opening event)."""
        return {"blocked": self.blocked, "risky": self.risky, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerRisk:
        """Rebuild a verdict written by :meth:`to_dict`."""
        return cls(bool(data.get("blocked")), bool(data.get("risky")), data.get("reason"))
