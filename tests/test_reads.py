"""Reads: what each actor sees of a case, tenancy on every read, list filters and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from resolvekit import Actor, Case, CaseNotFound, Customer, EventKind, Order, ResolveKit, ValidationError
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PLATFORM = Actor.platform("agent-1")
SYSTEM = Actor.system()
STORE_1 = Actor.merchant("owner-1", store_id="store-1")
STORE_2 = Actor.merchant("owner-2", store_id="store-2")
NOURA = Customer("cust-1", "Noura")
SARA = Customer("cust-2", "Sara")


def order_for(customer: Customer, store_id: str, order_id: str) -> Order:
    return Order(order_id, store_id, customer.id, "delivered", T0 - timedelta(days=5), Decimal("10.00"), "SAR", number=order_id.upper())


class Shop:
    """A platform with two stores and two customers, and helpers to open cases at chosen times."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.app = ResolveKit(storage="memory://", clock=self.clock)

    def complaint(self, customer: Customer = NOURA, store_id: str = "store-1", order_id: str = "ord-1") -> str:
        return self.app.open_complaint(
            Actor.customer(customer.id),
            order=order_for(customer, store_id, order_id),
            customer=customer,
            reason="damaged_goods",
            description="Broken on arrival.",
            declaration_accepted=True,
        ).case.id

    def ticket(self, customer: Customer = NOURA, store_id: str = "store-1", order_id: str | None = "ord-1") -> str:
        """An "order delayed" ticket, or without an order a "payment deducted without an order" one."""
        form: dict[str, Any] = (
            {"ticket_type": "payment_without_order", "fields": {"payment_method": "card", "card_last_four": "4242"}}
            if order_id is None
            else {"ticket_type": "order_delayed", "description": "Where is my order?", "order": order_for(customer, store_id, order_id)}
        )
        return self.app.open_ticket(Actor.customer(customer.id), store_id=store_id, customer=customer, **form).case.id


@pytest.fixture
def shop() -> Shop:
    return Shop()


def ids(page_items: tuple[Case, ...]) -> list[str]:
    return [c.id for c in page_items]


def all_pages(app: ResolveKit, actor: Actor, limit: int, **filters: Any) -> list[Case]:
    items: list[Case] = []
    cursor = None
    for _ in range(1000):
        page = app.list_cases(actor, limit=limit, after=cursor, **filters)
        assert len(page.items) <= limit
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items
        assert len(page.items) == limit  # only the last page may be short
    raise AssertionError("paging did not end")


# -- what each actor sees ------------------------------------------------------------------------------


class TestInternalNotes:
    @pytest.fixture
    def case_id(self, shop: Shop) -> str:
        case_id = shop.complaint()
        shop.app.add_note(PLATFORM, case_id, "Platform: photos look edited.")
        shop.app.pass_review(PLATFORM, case_id)
        shop.app.add_note(STORE_1, case_id, "Merchant: this customer complains often.")
        shop.app.reply(STORE_1, case_id, "Sorry, we will look into it.")
        shop.app.reply(Actor.customer("cust-1"), case_id, "Thank you.")
        return case_id

    def test_customer_view_has_no_internal_notes(self, shop: Shop, case_id: str) -> None:
        case = shop.app.get_case(Actor.customer("cust-1"), case_id)
        assert [m.body for m in case.messages] == ["Sorry, we will look into it.", "Thank you."]
        assert not any(m.internal for m in case.messages)

    @pytest.mark.parametrize("actor", [STORE_1, PLATFORM, SYSTEM], ids=["merchant", "platform", "system"])
    def test_staff_view_has_everything(self, shop: Shop, case_id: str, actor: Actor) -> None:
        case = shop.app.get_case(actor, case_id)
        assert [m.internal for m in case.messages] == [True, True, False, False]
        assert case == shop.app.storage.load(case_id)

    def test_customer_command_results_have_no_internal_notes(self, shop: Shop, case_id: str) -> None:
        result = shop.app.reply(Actor.customer("cust-1"), case_id, "Any news?")
        assert len(result.case.messages) == 3 and not any(m.internal for m in result.case.messages)
        result = shop.app.close(Actor.customer("cust-1"), case_id, confirmed=True)
        assert not any(m.internal for m in result.case.messages)

    def test_staff_command_results_have_internal_notes(self, shop: Shop, case_id: str) -> None:
        result = shop.app.add_note(STORE_1, case_id, "Another note.")
        assert sum(m.internal for m in result.case.messages) == 3

    def test_customer_list_items_have_no_internal_notes(self, shop: Shop, case_id: str) -> None:
        (item,) = shop.app.list_cases(Actor.customer("cust-1")).items
        assert item.id == case_id and len(item.messages) == 2 and not any(m.internal for m in item.messages)
        (item,) = shop.app.list_cases(STORE_1).items
        assert sum(m.internal for m in item.messages) == 2

    def test_customer_activity_has_no_internal_notes(self, shop: Shop, case_id: str) -> None:
        full = shop.app.activity(STORE_1, case_id)
        assert [e.version for e in full] == [1, 2, 3, 4, 5, 6]
        assert shop.app.activity(PLATFORM, case_id) == full == shop.app.storage.events(case_id)
        seen = shop.app.activity(Actor.customer("cust-1"), case_id)
        assert [e.version for e in seen] == [1, 3, 5, 6]
        assert not any(e.kind is EventKind.MESSAGE_ADDED and e.payload.get("internal") for e in seen)
        assert all("photos look edited" not in str(e.payload) and "complains often" not in str(e.payload) for e in seen)


# the lifecycle events of the foundation; later capabilities (offers, escalation, deadlines...) add their own
FOUNDATION_EVENTS = {
    "pass_review", "customer_reply", "merchant_reply", "platform_reply", "add_note",
    "propose_resolution", "accept_resolution", "close",
}


def test_allowed_events_per_actor(shop: Shop) -> None:
    def allowed(actor: Actor) -> set[str]:
        return set(shop.app.allowed_events(actor, case_id)) & FOUNDATION_EVENTS

    case_id = shop.complaint()
    assert allowed(Actor.customer("cust-1")) == {"customer_reply", "close"}
    assert allowed(STORE_1) == {"add_note"}
    assert allowed(PLATFORM) == {"pass_review", "platform_reply", "add_note"}
    assert allowed(SYSTEM) == {"pass_review"}
    shop.app.pass_review(PLATFORM, case_id)
    shop.app.reply(STORE_1, case_id, "We can offer a refund.")
    assert allowed(Actor.customer("cust-1")) == {"customer_reply", "accept_resolution", "close"}
    assert allowed(STORE_1) == {"merchant_reply", "add_note", "propose_resolution"}
    assert allowed(PLATFORM) == {"platform_reply", "add_note", "propose_resolution"}
    assert allowed(SYSTEM) == set()
    shop.app.close(Actor.customer("cust-1"), case_id, confirmed=True)
    for actor in (Actor.customer("cust-1"), STORE_1, PLATFORM, SYSTEM):
        assert shop.app.allowed_events(actor, case_id) == ()


# -- tenancy ---------------------------------------------------------------------------------------------


STRANGERS = [
    pytest.param(STORE_2, id="merchant-of-another-store"),
    pytest.param(Actor.merchant("owner-1", store_id="store-2"), id="same-user-acting-for-another-store"),
    pytest.param(Actor.customer("cust-2"), id="another-customer"),
]


@pytest.mark.parametrize("stranger", STRANGERS)
@pytest.mark.parametrize("kind", ["complaint", "ticket"])
def test_strangers_cannot_read_a_case(shop: Shop, stranger: Actor, kind: str) -> None:
    case_id = shop.complaint() if kind == "complaint" else shop.ticket()
    shop.app.add_note(STORE_1, case_id, "secret")
    for read in (shop.app.get_case, shop.app.activity, shop.app.allowed_events):
        with pytest.raises(CaseNotFound) as info:
            read(stranger, case_id)
        assert case_id in str(info.value)
        assert "secret" not in str(info.value)
    # a stranger's error is the same as for an id that does not exist
    with pytest.raises(CaseNotFound) as missing:
        shop.app.get_case(stranger, "C-MISSING")
    assert type(missing.value) is type(info.value)
    assert shop.app.list_cases(stranger).items == ()
    assert shop.app.list_cases(stranger, store_id="store-1").items == ()
    assert shop.app.list_cases(stranger, customer_id="cust-1").items == ()


@pytest.mark.parametrize("case_id", ["C-MISSING", "", None, 7])
@pytest.mark.parametrize("actor", [Actor.customer("cust-1"), STORE_1, PLATFORM, SYSTEM], ids=["customer", "merchant", "platform", "system"])
def test_unknown_case_reads(shop: Shop, actor: Actor, case_id: Any) -> None:
    shop.complaint()
    for read in (shop.app.get_case, shop.app.activity, shop.app.allowed_events):
        with pytest.raises(CaseNotFound):
            read(actor, case_id)


def test_list_is_scoped_to_the_actor(shop: Shop) -> None:
    noura_1 = shop.complaint(NOURA, "store-1", "ord-1")
    noura_2 = shop.ticket(NOURA, "store-2", "ord-9")
    sara_1 = shop.ticket(SARA, "store-1", "ord-5")
    sara_2 = shop.complaint(SARA, "store-2", "ord-6")
    everyone = {noura_1, noura_2, sara_1, sara_2}
    assert set(ids(shop.app.list_cases(PLATFORM).items)) == everyone
    assert set(ids(shop.app.list_cases(SYSTEM).items)) == everyone
    assert set(ids(shop.app.list_cases(STORE_1).items)) == {noura_1, sara_1}
    assert set(ids(shop.app.list_cases(STORE_1, store_id="store-1").items)) == {noura_1, sara_1}
    assert set(ids(shop.app.list_cases(STORE_1, customer_id="cust-2").items)) == {sara_1}
    assert shop.app.list_cases(STORE_1, store_id="store-2").items == ()
    assert set(ids(shop.app.list_cases(STORE_2).items)) == {noura_2, sara_2}
    assert set(ids(shop.app.list_cases(Actor.customer("cust-1")).items)) == {noura_1, noura_2}
    assert set(ids(shop.app.list_cases(Actor.customer("cust-1"), store_id="store-2").items)) == {noura_2}
    assert set(ids(shop.app.list_cases(Actor.customer("cust-1"), customer_id="cust-1").items)) == {noura_1, noura_2}
    assert shop.app.list_cases(Actor.customer("cust-1"), customer_id="cust-2").items == ()
    assert shop.app.list_cases(Actor.customer("cust-3")).items == ()
    assert set(ids(shop.app.list_cases(PLATFORM, store_id="store-1").items)) == {noura_1, sara_1}
    assert set(ids(shop.app.list_cases(PLATFORM, store_id="store-2").items)) == {noura_2, sara_2}
    assert shop.app.list_cases(PLATFORM, store_id="store-3").items == ()


def test_merchant_pages_never_leak_another_store(shop: Shop) -> None:
    for i in range(12):
        shop.complaint(NOURA, f"store-{1 + i % 2}", f"ord-{i}")
        shop.clock.advance(minutes=1)
    seen = all_pages(shop.app, STORE_1, limit=2)
    assert len(seen) == 6 and {c.store_id for c in seen} == {"store-1"}


# -- filters ---------------------------------------------------------------------------------------------


class TestFilters:
    @pytest.fixture
    def cases(self, shop: Shop) -> dict[str, str]:
        made = {}
        made["c_open"] = shop.complaint(NOURA, "store-1", "ord-1")
        shop.clock.advance(hours=1)
        made["c_waiting"] = shop.complaint(SARA, "store-1", "ord-2")
        shop.app.pass_review(PLATFORM, made["c_waiting"])
        shop.clock.advance(hours=1)
        made["t_open"] = shop.ticket(NOURA, "store-1", "ord-1")
        shop.clock.advance(hours=1)
        made["t_closed"] = shop.ticket(SARA, "store-1", None)
        shop.app.close(Actor.customer("cust-2"), made["t_closed"], confirmed=True)
        return made

    def test_kind(self, shop: Shop, cases: dict[str, str]) -> None:
        assert set(ids(shop.app.list_cases(STORE_1, kind="complaint").items)) == {cases["c_open"], cases["c_waiting"]}
        assert set(ids(shop.app.list_cases(STORE_1, kind="ticket").items)) == {cases["t_open"], cases["t_closed"]}
        assert shop.app.list_cases(STORE_1, kind="offer").items == ()

    def test_statuses(self, shop: Shop, cases: dict[str, str]) -> None:
        def by(*statuses: str) -> set[str]:
            return set(ids(shop.app.list_cases(STORE_1, statuses=statuses).items))

        assert by("under_platform_review") == {cases["c_open"]}
        assert by("waiting_for_merchant_response", "closed") == {cases["c_waiting"], cases["t_closed"]}
        assert by("under_merchant_review") == {cases["t_open"]}
        assert by() == set()
        assert set(ids(shop.app.list_cases(STORE_1, statuses=iter(["closed"])).items)) == {cases["t_closed"]}

    def test_customer_and_order(self, shop: Shop, cases: dict[str, str]) -> None:
        assert set(ids(shop.app.list_cases(STORE_1, customer_id="cust-1").items)) == {cases["c_open"], cases["t_open"]}
        assert set(ids(shop.app.list_cases(STORE_1, order_id="ord-1").items)) == {cases["c_open"], cases["t_open"]}
        assert set(ids(shop.app.list_cases(STORE_1, order_id="ord-2").items)) == {cases["c_waiting"]}
        assert set(ids(shop.app.list_cases(PLATFORM, customer_id="cust-2", kind="ticket").items)) == {cases["t_closed"]}
        assert shop.app.list_cases(STORE_1, order_id="ord-404").items == ()

    def test_dates_are_half_open(self, shop: Shop, cases: dict[str, str]) -> None:
        def between(start: datetime | None, end: datetime | None) -> set[str]:
            return set(ids(shop.app.list_cases(PLATFORM, opened_from=start, opened_before=end).items))

        h = timedelta(hours=1)
        assert between(T0, T0 + h) == {cases["c_open"]}  # from is inclusive, before is exclusive
        assert between(T0 + h, T0 + 3 * h) == {cases["c_waiting"], cases["t_open"]}
        assert between(T0 + 3 * h, None) == {cases["t_closed"]}
        assert between(None, T0) == set()
        assert between(T0 + timedelta(microseconds=1), T0 + h + timedelta(microseconds=1)) == {cases["c_waiting"]}
        assert between(T0 + 2 * h, T0 + 2 * h) == set()
        # consecutive half-open windows cover every case exactly once
        windows = [between(T0 + i * h, T0 + (i + 1) * h) for i in range(4)]
        assert sorted(x for w in windows for x in w) == sorted(cases.values())

    def test_dates_in_other_zones(self, shop: Shop, cases: dict[str, str]) -> None:
        riyadh = timezone(timedelta(hours=3))
        start = (T0 + timedelta(hours=1)).astimezone(riyadh)
        assert set(ids(shop.app.list_cases(PLATFORM, opened_from=start, opened_before=start + timedelta(hours=1)).items)) == {
            cases["c_waiting"]
        }

    @pytest.mark.parametrize("field", ["opened_from", "opened_before"])
    @pytest.mark.parametrize("value", [datetime(2026, 11, 2, 9, 0), "2026-11-02T09:00:00+00:00", 0])
    def test_bounds_must_be_aware_datetimes(self, shop: Shop, cases: dict[str, str], field: str, value: Any) -> None:
        with pytest.raises(ValidationError) as info:
            shop.app.list_cases(PLATFORM, **{field: value})
        assert field in str(info.value)

    def test_filters_combine(self, shop: Shop, cases: dict[str, str]) -> None:
        page = shop.app.list_cases(
            STORE_1, kind="ticket", customer_id="cust-1", statuses=["under_merchant_review"], order_id="ord-1", opened_from=T0
        )
        assert ids(page.items) == [cases["t_open"]]


# -- paging ----------------------------------------------------------------------------------------------


class TestPaging:
    @pytest.fixture
    def opened(self, shop: Shop) -> list[str]:
        made = []
        for i in range(23):
            for _ in range(1 + i % 3):  # some cases share an opening time: the id breaks the tie
                made.append(shop.complaint(NOURA if i % 2 else SARA, "store-1", f"ord-{i}") if i % 4 else shop.ticket(SARA, "store-1", None))
            shop.clock.advance(minutes=7)
        return made

    @pytest.mark.parametrize("limit", [1, 2, 5, 7, 44, 45, 1000])
    def test_pages_cover_every_case_once_newest_first(self, shop: Shop, opened: list[str], limit: int) -> None:
        items = all_pages(shop.app, PLATFORM, limit)
        assert len(ids(items)) == len(set(ids(items))) == len(opened) == 45
        assert set(ids(items)) == set(opened)
        keys = [(c.opened_at, c.id) for c in items]
        assert keys == sorted(keys, reverse=True)

    def test_exact_multiple_has_no_empty_last_page(self, shop: Shop, opened: list[str]) -> None:
        page = shop.app.list_cases(PLATFORM, limit=len(opened))
        assert len(page.items) == len(opened) and page.next_cursor is None

    def test_paging_with_filters(self, shop: Shop, opened: list[str]) -> None:
        whole = shop.app.list_cases(Actor.customer("cust-2"), kind="complaint", limit=1000).items
        paged = all_pages(shop.app, Actor.customer("cust-2"), limit=3, kind="complaint")
        assert ids(paged) == ids(whole) and len(whole) > 3
        assert all(c.customer_id == "cust-2" and c.kind == "complaint" for c in paged)

    def test_cases_opened_while_paging_do_not_shift_pages(self, shop: Shop, opened: list[str]) -> None:
        first = shop.app.list_cases(PLATFORM, limit=10)
        shop.clock.advance(hours=1)
        newer = shop.complaint()
        rest = all_pages_after(shop.app, first.next_cursor)
        seen = ids(first.items) + ids(rest)
        assert newer not in seen
        assert len(seen) == len(set(seen)) == len(opened)

    @pytest.mark.parametrize(
        "cursor",
        ["garbage", "", "|", "2026-11-02T09:00:00+00:00", "not-a-date|C-1", "2026-11-02T09:00:00|C-1", "2026-13-45T00:00:00+00:00|C-1", 42],
    )
    def test_malformed_cursor(self, shop: Shop, opened: list[str], cursor: Any) -> None:
        if cursor == "":
            # an empty cursor is the same as no cursor: the first page
            assert shop.app.list_cases(PLATFORM, limit=5, after=cursor) == shop.app.list_cases(PLATFORM, limit=5)
            return
        with pytest.raises(ValidationError):
            shop.app.list_cases(PLATFORM, limit=5, after=cursor)

    @pytest.mark.parametrize("limit", [0, -1, 1001, 2.5, "10"])
    def test_page_size_limits(self, shop: Shop, limit: Any) -> None:
        with pytest.raises(ValidationError):
            shop.app.list_cases(PLATFORM, limit=limit)

    def test_customer_pages_hide_notes(self, shop: Shop, opened: list[str]) -> None:
        for case_id in opened:
            if shop.app.get_case(PLATFORM, case_id).customer_id == "cust-2":
                shop.app.add_note(PLATFORM, case_id, "internal remark")
        items = all_pages(shop.app, Actor.customer("cust-2"), limit=4)
        assert items and not any(m.internal for c in items for m in c.messages)
        assert any(m.internal for c in all_pages(shop.app, STORE_1, limit=4) for m in c.messages)


def all_pages_after(app: ResolveKit, cursor: str | None) -> tuple[Case, ...]:
    items: tuple[Case, ...] = ()
    while cursor is not None:
        page = app.list_cases(PLATFORM, limit=10, after=cursor)
        items += page.items
        cursor = page.next_cursor
    return items


def test_views_are_immutable_values(shop: Shop) -> None:
    case_id = shop.complaint()
    view = shop.app.get_case(Actor.customer("cust-1"), case_id)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        view.status = "closed"  # type: ignore[misc]
    assert shop.app.get_case(PLATFORM, case_id).status == "under_platform_review"


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"statuses": 0}, "statuses"),
        ({"statuses": 1.5}, "statuses"),
        ({"statuses": b"closed"}, "statuses"),
        ({"statuses": ["closed", 3]}, "statuses"),
        ({"statuses": {"closed": True}}, "statuses"),
        ({"store_id": 7}, "store_id"),
        ({"kind": ["complaint"]}, "kind"),
        ({"customer_id": 1.0}, "customer_id"),
        ({"order_id": b"o-1"}, "order_id"),
    ],
)
def test_a_listing_with_a_filter_that_is_not_text_is_refused(filters: dict[str, Any], field: str) -> None:
    rk = ResolveKit(storage="memory://")
    with pytest.raises(ValidationError) as caught:
        rk.list_cases(Actor.platform("p"), **filters)
    assert caught.value.params["field"] == field

