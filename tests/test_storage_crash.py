"""A worker killed with SIGKILL at random points while it issues commands and dispatches the outbox.

The worker appends to three logs with unbuffered writes, so they survive the kill: ``intents`` (a
command is about to be sent), ``done`` (the command returned: it is committed) and ``delivered``
(the notifier received a notification, before the outbox records it). After every kill the database
must be consistent (contiguous versions, snapshots equal to their logs, outbox and idempotency
records pointing at real events), every ``done`` command must be there, nothing may be there that no
worker intended, and every delivered notification must be one the database committed. A restarted
worker first re-sends the command it may have lost, with the same idempotency key. At the end a
dispatcher drains the outbox: every committed notification has then been delivered (at least once).
"""

from __future__ import annotations

import importlib.metadata
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from resolvekit import Actor, Customer, Order, ResolveKit, hookimpl
from resolvekit.domain.cases import fold
from resolvekit.storage import Storage

pytestmark = pytest.mark.slow

KILLS = 15
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _append(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


class FileNotifier:
    """Delivers a notification by appending its key to a file (the receiver dedupes by key)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @hookimpl
    def resolvekit_deliver(self, notification: object) -> str:
        _append(self.path, notification.key)  # type: ignore[attr-defined]
        return "written"


def worker(url: str, logs: str, case_ids: str, run: int) -> None:
    """Issue replies (customer and merchant in turn) on the cases and dispatch, until killed."""
    folder = Path(logs)
    app = ResolveKit(storage=url, plugins=[FileNotifier(folder / "delivered")])
    ids = case_ids.split(",")
    customers = {case_id: app.storage.load(case_id).customer_id for case_id in ids}  # type: ignore[union-attr]
    merchant = Actor.merchant("owner", store_id="store-1")
    intents = _lines(folder / "intents")
    done = set(_lines(folder / "done"))
    pending = [line for line in intents if line not in done]

    def send(line: str) -> None:
        case_id, key, who = line.split("|")
        actor = merchant if who == "m" else Actor.customer(customers[case_id])
        try:
            app.reply(actor, case_id, key, idempotency_key=key)
        except Exception as exc:  # the lifecycle may refuse (e.g. the customer replies twice): record it
            _append(folder / "refused", f"{key}:{type(exc).__name__}")
        _append(folder / "done", line)

    for line in pending:  # the command the last worker may have lost: sent again with its key
        send(line)
    _append(folder / "ready", str(run))
    rng = random.Random(run)
    i = 0
    while True:
        i += 1
        case_id = rng.choice(ids)
        line = f"{case_id}|r{run}-{i}|{rng.choice('mc')}"
        _append(folder / "intents", line)
        send(line)
        if i % 3 == 0:
            app.dispatch(limit=5)


def _open_cases(url: str) -> list[str]:
    app = ResolveKit(storage=url, clock=lambda: T0)
    ids = []
    for i in range(4):
        customer = Customer(f"c-{i}", f"Customer {i}")
        order = Order(id=f"o-{i}", store_id="store-1", customer_id=customer.id, status="delivered",
                      created_at=T0 - timedelta(days=2), total_paid=Decimal("80.00"), currency="SAR")
        ids.append(app.open_complaint(Actor.customer(customer.id), order=order, customer=customer,
                                      reason="damaged_goods", description="Broken", declaration_accepted=True).case.id)
        app.pass_review(Actor.platform("agent"), ids[-1])
    app.storage.close()
    return ids


def _check(storage: Storage, case_ids: list[str], logs: Path, url: str) -> set[str]:
    """Check consistency after a kill; returns the keys of every committed notification."""
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    intents = {line.split("|")[1] for line in _lines(logs / "intents")}
    done = {line.split("|")[1] for line in _lines(logs / "done")}
    refused = {line.split(":")[0] for line in _lines(logs / "refused")}
    in_db: list[str] = []
    outbox: set[str] = set()
    for case_id in case_ids:
        log = storage.events(case_id)
        assert [e.version for e in log] == list(range(1, len(log) + 1))
        assert storage.load(case_id) == fold(log)
        in_db += [e.payload["body"] for e in log if "body" in e.payload]
        entries = storage.outbox(case_id)
        assert all(e.notification.event_version <= len(log) for e in entries)
        outbox |= {e.notification.key for e in entries}
    assert len(in_db) == len(set(in_db)), "a command was applied twice"
    assert set(in_db) <= intents, "something no worker sent is in the database"
    assert done - refused <= set(in_db), "a command the worker saw committed is missing"
    scopes = ["merchant:store-1:owner", *(f"customer::c-{i}" for i in range(4))]  # how the application scopes keys
    for key in set(in_db):
        record = next((r for r in (storage.applied(f"{scope}:{key}") for scope in scopes) if r is not None), None)
        assert record is not None and record.first_version == record.last_version
        assert any(e.version == record.first_version and e.payload.get("body") == key for e in storage.events(record.case_id))
    assert set(_lines(logs / "delivered")) <= outbox, "a notification was delivered that was never committed"
    return outbox


def _open(url: str) -> Storage:
    """The storage a freshly started process would see (no cached snapshots)."""
    if url.startswith("sqlite:"):
        from resolvekit.plugins.sqlite import open_sqlite

        return open_sqlite(url)
    from resolvekit.plugins.postgres import open_postgres

    return open_postgres(url)


def _crash_many_times(url: str, tmp_path: Path) -> None:
    case_ids = _open_cases(url)
    logs = tmp_path / "logs"
    logs.mkdir()
    rng = random.Random(2026)
    # Workers fork from a server that has imported resolvekit (and this module) once: a fresh
    # process per kill, without paying the interpreter start and the imports every time.
    ctx = multiprocessing.get_context("forkserver")
    plugins = [e.value.partition(":")[0] for e in importlib.metadata.entry_points(group="resolvekit")]
    ctx.set_forkserver_preload(["resolvekit", "resolvekit.domain.lifecycles", "psycopg", *plugins, __name__])
    for run in range(KILLS):
        ready = len(_lines(logs / "ready"))
        process = ctx.Process(target=worker, args=(url, str(logs), ",".join(case_ids), run))
        process.start()
        deadline = time.monotonic() + 60
        while len(_lines(logs / "ready")) == ready:
            assert process.is_alive(), f"the worker died with exit code {process.exitcode}"
            assert time.monotonic() < deadline, "the worker never got ready"
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.2))  # a random point in the worker's commands and dispatches
        process.kill()
        process.join()
        assert process.exitcode == -signal.SIGKILL, "the worker stopped on its own"
        storage = _open(url)
        try:
            _check(storage, case_ids, logs, url)
        finally:
            storage.close()
    assert len(_lines(logs / "done")) > KILLS, "the workers got commands through between kills"

    # Drain the outbox (later, so any backoff has passed): every committed notification is delivered.
    app = ResolveKit(storage=url, plugins=[FileNotifier(logs / "delivered")], clock=lambda: datetime.now(UTC) + timedelta(days=2))
    while app.dispatch(100).delivered:
        pass
    outbox = _check(app.storage, case_ids, logs, url)
    assert set(_lines(logs / "delivered")) == outbox
    assert all(e.delivered_at is not None for case_id in case_ids for e in app.storage.outbox(case_id))
    app.storage.close()


def test_sigkill_on_sqlite(tmp_path: Path) -> None:
    _crash_many_times(f"sqlite:///{tmp_path / 'crash.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_sigkill_on_postgresql(tmp_path: Path, postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    _crash_many_times(f"{conninfo}?schema={schema}", tmp_path)
