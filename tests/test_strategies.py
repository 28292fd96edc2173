"""Hypothesis strategies: valid values built through resolvekit's own commands, validated arguments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from resolvekit import Complaint, Customer, Offer, Order, ResolveKit, ResolveKitError, Store
from resolvekit.testing import ManualClock
from resolvekit.testing import strategies as rks

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(rks.orders(statuses=["delivered", "completed"], min_items=1, max_items=4))
def test_orders_add_up(order: Order) -> None:
    assert order.total_paid == sum(i.unit_price * i.quantity for i in order.items)
    assert order.status in ("delivered", "completed") and 1 <= len(order.items) <= 4
    assert order.total_paid.as_tuple().exponent == -2


@FEW
@given(rks.complaints(reviewed=True, max_replies=2))
def test_complaints_are_what_the_commands_make(complaint: Complaint) -> None:
    assert complaint.status in ("waiting_for_merchant_response", "waiting_for_customer_response")
    assert complaint.order is not None and complaint.order.customer_id == complaint.customer_id
    assert len(complaint.messages) <= 2
    assert complaint.version == 2 + len(complaint.messages)


@FEW
@given(rks.offers())
def test_offers_are_proposed_within_what_the_order_allows(offer: Offer) -> None:
    assert offer.status == "proposed"
    if offer.amount is not None and offer.moves_money:
        assert Decimal(0) < offer.amount.amount


@FEW
@given(st.from_type(Complaint), st.from_type(Offer), st.from_type(Store), st.from_type(Customer))
def test_from_type_works_through_the_hypothesis_entry_point(complaint: Any, offer: Any, store: Any, customer: Any) -> None:
    assert isinstance(complaint, Complaint) and isinstance(offer, Offer)
    assert isinstance(store, Store) and isinstance(customer, Customer)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rks.command_sequences(max_size=8))
def test_any_command_sequence_is_accepted_or_refused_cleanly(steps: list[rks.Step]) -> None:
    clock = ManualClock()
    app = ResolveKit(storage="memory://", clock=clock)
    world = rks.World.default(clock=clock)
    outcomes = rks.run_steps(app, steps, world)
    assert len(outcomes) == len(steps)
    assert world.case_id is not None
    log = app.activity(world.platform, world.case_id)
    case = app.get_case(world.platform, world.case_id)
    assert [e.version for e in log] == list(range(1, case.version + 1))
    assert not any(m.internal for m in app.get_case(world.buyer, world.case_id).messages)
    assert all(o is None or isinstance(o, ResolveKitError) or o.case.id == world.case_id for o in outcomes)


@pytest.mark.parametrize(
    "make",
    [
        lambda: rks.orders(min_items=3, max_items=1),
        lambda: rks.orders(currency="XX"),
        lambda: rks.orders(statuses="delivered"),
        lambda: rks.orders(statuses=[]),
        lambda: rks.complaints(reasons=["no-such-reason"]),
        lambda: rks.complaints(reviewed="yes"),
        lambda: rks.complaints(max_replies=-1),
        lambda: rks.offers(kinds=["bitcoin"]),
        lambda: rks.stores(self_service=1),
        lambda: rks.actors(roles=["king"]),
        lambda: rks.command_sequences(commands=["explode"]),
        lambda: rks.command_sequences(min_size=5, max_size=2),
    ],
)
def test_bad_arguments_fail_at_once(make: Any) -> None:
    with pytest.raises(InvalidArgument):
        make()


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        rks.orders("store-1")  # type: ignore[misc]


def test_the_storage_conformance_suite_is_exported_here_too() -> None:
    from resolvekit.testing.conformance import StorageConformance

    assert rks.StorageConformance is StorageConformance
    assert "StorageConformance" in rks.__all__


def test_the_setup_hook_is_registered_through_the_hypothesis_entry_point() -> None:
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="hypothesis")}
    assert found.get("resolvekit") == "resolvekit.testing._hypothesis_hook:_hypothesis_setup_hook"


@pytest.mark.parametrize("first", ["hypothesis", "resolvekit.testing.strategies"])
def test_hypothesis_and_the_strategies_import_in_either_order(first: str) -> None:
    import subprocess
    import sys

    probe = (
        f"import {first}; from hypothesis import strategies as st; import resolvekit.testing.strategies; "
        "from resolvekit import Complaint; print(type(st.from_type(Complaint).example()).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "Complaint", done.stderr
