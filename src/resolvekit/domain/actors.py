"""Who acts: customers, merchants (for one store), the platform team, and the system."""

from __future__ import annotations

import enum

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError

__all__ = ["Actor", "Role"]


class Role(enum.StrEnum):
    """The four parties of DOMAIN section 1."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    SYSTEM = "system"


def _non_empty(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("{field} must be a non-empty string."), field=f"Actor.{attribute.name}")


@attrs.frozen
class Actor:
    """Someone issuing a command or reading a case.

    Build one with the named constructors: ``Actor.customer("c-1")``, ``Actor.merchant("u-7",
    store_id="s-1")``, ``Actor.platform("agent-3")`` or ``Actor.system()``. A merchant always acts for
    exactly one store; the host decides, after its own login, which actor a request is.

    ``case_id`` limits a customer to one case: a customer who is not logged in but verified with
    a complaint number, tracking code and verification code acts through guest access
    (:meth:`ResolveKit.guest_actor <resolvekit.guest_access.GuestAccessCommands.guest_actor>`) and
    sees and changes that one complaint only.
    """

    role: Role = attrs.field(converter=Role)
    id: str = attrs.field(validator=_non_empty)
    store_id: str | None = None
    case_id: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.case_id is not None and (self.role is not Role.CUSTOMER or not isinstance(self.case_id, str) or not self.case_id):
            raise ValidationError(N_("Only a customer actor can be limited to one case (guest access)."))
        if self.role is Role.MERCHANT and not self.store_id:
            raise ValidationError(N_("A merchant actor needs the store_id of the store it acts for."))
        if self.role is not Role.MERCHANT and self.store_id is not None:
            raise ValidationError(N_("Only a merchant actor belongs to a store; drop store_id for a {role}."), role=self.role.value)

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        """The customer ``customer_id`` (a logged-in buyer)."""
        return cls(Role.CUSTOMER, customer_id)

    @classmethod
    def merchant(cls, user_id: str, *, store_id: str) -> Actor:
        """A merchant user acting for ``store_id``."""
        return cls(Role.MERCHANT, user_id, store_id)

    @classmethod
    def platform(cls, user_id: str) -> Actor:
        """A member of the platform's own team."""
        return cls(Role.PLATFORM, user_id)

    @classmethod
    def system(cls, name: str = "resolvekit") -> Actor:
        """Automation: timers, sweeps, automatic replies."""
        return cls(Role.SYSTEM, name)

    @classmethod
    def guest(cls, customer_id: str, case_id: str) -> Actor:
        """The customer ``customer_id`` acting through guest access on the one case ``case_id``."""
        return cls(Role.CUSTOMER, customer_id, case_id=case_id)

    def to_dict(self) -> dict[str, str | None]:
        """The actor as plain data (for storage and logs)."""
        data = {"role": self.role.value, "id": self.id, "store_id": self.store_id}
        if self.case_id is not None:
            data["case_id"] = self.case_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Actor:
        """Rebuild an actor written by :meth:`to_dict`."""
        return cls(Role(str(data["role"])), str(data["id"]), data.get("store_id"), case_id=data.get("case_id"))
