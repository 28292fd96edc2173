"""Value objects the host describes to resolvekit: stores, customers, orders, attachments.

The host owns these records; resolvekit receives them as frozen attrs values and keeps what a case
needs. Times must be timezone-aware and are normalised to UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain._build import frozen_builder
from resolvekit.errors import ValidationError

__all__ = ["Attachment", "Customer", "Order", "OrderItem", "Store", "logged_order", "opening_details", "utc"]


def utc(value: datetime, field: str = "time") -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes (their zone would be a guess)."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # already aware UTC (the clock's usual reading)
    if not isinstance(value, datetime):
        raise ValidationError(N_("{field} must be a datetime, not {type}."), field=field, type=type(value).__name__)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            N_("{field} is a naive datetime; pass a timezone-aware one, e.g. datetime.now(UTC)."), field=field
        )
    return value.astimezone(UTC)


def _text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("{field} must be a non-empty string."), field=attribute.name)


def _decimal(value: object) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("{value!r} is not a decimal amount."), value=value) from None
    if not result.is_finite() or result < 0:
        raise ValidationError(N_("Amounts must be finite and not negative, got {value}."), value=str(result))
    return result


def _currency(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ValidationError(N_("{value!r} is not an ISO 4217 currency code such as 'SAR' or 'USD'."), value=value)
    return value.upper()


@attrs.frozen
class Store:
    """A store (tenant) on the platform. Every case belongs to exactly one store."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    self_service_enabled: bool = True


@attrs.frozen
class Customer:
    """A buyer as the host knows them; ``locale`` picks the language of what they are sent and
    ``time_zone`` (an IANA name such as ``"Asia/Riyadh"``, UTC when ``None``) the clock of the dates
    in it. Both are recorded on the cases the customer opens (see ``docs/i18n.md``)."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    email: str | None = None
    locale: str = "en"
    time_zone: str | None = None


@attrs.frozen
class OrderItem:
    """One line of an order: ``quantity`` units at ``unit_price`` (in the order's currency)."""

    sku: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    quantity: int = attrs.field(validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1)))
    unit_price: Decimal = attrs.field(converter=_decimal)


def _created_at(value: datetime) -> datetime:
    return utc(value, "Order.created_at")


def _items(value: Iterable[OrderItem]) -> tuple[OrderItem, ...]:
    return tuple(value)


def _completed_at(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value, "Order.completed_at")


@attrs.frozen
class Order:
    """An order as the host describes it. ``status`` is the host's own word (e.g. ``"delivered"``).

    ``completed_at`` is when the order was completed (delivered, or finished as the host defines it),
    ``None`` while it is not; proactive messages about the order go out only within 30 days of it.
    ``tracking_url`` is the shipment's tracking link, when the host has one (the delayed-order
    triage sends it to the customer).
    """

    id: str = attrs.field(validator=_text)
    store_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    status: str = attrs.field(validator=_text)
    created_at: datetime = attrs.field(converter=_created_at)
    total_paid: Decimal = attrs.field(converter=_decimal)
    currency: str = attrs.field(converter=_currency)
    items: tuple[OrderItem, ...] = attrs.field(default=(), converter=_items)
    number: str | None = None
    tracking_url: str | None = None
    completed_at: datetime | None = attrs.field(default=None, converter=_completed_at)

    @property
    def display_number(self) -> str:
        """The number the customer sees (``number`` when the host gives one, else the id)."""
        return self.number or self.id

    def to_dict(self) -> dict[str, Any]:
        """The order as JSON-ready data (amounts as strings)."""
        return {
            "id": self.id,
            "store_id": self.store_id,
            "customer_id": self.customer_id,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "total_paid": str(self.total_paid),
            "currency": self.currency,
            "items": [
                {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price": str(i.unit_price)} for i in self.items
            ],
            "number": self.number,
            "tracking_url": self.tracking_url,
            "completed_at": None if self.completed_at is None else self.completed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Order:
        """Rebuild an order written by :meth:`to_dict`."""
        return cls(
            id=data["id"],
            store_id=data["store_id"],
            customer_id=data["customer_id"],
            status=data["status"],
            created_at=datetime.fromisoformat(data["created_at"]),
            total_paid=Decimal(data["total_paid"]),
            currency=data["currency"],
            items=tuple(OrderItem(i["sku"], i["name"], int(i["quantity"]), Decimal(i["unit_price"])) for i in data["items"]),
            number=data.get("number"),
            tracking_url=data.get("tracking_url"),
            completed_at=None if data.get("completed_at") is None else datetime.fromisoformat(data["completed_at"]),
        )


_build_order: Callable[..., Order] = frozen_builder(Order, trusted=tuple(a.name for a in attrs.fields(Order) if a.converter or a.validator))
_build_item: Callable[..., OrderItem] = frozen_builder(OrderItem, trusted=("sku", "name", "quantity", "unit_price"))


def _logged_time(value: str, field: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is UTC else utc(moment, field)


def logged_order(data: Mapping[str, Any]) -> Order:
    """The order an opening event recorded: equal to ``Order.from_dict(data)``, without checking again.

    ``data`` is what :meth:`Order.to_dict` wrote of an order that was checked when the case opened;
    folding a case's log trusts its events (they were checked before they were appended), and this
    runs on every opening of a complaint.
    """
    completed = data.get("completed_at")
    return _build_order(
        data["id"],
        data["store_id"],
        data["customer_id"],
        data["status"],
        _logged_time(data["created_at"], "Order.created_at"),
        Decimal(data["total_paid"]),
        data["currency"],
        tuple(_build_item(i["sku"], i["name"], int(i["quantity"]), Decimal(i["unit_price"])) for i in data["items"]),
        data.get("number"),
        data.get("tracking_url"),
        None if completed is None else _logged_time(completed, "Order.completed_at"),
    )


def opening_details(customer: Customer, order: Order | None) -> dict[str, Any]:
    """What an opening event records of the customer's language and time zone and of the order's
    completion (for notifications in the customer's language and the 30-day rule)."""
    details: dict[str, Any] = {"customer_locale": customer.locale}
    if customer.time_zone is not None:
        details["customer_time_zone"] = customer.time_zone
    if order is not None and order.completed_at is not None:
        details["order_completed_at"] = order.completed_at.isoformat()
    return details


_MAX_NAME = 255


def _whole(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(N_("{field} must be a whole number, got {value!r}."), field=attribute.name, value=value)


@attrs.frozen
class Attachment:
    """Metadata of a file attached to a message; the bytes stay with the host's file storage."""

    name: str = attrs.field(validator=_text)
    content_type: str = attrs.field(validator=_text)
    size: int = attrs.field(validator=_whole)
    ref: str = attrs.field(validator=_text)

    def __attrs_post_init__(self) -> None:
        if self.size <= 0:
            raise ValidationError(N_("Attachment {name!r} is empty; attach a file with content."), name=self.name)
        if len(self.name) > _MAX_NAME:
            raise ValidationError(N_("Attachment names are limited to {limit} characters."), limit=_MAX_NAME)

    def to_dict(self) -> dict[str, Any]:
        """The attachment as plain data."""
        return {"name": self.name, "content_type": self.content_type, "size": self.size, "ref": self.ref}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        """Rebuild an attachment written by :meth:`to_dict`."""
        return cls(data["name"], data["content_type"], int(data["size"]), data["ref"])
