"""Shared fixtures: a manual clock, an in-memory application, a store's customer, order and actors."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings

from resolvekit import Actor, Customer, Order, OrderItem, ResolveKit
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

# Tests assert behaviour, never speed: no per-example deadline (a loaded CI machine must not turn a
# slow example into a failure), and no health check that measures time.
settings.register_profile("resolvekit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("resolvekit")

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(clock: ManualClock, notifier: RecordingNotifier) -> ResolveKit:
    return ResolveKit(storage="memory://", clock=clock, plugins=[notifier])


@pytest.fixture
def customer() -> Customer:
    return Customer("cust-1", "Noura", email="noura@example.com")


@pytest.fixture
def order(customer: Customer) -> Order:
    return Order(
        id="ord-1",
        number="1001",
        store_id="store-1",
        customer_id=customer.id,
        status="delivered",
        created_at=datetime(2026, 10, 30, 12, 0, tzinfo=UTC),
        total_paid=Decimal("249.00"),
        currency="SAR",
        items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("249.00")),),
    )


@pytest.fixture
def buyer(customer: Customer) -> Actor:
    return Actor.customer(customer.id)


@pytest.fixture
def merchant() -> Actor:
    return Actor.merchant("owner-1", store_id="store-1")


@pytest.fixture
def other_merchant() -> Actor:
    return Actor.merchant("owner-2", store_id="store-2")


@pytest.fixture
def platform() -> Actor:
    return Actor.platform("agent-1")


# -- PostgreSQL: the server of RESOLVEKIT_TEST_POSTGRES_URL, one throw-away schema per test ----------

POSTGRES_URL = os.environ.get("RESOLVEKIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips (never fails) the test when no server is reachable."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'resolvekit[postgres]')")
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL} (set RESOLVEKIT_TEST_POSTGRES_URL): {exc}")
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """``(conninfo, schema)``: a fresh schema name on the test server, dropped after the test."""
    import psycopg

    schema = f"rk_test_{secrets.token_hex(6)}"
    yield postgres_url, schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
