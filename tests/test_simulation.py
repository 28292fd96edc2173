"""Policy simulation: seeded histories, replays that agree with the batch reputation, comparisons."""

from __future__ import annotations

import tracemalloc
from datetime import date
from typing import Any

import attrs
import pytest

from resolvekit.errors import ConfigurationError
from resolvekit.reputation import BatchReputation, ClaimTable, OrderTable
from resolvekit.reputation.levels import AccountHealthPolicy
from resolvekit.simulation import (
    POLICIES,
    SLA_FIELDS,
    History,
    SimulationPolicy,
    compare,
    generate_history,
    policy_named,
    replay,
    simulate,
)

SMALL = generate_history(sellers=12, orders=4000, days=70, seed=11)


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    first = list(generate_history(sellers=5, orders=500, days=10, seed=3))
    again = list(generate_history(sellers=5, orders=500, days=10, seed=3))
    other = list(generate_history(sellers=5, orders=500, days=10, seed=4))
    assert first == again
    assert first != other
    assert len(first) == 500
    assert [o.placed_at for o in first] == sorted(o.placed_at for o in first)
    assert {o.placed_at.date() for o in first} == {date(2026, 1, d) for d in range(1, 11)}


def test_a_history_is_realistic() -> None:
    orders = list(SMALL)
    complaints = [o.complaint for o in orders if o.complaint is not None]
    assert 0.01 < len(complaints) / len(orders) < 0.1
    assert len({c.reason for c in complaints}) >= 6
    late = [o for o in orders if o.delivered_late]
    assert sum(o.complaint is not None for o in late) / len(late) > len(complaints) / len(orders)
    assert all(o.cancel_hours is None or o.ship_hours is None for o in orders)
    assert all(o.deliver_hours is None or o.ship_hours is not None and o.deliver_hours > o.ship_hours for o in orders)


@pytest.mark.parametrize(
    "settings",
    [{"sellers": 0}, {"orders": -1}, {"days": 0}, {"complaint_rate": 1.5}, {"reasons": {}}, {"response_hours": 0}, {"colour": "red"}],
)
def test_bad_history_settings_are_refused_with_a_clear_message(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        generate_history(**settings)
    assert next(iter(settings)) in str(caught.value)


def _states_as_of(history: History, policy: SimulationPolicy, every: int) -> tuple[dict[int, dict[str, Any]], list[Any]]:
    """Every order's profile as each snapshot day saw it, from the replay's change hook."""
    changes: list[tuple[int, str, str, str, int, int, tuple[Any, ...]]] = []

    def keep(day: int, order: Any, order_day: int, flags: int, claims: tuple[Any, ...]) -> None:
        changes.append((day, order.order_id, order.seller_id, order.buyer_id, order_day, flags, claims))

    snapshots = list(replay(history, policy, every=every, on_change=keep))
    return {0: {}}, [(s, [c for c in changes if c[0] <= s.as_of.toordinal()]) for s in snapshots]


def _batch_at(changes: list[Any], policy: SimulationPolicy) -> BatchReputation:
    rows: dict[str, Any] = {}
    for _, order_id, seller, buyer, order_day, flags, claims in changes:
        rows[order_id] = (seller, buyer, order_day, flags, claims)
    claim_table = ClaimTable.empty()
    for order_id, (seller, buyer, _, _, claims) in rows.items():
        for case_id, reason, outcome, within, response in claims:
            for column, value in zip(
                ("case_id", "order_id", "seller_id", "buyer_id", "reason", "outcome", "resolved_within_72h", "response"),
                (case_id, order_id, seller, buyer, reason, outcome, within, response),
            ):
                getattr(claim_table, column).append(value)
    values = list(rows.values())
    table = OrderTable(list(rows), [v[0] for v in values], [v[1] for v in values], [v[2] for v in values], [v[3] for v in values], {})
    return BatchReputation(table, claim_table, policy.reputation)


def test_every_snapshot_equals_the_batch_reputation_of_what_was_known_that_day() -> None:
    policy = SimulationPolicy()
    _, snapshots = _states_as_of(SMALL, policy, every=9)
    assert len(snapshots) == 8  # days 9, 18, ..., 63 and the last day, 70
    health = AccountHealthPolicy()
    for snapshot, known in snapshots:
        batch = _batch_at(known, policy)
        report = batch.metrics(snapshot.as_of)
        ratings = batch.account_health(snapshot.as_of)
        assert [r["seller_id"] for r in snapshot.sellers] == report.sellers
        for record in snapshot.sellers:
            for metric, figure in report[record["seller_id"]].items():
                assert record[metric.value] == figure.rate, (snapshot.as_of, record["seller_id"], metric)
            assert record["account_health"] == ratings[record["seller_id"]].rating
        assert snapshot.platform["orders"] == sum(r["orders"] for r in snapshot.sellers)
        assert sum(snapshot.platform[f"sellers_{band}"] for band in ("healthy", "at_risk", "suspension_risk")) == len(ratings)
    assert health.windows  # the snapshot covers the account-health windows too


def test_the_platform_records_hold_every_sla_total_and_add_up() -> None:
    result = simulate(SMALL, "default", every=7)
    assert [r["as_of"] for r in result.platform] == sorted(r["as_of"] for r in result.platform)
    for record in result.platform:
        assert set(SLA_FIELDS) <= set(record)
        closed = record["resolved_by_seller"] + record["resolved_by_platform"] + record["withdrawn"] + record["denied"]
        assert closed == record["complaints_closed"]
    summary = result.summary()
    assert summary["complaints_opened"] >= summary["complaints_closed"] > 0
    assert summary["breaches"] > 0 and summary["warnings"] > 0  # the SLA clocks ran
    assert summary["responses_in_time"] + summary["responses_late"] <= summary["complaints_closed"]
    assert summary["refunded"] > 0


def test_a_longer_response_window_means_fewer_late_answers_and_breaches_on_the_same_history() -> None:
    comparison = compare(SMALL, ["default", "response-48h"])
    default, relaxed = comparison.summary()
    assert relaxed["responses_late"] < default["responses_late"]
    assert relaxed["breaches"] < default["breaches"]
    assert relaxed["complaints_opened"] == default["complaints_opened"]  # the same history


def test_partial_refunds_first_pay_less_but_resolve_fewer_complaints_in_72_hours() -> None:
    default, partial = compare(SMALL, ["default", "partial-refund-first"]).summary()
    assert partial["partial_refunds"] > 0 == default["partial_refunds"]
    assert partial["refunded"] < default["refunded"]
    assert partial["offers_rejected"] > default["offers_rejected"]
    assert partial["resolved_within_72h"] < default["resolved_within_72h"]


def test_escalating_missed_deadlines_sends_cases_to_the_platform() -> None:
    default, strict = compare(SMALL, ["default", "escalate-on-late-response"]).summary()
    assert default["escalated_missed_deadline"] == 0 < strict["escalated_missed_deadline"]
    assert strict["resolved_by_platform"] > default["resolved_by_platform"]


def test_every_ready_made_policy_replays() -> None:
    tiny = generate_history(sellers=3, orders=300, days=15, seed=2)
    comparison = compare(tiny, list(POLICIES), every=5)
    assert comparison.policies == list(POLICIES)
    assert {r["policy"] for r in comparison.platform} == set(POLICIES)


def test_policies_are_looked_up_by_name_with_one_clear_error() -> None:
    assert policy_named("response-48h").reputation.response_hours == 48
    assert policy_named("tests.test_simulation:CUSTOM").name == "custom"
    with pytest.raises(ConfigurationError, match="Unknown policy 'nope'; choose one of default, response-48h"):
        policy_named("nope")
    with pytest.raises(ConfigurationError, match="Cannot load the policy"):
        policy_named("no.such.module:thing")
    with pytest.raises(ConfigurationError, match="each with its own name"):
        compare(SMALL, ["default", "default"])
    with pytest.raises(ConfigurationError):
        SimulationPolicy(first_offer="coupon")
    with pytest.raises(ConfigurationError):
        list(replay(SMALL, every=0))


CUSTOM = SimulationPolicy("custom")


def test_only_the_chosen_sellers_get_records_but_the_platform_covers_everyone() -> None:
    everyone = simulate(SMALL, every=35)
    chosen = simulate(SMALL, every=35, sellers=["seller-03"])
    assert {r["seller_id"] for r in chosen.sellers} == {"seller-03"}
    assert chosen.platform == everyone.platform
    assert chosen.series("order_defect_rate", "seller-03") == everyone.series("order_defect_rate", "seller-03")


def test_dataframes_and_plots_when_pandas_and_matplotlib_are_installed() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    comparison = compare(generate_history(sellers=4, orders=800, days=28, seed=5), ["default", "partial-refund-first"])
    frame = comparison.summary_frame()
    assert list(frame.index) == ["default", "partial-refund-first"]
    assert len(comparison.platform_frame()) == 8 and len(comparison.sellers_frame()) == len(comparison.sellers)
    axes = comparison.plot("order_defect_rate")
    assert [line.get_label() for line in axes.get_lines()] == ["default", "partial-refund-first"]
    axes = comparison.plot("account_health", seller_id="seller-1")
    assert len(axes.get_lines()) == 2


def test_the_replay_keeps_memory_bounded_as_the_history_grows() -> None:
    """Four times the history at the same daily volume: the peak grows far less than fourfold."""

    def peak(orders: int, days: int) -> int:
        history = generate_history(sellers=5, orders=orders, days=days, seed=9)
        tracemalloc.start()
        try:
            for _ in replay(history, every=30):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    short, long = peak(800, 40), peak(3200, 160)
    assert long < 1.6 * short, (short, long)


def test_a_history_is_a_frozen_recipe() -> None:
    history = generate_history(sellers=2, orders=10, days=2)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        history.config = history.config  # type: ignore[misc]
    assert len(history) == 10 and len(history.sellers) == 2
