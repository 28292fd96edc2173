"""Reputation: hand-computed metrics, windows, exclusions, levels, estimates, explanations, facts."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from resolvekit import Actor, Customer, Order, ResolveKit
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.errors import ConfigurationError, FactConflict, ValidationError
from resolvekit.reputation import (
    AccountHealthPolicy,
    AddOrders,
    AddValidTracking,
    AnswerWithin24h,
    BatchReputation,
    ClaimFact,
    ClaimOutcome,
    ClaimTable,
    ColourLevelPolicy,
    ColourThreshold,
    ExcuseOrders,
    HealthBand,
    Metric,
    OrderFact,
    OrderFlag,
    OrderTable,
    RemoveFeedback,
    ReputationAggregator,
    ReputationPolicy,
    ResolveWithin72h,
    ResponseState,
    ShipOnTime,
    Tier,
    TieredLevelPolicy,
    Window,
    beta_estimate,
    claim_from_events,
    flags_of,
    rank,
    stars_of,
    wilson_lower_bound,
    wilson_upper_bound,
)
from resolvekit.reputation.metrics import Figure

AS_OF = date(2026, 11, 2)
DAY = date(2026, 10, 20)
T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
M = Metric


class Shop:
    """Builds facts for a test: ``shop.order("o1", shipped="late", stars=2)`` and so on."""

    def __init__(self, seller: str = "s1") -> None:
        self.seller = seller
        self.facts: list[OrderFact | ClaimFact] = []
        self._ids = itertools.count()

    def _id(self) -> str:
        return f"{self.seller}-f{next(self._ids)}"

    def order(
        self,
        order_id: str,
        *,
        day: date = DAY,
        buyer: str | None = None,
        placed: bool = True,
        shipped: str | None = "on_time",
        tracking: bool = True,
        delivered: str | None = None,
        carrier_delay: bool = False,
        cancelled: str | None = None,
        stars: int | None = None,
        chargeback: bool = False,
        exclusion: dict[str, str] | None = None,
        excused: str | None = None,
    ) -> list[OrderFact]:
        kw: dict[str, Any] = {
            "seller_id": self.seller,
            "order_id": order_id,
            "buyer_id": buyer or f"b-{order_id}",
            "order_date": day,
            "at": T0,
        }
        excl = exclusion or {}
        made: list[OrderFact] = []
        if placed:
            made.append(OrderFact.placed(self._id(), **kw))
        if cancelled is not None:
            made.append(OrderFact.cancelled(self._id(), pre_fulfilment=cancelled == "pre", exclusion=excl.get("cancellation"), **kw))
        if shipped is not None and cancelled != "pre":
            made.append(OrderFact.shipped(self._id(), on_time=shipped == "on_time", valid_tracking=tracking, **kw))
        if delivered is not None:
            made.append(
                OrderFact.delivered(
                    self._id(), on_time=delivered == "on_time", carrier_delay=carrier_delay, exclusion=excl.get("delivery"), **kw
                )
            )
        if stars is not None:
            made.append(OrderFact.feedback(self._id(), stars=stars, exclusion=excl.get("feedback"), **kw))
        if chargeback:
            made.append(OrderFact.chargeback(self._id(), exclusion=excl.get("chargeback"), **kw))
        if excused is not None:
            made.append(OrderFact.excused(self._id(), exclusion=excused, **kw))
        self.facts.extend(made)
        return made

    def claim(
        self,
        order_id: str,
        case_id: str,
        *,
        reason: str = "product_defect",
        outcome: str = "open",
        within_72h: bool = False,
        response: str = "in_time",
        buyer: str | None = None,
        version: int = 3,
    ) -> ClaimFact:
        fact = ClaimFact(
            fact_id=f"{case_id}@{version}",
            case_id=case_id,
            seller_id=self.seller,
            order_id=order_id,
            buyer_id=buyer or f"b-{order_id}",
            reason=reason,
            opened_at=T0,
            version=version,
            evaluated_at=T0 + timedelta(days=version),
            outcome=outcome,
            resolved_within_72h=within_72h,
            response=response,
            closed_at=None if outcome == "open" else T0 + timedelta(hours=10),
        )
        self.facts.append(fact)
        return fact

    def aggregator(self, policy: ReputationPolicy | None = None) -> ReputationAggregator:
        aggregator = ReputationAggregator(policy)
        aggregator.extend(self.facts)
        return aggregator


def sources(facts: Iterable[OrderFact | ClaimFact], policy: ReputationPolicy | None = None) -> list[Any]:
    facts = list(facts)
    aggregator = ReputationAggregator(policy)
    aggregator.extend(facts)
    return [aggregator, BatchReputation.from_facts(facts, policy)]


def counts(figure: Figure) -> tuple[int, int, int]:
    return (figure.base, figure.raw, figure.counted)


# -- hand-computed metrics --------------------------------------------------------------------------


@pytest.fixture
def shop() -> Shop:
    """Twelve orders of seller s1, each with one thing to count (comments give the expected effect)."""
    s = Shop()
    s.order("o1", shipped="late", delivered="on_time")  # late shipment; delayed handling
    s.order("o2", tracking=False)  # shipment without valid tracking
    s.order("o3", cancelled="pre")  # pre-fulfilment cancel; cancellation; marketplace defect
    s.order("o4", cancelled="post")  # cancellation after dispatch; marketplace defect
    s.order("o5", delivered="late", carrier_delay=True)  # late delivery, carrier delay: excluded
    s.order("o6", delivered="late")  # late delivery: counted
    s.order("o7", stars=2)  # defect (and the claim below: still one defective order)
    s.claim("o7", "C7", reason="product_defect")
    s.order("o8", stars=5)
    s.claim("o8", "C8", reason="buyers_remorse", outcome="resolved_by_seller", within_72h=True)  # excluded twice over
    s.order("o9", chargeback=True, exclusion={"chargeback": "platform_incident"})  # excluded chargeback
    s.order("o10")
    s.claim("o10", "C10", reason="damaged_goods", outcome="resolved_by_platform", response="late")  # defect, MDR, late
    s.order("o11", stars=1, exclusion={"feedback": "buyers_mistake"})  # excluded feedback
    s.order("o12")
    s.claim("o12", "C12", reason="product_defect", outcome="denied", response="not_due")  # claims rate only
    return s


EXPECTED = {
    M.ORDER_DEFECT_RATE: (12, 5, 2),  # o7 o8 o9 o10 o11 raw; o7 and o10 counted
    M.LATE_SHIPMENT_RATE: (11, 1, 1),  # shipments: all but o3
    M.PRE_FULFILMENT_CANCEL_RATE: (12, 1, 1),
    M.VALID_TRACKING_RATE: (11, 1, 1),
    M.CLAIMS_RATE: (12, 4, 3),  # o7 o8 o10 o12; o8 excluded
    M.CANCELLATIONS_RATE: (12, 2, 2),
    M.DELAYED_HANDLING_RATE: (11, 3, 2),  # o1 o5 o6; o5 carrier delay excluded
    M.RESPONSE_WITHIN_24H_RATE: (3, 1, 1),  # C7 C8 in time, C10 late; C12 not due
    M.MARKETPLACE_DEFECT_RATE: (12, 3, 3),  # o3 o4 cancelled, o10 closed by the platform
}


@pytest.mark.parametrize("metric", list(M))
def test_every_metric_matches_the_hand_computed_counts(shop: Shop, metric: Metric) -> None:
    for source in sources(shop.facts):
        figure = source.metrics(AS_OF).figure("s1", metric)
        assert counts(figure) == EXPECTED[metric], type(source).__name__


def test_rates_are_in_each_metrics_own_direction(shop: Shop) -> None:
    report = shop.aggregator().metrics(AS_OF)
    assert report.figure("s1", M.ORDER_DEFECT_RATE).exact_rate == Fraction(2, 12)
    assert report.figure("s1", M.ORDER_DEFECT_RATE).exact_raw_rate == Fraction(5, 12)
    assert report.figure("s1", M.VALID_TRACKING_RATE).exact_rate == Fraction(10, 11)
    assert report.figure("s1", M.RESPONSE_WITHIN_24H_RATE).rate == pytest.approx(2 / 3)
    assert report.figure("s1", M.MARKETPLACE_DEFECT_RATE).affected_buyers == 3
    assert report.figure("nobody", M.CLAIMS_RATE) == Figure(M.CLAIMS_RATE, 0, 0, 0)
    assert Figure(M.CLAIMS_RATE, 0, 0, 0).rate is None


def test_records_are_plain_dicts_one_per_seller_and_metric(shop: Shop) -> None:
    records = shop.aggregator().metrics(AS_OF, 30).to_records()
    assert len(records) == len(M)
    first = records[0]
    assert first == {
        "seller_id": "s1",
        "as_of": "2026-11-02",
        "window_days": 30,
        "metric": "order_defect_rate",
        "base": 12,
        "raw": 5,
        "counted": 2,
        "rate": 2 / 12,
        "raw_rate": 5 / 12,
        "affected_buyers": None,
    }


def test_an_order_with_several_defects_counts_once() -> None:
    s = Shop()
    s.order("o1", stars=1, chargeback=True)
    s.claim("o1", "C1")
    s.claim("o1", "C2", reason="missing_parts")
    s.order("o2")
    figure = s.aggregator().figure("s1", M.ORDER_DEFECT_RATE, AS_OF)
    assert counts(figure) == (2, 1, 1)
    assert counts(s.aggregator().figure("s1", M.CLAIMS_RATE, AS_OF)) == (2, 1, 1)


def test_exclusions_follow_the_policy() -> None:
    s = Shop()
    s.order("o1", cancelled="pre", exclusion={"cancellation": "buyers_mistake"})
    s.order("o2", stars=1, exclusion={"feedback": "weather"})  # not an exclusion unless the policy adds it
    strict = ReputationPolicy(exclusions=frozenset())
    custom = ReputationPolicy(exclusions={"weather", "buyers_mistake"})
    for policy, pcr, odr in ((None, 0, 1), (strict, 1, 1), (custom, 0, 0)):
        report = s.aggregator(policy).metrics(AS_OF)
        assert report.figure("s1", M.PRE_FULFILMENT_CANCEL_RATE).counted == pcr
        assert report.figure("s1", M.ORDER_DEFECT_RATE).counted == odr


def test_protected_claims_are_excused_only_by_resolving_them_in_time() -> None:
    s = Shop()
    s.order("o1", excused="platform_incident")
    s.claim("o1", "C1", reason="product_defect")  # protected: the incident does not excuse it
    s.order("o2", excused="platform_incident")
    s.claim("o2", "C2", reason="damaged_goods")  # not protected: excused
    s.order("o3")
    s.claim("o3", "C3", reason="missing_parts", outcome="resolved_by_seller", within_72h=True)  # 72 h rule
    explanation = s.aggregator().explain("s1", M.CLAIMS_RATE, AS_OF)
    assert {i.case_id: i.excluded_by for i in explanation.items} == {
        "C1": None,
        "C2": "platform_incident",
        "C3": "resolved_within_72h",
    }


def test_late_shipments_and_late_answers_are_never_excluded() -> None:
    s = Shop()
    s.order("o1", shipped="late", delivered="late", carrier_delay=True, excused="platform_incident")
    s.claim("o1", "C1", reason="other", response="late")
    aggregator = s.aggregator()
    assert counts(aggregator.figure("s1", M.LATE_SHIPMENT_RATE, AS_OF)) == (1, 1, 1)
    assert counts(aggregator.figure("s1", M.DELAYED_HANDLING_RATE, AS_OF)) == (1, 1, 1)  # shipped late: no carrier excuse
    assert counts(aggregator.figure("s1", M.RESPONSE_WITHIN_24H_RATE, AS_OF)) == (1, 1, 1)
    with pytest.raises(ValidationError, match="never an exclusion"):
        OrderFact.cancelled("x", seller_id="s", order_id="o", buyer_id="b", order_date=DAY, at=T0, exclusion="shipped_late")
    with pytest.raises(ValidationError, match="shipped late is never excluded"):
        OrderFact("x", "shipped", "s", "o", "b", DAY, T0, on_time=False, valid_tracking=True, exclusion="carrier_delay")


@pytest.mark.parametrize("name", ["product_defect", "different_product", "missing_parts", "shipped_late", "not_shipped", "message_not_answered"])
def test_a_policy_cannot_exclude_what_is_never_excluded(name: str) -> None:
    with pytest.raises(ConfigurationError, match="never excluded"):
        ReputationPolicy(exclusions={"buyers_remorse", name})


def test_policy_settings_are_validated() -> None:
    with pytest.raises(ConfigurationError):
        ReputationPolicy(exclusions="buyers_remorse")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        ReputationPolicy(exclusions={" padded "})
    with pytest.raises(ConfigurationError):
        ReputationPolicy(remorse_reasons={"product_defect"})
    with pytest.raises(ConfigurationError):
        ReputationPolicy(window_days=0)
    with pytest.raises(ConfigurationError):
        ReputationPolicy(negative_feedback_max_stars=5)


# -- windows ----------------------------------------------------------------------------------------


def test_windows_are_half_open_whole_days_ending_on_as_of() -> None:
    window = Window(AS_OF, 60)
    assert window.first == date(2026, 9, 4)
    assert window.end == date(2026, 11, 3)
    assert date(2026, 9, 4) in window and AS_OF in window
    assert date(2026, 9, 3) not in window and date(2026, 11, 3) not in window
    assert datetime(2026, 9, 4, 0, 0, tzinfo=UTC) in window
    assert datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC) in window


def test_orders_exactly_at_the_window_edge() -> None:
    s = Shop()
    s.order("first", day=AS_OF - timedelta(days=59), stars=1)  # inside a 60-day window
    s.order("before", day=AS_OF - timedelta(days=60), stars=1)  # just outside
    s.order("today", day=AS_OF)
    s.order("tomorrow", day=AS_OF + timedelta(days=1), stars=1)  # after as_of: outside
    for source in sources(s.facts):
        assert counts(source.figure("s1", M.ORDER_DEFECT_RATE, AS_OF, 60)) == (2, 1, 1)
        assert counts(source.figure("s1", M.ORDER_DEFECT_RATE, AS_OF, 61)) == (3, 2, 2)
        assert counts(source.figure("s1", M.ORDER_DEFECT_RATE, AS_OF, 1)) == (1, 0, 0)
        assert source.explain("s1", M.ORDER_DEFECT_RATE, AS_OF, 60).base == ("first", "today")


@pytest.mark.parametrize("days", [0, -3, 1.5, True])
def test_a_window_of_zero_days_is_a_configuration_error(days: Any) -> None:
    with pytest.raises(ConfigurationError):
        Window(AS_OF, days)
    with pytest.raises(ConfigurationError):
        ReputationAggregator().metrics(AS_OF, days)


def test_windows_count_by_order_date_not_by_arrival() -> None:
    s = Shop()
    s.order("old", day=date(2026, 1, 5))
    late_feedback = OrderFact.feedback(
        "fb", seller_id="s1", order_id="old", buyer_id="b-old", order_date=date(2026, 1, 5), at=datetime(2026, 11, 1, tzinfo=UTC), stars=1
    )
    aggregator = s.aggregator()
    aggregator.add(late_feedback)
    assert aggregator.metrics(AS_OF, 60).sellers == []
    assert aggregator.figure("s1", M.ORDER_DEFECT_RATE, date(2026, 1, 31), 60).counted == 1


# -- facts: duplicates, conflicts, unknown orders, out of order -----------------------------------


def test_duplicated_facts_are_ignored() -> None:
    s = Shop()
    facts = s.order("o1", stars=1) + [s.claim("o1", "C1")]
    aggregator = ReputationAggregator()
    assert aggregator.extend(facts) == len(facts)
    assert [aggregator.add(f) for f in facts] == [False] * len(facts)
    assert aggregator.extend(reversed(facts)) == 0
    assert len(aggregator) == len(facts)
    assert counts(aggregator.figure("s1", M.ORDER_DEFECT_RATE, AS_OF)) == (1, 1, 1)
    batch = BatchReputation.from_facts(facts + facts)
    assert batch.metrics(AS_OF).to_records() == aggregator.metrics(AS_OF).to_records()


def test_the_latest_fact_of_a_kind_wins_whatever_the_arrival_order() -> None:
    kw: dict[str, Any] = {"seller_id": "s1", "order_id": "o1", "buyer_id": "b1", "order_date": DAY}
    placed = OrderFact.placed("p", at=T0, **kw)
    first = OrderFact.feedback("f1", at=T0, stars=1, **kw)
    revised = OrderFact.feedback("f2", at=T0 + timedelta(days=2), stars=5, **kw)
    for order in itertools.permutations([placed, first, revised]):
        aggregator = ReputationAggregator()
        aggregator.extend(order)
        assert aggregator.figure("s1", M.ORDER_DEFECT_RATE, AS_OF).counted == 0
    newer_claim = Shop().claim("o1", "C1", outcome="resolved_by_seller", within_72h=True, version=5, buyer="b1")
    older_claim = Shop().claim("o1", "C1", version=2, buyer="b1")
    for order in ([placed, newer_claim, older_claim], [older_claim, placed, newer_claim]):
        aggregator = ReputationAggregator()
        aggregator.extend(order)
        assert counts(aggregator.figure("s1", M.CLAIMS_RATE, AS_OF)) == (1, 1, 0)


def test_facts_for_an_unknown_order_wait_until_it_is_placed() -> None:
    s = Shop()
    placed, *rest = s.order("o1", stars=1, chargeback=True)
    claim = s.claim("o1", "C1")
    aggregator = ReputationAggregator()
    aggregator.extend([*rest, claim])
    assert aggregator.pending() == ["o1"]
    assert aggregator.metrics(AS_OF).sellers == []
    batch = BatchReputation.from_facts([*rest, claim])
    assert batch.pending() == ["o1"] and batch.metrics(AS_OF).sellers == []
    aggregator.add(placed)
    assert aggregator.pending() == []
    assert counts(aggregator.figure("s1", M.ORDER_DEFECT_RATE, AS_OF)) == (1, 1, 1)


def test_claims_missing_from_the_order_table_are_pending_not_counted() -> None:
    orders = OrderTable.from_columns(order_id=["o1"], seller_id=["s1"], buyer_id=["b1"], order_date=[DAY], flags=[1 | 4])
    claims = ClaimTable.from_facts([Shop().claim("o1", "C1", buyer="b1"), Shop().claim("ghost", "C2")])
    batch = BatchReputation(orders, claims)
    assert batch.pending() == ["ghost"]
    assert counts(batch.figure("s1", M.CLAIMS_RATE, AS_OF)) == (1, 1, 1)


def test_a_fact_that_contradicts_its_order_is_refused_and_changes_nothing() -> None:
    s = Shop()
    s.order("o1")
    aggregator = s.aggregator()
    before = aggregator.metrics(AS_OF).to_records()
    bad = [
        OrderFact.feedback("x1", seller_id="s2", order_id="o1", buyer_id="b-o1", order_date=DAY, at=T0, stars=1),
        OrderFact.feedback("x2", seller_id="s1", order_id="o1", buyer_id="other", order_date=DAY, at=T0, stars=1),
        OrderFact.feedback("x3", seller_id="s1", order_id="o1", buyer_id="b-o1", order_date=AS_OF, at=T0, stars=1),
    ]
    for fact in bad:
        with pytest.raises(FactConflict) as info:
            aggregator.add(fact)
        assert info.value.code == "fact_conflict"
    assert aggregator.metrics(AS_OF).to_records() == before
    assert len(aggregator) == len(s.facts)
    moved = Shop().claim("o2", "C1")
    aggregator.add(Shop().claim("o1", "C1", version=1))
    with pytest.raises(FactConflict, match="case C1 is about order o2"):
        aggregator.add(moved)


def test_order_facts_are_validated() -> None:
    kw: dict[str, Any] = {"seller_id": "s1", "order_id": "o1", "buyer_id": "b1", "order_date": DAY, "at": T0}
    with pytest.raises(ValidationError):
        OrderFact.feedback("f", stars=6, **kw)
    with pytest.raises(ValidationError):
        OrderFact("f", "placed", at=T0, stars=3, seller_id="s1", order_id="o1", buyer_id="b1", order_date=DAY)
    with pytest.raises(ValidationError):
        OrderFact.placed("p", **{**kw, "at": datetime(2026, 1, 1)})
    with pytest.raises(ValidationError):
        OrderFact.placed("", **kw)
    with pytest.raises(ValidationError):
        OrderFact("e", "excused", **kw)
    fact = OrderFact.delivered("d", on_time=False, carrier_delay=True, **kw)
    assert OrderFact.from_dict(fact.to_dict()) == fact
    claim = Shop().claim("o1", "C1", outcome="withdrawn", within_72h=True)
    assert ClaimFact.from_dict(claim.to_dict()) == claim
    with pytest.raises(ValidationError):
        Shop().claim("o1", "C1", outcome="resolved_by_platform", within_72h=True)


# -- levels -------------------------------------------------------------------------------------------


def test_account_health_rating_formula_at_its_boundaries() -> None:
    policy = AccountHealthPolicy()
    assert policy.rating_of(Fraction(0)) == 1000
    assert policy.rating_of(Fraction(1, 2)) == 600
    assert policy.rating_of(Fraction(999, 1000)) == 200
    assert policy.rating_of(Fraction(1)) == 199  # exactly at the target: at risk
    assert policy.rating_of(Fraction(3, 2)) == 149
    assert policy.rating_of(Fraction(199, 100)) == 100
    assert policy.rating_of(Fraction(2)) == 99  # twice the target: suspension risk
    assert policy.rating_of(Fraction(4)) == 0
    assert [policy.band_of(r) for r in (200, 199, 100, 99)] == [
        HealthBand.HEALTHY,
        HealthBand.AT_RISK,
        HealthBand.AT_RISK,
        HealthBand.SUSPENSION_RISK,
    ]


def _orders(shop: Shop, n: int, prefix: str, **kw: Any) -> None:
    for i in range(n):
        shop.order(f"{prefix}{i}", **kw)


@pytest.mark.parametrize(
    ("defects", "rating", "band"),
    [(0, 1000, HealthBand.HEALTHY), (1, 600, HealthBand.HEALTHY), (2, 199, HealthBand.AT_RISK), (4, 99, HealthBand.SUSPENSION_RISK)],
)
def test_account_health_of_a_seller(defects: int, rating: int, band: HealthBand) -> None:
    s = Shop()
    _orders(s, 200 - defects, "ok", day=AS_OF)
    _orders(s, defects, "bad", day=AS_OF, stars=1)
    for source in sources(s.facts):
        health = source.account_health(AS_OF)["s1"]
        assert (health.rating, health.band) == (rating, band)
        assert health.worst is M.ORDER_DEFECT_RATE
        assert health.to_record()["band"] == band.value


def test_account_health_reads_each_metric_over_its_own_window() -> None:
    s = Shop()
    _orders(s, 19, "ok", day=AS_OF - timedelta(days=10))
    s.order("cancel", day=AS_OF - timedelta(days=10), cancelled="pre")  # 1/20 = 5 % but 10 days ago
    health = s.aggregator().account_health(AS_OF)["s1"]
    assert health.ratings[M.PRE_FULFILMENT_CANCEL_RATE] == 1000  # outside the 7-day window
    assert health.figures[M.ORDER_DEFECT_RATE].base == 20
    assert health.figures[M.PRE_FULFILMENT_CANCEL_RATE].base == 0
    week = s.aggregator().account_health(AS_OF, AccountHealthPolicy(pcr_window_days=30))["s1"]
    assert week.band is HealthBand.SUSPENSION_RISK  # 5 % is twice the 2.5 % target
    tracking = Shop()
    _orders(tracking, 19, "ok", day=AS_OF)
    tracking.order("untracked", day=AS_OF, tracking=False)  # exactly 95 % valid: the target is "above 95 %"
    assert tracking.aggregator().account_health(AS_OF)["s1"].ratings[M.VALID_TRACKING_RATE] == 199


def test_account_health_policy_is_validated() -> None:
    with pytest.raises(ConfigurationError, match="overlap"):
        AccountHealthPolicy(healthy_from=100, at_risk_from=100)
    with pytest.raises(ConfigurationError):
        AccountHealthPolicy(odr_window_days=0)
    with pytest.raises(ConfigurationError):
        AccountHealthPolicy(odr_target=Decimal("1.5"))
    with pytest.raises(ConfigurationError):
        AccountHealthPolicy(odr_target=0)
    assert AccountHealthPolicy(odr_target=0.02).odr_target == Decimal("0.02")


def test_colour_needs_ten_completed_sales() -> None:
    s = Shop()
    _orders(s, 9, "ok", day=AS_OF - timedelta(days=100))
    s.order("cancelled", day=AS_OF - timedelta(days=100), cancelled="pre")
    level = s.aggregator().colour_levels(AS_OF)["s1"]
    assert (level.colour, level.completed_sales, level.window_days) == (None, 9, 365)
    s.order("tenth", day=AS_OF - timedelta(days=100))
    for source in sources(s.facts):
        level = source.colour_levels(AS_OF)["s1"]
        assert level.completed_sales == 10
        assert level.colour == "red"  # 1 cancellation in 11 orders = 9.1 %: beyond orange's 4 %


def test_colour_levels_by_thresholds_and_volume_window() -> None:
    policy = ColourLevelPolicy()
    s = Shop()
    _orders(s, 200, "ok", day=AS_OF)
    s.claim("ok0", "C0", buyer="b-ok0")
    s.claim("ok1", "C1", buyer="b-ok1")  # 2/200 = 1 %: exactly green's maximum
    level = s.aggregator().colour_levels(AS_OF, policy)["s1"]
    assert (level.colour, level.window_days) == ("green", 60)
    s.claim("ok2", "C2", buyer="b-ok2")  # 1.5 %: light green
    assert s.aggregator().colour_levels(AS_OF, policy)["s1"].colour == "light_green"
    _orders(s, 30, "late", day=AS_OF, shipped="late")  # delayed 30/230 = 13 %: yellow
    assert s.aggregator().colour_levels(AS_OF, policy)["s1"].colour == "yellow"
    small = Shop()
    _orders(small, 39, "ok", day=AS_OF)
    _orders(small, 20, "old", day=AS_OF - timedelta(days=200), stars=1)
    assert small.aggregator().colour_levels(AS_OF)["s1"].window_days == 365  # 39 sales in 60 days
    small.order("fortieth", day=AS_OF)
    assert small.aggregator().colour_levels(AS_OF)["s1"].window_days == 60


def test_red_when_no_colour_is_met() -> None:
    s = Shop()
    _orders(s, 10, "ok", day=AS_OF)
    _orders(s, 2, "gone", day=AS_OF, cancelled="pre")  # 2/12 cancelled
    assert s.aggregator().colour_levels(AS_OF)["s1"].colour == "red"


def test_colour_policy_is_validated() -> None:
    with pytest.raises(ConfigurationError, match="overlap"):
        ColourLevelPolicy(
            colours=(ColourThreshold("green", "0.02", "0.01", "0.1"), ColourThreshold("yellow", "0.02", "0.02", "0.2"))
        )
    with pytest.raises(ConfigurationError):
        ColourLevelPolicy(short_window_days=0)
    with pytest.raises(ConfigurationError):
        ColourLevelPolicy(short_window_days=365, long_window_days=60)
    with pytest.raises(ConfigurationError):
        ColourLevelPolicy(colours=())
    with pytest.raises(ConfigurationError):
        ColourLevelPolicy(worst="green")


def test_tiers_need_enough_affected_buyers_to_demote() -> None:
    s = Shop()
    _orders(s, 10, "ok", day=AS_OF)
    _orders(s, 3, "gone", day=AS_OF, cancelled="pre")  # 3/13 = 23 % but only 3 distinct buyers
    for source in sources(s.facts):
        level = source.tiered_levels(AS_OF)["s1"]
        assert (level.tier, level.figure.affected_buyers, level.window_days) == (Tier.TOP, 3, 365)
    s.order("fourth", day=AS_OF, cancelled="pre")
    assert s.aggregator().tiered_levels(AS_OF)["s1"].tier is Tier.STANDARD
    s.order("fifth", day=AS_OF, cancelled="pre")
    assert s.aggregator().tiered_levels(AS_OF)["s1"].tier is Tier.BELOW
    same_buyer = Shop()
    _orders(same_buyer, 10, "ok", day=AS_OF)
    _orders(same_buyer, 6, "gone", day=AS_OF, cancelled="pre", buyer="one-buyer")
    assert same_buyer.aggregator().tiered_levels(AS_OF)["s1"].tier is Tier.TOP


def test_tiers_at_the_rate_thresholds_and_the_volume_window() -> None:
    s = Shop()
    _orders(s, 995, "ok", day=AS_OF)
    _orders(s, 5, "gone", day=AS_OF, cancelled="pre")  # exactly 0.5 % of 1000
    level = s.aggregator().tiered_levels(AS_OF)["s1"]
    assert (level.tier, level.window_days, level.transactions) == (Tier.TOP, 90, 1000)
    s.order("sixth", day=AS_OF, cancelled="pre")
    assert s.aggregator().tiered_levels(AS_OF)["s1"].tier is Tier.STANDARD
    few = Shop()
    _orders(few, 399, "ok", day=AS_OF)
    assert few.aggregator().tiered_levels(AS_OF)["s1"].window_days == 365
    few.order("400th", day=AS_OF)
    assert few.aggregator().tiered_levels(AS_OF)["s1"].window_days == 90


def test_tier_policy_is_validated() -> None:
    with pytest.raises(ConfigurationError, match="overlap"):
        TieredLevelPolicy(top_max_rate="0.02", standard_max_rate="0.02")
    with pytest.raises(ConfigurationError):
        TieredLevelPolicy(short_window_days=0)
    with pytest.raises(ConfigurationError):
        TieredLevelPolicy(top_min_buyers=0)


# -- estimates -----------------------------------------------------------------------------------------


def test_wilson_and_beta_estimates_by_hand() -> None:
    assert wilson_lower_bound(3, 3) == pytest.approx(0.4385, abs=1e-4)
    assert wilson_lower_bound(2970, 3000) == pytest.approx(0.9857, abs=1e-3)
    assert wilson_upper_bound(0, 10) == pytest.approx(0.2775, abs=1e-4)
    assert wilson_lower_bound(0, 0) == 0.0 and wilson_upper_bound(0, 0) == 1.0
    assert beta_estimate(3, 0) == 0.8
    assert beta_estimate(0, 0) == 0.5
    assert beta_estimate(2970, 30) == pytest.approx(2971 / 3002)
    with pytest.raises(ValidationError):
        wilson_lower_bound(4, 3)
    with pytest.raises(ValidationError):
        wilson_lower_bound(1, 3, confidence=1.0)


def test_ranking_is_fair_to_small_and_large_sellers() -> None:
    figures = {
        "tiny": Figure(M.ORDER_DEFECT_RATE, 3, 0, 0),
        "large": Figure(M.ORDER_DEFECT_RATE, 3000, 30, 30),
        "bad": Figure(M.ORDER_DEFECT_RATE, 100, 60, 60),
    }
    assert [r.seller_id for r in rank(figures)] == ["large", "tiny", "bad"]
    assert [round(r.score, 3) for r in rank(figures, method="beta")] == [0.99, 0.8, 0.402]
    with pytest.raises(ValidationError):
        rank(figures, method="median")  # type: ignore[arg-type]


def test_sources_rank_sellers(shop: Shop) -> None:
    other = Shop("s2")
    _orders(other, 30, "ok")
    ranked = ReputationAggregator()
    ranked.extend(shop.facts + other.facts)
    assert [r.seller_id for r in ranked.rank(M.ORDER_DEFECT_RATE, AS_OF)] == ["s2", "s1"]
    assert ranked.rank("order_defect_rate", AS_OF, method="beta")[0].to_record()["good"] == 30
    with pytest.raises(ValidationError, match="Unknown metric"):
        ranked.rank("happiness", AS_OF)


# -- explanations and what-ifs ---------------------------------------------------------------------


def test_explanations_list_raw_and_counted_items_with_reasons(shop: Shop) -> None:
    for source in sources(shop.facts):
        explanation = source.explain("s1", M.ORDER_DEFECT_RATE, AS_OF)
        assert counts(explanation.figure) == EXPECTED[M.ORDER_DEFECT_RATE]
        assert [(i.order_id, i.kind, i.excluded_by) for i in explanation.items] == [
            ("o10", "claim", None),
            ("o11", "negative_feedback", "buyers_mistake"),
            ("o7", "negative_feedback", None),
            ("o7", "claim", None),
            ("o8", "claim", "resolved_within_72h"),
            ("o9", "chargeback", "platform_incident"),
        ]
        assert explanation.order_ids(counted=True) == ("o10", "o7")
        assert explanation.case_ids(counted=False) == ("C8",)
        assert len(explanation.base) == 12
        records = explanation.to_records()
        assert records[1]["excluded_by"] == "buyers_mistake" and records[1]["counted"] is False
        response = source.explain("s1", M.RESPONSE_WITHIN_24H_RATE, AS_OF)
        assert response.base == ("C10", "C7", "C8")
        assert [i.case_id for i in response.items] == ["C10"]


def _defect_shop(orders: int, claims: int, feedback: int) -> Shop:
    s = Shop()
    for i in range(orders):
        s.order(f"o{i:03d}", stars=1 if claims <= i < claims + feedback else None)
        if i < claims:
            s.claim(f"o{i:03d}", f"C{i}", reason="damaged_goods")
    return s


def test_what_if_resolving_claims_within_72h() -> None:
    s = _defect_shop(450, 2, 4)  # 6 defective orders of 450 = 1.3 %
    for source in sources(s.facts):
        answer = source.what_if("s1", ResolveWithin72h(["C0", "C1"]), M.ORDER_DEFECT_RATE, AS_OF)
        assert (answer.before.counted, answer.after.counted) == (6, 4)
        assert answer.sentence() == "Resolving 2 claims within 72 h would take the order defect rate from 1.3 % to 0.9 %."
        assert answer.to_record()["after"] == pytest.approx(4 / 450)
        single = source.what_if("s1", ResolveWithin72h("C0"), M.ORDER_DEFECT_RATE, AS_OF)
        assert single.sentence().startswith("Resolving 1 claim within 72 h")


def test_what_if_sentences_for_each_change() -> None:
    s = Shop()
    s.order("late", shipped="late", tracking=False, stars=1)
    s.order("gone", cancelled="pre")
    s.order("ok")
    s.claim("ok", "C1", response="late")
    aggregator = s.aggregator()
    cases: list[tuple[Any, Metric, str]] = [
        (ShipOnTime(["late"]), M.LATE_SHIPMENT_RATE, "Shipping 1 order on time would take the late shipment rate from 50.0 % to 0.0 %."),
        (AddValidTracking(["late"]), M.VALID_TRACKING_RATE, "Valid tracking on 1 shipment would take the valid tracking rate from 50.0 % to 100.0 %."),
        (RemoveFeedback(["late"]), M.ORDER_DEFECT_RATE, "Removing the feedback on 1 order would take the order defect rate from 66.7 % to 33.3 %."),
        (AnswerWithin24h(["C1"]), M.RESPONSE_WITHIN_24H_RATE, "Answering 1 claim within 24 h would take the response within 24 h rate from 0.0 % to 100.0 %."),
        (ExcuseOrders(["gone"], reason="platform_incident"), M.CANCELLATIONS_RATE, "Excusing 1 order for platform_incident would take the cancellations rate from 33.3 % to 0.0 %."),
        (AddOrders(3), M.CANCELLATIONS_RATE, "3 more orders without a defect would take the cancellations rate from 33.3 % to 16.7 %."),
        (ShipOnTime(["ok"]), M.LATE_SHIPMENT_RATE, "These changes would leave the late shipment rate at 50.0 %."),
    ]
    for change, metric, sentence in cases:
        assert aggregator.what_if("s1", change, metric, AS_OF).sentence() == sentence
    both = aggregator.what_if("s1", [ShipOnTime(["late"]), AddOrders(2)], M.LATE_SHIPMENT_RATE, AS_OF)
    assert both.sentence() == "These 2 changes would take the late shipment rate from 50.0 % to 0.0 %."
    with pytest.raises(ValidationError):
        aggregator.what_if("s1", [], M.LATE_SHIPMENT_RATE, AS_OF)


def test_what_if_shows_more_decimals_when_one_is_not_enough() -> None:
    s = _defect_shop(1000, 0, 3)
    answer = s.aggregator().what_if("s1", AddOrders(1), M.ORDER_DEFECT_RATE, AS_OF)
    assert answer.sentence() == "1 more order without a defect would take the order defect rate from 0.3000 % to 0.2997 %."


# -- the flags helpers and the columnar tables -------------------------------------------------------


def test_flags_helpers_round_trip() -> None:
    flags = flags_of(shipped=True, shipped_late=True, valid_tracking=True, stars=4, chargeback=True)
    assert flags & OrderFlag.SHIPPED and flags & OrderFlag.CHARGEBACK and not flags & OrderFlag.CANCELLED
    assert stars_of(flags) == 4
    with pytest.raises(ValueError):
        flags_of(stars=7)


def test_tables_from_columns_and_back(shop: Shop) -> None:
    batch = BatchReputation.from_facts(shop.facts)
    orders = OrderTable.from_columns(**{k: [r[k] for r in batch.orders.to_records()] for k in ("order_id", "seller_id", "buyer_id", "order_date", "flags")},
                                     exclusions={r["order_id"]: r["exclusions"] for r in batch.orders.to_records() if r["exclusions"]})
    claim_records = batch.claims.to_records()
    claims = ClaimTable.from_columns(**{k: [r[k] for r in claim_records] for k in claim_records[0]})
    again = BatchReputation(orders, claims)
    assert again.metrics(AS_OF).to_records() == batch.metrics(AS_OF).to_records()


def test_tables_refuse_bad_columns() -> None:
    base: dict[str, Any] = {"order_id": ["o1", "o2"], "seller_id": ["s", "s"], "buyer_id": ["b", "b"], "order_date": [DAY, DAY], "flags": [1, 1]}
    with pytest.raises(ValidationError, match="appears twice"):
        OrderTable.from_columns(**{**base, "order_id": ["o1", "o1"]})
    with pytest.raises(ValidationError, match="one value per row"):
        OrderTable.from_columns(**{**base, "flags": [1]})
    with pytest.raises(ValidationError, match="cannot be excluded"):
        OrderTable.from_columns(**base, exclusions={"o1": {"shipment": "weather"}})
    with pytest.raises(ValidationError, match="not in the table"):
        BatchReputation(OrderTable.from_columns(**base, exclusions={"o9": {"order": "weather"}}))
    claim = {"case_id": ["C"], "order_id": ["o1"], "seller_id": ["s"], "buyer_id": ["b"], "reason": ["other"], "outcome": ["open"],
             "resolved_within_72h": [False], "response": ["in_time"]}
    with pytest.raises(ValidationError, match="outcome"):
        ClaimTable.from_columns(**{**claim, "outcome": ["lost"]})
    with pytest.raises(ValidationError, match="72 h"):
        ClaimTable.from_columns(**{**claim, "resolved_within_72h": [True]})
    with pytest.raises(FactConflict):
        BatchReputation(OrderTable.from_columns(**base), ClaimTable.from_columns(**{**claim, "seller_id": ["other"]}))


# -- claim facts from the activity log --------------------------------------------------------------

CUSTOMER = Actor.customer("c1")
MERCHANT = Actor.merchant("m1", store_id="s1")
PLATFORM = Actor.platform("p1")
SYSTEM = Actor.system()


class Log:
    """Builds a complaint's activity log by hand (kinds as strings, tolerant of new ones)."""

    def __init__(self, *, review: bool = True, reason: str = "product_defect") -> None:
        status = "under_platform_review" if review else "waiting_for_merchant_response"
        self.events: list[CaseEvent] = []
        self.add(
            "complaint_opened",
            CUSTOMER,
            0,
            {"store_id": "s1", "customer_id": "c1", "order_id": "o1", "reason": reason, "description": "x", "status": status},
        )

    def add(self, kind: str, actor: Actor, hours: float, payload: dict[str, Any] | None = None) -> Log:
        self.events.append(CaseEvent("K1", len(self.events) + 1, EventKind(kind), actor, T0 + timedelta(hours=hours), payload or {}))
        return self

    def reply(self, actor: Actor, hours: float, **payload: Any) -> Log:
        return self.add("message_added", actor, hours, {"message_id": f"m{len(self.events)}", "body": "hi", **payload})

    def close(self, actor: Actor, hours: float, **payload: Any) -> Log:
        return self.add("case_closed", actor, hours, {"status": "closed", "resolution": None, **payload})


def _kind(*names: str) -> str | None:
    return next((n for n in names if n in {k.value for k in EventKind}), None)


PROPOSE = _kind("offer_proposed", "resolution_proposed")
ACCEPT = _kind("offer_accepted", "resolution_accepted")


def test_claim_from_a_log_answered_in_time_and_withdrawn_within_72h() -> None:
    log = Log().add("review_passed", PLATFORM, 5, {"status": "waiting_for_merchant_response"})
    log.reply(MERCHANT, 5 + 23.9).close(CUSTOMER, 71.9)
    fact = claim_from_events(log.events)
    assert fact is not None
    assert (fact.seller_id, fact.buyer_id, fact.order_id, fact.reason) == ("s1", "c1", "o1", "product_defect")
    assert (fact.outcome, fact.resolved_within_72h, fact.response) == (ClaimOutcome.WITHDRAWN, True, ResponseState.IN_TIME)
    assert fact.fact_id.startswith("K1@4@")
    assert not fact.closed_without_seller_resolution


@pytest.mark.parametrize(
    ("build", "response"),
    [
        (lambda log: log.reply(MERCHANT, 24), ResponseState.LATE),  # exactly 24 h: late (half-open)
        (lambda log: log.reply(MERCHANT, 5, internal=True).reply(MERCHANT, 30), ResponseState.LATE),  # a note is no answer
        (lambda log: log.reply(MERCHANT, 1, automatic=True), ResponseState.PENDING),  # an automatic reply is no answer
        (lambda log: log.reply(CUSTOMER, 2), ResponseState.PENDING),
        (lambda log: log.close(CUSTOMER, 3), ResponseState.NOT_DUE),  # closed before the deadline
        (lambda log: log.close(CUSTOMER, 30), ResponseState.LATE),
        (lambda log: log.add("complaint_disputed", MERCHANT, 23), ResponseState.IN_TIME),
    ],
)
def test_first_response_rules(build: Callable[[Log], Log], response: ResponseState) -> None:
    log = build(Log(review=False))
    fact = claim_from_events(log.events)
    assert fact is not None and fact.response is response


def test_pending_responses_turn_late_once_the_deadline_passes() -> None:
    log = Log(review=False)
    assert claim_from_events(log.events, as_of=T0 + timedelta(hours=23)).response is ResponseState.PENDING  # type: ignore[union-attr]
    late = claim_from_events(log.events, as_of=T0 + timedelta(hours=24))
    assert late is not None and late.response is ResponseState.LATE
    earlier = claim_from_events(log.events, as_of=T0 + timedelta(hours=23))
    assert earlier is not None and late.supersedes(earlier)
    under_review = claim_from_events(Log().events, as_of=T0 + timedelta(days=9))
    assert under_review is not None and under_review.response is ResponseState.NOT_DUE


def test_resolution_within_72h_is_half_open() -> None:
    on_time = claim_from_events(Log(review=False).close(MERCHANT, 71.99).events)
    exactly = claim_from_events(Log(review=False).close(MERCHANT, 72).events)
    assert on_time is not None and exactly is not None
    assert on_time.outcome is ClaimOutcome.RESOLVED_BY_SELLER and on_time.resolved_within_72h
    assert not exactly.resolved_within_72h


def test_an_automatic_close_is_a_withdrawal_and_the_sla_verdict_on_time_wins() -> None:
    idle = claim_from_events(Log(review=False).reply(MERCHANT, 1).close(SYSTEM, 200, automatic=True, reason="inactivity").events)
    assert idle is not None and idle.outcome is ClaimOutcome.WITHDRAWN and not idle.resolved_within_72h
    paused = claim_from_events(Log(review=False).reply(MERCHANT, 1).close(CUSTOMER, 100, resolved_in_time=True).events)
    assert paused is not None and paused.resolved_within_72h
    late = claim_from_events(Log(review=False).reply(MERCHANT, 1).close(CUSTOMER, 10, resolved_in_time=False).events)
    assert late is not None and not late.resolved_within_72h
    system = claim_from_events(Log(review=False).close(SYSTEM, 10).events)
    assert system is not None and system.outcome is ClaimOutcome.RESOLVED_BY_PLATFORM


def test_outcomes_from_the_closing_event() -> None:
    by_platform = claim_from_events(Log(review=False).close(PLATFORM, 10).events)
    denied = claim_from_events(Log(review=False).close(PLATFORM, 10, outcome="denied").events)
    escalated = claim_from_events(Log(review=False).reply(CUSTOMER, 1, escalated=True).events)
    assert by_platform is not None and by_platform.closed_without_seller_resolution
    assert not by_platform.resolved_within_72h
    assert denied is not None and denied.outcome is ClaimOutcome.DENIED
    assert escalated is not None and escalated.escalated and escalated.outcome is ClaimOutcome.OPEN


@pytest.mark.skipif(PROPOSE is None or ACCEPT is None, reason="no proposal events in this version")
@pytest.mark.parametrize(("proposer", "outcome"), [(MERCHANT, ClaimOutcome.RESOLVED_BY_SELLER), (PLATFORM, ClaimOutcome.RESOLVED_BY_PLATFORM)])
def test_an_accepted_proposal_decides_who_resolved_it(proposer: Actor, outcome: ClaimOutcome) -> None:
    assert PROPOSE is not None and ACCEPT is not None
    ref = {"offer_id": "X1", "proposal_id": "X1"}
    log = Log(review=False).add(PROPOSE, proposer, 2, ref).add(ACCEPT, CUSTOMER, 3, ref).close(CUSTOMER, 3)
    fact = claim_from_events(log.events)
    assert fact is not None and fact.outcome is outcome
    assert fact.response is (ResponseState.IN_TIME if proposer is MERCHANT else ResponseState.NOT_DUE)


def test_tickets_and_bad_logs() -> None:
    ticket = CaseEvent(
        "T1", 1, EventKind.TICKET_OPENED, CUSTOMER, T0, {"store_id": "s1", "customer_id": "c1", "ticket_type": "x", "description": "d", "status": "s"}
    )
    assert claim_from_events([ticket]) is None
    with pytest.raises(ValidationError):
        claim_from_events([])
    with pytest.raises(ValidationError):
        claim_from_events(Log().events[:0] + [Log().reply(MERCHANT, 1).events[1]])


def test_claims_from_a_running_application(app: ResolveKit, order: Order, customer: Customer, buyer: Actor, merchant: Actor, platform: Actor, clock: Any) -> None:
    opened = app.open_complaint(buyer, order=order, customer=customer, reason="damaged_goods", description="Cracked.", declaration_accepted=True)
    case_id = opened.case.id
    app.pass_review(platform, case_id)
    clock.advance(timedelta(hours=3))
    app.reply(merchant, case_id, "Sorry, we will help.")
    clock.advance(timedelta(hours=2))
    app.close(buyer, case_id, confirmed=True)
    fact = claim_from_events(app.activity(platform, case_id), as_of=app.now())
    assert fact is not None
    assert (fact.seller_id, fact.order_id, fact.reason) == (order.store_id, order.id, "damaged_goods")
    assert (fact.outcome, fact.resolved_within_72h, fact.response) == (ClaimOutcome.WITHDRAWN, True, ResponseState.IN_TIME)
    aggregator = ReputationAggregator()
    aggregator.add(fact)
    assert aggregator.pending() == [order.id]
    aggregator.add(
        OrderFact.placed("p", seller_id=order.store_id, order_id=order.id, buyer_id=customer.id, order_date=order.created_at, at=order.created_at)
    )
    figure = aggregator.figure(order.store_id, M.CLAIMS_RATE, order.created_at)
    assert counts(figure) == (1, 1, 0)


def test_the_application_lists_claim_facts_within_tenancy(
    app: ResolveKit, order: Order, customer: Customer, buyer: Actor, merchant: Actor, other_merchant: Actor, platform: Actor, clock: Any
) -> None:
    case_id = app.open_complaint(
        buyer, order=order, customer=customer, reason="missing_parts", description="No lid.", declaration_accepted=True
    ).case.id
    app.pass_review(platform, case_id)
    assert [f.response for f in app.claim_facts(platform)] == [ResponseState.PENDING]
    clock.advance(timedelta(hours=25))
    facts = app.claim_facts(merchant)
    assert [(f.case_id, f.reason, f.response) for f in facts] == [(case_id, "missing_parts", ResponseState.LATE)]
    assert app.claim_facts(other_merchant) == []
    assert app.claim_facts(platform, store_id="store-2") == []
    earlier = app.claim_facts(platform, as_of=app.now() - timedelta(hours=2))
    assert earlier[0].response is ResponseState.PENDING and facts[0].supersedes(earlier[0])


def test_explanations_follow_facts_added_after_the_first_explanation() -> None:
    s = Shop()
    s.order("o1", stars=1)
    aggregator = s.aggregator()
    assert aggregator.explain("s1", M.ORDER_DEFECT_RATE, AS_OF).order_ids() == ("o1",)
    aggregator.extend(s.order("o2", chargeback=True) + Shop("s2").order("o3", stars=2))
    assert aggregator.explain("s1", M.ORDER_DEFECT_RATE, AS_OF).order_ids() == ("o1", "o2")
    assert aggregator.explain("s2", M.ORDER_DEFECT_RATE, AS_OF).base == ("o3",)


def test_fact_ids_are_per_order_and_a_resent_older_fact_is_still_a_duplicate() -> None:
    kw: dict[str, Any] = {"seller_id": "s1", "buyer_id": "b1", "order_date": DAY}
    aggregator = ReputationAggregator()
    assert aggregator.add(OrderFact.placed("placed", order_id="o1", at=T0, **kw))
    assert aggregator.add(OrderFact.placed("placed", order_id="o2", at=T0, **kw))  # same id, another order
    old = OrderFact.feedback("fb-1", order_id="o1", at=T0, stars=1, **kw)
    new = OrderFact.feedback("fb-2", order_id="o1", at=T0 + timedelta(hours=1), stars=4, **kw)
    older = OrderFact.feedback("fb-0", order_id="o1", at=T0 - timedelta(hours=1), stars=2, **kw)
    assert aggregator.extend([old, new, older]) == 3
    assert [aggregator.add(f) for f in (old, new, older)] == [False, False, False]
    assert len(aggregator) == 5
    assert counts(aggregator.figure("s1", M.ORDER_DEFECT_RATE, AS_OF)) == (2, 0, 0)
