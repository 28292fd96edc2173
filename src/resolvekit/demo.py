"""The README demo: one complaint and one ticket, start to finish, printing each step and the log.

Run it with ``resolvekit demo`` (or ``python -m resolvekit demo``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from resolvekit.application import CommandResult, ResolveKit
from resolvekit.domain.actors import Actor
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.money import Money
from resolvekit.domain.offers import ExecutionRequest
from resolvekit.domain.templates import CannedResponse
from resolvekit.domain.values import Customer, Order, OrderItem
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins.recorder import RecordingNotifier

__all__ = ["DemoGateway", "run"]


def _ticking_clock(start: datetime, step: timedelta) -> Callable[[], datetime]:
    def ticks() -> Iterator[datetime]:
        now = start
        while True:
            yield now
            now += step

    it = ticks()
    return lambda: next(it)


class DemoGateway:
    """A payment gateway stand-in: it "pays" each refund once per idempotency key."""

    def __init__(self) -> None:
        self.paid: dict[str, str] = {}

    @hookimpl
    def resolvekit_refund(self, request: ExecutionRequest) -> str:
        """Pay ``request.amount`` (once per key) and return the gateway's reference."""
        return self.paid.setdefault(request.idempotency_key, f"pay-{len(self.paid) + 1:04d}")


def _describe(event: CaseEvent) -> str:
    p = event.payload
    who = f"{event.actor.role.value}:{event.actor.id}"
    detail = p.get("body") or p.get("text") or p.get("description") or p.get("note") or ""
    if event.kind == "offer_proposed":
        detail = f"{p['kind']} {p['amount']} {p['currency']}: {p.get('text') or ''}"
    elif event.kind == "offer_step_done":
        detail = f"{p['step']} {p['amount'] or ''} {p['currency'] or ''} reference {p['reference']}"
    elif "offer_id" in p:
        detail = p["offer_id"] + (f" ({p['reason']})" if p.get("reason") else "")
    elif event.kind == "ticket_rated":
        detail = f"{p['stars']}/5 {p.get('comment') or ''}".strip()
    extra = " (internal)" if p.get("internal") else ""
    status = f" -> {p['status']}" if "status" in p else ""
    return f"  v{event.version:<2} {event.at:%Y-%m-%d %H:%M} {who:<22} {event.kind.value}{extra}{status}  {detail}"


def run(storage: str | None = None, print_: Callable[[str], None] = print) -> ResolveKit:
    """Walk through the demo on ``storage`` and return the application (for inspection).

    By default the demo runs on the embedded default backend, SQLite, in a new file in the system's
    temporary folder (its URL is printed first, so the database can be inspected afterwards).
    """
    if storage is None:
        folder = tempfile.mkdtemp(prefix="resolvekit-demo-")
        storage = f"sqlite:///{os.path.join(folder, 'demo.sqlite3')}"
        print_(f"Storage: {storage} (a new SQLite database for this run; choose another with --storage)")
        print_("")
    notifier = RecordingNotifier()
    rk = ResolveKit(
        storage=storage,
        plugins=[notifier, DemoGateway()],
        clock=_ticking_clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), timedelta(hours=3)),
    )
    customer = Customer("cust-42", "Noura Al-Harbi", email="noura@example.com")
    order = Order(
        id="ord-1001",
        number="1001",
        store_id="store-7",
        customer_id=customer.id,
        status="delivered",
        created_at=datetime(2026, 10, 30, 12, 0, tzinfo=UTC),
        total_paid=Decimal("249.00"),
        currency="SAR",
        items=(OrderItem("kettle-1", "Glass kettle", 1, Decimal("249.00")),),
    )
    buyer = Actor.customer(customer.id)
    merchant = Actor.merchant("owner-1", store_id="store-7")
    platform = Actor.platform("agent-5")

    def step(title: str, result: CommandResult) -> CommandResult:
        print_(f"{title:<58} status: {result.case.status}")
        return result

    print_("== Complaint ==")
    opened = step(
        "Customer opens a complaint (damaged kettle)",
        rk.open_complaint(
            buyer,
            order=order,
            customer=customer,
            reason="damaged_goods",
            description="The kettle arrived with a cracked lid.",
            declaration_accepted=True,
        ),
    )
    cid = opened.case.id
    step("Platform review passes it to the merchant", rk.pass_review(platform, cid, note="Photos attached, valid."))
    proposal = step(
        "Merchant offers a partial refund (50 SAR, keep the kettle)",
        rk.propose_offer(
            merchant, cid, "partial_refund", amount=Money("50", "SAR"), text="Sorry! You keep the kettle."
        ),
    )
    step("Customer replies", rk.reply(buyer, cid, "Could you send a new lid instead?"))
    step("Merchant replies", rk.reply(merchant, cid, "A new lid is not available; the refund offer stands."))
    offer_id = proposal.events[-1].payload["offer_id"]
    step("Customer accepts the offer and closes after confirming", rk.accept_offer(buyer, cid, offer_id, confirmed=True))
    execution = rk.execute_pending()
    print_(f"The host's worker executes accepted offers: {execution.executed} refund paid through the gateway.")
    print_(f"Activity log of complaint {cid}:")
    for event in rk.activity(platform, cid):
        print_(_describe(event))

    print_("")
    print_("== Ticket ==")
    ticket = step(
        "Customer opens a ticket (order delayed)",
        rk.open_ticket(
            buyer, store_id="store-7", customer=customer, ticket_type="order_delayed", order=order,
            description="My order has not arrived yet.",
        ),
    )
    tid = ticket.case.id
    step("Merchant adds an internal note", rk.add_note(merchant, tid, "Carrier reports a depot delay."))
    canned = CannedResponse(
        "delay", "Delay apology", "Hello {customer_name}, order {order_number} is on its way; thank you for waiting."
    )
    step("Merchant replies with a canned response", rk.reply_canned(merchant, tid, canned))
    step("Customer replies", rk.reply(buyer, tid, "Thanks, it just arrived!"))
    step("Customer closes the ticket", rk.close(buyer, tid, confirmed=True))
    step("Customer rates the ticket", rk.rate(buyer, tid, 5, comment="Quick and kind."))
    print_(f"Activity log of ticket {tid} (merchant's view):")
    for event in rk.activity(merchant, tid):
        print_(_describe(event))
    print_(f"The customer's view of the same log hides the internal note: {len(rk.activity(buyer, tid))} entries.")

    report = rk.dispatch()
    print_("")
    print_(f"Outbox: {report.delivered} notifications delivered, {report.failed} failed. The first three:")
    for sent in notifier.sent[:3]:
        n = sent.notification
        print_(f"  to {n.recipient.role.value}:{n.recipient.id} [{n.channel}] {sent.subject}")
    return rk
