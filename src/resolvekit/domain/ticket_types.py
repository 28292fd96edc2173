"""Ticket types: what a self-service form asks for, how it is checked, and who handles the ticket.

DOMAIN section 3 names two types today ("my order is delayed", "payment deducted without an order")
and announces more (product exchange requests, customer data updates); new types must be addable by
a plugin. Each :class:`TicketType` declares its form fields, their validation, its routing (the
merchant or the platform team) and the status a new ticket starts in. Types are registered through
the ``resolvekit_ticket_types`` hook; the two built-in ones (:data:`ORDER_DELAYED`,
:data:`PAYMENT_WITHOUT_ORDER`) are registered by the built-in ``tickets`` plugin through the very
same hook. Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.cards import last_four_digits, looks_like_card_number, refuse_card_numbers
from resolvekit.domain.free_text import screen_text
from resolvekit.domain.policy import Policy
from resolvekit.domain.security import attachment_values
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.domain.values import Attachment, Order
from resolvekit.errors import ConfigurationError, UnknownTicketType, ValidationError

__all__ = [
    "INITIAL_STATUS",
    "ORDER_DELAYED",
    "PAYMENT_METHODS",
    "PAYMENT_WITHOUT_ORDER",
    "FormField",
    "Requirement",
    "Routing",
    "TicketType",
    "TicketTypeRegistry",
    "TicketTypes",
    "describe",
]


class Routing(enum.StrEnum):
    """Who handles a ticket of a type: the store's merchant, or the platform team."""

    MERCHANT = "merchant"
    PLATFORM = "platform"


INITIAL_STATUS: Mapping[Routing, str] = {
    Routing.MERCHANT: "under_merchant_review",
    Routing.PLATFORM: "under_platform_review",
}
"""The status a new ticket starts in, by routing (the default of :attr:`TicketType.initial_status`)."""


class Requirement(enum.StrEnum):
    """Whether a form needs something: an order, or a free-text description."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


def _identifier(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.isidentifier() or len(value) > 64:
        raise ConfigurationError(
            N_("{field} must be a short identifier such as 'card_last_four'."), field=f"{attribute.name}"
        )


def _label(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(N_("{field} must be a non-empty label."), field=attribute.name)


def _choices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class FormField:
    """One field of a ticket type's form (besides the free-text description).

    Attributes:
        name: the key the host sends the value under (an identifier).
        label: what the form shows (a gettext id).
        required: whether the field must be filled.
        choices: when non-empty, the only values accepted.
        max_length: the longest value, in characters.
        clean: an extra check and normalisation of the trimmed value, called as
            ``clean(value, field_name)``; it returns the value to store or raises
            :class:`~resolvekit.errors.ValidationError`. It must never put the value in its message.
    """

    name: str = attrs.field(validator=_identifier)
    label: str = attrs.field(validator=_label)
    required: bool = True
    choices: tuple[str, ...] = attrs.field(default=(), converter=_choices)
    max_length: int = 200
    clean: Callable[[str, str], str] | None = attrs.field(default=None, eq=False)


def _fields(value: Iterable[FormField]) -> tuple[FormField, ...]:
    return tuple(value)


def _initial_status(self: TicketType) -> str:
    return INITIAL_STATUS[self.routing]


@attrs.frozen
class TicketType:
    """A kind of self-service ticket and its form.

    Attributes:
        name: the type's identifier (``"order_delayed"``); stored on every ticket of the type.
        label: what the customer picks from (a gettext id).
        routing: who handles the ticket (:class:`Routing`); a platform-routed ticket needs no merchant
            action and its replies and closing notify the platform team instead of the merchant.
        initial_status: the ticket lifecycle status a new ticket starts in. Default:
            ``under_merchant_review`` for the merchant, ``under_platform_review`` for the platform.
        fields: the form's fields besides the description.
        order: whether the ticket is about one of the customer's orders at the store.
        description: whether the free-text description (the customer's details) is asked for.
        refuse_card_numbers: refuse (never store) any field, description or attachment name that
            looks like a full payment-card number.
        check: an extra check of the whole cleaned form, ``check(fields, order)``, raising
            :class:`~resolvekit.errors.ValidationError` (e.g. "either the phone or the email").
    """

    name: str = attrs.field(validator=_identifier)
    label: str = attrs.field(validator=_label)
    routing: Routing = attrs.field(default=Routing.MERCHANT, converter=Routing)
    initial_status: str = attrs.field(default=attrs.Factory(_initial_status, takes_self=True))
    fields: tuple[FormField, ...] = attrs.field(default=(), converter=_fields)
    order: Requirement = attrs.field(default=Requirement.REQUIRED, converter=Requirement)
    description: Requirement = attrs.field(default=Requirement.REQUIRED, converter=Requirement)
    refuse_card_numbers: bool = False
    check: Callable[[Mapping[str, str], Order | None], None] | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if (self.initial_status == INITIAL_STATUS[Routing.PLATFORM]) != (self.routing is Routing.PLATFORM):
            raise ConfigurationError(
                N_("Ticket type {name!r}: only tickets routed to the platform start in 'under_platform_review'."),
                name=self.name,
            )
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ConfigurationError(N_("Ticket type {name!r} declares a form field twice."), name=self.name)
        for item in self.fields:
            if not isinstance(item, FormField):
                raise ConfigurationError(N_("Form fields must be FormField values, not {type}."), type=type(item).__name__)

    def check_status(self) -> None:
        """Refuse (at registration) an initial status the ticket lifecycle does not have as an open status."""
        lifecycle = lifecycle_for("ticket")
        if self.initial_status not in lifecycle.statuses or self.initial_status in lifecycle.final:
            raise ConfigurationError(
                N_("Ticket type {name!r} starts in {status!r}, which is not an open ticket status; use one of {allowed}."),
                name=self.name,
                status=self.initial_status,
                allowed=", ".join(s for s in lifecycle.statuses if s not in lifecycle.final),
            )

    def field_names(self) -> tuple[str, ...]:
        """The names of the form's fields, in declaration order."""
        return tuple(f.name for f in self.fields)

    def clean(
        self,
        *,
        fields: Mapping[str, object] | None,
        description: object,
        order: Order | None,
        attachments: Iterable[Attachment] = (),
        policy: Policy,
    ) -> tuple[dict[str, str], str]:
        """Check a submitted form; return the cleaned fields and description, or raise.

        Raises :class:`~resolvekit.errors.ValidationError` naming the first missing, unknown or
        invalid field (never repeating its value), and
        :class:`~resolvekit.errors.CardNumberRefused` when the type refuses card numbers and one
        appears anywhere in the form.
        """
        data = dict(fields or {})
        for key in data:
            if key not in self.field_names():
                shown = key if isinstance(key, str) and key.isidentifier() and len(key) <= 64 and not looks_like_card_number(key) else "?"
                raise ValidationError(
                    N_("The {ticket_type} form has no field {field}; its fields are: {allowed}."),
                    ticket_type=self.name,
                    field=shown,
                    allowed=", ".join(self.field_names()) or "(none)",
                )
        if self.refuse_card_numbers:
            for key, value in data.items():
                if isinstance(value, str):
                    refuse_card_numbers(value, key)
            if isinstance(description, str):
                refuse_card_numbers(description, "description")
            for attachment in attachment_values(attachments):
                if isinstance(attachment, Attachment):
                    refuse_card_numbers(attachment.name, "attachments")
        cleaned: dict[str, str] = {}
        for item in self.fields:
            value = _field_value(self, item, data.get(item.name))
            if value is not None:
                cleaned[item.name] = value
        if self.order is Requirement.REQUIRED and order is None:
            raise ValidationError(N_("The {ticket_type} form needs {field}; fill it in and send it again."), ticket_type=self.name, field="order")
        if self.order is Requirement.NONE and order is not None:
            raise ValidationError(N_("A {ticket_type} ticket is not about an order; send it without one."), ticket_type=self.name)
        text = _description(self, description, policy)
        if self.check is not None:
            self.check(cleaned, order)
        # the free-text rules of every command: control characters refused, card numbers masked or refused
        cleaned = {name: screen_text(value, name, policy) for name, value in cleaned.items()}
        return cleaned, screen_text(text, "description", policy) if text else text


def _field_value(ticket_type: TicketType, item: FormField, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field=item.name, type=type(value).__name__)
    text = "" if value is None else value.strip()
    if not text:
        if item.required:
            raise ValidationError(
                N_("The {ticket_type} form needs {field}; fill it in and send it again."), ticket_type=ticket_type.name, field=item.name
            )
        return None
    if len(text) > item.max_length:
        raise ValidationError(
            N_("{field} has {length} characters; the limit is {limit}."), field=item.name, length=len(text), limit=item.max_length
        )
    if item.choices and text not in item.choices:
        raise ValidationError(N_("{field} must be one of: {allowed}."), field=item.name, allowed=", ".join(item.choices))
    if item.clean is not None:
        text = item.clean(text, item.name)
    return text


def _description(ticket_type: TicketType, value: object, policy: Policy) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field="description", type=type(value).__name__)
    text = value.strip()
    if not text:
        if ticket_type.description is Requirement.REQUIRED:
            raise ValidationError(
                N_("The {ticket_type} form needs {field}; fill it in and send it again."), ticket_type=ticket_type.name, field="description"
            )
        return ""
    if ticket_type.description is Requirement.NONE:
        raise ValidationError(N_("A {ticket_type} ticket takes no description; send it without one."), ticket_type=ticket_type.name)
    if len(text) > policy.max_message_length:
        raise ValidationError(
            N_("{field} has {length} characters; the limit is {limit}."),
            field="description",
            length=len(text),
            limit=policy.max_message_length,
        )
    return text


class TicketTypes(Mapping[str, TicketType]):
    """The ticket types an application knows, by name (read-only)."""

    def __init__(self, types: Iterable[TicketType] = ()) -> None:
        self._types: dict[str, TicketType] = {t.name: t for t in types}

    def __getitem__(self, name: str) -> TicketType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"TicketTypes({sorted(self._types)!r})"

    def require(self, name: object) -> TicketType:
        """The type called ``name``, or :class:`~resolvekit.errors.UnknownTicketType`."""
        found = self._types.get(name) if isinstance(name, str) else None
        if found is None:
            shown = name if isinstance(name, str) and len(name) <= 64 and not looks_like_card_number(name) else "?"
            raise UnknownTicketType(ticket_type=shown, allowed=", ".join(sorted(self._types)) or "(none registered)")
        return found


class TicketTypeRegistry:
    """The ``register`` callable handed to the ``resolvekit_ticket_types`` hook.

    ``register(ticket_type)`` adds a type; ``register(ticket_type, replace=True)`` replaces a type of
    the same name registered by another plugin (e.g. a host's own "order_delayed" form). Two
    registrations of one name without ``replace``, or two replacements, fail at start-up with
    :class:`~resolvekit.errors.ConfigurationError`.
    """

    def __init__(self) -> None:
        self._plain: dict[str, TicketType] = {}
        self._replacing: dict[str, TicketType] = {}

    def __call__(self, ticket_type: TicketType, *, replace: bool = False) -> None:
        if not isinstance(ticket_type, TicketType):
            raise ConfigurationError(N_("register() takes TicketType values, not {type}."), type=type(ticket_type).__name__)
        ticket_type.check_status()
        target = self._replacing if replace else self._plain
        if ticket_type.name in target:
            raise ConfigurationError(
                N_("Ticket type {name!r} is registered twice; pass replace=True from the plugin that should win."),
                name=ticket_type.name,
            )
        target[ticket_type.name] = ticket_type

    def build(self) -> TicketTypes:
        """The registered types, replacements winning."""
        return TicketTypes({**self._plain, **self._replacing}.values())


# -- the built-in types ------------------------------------------------------------------------------

PAYMENT_METHODS: tuple[str, ...] = (
    "card",
    "mada",
    "apple_pay",
    "stc_pay",
    "bank_transfer",
    "wallet",
    "pay_later",
    "other",
)
"""Payment methods the built-in "payment deducted without an order" form accepts."""

ORDER_DELAYED = TicketType(
    name="order_delayed",
    label=N_("My order is delayed"),
    routing=Routing.MERCHANT,
    order=Requirement.REQUIRED,
    description=Requirement.REQUIRED,
)
""""My order is delayed" (DOMAIN section 3): about one of the customer's orders, handled by the
merchant, starting ``under_merchant_review``. The delayed-order triage decides whether such a ticket
is opened automatically, offered to the customer as an inquiry, or not needed at all."""


def _last_four(value: str, field: str) -> str:
    return last_four_digits(value, field)


PAYMENT_WITHOUT_ORDER = TicketType(
    name="payment_without_order",
    label=N_("Payment deducted without an order"),
    routing=Routing.PLATFORM,
    fields=(
        FormField("payment_method", N_("Payment method"), choices=PAYMENT_METHODS),
        FormField("card_last_four", N_("Last four digits of the charged card"), max_length=64, clean=_last_four),
    ),
    order=Requirement.NONE,
    description=Requirement.OPTIONAL,
    refuse_card_numbers=True,
)
""""Payment deducted without an order" (DOMAIN section 3): the payment method and the last four
digits of the charged card (exactly four digits; a full card number is refused anywhere in the form
and never stored), optional details; routed straight to the platform team (``under_platform_review``),
no merchant action."""


def describe(ticket_type: TicketType) -> dict[str, Any]:
    """A JSON-ready description of the type's form (for a host building its user interface)."""
    return {
        "name": ticket_type.name,
        "label": ticket_type.label,
        "routing": ticket_type.routing.value,
        "initial_status": ticket_type.initial_status,
        "order": ticket_type.order.value,
        "description": ticket_type.description.value,
        "fields": [
            {"name": f.name, "label": f.label, "required": f.required, "choices": list(f.choices), "max_length": f.max_length}
            for f in ticket_type.fields
        ],
    }
