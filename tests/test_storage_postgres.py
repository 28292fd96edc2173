"""PostgreSQL storage: URLs, schema management, a server that goes away, atomicity, no driver on import.

Every test needs the server of ``RESOLVEKIT_TEST_POSTGRES_URL`` and skips (with the reason) without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from resolvekit import ResolveKit
from resolvekit.errors import ConfigurationError, DatabaseUnavailable, SchemaError, StorageError
from resolvekit.plugins.postgres import SCHEMA_VERSION, PostgresStorage, parse_url
from resolvekit.storage import AppliedCommand
from resolvekit.testing.conformance import _note_commit, _ticket_commit

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_urls_keep_libpq_options_and_take_the_schema() -> None:
    assert parse_url("postgresql://u@h:5/db?schema=shop_1&sslmode=disable") == ("postgresql://u@h:5/db?sslmode=disable", "shop_1")
    assert parse_url("postgres://u@h/db") == ("postgres://u@h/db", "resolvekit")
    assert parse_url("postgresql://h/db?options=-c%20lock_timeout%3D5s&schema=s") == (
        "postgresql://h/db?options=-c%20lock_timeout%3D5s", "s"
    )
    with pytest.raises(ConfigurationError, match="plain identifier"):
        parse_url('postgresql://u@h/db?schema=x";drop')


def test_an_unreachable_server_is_reported() -> None:
    with pytest.raises(DatabaseUnavailable, match="not reachable"):
        PostgresStorage("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")


pytestmark = pytest.mark.postgres


@pytest.fixture
def storage(postgres_schema: tuple[str, str]) -> Iterator[PostgresStorage]:
    conninfo, schema = postgres_schema
    opened = PostgresStorage(conninfo, schema=schema)
    yield opened
    opened.close()


def _admin(conninfo: str) -> object:
    import psycopg

    return psycopg.connect(conninfo, autocommit=True)


def test_the_url_opens_postgres_through_the_plugin(postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    with ResolveKit(storage=f"{conninfo}?schema={schema}") as app:
        assert isinstance(app.storage, PostgresStorage)
        assert app.storage.schema == schema
        assert app.storage.schema_version() == SCHEMA_VERSION


def test_a_schema_from_the_future_is_refused(storage: PostgresStorage, postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        conn.execute(f'INSERT INTO "{schema}".resolvekit_schema (version) VALUES (42)')
    with pytest.raises(SchemaError, match="version 42"):
        PostgresStorage(conninfo, schema=schema)


def test_a_schema_of_another_application_is_refused(postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".products (sku text)')
    with pytest.raises(SchemaError, match="not a resolvekit schema"):
        PostgresStorage(conninfo, schema=schema)


def test_processes_opening_a_new_schema_at_once_agree(postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    opened: list[PostgresStorage] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostgresStorage(conninfo, schema=schema))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {s.schema_version() for s in opened} == {SCHEMA_VERSION}
    for s in opened:
        s.close()


def test_a_commit_failing_halfway_writes_nothing(storage: PostgresStorage, postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    opening = _ticket_commit("T-1", "store-1", "cust-1")
    storage.commit(opening)
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        conn.execute(
            f"CREATE FUNCTION \"{schema}\".fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'disk full'; END $$"
        )
        conn.execute(f'CREATE TRIGGER fail BEFORE INSERT ON "{schema}".outbox FOR EACH ROW EXECUTE FUNCTION "{schema}".fail()')
    before = (storage.events("T-1"), list(storage.outbox("T-1")))
    with pytest.raises(StorageError, match="disk full"):
        storage.commit(_note_commit(opening.case, "never", T0, applied=AppliedCommand("k", "fp", "T-1", 2, 2)))
    fresh = PostgresStorage(conninfo, schema=schema)
    assert (fresh.events("T-1"), list(fresh.outbox("T-1"))) == before
    assert fresh.load("T-1") == opening.case and fresh.applied("k") is None
    fresh.close()


def _backend_pid(storage: PostgresStorage) -> int:
    return int(storage._connection().info.backend_pid)


def test_a_server_gone_between_load_and_commit(storage: PostgresStorage, postgres_schema: tuple[str, str]) -> None:
    conninfo, _ = postgres_schema
    opening = _ticket_commit("T-2", "store-1", "cust-1")
    storage.commit(opening)
    case = storage.load("T-2")
    assert case is not None
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        conn.execute("SELECT pg_terminate_backend(%s)", (_backend_pid(storage),))
    with pytest.raises(DatabaseUnavailable):
        storage.commit(_note_commit(case, "lost", T0))
    assert [e.version for e in storage.events("T-2")] == [1]  # a new connection, nothing half-written
    storage.commit(_note_commit(case, "retried", T0))
    assert [m.body for m in storage.load("T-2").messages] == ["retried"]  # type: ignore[union-attr]


def test_a_server_gone_in_the_middle_of_a_commit(storage: PostgresStorage, postgres_schema: tuple[str, str]) -> None:
    conninfo, schema = postgres_schema
    opening = _ticket_commit("T-3", "store-1", "cust-1")
    storage.commit(opening)
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        # The outbox insert comes after the case update and the events: stall the commit there.
        conn.execute(
            f"CREATE FUNCTION \"{schema}\".stall() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$"
        )
        conn.execute(f'CREATE TRIGGER stall BEFORE INSERT ON "{schema}".outbox FOR EACH ROW EXECUTE FUNCTION "{schema}".stall()')
    outcome: list[BaseException | None] = []

    def commit() -> None:
        try:
            storage.commit(_note_commit(opening.case, "interrupted", T0))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=commit)
    worker.start()
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        for _ in range(200):  # wait until the commit statement (on the worker's connection) stalls in the trigger
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE %s", (f'%"{schema}".events%',)
            ).fetchone()
            if row:
                pid = row[0]
                break
            time.sleep(0.05)
        else:  # pragma: no cover
            pytest.fail("the commit never reached the stalled trigger")
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    worker.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseUnavailable)
    fresh = PostgresStorage(conninfo, schema=schema)
    assert [e.version for e in fresh.events("T-3")] == [1]
    assert fresh.load("T-3") == opening.case
    fresh.close()


def test_a_version_3_schema_gets_the_offer_index_and_its_offers_are_carried_out(postgres_schema: tuple[str, str]) -> None:
    from datetime import timedelta

    from resolvekit.plugins import postgres as postgres_plugin
    from resolvekit.testing import ManualClock
    from scenarios import offer_complaints

    conninfo, schema = postgres_schema
    old = f"{schema}_v3"
    clock = ManualClock(T0)
    with ResolveKit(storage=f"{conninfo}?schema={schema}", clock=clock) as app:
        accepted, proposed, bare = offer_complaints(app, T0)
    try:
        with _admin(conninfo) as conn:  # type: ignore[attr-defined]
            conn.execute(f'CREATE SCHEMA "{old}"')  # the first three migrations only, then the rows of the new schema
            for version, statements in enumerate(postgres_plugin.MIGRATIONS[:3], start=1):
                for statement in statements:
                    conn.execute(statement.format(s=f'"{old}"'))
                conn.execute(f'INSERT INTO "{old}".resolvekit_schema (version) VALUES (%s)', (version,))
            columns = "id, kind, store_id, customer_id, order_id, status, opened_at, version, next_deadline, snapshot"
            conn.execute(f'INSERT INTO "{old}".cases ({columns}) SELECT {columns} FROM "{schema}".cases')
            conn.execute(f'INSERT INTO "{old}".events SELECT * FROM "{schema}".events')
            columns = "key, case_id, notification, attempts, next_attempt_at, last_error, delivered_at"
            conn.execute(f'INSERT INTO "{old}".outbox ({columns}) SELECT {columns} FROM "{schema}".outbox')
        with ResolveKit(storage=f"{conninfo}?schema={old}", clock=clock) as app:
            storage = app.storage
            assert isinstance(storage, PostgresStorage) and storage.schema_version() == 4
            rows = dict(storage._connection().execute(f'SELECT id, offer_due FROM "{old}".cases').fetchall())
            smallest = datetime(1, 1, 2, tzinfo=UTC)
            assert rows == {accepted: smallest, proposed: smallest, bare: None}
            assert app.execute_pending().executed == 1
            assert [(r.case_id, r.next_deadline) for r in storage.offers_due(T0 + timedelta(days=9))] == [(proposed, T0 + timedelta(days=3))]
            clock.advance(days=3)
            assert app.expire_offers() == 1 and list(storage.offers_due(T0 + timedelta(days=9))) == []
    finally:
        with _admin(conninfo) as conn:  # type: ignore[attr-defined]
            conn.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')


def test_other_complaints_are_the_latest_snapshots_written_by_another_storage(storage: PostgresStorage, postgres_schema: tuple[str, str]) -> None:
    from datetime import timedelta

    from resolvekit.testing.conformance import _case, _opening_commit

    conninfo, schema = postgres_schema
    second = PostgresStorage(conninfo, schema=schema)
    mine = _case("C-1", "store-1", "cust-1", T0, kind="complaint", order_id="ord-1")
    other = _case("C-2", "store-1", "cust-1", T0 + timedelta(minutes=1), kind="complaint", order_id="ord-1")
    storage.commit(_opening_commit(mine))
    storage.commit(_opening_commit(other))
    assert storage.other_complaints("ord-1", "store-1", "C-1") == [other]  # now in the first storage's snapshot cache
    noted = _note_commit(other, "from the second", T0 + timedelta(hours=1))
    second.commit(noted)
    assert storage.other_complaints("ord-1", "store-1", "C-1") == [noted.case]
    assert storage.other_complaints("ord-1", "store-1", "C-2") == [mine]
    assert storage.other_complaints("ord-1", "store-2", "C-1") == []
    second.close()


def test_the_other_complaints_of_an_order_are_read_through_the_order_index(
    storage: PostgresStorage, postgres_schema: tuple[str, str]
) -> None:
    conninfo, schema = postgres_schema
    with _admin(conninfo) as conn:  # type: ignore[attr-defined]
        # one store's 20,000 cases, two per order, analysed: the planner sees what a real table holds
        conn.execute(
            f"""INSERT INTO "{schema}".cases (id, kind, store_id, customer_id, order_id, status, opened_at, version, snapshot)
            SELECT 'C-' || g, 'complaint', 'store-1', 'cust-' || (g % 500), 'ord-' || (g / 2), 'open',
                   timestamptz '2026-01-01 00:00+00' + g * interval '1 minute', 1, '{{}}'
            FROM generate_series(1, 20000) g"""
        )
        conn.execute(f'ANALYZE "{schema}".cases')
        sql = storage._sql_other_complaints.replace("%s", "$1", 1).replace("%s", "$2", 1).replace("%s", "$3", 1)
        conn.execute(f"PREPARE other_complaints_plan(text, text, text) AS {sql}")
        plans = []
        for mode in ("force_custom_plan", "force_generic_plan"):  # psycopg prepares statements it runs often
            conn.execute(f"SET plan_cache_mode = {mode}")
            plans.append("\n".join(row[0] for row in conn.execute("EXPLAIN EXECUTE other_complaints_plan('ord-7', 'store-1', 'C-14')")))
    for plan in plans:
        assert "cases_order" in plan and "cases_store" not in plan, plan  # not every case of the store
