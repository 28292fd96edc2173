"""The delayed-order triage (DOMAIN section 3): the table, its boundaries, the decisions resolvekit
takes where the source is silent, the batch path, and carrying decisions out through the application."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import (
    Actor,
    CaseClosed,
    ConfigurationError,
    Customer,
    HelpRequest,
    InquiryNotOffered,
    Order,
    OrderInFuture,
    OrderItem,
    OrderNotFound,
    PermissionDenied,
    Policy,
    ResolveKit,
    SelfServiceDisabled,
    Store,
    Ticket,
    TriageOutcome,
    TriagePolicy,
    TriageRule,
    TriageRules,
    ValidationError,
    hookimpl,
)
from resolvekit.domain.triage import DEFAULT_RULES, DEFAULT_STATUS_MAP, WINDOW, TriageStatus, triage, triage_many
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H48 = timedelta(hours=48)
LINK = TriageOutcome.SEND_TRACKING_LINK
TICKET = TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK
INQUIRY = TriageOutcome.OFFER_INQUIRY
DETAILS = TriageOutcome.SEND_ORDER_DETAILS


def make_order(status: str = "out_for_delivery", age: timedelta = timedelta(hours=1), **changes: object) -> Order:
    values: dict[str, object] = {
        "id": "ord-1",
        "number": "1001",
        "store_id": "store-1",
        "customer_id": "cust-1",
        "status": status,
        "created_at": NOW - age,
        "total_paid": Decimal("249.00"),
        "currency": "SAR",
        "items": (OrderItem("sku-1", "Glass kettle", 1, Decimal("249.00")),),
        "tracking_url": "https://track.example/1001",
    }
    values.update(changes)
    return Order(**values)  # type: ignore[arg-type]


def outcome(status: str, age: timedelta, policy: TriagePolicy | None = None) -> TriageOutcome:
    return triage(make_order(status, age), NOW, policy=policy).outcome


# -- the table ---------------------------------------------------------------------------------------

JUST_UNDER = H48 - timedelta(seconds=1)  # 47:59:59
EXACTLY = H48  # 48:00:00 is not "over 48 h"
JUST_OVER = H48 + timedelta(seconds=1)  # 48:00:01


@pytest.mark.parametrize(
    ("case", "status", "age", "expected", "rule"),
    [
        (1, "out_for_delivery", timedelta(hours=3), LINK, "recent_in_progress"),
        (1, "pending_review", timedelta(hours=3), LINK, "recent_in_progress"),
        (1, "completed", timedelta(hours=3), LINK, "recent_in_progress"),
        (2, "completed", timedelta(hours=60), TICKET, "late_in_transit"),
        (2, "out_for_delivery", timedelta(hours=60), TICKET, "late_in_transit"),
        (3, "pending_review", timedelta(hours=60), INQUIRY, "late_pending_review"),
        (4, "delivered", timedelta(hours=3), DETAILS, "delivered"),
        (4, "delivered", timedelta(hours=60), DETAILS, "delivered"),
        (4, "delivered", timedelta(days=400), DETAILS, "delivered"),
    ],
)
def test_every_row_of_the_table(case: int, status: str, age: timedelta, expected: TriageOutcome, rule: str) -> None:
    decision = triage(make_order(status, age), NOW)
    assert (decision.outcome, decision.rule) == (expected, rule), f"table case {case}"
    assert decision.age == age
    assert decision.status == status
    assert decision.window == H48
    assert decision.decided_at == NOW


@pytest.mark.parametrize(
    ("status", "under", "over"),
    [
        ("out_for_delivery", LINK, TICKET),
        ("completed", LINK, TICKET),
        ("pending_review", LINK, INQUIRY),
        ("delivered", DETAILS, DETAILS),
        ("cancelled", DETAILS, DETAILS),
        ("refunded", DETAILS, DETAILS),
        ("returned", DETAILS, DETAILS),
        ("processing", DETAILS, INQUIRY),
    ],
)
def test_both_sides_of_the_48_hour_boundary(status: str, under: TriageOutcome, over: TriageOutcome) -> None:
    assert outcome(status, JUST_UNDER) is under
    assert outcome(status, EXACTLY) is under, "exactly 48:00:00 is not over 48 h"
    assert outcome(status, EXACTLY + timedelta(microseconds=1)) is over
    assert outcome(status, JUST_OVER) is over


def test_an_order_created_just_now_is_under_the_window() -> None:
    assert outcome("completed", timedelta(0)) is LINK


EVERY_STATUS = {
    # host word: (under the window, over the window)
    "pending_review": (LINK, INQUIRY),
    "out_for_delivery": (LINK, TICKET),
    "completed": (LINK, TICKET),
    "delivered": (DETAILS, DETAILS),
    "cancelled": (DETAILS, DETAILS),
    "canceled": (DETAILS, DETAILS),
    "refunded": (DETAILS, DETAILS),
    "returned": (DETAILS, DETAILS),
    "under_review": (LINK, INQUIRY),
    "awaiting_review": (LINK, INQUIRY),
    "shipped": (LINK, TICKET),
    "in_transit": (LINK, TICKET),
    "fulfilled": (LINK, TICKET),
    "Out for delivery": (LINK, TICKET),
    "  PENDING-REVIEW ": (LINK, INQUIRY),
    "processing": (DETAILS, INQUIRY),
    "awaiting_payment": (DETAILS, INQUIRY),
    "on_hold": (DETAILS, INQUIRY),
    "unknown": (DETAILS, INQUIRY),
    "تم التوصيل": (DETAILS, INQUIRY),
}


@pytest.mark.parametrize("status", sorted(EVERY_STATUS))
def test_every_status_the_host_may_report(status: str) -> None:
    under, over = EVERY_STATUS[status]
    assert outcome(status, timedelta(hours=2)) is under
    assert outcome(status, timedelta(days=4)) is over


def test_every_built_in_status_and_every_default_map_entry_is_covered() -> None:
    assert {s.value for s in TriageStatus} - {"unknown"} <= set(EVERY_STATUS)
    assert set(DEFAULT_STATUS_MAP) <= set(EVERY_STATUS)


def test_the_decision_says_which_rule_matched_and_why() -> None:
    decision = triage(make_order("completed", timedelta(hours=50, minutes=30)), NOW)
    text = decision.explain()
    assert "50.5 hours" in text and "48-hour" in text and "'completed'" in text and "case 2" in text
    data = decision.to_dict()
    assert data == {
        "order_id": "ord-1",
        "outcome": "open_ticket_and_send_tracking_link",
        "rule": "late_in_transit",
        "reason": decision.reason,
        "age_seconds": 181800.0,
        "host_status": "completed",
        "status": "completed",
        "window_seconds": 172800.0,
        "decided_at": NOW.isoformat(),
    }
    unknown = triage(make_order("On Hold", timedelta(hours=1)), NOW)
    assert unknown.status == "unknown" and unknown.host_status == "On Hold"
    assert "'On Hold'" in unknown.explain()


# -- bad input ------------------------------------------------------------------------------------------


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValidationError, match="naive"):
        triage(make_order(), datetime(2026, 11, 2, 9, 0))


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="naive"):
        make_order(created_at=datetime(2026, 11, 1, 9, 0))

    @attrs.frozen
    class HostOrder:  # a host's own order record, read through the TriageOrder protocol
        id: str
        status: str
        created_at: datetime

    with pytest.raises(ValidationError, match="naive"):
        triage(HostOrder("o", "completed", datetime(2026, 11, 1, 9, 0)), NOW)


def test_other_time_zones_are_compared_as_instants() -> None:
    riyadh = timezone(timedelta(hours=3))
    order = make_order("completed", created_at=datetime(2026, 10, 31, 12, 0, tzinfo=riyadh))  # 09:00 UTC
    assert triage(order, NOW).outcome is LINK  # exactly 48 h
    assert triage(order, NOW.astimezone(riyadh) + timedelta(seconds=1)).outcome is TICKET


def test_an_order_created_in_the_future() -> None:
    slightly = triage(make_order("completed", -timedelta(minutes=4)), NOW)
    assert slightly.age == timedelta(0) and slightly.outcome is LINK  # clock skew within the tolerance
    at_limit = triage(make_order("completed", -timedelta(minutes=5)), NOW)
    assert at_limit.age == timedelta(0)
    with pytest.raises(OrderInFuture) as info:
        triage(make_order("completed", -timedelta(minutes=5, seconds=1)), NOW)
    assert info.value.params["order_id"] == "ord-1"
    strict = TriagePolicy(future_tolerance=timedelta(0))
    with pytest.raises(OrderInFuture):
        triage(make_order("completed", -timedelta(microseconds=1)), NOW, policy=strict)


# -- policy -----------------------------------------------------------------------------------------------


def test_the_window_is_a_policy_setting() -> None:
    policy = TriagePolicy(window=timedelta(hours=24))
    assert outcome("completed", timedelta(hours=24), policy) is LINK
    assert outcome("completed", timedelta(hours=24, seconds=1), policy) is TICKET
    assert triage(make_order("completed", timedelta(hours=30)), NOW, policy=policy).explain().count("24-hour") == 1
    assert Policy(triage=policy).triage.window == timedelta(hours=24)


def test_the_status_map_is_a_policy_setting() -> None:
    policy = TriagePolicy(status_map={**DEFAULT_STATUS_MAP, "On hold": "pending_review", "shipped": "completed"})
    assert triage(make_order("on_hold", timedelta(days=3)), NOW, policy=policy).outcome is INQUIRY
    assert triage(make_order("SHIPPED", timedelta(days=3)), NOW, policy=policy).status == "completed"
    bare = TriagePolicy(status_map={"sent": "out_for_delivery"})
    assert triage(make_order("delivered", timedelta(days=3)), NOW, policy=bare).status == "unknown"


@pytest.mark.parametrize(
    "settings_",
    [
        {"window": timedelta(0)},
        {"window": timedelta(hours=-1)},
        {"window": 48},
        {"future_tolerance": timedelta(seconds=-1)},
        {"status_map": {"": "completed"}},
        {"status_map": {"shipped": " "}},
    ],
)
def test_bad_triage_settings_fail_at_construction(settings_: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        TriagePolicy(**settings_)  # type: ignore[arg-type]


# -- rules as data ---------------------------------------------------------------------------------------


def test_the_default_rules_end_with_a_catch_all_and_have_unique_names() -> None:
    names = [rule.name for rule in DEFAULT_RULES]
    assert len(set(names)) == len(names)
    assert DEFAULT_RULES[-1].is_catch_all
    assert not any(rule.is_catch_all for rule in DEFAULT_RULES[:-1])
    assert TriageRules().freeze() == DEFAULT_RULES


def test_editing_the_rules() -> None:
    rules = TriageRules()
    rules.add(TriageRule("vip", DETAILS, statuses={"completed"}))
    assert rules.names[0] == "vip"
    rules.add(TriageRule("before_fallback", INQUIRY, statuses={"on_hold"}), before="fallback")
    assert rules.names[-2:] == ("before_fallback", "fallback")
    rules.add(TriageRule("after_delivered", TICKET, statuses={"lost"}), after="delivered")
    assert rules.names[rules.names.index("delivered") + 1] == "after_delivered"
    rules.replace("fallback", TriageRule("fallback", DETAILS))
    rules.remove("vip")
    frozen = rules.freeze()
    assert frozen[-1].outcome is DETAILS and "vip" not in [r.name for r in frozen]
    with pytest.raises(ConfigurationError, match="already"):
        rules.add(TriageRule("delivered", DETAILS))
    with pytest.raises(ConfigurationError, match="no triage rule"):
        rules.remove("nope")
    with pytest.raises(ConfigurationError):
        rules.add(TriageRule("x", DETAILS), before="delivered", after="delivered")
    rules.remove("fallback")
    with pytest.raises(ConfigurationError, match="every order"):
        rules.freeze()


@pytest.mark.parametrize(
    "bad",
    [
        lambda: TriageRule("", LINK),
        lambda: TriageRule("x", "no_such_outcome"),
        lambda: TriageRule("x", LINK, statuses=()),
        lambda: TriageRule("x", LINK, older_than=timedelta(hours=-1)),
        lambda: TriageRule("x", LINK, not_older_than="weekly"),
    ],
)
def test_bad_rules_are_refused(bad: object) -> None:
    with pytest.raises((ConfigurationError, ValueError)):
        bad()  # type: ignore[operator]


def test_rules_are_evaluated_in_order_and_the_first_that_applies_wins() -> None:
    rules = (
        TriageRule("late_week", INQUIRY, older_than=timedelta(days=7)),
        TriageRule("on_hold_over_window", TICKET, statuses={"on_hold"}, older_than=WINDOW),
        *DEFAULT_RULES,
    )
    assert triage(make_order("delivered", timedelta(days=8)), NOW, rules=rules).rule == "late_week"
    on_hold = TriagePolicy(status_map={**DEFAULT_STATUS_MAP, "on_hold": "on_hold"})
    assert triage(make_order("on_hold", timedelta(days=3)), NOW, rules=rules, policy=on_hold).rule == "on_hold_over_window"
    assert triage(make_order("on_hold", timedelta(days=1)), NOW, rules=rules, policy=on_hold).rule == "fallback"
    assert triage(make_order("on_hold", timedelta(days=3)), NOW, rules=rules).rule == "fallback", "unmapped: unknown"
    assert triage(make_order("on_hold", timedelta(days=1)), NOW, rules=rules).rule == "recent_unknown_status"
    predicate = (TriageRule("odd_hours", DETAILS, when=lambda age, status: age.seconds // 3600 % 2 == 1), *DEFAULT_RULES)
    assert triage(make_order("completed", timedelta(hours=3)), NOW, rules=predicate).rule == "odd_hours"
    assert triage(make_order("completed", timedelta(hours=4)), NOW, rules=predicate).rule == "recent_in_progress"


# -- properties ---------------------------------------------------------------------------------------------

HOST_STATUSES = st.one_of(st.sampled_from(sorted(EVERY_STATUS)), st.text(min_size=1, max_size=12).filter(str.strip))
AGES = st.integers(min_value=-300, max_value=30 * 86400).map(lambda s: timedelta(seconds=s))
WINDOWS = st.integers(min_value=1, max_value=10 * 86400).map(lambda s: timedelta(seconds=s))


@settings(max_examples=200, deadline=None)
@given(status=HOST_STATUSES, age=AGES, window=WINDOWS)
def test_exactly_one_outcome_for_any_order_and_time(status: str, age: timedelta, window: timedelta) -> None:
    policy = TriagePolicy(window=window)
    decision = triage(make_order(status, age), NOW, policy=policy)
    assert decision.outcome in set(TriageOutcome)
    effective = max(age, timedelta(0))
    applying = [r for r in DEFAULT_RULES if r.applies(effective, policy.status_of(status), window)]
    assert applying, "the catch-all always applies"
    assert decision.rule == applying[0].name
    assert decision.outcome is applying[0].outcome


@settings(max_examples=200, deadline=None)
@given(status=HOST_STATUSES, ages=st.lists(AGES, min_size=2, max_size=6), window=WINDOWS)
def test_the_outcome_never_goes_back_to_tracking_link_only_as_the_order_ages(
    status: str, ages: list[timedelta], window: timedelta
) -> None:
    policy = TriagePolicy(window=window)
    outcomes = [triage(make_order(status, age), NOW, policy=policy).outcome for age in sorted(ages)]
    for earlier, later in zip(outcomes, outcomes[1:]):
        if earlier.involves_ticket:
            assert later is not LINK, (status, outcomes)
            assert later.involves_ticket or later is DETAILS


def _rule_sets() -> st.SearchStrategy[tuple[TriageRule, ...]]:
    statuses = st.sets(st.sampled_from([s.value for s in TriageStatus] + ["on_hold"]), min_size=1, max_size=3)
    bound = st.one_of(st.none(), st.just(WINDOW), st.integers(0, 6 * 86400).map(lambda s: timedelta(seconds=s)))
    predicate = st.one_of(st.none(), st.sampled_from([lambda age, status: age.seconds % 2 == 0, lambda age, status: "e" in status]))
    rule = st.builds(
        lambda i, outcome, statuses, older, younger, when: TriageRule(f"r{i}", outcome, statuses=statuses, older_than=older, not_older_than=younger, when=when),
        st.integers(0, 10**9),
        st.sampled_from(list(TriageOutcome)),
        st.one_of(st.none(), statuses),
        bound,
        bound,
        predicate,
    )
    return st.lists(rule, max_size=5, unique_by=lambda r: r.name).map(lambda extra: (*extra, *DEFAULT_RULES))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.lists(st.tuples(HOST_STATUSES, st.integers(-600, 8 * 86400)), max_size=40),
    rules=_rule_sets(),
    window=WINDOWS,
)
def test_a_batch_decides_every_order_exactly_as_triage_does(
    orders: list[tuple[str, int]], rules: tuple[TriageRule, ...], window: timedelta
) -> None:
    policy = TriagePolicy(window=window)
    batch_orders = [make_order(status, timedelta(seconds=s), id=f"o{i}") for i, (status, s) in enumerate(orders)]
    batch = triage_many(batch_orders, NOW, rules=rules, policy=policy)
    assert len(batch) == len(batch_orders)
    refused = {r.index for r in batch.refused}
    for index, order in enumerate(batch_orders):
        try:
            single = triage(order, NOW, rules=rules, policy=policy)
        except OrderInFuture:
            assert index in refused and batch[index] is None and batch.outcome(index) is None
            continue
        assert index not in refused
        assert batch[index] == single
        assert batch.outcome(index) is single.outcome
    assert sum(batch.counts().values()) == len(batch_orders) - len(refused)
    assert list(batch) == [d for d in (batch[i] for i in range(len(batch))) if d is not None]


def test_a_batch_reports_orders_it_cannot_triage_and_decides_the_others() -> None:
    @attrs.frozen
    class HostOrder:
        id: str
        status: object
        created_at: datetime

    orders = [
        HostOrder("ok", "completed", NOW - timedelta(days=3)),
        HostOrder("future", "completed", NOW + timedelta(days=1)),
        HostOrder("naive", "completed", datetime(2026, 11, 1)),
        HostOrder("not-text", 7, NOW - timedelta(days=3)),
        HostOrder("ok2", "delivered", NOW - timedelta(hours=1)),
    ]
    batch = triage_many(orders, NOW)
    assert batch.outcomes() == [TICKET, None, None, None, DETAILS]
    assert [(r.index, r.order_id, type(r.error).__name__) for r in batch.refused] == [
        (1, "future", "OrderInFuture"),
        (2, "naive", "ValidationError"),
        (3, "not-text", "ValidationError"),
    ]
    fast = triage_many([make_order("completed", timedelta(days=3)), make_order("completed", -timedelta(days=1), id="f")], NOW)
    assert fast.outcomes() == [TICKET, None] and [r.order_id for r in fast.refused] == ["f"]
    assert [d.outcome for d in fast.select(TICKET)] == [TICKET]


def test_a_batch_accepts_any_iterable_and_refuses_a_naive_now() -> None:
    batch = triage_many((make_order("completed", timedelta(hours=h), id=f"o{h}") for h in (1, 49)), NOW)
    assert batch.outcomes() == [LINK, TICKET]
    with pytest.raises(ValidationError):
        triage_many([], datetime(2026, 11, 2))


# -- through the application ---------------------------------------------------------------------------------


class OrderBook:
    """A host's order lookup; it deliberately answers for any customer (resolvekit checks the owner)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    def add(self, order: Order) -> Order:
        self.orders[order.id] = order
        return order

    @hookimpl
    def resolvekit_find_order(self, order_id: str, customer_id: str, store_id: str) -> Order | None:
        return self.orders.get(order_id)


STORE = Store("store-1", "Kettles & Co")
CUSTOMER = Customer("cust-1", "Noura")
BUYER = Actor.customer("cust-1")


@pytest.fixture
def book() -> OrderBook:
    return OrderBook()


@pytest.fixture
def rk(book: OrderBook, notifier: RecordingNotifier) -> ResolveKit:
    return ResolveKit(storage="memory://", clock=ManualClock(NOW), plugins=[book, notifier])


def everything(rk: ResolveKit) -> list[object]:
    page = rk.list_cases(Actor.platform("audit"), limit=1000)
    return [(case, rk.storage.events(case.id), list(rk.storage.outbox(case.id))) for case in page.items]


def test_triage_through_the_application_writes_nothing(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", timedelta(days=3)))
    decision = rk.triage(BUYER, STORE, "ord-1")
    assert decision.outcome is TICKET and decision.rule == "late_in_transit"
    assert everything(rk) == []


def test_request_help_sends_the_tracking_link_without_a_ticket(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("out_for_delivery", timedelta(hours=5)))
    result = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert result.outcome is LINK and result.created and result.ticket is None
    request = result.case
    assert isinstance(request, HelpRequest)
    assert (request.kind, request.status, request.outcome, request.rule) == ("help_request", "answered", "send_tracking_link", "recent_in_progress")
    assert request.is_closed and request.order_id == "ord-1"
    (entry,) = rk.storage.outbox(request.id)
    assert entry.notification.recipient.id == "cust-1"
    subject, body = entry.notification.render()
    assert "https://track.example/1001" in body and "1001" in subject
    assert rk.list_cases(BUYER, kind="ticket").items == ()
    with pytest.raises(CaseClosed):
        rk.reply(BUYER, request.id, "thanks")


def test_request_help_without_a_tracking_url_points_to_the_order_page(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("pending_review", timedelta(hours=5), tracking_url=None))
    result = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    (entry,) = rk.storage.outbox(result.case.id)  # type: ignore[union-attr]
    assert "order's page" in entry.notification.render()[1]


def test_request_help_sends_the_order_details(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("delivered", timedelta(days=9)))
    result = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert result.outcome is DETAILS and isinstance(result.case, HelpRequest)
    (entry,) = rk.storage.outbox(result.case.id)
    body = entry.notification.render()[1]
    assert "1 x Glass kettle" in body and "Total paid: SAR249.00." in body and "'delivered'" in body  # money as babel writes it


def test_request_help_opens_a_ticket_automatically_and_sends_the_tracking_link(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", timedelta(hours=49)))
    result = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    ticket = result.ticket
    assert result.outcome is TICKET and result.created and ticket is not None
    assert (ticket.ticket_type, ticket.status, ticket.routing, ticket.order_id) == ("order_delayed", "under_merchant_review", "merchant", "ord-1")
    (opened,) = rk.storage.events(ticket.id)
    assert opened.actor == Actor.system("triage")
    assert opened.payload["origin"] == "automatic" and opened.payload["triage"]["rule"] == "late_in_transit"
    sent = {e.notification.recipient.role.value: e.notification.render()[1] for e in rk.storage.outbox(ticket.id)}
    assert "https://track.example/1001" in sent["customer"]
    assert "49 hours" in sent["merchant"] and "'completed'" in sent["merchant"]
    merchant = Actor.merchant("owner-1", store_id="store-1")
    assert rk.reply(merchant, ticket.id, "It ships today.").case.status == "waiting_for_customer_response"


def test_a_second_request_while_a_ticket_is_open_returns_it(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("out_for_delivery", timedelta(days=3)))
    first = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    again = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert again.case is not None and first.case is not None
    assert again.case.id == first.case.id and not again.created and again.events == ()
    assert len(rk.list_cases(BUYER, kind="ticket").items) == 1
    assert len(rk.storage.outbox(first.case.id)) == 2, "no second tracking link or merchant alert"
    rk.close(BUYER, first.case.id, confirmed=True)
    third = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert third.created and third.case is not None and third.case.id != first.case.id


def test_concurrent_requests_cannot_open_two_tickets(rk: ResolveKit, book: OrderBook, monkeypatch: pytest.MonkeyPatch) -> None:
    book.add(make_order("out_for_delivery", timedelta(days=3)))
    first = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    # A second request that decided before the first committed sees no open ticket either.
    monkeypatch.setattr(type(rk), "_delay_tickets", lambda self, actor, order: (0, None))
    racing = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert racing.case is not None and first.case is not None
    assert racing.case.id == first.case.id and not racing.created
    assert len(rk.list_cases(Actor.platform("p"), kind="ticket").items) == 1


def test_an_inquiry_is_offered_then_opened(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("pending_review", timedelta(days=3)))
    offered = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert offered.outcome is INQUIRY and offered.case is None and not offered.created
    assert everything(rk) == [], "offering an inquiry writes nothing"
    result = rk.open_inquiry(BUYER, STORE, "ord-1", customer=CUSTOMER, details="It has been pending for days.")
    ticket = result.ticket
    assert ticket is not None and result.created
    assert (ticket.status, ticket.ticket_type, ticket.description) == ("under_merchant_review", "order_delayed", "It has been pending for days.")
    assert rk.storage.events(ticket.id)[0].payload["triage"]["rule"] == "late_pending_review"
    again = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert again.case is not None and again.case.id == ticket.id and not again.created
    assert rk.open_inquiry(BUYER, STORE, "ord-1", customer=CUSTOMER, details="Still?").case.id == ticket.id  # type: ignore[union-attr]


@pytest.mark.parametrize(("status", "age"), [("pending_review", timedelta(hours=2)), ("delivered", timedelta(days=3))])
def test_an_inquiry_that_is_not_offered_is_refused(rk: ResolveKit, book: OrderBook, status: str, age: timedelta) -> None:
    book.add(make_order(status, age))
    with pytest.raises(InquiryNotOffered) as info:
        rk.open_inquiry(BUYER, STORE, "ord-1", customer=CUSTOMER, details="Where is it?")
    assert info.value.params["outcome"] in {"send_tracking_link", "send_order_details"}
    assert everything(rk) == []


def test_an_inquiry_needs_details(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("pending_review", timedelta(days=3)))
    with pytest.raises(ValidationError) as info:
        rk.open_inquiry(BUYER, STORE, "ord-1", customer=CUSTOMER, details="  ")
    assert info.value.params["field"] == "description"
    assert everything(rk) == []


def test_unknown_and_other_customers_orders_get_the_same_refusal(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", timedelta(days=3), id="theirs", customer_id="cust-2"))
    book.add(make_order("completed", timedelta(days=3), id="elsewhere", store_id="store-2"))
    errors = []
    for order_id in ("missing", "theirs", "elsewhere"):
        for call in (
            lambda: rk.triage(BUYER, STORE, order_id),
            lambda: rk.request_help(BUYER, STORE, order_id, customer=CUSTOMER),
            lambda: rk.open_inquiry(BUYER, STORE, order_id, customer=CUSTOMER, details="x"),
        ):
            with pytest.raises(OrderNotFound) as info:
                call()
            errors.append(str(info.value).replace(order_id, "<id>"))
    assert len(set(errors)) == 1
    assert everything(rk) == []


def test_a_lookup_plugin_answering_with_another_order_is_not_trusted(rk: ResolveKit, book: OrderBook) -> None:
    book.orders["ord-9"] = make_order("completed", timedelta(days=3), id="ord-1")
    with pytest.raises(OrderNotFound):
        rk.triage(BUYER, STORE, "ord-9")


@pytest.mark.parametrize("order_id", [None, "", 17])
def test_a_malformed_order_id_is_not_found(rk: ResolveKit, order_id: object) -> None:
    with pytest.raises(OrderNotFound):
        rk.triage(BUYER, STORE, order_id)  # type: ignore[arg-type]


def test_a_store_without_self_service_refuses_intake(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", timedelta(days=3)))
    closed = Store("store-1", "Kettles & Co", self_service_enabled=False)
    for call in (
        lambda: rk.triage(BUYER, closed, "ord-1"),
        lambda: rk.request_help(BUYER, closed, "ord-1", customer=CUSTOMER),
        lambda: rk.open_inquiry(BUYER, closed, "ord-1", customer=CUSTOMER, details="x"),
    ):
        with pytest.raises(SelfServiceDisabled, match="store-1 has not enabled self-service"):
            call()
    assert everything(rk) == []


@pytest.mark.parametrize("actor", [Actor.merchant("owner-1", store_id="store-1"), Actor.platform("agent"), Actor.system()])
def test_only_a_customer_asks_for_help(rk: ResolveKit, book: OrderBook, actor: Actor) -> None:
    book.add(make_order("completed", timedelta(days=3)))
    with pytest.raises(PermissionDenied):
        rk.request_help(actor, STORE, "ord-1", customer=CUSTOMER)
    with pytest.raises(PermissionDenied):
        rk.triage(actor, STORE, "ord-1")


def test_the_customer_must_be_the_actor(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", timedelta(days=3)))
    with pytest.raises(ValidationError):
        rk.request_help(BUYER, STORE, "ord-1", customer=Customer("cust-2", "Sara"))


def test_an_order_from_the_future_is_refused_through_the_application(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("completed", -timedelta(hours=2)))
    with pytest.raises(OrderInFuture):
        rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert everything(rk) == []


def test_without_an_order_lookup_plugin_self_service_fails_loudly(notifier: RecordingNotifier) -> None:
    rk = ResolveKit(storage="memory://", clock=ManualClock(NOW))
    with pytest.raises(ConfigurationError, match="resolvekit_find_order"):
        rk.triage(BUYER, STORE, "ord-1")


def test_an_idempotency_key_applies_a_help_request_once(rk: ResolveKit, book: OrderBook) -> None:
    book.add(make_order("delivered", timedelta(days=1)))
    first = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER, idempotency_key="k1")
    again = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER, idempotency_key="k1")
    assert first.case is not None and again.case is not None
    assert again.case.id == first.case.id and not again.created
    assert len(rk.list_cases(BUYER).items) == 1


def test_a_host_plugin_adds_and_replaces_rules(book: OrderBook) -> None:
    class StuckOnHold:
        @hookimpl
        def resolvekit_triage_rules(self, rules: TriageRules) -> None:
            rules.add(TriageRule("stuck_on_hold", TICKET, statuses={"on_hold"}, older_than=timedelta(hours=24)))
            rules.replace("fallback", TriageRule("fallback", DETAILS))

    policy = Policy(triage=TriagePolicy(status_map={**DEFAULT_STATUS_MAP, "on_hold": "on_hold"}))
    rk = ResolveKit(storage="memory://", clock=ManualClock(NOW), plugins=[book, StuckOnHold()], policy=policy)
    assert rk.triage_rules[0].name == "stuck_on_hold" and rk.triage_rules[-1].outcome is DETAILS
    book.add(make_order("on_hold", timedelta(hours=25)))
    result = rk.request_help(BUYER, STORE, "ord-1", customer=CUSTOMER)
    assert result.decision.rule == "stuck_on_hold" and isinstance(result.case, Ticket)
    assert rk.triage_many([make_order("lost", timedelta(days=9))]).outcomes() == [DETAILS]


def test_a_plugin_that_leaves_no_catch_all_fails_at_start_up() -> None:
    class Broken:
        @hookimpl
        def resolvekit_triage_rules(self, rules: TriageRules) -> None:
            rules.remove("fallback")

    with pytest.raises(ConfigurationError, match="every order"):
        ResolveKit(storage="memory://", plugins=[Broken()])


def test_triage_many_through_the_application_uses_its_clock_and_policy(book: OrderBook) -> None:
    rk = ResolveKit(storage="memory://", clock=ManualClock(NOW), policy=Policy(triage=TriagePolicy(window=timedelta(hours=12))))
    orders = [make_order("completed", timedelta(hours=h), id=f"o{h}") for h in (11, 13)]
    assert rk.triage_many(orders).outcomes() == [LINK, TICKET]
    assert rk.triage_many(orders, NOW - timedelta(hours=2)).outcomes() == [LINK, LINK]
    assert everything(rk) == []
