"""Resolution offers: what a merchant (or the platform) offers a customer to settle a complaint.

An :class:`Offer` is part of its complaint's state, folded from the complaint's activity log like
everything else. Its statuses follow :class:`~resolvekit.domain.lifecycles.OfferLifecycle`::

    proposed -> accepted -> executing -> executed
             -> rejected              -> awaiting_return -> executing   (return kinds)
             -> withdrawn             -> failed -> executing            (retry)
             -> expired      accepted, failed -> cancelled          (the platform gives up)

What an offer is made of:

* its :class:`OfferKind` (partial refund, full refund, return, replacement, coupon, wallet credit,
  free text, or a kind a host registers through the ``resolvekit_offer_kinds`` hook), which says how
  its terms are given (:class:`Terms`) and which execution steps it runs (``refund``,
  ``return_label``, ``wallet_credit``, ``coupon``, ``replacement`` or a host step);
* its amount, as exact :class:`~resolvekit.domain.money.Money` in the order's currency, and the
  order lines it covers (:class:`OfferLine`);
* what happened to it: who decided, when, the result of each execution step.

**Conservation.** An :class:`OrderLedger` adds up every offer of an order (over all its complaints)
that holds money: accepted, executing, awaiting the return, failed (it may be retried) and
executed. A cancelled offer holds none: cancelling a failed offer frees its amount for other offers. Refunds and wallet credits count; coupons, replacements and free text do not. The total
never exceeds what was paid for the order, and the amount on each item never exceeds its quantity
times its unit price; :meth:`OrderLedger.check` refuses an offer that would break either rule with
:class:`~resolvekit.errors.OverRefund`, naming the remaining refundable amount.

This module is pure: no I/O, no clock, no plugins.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain._build import frozen_builder, frozen_replacer
from resolvekit.domain.actors import Actor
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.money import HUNDRED, Money
from resolvekit.domain.values import Order, OrderItem
from resolvekit.errors import ConfigurationError, OverRefund, ValidationError

__all__ = [
    "BUILTIN_KINDS",
    "HOOK_STEPS",
    "MONEY_STEPS",
    "OFFER_EVENTS",
    "RESERVING",
    "ExecutionRequest",
    "Offer",
    "OfferKind",
    "OfferLine",
    "OfferPolicy",
    "OrderLedger",
    "StepResult",
    "Terms",
    "apply_offer_event",
    "check_offer",
    "validate_kinds",
]


class Terms(enum.StrEnum):
    """How an offer kind's terms are given when it is proposed."""

    SHARE = "share"
    """An ``amount`` or a ``percent`` of the order (or of the chosen ``items``), e.g. a partial refund."""
    FULL = "full"
    """The whole remaining value of the order (or of the chosen ``items``), e.g. a full refund or a return."""
    COUPON = "coupon"
    """A fixed ``amount`` or a ``percent`` off a future order; not money paid back."""
    ITEMS = "items"
    """Items (default: all) and no money, e.g. a replacement."""
    TEXT = "text"
    """Free text only (the ``other`` kind)."""


HOOK_STEPS: Mapping[str, str] = {
    "refund": "resolvekit_refund",
    "return_label": "resolvekit_return_label",
    "wallet_credit": "resolvekit_wallet_credit",
    "coupon": "resolvekit_issue_coupon",
}
"""Built-in execution steps and the hook that runs each. Any other step (``replacement`` and the steps
of host kinds) runs through ``resolvekit_fulfil_offer``."""

MONEY_STEPS: frozenset[str] = frozenset({"refund", "wallet_credit"})
"""Steps that pay money back to the customer; offers with one of them count towards conservation."""

RESERVING: frozenset[str] = frozenset({"accepted", "executing", "awaiting_return", "failed", "executed"})
"""Offer statuses whose money is counted against what was paid (accepted-pending and executed).
``cancelled`` is not one: a cancelled offer releases its money."""


_SHARE: str = Terms.SHARE.value
_FULL = Terms.FULL  # (bound once: on Python 3.11 looking a member up on an Enum class costs about 0.1 us)


def _steps(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class OfferKind:
    """A kind of resolution offer.

    Attributes:
        name: the stable identifier (``"partial_refund"``).
        label: a gettext id naming the kind to people.
        terms: how its terms are given (:class:`Terms`).
        steps: the execution steps, in order, once the offer is accepted. ``refund`` and
            ``wallet_credit`` move money and count towards conservation.
        keeps_item: whether the customer keeps the item (``False`` for a return).
    """

    name: str
    label: str
    terms: Terms = attrs.field(converter=Terms)
    steps: tuple[str, ...] = attrs.field(default=(), converter=_steps)
    keeps_item: bool = True

    @property
    def moves_money(self) -> bool:
        """Whether executing the offer pays money to the customer (refund or wallet credit)."""
        return not MONEY_STEPS.isdisjoint(self.steps)


BUILTIN_KINDS: Mapping[str, OfferKind] = {
    kind.name: kind
    for kind in (
        OfferKind("partial_refund", N_("Partial refund"), Terms.SHARE, ("refund",)),
        OfferKind("full_refund", N_("Full refund"), Terms.FULL, ("refund",)),
        OfferKind("return", N_("Return and refund"), Terms.FULL, ("return_label", "refund"), keeps_item=False),
        OfferKind("replacement", N_("Replacement"), Terms.ITEMS, ("replacement",), keeps_item=False),
        OfferKind("coupon", N_("Coupon on a future order"), Terms.COUPON, ("coupon",)),
        OfferKind("wallet_credit", N_("Store-wallet credit"), Terms.SHARE, ("wallet_credit",)),
        OfferKind("other", N_("Other resolution"), Terms.TEXT, ()),
    )
}
"""The offer kinds resolvekit knows without plugins (DOMAIN section 4)."""


def validate_kinds(kinds: Iterable[object]) -> dict[str, OfferKind]:
    """The built-in kinds plus ``kinds`` (from plugins), checked: a bad one is a ConfigurationError."""
    result = dict(BUILTIN_KINDS)
    for kind in kinds:
        if not isinstance(kind, OfferKind):
            raise ConfigurationError(N_("A plugin registered {value!r} as an offer kind; return OfferKind values."), value=kind)
        if kind.name in result:
            raise ConfigurationError(N_("The offer kind {name!r} is registered twice; give it another name."), name=kind.name)
        if not kind.name.isidentifier() or not all(isinstance(s, str) and s.isidentifier() for s in kind.steps):
            raise ConfigurationError(N_("Offer kind {name!r}: names and steps must be identifiers."), name=kind.name)
        if kind.moves_money and kind.terms not in (Terms.SHARE, Terms.FULL):
            raise ConfigurationError(
                N_("Offer kind {name!r} pays money, so its terms must be 'share' or 'full'."), name=kind.name
            )
        result[kind.name] = kind
    return result


def _percent_setting(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
        raise ConfigurationError(N_("OfferPolicy.{field} must be a Decimal from 0 to 100, got {value!r}."), field=attribute.name, value=value)


def _optional_positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, timedelta):
        ok = value > timedelta(0)
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if not ok:
        raise ConfigurationError(N_("OfferPolicy.{field} must be positive or None, got {value!r}."), field=attribute.name, value=value)


@attrs.frozen
class OfferPolicy:
    """The offer rules of one platform (``Policy.offers``). Every setting has a documented default.

    Attributes:
        expiry: how long a proposed offer stays open; after it, accepting is refused with
            :class:`~resolvekit.errors.OfferExpired` and ``ResolveKit.expire_offers`` records the
            expiry. Default: 3 days (the answer window other marketplaces give). ``None``: never.
        max_per_complaint: how many offers may be proposed on one complaint, counting withdrawn,
            rejected and expired ones. Default 3; one marketplace allows 1. ``None``: no limit.
        partial_refund_min_percent: the smallest share of the order (or of the chosen items) a
            partial refund may be, in percent. Default 0 (no minimum).
        partial_refund_max_percent: the largest share, in percent. Default 100 (up to the whole value).
        return_before_refund: whether a return's refund waits until the item is received back
            (``ResolveKit.confirm_return``). Default ``True``.
        accept_closes_complaint: whether accepting (or the platform imposing) an offer closes the
            complaint, as DOMAIN section 2 says. Default ``True``; when ``False`` the complaint waits
            for the merchant to carry the offer out and the customer closes it later.
        kinds: the kind names this platform allows; ``None`` (default) allows every registered kind.
    """

    expiry: timedelta | None = attrs.field(default=timedelta(days=3), validator=_optional_positive)
    max_per_complaint: int | None = attrs.field(default=3, validator=_optional_positive)
    partial_refund_min_percent: Decimal = attrs.field(default=Decimal(0), converter=Decimal, validator=_percent_setting)
    partial_refund_max_percent: Decimal = attrs.field(default=HUNDRED, converter=Decimal, validator=_percent_setting)
    return_before_refund: bool = True
    accept_closes_complaint: bool = True
    kinds: frozenset[str] | None = attrs.field(default=None, converter=attrs.converters.optional(frozenset))

    def __attrs_post_init__(self) -> None:
        if self.partial_refund_min_percent > self.partial_refund_max_percent:
            raise ConfigurationError(N_("OfferPolicy.partial_refund_min_percent is above partial_refund_max_percent."))


@attrs.frozen
class OfferLine:
    """The part of an offer that covers one order item: ``quantity`` units and the money allocated to them."""

    sku: str
    quantity: int
    amount: Money

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"sku": self.sku, "quantity": self.quantity, "amount": str(self.amount.amount)}


@attrs.frozen
class StepResult:
    """A completed execution step: the host's reference (gateway id, label URL, coupon code...)."""

    step: str
    key: str
    reference: str
    at: datetime
    amount: Money | None = None


@attrs.frozen
class Offer:
    """One resolution offer on a complaint, as its events fold it.

    ``amount`` is the money the offer refunds or credits (or the coupon's value); ``percent`` is the
    percentage it was computed from, if any; ``lines`` say which items it covers. ``results`` records
    every completed execution step; ``last_error`` and ``attempts`` make failures visible.
    ``cancelled_by``, ``cancelled_at`` and ``cancel_reason`` say who cancelled it, when and why
    (``decided_by``, ``decided_at`` and ``reason`` keep the acceptance).
    """

    id: str
    kind: str
    status: str
    proposed_by: Actor
    proposed_at: datetime
    steps: tuple[str, ...] = ()
    moves_money: bool = False
    keeps_item: bool = True
    terms: str = Terms.SHARE.value
    expires_at: datetime | None = None
    amount: Money | None = None
    percent: Decimal | None = None
    lines: tuple[OfferLine, ...] = ()
    text: str | None = None
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    imposed: bool = False
    attempts: int = 0
    results: tuple[StepResult, ...] = ()
    last_error: str | None = None
    retry_at: datetime | None = None
    return_received_at: datetime | None = None
    executed_at: datetime | None = None
    cancelled_by: Actor | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @property
    def currency(self) -> str | None:
        """The currency of the offer's money (``None`` for an offer without money)."""
        if self.amount is not None:
            return self.amount.currency
        return self.lines[0].amount.currency if self.lines else None

    @property
    def reserved(self) -> Money | None:
        """The money this offer holds against the order (``None`` when it holds none)."""
        if self.moves_money and self.status in RESERVING:
            return self.amount
        return None

    def done(self, step: str) -> bool:
        """Whether ``step`` already completed."""
        return any(r.step == step for r in self.results)

    @property
    def pending_steps(self) -> tuple[str, ...]:
        """The execution steps not completed yet, in order."""
        return tuple(s for s in self.steps if not self.done(s))

    def idempotency_key(self, step: str) -> str:
        """The key every call of ``step`` for this offer carries (the same on every retry)."""
        return f"{self.id}:{step}"

    def is_expired(self, now: datetime) -> bool:
        """Whether the offer is still proposed but its deadline has passed."""
        return self.status == "proposed" and self.expires_at is not None and now >= self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """The terms of a newly proposed offer as JSON-ready data (the ``offer_proposed`` payload)."""
        return _proposal_data(
            self.id, self.kind, self.steps, self.moves_money, self.keeps_item, self.terms, self.expires_at,
            self.amount, self.percent, self.lines, self.text,
        )  # fmt: skip

    @classmethod
    def proposed(cls, data: Mapping[str, Any], actor: Actor, at: datetime) -> Offer:
        """Rebuild a proposed offer from an ``offer_proposed`` payload."""
        get = data.get
        currency = get("currency")
        amount = None if get("amount") is None else Money(Decimal(data["amount"]), str(currency))
        raw_lines = get("lines", ())
        lines: tuple[OfferLine, ...] = ()
        if raw_lines or not isinstance(raw_lines, list):  # (an empty list, the usual case, makes no lines)
            lines = tuple(
                OfferLine(line["sku"], int(line["quantity"]), Money(Decimal(line["amount"]), str(currency))) for line in raw_lines
            )
        # positionally, in the order of the fields (this runs on every fold of a proposal)
        return (_build_offer if cls is Offer else cls)(
            data["offer_id"],
            data["kind"],
            "proposed",
            actor,
            at,
            tuple(get("steps", ())),
            bool(get("moves_money", False)),
            bool(get("keeps_item", True)),
            str(get("terms", _SHARE)),
            None if get("expires_at") is None else datetime.fromisoformat(data["expires_at"]),
            amount,
            None if get("percent") is None else Decimal(data["percent"]),
            lines,
            get("text"),
        )


def _proposal_data(
    offer_id: str,
    kind: str,
    steps: tuple[str, ...],
    moves_money: bool,
    keeps_item: bool,
    terms: str,
    expires_at: datetime | None,
    amount: Money | None,
    percent: Decimal | None,
    lines: tuple[OfferLine, ...],
    text: str | None,
) -> dict[str, Any]:
    """The ``offer_proposed`` payload of an offer with these terms (what :meth:`Offer.to_dict` returns).

    ``propose_offer`` writes it straight from the terms it decided, without building the offer first.
    """
    return {
        "offer_id": offer_id,
        "kind": kind,
        "steps": list(steps),
        "moves_money": moves_money,
        "keeps_item": keeps_item,
        "terms": terms,
        "expires_at": None if expires_at is None else expires_at.isoformat(),
        "amount": None if amount is None else str(amount.amount),
        "currency": amount.currency if amount is not None else lines[0].amount.currency if lines else None,
        "percent": None if percent is None else str(percent),
        "lines": [line.to_dict() for line in lines] if lines else [],
        "text": text,
    }


@attrs.frozen
class ExecutionRequest:
    """What an execution hook receives: one step of one accepted offer.

    ``idempotency_key`` is ``f"{offer.id}:{step}"``: the same on every retry of the step, so a
    payment gateway (or shipping or wallet service) that keys on it never pays twice.
    """

    idempotency_key: str
    step: str
    offer: Offer
    case_id: str
    store_id: str
    customer_id: str
    order_id: str

    @property
    def amount(self) -> Money | None:
        """The money of the step (the refund, the credit, the coupon's value), if any."""
        return self.offer.amount


# -- conservation ---------------------------------------------------------------------------------


@attrs.frozen
class OrderLedger:
    """What all reserving offers of one order add up to (see the module docstring).

    Build it with :meth:`of` from every offer of every complaint of the order.
    """

    order: Order
    reserved: Money
    items: Mapping[str, Money] = attrs.field(factory=dict)
    units: Mapping[str, int] = attrs.field(factory=dict)

    @classmethod
    def of(cls, order: Order, offers: Iterable[Offer]) -> OrderLedger:
        """The ledger of ``order`` from ``offers`` (non-reserving ones are skipped)."""
        currency = order.currency
        reserved = Money.zero(currency)
        items: dict[str, Money] = {}
        units: dict[str, int] = {}
        for offer in offers:
            money = offer.reserved
            if money is None:
                continue
            reserved = reserved + money
            for line in offer.lines:
                items[line.sku] = items.get(line.sku, Money.zero(currency)) + line.amount
                if offer.terms == _FULL:
                    units[line.sku] = units.get(line.sku, 0) + line.quantity
        return cls(order, reserved, items, units)

    def add(self, offer: Offer) -> OrderLedger:
        """This ledger with ``offer`` counted too (as if it were accepted)."""
        if not offer.moves_money or offer.amount is None:
            return self
        items = dict(self.items)
        units = dict(self.units)
        for line in offer.lines:
            items[line.sku] = items.get(line.sku, Money.zero(self.order.currency)) + line.amount
            if offer.terms == _FULL:
                units[line.sku] = units.get(line.sku, 0) + line.quantity
        return OrderLedger(self.order, self.reserved + offer.amount, items, units)

    @property
    def paid(self) -> Money:
        """What the customer paid for the order."""
        return _paid(self.order.total_paid, self.order.currency)

    @property
    def remaining(self) -> Money:
        """What may still be refunded or credited on the order."""
        return self.paid - self.reserved

    def item_value(self, sku: str) -> Money:
        """What was paid for the item: its quantity times its unit price."""
        item = _item(self.order, sku)
        return Money(item.unit_price, self.order.currency).times(item.quantity)

    def item_remaining(self, sku: str) -> Money:
        """What may still be refunded or credited on the item."""
        return self.item_value(sku) - self.items.get(sku, Money.zero(self.order.currency))

    def units_left(self, sku: str) -> int:
        """Units of the item not yet covered by a reserving refund or return."""
        return _item(self.order, sku).quantity - self.units.get(sku, 0)

    def check(self, amount: Money, lines: Iterable[OfferLine] = (), *, units: bool = False, locale: str = "en") -> None:
        """Refuse (:class:`~resolvekit.errors.OverRefund`) when ``amount`` on top of this ledger breaks conservation.

        ``units``: the lines settle whole units (a full refund or a return of items), so their
        quantities must also be left to refund or return.
        """
        remaining = self.remaining
        if amount > remaining:
            raise _over(None, amount, remaining, locale, order=self.order.display_number)
        for line in lines:
            left = self.item_remaining(line.sku)
            if line.amount > left:
                raise _over(
                    N_("{amount} is more than remains refundable on item {sku}: only {remaining} is left. "
                       "Offer at most {remaining} on it."),
                    line.amount,
                    left,
                    locale,
                    sku=line.sku,
                    order=self.order.display_number,
                )
            if units and line.quantity > self.units_left(line.sku):
                raise OverRefund(
                    N_("Only {units} unit(s) of item {sku} are left to refund or return; the offer covers {quantity}."),
                    units=self.units_left(line.sku),
                    sku=line.sku,
                    quantity=line.quantity,
                    amount=str(line.amount),
                    remaining=left.format(locale),
                    remaining_amount=str(left.amount),
                    currency=left.currency,
                )


@functools.lru_cache(maxsize=256)
def _paid(total_paid: Decimal, currency: str) -> Money:
    """``Money(total_paid, currency)``, kept: an offer command asks a ledger for it more than once.

    Equal keys make equal money (construction puts the amount on the minor unit), and a bad total
    raises on every call, as constructing it would (exceptions are not cached).
    """
    return Money(total_paid, currency)


def check_offer(ledger: OrderLedger, offer: Offer) -> None:
    """:meth:`OrderLedger.check` for an offer's money and lines."""
    if offer.amount is not None:
        ledger.check(offer.amount, offer.lines, units=offer.terms == _FULL)


def _over(message: str | None, amount: Money, remaining: Money, locale: str, **params: str) -> OverRefund:
    remaining = max(remaining, Money.zero(remaining.currency))
    return OverRefund(
        message,
        **params,
        amount=amount.format(locale),
        remaining=remaining.format(locale),
        remaining_amount=str(remaining.amount),
        currency=remaining.currency,
    )


def _item(order: Order, sku: str) -> OrderItem:
    for item in order.items:
        if item.sku == sku:
            return item
    raise ValidationError(
        N_("Order {order} has no item {sku!r}; choose from {skus}."),
        order=order.display_number,
        sku=sku,
        skus=", ".join(i.sku for i in order.items) or "(no items)",
    )


# -- folding offer events -------------------------------------------------------------------------

OFFER_EVENTS: frozenset[EventKind] = frozenset(
    {
        EventKind.OFFER_PROPOSED,
        EventKind.OFFER_ACCEPTED,
        EventKind.OFFER_REJECTED,
        EventKind.OFFER_WITHDRAWN,
        EventKind.OFFER_EXPIRED,
        EventKind.OFFER_EXECUTION_STARTED,
        EventKind.OFFER_STEP_DONE,
        EventKind.OFFER_AWAITING_RETURN,
        EventKind.RETURN_RECEIVED,
        EventKind.OFFER_EXECUTED,
        EventKind.OFFER_FAILED,
        EventKind.OFFER_CANCELLED,
    }
)
"""The events that change an offer."""


# Enum members bound to module names: on Python 3.11 each ``EventKind.X`` lookup goes through
# ``EnumType.__getattr__`` (about 0.1 us), and these run on every command.
_PROPOSED, _EXECUTION_STARTED, _STEP_DONE = EventKind.OFFER_PROPOSED, EventKind.OFFER_EXECUTION_STARTED, EventKind.OFFER_STEP_DONE
_RETURN_RECEIVED, _EXECUTED, _FAILED, _CANCELLED = EventKind.RETURN_RECEIVED, EventKind.OFFER_EXECUTED, EventKind.OFFER_FAILED, EventKind.OFFER_CANCELLED
_DECIDED = (EventKind.OFFER_ACCEPTED, EventKind.OFFER_REJECTED, EventKind.OFFER_WITHDRAWN, EventKind.OFFER_EXPIRED)
"""The events that decide a proposed offer (who decided, when, why)."""


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def apply_offer_event(offers: tuple[Offer, ...], event: CaseEvent) -> tuple[Offer, ...]:
    """Fold one offer event into the complaint's offers."""
    p = event.payload
    if event.kind is _PROPOSED:
        return (*offers, Offer.proposed(p, event.actor, event.at))
    offer_id = p["offer_id"]
    result = []
    for offer in offers:
        if offer.id == offer_id:
            offer = _change(offer, event)
        result.append(offer)
    return tuple(result)


def _change(offer: Offer, event: CaseEvent) -> Offer:
    p = event.payload
    kind = event.kind
    changes: dict[str, Any] = {}
    if "offer_status" in p:
        changes["status"] = p["offer_status"]
    if kind in _DECIDED:
        changes.update(decided_by=event.actor, decided_at=event.at, reason=p.get("reason"))
        changes["imposed"] = bool(p.get("imposed", False))
    elif kind is _EXECUTION_STARTED:
        changes.update(attempts=int(p["attempt"]), retry_at=None)
    elif kind is _STEP_DONE:
        amount = None
        if p.get("amount") is not None:
            amount = Money(Decimal(p["amount"]), p["currency"])
        result = StepResult(p["step"], p["idempotency_key"], p["reference"], event.at, amount)
        changes["results"] = (*offer.results, result)
    elif kind is _RETURN_RECEIVED:
        changes["return_received_at"] = event.at
    elif kind is _EXECUTED:
        changes.update(executed_at=event.at, last_error=None)
    elif kind is _FAILED:
        changes.update(last_error=p["reason"], retry_at=_time(p.get("retry_at")))
    elif kind is _CANCELLED:
        changes.update(cancelled_by=event.actor, cancelled_at=event.at, cancel_reason=p.get("reason"), retry_at=None)
    return _evolve(offer, changes)


_OFFER_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(Offer))
assert _OFFER_FIELDS[:14] == (
    "id", "kind", "status", "proposed_by", "proposed_at", "steps", "moves_money", "keeps_item", "terms",
    "expires_at", "amount", "percent", "lines", "text",
), "Offer.proposed passes these fields by position: update it for the new fields of Offer"  # fmt: skip
_build_offer: Callable[..., Offer] = frozen_builder(Offer)  # positional, without the frozen constructor's overhead
_replace_offer: Callable[[Offer, dict[str, Any]], Offer] = frozen_replacer(Offer)


def _evolve(offer: Offer, changes: dict[str, Any]) -> Offer:
    """``attrs.evolve(offer, **changes)`` without its per-call introspection (it runs on every offer event).

    :class:`Offer` has no converters, validators or private names, so generated code copies it; a
    subclass goes through ``attrs.evolve`` itself.
    """
    if type(offer) is not Offer:
        return attrs.evolve(offer, **changes)
    return _replace_offer(offer, changes)
