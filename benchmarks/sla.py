"""Benchmark: an SLA sweep's cost follows what is due, not what is open; deadlines on a business calendar.

1. **Sweep**: two SQLite databases, one with 10,000 open complaints and one with 1,000,000 (``--quick``:
   10,000 and 100,000), each with exactly 1,000 complaints whose 24 h first-response deadline has
   passed. One :meth:`ResolveKit.sweep` on each records the 1,000 breaches through normal commands.
   ``resolvekit`` is the sweep time on the large database, ``baseline`` the sweep time on the small
   one, and ``ratio`` their quotient (target <= 2: the deadline index means the large database costs
   about the same as the small one).

   The cases are bulk-loaded: a few template complaints are created through the application, then
   copied inside SQLite (``INSERT ... SELECT`` over a generated series, with the case id rewritten),
   so loading a million cases takes seconds, not hours. Open cases that are not due have deadlines
   spread over the following days.

2. **Deadlines**: ``BusinessCalendar("Europe/Berlin", Mon-Fri 09:00-17:00, German public holidays)``
   computes deadlines of 1 to 72 working hours from random starts over two years (target >= 100,000
   per second).

Usage: ``python benchmarks/sla.py [--quick]``. The last line printed is one JSON object with
``benchmark``, ``resolvekit``, ``baseline``, ``unit``, ``ratio`` and the extras.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from resolvekit import Actor, Customer, Order, OrderItem, ResolveKit
from resolvekit.domain.calendars import BusinessCalendar
from resolvekit.testing import ManualClock

DUE = 1_000
RATIO_TARGET = 2.0
DEADLINES_TARGET = 100_000
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CUSTOMER = Customer("cust-1", "Noura")
ORDER = Order(
    id="ord-1",
    number="1001",
    store_id="store-1",
    customer_id=CUSTOMER.id,
    status="delivered",
    created_at=datetime(2026, 2, 20, tzinfo=UTC),
    total_paid=Decimal("249.00"),
    currency="SAR",
    items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("249.00")),),
)


def _template(app: ResolveKit) -> str:
    result = app.open_complaint(
        Actor.customer(CUSTOMER.id), order=ORDER, customer=CUSTOMER, reason="damaged_goods", description="It broke.", declaration_accepted=True
    )
    app.pass_review(Actor.platform("agent"), result.case.id)
    return result.case.id


def build(path: Path, open_cases: int, due: int = DUE) -> float:
    """Create ``path`` with ``open_cases`` open complaints, ``due`` of them past their deadline. Returns seconds."""
    started = time.perf_counter()
    clock = ManualClock(T0)
    app = ResolveKit(storage=f"sqlite:///{path}", clock=clock)
    due_template = _template(app)  # reviewed at T0: first response due at T0 + 24 h
    clock.advance(days=2)
    later_template = _template(app)  # reviewed at T0 + 2 days: due long after the sweep
    app.storage.close()

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")  # a throw-away load: no journal; the application turns WAL back on
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA locking_mode = EXCLUSIVE")
    db.execute("PRAGMA cache_size = -400000")
    # Load without the secondary indexes, then build them once (much faster than updating them per row).
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('cases', 'events')").fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    tables = {
        row[0]: [c[1] for c in db.execute(f"PRAGMA table_info({row[0]})")]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('cases', 'events')")
    }
    db.execute("BEGIN")
    for template, first, count, spread in ((due_template, 0, due, 0), (later_template, due, open_cases - due, 1)):
        if count <= 0:
            continue
        for table, columns in tables.items():
            key = "id" if table == "cases" else "case_id"
            select = []
            for column in columns:
                if column == key:
                    select.append("printf('B-%08d', n.i)")
                elif column in ("snapshot", "payload"):
                    select.append(f"replace({column}, :old, printf('B-%08d', n.i))")
                elif column == "next_deadline" and spread:
                    select.append("next_deadline + (n.i % 100000) * 1000000")  # spread over the next day
                else:
                    select.append(column)
            db.execute(
                f"WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM {table}, n WHERE {table}.{key} = :old",
                {"old": template, "first": first, "last": first + count - 1},
            )
    for table, columns in tables.items():
        key = "id" if table == "cases" else "case_id"
        db.execute(f"DELETE FROM {table} WHERE {key} IN (?, ?)", (due_template, later_template))
    db.execute("DELETE FROM outbox")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    opened = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    db.close()
    assert opened == open_cases, (opened, open_cases)
    os.sync()  # the sweep should not compete with the write-back of the load
    return time.perf_counter() - started


def sweep(path: Path) -> tuple[float, int, dict[str, Any]]:
    """Sweep ``path`` once at T0 + 25 h; returns (seconds, steps taken, report extras)."""
    clock = ManualClock(T0 + timedelta(hours=25))
    app = ResolveKit(storage=f"sqlite:///{path}?synchronous=normal", clock=clock)
    gc.collect()
    started = time.perf_counter()
    report = app.sweep(limit=10 * DUE)
    elapsed = time.perf_counter() - started
    again = app.sweep(limit=10 * DUE)
    app.storage.close()
    kinds = sorted({s.kind for s in report.steps})
    return elapsed, report.taken, {"examined": report.examined, "kinds": kinds, "errors": len(report.errors), "second_sweep_steps": len(again.steps)}


def deadlines(count: int) -> float:
    """Deadlines per second on a Berlin business calendar with German holidays."""
    calendar = BusinessCalendar("Europe/Berlin", {"mon-fri": "09:00-17:00"}, country="DE")
    rng = random.Random(7)
    starts = [T0 + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(count)]
    durations = [timedelta(hours=rng.randint(1, 72)) for _ in range(count)]
    for year in (2026, 2027, 2028):  # tables are built once per year, on first use
        calendar.add(datetime(year, 6, 1, tzinfo=UTC), timedelta(hours=1))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for start, duration in zip(starts, durations, strict=True):
            calendar.add(start, duration)
        best = min(best, time.perf_counter() - started)
    return count / best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k vs 100k open cases (under 20 s)")
    args = parser.parse_args(argv)
    small, large = 10_000, (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="resolvekit-sla-") as tmp:
        warm = Path(tmp) / "warm-up.db"  # first use compiles tables and codecs: keep it out of the timings
        build(warm, 20, due=5)
        sweep(warm)
        results: dict[int, tuple[float, int, dict[str, Any]]] = {}
        builds: dict[int, float] = {}
        for size in (small, large):
            path = Path(tmp) / f"sla-{size}.db"
            builds[size] = build(path, size)
            results[size] = sweep(path)
            print(
                f"{size:>9,} open cases: built in {builds[size]:6.1f} s; sweep of {results[size][1]} due cases "
                f"took {results[size][0] * 1000:8.1f} ms ({results[size][2]})",
                file=sys.stderr,
            )
            path.unlink()
    per_second = deadlines(20_000 if args.quick else 200_000)
    print(f"deadlines on a business calendar: {per_second:,.0f} per second (target >= {DEADLINES_TARGET:,})", file=sys.stderr)
    large_s, small_s = results[large][0], results[small][0]
    ratio = large_s / small_s
    line = {
        "benchmark": "sla",
        "resolvekit": round(large_s, 4),
        "baseline": round(small_s, 4),
        "unit": "s",
        "ratio": round(ratio, 3),
        "ratio_target": RATIO_TARGET,
        "what": f"sweep of {DUE} due cases among {large} open (resolvekit) vs among {small} open (baseline), SQLite",
        "open_cases_large": large,
        "open_cases_small": small,
        "due_cases": DUE,
        "steps_taken": [results[large][1], results[small][1]],
        "deadlines_per_second": round(per_second),
        "deadlines_target": DEADLINES_TARGET,
        "build_seconds": [round(builds[large], 1), round(builds[small], 1)],
        "targets_met": ratio <= RATIO_TARGET and per_second >= DEADLINES_TARGET,
        "quick": args.quick,
    }
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
