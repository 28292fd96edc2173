"""Hypothesis strategies for resolvekit's values, for property tests of code that embeds it.

::

    from hypothesis import given
    from resolvekit.testing import strategies as rks

    @given(rks.complaints(reviewed=True))
    def test_my_view_renders_every_complaint(complaint):
        render_complaint(complaint)

Every strategy is a plural noun, takes keyword-only arguments with defaults, and checks them when
called: a bad argument raises :class:`hypothesis.errors.InvalidArgument` at once. Values are built
through resolvekit's own pure commands, so every generated complaint or offer is one resolvekit
could have produced.

* :func:`stores`, :func:`customers`, :func:`orders` (with items and exact amounts), :func:`actors`;
* :func:`complaints`: opened by their customer, optionally reviewed, with a few replies;
* :func:`offers`: proposed on a complaint, of any built-in kind, within what the order allows;
* :func:`command_sequences`: lists of :class:`Step` (open, review, reply, note, propose, accept,
  reject, close, advance the clock) to run against an application with :func:`run_steps`; each step
  is accepted or refused with a :class:`~resolvekit.ResolveKitError`, never anything else.

With the ``hypothesis`` entry point installed (it is, with resolvekit), ``st.from_type(Complaint)``
and ``st.builds(...)`` with resolvekit types work without registering anything. The storage
conformance suite is importable from here too (:class:`StorageConformance`, needs pytest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Complaint, fold
from resolvekit.domain.commands import open_complaint, pass_review, reply
from resolvekit.domain.offer_commands import propose_offer
from resolvekit.domain.offers import BUILTIN_KINDS, Offer, Terms
from resolvekit.domain.policy import Policy
from resolvekit.domain.values import Customer, Order, OrderItem, Store
from resolvekit.errors import ResolveKitError

if TYPE_CHECKING:
    from resolvekit.application import CommandResult, ResolveKit
    from resolvekit.testing.conformance import StorageConformance

__all__ = [
    "STEP_COMMANDS",
    "Step",
    "StorageConformance",
    "World",
    "actors",
    "command_sequences",
    "complaints",
    "customers",
    "offers",
    "orders",
    "register_types",
    "run_steps",
    "stores",
]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(lambda s: s.strip("-") != "")
_WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=40).map(
    lambda s: s.strip() or "text"
)
_NAMES = st.sampled_from(("Glass kettle", "Lid", "Tea cups (6)", "Filter", "قدر زجاجي", "Thermos 1 l"))


# -- argument checks ---------------------------------------------------------------------------------


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidArgument(message)


def _optional_text(value: object, name: str) -> None:
    _check(value is None or (isinstance(value, str) and value.strip() != ""), f"{name}={value!r} must be None or a non-empty string")


def _size(value: object, name: str) -> int:
    _check(isinstance(value, int) and not isinstance(value, bool) and value >= 0, f"{name}={value!r} must be a whole number of at least 0")
    assert isinstance(value, int)
    return value


def _range(low: int, high: int, names: tuple[str, str]) -> None:
    _check(low <= high, f"{names[0]}={low} must not exceed {names[1]}={high}")


def _names(value: object, name: str, allowed: Sequence[str] | frozenset[str] | None = None) -> tuple[str, ...] | None:
    if value is None:
        return None
    _check(
        not isinstance(value, str) and isinstance(value, Sequence | set | frozenset),
        f"{name}={value!r} must be a collection of names, not a single string",
    )
    items = tuple(sorted(value))  # type: ignore[call-overload]
    _check(len(items) > 0, f"{name} must name at least one value")
    for item in items:
        _check(isinstance(item, str) and item.strip() != "", f"{name} holds {item!r}, not a non-empty name")
        if allowed is not None:
            _check(item in allowed, f"{name} holds {item!r}; choose from {sorted(allowed)}")
    return items


def _policy(value: object) -> Policy:
    if value is None:
        return Policy()
    _check(isinstance(value, Policy), f"policy={value!r} must be a resolvekit Policy or None")
    assert isinstance(value, Policy)
    return value


# -- values -----------------------------------------------------------------------------------------


def stores(*, self_service: bool | None = None) -> st.SearchStrategy[Store]:
    """:class:`~resolvekit.Store` values; ``self_service`` fixes whether self-service is enabled."""
    _check(self_service is None or isinstance(self_service, bool), f"self_service={self_service!r} must be True, False or None")
    enabled = st.booleans() if self_service is None else st.just(self_service)
    return st.builds(Store, id=_IDS.map(lambda s: f"store-{s}"), name=_WORDS, self_service_enabled=enabled)


def customers(*, locales: Sequence[str] | None = None, with_email: bool | None = None) -> st.SearchStrategy[Customer]:
    """:class:`~resolvekit.Customer` values, with a locale from ``locales`` (default ``("en",)``)."""
    chosen = _names(locales, "locales") or ("en",)
    _check(with_email is None or isinstance(with_email, bool), f"with_email={with_email!r} must be True, False or None")
    emails: st.SearchStrategy[str | None] = _IDS.map(lambda s: f"{s}@example.com")
    if with_email is None:
        emails = st.none() | emails
    elif not with_email:
        emails = st.none()
    return st.builds(Customer, id=_IDS.map(lambda s: f"cust-{s}"), name=_WORDS, email=emails, locale=st.sampled_from(chosen))


_STATUSES = ("pending_review", "completed", "out_for_delivery", "delivered", "cancelled", "refunded")


def orders(
    *,
    store_id: str | None = None,
    customer_id: str | None = None,
    statuses: Sequence[str] | None = None,
    currency: str = "SAR",
    min_items: int = 1,
    max_items: int = 3,
    created_before: datetime = T0,
    max_age: timedelta = timedelta(days=30),
) -> st.SearchStrategy[Order]:
    """:class:`~resolvekit.Order` values whose ``total_paid`` is exactly the sum of their items.

    ``store_id`` and ``customer_id`` fix the owners (default: generated); ``statuses`` are the host's
    status words to choose from; ``created_at`` lies in ``[created_before - max_age, created_before)``.
    Amounts have two decimals (``currency`` must use two, as SAR, USD or EUR do).
    """
    _optional_text(store_id, "store_id")
    _optional_text(customer_id, "customer_id")
    chosen = _names(statuses, "statuses") or _STATUSES
    _check(isinstance(currency, str) and len(currency) == 3 and currency.isalpha(), f"currency={currency!r} must be an ISO 4217 code")
    low, high = _size(min_items, "min_items"), _size(max_items, "max_items")
    _range(low, high, ("min_items", "max_items"))
    _check(isinstance(created_before, datetime) and created_before.tzinfo is not None, f"created_before={created_before!r} must be an aware datetime")
    _check(isinstance(max_age, timedelta) and max_age > timedelta(0), f"max_age={max_age!r} must be a positive timedelta")
    seconds = int(max_age.total_seconds())
    _check(seconds >= 1, f"max_age={max_age!r} must be at least one second")
    items = st.lists(
        st.builds(
            OrderItem,
            sku=_IDS.map(lambda s: f"sku-{s}"),
            name=_NAMES,
            quantity=st.integers(1, 5),
            unit_price=st.integers(1, 500_000).map(lambda cents: Decimal(cents).scaleb(-2)),
        ),
        min_size=low,
        max_size=high,
        unique_by=lambda item: item.sku,
    )

    @st.composite
    def build(draw: st.DrawFn) -> Order:
        lines = draw(items)
        total = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
        if not lines:
            total = Decimal(draw(st.integers(1, 1_000_000))).scaleb(-2)
        return Order(
            id=draw(_IDS.map(lambda s: f"ord-{s}")),
            store_id=store_id or draw(_IDS.map(lambda s: f"store-{s}")),
            customer_id=customer_id or draw(_IDS.map(lambda s: f"cust-{s}")),
            status=draw(st.sampled_from(chosen)),
            created_at=created_before - timedelta(seconds=draw(st.integers(1, seconds))),
            total_paid=total,
            currency=currency.upper(),
            items=tuple(lines),
            number=draw(st.none() | st.integers(1000, 99999).map(str)),
        )

    return build()


def actors(*, roles: Sequence[str] | None = None, store_id: str | None = None) -> st.SearchStrategy[Actor]:
    """:class:`~resolvekit.Actor` values of the given ``roles`` (default: all four); merchants act for
    ``store_id`` (default: generated)."""
    chosen = _names(roles, "roles", [r.value for r in Role]) or tuple(r.value for r in Role)
    _optional_text(store_id, "store_id")

    def make(role: str, ident: str, store: str) -> Actor:
        return Actor(Role(role), ident, store_id or store if role == Role.MERCHANT else None)

    return st.builds(make, st.sampled_from(chosen), _IDS, _IDS.map(lambda s: f"store-{s}"))


# -- complaints and offers ------------------------------------------------------------------------------


def _opened(customer: Customer, order: Order, reason: str, description: str, policy: Policy, case_id: str) -> Complaint:
    events = open_complaint(
        case_id=case_id,
        actor=Actor.customer(customer.id),
        order=order,
        customer=customer,
        reason=reason,
        description=description,
        declaration_accepted=True,
        now=T0,
        policy=policy,
    )
    case = fold(events)
    assert isinstance(case, Complaint)
    return case


def _append(case: Complaint, events: list[Any]) -> Complaint:
    result = fold(events, case)
    assert isinstance(result, Complaint)
    return result


def complaints(
    *,
    reasons: Sequence[str] | None = None,
    reviewed: bool | None = None,
    max_replies: int = 3,
    policy: Policy | None = None,
) -> st.SearchStrategy[Complaint]:
    """:class:`~resolvekit.Complaint` values, opened by the order's customer with a reason from
    ``reasons`` (default: the policy's). ``reviewed`` fixes whether the platform's review passed it
    to the merchant (default: either); up to ``max_replies`` replies follow, by the customer and
    the merchant, when it was reviewed."""
    chosen_policy = _policy(policy)
    chosen = _names(reasons, "reasons", chosen_policy.complaint_reasons) or tuple(sorted(chosen_policy.complaint_reasons))
    _check(reviewed is None or isinstance(reviewed, bool), f"reviewed={reviewed!r} must be True, False or None")
    replies = _size(max_replies, "max_replies")

    people, bought = customers(), orders(customer_id="cust-placeholder")

    @st.composite
    def build(draw: st.DrawFn) -> Complaint:
        customer = draw(people)
        order = attrs.evolve(draw(bought), customer_id=customer.id)
        case = _opened(customer, order, draw(st.sampled_from(chosen)), draw(_WORDS), chosen_policy, f"C-{draw(_IDS)}")
        review = draw(st.booleans()) if reviewed is None else reviewed
        if review and case.status == "under_platform_review":
            case = _append(case, pass_review(case, Actor.platform("agent"), now=T0 + timedelta(hours=1), policy=chosen_policy))
        if case.status != "under_platform_review":
            merchant = Actor.merchant("owner", store_id=order.store_id)
            buyer = Actor.customer(customer.id)
            for index, who in enumerate(draw(st.lists(st.sampled_from((merchant, buyer)), max_size=replies))):
                case = _append(case, reply(case, who, draw(_WORDS), now=T0 + timedelta(hours=2 + index), policy=chosen_policy))
        return case

    return build()


_SHARE_KINDS = tuple(name for name, kind in BUILTIN_KINDS.items() if kind.terms in (Terms.SHARE, Terms.COUPON))


def offers(*, kinds: Sequence[str] | None = None, policy: Policy | None = None) -> st.SearchStrategy[Offer]:
    """Proposed :class:`~resolvekit.Offer` values of the built-in ``kinds`` (default: all), each made
    by the merchant on a reviewed complaint, for an amount or share the order allows."""
    chosen = _names(kinds, "kinds", tuple(BUILTIN_KINDS)) or tuple(BUILTIN_KINDS)
    chosen_policy = _policy(policy)
    low = max(Decimal("0.01"), chosen_policy.offers.partial_refund_min_percent)
    high = chosen_policy.offers.partial_refund_max_percent
    _check(low <= high, "the policy's partial-refund share limits leave no share to offer")

    reviewed = complaints(reviewed=True, max_replies=0, policy=chosen_policy)

    @st.composite
    def build(draw: st.DrawFn) -> Offer:
        case = draw(reviewed)
        kind = draw(st.sampled_from(chosen))
        terms: dict[str, Any] = {}
        if kind in _SHARE_KINDS:
            paid = max(1, int(case.order.total_paid * 100) if case.order is not None else 1)
            smallest = min(int(high * 100), max(int(low * 100), -(-10_000 // paid)))  # at least one minor unit
            cents = draw(st.integers(smallest, int(high * 100)))
            terms["percent"] = Decimal(cents).scaleb(-2)
        if BUILTIN_KINDS[kind].terms is Terms.TEXT:
            terms["text"] = draw(_WORDS)
        merchant = Actor.merchant("owner", store_id=case.store_id)
        events = propose_offer(case, merchant, kind, kinds=BUILTIN_KINDS, now=T0 + timedelta(hours=3), policy=chosen_policy, **terms)
        proposed = _append(case, events).offers[-1]
        return proposed

    return build()


# -- command sequences --------------------------------------------------------------------------------


@attrs.define
class World:
    """The store, customer, order and actors a command sequence runs with, and its case.

    ``case_id`` is set by the opening step; :func:`run_steps` builds one from an application.
    """

    store: Store
    customer: Customer
    order: Order
    buyer: Actor
    merchant: Actor
    platform: Actor
    other_merchant: Actor
    case_id: str | None = None
    clock: Callable[..., Any] | None = None

    @classmethod
    def default(cls, clock: Callable[..., Any] | None = None) -> World:
        """A world with one store, its customer and a delivered order of two items."""
        customer = Customer("cust-1", "Noura", email="noura@example.com")
        order = Order(
            id="ord-1",
            number="1001",
            store_id="store-1",
            customer_id=customer.id,
            status="delivered",
            created_at=T0 - timedelta(days=3),
            total_paid=Decimal("300.00"),
            currency="SAR",
            items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("200.00")), OrderItem("sku-2", "Lid", 2, Decimal("50.00"))),
        )
        return cls(
            store=Store("store-1", "Kettles & Co"),
            customer=customer,
            order=order,
            buyer=Actor.customer(customer.id),
            merchant=Actor.merchant("owner-1", store_id="store-1"),
            platform=Actor.platform("agent-1"),
            other_merchant=Actor.merchant("owner-2", store_id="store-2"),
            clock=clock,
        )

    def actor(self, role: str) -> Actor:
        """The actor playing ``role`` (``customer``, ``merchant``, ``platform`` or ``other_merchant``)."""
        return {"customer": self.buyer, "merchant": self.merchant, "platform": self.platform, "other_merchant": self.other_merchant}[role]


STEP_COMMANDS: tuple[str, ...] = (
    "open_complaint",
    "pass_review",
    "reply",
    "add_note",
    "propose_offer",
    "accept_offer",
    "reject_offer",
    "close",
    "advance",
)
"""The commands a :class:`Step` can run (``advance`` moves a :class:`~resolvekit.testing.ManualClock`)."""

_ROLES = ("customer", "merchant", "platform", "other_merchant")


@attrs.frozen
class Step:
    """One command of a generated sequence: what, by whom, and its arguments.

    :meth:`run` carries it out on an application; a refused command raises a
    :class:`~resolvekit.ResolveKitError` (and, as always, changes nothing).
    """

    command: str
    role: str = "customer"
    text: str = "Hello"
    kind: str = "partial_refund"
    percent: Decimal = Decimal("10")
    hours: float = 1.0

    def run(self, app: ResolveKit, world: World) -> CommandResult | None:
        """Run the step on ``app`` for ``world``; returns the command's result (``None`` for ``advance``
        or when no case has been opened yet)."""
        actor = world.actor(self.role)
        if self.command == "advance":
            advance = getattr(world.clock, "advance", None)
            if advance is not None:
                advance(timedelta(hours=self.hours))
            return None
        if self.command == "open_complaint":
            result = app.open_complaint(
                actor, order=world.order, customer=world.customer, reason="damaged_goods", description=self.text, declaration_accepted=True
            )
            world.case_id = result.case.id
            return result
        if world.case_id is None:
            return None
        case_id = world.case_id
        if self.command == "pass_review":
            return app.pass_review(actor, case_id)
        if self.command == "reply":
            return app.reply(actor, case_id, self.text)
        if self.command == "add_note":
            return app.add_note(actor, case_id, self.text)
        if self.command == "propose_offer":
            if self.kind in _SHARE_KINDS:
                return app.propose_offer(actor, case_id, self.kind, percent=self.percent)
            return app.propose_offer(actor, case_id, self.kind, text=self.text if BUILTIN_KINDS[self.kind].terms is Terms.TEXT else None)
        if self.command in ("accept_offer", "reject_offer"):
            case = app.get_case(world.platform, case_id)
            offers_made = getattr(case, "offers", ())
            offer_id = offers_made[-1].id if offers_made else "missing-offer"
            if self.command == "accept_offer":
                return app.accept_offer(actor, case_id, offer_id, confirmed=True)
            return app.reject_offer(actor, case_id, offer_id, self.text)
        if self.command == "close":
            return app.close(actor, case_id, confirmed=True)
        raise AssertionError(f"unknown step {self.command!r}")  # pragma: no cover - checked at construction


def command_sequences(
    *,
    min_size: int = 1,
    max_size: int = 10,
    commands: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
) -> st.SearchStrategy[list[Step]]:
    """Lists of :class:`Step` that start by opening a complaint and go on with ``min_size`` to
    ``max_size`` more steps of ``commands`` (default: all of :data:`STEP_COMMANDS`) by ``roles``
    (default: customer, merchant, platform, and a merchant of another store). Many steps are
    refused (a merchant closing, an offer before the review...): that is the point. Run them with
    :func:`run_steps`.
    """
    low, high = _size(min_size, "min_size"), _size(max_size, "max_size")
    _range(low, high, ("min_size", "max_size"))
    chosen = _names(commands, "commands", STEP_COMMANDS) or STEP_COMMANDS
    who = _names(roles, "roles", _ROLES) or _ROLES
    later = tuple(c for c in chosen if c != "open_complaint") or ("reply",)
    step = st.builds(
        Step,
        command=st.sampled_from(later),
        role=st.sampled_from(who),
        text=_WORDS,
        kind=st.sampled_from(tuple(BUILTIN_KINDS)),
        percent=st.integers(1, 10_000).map(lambda cents: Decimal(cents).scaleb(-2)),
        hours=st.floats(0.5, 96.0),
    )
    first = Step("open_complaint", "customer", "The lid arrived cracked.")
    return st.lists(step, min_size=low, max_size=high).map(lambda rest: [first, *rest])


def run_steps(app: ResolveKit, steps: Sequence[Step], world: World | None = None) -> list[CommandResult | ResolveKitError | None]:
    """Run ``steps`` on ``app`` in order; each outcome is the command's result, the
    :class:`~resolvekit.ResolveKitError` that refused it, or ``None``. Any other exception propagates
    (it is a bug: resolvekit refuses with its own errors only). ``world`` defaults to
    :meth:`World.default` with the application's clock."""
    world = world if world is not None else World.default(clock=getattr(app, "_clock", None))
    outcomes: list[CommandResult | ResolveKitError | None] = []
    for step in steps:
        try:
            outcomes.append(step.run(app, world))
        except ResolveKitError as error:
            outcomes.append(error)
    return outcomes


# -- registration with hypothesis ------------------------------------------------------------------------


def register_types() -> None:
    """Register resolvekit's types with hypothesis, so that ``st.from_type(Complaint)`` and friends
    just work. The ``hypothesis`` entry point calls it when hypothesis is imported, and importing
    this module does too; calling it again changes nothing."""
    from resolvekit.domain.cases import Case

    for cls, strategy in (
        (Store, stores()),
        (Customer, customers()),
        (Order, orders()),
        (Actor, actors()),
        (Complaint, complaints()),
        (Case, complaints()),
        (Offer, offers()),
    ):
        st.register_type_strategy(cls, strategy)


register_types()


def __getattr__(name: str) -> Any:
    if name == "StorageConformance":  # needs pytest: imported when asked for
        from resolvekit.testing.conformance import StorageConformance

        return StorageConformance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
