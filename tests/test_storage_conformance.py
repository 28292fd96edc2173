"""The storage conformance suite on every built-in backend: in-memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from resolvekit.plugins.memory import MemoryStorage
from resolvekit.plugins.sqlite import SQLiteStorage
from resolvekit.storage import Storage
from resolvekit.testing.conformance import StorageConformance


class TestMemoryStorage(StorageConformance):
    durable = False

    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        return MemoryStorage


class TestSQLiteStorage(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> Callable[[], Storage]:
        return lambda: SQLiteStorage(tmp_path / "cases.sqlite3")


class TestSQLiteInMemory(StorageConformance):
    durable = False

    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        return lambda: SQLiteStorage(":memory:")


@pytest.mark.postgres
class TestPostgresStorage(StorageConformance):
    @pytest.fixture
    def make_storage(self, postgres_schema: tuple[str, str]) -> Iterator[Callable[[], Storage]]:
        from resolvekit.plugins.postgres import PostgresStorage

        conninfo, schema = postgres_schema
        yield lambda: PostgresStorage(conninfo, schema=schema)


# -- the suite itself can fail: broken backends must be caught ---------------------------------------

_MUTANTS = '''
import attrs
import pytest
from hypothesis import Phase, settings
from resolvekit.errors import ConcurrencyConflict
from resolvekit.plugins.memory import MemoryStorage
from resolvekit.storage import Page, decode_cursor, encode_cursor
from resolvekit.testing.conformance import StorageConformance


class NoVersionCheck(MemoryStorage):
    def commit(self, commit):
        log = self._events.setdefault(commit.case.id, [])
        log.extend(commit.events)
        self._cases[commit.case.id] = commit.case
        return None


class WritesBeforeChecking(MemoryStorage):
    def commit(self, commit):
        self._events.setdefault(commit.case.id, []).extend(commit.events)
        actual = len(self._events[commit.case.id]) - len(commit.events)
        if actual != commit.expected_version:
            raise ConcurrencyConflict(case_id=commit.case.id, expected=commit.expected_version, actual=actual)
        self._cases[commit.case.id] = commit.case
        for n in commit.notifications:
            self._outbox.setdefault(n.key, __import__("resolvekit.storage").storage.OutboxEntry(n))
        if commit.applied:
            self._applied[commit.applied.key] = commit.applied


class ForgetsKeys(MemoryStorage):
    def commit(self, commit):
        return super().commit(attrs.evolve(commit, applied=None))

    def applied(self, key):
        return None


class ClosedDateRange(MemoryStorage):
    def query(self, query):
        if query.opened_before is not None:
            query = attrs.evolve(query, opened_before=query.opened_before + __import__("datetime").timedelta(microseconds=1))
        return super().query(query)


class NoBackoff(MemoryStorage):
    def mark_failed(self, key, error, retry_at):
        entry = self._outbox[key]
        self._outbox[key] = attrs.evolve(entry, attempts=entry.attempts + 1, last_error=error)


class CursorIgnoresTies(MemoryStorage):
    def query(self, query):
        if query.after:
            at, _ = decode_cursor(query.after)
            query = attrs.evolve(query, after=None, opened_before=at)
        return super().query(query)


class PurgesUndelivered(MemoryStorage):
    def purge_delivered(self, before, limit=1000):
        keys = [k for k, e in self._outbox.items() if e.delivered_at is None or e.delivered_at < before][:limit]
        for key in keys:
            del self._outbox[key]
        return len(keys)


class ReschedulesOverNewerCommits(MemoryStorage):
    def reschedule_offers(self, case_id, version, at):
        case = self._cases.get(case_id)
        return case is not None and super().reschedule_offers(case_id, case.version, at)


class OrderIndexIgnoresStoreAndKind(MemoryStorage):
    def other_complaints(self, order_id, store_id, case_id):
        found = [self._cases[i] for i in self._by_order.get(order_id, ()) if i != case_id]
        return sorted(found, key=lambda c: (c.opened_at, c.id), reverse=True)


settings.register_profile("mutants", phases=[Phase.explicit, Phase.generate])  # a failure is enough: no shrinking
settings.load_profile("mutants")

for _cls in (NoVersionCheck, WritesBeforeChecking, ForgetsKeys, ClosedDateRange, NoBackoff, CursorIgnoresTies, PurgesUndelivered,
             ReschedulesOverNewerCommits, OrderIndexIgnoresStoreAndKind):
    globals()["Test" + _cls.__name__] = type(
        "Test" + _cls.__name__,
        (StorageConformance,),
        {"durable": False, "make_storage": pytest.fixture(lambda self, _cls=_cls: _cls)},
    )
'''

_CAUGHT_BY = {
    "NoVersionCheck": "test_stale_writer_gets_a_conflict_and_writes_nothing",
    "WritesBeforeChecking": "test_stale_writer_gets_a_conflict_and_writes_nothing",
    "ForgetsKeys": "test_known_idempotency_key_writes_nothing_and_returns_its_record",
    "ClosedDateRange": "test_date_bounds_are_half_open",
    "NoBackoff": "test_outbox_pending_failed_backoff_delivered",
    "CursorIgnoresTies": "test_paging_through_ties_is_stable",
    "PurgesUndelivered": "test_purging_deletes_only_entries_delivered_before_the_cut_off",
    "ReschedulesOverNewerCommits": "test_rescheduling_an_offer_step_needs_the_current_version",
    "OrderIndexIgnoresStoreAndKind": "test_other_complaints_of_an_order_are_the_ones_the_query_finds",
}


def test_the_suite_catches_broken_backends(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    (tmp_path / "test_mutants.py").write_text(_MUTANTS)
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", "--no-header",
            "-k", " or ".join(sorted(set(_CAUGHT_BY.values()))), str(tmp_path / "test_mutants.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    failed = set(re.findall(r"^FAILED \S+::Test(\w+)::(\w+)", done.stdout, re.MULTILINE))
    for mutant, test in _CAUGHT_BY.items():
        assert (mutant, test) in failed, f"the suite did not catch {mutant} with {test}:\n{done.stdout[-3000:]}"
