"""SQLite storage: URLs, schema management, bad files, locks, atomicity, indexes, and the defaults."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from resolvekit import Actor, ResolveKit
from resolvekit.errors import (
    ConfigurationError,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseUnavailable,
    SchemaError,
    StorageError,
)
from resolvekit.plugins import sqlite as sqlite_plugin
from resolvekit.plugins.sqlite import APPLICATION_ID, SCHEMA_VERSION, SQLiteStorage, parse_url
from resolvekit.storage import AppliedCommand, CaseQuery
from resolvekit.testing.conformance import _note_commit, _ticket_commit

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _seed(path: Path) -> str:
    """A resolvekit database with one case of two events; returns the case id."""
    storage = SQLiteStorage(path)
    opening = _ticket_commit("T-1", "store-1", "cust-1")
    storage.commit(opening)
    storage.commit(_note_commit(opening.case, "hello", T0))
    storage.close()
    return "T-1"


# -- URLs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path", "options"),
    [
        ("sqlite:///resolvekit.sqlite3", "resolvekit.sqlite3", {}),
        ("sqlite:///data/cases.db", "data/cases.db", {}),
        ("sqlite:////var/lib/rk/cases.db", "/var/lib/rk/cases.db", {}),
        ("sqlite:///my%20cases.db", "my cases.db", {}),
        ("sqlite://", ":memory:", {}),
        ("sqlite://:memory:", ":memory:", {}),
        ("sqlite:///:memory:", ":memory:", {}),
        ("sqlite:///x.db?timeout=0.5&synchronous=normal", "x.db", {"timeout": 0.5, "synchronous": "NORMAL"}),
    ],
)
def test_urls(url: str, path: str, options: dict[str, object]) -> None:
    assert parse_url(url) == (path, options)


@pytest.mark.parametrize(
    "url", ["sqlite://host/x.db", "sqlite:///x.db?colour=blue", "sqlite:///x.db?timeout=soon", "sqlite:///x.db?synchronous=maybe"]
)
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_url(url)


def test_the_url_opens_sqlite_through_the_plugin(tmp_path: Path) -> None:
    with ResolveKit(storage=f"sqlite:///{tmp_path / 'a.db'}") as app:
        assert isinstance(app.storage, SQLiteStorage)
        assert app.storage.path == str(tmp_path / "a.db")


def test_a_host_that_configures_nothing_gets_a_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with ResolveKit() as app:
        assert isinstance(app.storage, SQLiteStorage)
    assert (tmp_path / "resolvekit.sqlite3").is_file()


# -- schema -----------------------------------------------------------------------------------------


def test_a_new_file_gets_the_schema_wal_and_the_application_id(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    storage = SQLiteStorage(path)
    assert storage.schema_version() == SCHEMA_VERSION
    storage.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("SELECT version FROM resolvekit_schema").fetchall() == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    conn.close()


def test_commits_are_durable_by_default(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "x.db")
    assert storage._connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    storage.close()
    relaxed = SQLiteStorage(tmp_path / "x.db", synchronous="normal")
    assert relaxed._connection().execute("PRAGMA synchronous").fetchone()[0] == 1
    relaxed.close()


def test_an_older_schema_is_upgraded_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    case_id = _seed(path)
    upgraded = (*sqlite_plugin.MIGRATIONS, ("CREATE TABLE reminders (case_id TEXT PRIMARY KEY)",))
    monkeypatch.setattr(sqlite_plugin, "MIGRATIONS", upgraded)
    monkeypatch.setattr(sqlite_plugin, "SCHEMA_VERSION", len(upgraded))
    storage = SQLiteStorage(path)
    try:
        assert storage.schema_version() == SCHEMA_VERSION + 1
        assert [e.version for e in storage.events(case_id)] == [1, 2]
        storage._connection().execute("SELECT count(*) FROM reminders")
    finally:
        storage.close()


def test_a_schema_from_the_future_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    _seed(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO resolvekit_schema (version) VALUES (99)")
    conn.close()
    with pytest.raises(SchemaError, match="version 99") as info:
        ResolveKit(storage=f"sqlite:///{path}")
    assert "Upgrade resolvekit" in str(info.value)


def test_a_database_of_another_application_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE products (sku TEXT)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="not a resolvekit database"):
        SQLiteStorage(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"These are my notes, not a database. " * 200)
    before = path.read_bytes()
    with pytest.raises(DatabaseCorrupt, match="not a database"):
        SQLiteStorage(path)
    assert path.read_bytes() == before


def test_a_damaged_database_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    storage = SQLiteStorage(path)
    for n in range(40):
        opening = _ticket_commit(f"T-{n}", "store-1", "cust-1")
        storage.commit(opening)
    storage.close()  # the last connection checkpoints the WAL into the file
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : len(data)] = b"\xa5" * (len(data) - 2 * page)  # keep the header and the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt):
        damaged = SQLiteStorage(path)
        damaged.query(CaseQuery(limit=100))
        damaged.events("T-3")


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        SQLiteStorage(tmp_path / "no" / "such" / "folder.db")


def test_a_closed_storage_refuses_work(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "x.db")
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.load("T-1")


# -- locks and atomicity ----------------------------------------------------------------------------


def test_a_locked_database_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    case_id = _seed(path)
    storage = SQLiteStorage(path, timeout=0.2)
    case = storage.load(case_id)
    assert case is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLocked, match="locked"):
            storage.commit(_note_commit(case, "while locked", T0))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [e.version for e in storage.events(case_id)] == [1, 2]
    storage.commit(_note_commit(case, "after the lock", T0))  # the lock is gone, the storage works
    assert [e.version for e in storage.events(case_id)] == [1, 2, 3]
    storage.close()


def test_a_commit_failing_halfway_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    case_id = _seed(path)
    storage = SQLiteStorage(path)
    case = storage.load(case_id)
    assert case is not None
    # The outbox is written after the events and the snapshot: make it fail there.
    storage._connection().execute(
        "CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    record = AppliedCommand("key-1", "fp", case_id, 3, 3)
    before = (storage.events(case_id), list(storage.outbox(case_id)))
    with pytest.raises(StorageError, match="disk full"):
        storage.commit(_note_commit(case, "never", T0, applied=record))
    fresh = SQLiteStorage(path)  # not this object's snapshot cache: what the file holds
    assert (fresh.events(case_id), list(fresh.outbox(case_id))) == before
    assert fresh.load(case_id) == case
    assert fresh.applied("key-1") is None
    fresh.close()
    storage.close()


def test_two_storages_on_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first, second = SQLiteStorage(path), SQLiteStorage(path)
    opening = _ticket_commit("T-9", "store-1", "cust-1")
    first.commit(opening)
    assert second.load("T-9") == opening.case
    second.commit(_note_commit(opening.case, "from the second", T0))
    assert first.load("T-9").version == 2  # type: ignore[union-attr]
    first.close()
    second.close()


# -- indexes ----------------------------------------------------------------------------------------


def _plan(storage: SQLiteStorage, sql: str, params: tuple[object, ...]) -> str:
    rows = storage._connection().execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize(
    ("where", "params", "indexes"),
    [
        ("store_id = ? AND status IN (?, ?)", ("s", "a", "b"), {"cases_store_status_opened", "cases_store_opened"}),
        ("store_id = ? AND status = ?", ("s", "a"), {"cases_store_status_opened"}),
        ("store_id = ?", ("s",), {"cases_store_opened"}),
        ("customer_id = ?", ("c",), {"cases_customer_opened"}),
        ("order_id = ?", ("o",), {"cases_order"}),
        ("opened_at < ?", (0,), {"cases_opened"}),
    ],
)
def test_case_listings_use_an_index(tmp_path: Path, where: str, params: tuple[object, ...], indexes: set[str]) -> None:
    storage = SQLiteStorage(tmp_path / "x.db")
    plan = _plan(storage, f"SELECT id, snapshot FROM cases WHERE {where} ORDER BY opened_at DESC, id DESC LIMIT 51", params)
    used = {word for word in plan.replace("(", " ").split() if word.startswith("cases_")}
    assert used and used <= indexes, plan
    assert "SCAN cases" not in plan or "USING INDEX" in plan, plan
    storage.close()


def test_the_outbox_and_deadlines_use_their_indexes(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "x.db")
    assert "outbox_due" in _plan(storage, sqlite_plugin._PENDING, (0, 100))
    assert "cases_due" in _plan(storage, sqlite_plugin._DUE, (0, 100))
    assert "cases_offer_due" in _plan(storage, sqlite_plugin._OFFERS_DUE, (0, 100))
    assert "cases_offer_due" in _plan(storage, sqlite_plugin._OFFERS_DUE_AFTER, (0, 0, "C-1", 100))
    purge = _plan(storage, sqlite_plugin._PURGE_DELIVERED, (0, 100))
    assert "outbox_delivered" in purge and "SCAN outbox" not in purge, purge  # pending rows are not read
    storage.close()


def test_the_other_complaints_of_an_order_are_read_through_the_order_index(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "x.db")
    plan = _plan(storage, sqlite_plugin._OTHER_COMPLAINTS, ("o", "s", "C-1"))
    assert "cases_order" in plan and "cases_store" not in plan, plan  # not every case of the store
    storage.close()


def test_other_complaints_are_the_latest_snapshots_written_by_another_storage(tmp_path: Path) -> None:
    from resolvekit.testing.conformance import _case, _opening_commit

    path = tmp_path / "shared.db"
    first, second = SQLiteStorage(path), SQLiteStorage(path)
    mine = _case("C-1", "store-1", "cust-1", T0, kind="complaint", order_id="ord-1")
    other = _case("C-2", "store-1", "cust-1", T0 + timedelta(minutes=1), kind="complaint", order_id="ord-1")
    first.commit(_opening_commit(mine))
    first.commit(_opening_commit(other))
    assert first.other_complaints("ord-1", "store-1", "C-1") == [other]  # now in first's snapshot cache
    noted = _note_commit(other, "from the second", T0 + timedelta(hours=1))
    second.commit(noted)
    assert first.other_complaints("ord-1", "store-1", "C-1") == [noted.case]
    assert first.other_complaints("ord-1", "store-1", "C-2") == [mine]
    assert first.other_complaints("ord-1", "store-2", "C-1") == []
    first.close()
    second.close()


# -- schema version 4: the offer index and delivered outbox entries, on a version-3 database ----------


def _version_3_copy(source: Path, path: Path) -> None:
    """A database at schema version 3 (the first three migrations only) holding the rows of ``source``."""
    conn = sqlite3.connect(path, isolation_level=None)
    for version, statements in enumerate(sqlite_plugin.MIGRATIONS[:3], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO resolvekit_schema (version) VALUES (?)", (version,))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("ATTACH DATABASE ? AS old", (str(source),))
    columns = "id, kind, store_id, customer_id, order_id, status, opened_at, version, next_deadline, snapshot"
    conn.execute(f"INSERT INTO cases ({columns}) SELECT {columns} FROM old.cases")
    for table in ("events", "outbox", "applied_commands"):
        conn.execute(f"INSERT INTO {table} SELECT * FROM old.{table}")
    conn.execute("DETACH DATABASE old")
    conn.close()


def test_a_version_3_database_gets_the_offer_index_and_its_offers_are_carried_out(tmp_path: Path) -> None:
    from resolvekit.testing import ManualClock
    from scenarios import PLATFORM, offer_complaints

    clock = ManualClock(T0)
    platform = PLATFORM
    with ResolveKit(storage=f"sqlite:///{tmp_path / 'v4.db'}", clock=clock) as app:
        accepted, proposed, bare = offer_complaints(app, T0)
        ticket = "T-1"
        app.storage.commit(_ticket_commit(ticket, "s-1", "c-1"))
    _version_3_copy(tmp_path / "v4.db", tmp_path / "v3.db")

    with ResolveKit(storage=f"sqlite:///{tmp_path / 'v3.db'}", clock=clock) as app:
        storage = app.storage
        assert isinstance(storage, SQLiteStorage) and storage.schema_version() == 4
        rows = dict(storage._connection().execute("SELECT id, offer_due FROM cases").fetchall())
        smallest = sqlite_plugin.to_micros(datetime(1, 1, 2, tzinfo=UTC))
        assert rows == {accepted: smallest, proposed: smallest, bare: None, ticket: None}  # complaints with offers, once
        assert app.execute_pending().executed == 1
        assert app.get_case(platform, accepted).offers[0].status == "executed"  # type: ignore[attr-defined]
        assert list(storage.offers_due(clock.now)) == []  # the proposed offer's entry was set right on the way
        assert [(r.case_id, r.next_deadline) for r in storage.offers_due(T0 + timedelta(days=9))] == [(proposed, T0 + timedelta(days=3))]
        clock.advance(days=3)
        assert app.expire_offers() == 1
        assert list(storage.offers_due(T0 + timedelta(days=9))) == []
        assert storage.load(bare) is not None and storage.load(ticket) is not None


# -- the demo and the dispatcher --------------------------------------------------------------------


def test_the_demo_runs_on_sqlite_and_says_where(capsys: pytest.CaptureFixture[str]) -> None:
    from resolvekit.__main__ import main

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("Storage: sqlite:///") and "demo.sqlite3" in first
    path = first.split("sqlite:///", 1)[1].split(" ", 1)[0]
    assert Path(path).is_file()
    assert "Outbox:" in out


def test_the_dispatcher_delivers_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with ResolveKit(storage=f"sqlite:///{path}", clock=lambda: T0) as app:
        from decimal import Decimal

        from resolvekit import Customer, Order

        customer = Customer("c-1", "Noura")
        order = Order(id="o-1", store_id="s-1", customer_id="c-1", status="delivered", created_at=T0 - timedelta(days=2),
                      total_paid=Decimal("10.00"), currency="SAR")
        app.open_complaint(Actor.customer("c-1"), order=order, customer=customer, reason="damaged_goods",
                           description="Cracked", declaration_accepted=True)
    (tmp_path / "mailer.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            from resolvekit import hookimpl

            @hookimpl
            def resolvekit_deliver(notification):
                with open(Path(__file__).with_name("sent.txt"), "a") as sent:
                    sent.write(notification.key + "\\n")
                return "sent"
            """
        )
    )
    command = [sys.executable, "-m", "resolvekit", "dispatch", "--storage", f"sqlite:///{path}", "--plugin", "mailer"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "Delivered 2 notification(s); 0 failed" in done.stdout
    sent = (tmp_path / "sent.txt").read_text().split()
    storage = SQLiteStorage(path)
    case_id = storage.query(CaseQuery()).items[0].id
    assert sorted(sent) == sorted(e.notification.key for e in storage.outbox(case_id))
    assert all(e.delivered_at is not None for e in storage.outbox(case_id))
    storage.close()
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                           env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert "Delivered 0 notification(s)" in again.stdout


def test_importing_resolvekit_does_not_import_a_database_driver() -> None:
    code = (
        "import sys, resolvekit\n"
        "resolvekit.ResolveKit(storage='memory://')\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_configuration_error_at_start_up_leaves_no_database_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match="clock"):
        ResolveKit(blocked=["clock"])  # no clock: refused before the default SQLite file is created
    assert list(tmp_path.iterdir()) == []
