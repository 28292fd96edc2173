"""resolvekit's pytest plugin: fixtures for testing code that embeds resolvekit.

Installed with resolvekit (entry point ``pytest11``), so every test suite of a host gets the fixtures
without importing anything. The plugin module itself imports only pytest (Python also imports the
``resolvekit`` package it lives in, as ``import resolvekit`` would); the application, its storage
and everything else a fixture needs are imported by the fixtures, when a test first asks for one.
All fixtures are prefixed ``resolvekit_``:

========================== ==================================================================
fixture                    what it gives
========================== ==================================================================
``resolvekit_app``         a :class:`~resolvekit.ResolveKit` on ``resolvekit_storage_url``, with
                           the clock, the recording notifier and ``resolvekit_plugins``; shut
                           down after the test
``resolvekit_clock``       a :class:`~resolvekit.testing.ManualClock` at ``resolvekit_start``
``resolvekit_notifier``    a :class:`~resolvekit.plugins.recorder.RecordingNotifier`: what the
                           outbox delivered, after ``resolvekit_app.dispatch()``
``resolvekit_store``       a :class:`~resolvekit.Store` with self-service enabled
``resolvekit_customer``    a :class:`~resolvekit.Customer` of that store, with an email address
``resolvekit_order``       a delivered :class:`~resolvekit.Order` of that customer at that store
``resolvekit_orders``      a factory: ``resolvekit_orders(status="completed", age=timedelta(hours=50))``
``resolvekit_actors``      the customer, the merchant, the platform and another store's merchant
========================== ==================================================================

Configure them by overriding a fixture in your ``conftest.py``:

* ``resolvekit_policy`` (default ``Policy()``), ``resolvekit_storage_url`` (default ``"memory://"``),
  ``resolvekit_plugins`` (default: none besides the recording notifier), ``resolvekit_start`` (the
  clock's start, default 2026-11-02 09:00 UTC) and ``resolvekit_entry_points`` (default ``True``:
  load the installed plugins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from resolvekit import Actor, Customer, Order, Policy, ResolveKit, Store
    from resolvekit.plugins.recorder import RecordingNotifier
    from resolvekit.testing.clock import ManualClock

__all__ = [
    "Actors",
    "resolvekit_actors",
    "resolvekit_app",
    "resolvekit_clock",
    "resolvekit_customer",
    "resolvekit_entry_points",
    "resolvekit_notifier",
    "resolvekit_order",
    "resolvekit_orders",
    "resolvekit_plugins",
    "resolvekit_policy",
    "resolvekit_start",
    "resolvekit_storage_url",
    "resolvekit_store",
]


# -- settings a host overrides --------------------------------------------------------------------


@pytest.fixture
def resolvekit_policy() -> Policy:
    """The :class:`~resolvekit.Policy` of ``resolvekit_app`` (override it to test your rules)."""
    from resolvekit import Policy

    return Policy()


@pytest.fixture
def resolvekit_storage_url() -> str:
    """The storage URL of ``resolvekit_app`` (default ``"memory://"``; e.g. a SQLite file in ``tmp_path``)."""
    return "memory://"


@pytest.fixture
def resolvekit_plugins() -> Sequence[object]:
    """Plugins registered on ``resolvekit_app`` besides the recording notifier (default: none)."""
    return ()


@pytest.fixture
def resolvekit_entry_points() -> bool:
    """Whether ``resolvekit_app`` loads the installed plugins (entry-point group ``resolvekit``)."""
    return True


@pytest.fixture
def resolvekit_start() -> datetime:
    """Where ``resolvekit_clock`` starts (aware; default 2026-11-02 09:00 UTC)."""
    from datetime import UTC

    return datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


# -- the application and its collaborators ---------------------------------------------------------


@pytest.fixture
def resolvekit_clock(resolvekit_start: datetime) -> ManualClock:
    """A :class:`~resolvekit.testing.ManualClock` the application reads; move it with ``advance(hours=...)``."""
    from resolvekit.testing.clock import ManualClock

    return ManualClock(resolvekit_start)


@pytest.fixture
def resolvekit_notifier() -> RecordingNotifier:
    """Records every notification the application delivers (``.sent``), instead of sending it."""
    from resolvekit.plugins.recorder import RecordingNotifier

    return RecordingNotifier()


@pytest.fixture
def resolvekit_app(
    resolvekit_policy: Policy,
    resolvekit_storage_url: str,
    resolvekit_plugins: Sequence[object],
    resolvekit_entry_points: bool,
    resolvekit_clock: ManualClock,
    resolvekit_notifier: RecordingNotifier,
) -> Iterator[ResolveKit]:
    """A :class:`~resolvekit.ResolveKit` built from the fixtures above; shut down after the test."""
    from resolvekit import ResolveKit

    app = ResolveKit(
        storage=resolvekit_storage_url,
        policy=resolvekit_policy,
        plugins=[resolvekit_notifier, *resolvekit_plugins],
        clock=resolvekit_clock,
        entry_points=resolvekit_entry_points,
    )
    try:
        yield app
    finally:
        app.shutdown()


# -- sample data -----------------------------------------------------------------------------------


@pytest.fixture
def resolvekit_store() -> Store:
    """A store (``store-1``) with self-service enabled."""
    from resolvekit import Store

    return Store("store-1", "Kettles & Co")


@pytest.fixture
def resolvekit_customer() -> Customer:
    """A customer (``cust-1``) with an email address, in English."""
    from resolvekit import Customer

    return Customer("cust-1", "Noura Al-Harbi", email="noura@example.com")


@pytest.fixture
def resolvekit_orders(resolvekit_store: Store, resolvekit_customer: Customer, resolvekit_clock: ManualClock) -> Callable[..., Order]:
    """A factory of orders of ``resolvekit_customer`` at ``resolvekit_store``.

    ``resolvekit_orders(status="completed", age=timedelta(hours=50), total="99.50", id="ord-7")``:
    every argument is optional (default: a delivered order of one item, three days old by the clock,
    with a new id each call). Other keyword arguments go to :class:`~resolvekit.Order`.
    """
    from decimal import Decimal

    from resolvekit import Order, OrderItem

    made = 0

    def make(*, status: str = "delivered", age: timedelta = timedelta(days=3), total: str | Decimal = "249.00", **fields: Any) -> Order:
        nonlocal made
        made += 1
        amount = Decimal(total)
        values: dict[str, Any] = {
            "id": f"ord-{made}",
            "number": str(1000 + made),
            "store_id": resolvekit_store.id,
            "customer_id": resolvekit_customer.id,
            "status": status,
            "created_at": resolvekit_clock() - age,
            "total_paid": amount,
            "currency": "SAR",
            "items": (OrderItem(f"sku-{made}", "Glass kettle", 1, amount),),
            "tracking_url": f"https://tracking.example/{made}",
        }
        values.update(fields)
        return Order(**values)

    return make


@pytest.fixture
def resolvekit_order(resolvekit_orders: Callable[..., Order]) -> Order:
    """A delivered order (``ord-1``, 249.00 SAR, one item) of ``resolvekit_customer``, three days old."""
    return resolvekit_orders()


class Actors:
    """The actors of the sample data: ``customer``, ``merchant`` (of ``store-1``), ``platform`` and
    ``other_merchant`` (of ``store-2``, who must never see ``store-1``'s cases)."""

    def __init__(self, customer: Actor, merchant: Actor, platform: Actor, other_merchant: Actor) -> None:
        self.customer = customer
        self.merchant = merchant
        self.platform = platform
        self.other_merchant = other_merchant


@pytest.fixture
def resolvekit_actors(resolvekit_customer: Customer, resolvekit_store: Store) -> Actors:
    """:class:`Actors` for the sample store and customer."""
    from resolvekit import Actor

    return Actors(
        Actor.customer(resolvekit_customer.id),
        Actor.merchant("owner-1", store_id=resolvekit_store.id),
        Actor.platform("agent-1"),
        Actor.merchant("owner-2", store_id="store-2"),
    )
