"""Benchmark: rendering notifications in four languages vs. plain ``str.format`` of the English texts.

The notifications are real ones: complaints are run through their lifecycle on the in-memory backend
(opened, reviewed, answered, offered a partial refund, replied to, escalated, accepted, carried
out), with amounts, order numbers, customers and deadlines that differ from case to case; every
notification of the outbox is kept (untimed). Then each is rendered once for a reader in each of
``en``, ``ar_SA``, ``es`` and ``pt_BR`` (each with its own time zone).

* **resolvekit**: :meth:`resolvekit.localization.Localizer.render_notification` for the reader's
  :class:`~resolvekit.localization.RecipientProfile`: the catalogs along the locale chain, status and
  kind labels translated, money, dates and numbers formatted by babel for the locale (Arabic-Indic
  digits for ``ar_SA``) in the reader's time zone, the channel's text, the rendered message object.
* **baseline**: ``subject.format(**params)`` and ``body.format(**params)``: plain ``str.format`` of
  the same English message ids, with the parameters already turned into English text beforehand
  (untimed). The figure for ``str.format_map(params)`` (a little faster than ``str.format``) is
  reported beside it, as ``ratio_vs_format_map``.

Both run in the same process, alternating in chunks of 250 notifications so that both see the same
load; each round gives a ratio and the median round counts. Every round starts from a fresh
localizer (nothing rendered in an earlier round is cached). Usage:
``python benchmarks/notifications.py [--quick]``. The last line printed is one JSON object with
``benchmark``, ``resolvekit``, ``baseline``, ``unit``, ``ratio`` (resolvekit / baseline). Target:
``ratio <= 3``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from resolvekit import Actor, Customer, Order, OrderItem, ResolveKit, hookimpl
from resolvekit.domain.notifications import Notification
from resolvekit.domain.offers import ExecutionRequest
from resolvekit.localization import Localizer, RecipientProfile, builtin_localizer
from resolvekit.testing import ManualClock

RATIO_TARGET = 3.0
READERS = (
    RecipientProfile("en", "America/New_York"),
    RecipientProfile("ar_SA", "Asia/Riyadh"),
    RecipientProfile("es", "Europe/Madrid"),
    RecipientProfile("pt_BR", "America/Sao_Paulo"),
)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Gateway:
    @hookimpl
    def resolvekit_refund(self, request: ExecutionRequest) -> str:
        return f"pay-{request.offer.id}"


def notifications(cases: int) -> list[Notification]:
    """The outbox of ``cases`` complaint lifecycles (about 14 notifications each), built untimed."""
    clock = ManualClock(T0)
    app = ResolveKit(storage="memory://", clock=clock, plugins=[Gateway()], entry_points=True)
    merchant, platform = Actor.merchant("owner-1", store_id="store-7"), Actor.platform("agent-5")
    found: list[Notification] = []
    for n in range(cases):
        clock.advance(minutes=37)
        customer = Customer(f"cust-{n}", f"Customer {n}", locale="ar_SA" if n % 2 else "en")
        total = Decimal(100 + (n * 37) % 4900) + Decimal("0.50")
        order = Order(
            id=f"ord-{n}", number=str(100000 + n), store_id="store-7", customer_id=customer.id, status="delivered",
            created_at=T0 - timedelta(days=3), total_paid=total, currency=("SAR", "USD", "EUR", "BRL")[n % 4],
            items=(OrderItem("sku-1", "Glass kettle", 1, total),),
        )  # fmt: skip
        buyer = Actor.customer(customer.id)
        case_id = app.open_complaint(
            buyer, order=order, customer=customer, reason="damaged_goods", description="The lid is cracked.",
            declaration_accepted=True,
        ).case.id  # fmt: skip
        app.pass_review(platform, case_id)
        app.reply(merchant, case_id, "Sorry! Could you send a photo?")
        offer = app.propose_offer(merchant, case_id, "partial_refund", percent=Decimal(10 + n % 40), text="You keep the kettle.")
        app.reply(buyer, case_id, "Here is the photo.")
        clock.advance(hours=30)
        app.sweep()  # deadline warnings and breaches
        app.escalate(buyer, case_id)
        app.accept_offer(buyer, case_id, offer.events[-1].payload["offer_id"], confirmed=True)
        app.execute_pending()
        found.extend(entry.notification for entry in app.storage.outbox(case_id))
    return found


def english_params(pool: list[Notification]) -> list[tuple[str, str, dict[str, Any]]]:
    """The baseline's input: the same English message ids, parameters already English text."""
    localizer = builtin_localizer()
    prepared = []
    for n in pool:
        params = {key: localizer.render("{x}", {"x": value}, "en") if isinstance(value, dict) else value for key, value in n.params.items()}
        prepared.append((n.subject, n.body, params))
    return prepared


def run_round(
    localizer: Localizer, pool: list[Notification], prepared: list[tuple[str, str, dict[str, Any]]], chunk: int = 250
) -> tuple[float, float, float]:
    """One round: every notification rendered once per reader by resolvekit, and formatted the same
    number of times by the baselines, alternating in chunks so all see the same load on a shared
    machine. Returns the total times of resolvekit, ``str.format`` and ``str.format_map``."""
    render = localizer.render_notification
    clock = time.perf_counter
    ours = theirs = mapped = 0.0
    for profile in READERS:
        for start in range(0, len(pool), chunk):
            part, same = pool[start : start + chunk], prepared[start : start + chunk]
            began = clock()
            for n in part:
                render(n, profile)
            middle = clock()
            for subject, body, params in same:
                subject.format(**params)
                body.format(**params)
            late = clock()
            for subject, body, params in same:
                subject.format_map(params)
                body.format_map(params)
            ours += middle - began
            theirs += late - middle
            mapped += clock() - late
    return ours, theirs, mapped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer notifications and rounds (under 20 s)")
    args = parser.parse_args()
    cases, rounds = (120, 7) if args.quick else (1800, 7)
    built = time.perf_counter()
    pool = notifications(cases)
    prepared = english_params(pool)
    built = time.perf_counter() - built
    renders = len(pool) * len(READERS)
    rounds_seen: list[tuple[float, float, float]] = []
    for _ in range(rounds):
        # A fresh application's localizer each round: nothing rendered in an earlier round is cached.
        # Its catalogs load once per application, before any message, as in a running host.
        localizer = Localizer()
        for profile in READERS:
            localizer.gettext("Closed", profile.locale)
        rounds_seen.append(run_round(localizer, pool, prepared))
    # The ratio of each round (both sides measured under the same load), then the median round.
    rounds_seen.sort(key=lambda r: r[0] / r[1])
    ours, theirs, mapped = rounds_seen[len(rounds_seen) // 2]
    per_ours, per_theirs, per_mapped = ours / renders * 1e6, theirs / renders * 1e6, mapped / renders * 1e6
    ratio = per_ours / per_theirs
    sample = localizer.render_notification(next(n for n in pool if n.event_kind == "offer_proposed"), READERS[1])
    print(f"notifications           : {len(pool)} from {cases} complaints (built in {built:.1f} s), rendered {renders} times")
    print(f"resolvekit              : {per_ours:9.2f} us/notification (4 locales, babel formats, time zones)")
    print(f"baseline                : {per_theirs:9.2f} us/notification (str.format(**params) of the English texts)")
    print(f"ratio                   : {ratio:9.3f} (target <= {RATIO_TARGET})")
    print(f"  str.format_map        : {per_mapped:9.2f} us/notification (ratio {per_ours / per_mapped:.3f})")
    print(f"sample (ar_SA)          : {sample.subject} | {sample.body}")
    summary = {
        "benchmark": "notifications",
        "resolvekit": round(per_ours, 3),
        "baseline": round(per_theirs, 3),
        "unit": "us/notification",
        "ratio": round(ratio, 3),
        "ratio_target": RATIO_TARGET,
        "baseline_format_map": round(per_mapped, 3),
        "ratio_vs_format_map": round(per_ours / per_mapped, 3),
        "target_met": ratio <= RATIO_TARGET,
        "notifications": len(pool),
        "renders_per_round": renders,
        "rounds": rounds,
        "quick": args.quick,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
