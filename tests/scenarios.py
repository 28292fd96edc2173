"""Data shared by tests of several backends (not a test module)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from resolvekit import Actor, Customer, Order, ResolveKit

BUYER, MERCHANT, PLATFORM = Actor.customer("c-1"), Actor.merchant("m-1", store_id="s-1"), Actor.platform("p-1")


def offer_complaints(app: ResolveKit, opened: datetime) -> tuple[str, str, str]:
    """Three complaints passed to the merchant: one with an accepted offer, one with a proposed offer
    and one with none; returns their ids in that order (for schema upgrades of the offer index)."""
    customer = Customer("c-1", "Noura")

    def complaint(n: int) -> str:
        order = Order(id=f"o-{n}", store_id="s-1", customer_id="c-1", status="delivered", created_at=opened - timedelta(days=2),
                      total_paid=Decimal("10.00"), currency="SAR")  # fmt: skip
        case_id = app.open_complaint(BUYER, order=order, customer=customer, reason="damaged_goods", description="Cracked",
                                     declaration_accepted=True).case.id  # fmt: skip
        app.pass_review(PLATFORM, case_id)
        return case_id

    accepted, proposed, bare = complaint(1), complaint(2), complaint(3)
    offer_id = app.propose_offer(MERCHANT, accepted, "other", text="We will call you.").events[0].payload["offer_id"]
    app.accept_offer(BUYER, accepted, offer_id, confirmed=True)
    app.propose_offer(MERCHANT, proposed, "other", text="A call?")
    return accepted, proposed, bare
