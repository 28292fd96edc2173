"""Reputation properties: incremental equals batch for any facts in any order; duplicates never count
twice; exclusions never raise a counted rate; an order without a defect never worsens a rate;
explanations add up to their figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit.reputation import (
    DEFAULT_EXCLUSIONS,
    BatchReputation,
    ClaimFact,
    Metric,
    OrderFact,
    ReputationAggregator,
    ReputationPolicy,
)

AS_OF = date(2026, 11, 2)
T0 = datetime(2026, 10, 1, tzinfo=UTC)
WINDOWS = (1, 7, 30, 60, 365)
REASONS = ("product_defect", "damaged_goods", "buyers_remorse", "missing_parts", "other")
OUTCOMES = ("open", "resolved_by_seller", "resolved_by_platform", "withdrawn", "denied")
RESPONSES = ("not_due", "pending", "in_time", "late")
EXCUSES = (None, None, None, "buyers_mistake", "platform_incident", "weather")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Fact = OrderFact | ClaimFact


@st.composite
def histories(draw: st.DrawFn, max_orders: int = 10) -> list[Fact]:
    """Facts about a few orders of up to three sellers: any mix, repeated kinds, claims with
    several versions, orders never placed, times that tie."""
    sellers = ["s1", "s2", "s3"][: draw(st.integers(1, 3))]
    facts: list[Fact] = []
    n = 0

    def fid() -> str:
        nonlocal n
        n += 1
        return f"f{n}"

    def at() -> datetime:
        return T0 + timedelta(hours=draw(st.integers(0, 5)))

    for i in range(draw(st.integers(0, max_orders))):
        kw: dict[str, Any] = {
            "seller_id": draw(st.sampled_from(sellers)),
            "order_id": f"o{i}",
            "buyer_id": draw(st.sampled_from(["b1", "b2", "b3", "b4"])),
            "order_date": AS_OF - timedelta(days=draw(st.integers(-2, 400))),
        }
        if draw(st.integers(0, 9)):
            facts.append(OrderFact.placed(fid(), at=at(), **kw))
        for _ in range(draw(st.integers(0, 2))):
            facts.append(OrderFact.shipped(fid(), at=at(), on_time=draw(st.booleans()), valid_tracking=draw(st.booleans()), **kw))
        if draw(st.integers(0, 5)) == 0:
            facts.append(OrderFact.cancelled(fid(), at=at(), pre_fulfilment=draw(st.booleans()), exclusion=draw(st.sampled_from(EXCUSES)), **kw))
        if draw(st.booleans()):
            facts.append(
                OrderFact.delivered(
                    fid(),
                    at=at(),
                    on_time=draw(st.booleans()),
                    carrier_delay=draw(st.booleans()),
                    exclusion=draw(st.sampled_from(EXCUSES)),
                    **kw,
                )
            )
        for _ in range(draw(st.integers(0, 2))):
            facts.append(OrderFact.feedback(fid(), at=at(), stars=draw(st.integers(1, 5)), exclusion=draw(st.sampled_from(EXCUSES)), **kw))
        if draw(st.integers(0, 4)) == 0:
            facts.append(OrderFact.chargeback(fid(), at=at(), exclusion=draw(st.sampled_from(EXCUSES)), **kw))
        if draw(st.integers(0, 5)) == 0:
            facts.append(OrderFact.excused(fid(), at=at(), exclusion=draw(st.sampled_from(EXCUSES[3:])), **kw))
        for c in range(draw(st.integers(0, 2))):
            for version in sorted(draw(st.sets(st.integers(1, 6), min_size=1, max_size=2))):
                outcome = draw(st.sampled_from(OUTCOMES))
                facts.append(
                    ClaimFact(
                        fact_id=fid(),
                        case_id=f"o{i}-c{c}",
                        seller_id=kw["seller_id"],
                        order_id=kw["order_id"],
                        buyer_id=kw["buyer_id"],
                        reason=draw(st.sampled_from(REASONS)),
                        opened_at=T0,
                        version=version,
                        evaluated_at=at(),
                        outcome=outcome,
                        resolved_within_72h=outcome in ("resolved_by_seller", "withdrawn") and draw(st.booleans()),
                        response=draw(st.sampled_from(RESPONSES)),
                        escalated=draw(st.booleans()),
                        closed_at=None if outcome == "open" else T0 + timedelta(hours=9),
                        order_date=kw["order_date"] if draw(st.booleans()) else None,
                    )
                )
    return facts


def everything(source: Any) -> dict[str, Any]:
    """Every answer a source gives, as plain data."""
    return {
        "metrics": {days: source.metrics(AS_OF, days).to_records() for days in WINDOWS},
        "health": {s: h.to_record() for s, h in source.account_health(AS_OF).items()},
        "colours": {s: c.to_record() for s, c in source.colour_levels(AS_OF).items()},
        "tiers": {s: t.to_record() for s, t in source.tiered_levels(AS_OF).items()},
        "pending": source.pending(),
    }


def aggregate(facts: list[Fact], policy: ReputationPolicy | None = None) -> ReputationAggregator:
    aggregator = ReputationAggregator(policy)
    aggregator.extend(facts)
    return aggregator


@SETTINGS
@given(facts=histories(), data=st.data())
def test_incremental_equals_batch_for_any_order_of_arrival(facts: list[Fact], data: st.DataObject) -> None:
    arrival = data.draw(st.permutations(facts))
    assert everything(aggregate(arrival)) == everything(BatchReputation.from_facts(facts))


@SETTINGS
@given(facts=histories(), data=st.data())
def test_duplicates_never_double_count(facts: list[Fact], data: st.DataObject) -> None:
    repeats = data.draw(st.lists(st.sampled_from(facts), max_size=20)) if facts else []
    mixed = data.draw(st.permutations(facts + repeats))
    aggregator = aggregate(mixed)
    assert len(aggregator) == len(facts)
    assert everything(aggregator) == everything(aggregate(facts)) == everything(BatchReputation.from_facts(mixed))


@SETTINGS
@given(facts=histories(), fewer=st.sets(st.sampled_from(sorted(DEFAULT_EXCLUSIONS | {"weather"}))), more=st.sets(st.sampled_from(sorted(DEFAULT_EXCLUSIONS | {"weather"}))))
def test_exclusions_never_increase_a_counted_rate(facts: list[Fact], fewer: set[str], more: set[str]) -> None:
    narrow = aggregate(facts, ReputationPolicy(exclusions=fewer))
    wide = aggregate(facts, ReputationPolicy(exclusions=fewer | more))
    for days in WINDOWS:
        a, b = narrow.metrics(AS_OF, days), wide.metrics(AS_OF, days)
        assert a.sellers == b.sellers
        for seller in a.sellers:
            for metric in Metric:
                x, y = a.figure(seller, metric), b.figure(seller, metric)
                assert (x.base, x.raw) == (y.base, y.raw)
                assert y.counted <= x.counted <= x.raw
                if x.base:
                    assert (y.exact_rate <= x.exact_rate) != metric.spec.higher_is_better or x.exact_rate == y.exact_rate  # type: ignore[operator]


def _bad_share(figure: Any) -> Fraction:
    return figure.counted_share if figure.base else Fraction(0)


@SETTINGS
@given(facts=histories(), seller=st.sampled_from(["s1", "s2", "s3"]), age=st.integers(0, 59))
def test_adding_an_order_without_defects_never_worsens_a_rate(facts: list[Fact], seller: str, age: int) -> None:
    before = aggregate(facts)
    after = aggregate(facts)
    kw: dict[str, Any] = {"seller_id": seller, "order_id": "fresh", "buyer_id": "b9", "order_date": AS_OF - timedelta(days=age), "at": T0}
    after.extend(
        [
            OrderFact.placed("fresh/p", **kw),
            OrderFact.shipped("fresh/s", on_time=True, valid_tracking=True, **kw),
            OrderFact.delivered("fresh/d", on_time=True, **kw),
            OrderFact.feedback("fresh/f", stars=5, **kw),
        ]
    )
    x, y = before.metrics(AS_OF, 60), after.metrics(AS_OF, 60)
    for metric in Metric:
        old, new = x.figure(seller, metric), y.figure(seller, metric)
        assert (new.raw, new.counted) == (old.raw, old.counted)
        assert _bad_share(new) <= _bad_share(old) or old.base == 0
        assert new.base == old.base + (0 if metric.spec.per_claim else 1)


@SETTINGS
@given(facts=histories())
def test_explanations_add_up_to_their_figures(facts: list[Fact]) -> None:
    for source in (aggregate(facts), BatchReputation.from_facts(facts)):
        report = source.metrics(AS_OF, 90)
        for seller in report.sellers:
            for metric in Metric:
                explanation = source.explain(seller, metric, AS_OF, 90)
                figure = report.figure(seller, metric)
                assert explanation.figure == figure
                assert len(explanation.base) == figure.base
                if metric.spec.per_claim:
                    assert len(explanation.items) == figure.raw == figure.counted
                else:
                    assert len(explanation.order_ids()) == figure.raw
                    assert len(explanation.order_ids(counted=True)) == figure.counted
                assert all(item.excluded_by is None or item.excluded_by in source.policy.exclusions for item in explanation.items)
