"""When a complaint's offers next need the worker (``next_offer_step``): the key of the offer index.

The property: for every time at or after the case's last change, the step has come exactly when one
of the offer sweeps has something to do on the case (an offer to execute, or one to expire).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvekit.domain.actors import Actor
from resolvekit.domain.cases import Complaint, Ticket
from resolvekit.domain.offer_work import EXPIRY_STATUSES, execution_due, expiry_due, next_offer_step
from resolvekit.domain.offers import Offer
from resolvekit.domain.transitions import lifecycle_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MERCHANT = Actor.merchant("owner-1", store_id="store-1")


def complaint(status: str = "waiting_for_customer_response", offers: tuple[Offer, ...] = (), updated_at: datetime = T0) -> Complaint:
    return Complaint(
        id="C-1", store_id="store-1", customer_id="cust-1", order_id="ord-1", status=status, version=3,
        opened_at=T0 - timedelta(days=1), updated_at=updated_at, description="Broken.", customer_name="Noura", offers=offers,
    )  # fmt: skip


def offer(status: str, n: int = 1, **times: datetime | None) -> Offer:
    return Offer(f"C-1/o{n}", "partial_refund", status, MERCHANT, T0 - timedelta(hours=5), **times)  # type: ignore[arg-type]


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("case", "step"),
    [
        (complaint(), None),
        (complaint(offers=(offer("proposed"),)), None),  # no deadline: never expires
        (complaint(offers=(offer("proposed", expires_at=T0 + HOUR),)), T0 + HOUR),
        (complaint("closed", offers=(offer("proposed", expires_at=T0 + HOUR),)), None),  # expiry only on open complaints
        (complaint("closed", offers=(offer("accepted", decided_at=T0 - HOUR),)), T0 - HOUR),  # executed on any complaint
        (complaint(offers=(offer("executing", decided_at=T0 - 2 * HOUR),)), T0 - 2 * HOUR),
        (complaint(offers=(offer("accepted"),)), T0),  # no decision time: the case's last change
        (complaint(offers=(offer("failed", retry_at=T0 + HOUR),)), T0 + HOUR),
        (complaint(offers=(offer("failed"),)), None),  # refused for good: never retried
        (complaint(offers=(offer("awaiting_return", decided_at=T0 - HOUR),)), None),  # waits for confirm_return
        (complaint(offers=tuple(offer(s, decided_at=T0 - HOUR, expires_at=T0 - HOUR) for s in ("executed", "rejected", "withdrawn", "expired"))), None),
        (complaint(offers=(offer("proposed", 1, expires_at=T0 + 3 * HOUR), offer("failed", 2, retry_at=T0 + HOUR))), T0 + HOUR),  # the earliest
    ],
)
def test_next_offer_step(case: Complaint, step: datetime | None) -> None:
    assert next_offer_step(case) == step


def test_tickets_have_no_offer_work() -> None:
    ticket = Ticket(id="T-1", store_id="store-1", customer_id="cust-1", order_id=None, status="under_merchant_review", version=1,
                    opened_at=T0, updated_at=T0, description="Where is it?", customer_name="Noura")  # fmt: skip
    assert next_offer_step(ticket) is None


times = st.integers(-72, 72).map(lambda h: T0 + timedelta(minutes=30 * h))


@st.composite
def offers(draw: st.DrawFn, n: int) -> Offer:
    return offer(
        draw(st.sampled_from(lifecycle_for("offer").statuses)),
        n,
        decided_at=draw(st.none() | times.filter(lambda t: t <= T0)),  # decided before the case's last change
        retry_at=draw(st.none() | times),
        expires_at=draw(st.none() | times),
    )


@st.composite
def complaints(draw: st.DrawFn) -> Complaint:
    count = draw(st.integers(0, 4))
    return complaint(draw(st.sampled_from(lifecycle_for("complaint").statuses)), tuple(draw(offers(n)) for n in range(count)))


@settings(max_examples=300)
@given(case=complaints(), now=times.filter(lambda t: t >= T0))
def test_the_step_has_come_exactly_when_a_sweep_has_work(case: Complaint, now: datetime) -> None:
    step = next_offer_step(case)
    work = any(execution_due(o, now) or expiry_due(case, o, now) for o in case.offers)
    assert (step is not None and step <= now) == work
    if step is not None:
        # the step is the first moment of work: nothing is due just before it (unless due "now" already)
        before = step - timedelta(microseconds=1)
        if before >= case.updated_at:
            assert not any(execution_due(o, before) or expiry_due(case, o, before) for o in case.offers)


def test_the_expiry_statuses_are_the_open_complaint_statuses() -> None:
    assert EXPIRY_STATUSES == frozenset(lifecycle_for("complaint").statuses) - {"closed"}
