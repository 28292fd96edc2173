"""SQLite storage (``"sqlite:///resolvekit.sqlite3"``): the embedded default, standard library only.

URLs follow the SQLAlchemy convention:

* ``sqlite:///relative/path.db`` — a file relative to the current directory (three slashes);
* ``sqlite:////absolute/path.db`` — an absolute path (four slashes);
* ``sqlite://:memory:`` (or ``sqlite://``) — a private in-memory database, gone with the object.

Options go in the query string: ``timeout`` (seconds to wait for another writer, default 5) and
``synchronous`` (``full``, the default, makes every commit durable on power loss; ``normal`` keeps
the database consistent but may lose the last commits on power loss, never on a process crash).

The database runs in WAL mode, so readers never wait for the writer; each command commits inside
``BEGIN IMMEDIATE``, so two writers serialise on SQLite's lock for the few statements a commit takes,
and the version check plus the ``(case_id, version)`` primary key make a stale writer fail with
:class:`~resolvekit.errors.ConcurrencyConflict`. Every thread uses its own connection. The schema
is created and upgraded here, with its version recorded in ``resolvekit_schema``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from resolvekit._i18n import N_
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.templates import CannedResponse
from resolvekit.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseUnavailable,
    SchemaError,
    StorageError,
)
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins._records import (
    case_filters,
    SnapshotCache,
    check_commit,
    dumps,
    event_from_row,
    from_micros,
    notification_from_json,
    notification_json,
    query_options,
    to_micros,
)
from resolvekit.storage import (
    AppliedCommand,
    CaseQuery,
    Commit,
    DueCase,
    OutboxEntry,
    Page,
    VerificationCode,
    encode_cursor,
)

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "SQLiteStorage", "parse_url", "resolvekit_open_storage"]

APPLICATION_ID = 0x524B4954
"""``PRAGMA application_id`` of a resolvekit database (``"RKIT"``), so tools can tell the file apart."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # version 1
    (
        """CREATE TABLE resolvekit_schema (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        """CREATE TABLE events (
            case_id TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            at INTEGER NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (case_id, version)
        ) WITHOUT ROWID""",
        """CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            order_id TEXT,
            status TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            version INTEGER NOT NULL,
            next_deadline INTEGER,
            snapshot TEXT NOT NULL
        )""",
        "CREATE INDEX cases_store_status_opened ON cases (store_id, status, opened_at, id)",
        "CREATE INDEX cases_store_opened ON cases (store_id, opened_at, id)",
        "CREATE INDEX cases_customer_opened ON cases (customer_id, opened_at, id)",
        "CREATE INDEX cases_order ON cases (order_id) WHERE order_id IS NOT NULL",
        "CREATE INDEX cases_opened ON cases (opened_at, id)",
        "CREATE INDEX cases_due ON cases (next_deadline, id) WHERE next_deadline IS NOT NULL",
        """CREATE TABLE applied_commands (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            case_id TEXT NOT NULL,
            first_version INTEGER NOT NULL,
            last_version INTEGER NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE outbox (
            key TEXT PRIMARY KEY,
            case_id TEXT NOT NULL,
            notification TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL DEFAULT -9223372036854775808,
            last_error TEXT,
            delivered_at INTEGER
        )""",
        "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL",
        "CREATE INDEX outbox_case ON outbox (case_id)",
    ),
    # version 2: verification codes (keyed hashes only) and guest attempts
    (
        """CREATE TABLE verification_codes (
            case_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            digest TEXT NOT NULL,
            key_id TEXT NOT NULL,
            issued_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            used_at INTEGER,
            PRIMARY KEY (case_id, purpose)
        ) WITHOUT ROWID""",
        "CREATE TABLE guest_attempts (subject TEXT NOT NULL, at INTEGER NOT NULL)",
        "CREATE INDEX guest_attempts_subject ON guest_attempts (subject, at)",
        "CREATE INDEX guest_attempts_at ON guest_attempts (at)",
    ),
    # version 3: canned responses per store and locale
    (
        """CREATE TABLE templates (
            store_id TEXT NOT NULL,
            id TEXT NOT NULL,
            locale TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (store_id, id, locale)
        ) WITHOUT ROWID""",
    ),
    # version 4: the offer-work index, and delivered outbox entries by delivery time (for purging)
    (
        "ALTER TABLE cases ADD COLUMN offer_due INTEGER",
        # Complaints that already have offers are listed once, at the smallest time (0001-01-02 UTC);
        # the offer worker then stores their real next step (or none).
        """UPDATE cases SET offer_due = -62135510400000000
            WHERE kind = 'complaint' AND (snapshot LIKE '%"offers":[{%' OR snapshot LIKE '%"offers": [{%')""",
        "CREATE INDEX cases_offer_due ON cases (offer_due, id) WHERE offer_due IS NOT NULL",
        "CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL",
    ),
)
"""The schema, one tuple of statements per version; ``MIGRATIONS[n - 1]`` upgrades version n-1 to n.

Append to it, never edit a released entry: a database records the versions it went through.
"""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this resolvekit writes; a database with a higher one is refused."""

_SYNCHRONOUS = {"off": "OFF", "normal": "NORMAL", "full": "FULL", "extra": "EXTRA"}

_LOAD = "SELECT snapshot FROM cases WHERE id = ?"
# The snapshot only when it is not the version (of the case opened at that time) the cache holds.
_LOAD_IF_CHANGED = "SELECT CASE WHEN version = ? AND opened_at = ? THEN NULL ELSE snapshot END FROM cases WHERE id = ?"
_EVENTS = "SELECT case_id, version, kind, actor, at, payload FROM events WHERE case_id = ? AND version > ? AND version <= ? ORDER BY version"
_APPLIED = "SELECT key, fingerprint, case_id, first_version, last_version FROM applied_commands WHERE key = ?"
_INSERT_CASE = (
    "INSERT INTO cases (id, kind, store_id, customer_id, order_id, status, opened_at, version, next_deadline, offer_due, "
    "snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_CASE = (
    "UPDATE cases SET store_id = ?, customer_id = ?, order_id = ?, status = ?, version = ?, next_deadline = ?, "
    "offer_due = ?, snapshot = ? WHERE id = ? AND version = ?"
)
_VERSION = "SELECT version FROM cases WHERE id = ?"
_INSERT_EVENT = "INSERT INTO events (case_id, version, kind, actor, at, payload) VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_OUTBOX = "INSERT OR IGNORE INTO outbox (key, case_id, notification) VALUES (?, ?, ?)"
_CODE_COLUMNS = "case_id, purpose, digest, key_id, issued_at, expires_at, attempts, used_at"
_PUT_CODE = (
    f"INSERT INTO verification_codes ({_CODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (case_id, purpose) DO UPDATE SET digest = excluded.digest, key_id = excluded.key_id, "
    "issued_at = excluded.issued_at, expires_at = excluded.expires_at, attempts = excluded.attempts, used_at = excluded.used_at"
)
_GET_CODE = f"SELECT {_CODE_COLUMNS} FROM verification_codes WHERE case_id = ? AND purpose = ?"
_TRY_CODE = (
    "UPDATE verification_codes SET attempts = attempts + 1 "
    "WHERE case_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?"
)
_USE_CODE = "UPDATE verification_codes SET used_at = ? WHERE case_id = ? AND purpose = ? AND digest = ? AND used_at IS NULL"
_FORGET_ATTEMPTS = "DELETE FROM guest_attempts WHERE at < ?"
_PUT_TEMPLATE = (
    "INSERT INTO templates (store_id, id, locale, title, body) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (store_id, id, locale) DO UPDATE SET title = excluded.title, body = excluded.body"
)
_TEMPLATES = "SELECT store_id, id, locale, title, body FROM templates WHERE store_id = ? ORDER BY id, locale"
_TEMPLATES_OF = "SELECT store_id, id, locale, title, body FROM templates WHERE store_id = ? AND id = ? ORDER BY locale"
_DELETE_TEMPLATE = "DELETE FROM templates WHERE store_id = ? AND id = ? AND (? IS NULL OR locale = ?)"
_ADD_ATTEMPT = "INSERT INTO guest_attempts (subject, at) VALUES (?, ?)"
_COUNT_ATTEMPTS = "SELECT count(*) FROM guest_attempts WHERE subject = ? AND at >= ?"
_INSERT_APPLIED = (
    "INSERT INTO applied_commands (key, fingerprint, case_id, first_version, last_version) VALUES (?, ?, ?, ?, ?)"
)
_DUE = "SELECT id, next_deadline FROM cases WHERE next_deadline <= ? ORDER BY next_deadline, id LIMIT ?"
_DUE_AFTER = (
    "SELECT id, next_deadline FROM cases WHERE next_deadline <= ? AND (next_deadline, id) > (?, ?) "
    "ORDER BY next_deadline, id LIMIT ?"
)
_OFFERS_DUE = "SELECT id, offer_due FROM cases WHERE offer_due <= ? ORDER BY offer_due, id LIMIT ?"
_OFFERS_DUE_AFTER = (
    "SELECT id, offer_due FROM cases WHERE offer_due <= ? AND (offer_due, id) > (?, ?) ORDER BY offer_due, id LIMIT ?"
)
_RESCHEDULE_OFFERS = "UPDATE cases SET offer_due = ? WHERE id = ? AND version = ?"
# Through the order index: the unary + keeps SQLite from choosing the store's index (which would
# spare the sort but read every case of the store); an order has a handful of cases to sort.
_OTHER_COMPLAINTS = (
    "SELECT id, snapshot FROM cases WHERE order_id = ? AND +store_id = ? AND kind = 'complaint' AND id <> ? "
    "ORDER BY opened_at DESC, id DESC"
)
_PURGE_DELIVERED = (
    "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? "
    "ORDER BY delivered_at LIMIT ?)"
)
_PURGE_BATCH = 500  # rows per delete statement (each its own short transaction)
_OUTBOX_COLUMNS = "notification, attempts, next_attempt_at, last_error, delivered_at"
_PENDING = (
    f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? "
    "ORDER BY next_attempt_at, rowid LIMIT ?"
)
_OUTBOX = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE case_id = ? ORDER BY rowid"
_DELIVERED = "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE key = ?"
_FAILED = "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE key = ?"
_MAX_INT = 2**63 - 1
_NEVER = -(2**63)  # next_attempt_at of an entry never attempted: due at any time


def parse_url(url: str) -> tuple[str, dict[str, Any]]:
    """The database path (``":memory:"`` for an in-memory one) and the options of a ``sqlite:`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise ConfigurationError(N_("{url!r} is not a sqlite: storage URL."), url=url)
    if parts.netloc in ("", ":memory:") and parts.path in ("", "/", "/:memory:"):
        path = ":memory:"
    elif parts.netloc:
        raise ConfigurationError(
            N_(
                "The storage URL {url!r} names a host; SQLite URLs look like 'sqlite:///relative/file.db' or "
                "'sqlite:////absolute/file.db'."
            ),
            url=url,
        )
    else:
        path = unquote(parts.path[1:])
    options = query_options(
        parts.query,
        {"timeout": float, "synchronous": lambda v: _SYNCHRONOUS[v.lower()] if v.lower() in _SYNCHRONOUS else _bad(v)},
        url,
    )
    return path, options


def _bad(value: str) -> NoReturn:
    raise ValueError(value)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class SQLiteStorage:
    """A :class:`~resolvekit.storage.Storage` in one SQLite database file.

    Args:
        path: the database file (created if missing), or ``":memory:"``.
        timeout: seconds a writer waits for another writer before
            :class:`~resolvekit.errors.DatabaseLocked` (SQLite's busy timeout).
        synchronous: SQLite's ``synchronous`` setting in WAL mode (``"FULL"`` by default: every
            commit survives a power loss).

    Opening creates the schema in a new (or empty) file and upgrades an older one; a file that is
    not a resolvekit database, is damaged, or was written by a newer schema is refused with a
    :class:`~resolvekit.errors.StorageError` subclass.
    """

    def __init__(self, path: str | os.PathLike[str] = "resolvekit.sqlite3", *, timeout: float = 5.0, synchronous: str = "FULL") -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self.synchronous = synchronous.upper()
        if self.synchronous not in _SYNCHRONOUS.values():
            raise ConfigurationError(N_("SQLite synchronous must be one of off, normal, full, extra; got {value!r}."), value=synchronous)
        self.location = "the in-memory SQLite database" if self.path == ":memory:" else f"SQLite database {self.path!r}"
        self._memory = self.path == ":memory:"
        self._guard: threading.RLock | _NoLock = threading.RLock() if self._memory else _NoLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._snapshots = SnapshotCache()
        with self._translate():
            conn = self._connect()
            try:
                self._schema_version(conn)  # refuse a foreign, damaged or newer file before changing it
                self._configure(conn)
                self._prepare_schema(conn)
            except BaseException:
                conn.close()
                raise
            self._connections.append(conn)
            self._local.conn = conn

    # -- connections and errors -------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StorageError(reason=f"{self.location} was closed; open a new storage")
        if self._memory and self._connections:
            conn = self._connections[0]  # one shared connection: a second would be another database
        else:
            conn = self._open()
            with self._connections_lock:
                self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        if not self._memory:
            folder = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(folder):
                raise DatabaseUnavailable(location=self.location, reason=f"the folder {folder!r} does not exist")
        return sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False, cached_statements=256
        )

    def _configure(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and not self._memory:
            raise DatabaseUnavailable(location=self.location, reason=f"cannot switch to WAL mode (got {mode!r})")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")

    def _open(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn the driver's exceptions into resolvekit's storage errors."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> StorageError:
        text = str(exc)
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            return DatabaseLocked(location=self.location, timeout=self.timeout)
        if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            return DatabaseCorrupt(location=self.location, reason=text)
        if "unable to open" in lowered or "disk i/o" in lowered or "readonly" in lowered:
            return DatabaseUnavailable(location=self.location, reason=text)
        return StorageError(reason=f"{self.location}: {text}")

    # -- schema -----------------------------------------------------------------------------------

    def _prepare_schema(self, conn: sqlite3.Connection) -> None:
        found = self._schema_version(conn)
        if found == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = self._schema_version(conn)  # another process may have just created it
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO resolvekit_schema (version) VALUES (?)", (version,))
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _schema_version(self, conn: sqlite3.Connection) -> int:
        """The recorded schema version (0 for an empty file); refuses foreign and newer databases."""
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id not in (0, APPLICATION_ID) or (tables and "resolvekit_schema" not in tables):
            raise SchemaError(
                N_(
                    "{location} is not a resolvekit database (it holds other tables: {tables}). Point the storage "
                    "URL at a new file or at an existing resolvekit database."
                ),
                location=self.location,
                tables=", ".join(sorted(tables)[:5]) or "none",
            )
        if not tables:
            return 0
        found = conn.execute("SELECT max(version) FROM resolvekit_schema").fetchone()[0] or 0
        if found > SCHEMA_VERSION:
            raise SchemaError(location=self.location, found=found, supported=SCHEMA_VERSION)
        return int(found)

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._guard, self._translate():
            return self._schema_version(self._connection())

    # -- the Storage protocol ---------------------------------------------------------------------

    def load(self, case_id: str) -> Case | None:
        """The latest snapshot of the case."""
        known = self._snapshots.cached(case_id)
        with self._guard, self._translate():
            if known is None:
                row = self._connection().execute(_LOAD, (case_id,)).fetchone()
            else:
                row = self._connection().execute(_LOAD_IF_CHANGED, (known.version, to_micros(known.opened_at), case_id)).fetchone()
        if row is None:
            return None
        if row[0] is None:
            return known  # the stored case is still the one the cache holds: no snapshot read, nothing decoded
        return self._snapshots.decode(case_id, row[0], lambda: self.events(case_id))

    def events(self, case_id: str, *, after_version: int = 0, up_to_version: int | None = None) -> list[CaseEvent]:
        """The case's events in ``(after_version, up_to_version]``, oldest first."""
        upper = _MAX_INT if up_to_version is None else up_to_version
        with self._guard, self._translate():
            rows = self._connection().execute(_EVENTS, (case_id, after_version, upper)).fetchall()
        return [event_from_row(c, v, k, a, from_micros(at), p) for c, v, k, a, at, p in rows]

    def commit(self, commit: Commit) -> AppliedCommand | None:
        """Write the command in one ``BEGIN IMMEDIATE`` transaction (see the Storage rules)."""
        check_commit(commit)
        case = commit.case
        case_id = case.id
        expected = commit.expected_version
        snapshot = self._snapshots.encode(case)
        events = [
            (case_id, e.version, e.kind.value, dumps(e.actor.to_dict()), to_micros(e.at), dumps(dict(e.payload)))
            for e in commit.events
        ]
        outbox = [(n.key, n.case_id, notification_json(n)) for n in commit.notifications]
        applied = commit.applied
        deadline = None if commit.next_deadline is None else to_micros(commit.next_deadline)
        offer_due = None if commit.next_offer_step is None else to_micros(commit.next_offer_step)
        with self._guard, self._translate():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if applied is not None:
                    row = conn.execute(_APPLIED, (applied.key,)).fetchone()
                    if row is not None:
                        conn.execute("ROLLBACK")
                        return AppliedCommand(*row)
                if expected == 0:
                    try:
                        conn.execute(
                            _INSERT_CASE,
                            (case_id, case.kind, case.store_id, case.customer_id, case.order_id, case.status,
                             to_micros(case.opened_at), case.version, deadline, offer_due, snapshot),
                        )
                        written = 1
                    except sqlite3.IntegrityError:
                        written = 0
                else:
                    written = conn.execute(
                        _UPDATE_CASE,
                        (case.store_id, case.customer_id, case.order_id, case.status, case.version, deadline, offer_due,
                         snapshot, case_id, expected),
                    ).rowcount
                if written != 1:
                    row = conn.execute(_VERSION, (case_id,)).fetchone()
                    conn.execute("ROLLBACK")
                    raise ConcurrencyConflict(case_id=case_id, expected=expected, actual=0 if row is None else row[0])
                conn.executemany(_INSERT_EVENT, events)
                if outbox:
                    conn.executemany(_INSERT_OUTBOX, outbox)
                if applied is not None:
                    conn.execute(
                        _INSERT_APPLIED,
                        (applied.key, applied.fingerprint, applied.case_id, applied.first_version, applied.last_version),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._snapshots.put(case_id, snapshot, case)
        return None

    def applied(self, key: str) -> AppliedCommand | None:
        """The command recorded for an idempotency key."""
        with self._guard, self._translate():
            row = self._connection().execute(_APPLIED, (key,)).fetchone()
        return None if row is None else AppliedCommand(*row)

    def query(self, query: CaseQuery) -> Page:
        """Filter and page the cases in SQL (newest first, keyset paging on ``(opened_at, id)``)."""
        where, params = case_filters(
            query, "?", to_micros, lambda statuses: (f"status IN ({', '.join('?' * len(statuses))})", list(statuses))
        )
        sql = "SELECT id, snapshot FROM cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY opened_at DESC, id DESC LIMIT ?"
        params.append(query.limit + 1)
        with self._guard, self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        more = len(rows) > query.limit
        items = tuple(
            self._snapshots.decode(case_id, text, functools.partial(self.events, case_id)) for case_id, text in rows[: query.limit]
        )
        return Page(items, encode_cursor(items[-1]) if more else None)

    def other_complaints(self, order_id: str, store_id: str, case_id: str) -> Sequence[Case]:
        """The store's complaints about the order other than ``case_id``, newest first, in one query (OrderIndex)."""
        with self._guard, self._translate():
            rows = self._connection().execute(_OTHER_COMPLAINTS, (order_id, store_id, case_id)).fetchall()
        return [self._snapshots.decode(other_id, text, functools.partial(self.events, other_id)) for other_id, text in rows]

    def due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next SLA deadline is at or before ``until``, by ``(deadline, case id)``, after ``after``."""
        sql = _DUE
        params: tuple[Any, ...] = (to_micros(until), limit)
        if after is not None:
            sql, params = _DUE_AFTER, (to_micros(until), to_micros(after[0]), after[1], limit)
        with self._guard, self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        return [DueCase(case_id, from_micros(at)) for case_id, at in rows]

    def offers_due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next offer step is at or before ``until``, by ``(step, case id)``, after ``after`` (OfferIndex)."""
        sql = _OFFERS_DUE
        params: tuple[Any, ...] = (to_micros(until), limit)
        if after is not None:
            sql, params = _OFFERS_DUE_AFTER, (to_micros(until), to_micros(after[0]), after[1], limit)
        with self._guard, self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        return [DueCase(case_id, from_micros(at)) for case_id, at in rows]

    def reschedule_offers(self, case_id: str, version: int, at: datetime | None) -> bool:
        """Set the case's next offer step if the case is still at ``version``."""
        micros = None if at is None else to_micros(at)
        with self._guard, self._translate():
            return bool(self._connection().execute(_RESCHEDULE_OFFERS, (micros, case_id, version)).rowcount == 1)

    def purge_delivered(self, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` entries delivered before ``before``, oldest first, in batches (OutboxRetention).

        Each batch is one short statement of its own, so a large purge never keeps other writers
        waiting for long.
        """
        cutoff = to_micros(before)
        purged = 0
        while purged < limit:
            batch = min(_PURGE_BATCH, limit - purged)
            with self._guard, self._translate():
                deleted = int(self._connection().execute(_PURGE_DELIVERED, (cutoff, batch)).rowcount)
            purged += deleted
            if deleted < batch:
                break
        return purged

    def pending_notifications(self, now: datetime, limit: int = 100) -> Sequence[OutboxEntry]:
        """Undelivered entries due at ``now``, oldest due first."""
        with self._guard, self._translate():
            rows = self._connection().execute(_PENDING, (to_micros(now), limit)).fetchall()
        return [_outbox_entry(row) for row in rows]

    def mark_delivered(self, key: str, at: datetime) -> None:
        """Record a delivery."""
        self._write(_DELIVERED, (to_micros(at), key))

    def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt and when to retry."""
        self._write(_FAILED, (error, to_micros(retry_at), key))

    def outbox(self, case_id: str) -> Sequence[OutboxEntry]:
        """Every outbox entry of the case, in the order they were written."""
        with self._guard, self._translate():
            rows = self._connection().execute(_OUTBOX, (case_id,)).fetchall()
        return [_outbox_entry(row) for row in rows]

    # -- verification codes and guest attempts (VerificationStore) --------------------------------

    def put_verification_code(self, code: VerificationCode) -> None:
        """Store the current code of its case and purpose (replacing the one before)."""
        used = None if code.used_at is None else to_micros(code.used_at)
        self._write(
            _PUT_CODE,
            (code.case_id, code.purpose, code.digest, code.key_id, to_micros(code.issued_at), to_micros(code.expires_at), code.attempts, used),
        )

    def verification_code(self, case_id: str, purpose: str) -> VerificationCode | None:
        """The current code of the case and purpose."""
        with self._guard, self._translate():
            row = self._connection().execute(_GET_CODE, (case_id, purpose)).fetchone()
        return None if row is None else _code(row)

    def try_verification_code(self, case_id: str, purpose: str, at: datetime, max_attempts: int) -> VerificationCode | None:
        """Take one attempt on the current code if it is usable (one ``BEGIN IMMEDIATE`` transaction)."""
        with self._guard, self._translate(), self._transaction() as conn:
            if conn.execute(_TRY_CODE, (case_id, purpose, to_micros(at), max_attempts)).rowcount != 1:
                return None
            row = conn.execute(_GET_CODE, (case_id, purpose)).fetchone()
        return _code(row)

    def use_verification_code(self, case_id: str, purpose: str, digest: str, at: datetime) -> bool:
        """Mark the code used, once."""
        with self._guard, self._translate():
            return bool(self._connection().execute(_USE_CODE, (to_micros(at), case_id, purpose, digest)).rowcount == 1)

    def count_guest_attempt(self, subject: str, at: datetime, window_start: datetime) -> int:
        """Record an attempt and count the subject's attempts in the window (one transaction)."""
        start = to_micros(window_start)
        with self._guard, self._translate(), self._transaction() as conn:
            conn.execute(_FORGET_ATTEMPTS, (start,))
            conn.execute(_ADD_ATTEMPT, (subject, to_micros(at)))
            return int(conn.execute(_COUNT_ATTEMPTS, (subject, start)).fetchone()[0])

    # -- canned responses (TemplateStore) ----------------------------------------------------------

    def save_template(self, template: CannedResponse) -> None:
        """Insert or replace the template's ``(store_id, id, locale)`` version."""
        assert template.store_id is not None, "a saved template belongs to a store"
        self._write(_PUT_TEMPLATE, (template.store_id, template.id, template.locale, template.title, template.body))

    def templates(self, store_id: str, *, template_id: str | None = None) -> Sequence[CannedResponse]:
        """The store's templates by ``(id, locale)``."""
        with self._guard, self._translate():
            conn = self._connection()
            rows = (conn.execute(_TEMPLATES, (store_id,)) if template_id is None else conn.execute(_TEMPLATES_OF, (store_id, template_id))).fetchall()
        return [CannedResponse(i, title, body, store_id=s, locale=locale) for s, i, locale, title, body in rows]

    def delete_template(self, store_id: str, template_id: str, locale: str | None = None) -> int:
        """Delete one locale version (or all versions) of a template."""
        with self._guard, self._translate():
            return int(self._connection().execute(_DELETE_TEMPLATE, (store_id, template_id, locale, locale)).rowcount)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this storage opened (from any thread)."""
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
        self._snapshots.clear()

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._guard, self._translate():
            self._connection().execute(sql, params)

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"


def _outbox_entry(row: tuple[str, int, int, str | None, int | None]) -> OutboxEntry:
    notification, attempts, next_attempt_at, last_error, delivered_at = row
    return OutboxEntry(
        notification_from_json(notification),
        attempts,
        None if next_attempt_at == _NEVER else from_micros(next_attempt_at),
        last_error,
        None if delivered_at is None else from_micros(delivered_at),
    )


def _code(row: tuple[str, str, str, str, int, int, int, int | None]) -> VerificationCode:
    case_id, purpose, digest, key_id, issued_at, expires_at, attempts, used_at = row
    return VerificationCode(
        case_id, purpose, digest, key_id, from_micros(issued_at), from_micros(expires_at), attempts,
        None if used_at is None else from_micros(used_at),
    )


def open_sqlite(url: str) -> SQLiteStorage:
    """Open the SQLite storage a ``sqlite:`` URL names."""
    path, options = parse_url(url)
    return SQLiteStorage(path, **options)


@hookimpl
def resolvekit_open_storage(url: str) -> SQLiteStorage | None:
    """Open SQLite storage for ``sqlite:`` URLs."""
    return open_sqlite(url) if url.split(":", 1)[0] == "sqlite" else None

