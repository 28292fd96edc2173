"""Resolution offers: kinds, lifecycle, policy, conservation, execution through host hooks, bad input.

The properties at the end drive random orders (JPY, USD, KWD, SAR, BHD), complaints and sequences of
offers, decisions, executions, gateway failures, timeouts and crashes, and check after every step that
no order is ever refunded or credited more than was paid (in total and per item), that the activity
log accounts for every unit of money the gateway moved, and that no idempotency key is paid twice.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from statemachine.exceptions import TransitionNotAllowed

from resolvekit import (
    Actor,
    Attachment,
    CaseClosed,
    Complaint,
    ConfigurationError,
    CurrencyMismatch,
    Customer,
    EventKind,
    ExecutionRequest,
    InvalidAmount,
    InvalidShare,
    InvalidTransition,
    Money,
    Offer,
    OfferExpired,
    OfferKind,
    OfferLifecycle,
    OfferLimitReached,
    OfferNotFound,
    OfferNotOpen,
    OfferPolicy,
    Order,
    OrderItem,
    OverRefund,
    PermissionDenied,
    Policy,
    ResolveKit,
    ResolveKitError,
    Role,
    ValidationError,
    hookimpl,
)
from resolvekit.domain import offer_commands
from resolvekit.domain.cases import Case, fold
from resolvekit.domain.offers import MONEY_STEPS, OrderLedger
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("worker")
AUDITOR = Actor.platform("auditor")


class Crash(BaseException):
    """The worker process dies (not an ``Exception``: nothing in resolvekit may swallow it)."""


class Gateway:
    """A host plugin standing in for the payment gateway, the carrier, the wallet and the coupon service.

    Like real payment engines it keys each payment by the idempotency key: a second call with a key
    already paid does not pay again. ``outcomes`` decides each call: ``"ok"``, ``"fail"`` (refused,
    nothing paid), ``"timeout"`` (paid, but the caller hears nothing) or ``"crash"`` (paid, then the
    worker dies).
    """

    def __init__(self, outcomes: Iterator[str] | None = None) -> None:
        self.outcomes = outcomes
        self.calls: list[tuple[str, str, Money | None, str]] = []  # (step, key, amount, outcome)
        self.paid: dict[str, Money] = {}  # money steps only: key -> amount, once
        self.done: dict[str, str] = {}  # every step: key -> reference

    def _run(self, request: ExecutionRequest) -> str:
        outcome = next(self.outcomes) if self.outcomes is not None else "ok"
        amount = request.amount if request.step in MONEY_STEPS else None
        self.calls.append((request.step, request.idempotency_key, amount, outcome))
        if outcome == "fail":
            raise ConnectionError("gateway refused the request")
        if request.idempotency_key not in self.done:
            self.done[request.idempotency_key] = f"ref-{len(self.done) + 1}"
            if amount is not None:
                self.paid[request.idempotency_key] = amount
        if outcome == "timeout":
            raise TimeoutError("no answer within 30 s")
        if outcome == "crash":
            raise Crash()
        return self.done[request.idempotency_key]

    @hookimpl
    def resolvekit_refund(self, request: ExecutionRequest) -> str:
        return self._run(request)

    @hookimpl
    def resolvekit_return_label(self, request: ExecutionRequest) -> str:
        return "https://labels.example/" + self._run(request)

    @hookimpl
    def resolvekit_wallet_credit(self, request: ExecutionRequest) -> str:
        return self._run(request)

    @hookimpl
    def resolvekit_issue_coupon(self, request: ExecutionRequest) -> str:
        return self._run(request)

    @hookimpl
    def resolvekit_fulfil_offer(self, request: ExecutionRequest) -> str:
        return self._run(request)


def make_order(order_id: str = "ord-1", currency: str = "SAR", items: tuple[tuple[str, int, str], ...] = (("sku-1", 1, "249.00"),), shipping: str = "0", customer_id: str = "cust-1") -> Order:
    lines = tuple(OrderItem(sku, f"Item {sku}", qty, Decimal(price)) for sku, qty, price in items)
    total = sum((line.unit_price * line.quantity for line in lines), Decimal(shipping))
    return Order(order_id, "store-1", customer_id, "delivered", T0 - timedelta(days=3), total, currency, lines, number=order_id.upper())


class Shop:
    """An application with a gateway, a manual clock and helpers to reach each complaint status."""

    def __init__(
        self,
        policy: Policy | None = None,
        gateway: Gateway | None = None,
        plugins: tuple[object, ...] = (),
        storage: str = "memory://",
        with_gateway: bool = True,
    ) -> None:
        self.clock = ManualClock(T0)
        self.gateway = gateway or Gateway()
        hosts = [self.gateway] if with_gateway else []
        self.app = ResolveKit(storage=storage, clock=self.clock, policy=policy, plugins=[RecordingNotifier(), *hosts, *plugins])
        self.customer = Customer("cust-1", "Noura")
        self.buyer = Actor.customer("cust-1")
        self.merchant = Actor.merchant("owner-1", store_id="store-1")
        self.platform = Actor.platform("agent-1")

    def complaint(self, order: Order | None = None) -> str:
        order = order or make_order()
        case_id = self.app.open_complaint(
            self.buyer, order=order, customer=self.customer, reason="damaged_goods", description="Broken.", declaration_accepted=True
        ).case.id
        if self.app.get_case(AUDITOR, case_id).status == "under_platform_review":
            self.app.pass_review(self.platform, case_id)
        return case_id

    def propose(self, case_id: str, kind: str = "partial_refund", **terms: Any) -> str:
        return str(self.app.propose_offer(self.merchant, case_id, kind, **terms).events[0].payload["offer_id"])

    def accept(self, case_id: str, offer_id: str) -> None:
        self.app.accept_offer(self.buyer, case_id, offer_id, confirmed=True)

    def offer(self, case_id: str, offer_id: str) -> Offer:
        case = self.app.get_case(AUDITOR, case_id)
        assert isinstance(case, Complaint)
        found = case.offer(offer_id)
        assert found is not None
        return found

    def snapshot(self) -> dict[str, tuple[Case, tuple[Any, ...], tuple[Any, ...]]]:
        page = self.app.list_cases(AUDITOR, limit=1000)
        return {c.id: (c, tuple(self.app.storage.events(c.id)), tuple(self.app.storage.outbox(c.id))) for c in page.items}

    def refused(self, error: type[ResolveKitError], command: Callable[[], object]) -> ResolveKitError:
        before = self.snapshot()
        with pytest.raises(error) as info:
            command()
        assert self.snapshot() == before, "a refused command changed something"
        return info.value


@pytest.fixture
def shop() -> Shop:
    return Shop()


def events_of(shop: Shop, case_id: str, kind: EventKind) -> list[Any]:
    return [e for e in shop.app.storage.events(case_id) if e.kind is kind]


# -- kinds and terms -----------------------------------------------------------------------------------


class TestPropose:
    def test_partial_refund_by_amount(self, shop: Shop) -> None:
        case_id = shop.complaint()
        result = shop.app.propose_offer(shop.merchant, case_id, "partial_refund", amount=Money("50", "SAR"), text="Keep it.")
        (event,) = result.events
        assert event.kind is EventKind.OFFER_PROPOSED and result.case.status == "waiting_for_customer_response"
        assert (event.payload["amount"], event.payload["currency"], event.payload["percent"]) == ("50.00", "SAR", None)
        json.dumps(event.to_dict())  # JSON-ready
        offer = shop.offer(case_id, event.payload["offer_id"])
        assert offer.amount == Money("50", "SAR") and offer.steps == ("refund",) and offer.keeps_item
        assert offer.status == "proposed" and offer.expires_at == T0 + timedelta(days=3)
        assert offer.proposed_by == shop.merchant and offer.text == "Keep it." and offer.lines == ()

    def test_amount_as_a_decimal_string_is_in_the_order_currency(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="12.5")
        assert shop.offer(case_id, offer_id).amount == Money("12.50", "SAR")

    def test_partial_refund_by_percent_of_chosen_items_rounds_down(self, shop: Shop) -> None:
        order = make_order(items=(("a", 2, "10.99"), ("b", 1, "5.01")), shipping="7")
        case_id = shop.complaint(order)
        offer_id = shop.propose(case_id, percent="33.3", items={"a": 1, "b": 1})
        offer = shop.offer(case_id, offer_id)
        # 33.3 % of (10.99 + 5.01) = 5.328 -> 5.32 (down), split 10.99 : 5.01 exactly
        assert offer.amount == Money("5.32", "SAR") and offer.percent == Decimal("33.3")
        assert [(line.sku, line.quantity) for line in offer.lines] == [("a", 1), ("b", 1)]
        assert sum(line.amount.amount for line in offer.lines) == Decimal("5.32")
        assert all(line.amount <= Money("10.99", "SAR") for line in offer.lines)

    def test_full_refund_is_what_remains_of_the_order(self, shop: Shop) -> None:
        case_id = shop.complaint()
        first = shop.propose(case_id, amount="49.00")
        shop.app.propose_offer(shop.merchant, case_id, "other", text="Or talk to us.")
        full = shop.propose(case_id, "full_refund")
        assert shop.offer(case_id, full).amount == Money("249.00", "SAR")  # proposals reserve nothing
        shop.accept(case_id, first)
        other = shop.complaint()
        assert shop.offer(other, shop.propose(other, "full_refund")).amount == Money("200.00", "SAR")

    def test_full_refund_of_some_units(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(accept_closes_complaint=False, max_per_complaint=None)))
        order = make_order(items=(("a", 3, "10.00"),))
        case_id = shop.complaint(order)
        partial = shop.propose(case_id, percent=10)  # 3.00 over the whole order
        shop.accept(case_id, partial)
        one = shop.propose(case_id, "full_refund", items={"a": 1})
        offer = shop.offer(case_id, one)
        assert offer.amount == Money("10.00", "SAR") and offer.lines[0].quantity == 1  # 1 of 3 units
        shop.accept(case_id, one)
        two = shop.offer(case_id, shop.propose(case_id, "return", items={"a": 2}))
        assert two.amount == Money("17.00", "SAR") and not two.keeps_item  # capped by what remains of the order
        assert two.lines[0].amount == Money("17.00", "SAR")
        shop.accept(case_id, two.id)
        shop.refused(OverRefund, lambda: shop.propose(case_id, "full_refund", items={"a": 1}))

    def test_every_builtin_kind(self, shop: Shop) -> None:
        shop.app.policy = Policy(offers=OfferPolicy(max_per_complaint=None))
        case_id = shop.complaint()
        made = {
            "partial_refund": shop.propose(case_id, "partial_refund", percent=10),
            "full_refund": shop.propose(case_id, "full_refund"),
            "return": shop.propose(case_id, "return"),
            "replacement": shop.propose(case_id, "replacement"),
            "coupon": shop.propose(case_id, "coupon", percent=15),
            "wallet_credit": shop.propose(case_id, "wallet_credit", amount="20"),
            "other": shop.propose(case_id, "other", text="A handwritten apology."),
        }
        offers = {kind: shop.offer(case_id, oid) for kind, oid in made.items()}
        assert set(made) == set(shop.app.offer_kinds)
        assert offers["return"].steps == ("return_label", "refund") and offers["return"].lines[0].quantity == 1
        assert offers["replacement"].amount is None and offers["replacement"].lines[0].sku == "sku-1"
        assert offers["coupon"].percent == Decimal(15) and offers["coupon"].amount is None and not offers["coupon"].moves_money
        assert offers["wallet_credit"].moves_money and offers["wallet_credit"].steps == ("wallet_credit",)
        assert offers["other"].steps == () and offers["other"].text == "A handwritten apology."

    def test_platform_may_propose(self, shop: Shop) -> None:
        case_id = shop.complaint()
        assert shop.app.propose_offer(shop.platform, case_id, "full_refund").case.status == "waiting_for_customer_response"


class TestBadInput:
    @pytest.mark.parametrize(
        ("terms", "error"),
        [
            ({"amount": "-5"}, InvalidAmount),
            ({"amount": "0"}, InvalidAmount),
            ({"amount": Money("0", "SAR")}, InvalidAmount),
            ({"amount": "NaN"}, InvalidAmount),
            ({"amount": "Infinity"}, InvalidAmount),
            ({"amount": 12.5}, InvalidAmount),
            ({"amount": "12.505"}, InvalidAmount),
            ({"amount": Money("10", "USD")}, CurrencyMismatch),
            ({"percent": 0}, InvalidShare),
            ({"percent": "-1"}, InvalidShare),
            ({"percent": "100.01"}, InvalidShare),
            ({"percent": "NaN"}, InvalidShare),
            ({"percent": "0.001"}, InvalidAmount),  # rounds down to nothing
            ({"amount": "300"}, OverRefund),
            ({}, ValidationError),
            ({"amount": "5", "percent": 5}, ValidationError),
            ({"amount": "5", "items": {"nope": 1}}, ValidationError),
            ({"amount": "5", "items": {"sku-1": 2}}, ValidationError),
            ({"amount": "5", "items": {"sku-1": 0}}, ValidationError),
            ({"amount": "5", "items": {}}, ValidationError),
            ({"amount": "5", "text": ""}, ValidationError),
        ],
    )
    def test_partial_refund_terms(self, shop: Shop, terms: dict[str, Any], error: type[ResolveKitError]) -> None:
        case_id = shop.complaint()
        shop.refused(error, lambda: shop.propose(case_id, **terms))

    @pytest.mark.parametrize(
        ("kind", "terms"),
        [
            ("full_refund", {"amount": "5"}),
            ("return", {"percent": 5}),
            ("replacement", {"amount": "5"}),
            ("other", {}),
            ("other", {"amount": "5", "text": "x"}),
            ("coupon", {"items": {"sku-1": 1}, "percent": 5}),
            ("coupon", {}),
            ("teleport", {}),
            (None, {}),
        ],
    )
    def test_terms_that_do_not_fit_the_kind(self, shop: Shop, kind: Any, terms: dict[str, Any]) -> None:
        case_id = shop.complaint()
        shop.refused(ValidationError, lambda: shop.propose(case_id, kind, **terms))

    def test_over_refund_states_the_remaining_amount(self, shop: Shop) -> None:
        case_id = shop.complaint()
        shop.accept(case_id, shop.propose(case_id, amount="200"))
        other = shop.complaint()
        error = shop.refused(OverRefund, lambda: shop.propose(other, amount="50.01"))
        assert str(error) == "SAR50.01 is more than remains refundable on order ORD-1: only SAR49.00 is left. Offer at most SAR49.00."
        assert error.params["remaining_amount"] == "49.00" and error.params["currency"] == "SAR"

    def test_customer_may_not_propose(self, shop: Shop) -> None:
        case_id = shop.complaint()
        shop.refused(PermissionDenied, lambda: shop.app.propose_offer(shop.buyer, case_id, "full_refund"))
        shop.refused(PermissionDenied, lambda: shop.app.propose_offer(SYSTEM, case_id, "full_refund"))

    def test_offer_on_a_closed_complaint(self, shop: Shop) -> None:
        case_id = shop.complaint()
        shop.app.close(shop.buyer, case_id, confirmed=True)
        shop.refused(CaseClosed, lambda: shop.propose(case_id, amount="5"))

    def test_offer_before_the_platform_review(self) -> None:
        shop = Shop()
        case_id = shop.app.open_complaint(
            shop.buyer, order=make_order(), customer=shop.customer, reason="damaged_goods", description="x", declaration_accepted=True
        ).case.id
        shop.refused(InvalidTransition, lambda: shop.propose(case_id, amount="5"))

    def test_offers_on_tickets_are_refused(self, shop: Shop) -> None:
        ticket = shop.app.open_ticket(shop.buyer, store_id="store-1", customer=shop.customer, ticket_type="order_delayed", description="Late.", order=make_order()).case.id
        shop.refused(InvalidTransition, lambda: shop.propose(ticket, amount="5"))
        shop.refused(InvalidTransition, lambda: shop.app.accept_offer(shop.buyer, ticket, "x", confirmed=True))
        shop.refused(InvalidTransition, lambda: shop.app.dispute_complaint(shop.merchant, ticket, "Not valid."))

    def test_another_store_cannot_find_the_complaint(self, shop: Shop) -> None:
        from resolvekit import CaseNotFound

        case_id = shop.complaint()
        stranger = Actor.merchant("x", store_id="store-2")
        shop.refused(CaseNotFound, lambda: shop.app.propose_offer(stranger, case_id, "full_refund"))
        offer_id = shop.propose(case_id, amount="5")
        shop.refused(CaseNotFound, lambda: shop.app.accept_offer(Actor.customer("cust-2"), case_id, offer_id, confirmed=True))
        shop.refused(CaseNotFound, lambda: shop.app.execute_offer(stranger, case_id, offer_id))


# -- the lifecycle --------------------------------------------------------------------------------------


class TestDecisions:
    def test_accept_closes_the_complaint_after_confirming(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.refused(ValidationError, lambda: shop.app.accept_offer(shop.buyer, case_id, offer_id))
        shop.refused(PermissionDenied, lambda: shop.app.accept_offer(shop.merchant, case_id, offer_id, confirmed=True))
        result = shop.app.accept_offer(shop.buyer, case_id, offer_id, confirmed=True)
        assert [e.kind for e in result.events] == [EventKind.OFFER_ACCEPTED, EventKind.CASE_CLOSED]
        assert result.case.status == "closed" and result.case.closed_by == shop.buyer
        assert shop.offer(case_id, offer_id).status == "accepted"
        shop.refused(CaseClosed, lambda: shop.app.accept_offer(shop.buyer, case_id, offer_id, confirmed=True))

    def test_accepting_twice_when_accepting_does_not_close(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(accept_closes_complaint=False)))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        result = shop.app.accept_offer(shop.buyer, case_id, offer_id)  # no confirmation: it does not close
        assert result.case.status == "waiting_for_merchant_response" and result.case.closed_at is None
        error = shop.refused(OfferNotOpen, lambda: shop.accept(case_id, offer_id))
        assert "accepted" in str(error)

    def test_customer_may_accept_after_replying(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.app.reply(shop.buyer, case_id, "Hmm, let me think.")
        shop.accept(case_id, offer_id)
        assert shop.app.get_case(AUDITOR, case_id).status == "closed"

    def test_reject_needs_a_reason_and_hands_back_to_the_merchant(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.refused(ValidationError, lambda: shop.app.reject_offer(shop.buyer, case_id, offer_id, "  "))
        shop.refused(PermissionDenied, lambda: shop.app.reject_offer(shop.merchant, case_id, offer_id, "no"))
        result = shop.app.reject_offer(shop.buyer, case_id, offer_id, "Too little.")
        assert result.case.status == "waiting_for_merchant_response"
        offer = shop.offer(case_id, offer_id)
        assert (offer.status, offer.reason, offer.decided_by) == ("rejected", "Too little.", shop.buyer)
        shop.refused(OfferNotOpen, lambda: shop.accept(case_id, offer_id))
        shop.refused(OfferNotOpen, lambda: shop.app.reject_offer(shop.buyer, case_id, offer_id, "again"))

    def test_withdraw_before_acceptance_only(self, shop: Shop) -> None:
        case_id = shop.complaint()
        first, second = shop.propose(case_id, amount="5"), shop.propose(case_id, amount="6")
        shop.refused(PermissionDenied, lambda: shop.app.withdraw_offer(shop.buyer, case_id, first))
        shop.app.withdraw_offer(shop.merchant, case_id, first, reason="Wrong amount.")
        assert shop.offer(case_id, first).status == "withdrawn"
        shop.refused(OfferNotOpen, lambda: shop.accept(case_id, first))
        shop.refused(OfferNotOpen, lambda: shop.app.withdraw_offer(shop.merchant, case_id, first))
        shop.accept(case_id, second)
        shop.refused(CaseClosed, lambda: shop.app.withdraw_offer(shop.merchant, case_id, second))

    def test_withdrawing_an_accepted_offer_is_refused(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(accept_closes_complaint=False)))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="5")
        shop.accept(case_id, offer_id)
        shop.refused(OfferNotOpen, lambda: shop.app.withdraw_offer(shop.merchant, case_id, offer_id))

    def test_expiry(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.clock.advance(days=3, seconds=-1)
        assert shop.app.expire_offers() == 0
        with pytest.raises(OfferNotOpen, match="cannot expire before"):
            offer_commands.expire_offer(shop.app.get_case(AUDITOR, case_id), SYSTEM, offer_id, now=shop.clock.now, policy=shop.app.policy)
        shop.clock.advance(seconds=1)
        error = shop.refused(OfferExpired, lambda: shop.accept(case_id, offer_id))
        assert offer_id in str(error)
        assert shop.app.expire_offers() == 1
        assert shop.app.expire_offers() == 0
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "expired" and offer.decided_by == Actor.system()
        shop.refused(OfferNotOpen, lambda: shop.accept(case_id, offer_id))

    def test_no_expiry_when_the_policy_says_never(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(expiry=None)))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.clock.advance(days=400)
        assert shop.app.expire_offers() == 0
        shop.accept(case_id, offer_id)

    def test_platform_imposes_a_resolution(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="80")
        shop.refused(PermissionDenied, lambda: shop.app.impose_offer(shop.merchant, case_id, offer_id))
        shop.refused(PermissionDenied, lambda: shop.app.impose_offer(shop.buyer, case_id, offer_id))
        result = shop.app.impose_offer(shop.platform, case_id, offer_id, reason="Marketplace guarantee.")
        assert result.case.status == "closed" and result.case.closed_by == shop.platform
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "accepted" and offer.imposed and offer.reason == "Marketplace guarantee."

    def test_allowed_offer_events(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="5")
        assert set(shop.app.allowed_offer_events(shop.buyer, case_id, offer_id)) == {"accept", "reject"}
        assert set(shop.app.allowed_offer_events(shop.merchant, case_id, offer_id)) == {"withdraw"}
        assert set(shop.app.allowed_offer_events(shop.platform, case_id, offer_id)) == {"impose", "withdraw"}
        with pytest.raises(OfferNotFound):
            shop.app.allowed_offer_events(shop.buyer, case_id, "nope")


class TestPolicy:
    def test_one_offer_per_complaint(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(max_per_complaint=1)))
        case_id = shop.complaint()
        first = shop.propose(case_id, amount="5")
        shop.app.withdraw_offer(shop.merchant, case_id, first)
        error = shop.refused(OfferLimitReached, lambda: shop.propose(case_id, amount="6"))
        assert "1" in str(error)

    def test_default_limit_is_three(self, shop: Shop) -> None:
        case_id = shop.complaint()
        for amount in ("1", "2", "3"):
            shop.propose(case_id, amount=amount)
        shop.refused(OfferLimitReached, lambda: shop.propose(case_id, amount="4"))

    def test_partial_refund_share_limits(self) -> None:
        shop = Shop(
            policy=Policy(
                offers=OfferPolicy(partial_refund_min_percent=Decimal(10), partial_refund_max_percent=Decimal(50), max_per_complaint=None)
            )
        )
        case_id = shop.complaint()
        shop.refused(InvalidShare, lambda: shop.propose(case_id, percent=9))
        shop.refused(InvalidShare, lambda: shop.propose(case_id, amount="124.51"))  # 50.004 %
        shop.refused(InvalidShare, lambda: shop.propose(case_id, amount="24.89"))  # 9.996 %
        shop.propose(case_id, amount="124.50")
        shop.propose(case_id, percent=10)
        shop.propose(case_id, "wallet_credit", amount="200")  # the limits are for partial refunds only

    def test_allowed_kinds(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(kinds=frozenset({"return", "other"}))))
        case_id = shop.complaint()
        error = shop.refused(ValidationError, lambda: shop.propose(case_id, amount="5"))
        assert "other, return" in str(error)
        shop.propose(case_id, "return")

    @pytest.mark.parametrize(
        "settings_",
        [
            {"expiry": timedelta(0)},
            {"expiry": timedelta(hours=-1)},
            {"max_per_complaint": 0},
            {"max_per_complaint": True},
            {"partial_refund_min_percent": Decimal(-1)},
            {"partial_refund_max_percent": Decimal(101)},
            {"partial_refund_min_percent": Decimal(60), "partial_refund_max_percent": Decimal(50)},
            {"partial_refund_max_percent": "NaN"},
        ],
    )
    def test_bad_settings_fail_at_construction(self, settings_: dict[str, Any]) -> None:
        with pytest.raises(ConfigurationError):
            OfferPolicy(**settings_)

    def test_policy_needs_an_offer_policy(self) -> None:
        with pytest.raises(TypeError):
            Policy(offers="none")  # type: ignore[arg-type]


class TestDispute:
    def test_merchant_answers_that_the_complaint_is_not_valid(self, shop: Shop) -> None:
        case_id = shop.complaint()
        proof = Attachment("tracking.pdf", "application/pdf", 2048, "files/proof-1")
        result = shop.app.dispute_complaint(shop.merchant, case_id, "Delivered intact; see the signed receipt.", attachments=[proof])
        (event,) = result.events
        assert event.kind is EventKind.COMPLAINT_DISPUTED and result.case.status == "waiting_for_customer_response"
        case = shop.app.get_case(shop.buyer, case_id)
        assert case.messages[-1].attachments == (proof,) and case.messages[-1].body.startswith("Delivered intact")
        assert isinstance(case, Complaint) and case.disputed_at == T0
        recipients = {(e.notification.recipient.role, e.notification.event_kind) for e in shop.app.storage.outbox(case_id)}
        assert {(Role.CUSTOMER, "complaint_disputed"), (Role.PLATFORM, "complaint_disputed")} <= recipients

    @pytest.mark.parametrize("who", ["buyer", "platform"])
    def test_only_the_merchant_disputes(self, shop: Shop, who: str) -> None:
        case_id = shop.complaint()
        shop.refused(PermissionDenied, lambda: shop.app.dispute_complaint(getattr(shop, who), case_id, "Not valid."))

    def test_dispute_needs_an_explanation(self, shop: Shop) -> None:
        case_id = shop.complaint()
        shop.refused(ValidationError, lambda: shop.app.dispute_complaint(shop.merchant, case_id, " "))


# -- conservation ---------------------------------------------------------------------------------------


class TestConservation:
    def test_across_complaints_of_one_order(self, shop: Shop) -> None:
        one, two = shop.complaint(), shop.complaint()
        a = shop.propose(one, amount="200")
        b = shop.propose(two, amount="100")  # fits while nothing is accepted
        shop.accept(one, a)
        error = shop.refused(OverRefund, lambda: shop.accept(two, b))
        assert error.params["remaining_amount"] == "49.00"
        shop.accept(two, shop.propose(two, amount="49"))
        three = shop.complaint()
        shop.refused(OverRefund, lambda: shop.propose(three, amount="0.01"))
        shop.refused(OverRefund, lambda: shop.propose(three, "full_refund"))
        shop.propose(three, "coupon", amount="20")  # coupons are not money paid back
        shop.propose(three, "replacement")

    @pytest.mark.parametrize("indexed", [True, False], ids=["order-index", "query"])
    def test_the_order_is_read_with_or_without_the_order_index(self, indexed: bool) -> None:
        from resolvekit.plugins.memory import MemoryStorage
        from resolvekit.storage import OrderIndex

        storage = MemoryStorage() if indexed else ScanOnly(MemoryStorage())
        assert isinstance(storage, OrderIndex) is indexed
        shop = Shop(storage=storage)  # type: ignore[arg-type]
        one, two, elsewhere = shop.complaint(), shop.complaint(), shop.complaint(make_order("ord-2"))
        shop.accept(one, shop.propose(one, amount="200"))
        error = shop.refused(OverRefund, lambda: shop.propose(two, amount="50"))
        assert error.params["remaining_amount"] == "49.00"
        shop.accept(two, shop.propose(two, amount="49"))
        shop.accept(elsewhere, shop.propose(elsewhere, "full_refund"))  # another order: its own 249

    def test_other_orders_do_not_count(self, shop: Shop) -> None:
        one = shop.complaint()
        shop.accept(one, shop.propose(one, "full_refund"))
        two = shop.complaint(make_order("ord-2"))
        shop.accept(two, shop.propose(two, "full_refund"))

    def test_an_order_id_of_another_store_does_not_count(self, shop: Shop) -> None:
        one = shop.complaint()
        shop.accept(one, shop.propose(one, "full_refund"))
        elsewhere = Order("ord-1", "store-2", "cust-1", "delivered", T0 - timedelta(days=1), Decimal("249.00"), "SAR")
        case_id = shop.app.open_complaint(
            shop.buyer, order=elsewhere, customer=shop.customer, reason="damaged_goods", description="Broken.", declaration_accepted=True
        ).case.id
        shop.app.pass_review(shop.platform, case_id)
        other_merchant = Actor.merchant("owner-9", store_id="store-2")
        offer_id = shop.app.propose_offer(other_merchant, case_id, "full_refund").events[0].payload["offer_id"]
        assert shop.offer(case_id, offer_id).amount == Money("249", "SAR")

    def test_per_item(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(accept_closes_complaint=False, max_per_complaint=None)))
        order = make_order(items=(("a", 1, "10.00"), ("b", 1, "90.00")))
        case_id = shop.complaint(order)
        shop.accept(case_id, shop.propose(case_id, amount="8", items={"a": 1}))
        error = shop.refused(OverRefund, lambda: shop.propose(case_id, amount="2.01", items={"a": 1}))
        assert "item a" in str(error) and error.params["remaining_amount"] == "2.00"
        shop.refused(OverRefund, lambda: shop.propose(case_id, amount="10.01", items={"a": 1}))  # more than the item cost
        shop.propose(case_id, amount="2", items={"a": 1})
        shop.propose(case_id, amount="92")  # the order as a whole still has 92

    def test_failed_offers_keep_their_reservation(self) -> None:
        shop = Shop(gateway=Gateway(itertools.repeat("fail")))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "full_refund")
        shop.accept(case_id, offer_id)
        assert shop.app.execute_offer(SYSTEM, case_id, offer_id).status == "failed"
        other = shop.complaint()
        shop.refused(OverRefund, lambda: shop.propose(other, amount="1"))

    def test_execution_rechecks_against_a_stale_acceptance(self, shop: Shop) -> None:
        one, two = shop.complaint(), shop.complaint()
        a, b = shop.propose(one, amount="200"), shop.propose(two, amount="200")
        shop.accept(one, a)
        real = shop.app._order_offers
        shop.app._order_offers = lambda case: ()  # type: ignore[method-assign]  # a read that missed the other complaint
        shop.accept(two, b)
        shop.app._order_offers = real  # type: ignore[method-assign]
        report = shop.app.execute_pending()
        assert (report.executed, report.failed) == (0, 2)  # both hold 200 of 249: neither is paid
        assert shop.gateway.calls == []
        assert "remains refundable" in (shop.offer(two, b).last_error or "")
        assert shop.offer(two, b).retry_at is None


# -- execution ------------------------------------------------------------------------------------------


class TestExecution:
    def test_refund_runs_once_and_is_logged(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.accept(case_id, offer_id)
        shop.refused(PermissionDenied, lambda: shop.app.execute_offer(shop.buyer, case_id, offer_id))
        report = shop.app.execute_pending()
        assert report == type(report)(executed=1)
        assert shop.gateway.calls == [("refund", f"{offer_id}:refund", Money("50", "SAR"), "ok")]
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "executed" and offer.executed_at is not None
        assert [(r.step, r.key, r.reference, r.amount) for r in offer.results] == [("refund", f"{offer_id}:refund", "ref-1", Money("50", "SAR"))]
        (done,) = events_of(shop, case_id, EventKind.OFFER_STEP_DONE)
        assert done.payload == {
            "offer_id": offer_id, "step": "refund", "idempotency_key": f"{offer_id}:refund", "reference": "ref-1", "amount": "50.00", "currency": "SAR",
        }
        assert shop.app.execute_pending() == type(report)()
        shop.refused(OfferNotOpen, lambda: shop.app.execute_offer(SYSTEM, case_id, offer_id))
        assert len(shop.gateway.calls) == 1
        assert shop.app.get_case(AUDITOR, case_id).status == "closed"  # execution never reopens

    def test_proposed_offers_are_not_executed(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.refused(OfferNotOpen, lambda: shop.app.execute_offer(SYSTEM, case_id, offer_id))
        assert shop.app.execute_pending().executed == 0

    def test_timeout_then_retry_pays_once(self) -> None:
        shop = Shop(gateway=Gateway(iter(["timeout", "ok"])))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.accept(case_id, offer_id)
        report = shop.app.execute_pending()
        assert report.failed == 1 and "TimeoutError" in report.errors[0][1]
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "failed" and offer.last_error == "TimeoutError: no answer within 30 s"
        assert offer.retry_at == T0 + timedelta(seconds=30)
        failed = events_of(shop, case_id, EventKind.OFFER_FAILED)[0]
        assert failed.payload["step"] == "refund" and "TimeoutError" in failed.payload["reason"]
        assert shop.app.execute_pending().failed == 0 and len(shop.gateway.calls) == 1  # not due yet
        shop.clock.advance(seconds=30)
        assert shop.app.execute_pending().executed == 1
        assert [key for _, key, _, _ in shop.gateway.calls] == [f"{offer_id}:refund"] * 2
        assert shop.gateway.paid == {f"{offer_id}:refund": Money("50", "SAR")}
        assert len(events_of(shop, case_id, EventKind.OFFER_STEP_DONE)) == 1
        assert shop.offer(case_id, offer_id).attempts == 2

    def test_a_crash_mid_call_is_resumed_with_the_same_key(self) -> None:
        shop = Shop(gateway=Gateway(iter(["crash", "ok"])))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.accept(case_id, offer_id)
        with pytest.raises(Crash):
            shop.app.execute_pending()
        assert shop.offer(case_id, offer_id).status == "executing"
        assert shop.app.execute_pending().executed == 1
        assert shop.gateway.calls[0][1] == shop.gateway.calls[1][1] == f"{offer_id}:refund"
        assert len(shop.gateway.paid) == 1

    def test_backoff_doubles(self) -> None:
        shop = Shop(gateway=Gateway(itertools.repeat("fail")))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.accept(case_id, offer_id)
        delays = []
        for _ in range(4):
            shop.app.execute_offer(SYSTEM, case_id, offer_id)
            offer = shop.offer(case_id, offer_id)
            assert offer.retry_at is not None
            delays.append(offer.retry_at - shop.clock.now)
            shop.clock.set(offer.retry_at)
        assert delays == [timedelta(seconds=30 * 2**i) for i in range(4)]

    def test_no_plugin_for_a_step_is_a_visible_failure(self) -> None:
        class OnlyRefunds:
            @hookimpl
            def resolvekit_refund(self, request: ExecutionRequest) -> str:
                return "ok"

        shop = Shop(plugins=(OnlyRefunds(),), with_gateway=False)
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "replacement")
        shop.accept(case_id, offer_id)
        offer = shop.app.execute_offer(SYSTEM, case_id, offer_id)
        assert offer.status == "failed" and "no plugin carries out the 'replacement' step" in (offer.last_error or "")

    def test_return_waits_for_the_item(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "return")
        shop.accept(case_id, offer_id)
        report = shop.app.execute_pending()
        assert report.waiting == 1 and [c[0] for c in shop.gateway.calls] == ["return_label"]
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "awaiting_return" and offer.results[0].reference == "https://labels.example/ref-1"
        waiting = [e for e in shop.app.storage.outbox(case_id) if e.notification.event_kind == "offer_awaiting_return"]
        assert waiting[0].notification.params["label"] == "https://labels.example/ref-1"
        assert shop.app.execute_pending() == type(report)()  # nothing due while the item travels
        shop.refused(PermissionDenied, lambda: shop.app.confirm_return(shop.buyer, case_id, offer_id))
        shop.app.confirm_return(shop.merchant, case_id, offer_id, note="Received, lid cracked as described.")
        assert shop.app.execute_pending().executed == 1
        assert [c[0] for c in shop.gateway.calls] == ["return_label", "refund"]
        assert shop.gateway.paid == {f"{offer_id}:refund": Money("249", "SAR")}
        shop.refused(OfferNotOpen, lambda: shop.app.confirm_return(shop.merchant, case_id, offer_id))

    def test_return_without_waiting(self) -> None:
        shop = Shop(policy=Policy(offers=OfferPolicy(return_before_refund=False)))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "return")
        shop.accept(case_id, offer_id)
        assert shop.app.execute_pending().executed == 1
        assert [c[0] for c in shop.gateway.calls] == ["return_label", "refund"]

    @pytest.mark.parametrize(("kind", "terms", "step"), [("wallet_credit", {"amount": "20"}, "wallet_credit"), ("coupon", {"percent": 10}, "coupon"), ("replacement", {}, "replacement")])
    def test_other_kinds_use_their_hooks(self, shop: Shop, kind: str, terms: dict[str, Any], step: str) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, kind, **terms)
        shop.accept(case_id, offer_id)
        assert shop.app.execute_pending().executed == 1
        assert [(c[0], c[1]) for c in shop.gateway.calls] == [(step, f"{offer_id}:{step}")]
        assert set(shop.gateway.paid) == ({f"{offer_id}:{step}"} if step in MONEY_STEPS else set())

    def test_free_text_offers_execute_without_hooks(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "other", text="We will call you.")
        shop.accept(case_id, offer_id)
        assert shop.app.execute_pending().executed == 1 and shop.gateway.calls == []

    def test_merchant_may_retry_its_own_failed_offer(self) -> None:
        shop = Shop(gateway=Gateway(iter(["fail", "ok"])))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="5")
        shop.accept(case_id, offer_id)
        assert shop.app.execute_offer(shop.merchant, case_id, offer_id).status == "failed"
        assert shop.app.execute_offer(shop.merchant, case_id, offer_id).status == "executed"


class TestHostKinds:
    def test_a_plugin_adds_kinds(self) -> None:
        class Kinds:
            @hookimpl
            def resolvekit_offer_kinds(self) -> list[OfferKind]:
                return [
                    OfferKind("gift_card", "Gift card", "share", ("wallet_credit",)),
                    OfferKind("flowers", "Flowers", "text", ("send_flowers",)),
                ]

        shop = Shop(plugins=(Kinds(),))
        case_id = shop.complaint()
        gift = shop.propose(case_id, "gift_card", amount="30")
        flowers = shop.propose(case_id, "flowers", text="Sorry!")
        assert shop.offer(case_id, gift).moves_money
        shop.app.policy = Policy(offers=OfferPolicy(accept_closes_complaint=False))
        shop.accept(case_id, gift)
        shop.accept(case_id, flowers)
        assert shop.app.execute_pending().executed == 2
        assert sorted(c[0] for c in shop.gateway.calls) == ["send_flowers", "wallet_credit"]

    @pytest.mark.parametrize(
        "kinds",
        [
            ["not a kind"],
            [OfferKind("partial_refund", "again", "share", ("refund",))],
            [OfferKind("bad name", "x", "text")],
            [OfferKind("cash", "Cash", "items", ("refund",))],
        ],
    )
    def test_bad_kinds_fail_at_start_up(self, kinds: list[object]) -> None:
        class Kinds:
            @hookimpl
            def resolvekit_offer_kinds(self) -> list[object]:
                return kinds

        with pytest.raises(ConfigurationError):
            ResolveKit(plugins=[Kinds()])


# -- cancelling an accepted or failed offer ------------------------------------------------------------


def failing_shop(storage: str = "memory://", **offers: Any) -> Shop:
    """A shop whose gateway refuses every call until told otherwise (``shop.gateway.outcomes``)."""
    policy = Policy(offers=OfferPolicy(accept_closes_complaint=False, **offers))
    return Shop(policy=policy, gateway=Gateway(itertools.repeat("fail")), storage=storage)


def failed_offer(shop: Shop, case_id: str, **terms: Any) -> str:
    offer_id = shop.propose(case_id, **terms)
    shop.accept(case_id, offer_id)
    shop.app.execute_offer(SYSTEM, case_id, offer_id)
    assert shop.offer(case_id, offer_id).status == "failed"
    return offer_id


class TestCancel:
    def test_cancelling_a_failed_offer_releases_its_money(self) -> None:
        from resolvekit.domain.labels import ACTIVITY, describe_event

        shop = failing_shop()
        case_id = shop.complaint()
        offer_id = failed_offer(shop, case_id, amount="200")
        shop.refused(OverRefund, lambda: shop.propose(case_id, amount="100"))  # 200 of 249 still held
        result = shop.app.cancel_offer(shop.platform, case_id, offer_id, "  The card was closed; paid by bank transfer. ")
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "cancelled" and offer.reserved is None and offer.retry_at is None
        assert (offer.cancelled_by, offer.cancelled_at, offer.cancel_reason) == (shop.platform, T0, "The card was closed; paid by bank transfer.")
        assert (offer.decided_by, offer.reason) == (shop.buyer, None)  # the acceptance is kept
        assert result.case.status == "waiting_for_merchant_response"  # the complaint's status does not change
        (event,) = result.events
        assert event.kind is EventKind.OFFER_CANCELLED and event.actor == shop.platform
        assert dict(event.payload) == {
            "offer_id": offer_id, "offer_status": "cancelled", "reason": "The card was closed; paid by bank transfer.", "completed_steps": [],
        }
        text, params = describe_event(event)
        assert text == ACTIVITY[EventKind.OFFER_CANCELLED] and params["reason"] == event.payload["reason"]
        told = {(e.notification.recipient.role, e.notification.recipient.id) for e in shop.app.storage.outbox(case_id) if e.notification.event_kind == "offer_cancelled"}
        assert told == {(Role.CUSTOMER, "cust-1"), (Role.MERCHANT, "store-1")}
        # the whole amount is free again: a full refund of the order is accepted and carried out
        shop.gateway.outcomes = itertools.repeat("ok")
        full = shop.propose(case_id, "full_refund")
        assert shop.offer(case_id, full).amount == Money("249", "SAR")
        shop.accept(case_id, full)
        calls = len(shop.gateway.calls)
        shop.clock.advance(days=30)
        assert shop.app.execute_pending().executed == 1
        assert [key for _, key, _, _ in shop.gateway.calls[calls:]] == [f"{full}:refund"]  # never the cancelled one
        assert shop.app.execute_pending() == type(shop.app.execute_pending())()
        assert shop.gateway.paid == {f"{full}:refund": Money("249", "SAR")}

    def test_an_accepted_offer_not_executing_yet_can_be_cancelled_on_a_closed_complaint(self, shop: Shop) -> None:
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, amount="50")
        shop.accept(case_id, offer_id)  # closes the complaint (the default policy)
        assert "cancel" in shop.app.allowed_offer_events(shop.platform, case_id, offer_id)
        assert "cancel" not in shop.app.allowed_offer_events(shop.merchant, case_id, offer_id)
        result = shop.app.cancel_offer(shop.platform, case_id, offer_id, "Duplicate of a refund made at the till.")
        assert result.case.status == "closed" and shop.offer(case_id, offer_id).status == "cancelled"
        assert shop.app.execute_pending().executed == 0 and shop.gateway.calls == []
        shop.refused(OfferNotOpen, lambda: shop.app.execute_offer(SYSTEM, case_id, offer_id))

    @pytest.mark.parametrize("storage", ["memory", "sqlite"])
    def test_the_offer_index_no_longer_lists_a_cancelled_offer(self, storage: str, tmp_path: Any) -> None:
        from resolvekit.domain.offer_work import next_offer_step
        from resolvekit.storage import OfferIndex

        shop = failing_shop("memory://" if storage == "memory" else f"sqlite:///{tmp_path}/offers.db")
        index = shop.app.storage
        assert isinstance(index, OfferIndex)
        case_id = shop.complaint()
        offer_id = failed_offer(shop, case_id, amount="20")
        later = T0 + timedelta(days=400)
        assert [row.case_id for row in index.offers_due(later)] == [case_id]
        shop.app.cancel_offer(shop.platform, case_id, offer_id, "Given up.")
        assert list(index.offers_due(later)) == []
        assert next_offer_step(shop.app.get_case(AUDITOR, case_id)) is None
        shop.clock.set(later)
        calls = len(shop.gateway.calls)
        assert shop.app.execute_pending() == type(shop.app.execute_pending())()
        assert len(shop.gateway.calls) == calls

    def test_only_the_platform_cancels(self) -> None:
        shop = failing_shop()
        case_id = shop.complaint()
        offer_id = failed_offer(shop, case_id, amount="20")
        for actor in (shop.merchant, shop.buyer, SYSTEM):
            shop.refused(PermissionDenied, lambda actor=actor: shop.app.cancel_offer(actor, case_id, offer_id, "Giving up."))  # type: ignore[misc]
        assert shop.offer(case_id, offer_id).status == "failed"

    def test_other_statuses_and_bad_input_are_refused(self) -> None:
        shop = failing_shop(max_per_complaint=None)
        case_id = shop.complaint()
        cancel = shop.app.cancel_offer
        proposed = shop.propose(case_id, amount="5")
        error = shop.refused(OfferNotOpen, lambda: cancel(shop.platform, case_id, proposed, "No."))
        assert "proposed" in str(error)
        shop.refused(OfferNotFound, lambda: cancel(shop.platform, case_id, "nope", "No."))
        failed = failed_offer(shop, case_id, amount="6")
        shop.refused(ValidationError, lambda: cancel(shop.platform, case_id, failed, "   "))
        shop.refused(ValidationError, lambda: cancel(shop.platform, case_id, failed, None))  # type: ignore[arg-type]
        cancel(shop.platform, case_id, failed, "Given up.")
        shop.refused(OfferNotOpen, lambda: cancel(shop.platform, case_id, failed, "Again."))
        # executed
        shop.gateway.outcomes = itertools.repeat("ok")
        done = shop.propose(case_id, amount="7")
        shop.accept(case_id, done)
        assert shop.app.execute_pending().executed == 1
        shop.refused(OfferNotOpen, lambda: cancel(shop.platform, case_id, done, "Too late."))
        # executing (a worker died in the middle of the call) and awaiting the return
        shop.gateway.outcomes = iter(["crash"])
        running = shop.propose(case_id, amount="8")
        shop.accept(case_id, running)
        with pytest.raises(Crash):
            shop.app.execute_pending()
        assert shop.offer(case_id, running).status == "executing"
        shop.refused(OfferNotOpen, lambda: cancel(shop.platform, case_id, running, "Stuck."))
        shop.gateway.outcomes = itertools.repeat("ok")
        shop.app.execute_pending()
        other = shop.complaint(make_order("ord-2"))
        returned = shop.propose(other, "return")
        shop.accept(other, returned)
        shop.app.execute_pending()
        assert shop.offer(other, returned).status == "awaiting_return"
        shop.refused(OfferNotOpen, lambda: cancel(shop.platform, other, returned, "Never sent."))
        # offers that were rejected, withdrawn or expired
        rejected, withdrawn = shop.propose(other, "coupon", amount="1"), shop.propose(other, "coupon", amount="2")
        shop.app.reject_offer(shop.buyer, other, rejected, "No.")
        shop.app.withdraw_offer(shop.merchant, other, withdrawn)
        for offer_id in (rejected, withdrawn):
            shop.refused(OfferNotOpen, lambda offer_id=offer_id: cancel(shop.platform, other, offer_id, "No."))  # type: ignore[misc]

    def test_an_offer_that_already_paid_is_not_cancelled(self) -> None:
        class Kinds:
            @hookimpl
            def resolvekit_offer_kinds(self) -> list[OfferKind]:
                return [OfferKind("refund_and_gift", "Refund and a gift", "share", ("refund", "gift"))]

        policy = Policy(offers=OfferPolicy(accept_closes_complaint=False))
        shop = Shop(policy=policy, gateway=Gateway(iter(["ok", "fail"])), plugins=(Kinds(),))
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "refund_and_gift", amount="40")
        shop.accept(case_id, offer_id)
        shop.app.execute_offer(SYSTEM, case_id, offer_id)
        offer = shop.offer(case_id, offer_id)
        assert offer.status == "failed" and [r.step for r in offer.results] == ["refund"]
        error = shop.refused(OfferNotOpen, lambda: shop.app.cancel_offer(shop.platform, case_id, offer_id, "Give up."))
        assert "already paid" in str(error) and error.params["steps"] == "refund"
        assert shop.offer(case_id, offer_id).reserved == Money("40", "SAR")

    def test_a_completed_step_that_moved_no_money_is_recorded(self) -> None:
        shop = failing_shop(return_before_refund=False)
        shop.gateway.outcomes = iter(["ok", "fail"])  # the label is made, the refund refused
        case_id = shop.complaint()
        offer_id = shop.propose(case_id, "return")
        shop.accept(case_id, offer_id)
        shop.app.execute_offer(SYSTEM, case_id, offer_id)
        assert shop.offer(case_id, offer_id).status == "failed"
        result = shop.app.cancel_offer(shop.platform, case_id, offer_id, "The buyer kept the item after all.")
        assert result.events[0].payload["completed_steps"] == ["return_label"]

    def test_a_replayed_key_cancels_once(self) -> None:
        shop = failing_shop()
        case_id = shop.complaint()
        offer_id = failed_offer(shop, case_id, amount="20")
        first = shop.app.cancel_offer(shop.platform, case_id, offer_id, "Given up.", idempotency_key="cancel-1")
        before = shop.snapshot()
        shop.clock.advance(minutes=5)
        again = shop.app.cancel_offer(shop.platform, case_id, offer_id, "Given up.", idempotency_key="cancel-1")
        assert again.replayed and not first.replayed and again.events == first.events
        assert shop.snapshot() == before
        assert len(events_of(shop, case_id, EventKind.OFFER_CANCELLED)) == 1

    def test_the_pure_command_decides_alone(self) -> None:
        shop = failing_shop()
        case_id = shop.complaint()
        offer_id = failed_offer(shop, case_id, amount="20")
        case = shop.app.get_case(AUDITOR, case_id)
        events = offer_commands.cancel_offer(case, shop.platform, offer_id, "Given up.", now=T0, policy=shop.app.policy)
        folded = fold([*shop.app.storage.events(case_id), *events])
        assert isinstance(folded, Complaint) and folded.offer(offer_id).status == "cancelled"  # type: ignore[union-attr]
        assert OrderLedger.of(make_order(), folded.offers).reserved == Money.zero("SAR")


# -- the lifecycle declaration and the table derived from it -------------------------------------------


POLICIES = [Policy(), Policy(offers=OfferPolicy(accept_closes_complaint=False))]


@pytest.mark.parametrize("policy", POLICIES, ids=["closes", "stays-open"])
def test_offer_table_equals_the_state_machine(policy: Policy) -> None:
    table = lifecycle_for("offer")
    assert table.initial == "proposed" and table.final == {"executed", "rejected", "withdrawn", "expired", "cancelled"}
    assert set(table.statuses) == {s.id for s in OfferLifecycle.states}
    for status, event, role in itertools.product(table.statuses, table.events, Role):
        machine = OfferLifecycle(start_value=status)
        try:
            machine.send(event, role=role, policy=policy)
            expected: str | None = machine.current_state_value
        except TransitionNotAllowed:
            expected = None
        try:
            got: str | None = table.fire(status, event, role, policy)
        except (InvalidTransition, PermissionDenied):
            got = None
        assert got == expected, (status, event, role)


@pytest.mark.parametrize("policy", POLICIES, ids=["closes", "stays-open"])
def test_complaint_table_equals_the_state_machine_for_offer_events(policy: Policy) -> None:
    from resolvekit import ComplaintLifecycle

    table = lifecycle_for("complaint")
    for status, event, role in itertools.product(table.statuses, ("propose_resolution", "accept_resolution", "impose_resolution"), Role):
        machine = ComplaintLifecycle(start_value=status)
        try:
            machine.send(event, role=role, policy=policy)
            expected: str | None = machine.current_state_value
        except TransitionNotAllowed:
            expected = None
        try:
            got: str | None = table.fire(status, event, role, policy)
        except (InvalidTransition, PermissionDenied):
            got = None
        assert got == expected, (status, event, role)


# -- storage round trips --------------------------------------------------------------------------------


def busy_complaint(shop: Shop) -> str:
    shop.app.policy = Policy(offers=OfferPolicy(accept_closes_complaint=False, max_per_complaint=None))
    order = make_order(items=(("a", 2, "10.00"), ("b", 1, "5.55")), shipping="3")
    case_id = shop.complaint(order)
    shop.app.withdraw_offer(shop.merchant, case_id, shop.propose(case_id, amount="1"))
    shop.app.reject_offer(shop.buyer, case_id, shop.propose(case_id, percent="12.5", items={"a": 1}), "No.")
    shop.accept(case_id, shop.propose(case_id, "return", items={"b": 1}))
    shop.accept(case_id, shop.propose(case_id, "coupon", percent=5))
    shop.propose(case_id, "other", text="Still open.")
    shop.app.execute_pending()
    return case_id


def test_snapshot_codec_round_trip(shop: Shop) -> None:
    codec = pytest.importorskip("resolvekit.codec")
    structure, unstructure = codec.structure, codec.unstructure
    case_id = busy_complaint(shop)
    case = shop.app.get_case(AUDITOR, case_id)
    assert isinstance(case, Complaint) and {o.status for o in case.offers} == {"withdrawn", "rejected", "awaiting_return", "executed", "proposed"}
    data = json.loads(json.dumps(unstructure(case, Case)))
    assert structure(data, Case) == case
    assert fold(shop.app.storage.events(case_id)) == case
    for event in shop.app.storage.events(case_id):
        json.dumps(event.to_dict())


def test_on_sqlite(tmp_path: Any) -> None:
    try:
        shop = Shop(storage=f"sqlite:///{tmp_path}/offers.db")
    except ConfigurationError:  # pragma: no cover - the SQLite plugin is not installed
        pytest.skip("no sqlite storage plugin")
    case_id = busy_complaint(shop)
    case = shop.app.get_case(AUDITOR, case_id)
    assert fold(shop.app.storage.events(case_id)) == case
    assert [o.status for o in case.offers] == ["withdrawn", "rejected", "awaiting_return", "executed", "proposed"]  # type: ignore[attr-defined]


# -- properties ----------------------------------------------------------------------------------------

CURRENCY_UNITS = {"JPY": 0, "USD": 2, "KWD": 3, "SAR": 2, "BHD": 3}


@st.composite
def orders(draw: st.DrawFn, order_id: str) -> Order:
    currency = draw(st.sampled_from(sorted(CURRENCY_UNITS)))
    digits = CURRENCY_UNITS[currency]
    n = draw(st.integers(1, 3))
    items = tuple(
        (f"sku-{i}", draw(st.integers(1, 3)), str(Decimal(draw(st.integers(1, 50_000))).scaleb(-digits))) for i in range(n)
    )
    shipping = str(Decimal(draw(st.integers(0, 2_000))).scaleb(-digits))
    return make_order(order_id, currency, items, shipping)


class OfferMachine(RuleBasedStateMachine):
    """Random orders, complaints, offers, decisions and executions against a flaky gateway."""

    def __init__(self) -> None:
        super().__init__()
        self.shop: Shop
        self.orders: list[Order] = []
        self.cases: list[tuple[str, Order]] = []
        self.outcomes: list[str] = []

    def next_outcome(self) -> Iterator[str]:
        while True:
            yield self.outcomes.pop(0) if self.outcomes else "ok"

    @initialize(data=st.data(), closes=st.booleans(), waits=st.booleans())
    def setup(self, data: st.DataObject, closes: bool, waits: bool) -> None:
        policy = Policy(
            complaint_platform_review=False,
            offers=OfferPolicy(max_per_complaint=None, accept_closes_complaint=closes, return_before_refund=waits),
        )
        self.shop = Shop(policy=policy, gateway=Gateway(self.next_outcome()))
        self.orders = [data.draw(orders(f"ord-{i}")) for i in range(2)]
        self.cases = [(self.shop.complaint(order), order) for order in self.orders]

    @precondition(lambda self: len(self.cases) < 5)
    @rule(which=st.integers(0, 1))
    def open_complaint(self, which: int) -> None:
        order = self.orders[which]
        self.cases.append((self.shop.complaint(order), order))

    def attempt(self, command: Callable[[], object]) -> None:
        before = self.shop.snapshot()
        try:
            command()
        except ResolveKitError:
            assert self.shop.snapshot() == before

    @precondition(lambda self: self.cases)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["partial_refund", "partial_refund", "full_refund", "return", "wallet_credit", "coupon", "replacement", "other"]),
        by_percent=st.booleans(),
        some_items=st.booleans(),
    )
    def propose(self, data: st.DataObject, kind: str, by_percent: bool, some_items: bool) -> None:
        case_id, order = data.draw(st.sampled_from(self.cases))
        terms: dict[str, Any] = {}
        if some_items:
            item = data.draw(st.sampled_from(order.items))
            terms["items"] = {item.sku: data.draw(st.integers(1, item.quantity))}
        if kind in ("partial_refund", "wallet_credit", "coupon"):
            if by_percent:
                terms["percent"] = data.draw(st.decimals(Decimal("0.5"), Decimal(100), places=2))
            else:
                units = data.draw(st.integers(1, max(1, Money(order.total_paid, order.currency).minor_units)))
                terms["amount"] = Money.from_minor(units, order.currency)
            if kind == "coupon":
                terms.pop("items", None)
        elif kind == "other":
            terms = {"text": "Something else."}
        elif kind == "replacement":
            terms.pop("percent", None)
        self.attempt(lambda: self.shop.app.propose_offer(self.shop.merchant, case_id, kind, **terms))

    def offers(self, *statuses: str) -> list[tuple[str, Offer]]:
        found = []
        for case_id, _ in self.cases:
            case = self.shop.app.get_case(AUDITOR, case_id)
            assert isinstance(case, Complaint)
            found.extend((case_id, o) for o in case.offers if not statuses or o.status in statuses)
        return found

    @precondition(lambda self: self.offers("proposed"))
    @rule(data=st.data(), decision=st.sampled_from(["accept", "accept", "accept", "reject", "withdraw", "impose"]))
    def decide(self, data: st.DataObject, decision: str) -> None:
        case_id, offer = data.draw(st.sampled_from(self.offers("proposed")))
        app, shop = self.shop.app, self.shop
        run = {
            "accept": lambda: app.accept_offer(shop.buyer, case_id, offer.id, confirmed=True),
            "reject": lambda: app.reject_offer(shop.buyer, case_id, offer.id, "No, thanks."),
            "withdraw": lambda: app.withdraw_offer(shop.merchant, case_id, offer.id),
            "impose": lambda: app.impose_offer(shop.platform, case_id, offer.id),
        }[decision]
        self.attempt(run)

    @precondition(lambda self: self.offers("accepted", "failed"))
    @rule(data=st.data(), platform=st.booleans())
    def cancel(self, data: st.DataObject, platform: bool) -> None:
        case_id, offer = data.draw(st.sampled_from(self.offers("accepted", "failed")))
        paid = {s for s in MONEY_STEPS if offer.idempotency_key(s) in self.shop.gateway.paid}
        logged = {r.step for r in offer.results if r.step in MONEY_STEPS}
        if paid - logged:
            return  # the host asks its gateway first (docs/offers.md): a call whose answer was lost paid
        actor = self.shop.platform if platform else self.shop.merchant
        self.attempt(lambda: self.shop.app.cancel_offer(actor, case_id, offer.id, "Given up."))
        status = next(o.status for _, o in self.offers() if o.id == offer.id)
        assert (status == "cancelled") == (platform and not logged), (status, platform, logged)

    @rule(outcomes=st.lists(st.sampled_from(["ok", "fail", "timeout", "crash"]), max_size=6))
    def execute(self, outcomes: list[str]) -> None:
        self.outcomes = list(outcomes)
        try:
            self.shop.app.execute_pending()
        except Crash:
            return
        finally:
            self.outcomes = []
        for _, offer in self.offers():
            # every offer that was due ended the run executed, visibly failed, or waiting for its return
            assert offer.status not in ("accepted", "executing"), offer
            if offer.status == "failed":
                assert offer.last_error

    @precondition(lambda self: self.offers("awaiting_return"))
    @rule(data=st.data())
    def return_arrives(self, data: st.DataObject) -> None:
        case_id, offer = data.draw(st.sampled_from(self.offers("awaiting_return")))
        self.shop.app.confirm_return(self.shop.merchant, case_id, offer.id)

    @rule(hours=st.integers(1, 40))
    def time_passes(self, hours: int) -> None:
        self.shop.clock.advance(hours=hours)
        self.shop.app.expire_offers()

    @invariant()
    def conservation(self) -> None:
        for order in self.orders:
            offers = [o for case_id, o in self.offers() if dict(self.cases)[case_id] is order]
            ledger = OrderLedger.of(order, offers)
            assert ledger.reserved <= ledger.paid
            for item in order.items:
                assert ledger.item_remaining(item.sku) >= Money.zero(order.currency)
                assert ledger.units_left(item.sku) >= 0
            executed = OrderLedger.of(order, [o for o in offers if o.status == "executed"])
            assert executed.reserved <= ledger.reserved

    @invariant()
    def log_accounts_for_the_money(self) -> None:
        gateway = self.shop.gateway
        logged: dict[str, Money] = {}
        for case_id, _ in self.cases:
            for event in self.shop.app.storage.events(case_id):
                if event.kind is EventKind.OFFER_STEP_DONE and event.payload["amount"] is not None:
                    key = event.payload["idempotency_key"]
                    assert key not in logged, "a step recorded twice"
                    logged[key] = Money(Decimal(event.payload["amount"]), event.payload["currency"])
        # every payment the log records was made, for that amount; the gateway may be ahead only
        # by payments whose answer was lost (timeout, crash): their offers are failed or executing
        for key, amount in logged.items():
            assert gateway.paid.get(key) == amount
        for step, key, amount, outcome in gateway.calls:
            if step in MONEY_STEPS and key in gateway.paid:
                assert amount == gateway.paid[key], "a retry asked for another amount"
        answered = [key for step, key, _, outcome in gateway.calls if outcome == "ok" and step in MONEY_STEPS]
        assert len(answered) == len(set(answered)), "a step that succeeded was called again"
        for key in set(gateway.paid) - set(logged):
            offer_id = key.rsplit(":", 1)[0]
            status = next(o.status for _, o in self.offers() if o.id == offer_id)
            assert status in ("failed", "executing"), (key, status)

    def teardown(self) -> None:
        if not hasattr(self, "shop"):
            return
        # Drain: with a healthy gateway every accepted offer ends executed; then the log accounts for
        # exactly the money the gateway paid, and no order got more than was paid for it.
        for _ in range(4):
            for case_id, offer in self.offers("awaiting_return"):
                self.shop.app.confirm_return(self.shop.merchant, case_id, offer.id)
            self.shop.clock.advance(days=2)
            self.shop.app.execute_pending(limit=1000)
        for _, offer in self.offers():
            assert offer.status not in ("accepted", "executing", "awaiting_return")
            if offer.status == "failed":  # only a conservation refusal stays failed: it is never retried
                assert offer.retry_at is None and "remains refundable" in (offer.last_error or "")
        logged: dict[str, tuple[Order, Money]] = {}
        for case_id, order in self.cases:
            for event in self.shop.app.storage.events(case_id):
                if event.kind is EventKind.OFFER_STEP_DONE and event.payload["amount"] is not None:
                    logged[event.payload["idempotency_key"]] = (order, Money(Decimal(event.payload["amount"]), event.payload["currency"]))
        assert {key: money for key, (_, money) in logged.items()} == self.shop.gateway.paid
        for order in self.orders:
            total = Money.zero(order.currency)
            for owner, money in logged.values():
                if owner is order:
                    total = total + money
            assert total <= Money(order.total_paid, order.currency)


TestOfferProperties = OfferMachine.TestCase
TestOfferProperties.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- the offer index: the sweeps read only what is due, with the same results ---------------------------


class ScanOnly:
    """A storage without the offer index: the offer sweeps fall back to reading every complaint."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner


for _name in ("load", "events", "commit", "applied", "query", "pending_notifications", "mark_delivered", "mark_failed", "outbox", "close", "due"):
    setattr(ScanOnly, _name, lambda self, *args, _name=_name, **kwargs: getattr(self.inner, _name)(*args, **kwargs))


class Picky(Gateway):
    """Refuses every refund of 13 and the first attempt of a refund of 7; whatever order it is asked in."""

    def _run(self, request: ExecutionRequest) -> str:
        amount = request.amount
        fails = amount is not None and (amount.amount == 13 or (amount.amount == 7 and request.offer.attempts <= 1))
        self.outcomes = iter(["fail" if fails else "ok"])
        return super()._run(request)


def _sweep_scenario(storage: object) -> list[object]:
    """A history with every kind of offer work, swept step by step; what each sweep did, then every offer's status."""
    import re

    shop = Shop(
        policy=Policy(offers=OfferPolicy(accept_closes_complaint=False, max_per_complaint=None)),
        gateway=Picky(),
        storage=storage,  # type: ignore[arg-type]
    )
    app = shop.app
    cases = [shop.complaint(make_order(f"ord-{n}")) for n in range(8)]
    for case_id, amount in zip(cases[:3], ("5", "7", "13"), strict=True):
        shop.accept(case_id, shop.propose(case_id, amount=amount))
    returned = shop.propose(cases[3], "return")
    shop.accept(cases[3], returned)
    shop.propose(cases[4], "other", text="A call?")
    shop.propose(cases[5], "coupon", percent=5)
    shop.accept(cases[5], shop.propose(cases[5], amount="5"))
    shop.propose(cases[6], "other", text="Still open.")
    app.close(shop.buyer, cases[6], confirmed=True)  # a proposed offer on a closed complaint never expires here
    app.withdraw_offer(shop.merchant, cases[7], shop.propose(cases[7], amount="9"))

    def report(result: Any) -> tuple[object, ...]:
        reasons = sorted(re.sub(r"C-[0-9A-F]+", "C-*", reason) for _, reason in result.errors)
        return (result.executed, result.failed, result.waiting, tuple(reasons))

    trace: list[object] = [report(app.execute_pending()), app.expire_offers()]
    shop.clock.advance(seconds=30)
    trace += [report(app.execute_pending()), app.expire_offers()]
    app.confirm_return(shop.merchant, cases[3], returned)
    trace += [report(app.execute_pending())]
    shop.clock.advance(days=3)
    trace += [app.expire_offers(limit=1), app.expire_offers(), app.expire_offers(), report(app.execute_pending(limit=1))]
    trace += [report(app.execute_pending()), app.expire_offers()]
    trace.append([[o.status for o in shop.app.get_case(AUDITOR, case_id).offers] for case_id in cases])  # type: ignore[attr-defined]
    return trace


def test_the_sweeps_give_the_same_results_with_and_without_the_index(tmp_path: Any) -> None:
    from resolvekit.plugins.memory import MemoryStorage
    from resolvekit.plugins.sqlite import SQLiteStorage
    from resolvekit.storage import OfferIndex

    assert isinstance(MemoryStorage(), OfferIndex) and not isinstance(ScanOnly(MemoryStorage()), OfferIndex)
    scanned = _sweep_scenario(ScanOnly(MemoryStorage()))
    assert _sweep_scenario(MemoryStorage()) == scanned
    on_disk = SQLiteStorage(tmp_path / "offers.db")
    try:
        assert _sweep_scenario(on_disk) == scanned
    finally:
        on_disk.close()
    assert scanned[-1] == [
        ["executed"], ["executed"], ["failed"], ["executed"], ["expired"], ["expired", "executed"], ["proposed"], ["withdrawn"]
    ]
    assert scanned[0] == (2, 2, 1, ("ConnectionError: gateway refused the request",) * 2)


def test_execute_pending_reads_only_the_complaints_with_work_due() -> None:
    from resolvekit.plugins.memory import MemoryStorage

    class Counting(MemoryStorage):
        def __init__(self) -> None:
            super().__init__()
            self.loaded: list[str] = []
            self.listings = 0

        def load(self, case_id: str) -> Case | None:
            self.loaded.append(case_id)
            return super().load(case_id)

        def query(self, query: Any) -> Any:
            self.listings += query.case_id is None and query.order_id is None
            return super().query(query)

    storage = Counting()
    shop = Shop(storage=storage)  # type: ignore[arg-type]
    waiting = [shop.complaint(make_order(f"ord-{n}")) for n in range(20)]
    for case_id in waiting:
        shop.propose(case_id, amount="5")  # proposed: nothing to execute, nothing to expire for 3 days
    due = shop.complaint(make_order("ord-due"))
    shop.accept(due, shop.propose(due, amount="5"))
    storage.loaded.clear()
    storage.listings = 0
    assert shop.app.execute_pending().executed == 1
    assert shop.app.expire_offers() == 0
    assert set(storage.loaded) == {due} and storage.listings == 0


def test_a_listed_complaint_with_nothing_due_gets_its_index_entry_set_right() -> None:
    from resolvekit.plugins.memory import MemoryStorage
    from resolvekit.offer_service import ExecutionReport

    storage = MemoryStorage()
    shop = Shop(storage=storage)  # type: ignore[arg-type]
    case_id = shop.complaint()
    shop.propose(case_id, amount="5")
    version = shop.app.get_case(AUDITOR, case_id).version
    # as a schema upgrade lists a complaint with offers: at the smallest time, to be looked at once
    assert storage.reschedule_offers(case_id, version, datetime(1, 1, 2, tzinfo=UTC))
    assert [r.case_id for r in storage.offers_due(T0)] == [case_id]
    assert shop.app.execute_pending() == ExecutionReport()
    assert list(storage.offers_due(T0)) == []
    assert [(r.case_id, r.next_deadline) for r in storage.offers_due(T0 + timedelta(days=9))] == [(case_id, T0 + timedelta(days=3))]
    # the expiry sweep sets it right too, and never over a newer commit
    assert storage.reschedule_offers(case_id, version, datetime(1, 1, 2, tzinfo=UTC))
    assert shop.app.expire_offers() == 0
    assert [r.next_deadline for r in storage.offers_due(T0 + timedelta(days=9))] == [T0 + timedelta(days=3)]
    assert not storage.reschedule_offers(case_id, version - 1, None)
    shop.clock.advance(days=3)
    assert shop.app.expire_offers() == 1 and list(storage.offers_due(T0 + timedelta(days=9))) == []
