"""Every command through the application: accepted paths, every guard, every refused transition.

A refused command must change nothing: for each refusal the whole store (every case snapshot, its
activity log and its outbox entries) is compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from resolvekit import (
    Actor,
    Attachment,
    CannedResponse,
    Case,
    CaseClosed,
    CaseNotFound,
    CommandResult,
    Complaint,
    Customer,
    EventKind,
    InvalidTransition,
    Order,
    OfferNotFound,
    OrderNotFound,
    PermissionDenied,
    Policy,
    ResolveKit,
    ResolveKitError,
    Role,
    Ticket,
    UnknownTicketType,
    ValidationError,
)
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

UPR = "under_platform_review"
WFMR = "waiting_for_merchant_response"
WFCR = "waiting_for_customer_response"
UMR = "under_merchant_review"
CLOSED = "closed"

AUDITOR = Actor.platform("auditor")


# -- helpers ----------------------------------------------------------------------------------------


def everything(app: ResolveKit) -> dict[str, tuple[Case, tuple[Any, ...], tuple[Any, ...]]]:
    """Every case in the store with its snapshot, its activity log and its outbox entries."""
    page = app.list_cases(AUDITOR, limit=1000)
    assert page.next_cursor is None
    return {c.id: (c, tuple(app.storage.events(c.id)), tuple(app.storage.outbox(c.id))) for c in page.items}


def assert_refused(app: ResolveKit, error: type[ResolveKitError], command: Callable[[], object]) -> ResolveKitError:
    """Run ``command``, expect exactly ``error``, and check that nothing at all was written."""
    before = everything(app)
    with pytest.raises(error) as info:
        command()
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
    assert everything(app) == before
    return info.value


def assert_accepted(app: ResolveKit, case_id: str, before: Case | None, result: CommandResult) -> None:
    """The command appended exactly its events, contiguously, and the snapshot is their fold."""
    start = 0 if before is None else before.version
    assert [e.version for e in result.events] == list(range(start + 1, start + 1 + len(result.events)))
    assert app.storage.events(case_id, after_version=start) == list(result.events)
    stored = app.storage.load(case_id)
    assert stored is not None and stored.version == start + len(result.events)
    assert not result.replayed


class World:
    """One store's customer, order and actors on an application, with helpers to reach each status."""

    def __init__(self, app: ResolveKit, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        self.app = app
        self.customer = customer
        self.order = order
        self.buyer = buyer
        self.merchant = merchant
        self.platform = platform
        self.system = Actor.system()

    def open_complaint(self, **overrides: Any) -> CommandResult:
        kwargs: dict[str, Any] = {
            "order": self.order,
            "customer": self.customer,
            "reason": "damaged_goods",
            "description": "The kettle arrived with a cracked lid.",
            "declaration_accepted": True,
        }
        kwargs.update(overrides)
        return self.app.open_complaint(self.buyer, **kwargs)

    def open_ticket(self, **overrides: Any) -> CommandResult:
        kwargs: dict[str, Any] = {
            "store_id": self.order.store_id,
            "customer": self.customer,
            "ticket_type": "order_delayed",
            "description": "My order has not arrived yet.",
            "order": self.order,
        }
        kwargs.update(overrides)
        return self.app.open_ticket(self.buyer, **kwargs)

    def complaint(self, status: str = UPR) -> str:
        case_id = self.open_complaint().case.id
        if status == UPR:
            return case_id
        self.app.pass_review(self.platform, case_id)
        if status == WFMR:
            return case_id
        TestResolutionProposals.propose(self.app, self.merchant, case_id)
        if status == WFCR:
            return case_id
        self.app.close(self.buyer, case_id, confirmed=True)
        assert status == CLOSED
        return case_id

    def payment_ticket(self, **overrides: Any) -> CommandResult:
        """A "payment deducted without an order" ticket: no order, routed to the platform."""
        kwargs: dict[str, Any] = {
            "store_id": self.order.store_id,
            "customer": self.customer,
            "ticket_type": "payment_without_order",
            "fields": {"payment_method": "card", "card_last_four": "4242"},
        }
        kwargs.update(overrides)
        return self.app.open_ticket(self.buyer, **kwargs)

    def ticket(self, status: str = UMR) -> str:
        if status == UPR:
            return self.payment_ticket().case.id
        case_id = self.open_ticket().case.id
        if status == UMR:
            return case_id
        self.app.reply(self.merchant, case_id, "We are checking with the carrier.")
        if status == WFCR:
            return case_id
        self.app.close(self.buyer, case_id, confirmed=True)
        assert status == CLOSED
        return case_id

    def case(self, kind: str, status: str) -> str:
        return self.complaint(status) if kind == "complaint" else self.ticket(status)


@pytest.fixture
def world(app: ResolveKit, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> World:
    return World(app, customer, order, buyer, merchant, platform)


def world_with(policy: Policy, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> World:
    app = ResolveKit(storage="memory://", clock=ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)), policy=policy, plugins=[RecordingNotifier()])
    return World(app, customer, order, buyer, merchant, platform)


THANKS = CannedResponse("thanks", "Thanks", "Hello {customer_name}, we are looking into order {order_number}.")


# -- resolution proposals: structured offers (tests/test_offers.py covers them in depth) -----------------


class TestResolutionProposals:
    """Proposals are structured offers; the matrix below proposes a 20% partial refund and accepts the last offer."""

    @staticmethod
    def propose(app: ResolveKit, actor: Actor, case_id: str) -> CommandResult:
        return app.propose_offer(actor, case_id, "partial_refund", percent=20, text="A 20% refund; keep the kettle.")

    @staticmethod
    def accept(app: ResolveKit, actor: Actor, case_id: str, *, confirmed: bool = True) -> CommandResult:
        case = app.storage.load(case_id)
        offers = case.offers if isinstance(case, Complaint) else ()
        offer_id = offers[-1].id if offers else f"{case_id}/o-none"
        return app.accept_offer(actor, case_id, offer_id, confirmed=confirmed)

    def test_proposal_is_recorded_and_shown_to_the_customer(self, world: World) -> None:
        case_id = world.complaint(WFMR)
        result = world.app.propose_offer(world.merchant, case_id, "partial_refund", percent=20, text="  A 20% refund; keep the kettle.  ")
        assert result.case.status == WFCR
        (event,) = result.events
        assert event.kind is EventKind.OFFER_PROPOSED
        assert event.payload["text"] == "A 20% refund; keep the kettle."
        assert (event.payload["amount"], event.payload["currency"]) == ("49.80", "SAR")
        case = world.app.get_case(world.buyer, case_id)
        assert isinstance(case, Complaint)
        (offer,) = case.offers
        assert offer.id == event.payload["offer_id"]
        assert offer.text == "A 20% refund; keep the kettle."
        assert offer.proposed_by == world.merchant
        assert offer.status == "proposed" and offer.decided_at is None

    def test_platform_may_propose_too(self, world: World) -> None:
        case_id = world.complaint(WFMR)
        assert world.app.propose_offer(world.platform, case_id, "full_refund").case.status == WFCR

    def test_accepting_closes_with_the_resolution(self, world: World, clock: ManualClock) -> None:
        case_id = world.complaint(WFMR)
        first = world.app.propose_offer(world.merchant, case_id, "coupon", percent=10, text="A 10% discount on the next order.").events[0]
        second = world.app.propose_offer(world.merchant, case_id, "full_refund").events[0]
        assert first.payload["offer_id"] != second.payload["offer_id"]
        clock.advance(hours=1)
        before = world.app.storage.load(case_id)
        result = world.app.accept_offer(world.buyer, case_id, first.payload["offer_id"], confirmed=True)
        assert_accepted(world.app, case_id, before, result)
        accepted, closed = result.events
        assert accepted.kind is EventKind.OFFER_ACCEPTED and closed.kind is EventKind.CASE_CLOSED
        assert closed.payload["resolution"] == first.payload["offer_id"]
        case = result.case
        assert isinstance(case, Complaint)
        assert case.status == CLOSED and case.closed_by == world.buyer and case.closed_at == clock.now
        assert [(o.status, o.decided_at) for o in case.offers] == [("accepted", clock.now), ("proposed", None)]

    def test_accepting_an_unknown_proposal_is_refused(self, world: World) -> None:
        case_id = world.complaint(WFCR)
        error = assert_refused(
            world.app, OfferNotFound, lambda: world.app.accept_offer(world.buyer, case_id, "nope", confirmed=True)
        )
        assert "nope" in str(error)

    def test_accepting_another_cases_proposal_is_refused(self, world: World) -> None:
        one, two = world.complaint(WFCR), world.complaint(WFCR)
        other = world.app.get_case(world.buyer, two)
        assert isinstance(other, Complaint)
        assert_refused(
            world.app,
            OfferNotFound,
            lambda: world.app.accept_offer(world.buyer, one, other.offers[0].id, confirmed=True),
        )

    @pytest.mark.parametrize("confirmed", [False, None, "yes", 1])
    def test_accepting_needs_the_confirmation(self, world: World, confirmed: Any) -> None:
        case_id = world.complaint(WFCR)
        assert_refused(world.app, ValidationError, lambda: self.accept(world.app, world.buyer, case_id, confirmed=confirmed))

    def test_accepting_without_confirmation_when_the_policy_does_not_ask(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(close_requires_confirmation=False), customer, order, buyer, merchant, platform)
        case_id = w.complaint(WFCR)
        assert self.accept(w.app, w.buyer, case_id, confirmed=False).case.status == CLOSED

    @pytest.mark.parametrize("text", ["", "   \n\t", 42, None])
    def test_proposal_text_must_be_text(self, world: World, text: Any) -> None:
        case_id = world.complaint(WFMR)
        assert_refused(world.app, ValidationError, lambda: world.app.propose_offer(world.merchant, case_id, "other", text=text))

    def test_proposal_text_limit(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(max_message_length=40), customer, order, buyer, merchant, platform)
        case_id = w.complaint(WFMR)
        assert_refused(w.app, ValidationError, lambda: w.app.propose_offer(w.merchant, case_id, "other", text="x" * 41))
        assert w.app.propose_offer(w.merchant, case_id, "other", text="x" * 40).case.status == WFCR


# -- the matrix: every command by every role in every status ---------------------------------------------

Outcome = str | type[ResolveKitError]
PD, IT, CC = PermissionDenied, InvalidTransition, CaseClosed
ROLES = ("customer", "merchant", "platform", "system")
COMMAND_NAMES = ("reply", "add_note", "reply_canned", "pass_review", "propose_resolution", "accept_resolution", "close", "rate")

COMMANDS: dict[str, Callable[[World, Actor, str], CommandResult]] = {
    "reply": lambda w, a, cid: w.app.reply(a, cid, "Any news on this?"),
    "add_note": lambda w, a, cid: w.app.add_note(a, cid, "Customer called twice."),
    "reply_canned": lambda w, a, cid: w.app.reply_canned(a, cid, THANKS),
    "pass_review": lambda w, a, cid: w.app.pass_review(a, cid),
    "propose_resolution": lambda w, a, cid: TestResolutionProposals.propose(w.app, a, cid),
    "accept_resolution": lambda w, a, cid: TestResolutionProposals.accept(w.app, a, cid),
    "close": lambda w, a, cid: w.app.close(a, cid, confirmed=True),
    "rate": lambda w, a, cid: w.app.rate(a, cid, 4),
}

# (kind, status) -> command -> outcome per role (customer, merchant, platform, system):
# a status name means accepted (and the status the case is in afterwards), an error class means refused.
EXPECTED: dict[tuple[str, str], dict[str, tuple[Outcome, Outcome, Outcome, Outcome]]] = {
    ("complaint", UPR): {
        "reply": (UPR, IT, UPR, PD),
        "add_note": (PD, UPR, UPR, PD),
        "reply_canned": (PD, IT, UPR, PD),
        "pass_review": (PD, PD, WFMR, WFMR),
        "propose_resolution": (IT, IT, IT, IT),
        "accept_resolution": (IT, IT, IT, IT),
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, IT, IT, IT),
    },
    ("complaint", WFMR): {
        "reply": (WFMR, WFCR, WFMR, PD),
        "add_note": (PD, WFMR, WFMR, PD),
        "reply_canned": (PD, WFCR, WFMR, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (PD, WFCR, WFCR, PD),
        "accept_resolution": (OfferNotFound, PD, PD, PD),  # a customer may accept an open offer after replying
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, IT, IT, IT),
    },
    ("complaint", WFCR): {
        "reply": (WFMR, WFCR, WFCR, PD),
        "add_note": (PD, WFCR, WFCR, PD),
        "reply_canned": (PD, WFCR, WFCR, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (PD, WFCR, WFCR, PD),
        "accept_resolution": (CLOSED, PD, PD, PD),
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, IT, IT, IT),
    },
    ("complaint", CLOSED): {
        "reply": (CC, CC, CC, PD),
        "add_note": (CC, CC, CC, CC),
        "reply_canned": (PD, CC, CC, PD),
        "pass_review": (CC, CC, CC, CC),
        "propose_resolution": (CC, CC, CC, CC),
        "accept_resolution": (CC, CC, CC, CC),
        "close": (CC, CC, CC, CC),
        "rate": (IT, IT, IT, IT),
    },
    ("ticket", UMR): {
        "reply": (UMR, WFCR, WFCR, PD),
        "add_note": (PD, UMR, UMR, PD),
        "reply_canned": (PD, WFCR, WFCR, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (IT, IT, IT, IT),
        "accept_resolution": (IT, IT, IT, IT),
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, PD, PD, PD),
    },
    ("ticket", WFCR): {
        "reply": (UMR, WFCR, WFCR, PD),
        "add_note": (PD, WFCR, WFCR, PD),
        "reply_canned": (PD, WFCR, WFCR, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (IT, IT, IT, IT),
        "accept_resolution": (IT, IT, IT, IT),
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, PD, PD, PD),
    },
    ("ticket", UPR): {  # a ticket type routed to the platform (payment deducted without an order)
        "reply": (UPR, PD, UPR, PD),
        "add_note": (PD, PD, UPR, PD),
        "reply_canned": (PD, PD, UPR, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (IT, IT, IT, IT),
        "accept_resolution": (IT, IT, IT, IT),
        "close": (CLOSED, PD, PD, PD),
        "rate": (IT, PD, PD, PD),
    },
    ("ticket", CLOSED): {
        "reply": (CC, CC, CC, PD),
        "add_note": (CC, CC, CC, CC),
        "reply_canned": (PD, CC, CC, PD),
        "pass_review": (IT, IT, IT, IT),
        "propose_resolution": (IT, IT, IT, IT),
        "accept_resolution": (IT, IT, IT, IT),
        "close": (CC, CC, CC, CC),
        "rate": (CLOSED, PD, PD, PD),
    },
}

MATRIX = [
    pytest.param(kind, status, command, role, outcome, id=f"{kind}-{status}-{command}-{role}")
    for (kind, status), row in EXPECTED.items()
    for command, outcomes in row.items()
    for role, outcome in zip(ROLES, outcomes, strict=True)
]


def actor_for(world: World, role: str) -> Actor:
    return {"customer": world.buyer, "merchant": world.merchant, "platform": world.platform, "system": world.system}[role]


def test_the_matrix_covers_every_command_in_every_status() -> None:
    from resolvekit.domain.transitions import lifecycle_for

    for kind in ("complaint", "ticket"):
        statuses = {status for k, status in EXPECTED if k == kind}
        assert statuses == set(lifecycle_for(kind).statuses)
    assert all(tuple(row) == COMMAND_NAMES for row in EXPECTED.values())
    assert set(COMMANDS) == set(COMMAND_NAMES)


@pytest.mark.parametrize(("kind", "status", "command", "role", "outcome"), MATRIX)
def test_command_by_role_in_status(world: World, kind: str, status: str, command: str, role: str, outcome: Outcome) -> None:
    case_id = world.case(kind, status)
    actor = actor_for(world, role)
    run = COMMANDS[command]
    if isinstance(outcome, str):
        before = world.app.storage.load(case_id)
        result = run(world, actor, case_id)
        assert_accepted(world.app, case_id, before, result)
        assert result.case.status == outcome
        assert world.app.storage.load(case_id).status == outcome  # type: ignore[union-attr]
        assert all(e.actor == actor for e in result.events)
        assert len(result.events) == (2 if command == "accept_resolution" else 1)
    else:
        assert_refused(world.app, outcome, lambda: run(world, actor, case_id))


@pytest.mark.parametrize("command", COMMAND_NAMES)
@pytest.mark.parametrize(("kind", "status"), list(EXPECTED))
@pytest.mark.parametrize("stranger", ["other_store_merchant", "other_customer"])
def test_strangers_cannot_find_the_case(world: World, other_merchant: Actor, kind: str, status: str, command: str, stranger: str) -> None:
    case_id = world.case(kind, status)
    actor = other_merchant if stranger == "other_store_merchant" else Actor.customer("cust-2")
    error = assert_refused(world.app, CaseNotFound, lambda: COMMANDS[command](world, actor, case_id))
    assert case_id in str(error)


@pytest.mark.parametrize("command", COMMAND_NAMES)
@pytest.mark.parametrize("case_id", ["C-DOESNOTEXIST", "", 42, None])
def test_unknown_case_is_not_found(world: World, command: str, case_id: Any) -> None:
    world.complaint(WFCR)
    for role in ROLES:
        assert_refused(world.app, CaseNotFound, lambda: COMMANDS[command](world, actor_for(world, role), case_id))


@pytest.mark.parametrize("command", COMMAND_NAMES)
@pytest.mark.parametrize("not_an_actor", ["customer", None, Role.PLATFORM])
def test_a_command_needs_an_actor(world: World, command: str, not_an_actor: Any) -> None:
    case_id = world.complaint(WFCR)
    assert_refused(world.app, PermissionDenied, lambda: COMMANDS[command](world, not_an_actor, case_id))


# -- opening ---------------------------------------------------------------------------------------------


class TestOpenComplaint:
    def test_opens_under_platform_review(self, world: World, clock: ManualClock) -> None:
        pdf = Attachment("photo.jpg", "image/jpeg", 1024, "files/1")
        result = world.open_complaint(attachments=[pdf], description="  Cracked lid.  ")
        case = result.case
        assert isinstance(case, Complaint)
        assert_accepted(world.app, case.id, None, result)
        assert (case.kind, case.status, case.version) == ("complaint", UPR, 1)
        assert (case.store_id, case.customer_id, case.order_id, case.order_number) == ("store-1", "cust-1", "ord-1", "1001")
        assert (case.reason, case.description, case.customer_name) == ("damaged_goods", "Cracked lid.", "Noura")
        assert case.attachments == (pdf,)
        assert case.opened_at == case.updated_at == clock.now
        assert case.closed_at is None and case.offers == ()
        (event,) = result.events
        assert event.kind is EventKind.COMPLAINT_OPENED and event.actor == world.buyer and event.at == clock.now
        assert world.app.get_case(world.platform, case.id) == case

    def test_each_complaint_gets_its_own_number(self, world: World) -> None:
        ids = {world.open_complaint().case.id for _ in range(5)}
        assert len(ids) == 5

    @pytest.mark.parametrize("role", ["merchant", "platform", "system"])
    def test_only_the_customer_opens(self, world: World, role: str) -> None:
        actor = actor_for(world, role)
        assert_refused(
            world.app,
            PermissionDenied,
            lambda: world.app.open_complaint(
                actor, order=world.order, customer=world.customer, reason="other", description="x", declaration_accepted=True
            ),
        )

    def test_order_of_another_customer(self, world: World, order: Order) -> None:
        import attrs

        theirs = attrs.evolve(order, customer_id="cust-2")
        assert_refused(world.app, OrderNotFound, lambda: world.open_complaint(order=theirs))

    def test_customer_record_of_someone_else(self, world: World) -> None:
        assert_refused(world.app, OrderNotFound, lambda: world.open_complaint(customer=Customer("cust-2", "Sara")))

    @pytest.mark.parametrize("reason", ["", "DAMAGED_GOODS", "not_a_reason", "damaged goods"])
    def test_unknown_reason(self, world: World, reason: str) -> None:
        error = assert_refused(world.app, ValidationError, lambda: world.open_complaint(reason=reason))
        assert "damaged_goods" in str(error)  # the message lists the allowed reasons

    def test_reasons_come_from_the_policy(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(complaint_reasons={"leaks"}), customer, order, buyer, merchant, platform)
        assert w.open_complaint(reason="leaks").case.status == UPR
        assert_refused(w.app, ValidationError, lambda: w.open_complaint(reason="damaged_goods"))

    @pytest.mark.parametrize("declaration", [False, None, "yes", 1])
    def test_missing_declaration(self, world: World, declaration: Any) -> None:
        assert_refused(world.app, ValidationError, lambda: world.open_complaint(declaration_accepted=declaration))

    @pytest.mark.parametrize("description", ["", "   ", "\n\t ", None, 7])
    def test_empty_description(self, world: World, description: Any) -> None:
        assert_refused(world.app, ValidationError, lambda: world.open_complaint(description=description))

    def test_description_limit(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(max_message_length=30), customer, order, buyer, merchant, platform)
        assert_refused(w.app, ValidationError, lambda: w.open_complaint(description="y" * 31))
        assert w.open_complaint(description=" " + "y" * 30 + " ").case.description == "y" * 30

    def test_default_limit_is_enforced(self, world: World) -> None:
        limit = world.app.policy.max_message_length
        assert_refused(world.app, ValidationError, lambda: world.open_complaint(description="z" * (limit + 1)))
        assert world.open_complaint(description="z" * limit).case.status == UPR

    def test_too_many_attachments(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(max_attachments=2), customer, order, buyer, merchant, platform)
        files = [Attachment(f"p{i}.jpg", "image/jpeg", 10, f"f/{i}") for i in range(3)]
        assert_refused(w.app, ValidationError, lambda: w.open_complaint(attachments=files))
        assert len(w.open_complaint(attachments=files[:2]).case.attachments) == 2

    @pytest.mark.parametrize("item", ["photo.jpg", {"name": "photo.jpg"}, None])
    def test_attachments_must_be_attachment_values(self, world: World, item: Any) -> None:
        assert_refused(world.app, ValidationError, lambda: world.open_complaint(attachments=[item]))

    def test_naive_clock(self, world: World) -> None:
        world.app._clock = lambda: datetime(2026, 11, 2, 9, 0)
        error = assert_refused(world.app, ValidationError, world.open_complaint)
        assert "naive" in str(error)
        assert everything(world.app) == {}


class TestOpenTicket:
    def test_opens_under_merchant_review(self, world: World, clock: ManualClock) -> None:
        result = world.open_ticket()
        case = result.case
        assert isinstance(case, Ticket)
        assert_accepted(world.app, case.id, None, result)
        assert (case.kind, case.status, case.ticket_type, case.rating) == ("ticket", UMR, "order_delayed", None)
        assert (case.store_id, case.order_id, case.order_number) == ("store-1", "ord-1", "1001")
        assert result.events[0].kind is EventKind.TICKET_OPENED

    def test_without_an_order(self, world: World) -> None:
        case = world.payment_ticket().case
        assert case.order_id is None and case.order_number is None and case.status == UPR

    @pytest.mark.parametrize("role", ["merchant", "platform", "system"])
    def test_only_the_customer_opens(self, world: World, role: str) -> None:
        actor = actor_for(world, role)
        assert_refused(
            world.app,
            PermissionDenied,
            lambda: world.app.open_ticket(actor, store_id="store-1", customer=world.customer, ticket_type="t", description="d"),
        )

    def test_customer_record_of_someone_else(self, world: World) -> None:
        assert_refused(world.app, ValidationError, lambda: world.open_ticket(customer=Customer("cust-2", "Sara")))

    def test_order_of_another_store(self, world: World) -> None:
        assert_refused(world.app, OrderNotFound, lambda: world.open_ticket(store_id="store-2"))

    def test_order_of_another_customer(self, world: World, order: Order) -> None:
        import attrs

        assert_refused(world.app, OrderNotFound, lambda: world.open_ticket(order=attrs.evolve(order, customer_id="cust-2")))

    @pytest.mark.parametrize("ticket_type", ["", "   ", None, "no_such_type"])
    def test_needs_a_known_ticket_type(self, world: World, ticket_type: Any) -> None:
        error = assert_refused(world.app, UnknownTicketType, lambda: world.open_ticket(ticket_type=ticket_type))
        assert isinstance(error, ValidationError)

    @pytest.mark.parametrize("description", ["", "  ", None])
    def test_empty_description(self, world: World, description: Any) -> None:
        assert_refused(world.app, ValidationError, lambda: world.open_ticket(description=description))

    def test_naive_clock(self, world: World) -> None:
        world.app._clock = lambda: datetime(2026, 11, 2, 9, 0)
        assert_refused(world.app, ValidationError, world.open_ticket)


# -- messages ---------------------------------------------------------------------------------------------

MESSAGE_COMMANDS: dict[str, Callable[[World, str, Any], CommandResult]] = {
    "customer_reply": lambda w, cid, body: w.app.reply(w.buyer, cid, body),
    "merchant_reply": lambda w, cid, body: w.app.reply(w.merchant, cid, body),
    "platform_reply": lambda w, cid, body: w.app.reply(w.platform, cid, body),
    "merchant_note": lambda w, cid, body: w.app.add_note(w.merchant, cid, body),
    "platform_note": lambda w, cid, body: w.app.add_note(w.platform, cid, body),
}


class TestMessages:
    @pytest.mark.parametrize("kind", ["complaint", "ticket"])
    @pytest.mark.parametrize("command", list(MESSAGE_COMMANDS))
    def test_message_is_recorded(self, world: World, clock: ManualClock, kind: str, command: str) -> None:
        case_id = world.case(kind, WFCR)
        clock.advance(minutes=5)
        photo = Attachment("box.png", "image/png", 2048, "files/box")
        if command.endswith("note"):
            result = world.app.add_note(actor_for(world, command.split("_")[0]), case_id, "  Checked it.  ", attachments=[photo])
        else:
            result = world.app.reply(actor_for(world, command.split("_")[0]), case_id, "  Checked it.  ", attachments=[photo])
        (event,) = result.events
        assert event.kind is EventKind.MESSAGE_ADDED and event.at == clock.now
        message = world.app.get_case(world.platform, case_id).messages[-1]
        assert message.id == event.payload["message_id"]
        assert (message.body, message.attachments, message.at) == ("Checked it.", (photo,), clock.now)
        assert message.internal is command.endswith("note")
        assert message.author == event.actor

    @pytest.mark.parametrize("command", list(MESSAGE_COMMANDS))
    @pytest.mark.parametrize("body", ["", " ", "\n\t  ", None, 12, b"bytes"])
    def test_empty_or_non_text_body(self, world: World, command: str, body: Any) -> None:
        case_id = world.complaint(WFCR)
        assert_refused(world.app, ValidationError, lambda: MESSAGE_COMMANDS[command](world, case_id, body))

    @pytest.mark.parametrize("command", list(MESSAGE_COMMANDS))
    def test_body_limit(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor, command: str) -> None:
        w = world_with(Policy(max_message_length=50), customer, order, buyer, merchant, platform)
        case_id = w.complaint(WFCR)
        error = assert_refused(w.app, ValidationError, lambda: MESSAGE_COMMANDS[command](w, case_id, "b" * 51))
        assert "50" in str(error)
        MESSAGE_COMMANDS[command](w, case_id, "  " + "b" * 50 + "  ")  # the limit counts the stripped text
        assert w.app.get_case(w.platform, case_id).messages[-1].body == "b" * 50

    @pytest.mark.parametrize("command", list(MESSAGE_COMMANDS))
    def test_too_many_or_bad_attachments(self, world: World, command: str) -> None:
        case_id = world.complaint(WFCR)
        many = [Attachment(f"{i}.png", "image/png", 1, f"r{i}") for i in range(world.app.policy.max_attachments + 1)]
        actor = actor_for(world, command.split("_")[0])
        send = world.app.add_note if command.endswith("note") else world.app.reply
        assert_refused(world.app, ValidationError, lambda: send(actor, case_id, "see files", attachments=many))
        assert_refused(world.app, ValidationError, lambda: send(actor, case_id, "see files", attachments=["x.png"]))

    def test_merchant_cannot_reply_before_the_review(self, world: World) -> None:
        case_id = world.complaint(UPR)
        assert_refused(world.app, InvalidTransition, lambda: world.app.reply(world.merchant, case_id, "Hello"))
        world.app.add_note(world.merchant, case_id, "Waiting for the platform.")  # a note is fine

    def test_naive_clock_on_an_existing_case(self, world: World) -> None:
        case_id = world.complaint(WFCR)
        world.app._clock = lambda: datetime(2026, 11, 2, 10, 0)
        assert_refused(world.app, ValidationError, lambda: world.app.reply(world.buyer, case_id, "Hello"))


class TestCannedResponses:
    @pytest.mark.parametrize("kind", ["complaint", "ticket"])
    def test_placeholders_are_filled(self, world: World, kind: str) -> None:
        case_id = world.case(kind, WFCR)
        template = CannedResponse("hello", "Hello", "Dear {customer_name}: order {order_number}, case {case_id}, {store_name}.")
        result = world.app.reply_canned(world.merchant, case_id, template, store_name="Kettles & Co")
        message = result.case.messages[-1]
        assert message.body == f"Dear Noura: order 1001, case {case_id}, Kettles & Co."
        assert message.template == "hello" and not message.internal

    def test_ticket_without_order(self, world: World) -> None:
        case_id = world.payment_ticket().case.id
        message = world.app.reply_canned(world.platform, case_id, THANKS).case.messages[-1]
        assert message.body == "Hello Noura, we are looking into order ."

    def test_rendered_body_over_the_limit(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(max_message_length=40), customer, order, buyer, merchant, platform)
        case_id = w.ticket(UMR)  # the rendered THANKS is 45 characters long
        assert_refused(w.app, ValidationError, lambda: w.app.reply_canned(w.merchant, case_id, THANKS))

    @pytest.mark.parametrize("body", ["Hi {name}", "Hi {0}", "Hi {}", "Hi {customer_name", "   "])
    def test_bad_templates_fail_when_created(self, body: str) -> None:
        with pytest.raises(ValidationError):
            CannedResponse("bad", "Bad", body)


# -- review, close, rate ---------------------------------------------------------------------------------


class TestReview:
    @pytest.mark.parametrize("role", ["platform", "system"])
    def test_passes_to_the_merchant(self, world: World, role: str) -> None:
        case_id = world.complaint(UPR)
        result = world.app.pass_review(actor_for(world, role), case_id, note="  Photos look genuine.  ")
        (event,) = result.events
        assert event.kind is EventKind.REVIEW_PASSED
        assert event.payload == {"note": "Photos look genuine.", "status": WFMR}

    @pytest.mark.parametrize("note", ["", "  ", 5])
    def test_bad_note(self, world: World, note: Any) -> None:
        case_id = world.complaint(UPR)
        assert_refused(world.app, ValidationError, lambda: world.app.pass_review(world.platform, case_id, note=note))

    def test_without_platform_review(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(complaint_platform_review=False), customer, order, buyer, merchant, platform)
        result = w.open_complaint()
        assert_accepted(w.app, result.case.id, None, result)
        opened, passed = result.events
        assert opened.kind is EventKind.COMPLAINT_OPENED and opened.payload["status"] == UPR
        assert passed.kind is EventKind.REVIEW_PASSED and passed.actor == Actor.system()
        assert passed.payload["status"] == WFMR and (opened.version, passed.version) == (1, 2)
        assert result.case.status == WFMR and result.case.version == 2
        assert_refused(w.app, InvalidTransition, lambda: w.app.pass_review(w.platform, result.case.id))
        assert w.app.reply(w.merchant, result.case.id, "Sorry about that.").case.status == WFCR


class TestClose:
    @pytest.mark.parametrize(("kind", "status"), [("complaint", UPR), ("complaint", WFMR), ("complaint", WFCR), ("ticket", UMR), ("ticket", WFCR)])
    def test_customer_closes_after_confirming(self, world: World, clock: ManualClock, kind: str, status: str) -> None:
        case_id = world.case(kind, status)
        clock.advance(days=1)
        result = world.app.close(world.buyer, case_id, confirmed=True)
        (event,) = result.events
        assert event.kind is EventKind.CASE_CLOSED
        assert (event.payload["resolution"], event.payload["status"]) == (None, CLOSED)
        assert result.case.is_closed and result.case.closed_at == clock.now and result.case.closed_by == world.buyer

    @pytest.mark.parametrize("kind", ["complaint", "ticket"])
    @pytest.mark.parametrize("confirmed", [False, None, "true", 1])
    def test_close_without_confirmation(self, world: World, kind: str, confirmed: Any) -> None:
        case_id = world.case(kind, WFCR)
        assert_refused(world.app, ValidationError, lambda: world.app.close(world.buyer, case_id, confirmed=confirmed))

    def test_close_without_confirmation_when_the_policy_does_not_ask(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(close_requires_confirmation=False), customer, order, buyer, merchant, platform)
        for case_id in (w.complaint(WFMR), w.ticket(UMR)):
            assert w.app.close(w.buyer, case_id).case.status == CLOSED

    def test_merchant_may_close_complaints_when_the_policy_says_so(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor, other_merchant: Actor) -> None:
        w = world_with(Policy(complaint_closers={Role.CUSTOMER, Role.MERCHANT}), customer, order, buyer, merchant, platform)
        for status in (UPR, WFMR, WFCR):
            case_id = w.complaint(status)
            assert_refused(w.app, PermissionDenied, lambda: w.app.close(w.platform, case_id, confirmed=True))
            assert_refused(w.app, CaseNotFound, lambda: w.app.close(other_merchant, case_id))
            result = w.app.close(w.merchant, case_id)  # no customer confirmation needed for the merchant
            assert result.case.status == CLOSED and result.case.closed_by == w.merchant
            assert_refused(w.app, CaseClosed, lambda: w.app.close(w.buyer, case_id, confirmed=True))
        ticket_id = w.ticket(UMR)  # tickets follow ticket_closers, still customer only
        assert_refused(w.app, PermissionDenied, lambda: w.app.close(w.merchant, ticket_id, confirmed=True))

    def test_only_merchant_closes_when_the_policy_says_so(self, customer: Customer, order: Order, buyer: Actor, merchant: Actor, platform: Actor) -> None:
        w = world_with(Policy(complaint_closers={"merchant"}, ticket_closers={"merchant", "platform"}), customer, order, buyer, merchant, platform)
        complaint_id, ticket_id = w.complaint(WFMR), w.ticket(UMR)
        assert_refused(w.app, PermissionDenied, lambda: w.app.close(w.buyer, complaint_id, confirmed=True))
        assert_refused(w.app, PermissionDenied, lambda: w.app.close(w.buyer, ticket_id, confirmed=True))
        assert w.app.close(w.platform, ticket_id).case.closed_by == w.platform
        assert w.app.close(w.merchant, complaint_id).case.closed_by == w.merchant

    @pytest.mark.parametrize("kind", ["complaint", "ticket"])
    def test_closed_is_final(self, world: World, clock: ManualClock, kind: str) -> None:
        case_id = world.case(kind, CLOSED)
        clock.advance(days=3)
        for role in ("customer", "merchant", "platform"):
            actor = actor_for(world, role)
            assert_refused(world.app, CaseClosed, lambda: world.app.reply(actor, case_id, "Reopen please"))
            assert_refused(world.app, CaseClosed, lambda: world.app.close(actor, case_id, confirmed=True))
        error = assert_refused(world.app, CaseClosed, lambda: world.app.add_note(world.merchant, case_id, "late note"))
        assert case_id in str(error)


class TestRate:
    def test_rates_a_closed_ticket_once(self, world: World, clock: ManualClock) -> None:
        case_id = world.ticket(CLOSED)
        clock.advance(hours=2)
        result = world.app.rate(world.buyer, case_id, 5, comment="  Quick and kind.  ")
        (event,) = result.events
        assert event.kind is EventKind.TICKET_RATED and event.payload == {"stars": 5, "comment": "Quick and kind."}
        case = result.case
        assert isinstance(case, Ticket) and case.rating is not None
        assert (case.rating.stars, case.rating.comment, case.rating.at) == (5, "Quick and kind.", clock.now)
        assert case.status == CLOSED
        error = assert_refused(world.app, ValidationError, lambda: world.app.rate(world.buyer, case_id, 4))
        assert "already rated" in str(error)

    @pytest.mark.parametrize("stars", [1, 2, 3, 4, 5])
    def test_every_valid_rating(self, world: World, stars: int) -> None:
        case_id = world.ticket(CLOSED)
        rating = world.app.rate(world.buyer, case_id, stars).case.rating  # type: ignore[attr-defined]
        assert rating.stars == stars and rating.comment is None

    @pytest.mark.parametrize("stars", [0, 6, -1, 100, True, False, 4.0, 3.5, "5", None, Decimal(3)])
    def test_rating_outside_one_to_five(self, world: World, stars: Any) -> None:
        case_id = world.ticket(CLOSED)
        assert_refused(world.app, ValidationError, lambda: world.app.rate(world.buyer, case_id, stars))

    @pytest.mark.parametrize("comment", ["", "   "])
    def test_empty_comment(self, world: World, comment: str) -> None:
        case_id = world.ticket(CLOSED)
        assert_refused(world.app, ValidationError, lambda: world.app.rate(world.buyer, case_id, 3, comment=comment))

    @pytest.mark.parametrize("status", [UMR, WFCR])
    def test_open_ticket_cannot_be_rated(self, world: World, status: str) -> None:
        case_id = world.ticket(status)
        assert_refused(world.app, InvalidTransition, lambda: world.app.rate(world.buyer, case_id, 5))

    def test_complaints_are_not_rated(self, world: World) -> None:
        case_id = world.complaint(CLOSED)
        assert_refused(world.app, InvalidTransition, lambda: world.app.rate(world.buyer, case_id, 5))


# -- values ----------------------------------------------------------------------------------------------


class TestAttachment:
    @pytest.mark.parametrize(
        "fields",
        [
            {"name": ""},
            {"name": "   "},
            {"name": "x" * 256},
            {"content_type": ""},
            {"ref": ""},
            {"size": 0},
            {"size": -5},
        ],
        ids=["empty-name", "blank-name", "long-name", "no-type", "no-ref", "empty", "negative"],
    )
    def test_invalid_metadata(self, fields: dict[str, Any]) -> None:
        values: dict[str, Any] = {"name": "photo.jpg", "content_type": "image/jpeg", "size": 100, "ref": "files/1"}
        values.update(fields)
        with pytest.raises(ValidationError):
            Attachment(**values)

    def test_round_trip(self) -> None:
        a = Attachment("x" * 255, "application/pdf", 10 * 1024 * 1024, "files/9")
        assert Attachment.from_dict(a.to_dict()) == a


def test_order_times_must_be_aware(order: Order) -> None:
    import attrs

    with pytest.raises(ValidationError):
        attrs.evolve(order, created_at=datetime(2026, 10, 30, 12, 0))
    shifted = attrs.evolve(order, created_at=datetime(2026, 10, 30, 15, 0, tzinfo=timezone(timedelta(hours=3))))
    assert shifted.created_at == datetime(2026, 10, 30, 12, 0, tzinfo=UTC) and shifted.created_at.tzinfo is UTC
