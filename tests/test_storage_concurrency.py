"""Eight processes issuing interleaved commands on shared cases, on one SQLite file and on PostgreSQL.

Afterwards every case's versions are contiguous, every accepted command is in the log exactly once
(at the versions its caller was told), no command is applied twice (idempotency keys are retried
and re-sent on purpose), and every conflict reached its caller: a command whose caller saw only
``ConcurrencyConflict`` is not in the log.

The first round is a forced race: each process loads the same case, then all of them wait at a
barrier (inside the clock the application reads after loading) before committing, so exactly one
wins and seven get a conflict.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from resolvekit import Actor, ConcurrencyConflict, Customer, Order, ResolveKit
from resolvekit.domain.cases import fold

pytestmark = pytest.mark.slow

WORKERS = 8
COMMANDS = 30
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class _BarrierClock:
    """The system clock, except that its first reading waits for every worker (a forced race)."""

    def __init__(self, barrier: Any) -> None:
        self.barrier = barrier

    def __call__(self) -> datetime:
        if self.barrier is not None:
            barrier, self.barrier = self.barrier, None
            barrier.wait(timeout=120)
        return datetime.now(UTC)


def worker(url: str, number: int, case_ids: list[str], store_id: str, barrier: Any, results: Any) -> None:
    """Issue commands on the shared cases and report every outcome: (outcome, key, case, versions)."""
    clock = _BarrierClock(barrier)
    app = ResolveKit(storage=url, clock=clock)
    merchant = Actor.merchant(f"agent-{number}", store_id=store_id)
    rng = random.Random(number)
    outcomes: list[tuple[str, str, str, int, int]] = []

    def note(case_id: str, key: str) -> None:
        try:
            result = app.add_note(merchant, case_id, key, idempotency_key=key)
        except ConcurrencyConflict:
            outcomes.append(("conflict", key, case_id, 0, 0))
            return
        first, last = result.events[0].version, result.events[-1].version
        outcomes.append(("replayed" if result.replayed else "accepted", key, case_id, first, last))

    try:
        note(case_ids[0], f"race-{number}")  # the forced race
        accepted: list[tuple[str, str]] = []
        for i in range(COMMANDS):
            case_id = rng.choice(case_ids)
            key = f"w{number}-{i}"
            for _attempt in range(3):  # a host retries a conflict with the same key
                note(case_id, key)
                if outcomes[-1][0] != "conflict":
                    accepted.append((case_id, key))
                    break
            if accepted and rng.random() < 0.2:  # a lost reply: the same command sent again
                note(*rng.choice(accepted))
    finally:
        app.storage.close()
        results.put((number, outcomes))


def _open_cases(url: str, store_id: str, n: int) -> list[str]:
    app = ResolveKit(storage=url, clock=lambda: T0)
    ids = []
    for i in range(n):
        customer = Customer(f"c-{i}", f"Customer {i}")
        order = Order(id=f"o-{i}", store_id=store_id, customer_id=customer.id, status="delivered",
                      created_at=T0 - timedelta(days=2), total_paid=Decimal("50.00"), currency="SAR")
        result = app.open_complaint(Actor.customer(customer.id), order=order, customer=customer,
                                    reason="damaged_goods", description="Broken", declaration_accepted=True)
        ids.append(result.case.id)
    app.storage.close()
    return ids


def _run(url: str) -> None:
    store_id = "store-1"
    case_ids = _open_cases(url, store_id, 3)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [ctx.Process(target=worker, args=(url, n, case_ids, store_id, barrier, results)) for n in range(WORKERS)]
    for process in processes:
        process.start()
    reported = dict(results.get(timeout=240) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(reported) == list(range(WORKERS))

    app = ResolveKit(storage=url)
    logs = {case_id: app.storage.events(case_id) for case_id in case_ids}
    notes = Counter()
    where: dict[str, tuple[str, int]] = {}
    for case_id, log in logs.items():
        assert [e.version for e in log] == list(range(1, len(log) + 1)), "versions are contiguous"
        assert app.storage.load(case_id) == fold(log), "the snapshot is the fold of the log"
        for event in log:
            if event.payload.get("internal"):
                notes[event.payload["body"]] += 1
                where[event.payload["body"]] = (case_id, event.version)
    assert all(count == 1 for count in notes.values()), "no command is applied twice"

    outcomes = [o for _, per_worker in sorted(reported.items()) for o in per_worker]
    race = [o for o in outcomes if o[1].startswith("race-")]
    assert Counter(o[0] for o in race) == {"accepted": 1, "conflict": WORKERS - 1}, "the forced race has one winner"
    final: dict[str, str] = {}
    for outcome, key, case_id, first, last in outcomes:
        if outcome in ("accepted", "replayed"):
            assert where.get(key) == (case_id, first) and first == last, f"{key} is in the log where its caller was told"
            final[key] = "applied"
        else:
            final.setdefault(key, "conflict")
    for key, state in final.items():
        assert (key in notes) == (state == "applied"), f"{key}: a command whose caller saw only conflicts is not in the log"
    assert set(notes) == {k for k, s in final.items() if s == "applied"}, "nothing is in the log that no caller issued"
    assert sum(len(log) for log in logs.values()) == len(case_ids) + len(notes)
    app.storage.close()


def test_eight_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    _run(f"sqlite:///{tmp_path / 'shared.sqlite3'}")


@pytest.mark.postgres
def test_eight_processes_on_postgresql(postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    _run(f"{conninfo}?schema={schema}")
