"""The fast paths of the command path give exactly what the plain code gives.

``fold`` gathers the changes of consecutive events and rebuilds the case once; ``Money`` keeps what
it derived per currency; ``screen_text`` counts ASCII digits without the regex engine. Each is
compared here with the plain way (applying events one by one, the validating constructors, the
regex count). Stored orders still decode, and bad ones are refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvekit import Actor, Customer, InvalidAmount, Money, Order, OrderItem, Policy, ResolveKit
from resolvekit.domain.cases import Case, Complaint, apply, fold
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.free_text import _DIGIT, _enough_digits, card_number_spans
from resolvekit.domain.offers import BUILTIN_KINDS, Offer, OfferLine, _proposal_data
from resolvekit.errors import ValidationError

BUYER = Actor.customer("cust-1")
MERCHANT = Actor.merchant("m-1", store_id="store-7")
PLATFORM = Actor.platform("p-1")


def _order(**changes: Any) -> Order:
    values: dict[str, Any] = {
        "id": "ord-1",
        "store_id": "store-7",
        "customer_id": "cust-1",
        "status": "delivered",
        "created_at": datetime(2026, 10, 30, 12, tzinfo=UTC),
        "total_paid": Decimal("249.00"),
        "currency": "SAR",
        "items": (OrderItem("kettle-1", "Glass kettle", 1, Decimal("249.00")),),
        "number": "1001",
    }
    values.update(changes)
    return Order(**values)


def _lifecycle() -> tuple[ResolveKit, str]:
    now = [datetime(2026, 11, 2, 9, tzinfo=UTC)]

    def tick() -> datetime:
        now[0] += timedelta(minutes=1)
        return now[0]

    rk = ResolveKit(storage="memory://", clock=tick, policy=Policy())
    case_id = rk.open_complaint(
        BUYER,
        order=_order(),
        customer=Customer("cust-1", "Noura"),
        reason="damaged_goods",
        description="The lid is cracked.",
        declaration_accepted=True,
    ).case.id
    rk.pass_review(PLATFORM, case_id)
    proposed = rk.propose_offer(MERCHANT, case_id, "partial_refund", amount="50.00", text="A refund.").case
    assert isinstance(proposed, Complaint)
    offer = proposed.offers[-1]
    rk.reply(BUYER, case_id, "Could you send a new lid?")
    rk.reply(MERCHANT, case_id, "No lid; the refund stands.")
    rk.accept_offer(BUYER, case_id, offer.id, confirmed=True)
    return rk, case_id


def _one_by_one(events: list[CaseEvent], case: Case | None = None) -> Case | None:
    for event in events:
        case = apply(case, event)
    return case


def _outcome(fn: Any) -> str:
    try:
        return repr(fn())
    except Exception as exc:  # the same exception, with the same message, either way
        return f"{type(exc).__name__}: {exc}"


class TestFold:
    def test_gathered_changes_equal_applying_one_by_one(self) -> None:
        rk, case_id = _lifecycle()
        events = rk.storage.events(case_id)
        assert fold(events) == _one_by_one(events) == rk.storage.load(case_id)
        for split in range(1, len(events)):
            assert fold(events[split:], fold(events[:split])) == fold(events)

    @pytest.mark.parametrize("mutation", ["swap", "skip", "repeat_opening", "reopen_later", "no_opening"])
    def test_bad_logs_fail_the_same_way(self, mutation: str) -> None:
        rk, case_id = _lifecycle()
        events = list(rk.storage.events(case_id))
        if mutation == "swap":
            events[3], events[4] = events[4], events[3]
        elif mutation == "skip":
            del events[2]
        elif mutation == "repeat_opening":
            events.insert(1, events[0])
        elif mutation == "reopen_later":
            events.append(attrs.evolve(events[0], version=len(events) + 1))
        else:
            events = events[1:]
        assert _outcome(lambda: fold(events)) == _outcome(lambda: _one_by_one(events))
        assert _outcome(lambda: fold(events)).startswith("ValidationError")

    def test_breached_clocks_seen_by_later_events_of_the_same_fold(self) -> None:
        rk, case_id = _lifecycle()
        case = rk.storage.load(case_id)
        assert case is not None
        at = case.updated_at
        events = [
            CaseEvent(case_id, case.version + 1 + i, EventKind.CLOCK_BREACHED, Actor.system(), at, {"clock": clock})
            for i, clock in enumerate(["first_response", "first_response", "resolution"])
        ]
        assert fold(events, case) == _one_by_one(events, case)
        folded = fold(events, case)
        assert folded is not None
        assert folded.breached_clocks == ("first_response", "resolution")


class TestDecodingOrders:
    def test_round_trip(self) -> None:
        order = _order(completed_at=datetime(2026, 10, 31, tzinfo=UTC), tracking_url="https://t.example/1")
        assert Order.from_dict(order.to_dict()) == order

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            (("id",), ""),
            (("store_id",), "  "),
            (("customer_id",), None),
            (("status",), 5),
            (("total_paid",), "-1"),
            (("total_paid",), "NaN"),
            (("currency",), "SA"),
            (("created_at",), "2026-10-30T12:00:00"),  # naive
            (("items", 0, "sku"), ""),
            (("items", 0, "name"), None),
            (("items", 0, "quantity"), 0),
            (("items", 0, "unit_price"), "-3"),
            (("completed_at",), "2026-10-31T00:00:00"),
        ],
    )
    def test_bad_stored_data_is_refused(self, path: tuple[Any, ...], value: object) -> None:
        data = _order().to_dict()
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

        with pytest.raises((ValidationError, ValueError, TypeError)):
            Order.from_dict(data)


class TestMoney:
    @pytest.mark.parametrize("currency", ["sar", "Sar", "SAR"])
    def test_any_spelling_of_a_code(self, currency: str) -> None:
        assert Money("1.5", currency) == Money("1.50", "SAR")
        assert Money("1.5", currency).currency == "SAR"

    @pytest.mark.parametrize("currency", ["XYZ", "SA", "", None, 5, "S1R"])
    def test_unknown_codes_keep_failing(self, currency: Any) -> None:
        for _ in range(2):  # nothing about a refused code is kept
            with pytest.raises(InvalidAmount):
                Money("1", currency)

    @pytest.mark.parametrize(("amount", "expected"), [(Decimal("0.000"), "0.00"), (Decimal("-0"), "0.00"), (Decimal("1E+1"), "10.00")])
    def test_decimals_land_on_the_minor_unit(self, amount: Decimal, expected: str) -> None:
        money = Money(amount, "USD")
        assert str(money.amount) == expected
        assert money.amount.as_tuple().exponent == -2


class TestOfferPayload:
    def test_proposal_data_is_what_the_offer_writes(self) -> None:
        now = datetime(2026, 11, 3, tzinfo=UTC)
        line = OfferLine("kettle-1", 1, Money("10.00", "SAR"))
        for amount, lines in [(Money("10.00", "SAR"), (line,)), (None, (line,)), (None, ())]:
            kind = BUILTIN_KINDS["partial_refund"]
            offer = Offer(
                "C-1/o3", kind.name, "proposed", MERCHANT, now, kind.steps, kind.moves_money, kind.keeps_item,
                kind.terms.value, now + timedelta(days=3), amount, None, lines, "text",
            )  # fmt: skip
            data = _proposal_data(
                offer.id, offer.kind, offer.steps, offer.moves_money, offer.keeps_item, offer.terms,
                offer.expires_at, offer.amount, offer.percent, offer.lines, offer.text,
            )  # fmt: skip
            assert data == offer.to_dict()
            assert list(data) == list(offer.to_dict())
            assert Offer.proposed(data, MERCHANT, now) == offer


class TestEventKind:
    def test_strings_still_become_kinds(self) -> None:
        event = CaseEvent("C-1", 1, "review_passed", PLATFORM, datetime(2026, 11, 3, tzinfo=UTC))
        assert event.kind is EventKind.REVIEW_PASSED
        with pytest.raises(ValueError):
            CaseEvent("C-1", 1, "nope", PLATFORM, datetime(2026, 11, 3, tzinfo=UTC))


class TestCardDigits:
    @given(st.text(alphabet="0123456789 -./ab\u0660\u0661\u09e6", max_size=60))
    def test_digit_count_matches_the_regex(self, text: str) -> None:
        assert _enough_digits(text) == (len(_DIGIT.findall(text)) >= 13)

    def test_card_numbers_are_still_found(self) -> None:
        assert card_number_spans("card 4111 1111 1111 1111 please") == [(5, 24)]
        assert card_number_spans("carte 4111 1111 1111 1111, merci \u00e9") == [(6, 25)]  # not ASCII: the regex counts
