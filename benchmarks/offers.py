"""Benchmark: propose + accept + execute a partial-refund offer on SQLite, against the raw driver.

* **resolvekit**: :meth:`~resolvekit.ResolveKit.propose_offer` (merchant), :meth:`accept_offer`
  (customer, closes the complaint) and :meth:`execute_offer` (the worker; the refund hook is a
  dictionary standing in for the payment gateway), on the built-in SQLite backend
  (``sqlite:///...``).
* **baseline**: the same reads and writes a host would code by hand with :mod:`sqlite3` on the same
  schema, with the complaint kept as a JSON document: for each of the three commands, read the
  complaint, read the order's complaints (conservation), change the document, and write it back with
  its events and outbox rows in one ``BEGIN IMMEDIATE`` transaction guarded by the version; execution
  writes "started" before the gateway call and the step's result with "executed" after it, re-reading
  the complaint in between, exactly as resolvekit does.

Both use a fresh database file each round, in WAL mode with the same ``synchronous`` setting:
``full`` by default, the SQLite backend's own default and the setting of ``benchmarks/storage.py``
(every commit durable, so the disk's flush weighs in); ``--synchronous normal`` shows the CPU cost
of the command path more plainly. Complaints are opened and passed to the merchant before the clock
starts (not measured). Rounds alternate and the best round of each counts.

Usage: ``python benchmarks/offers.py [--quick] [--complaints N] [--rounds R] [--synchronous normal|full]``.
The last line printed is one JSON object with ``benchmark``, ``resolvekit``, ``baseline``, ``unit``
(microseconds per propose + accept + execute), ``ratio`` (resolvekit / baseline) and ``backend``.
Target: ``ratio <= 1.5``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from resolvekit import Actor, Customer, ExecutionRequest, Money, Order, OrderItem, ResolveKit, hookimpl
from resolvekit.codec import dumps as snapshot_dumps
from resolvekit.plugins.sqlite import MIGRATIONS
from resolvekit.testing import ManualClock

RATIO_TARGET = 1.5
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CUSTOMER = Customer("cust-1", "Noura")
BUYER = Actor.customer("cust-1")
MERCHANT = Actor.merchant("owner-1", store_id="store-1")
PLATFORM = Actor.platform("agent-1")
WORKER = Actor.system("worker")


class Gateway:
    """Pays each idempotency key once (a dictionary lookup)."""

    def __init__(self) -> None:
        self.paid: dict[str, str] = {}

    @hookimpl
    def resolvekit_refund(self, request: ExecutionRequest) -> str:
        return self.paid.setdefault(request.idempotency_key, f"pay-{len(self.paid)}")


def order(i: int) -> Order:
    return Order(
        id=f"ord-{i}",
        store_id="store-1",
        customer_id="cust-1",
        status="delivered",
        created_at=T0 - timedelta(days=2),
        total_paid=Decimal("249.00"),
        currency="SAR",
        items=(OrderItem("kettle", "Glass kettle", 1, Decimal("249.00")),),
        number=str(1000 + i),
    )


# -- resolvekit ---------------------------------------------------------------------------------------


def prepare_resolvekit(path: Path, n: int, synchronous: str) -> tuple[ResolveKit, list[str]]:
    clock = ManualClock(T0)
    app = ResolveKit(storage=f"sqlite:///{path}?synchronous={synchronous}", clock=clock, plugins=[Gateway()])
    ids = []
    for i in range(n):
        case_id = app.open_complaint(
            BUYER, order=order(i), customer=CUSTOMER, reason="damaged_goods", description="Cracked lid.", declaration_accepted=True
        ).case.id
        app.pass_review(PLATFORM, case_id)
        ids.append(case_id)
    return app, ids


def run_resolvekit(app: ResolveKit, ids: list[str]) -> float:
    amount = Money("50", "SAR")
    started = time.perf_counter()
    for case_id in ids:
        offer_id = app.propose_offer(MERCHANT, case_id, "partial_refund", amount=amount).events[0].payload["offer_id"]
        app.accept_offer(BUYER, case_id, offer_id, confirmed=True)
        app.execute_offer(WORKER, case_id, offer_id)
    return time.perf_counter() - started


# -- baseline: the raw driver -------------------------------------------------------------------------

_LOAD = "SELECT snapshot FROM cases WHERE id = ?"
_BY_ORDER = "SELECT id, snapshot FROM cases WHERE kind = ? AND order_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?"
_UPDATE = (
    "UPDATE cases SET store_id = ?, customer_id = ?, order_id = ?, status = ?, version = ?, next_deadline = ?, "
    "snapshot = ? WHERE id = ? AND version = ?"
)
_EVENT = "INSERT INTO events (case_id, version, kind, actor, at, payload) VALUES (?, ?, ?, ?, ?, ?)"
_OUTBOX = "INSERT OR IGNORE INTO outbox (key, case_id, notification) VALUES (?, ?, ?)"
_INSERT = (
    "INSERT INTO cases (id, kind, store_id, customer_id, order_id, status, opened_at, version, next_deadline, snapshot) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Raw:
    """A host's own code: JSON documents in the same tables, the same statements, no library.

    It writes what resolvekit writes: the complaint document with the offer in full (who, when,
    terms, status, results), the same event payloads, and notifications of the same shape.
    """

    def __init__(self, path: Path, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, cached_statements=256)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        for statement in MIGRATIONS[0]:
            self.conn.execute(statement)
        self.paid: dict[str, str] = {}
        self.at = T0.isoformat()
        self.now = int(T0.timestamp() * 1_000_000)

    def load(self, case_id: str) -> dict[str, Any]:
        return json.loads(self.conn.execute(_LOAD, (case_id,)).fetchone()[0])  # type: ignore[no-any-return]

    def order_offers(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        rows = self.conn.execute(_BY_ORDER, ("complaint", doc["order_id"], 501)).fetchall()
        others = [json.loads(text) for case_id, text in rows if case_id != doc["id"]]
        return [offer for other in others if other["store_id"] == doc["store_id"] for offer in other["offers"]]

    def notification(self, doc: dict[str, Any], version: int, kind: str, who: str, payload: dict[str, Any]) -> dict[str, Any]:
        recipient = doc["customer_id"] if who == "customer" else doc["store_id"]
        return {
            "key": f"{doc['id']}:{version}:{who}:{recipient}:email",
            "case_id": doc["id"],
            "event_version": version,
            "event_kind": kind,
            "recipient": {"role": who, "id": recipient},
            "channel": "email",
            "subject": "About {case_id}",
            "body": "The offer {offer_id} on order {order_number}: {offer_kind} {offer_amount}.",
            "params": {
                "case_id": doc["id"], "order_number": doc["order_number"], "customer_name": doc["customer_name"],
                "kind_label": "Complaint", "author_label": "The merchant", "offer_id": payload.get("offer_id", ""),
                "offer_kind": payload.get("kind", ""), "offer_amount": payload.get("amount") or "", "text": "",
                "reason": "", "step": payload.get("step") or "", "label": "",
            },
        }

    def write(self, doc: dict[str, Any], events: list[tuple[str, dict[str, Any], Actor, list[str]]]) -> None:
        expected = doc["version"]
        rows, outbox = [], []
        for kind, payload, actor, notify in events:
            doc["version"] += 1
            rows.append((doc["id"], doc["version"], kind, json.dumps(actor.to_dict()), self.now, json.dumps(payload)))
            for who in notify:
                note = self.notification(doc, doc["version"], kind, who, payload)
                outbox.append((note["key"], doc["id"], json.dumps(note)))
        doc["updated_at"] = self.at
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        written = conn.execute(
            _UPDATE,
            (doc["store_id"], doc["customer_id"], doc["order_id"], doc["status"], doc["version"], None,
             json.dumps(doc, separators=(",", ":"), ensure_ascii=False), doc["id"], expected),
        ).rowcount
        if written != 1:
            conn.execute("ROLLBACK")
            raise RuntimeError("concurrent change")
        conn.executemany(_EVENT, rows)
        if outbox:
            conn.executemany(_OUTBOX, outbox)
        conn.execute("COMMIT")

    @staticmethod
    def reserved(offers: list[dict[str, Any]]) -> Decimal:
        statuses = ("accepted", "executing", "awaiting_return", "failed", "executed")
        return sum((Decimal(o["amount"]["amount"]) for o in offers if o["status"] in statuses), Decimal(0))

    @staticmethod
    def find(doc: dict[str, Any], offer_id: str) -> dict[str, Any]:
        return next(o for o in doc["offers"] if o["id"] == offer_id)

    def propose(self, case_id: str, amount: Decimal) -> str:
        doc = self.load(case_id)
        others = self.order_offers(doc)
        paid = Decimal(doc["order"]["total_paid"])
        if amount <= 0 or amount > paid - self.reserved(others) - self.reserved(doc["offers"]):
            raise ValueError("over refund")
        offer_id = f"{case_id}/o{doc['version'] + 1}"
        expires = (T0 + timedelta(days=3)).isoformat()
        payload = {
            "offer_id": offer_id, "kind": "partial_refund", "steps": ["refund"], "moves_money": True, "keeps_item": True,
            "terms": "share", "expires_at": expires, "amount": str(amount), "currency": "SAR", "percent": None,
            "lines": [], "text": None, "status": "waiting_for_customer_response",
        }
        doc["offers"].append({
            "id": offer_id, "kind": "partial_refund", "status": "proposed", "proposed_by": MERCHANT.to_dict(),
            "proposed_at": self.at, "steps": ["refund"], "moves_money": True, "keeps_item": True, "terms": "share",
            "expires_at": expires, "amount": {"amount": str(amount), "currency": "SAR"}, "percent": None, "lines": [],
            "text": None, "decided_by": None, "decided_at": None, "reason": None, "imposed": False, "attempts": 0,
            "results": [], "last_error": None, "retry_at": None, "return_received_at": None, "executed_at": None,
        })
        doc["status"] = "waiting_for_customer_response"
        self.write(doc, [("offer_proposed", payload, MERCHANT, ["customer"])])
        return offer_id

    def accept(self, case_id: str, offer_id: str) -> None:
        doc = self.load(case_id)
        others = self.order_offers(doc)
        offer = self.find(doc, offer_id)
        if offer["status"] != "proposed":
            raise ValueError("not open")
        paid = Decimal(doc["order"]["total_paid"])
        if Decimal(offer["amount"]["amount"]) > paid - self.reserved(others) - self.reserved(doc["offers"]):
            raise ValueError("over refund")
        offer.update(status="accepted", decided_by=BUYER.to_dict(), decided_at=self.at)
        doc.update(status="closed", closed_at=self.at, closed_by=BUYER.to_dict())
        self.write(
            doc,
            [
                ("offer_accepted", {"offer_id": offer_id, "offer_status": "accepted", "imposed": False, "reason": None}, BUYER, ["merchant"]),
                ("case_closed", {"status": "closed", "resolution": offer_id, "resolved_in_time": True}, BUYER, ["merchant"]),
            ],
        )

    def execute(self, case_id: str, offer_id: str) -> None:
        doc = self.load(case_id)
        others = self.order_offers(doc)
        offer = self.find(doc, offer_id)
        mine = [o for o in doc["offers"] if o["id"] != offer_id]
        if Decimal(offer["amount"]["amount"]) > Decimal(doc["order"]["total_paid"]) - self.reserved(others) - self.reserved(mine):
            raise ValueError("over refund")
        offer.update(status="executing", attempts=offer["attempts"] + 1)
        self.write(doc, [("offer_execution_started", {"offer_id": offer_id, "offer_status": "executing", "attempt": 1}, WORKER, [])])
        key = f"{offer_id}:refund"
        reference = self.paid.setdefault(key, f"pay-{len(self.paid)}")
        doc = self.load(case_id)
        offer = self.find(doc, offer_id)
        amount = offer["amount"]
        offer["results"].append({"step": "refund", "key": key, "reference": reference, "at": self.at, "amount": amount})
        offer.update(status="executed", executed_at=self.at)
        done = {"offer_id": offer_id, "step": "refund", "idempotency_key": key, "reference": reference,
                "amount": amount["amount"], "currency": amount["currency"]}
        self.write(
            doc,
            [
                ("offer_step_done", done, WORKER, []),
                ("offer_executed", {"offer_id": offer_id, "offer_status": "executed"}, WORKER, ["customer"]),
            ],
        )


def prepare_baseline(path: Path, n: int, synchronous: str, template: str) -> tuple[Raw, list[str]]:
    raw = Raw(path, synchronous)
    ids = []
    base = json.loads(template)
    raw.conn.execute("BEGIN")
    for i in range(n):
        doc = dict(base, id=f"B-{i:08d}", order_id=f"ord-{i}", offers=[], order=dict(base["order"], id=f"ord-{i}"))
        raw.conn.execute(
            _INSERT,
            (doc["id"], "complaint", "store-1", "cust-1", doc["order_id"], doc["status"], raw.now + i, doc["version"], None, json.dumps(doc)),
        )
        ids.append(doc["id"])
    raw.conn.execute("COMMIT")
    return raw, ids


def run_baseline(raw: Raw, ids: list[str]) -> float:
    amount = Decimal("50.00")
    started = time.perf_counter()
    for case_id in ids:
        offer_id = raw.propose(case_id, amount)
        raw.accept(case_id, offer_id)
        raw.execute(case_id, offer_id)
    return time.perf_counter() - started


# -- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (well under 20 s)")
    parser.add_argument("--complaints", type=int, default=None, help="complaints per round")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--synchronous", choices=("normal", "full"), default="full")
    args = parser.parse_args()
    n = args.complaints or (100 if args.quick else 1000)
    rounds = args.rounds or (3 if args.quick else 5)

    best_rk = best_base = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for r in range(rounds):
            app, ids = prepare_resolvekit(Path(folder) / f"rk-{r}.db", n, args.synchronous)
            template = snapshot_dumps(app.get_case(PLATFORM, ids[0]))
            raw, raw_ids = prepare_baseline(Path(folder) / f"raw-{r}.db", n, args.synchronous, template)
            gc.collect()
            gc.disable()
            try:
                best_rk = min(best_rk, run_resolvekit(app, ids) / n)
                best_base = min(best_base, run_baseline(raw, raw_ids) / n)
            finally:
                gc.enable()
            executed = sum(1 for case_id in ids if app.get_case(PLATFORM, case_id).offers[0].status == "executed")  # type: ignore[attr-defined]
            assert executed == n and len(raw.paid) == n
            app.storage.close()
            raw.conn.close()
            print(f"round {r + 1}: resolvekit {best_rk * 1e6:,.0f} us, baseline {best_base * 1e6:,.0f} us (best so far)")

    ratio = best_rk / best_base
    print(
        f"propose + accept + execute on SQLite ({args.synchronous}): resolvekit {best_rk * 1e6:,.0f} us, "
        f"raw sqlite3 {best_base * 1e6:,.0f} us, ratio {ratio:.2f} (target <= {RATIO_TARGET})"
    )
    print(
        json.dumps(
            {
                "benchmark": "offers",
                "resolvekit": round(best_rk * 1e6, 1),
                "baseline": round(best_base * 1e6, 1),
                "unit": "us per propose+accept+execute",
                "ratio": round(ratio, 3),
                "backend": f"sqlite (WAL, synchronous={args.synchronous})",
                "complaints": n,
                "target": RATIO_TARGET,
            }
        )
    )


if __name__ == "__main__":
    main()
