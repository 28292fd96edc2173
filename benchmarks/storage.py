"""Benchmark: a durable command through resolvekit against the raw database driver, on SQLite and PostgreSQL.

The durable command is a reply on an open complaint: load the case, check it, append the event,
update the case's state (its snapshot and indexed columns), enqueue the notification for the other
side, and commit, all in one transaction.

* **resolvekit**: :meth:`resolvekit.ResolveKit.reply` on the built-in backend (``sqlite:///...`` in
  WAL mode with ``synchronous=FULL``, its default; ``postgresql://...``), i.e. the whole command
  path: tenancy, the lifecycle, the event, the fold, the notification, the SLA deadline, the
  snapshot encoding and the optimistic-concurrency commit.
* **baseline**: the same reads and writes coded by hand on the same schema and the same data, with
  the raw driver: ``sqlite3`` (same journal mode and ``synchronous``) reads the snapshot, decodes
  it with :mod:`json`, appends the message, and writes case, event and outbox row in one
  ``BEGIN IMMEDIATE`` transaction guarded by the version; ``psycopg`` reads the snapshot and then
  writes the three rows in one transaction sent as a single pipeline (one round trip, like
  resolvekit's one-statement commit), guarded by the version.

Both run in the same process on the same database, in turns of ten commands, so that both meet the same disk and the same neighbours; the best of several rounds counts (the machine is shared). The
reported resolvekit figure is the steady state of a process that keeps working on its cases (its
snapshot cache hits); ``*_cold_us`` is the same command with the snapshot decoded on every load.

PostgreSQL scaling: worker processes (one, then eight) reply on cases of their own for a fixed time;
throughput is commands per second over all workers. Database size: cases of a fixed shape (opened,
passed review, four replies, notifications) are written and the growth of the database per case is
measured; ``--quick`` writes fewer than 100,000 cases and extrapolates linearly (it says so).

Usage: ``python benchmarks/storage.py [--quick] [--postgres-url URL] [--no-postgres]``. The last line
printed is one JSON object with ``benchmark``, ``resolvekit``, ``baseline``, ``unit``, ``ratio`` (the
SQLite figures) and the PostgreSQL, scaling and size figures. Targets: both ratios <= 1.5 and
PostgreSQL 8-worker throughput >= 4x one worker's.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from resolvekit import Actor, Customer, Order, OrderItem, ResolveKit
from resolvekit.plugins._records import SnapshotCache

RATIO_TARGET = 1.5
SCALING_TARGET = 4.0
SIZE_TARGET_CASES = 100_000
POSTGRES_URL = os.environ.get("RESOLVEKIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STORE = "store-7"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock that moves one second per reading (times differ, as in real use, without the system call)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _order(n: int) -> tuple[Customer, Order]:
    customer = Customer(f"cust-{n}", f"Customer {n}", email=f"c{n}@example.com")
    order = Order(
        id=f"ord-{n}", number=str(1000 + n), store_id=STORE, customer_id=customer.id, status="delivered",
        created_at=T0 - timedelta(days=3), total_paid=Decimal("249.00"), currency="SAR",
        items=(OrderItem("kettle-1", "Glass kettle", 1, Decimal("249.00")),),
    )
    return customer, order


def open_cases(app: ResolveKit, count: int, first: int = 0) -> list[tuple[str, Actor]]:
    """``count`` complaints passed to the merchant; returns (case id, its customer) pairs. Not timed."""
    platform = Actor.platform("agent-1")
    cases = []
    for n in range(first, first + count):
        customer, order = _order(n)
        buyer = Actor.customer(customer.id)
        case_id = app.open_complaint(buyer, order=order, customer=customer, reason="damaged_goods",
                                     description="The kettle arrived with a cracked lid.", declaration_accepted=True).case.id
        app.pass_review(platform, case_id)
        cases.append((case_id, buyer))
    return cases


MERCHANT = Actor.merchant("owner-1", store_id=STORE)


def resolvekit_replies(app: ResolveKit, cases: list[tuple[str, Actor]], count: int, turn: list[int], collect: bool = True) -> float:
    """Seconds per reply: merchant and customer in turn on each case, ``count`` replies in all."""
    if collect:
        gc.collect()
    start = time.perf_counter()
    for i in range(count):
        case_id, buyer = cases[i % len(cases)]
        side = turn[i % len(cases)]
        app.reply(MERCHANT if side == 0 else buyer, case_id, "Thank you, we are looking into it right now.")
        turn[i % len(cases)] = 1 - side
    return (time.perf_counter() - start) / count


# -------------------------------------------------------------------------------------------------
# The raw-driver baselines: the same reads and writes, by hand
# -------------------------------------------------------------------------------------------------

_STATUS_AFTER = {0: "waiting_for_customer_response", 1: "waiting_for_merchant_response"}


def _raw_change(doc: dict[str, Any], case_id: str, side: int, buyer: Actor, at: str) -> tuple[dict[str, Any], ...]:
    """Apply a reply to the snapshot document; returns (actor, payload, notification) as plain data."""
    if doc["status"] == "closed":
        raise RuntimeError("closed")
    version = doc["version"] + 1
    actor = MERCHANT.to_dict() if side == 0 else buyer.to_dict()
    status = _STATUS_AFTER[side]
    body = "Thank you, we are looking into it right now."
    message = {"id": f"{case_id}/{version}", "author": actor, "at": at, "body": body, "attachments": [],
               "internal": False, "template": None}
    doc["messages"].append(message)
    doc["version"] = version
    doc["updated_at"] = at
    doc["status"] = status
    payload = {"message_id": message["id"], "body": body, "attachments": [], "internal": False, "template": None,
               "status": status}
    recipient = ("customer", doc["customer_id"]) if side == 0 else ("merchant", doc["store_id"])
    notification = {
        "key": f"{case_id}:{version}:{recipient[0]}:{recipient[1]}:email", "case_id": case_id, "event_version": version,
        "event_kind": "message_added", "recipient": {"role": recipient[0], "id": recipient[1]}, "channel": "email",
        "subject": "New reply on {case_id}", "body": "{author_label} replied: {body}",
        "params": {"case_id": case_id, "order_number": doc["order_number"], "customer_name": doc["customer_name"],
                   "kind_label": "Complaint", "author_label": "The merchant", "body": body},
    }
    return actor, payload, notification


class RawSQLite:
    """Replies written by hand with sqlite3 on resolvekit's schema."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, cached_statements=256)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.clock = Clock()

    def reply(self, case_id: str, side: int, buyer: Actor) -> None:
        conn = self.conn
        now = self.clock()
        at = now.isoformat()
        doc = json.loads(conn.execute("SELECT snapshot FROM cases WHERE id = ?", (case_id,)).fetchone()[0])
        expected = doc["version"]
        actor, payload, notification = _raw_change(doc, case_id, side, buyer, at)
        micros = (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        conn.execute("BEGIN IMMEDIATE")
        try:
            updated = conn.execute(
                "UPDATE cases SET store_id = ?, customer_id = ?, order_id = ?, status = ?, version = ?, next_deadline = ?, "
                "snapshot = ? WHERE id = ? AND version = ?",
                (doc["store_id"], doc["customer_id"], doc["order_id"], doc["status"], doc["version"], None,
                 json.dumps(doc, separators=(",", ":"), ensure_ascii=False), case_id, expected),
            ).rowcount
            if updated != 1:
                raise RuntimeError("conflict")
            conn.execute("INSERT INTO events (case_id, version, kind, actor, at, payload) VALUES (?, ?, ?, ?, ?, ?)",
                         (case_id, doc["version"], "message_added", json.dumps(actor), micros, json.dumps(payload)))
            conn.execute("INSERT OR IGNORE INTO outbox (key, case_id, notification) VALUES (?, ?, ?)",
                         (notification["key"], case_id, json.dumps(notification)))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class RawPostgres:
    """Replies written by hand with psycopg on resolvekit's schema (one pipelined transaction)."""

    def __init__(self, url: str, schema: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.s = f'"{schema}"'
        self.clock = Clock()

    def reply(self, case_id: str, side: int, buyer: Actor) -> None:
        conn, s = self.conn, self.s
        now = self.clock()
        doc = json.loads(conn.execute(f"SELECT snapshot FROM {s}.cases WHERE id = %s", (case_id,)).fetchone()[0])
        expected = doc["version"]
        actor, payload, notification = _raw_change(doc, case_id, side, buyer, now.isoformat())
        with conn.pipeline(), conn.transaction():
            conn.execute(
                f"UPDATE {s}.cases SET store_id = %s, customer_id = %s, order_id = %s, status = %s, version = %s, "
                "next_deadline = %s, snapshot = %s WHERE id = %s AND version = %s",
                (doc["store_id"], doc["customer_id"], doc["order_id"], doc["status"], doc["version"], None,
                 json.dumps(doc, separators=(",", ":"), ensure_ascii=False), case_id, expected),
            )
            # A writer that lost the race finds its version taken: the primary key aborts the transaction.
            conn.execute(f"INSERT INTO {s}.events (case_id, version, kind, actor, at, payload) VALUES (%s, %s, %s, %s, %s, %s)",
                         (case_id, doc["version"], "message_added", json.dumps(actor), now, json.dumps(payload)))
            conn.execute(f"INSERT INTO {s}.outbox (key, case_id, notification) VALUES (%s, %s, %s) ON CONFLICT (key) DO NOTHING",
                         (notification["key"], case_id, json.dumps(notification)))


def raw_replies(raw: RawSQLite | RawPostgres, cases: list[tuple[str, Actor]], count: int, turn: list[int], collect: bool = True) -> float:
    """Seconds per hand-written reply, in the same order as :func:`resolvekit_replies`."""
    if collect:
        gc.collect()
    start = time.perf_counter()
    for i in range(count):
        case_id, buyer = cases[i % len(cases)]
        side = turn[i % len(cases)]
        raw.reply(case_id, side, buyer)
        turn[i % len(cases)] = 1 - side
    return (time.perf_counter() - start) / count


def compare(make_app: Callable[[], ResolveKit], make_raw: Callable[[], RawSQLite | RawPostgres], cases_n: int,
            per_round: int, rounds: int) -> dict[str, float]:
    """Best-of-rounds microseconds per reply for resolvekit (warm and cold cache) and the baseline."""
    app = make_app()
    cases = open_cases(app, cases_n)
    cold_app = make_app()  # the same database, another application: opens its own cases
    cold_cases = open_cases(cold_app, cases_n, first=cases_n)
    cold_app.storage._snapshots = SnapshotCache(0)  # type: ignore[attr-defined]  # decode every snapshot
    raw = make_raw()
    raw_cases = open_cases(make_app(), cases_n, first=2 * cases_n)
    turns = {"rk": [0] * cases_n, "cold": [0] * cases_n, "raw": [0] * cases_n}
    best = {"rk": float("inf"), "cold": float("inf"), "raw": float("inf")}
    chunk = 10
    for _ in range(rounds):
        # Small chunks in turn, so that both sides meet the same disk and the same neighbours.
        spent = {"rk": 0.0, "cold": 0.0, "raw": 0.0}
        gc.collect()
        for _ in range(per_round // chunk):
            spent["raw"] += raw_replies(raw, raw_cases, chunk, turns["raw"], collect=False)
            spent["rk"] += resolvekit_replies(app, cases, chunk, turns["rk"], collect=False)
            spent["cold"] += resolvekit_replies(cold_app, cold_cases, chunk, turns["cold"], collect=False)
        for side, seconds in spent.items():
            best[side] = min(best[side], seconds / (per_round // chunk))
    return {k: v * 1e6 for k, v in best.items()}


# -------------------------------------------------------------------------------------------------
# PostgreSQL scaling: independent worker processes on cases of their own
# -------------------------------------------------------------------------------------------------


def scaling_worker(url: str, number: int, cases_n: int, seconds: float, raw: bool, barrier: Any, results: Any) -> None:
    """Open this worker's cases, wait for the others, then reply for ``seconds``; report the count.

    With ``raw`` the replies are the hand-written baseline's (the same writes through raw psycopg).
    """
    app = ResolveKit(storage=url, clock=Clock())
    cases = open_cases(app, cases_n, first=100_000 * (number + 1) + (50_000 if raw else 0))
    turn = [0] * cases_n
    conninfo, _, schema = url.rpartition("?schema=")
    baseline = RawPostgres(conninfo, schema) if raw else None
    gc.collect()
    barrier.wait(timeout=300)
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        if baseline is None:
            resolvekit_replies(app, cases, 10, turn, collect=False)
        else:
            for i in range(done, done + 10):
                case_id, buyer = cases[i % cases_n]
                baseline.reply(case_id, turn[i % cases_n], buyer)
                turn[i % cases_n] = 1 - turn[i % cases_n]
        done += 10
    results.put(done)
    app.storage.close()


def throughput(url: str, workers: int, cases_n: int, seconds: float, raw: bool = False) -> float:
    """Replies per second of ``workers`` processes together, each on cases of its own."""
    # Workers fork from a server that imported resolvekit once (their start-up is not measured anyway).
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["resolvekit", "resolvekit.domain.lifecycles", "resolvekit.plugins.postgres", "psycopg", __name__])
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=scaling_worker, args=(url, n, cases_n, seconds, raw, barrier, results)) for n in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=300)
    total = sum(results.get(timeout=300) for _ in processes)
    for process in processes:
        process.join()
    return total / seconds


# -------------------------------------------------------------------------------------------------
# Database size per case
# -------------------------------------------------------------------------------------------------


def fill(app: ResolveKit, count: int, first: int) -> None:
    """``count`` complaints of the measured shape: opened, passed review, four replies."""
    cases = open_cases(app, count, first)
    turn = [0] * count
    resolvekit_replies(app, cases, 4 * count, turn)


def sqlite_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, size = conn.execute("PRAGMA page_count").fetchone()[0], conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return int(pages * size)


def postgres_size(url: str, schema: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
    return int(row[0]) if row else 0


def bytes_per_case(measure: Callable[[], int], app: ResolveKit, count: int, batches: int = 1) -> float:
    before = measure()
    per_batch = count // batches
    for b in range(batches):
        fill(app, per_batch, first=1_000_000 + b * per_batch)
    return (measure() - before) / (per_batch * batches)


# -------------------------------------------------------------------------------------------------


def _postgres_reachable(url: str) -> str | None:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # no driver, no server: the PostgreSQL part is skipped, and says why
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (under 20 s)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="PostgreSQL server (default: %(default)s)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    quick = args.quick
    cases_n, per_round, rounds = (16, 40, 3) if quick else (200, 1000, 5)
    size_cases = 400 if quick else SIZE_TARGET_CASES
    summary: dict[str, Any] = {"benchmark": "storage", "unit": "us/command", "quick": quick}
    folder = Path(tempfile.mkdtemp(prefix="resolvekit-bench-"))
    started = time.perf_counter()
    try:
        # SQLite: durable command -------------------------------------------------------------
        rk_db = folder / "resolvekit.sqlite3"  # both sides work on the same database file
        sq = compare(
            lambda: ResolveKit(storage=f"sqlite:///{rk_db}", clock=Clock()),
            lambda: RawSQLite(rk_db),
            cases_n, per_round, rounds,
        )
        sqlite_ratio = sq["rk"] / sq["raw"]
        print(f"SQLite (WAL, synchronous=FULL) durable reply: resolvekit {sq['rk']:.0f} us "
              f"(cold cache {sq['cold']:.0f} us), raw sqlite3 {sq['raw']:.0f} us, ratio {sqlite_ratio:.2f} "
              f"(target <= {RATIO_TARGET})")
        summary.update(resolvekit=round(sq["rk"], 1), baseline=round(sq["raw"], 1), ratio=round(sqlite_ratio, 3),
                       sqlite_cold_us=round(sq["cold"], 1), sqlite_synchronous="FULL")

        # SQLite: size per case --------------------------------------------------------------------
        size_db = folder / "size.sqlite3"
        size_app = ResolveKit(storage=f"sqlite:///{size_db}?synchronous=off", clock=Clock())
        per_case = bytes_per_case(lambda: sqlite_size(size_db), size_app, size_cases)
        size_app.storage.close()
        summary["sqlite_bytes_per_case"] = round(per_case)
        print(f"SQLite database size: {per_case:,.0f} bytes per case ({per_case * SIZE_TARGET_CASES / 2**20:,.0f} MiB "
              f"per 100,000 cases; measured on {size_cases:,} cases"
              f"{', extrapolated linearly' if size_cases < SIZE_TARGET_CASES else ''}; each case: opened, "
              "passed review, four replies with their notifications)")

        # PostgreSQL -------------------------------------------------------------------------------
        reason = "--no-postgres" if args.no_postgres else _postgres_reachable(args.postgres_url)
        if reason is not None:
            print(f"PostgreSQL skipped: {reason}")
            summary["postgres"] = f"skipped: {reason}"
        else:
            url = args.postgres_url
            schemas = [f"rk_bench_{secrets.token_hex(4)}_{name}" for name in ("cmd", "scale", "size")]
            try:
                cmd_url = f"{url}{'&' if '?' in url else '?'}schema={schemas[0]}"
                pg = compare(
                    lambda: ResolveKit(storage=cmd_url, clock=Clock()),
                    lambda: RawPostgres(url, schemas[0]),
                    cases_n // 2, per_round // 2, rounds,
                )
                pg_ratio = pg["rk"] / pg["raw"]
                print(f"PostgreSQL durable reply: resolvekit {pg['rk']:.0f} us (cold cache {pg['cold']:.0f} us), "
                      f"raw psycopg {pg['raw']:.0f} us, ratio {pg_ratio:.2f} (target <= {RATIO_TARGET})")
                summary.update(postgres_resolvekit=round(pg["rk"], 1), postgres_baseline=round(pg["raw"], 1),
                               postgres_ratio=round(pg_ratio, 3), postgres_cold_us=round(pg["cold"], 1))

                scale_url = f"{url}{'&' if '?' in url else '?'}schema={schemas[1]}"
                ResolveKit(storage=scale_url).storage.close()  # create the schema before the workers race to
                seconds = 0.6 if quick else 6.0
                one = throughput(scale_url, 1, 20, seconds)
                eight = throughput(scale_url, 8, 20, seconds)
                raw_one = throughput(scale_url, 1, 20, seconds, raw=True)
                raw_eight = throughput(scale_url, 8, 20, seconds, raw=True)
                scaling, raw_scaling = eight / one, raw_eight / raw_one
                print(f"PostgreSQL throughput on distinct cases: 1 worker {one:,.0f}/s, 8 workers {eight:,.0f}/s, "
                      f"{scaling:.1f}x (target >= {SCALING_TARGET}x); raw psycopg on the same machine: {raw_one:,.0f}/s, "
                      f"{raw_eight:,.0f}/s, {raw_scaling:.1f}x ({os.cpu_count()} CPUs, load average "
                      f"{os.getloadavg()[0]:.1f} from all processes)")
                summary.update(postgres_1_worker_per_s=round(one), postgres_8_workers_per_s=round(eight),
                               postgres_scaling=round(scaling, 2), postgres_raw_scaling=round(raw_scaling, 2),
                               load_average=round(os.getloadavg()[0], 1))

                # The size does not depend on when commits reach the disk: load without waiting for it.
                size_url = f"{url}{'&' if '?' in url else '?'}schema={schemas[2]}&options=-c%20synchronous_commit%3Doff"
                pg_app = ResolveKit(storage=size_url, clock=Clock())
                pg_cases = 120 if quick else SIZE_TARGET_CASES
                pg_per_case = bytes_per_case(lambda: postgres_size(url, schemas[2]), pg_app, pg_cases)
                pg_app.storage.close()
                summary["postgres_bytes_per_case"] = round(pg_per_case)
                print(f"PostgreSQL database size: {pg_per_case:,.0f} bytes per case "
                      f"({pg_per_case * SIZE_TARGET_CASES / 2**20:,.0f} MiB per 100,000 cases; measured on {pg_cases:,} cases"
                      f"{', extrapolated linearly' if pg_cases < SIZE_TARGET_CASES else ''}; tables and indexes)")
            finally:
                for schema in schemas:
                    _drop(url, schema)
        summary["size_cases_measured"] = size_cases
        summary["size_extrapolated_to"] = SIZE_TARGET_CASES
        met = summary["ratio"] <= RATIO_TARGET and summary.get("postgres_ratio", 0) <= RATIO_TARGET and (
            summary.get("postgres_scaling", SCALING_TARGET) >= SCALING_TARGET
        )
        summary["targets_met"] = met
        summary["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
