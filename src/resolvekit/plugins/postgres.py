"""PostgreSQL storage (``"postgresql://user@host:5432/db"``) for hosts with several processes or servers.

Needs psycopg 3: ``pip install 'resolvekit[postgres]'``. psycopg is imported when the first
PostgreSQL storage opens, never by ``import resolvekit``.

The URL is a libpq connection URL (``postgresql://`` or ``postgres://``, with any libpq option in
the query string) plus resolvekit's own option ``schema`` (default ``resolvekit``): the PostgreSQL
schema that holds the tables, created if missing. Several applications (or test runs) can share a
database, each in its own schema.

How it keeps the Storage rules without long-held locks:

* Every command commits in **one statement** (one round trip): a data-modifying ``WITH`` query
  that updates the case row only if it is still at the expected version, and appends the events,
  the outbox entries and the idempotency record only through that update. PostgreSQL runs a
  statement atomically, so a command is entirely written or not at all, even when the server or
  the connection goes away halfway.
* A stale writer's update matches no row (or its events collide on the ``(case_id, version)``
  primary key) and gets :class:`~resolvekit.errors.ConcurrencyConflict`; a row lock is held only
  while that one statement runs.
* Each thread uses its own connection, in autocommit mode; a broken connection is dropped and the
  next call opens a new one.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from resolvekit._i18n import N_
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.templates import CannedResponse
from resolvekit.errors import (
    ConcurrencyConflict,
    ConfigurationError,
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
    notification_from_json,
    notification_json,
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

if TYPE_CHECKING:
    import psycopg

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStorage", "parse_url", "resolvekit_open_storage"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # version 1; {s} is the quoted schema name
    (
        """CREATE TABLE {s}.resolvekit_schema (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE {s}.events (
            case_id text COLLATE "C" NOT NULL,
            version integer NOT NULL CHECK (version >= 1),
            kind text NOT NULL,
            actor text NOT NULL,
            at timestamptz NOT NULL,
            payload text NOT NULL,
            PRIMARY KEY (case_id, version)
        )""",
        """CREATE TABLE {s}.cases (
            id text COLLATE "C" PRIMARY KEY,
            kind text NOT NULL,
            store_id text NOT NULL,
            customer_id text NOT NULL,
            order_id text,
            status text NOT NULL,
            opened_at timestamptz NOT NULL,
            version integer NOT NULL,
            next_deadline timestamptz,
            snapshot text NOT NULL
        )""",
        "CREATE INDEX cases_store_status_opened ON {s}.cases (store_id, status, opened_at, id)",
        "CREATE INDEX cases_store_opened ON {s}.cases (store_id, opened_at, id)",
        "CREATE INDEX cases_customer_opened ON {s}.cases (customer_id, opened_at, id)",
        "CREATE INDEX cases_order ON {s}.cases (order_id) WHERE order_id IS NOT NULL",
        "CREATE INDEX cases_opened ON {s}.cases (opened_at, id)",
        "CREATE INDEX cases_due ON {s}.cases (next_deadline, id) WHERE next_deadline IS NOT NULL",
        """CREATE TABLE {s}.applied_commands (
            key text PRIMARY KEY,
            fingerprint text NOT NULL,
            case_id text NOT NULL,
            first_version integer NOT NULL,
            last_version integer NOT NULL
        )""",
        """CREATE TABLE {s}.outbox (
            seq bigint GENERATED ALWAYS AS IDENTITY,
            key text PRIMARY KEY,
            case_id text NOT NULL,
            notification text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
            last_error text,
            delivered_at timestamptz
        )""",
        "CREATE INDEX outbox_due ON {s}.outbox (next_attempt_at, seq) WHERE delivered_at IS NULL",
        "CREATE INDEX outbox_case ON {s}.outbox (case_id, seq)",
    ),
    # version 2: verification codes (keyed hashes only) and guest attempts
    (
        """CREATE TABLE {s}.verification_codes (
            case_id text COLLATE "C" NOT NULL,
            purpose text NOT NULL,
            digest text NOT NULL,
            key_id text NOT NULL,
            issued_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            used_at timestamptz,
            PRIMARY KEY (case_id, purpose)
        )""",
        "CREATE TABLE {s}.guest_attempts (subject text COLLATE \"C\" NOT NULL, at timestamptz NOT NULL)",
        "CREATE INDEX guest_attempts_subject ON {s}.guest_attempts (subject, at)",
        "CREATE INDEX guest_attempts_at ON {s}.guest_attempts (at)",
    ),
    # version 3: canned responses per store and locale
    (
        """CREATE TABLE {s}.templates (
            store_id text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            locale text COLLATE "C" NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (store_id, id, locale)
        )""",
    ),
    # version 4: the offer-work index, and delivered outbox entries by delivery time (for purging).
    # Complaints that already have offers are listed once, at the smallest time (0001-01-02 UTC, which
    # reads back in any session time zone); the offer worker then stores their real next step.
    (
        "ALTER TABLE {s}.cases ADD COLUMN offer_due timestamptz",
        """UPDATE {s}.cases SET offer_due = '0001-01-02 00:00:00+00'
            WHERE kind = 'complaint' AND (snapshot LIKE '%"offers":[{{%' OR snapshot LIKE '%"offers": [{{%')""",
        "CREATE INDEX cases_offer_due ON {s}.cases (offer_due, id) WHERE offer_due IS NOT NULL",
        "CREATE INDEX outbox_delivered ON {s}.outbox (delivered_at) WHERE delivered_at IS NOT NULL",
    ),
)
"""The schema, one tuple of statements per version; ``MIGRATIONS[n - 1]`` upgrades version n-1 to n.

Append to it, never edit a released entry.
"""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this resolvekit writes; a database with a higher one is refused."""

_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_OUR_OPTIONS = frozenset({"schema"})
_MAX_INT = 2**31 - 1
_PURGE_BATCH = 500  # outbox rows per delete statement


def parse_url(url: str) -> tuple[str, str]:
    """The libpq connection URL (without resolvekit's options) and the schema name of a storage URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(N_("{url!r} is not a postgresql: storage URL."), url=url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    schema = "resolvekit"
    rest = []
    for name, value in pairs:
        if name == "schema":
            schema = value
        else:
            rest.append((name, value))
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(
            N_("The schema name {schema!r} in {url!r} must be a plain identifier (letters, digits, underscores)."),
            schema=schema,
            url=url,
        )
    return urlunsplit(parts._replace(query=urlencode(rest, quote_via=quote))), schema  # libpq reads %20, not +


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError(
            N_("PostgreSQL storage needs psycopg 3: install it with pip install 'resolvekit[postgres]'.")
        ) from None
    return psycopg


class PostgresStorage:
    """A :class:`~resolvekit.storage.Storage` in a PostgreSQL schema.

    Args:
        conninfo: a libpq connection string or URL (without resolvekit's ``schema`` option).
        schema: the schema holding resolvekit's tables; created, and the tables in it created or
            upgraded, when the storage opens.

    A schema holding other tables but no resolvekit schema, or one written by a newer resolvekit,
    is refused with :class:`~resolvekit.errors.SchemaError`.
    """

    def __init__(self, conninfo: str, *, schema: str = "resolvekit") -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ConfigurationError(
                N_("The schema name {schema!r} in {url!r} must be a plain identifier (letters, digits, underscores)."),
                schema=schema,
                url=conninfo,
            )
        self._psycopg = _import_psycopg()
        self.conninfo = conninfo
        self.schema = schema
        self.location = f"PostgreSQL schema {schema!r} at {_safe(conninfo)}"
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._snapshots = SnapshotCache()
        s = f'"{schema}"'
        self._s = s
        self._sql_load = f"SELECT snapshot FROM {s}.cases WHERE id = %s"
        # the snapshot only when it is not the version (of the case opened at that time) the cache holds
        self._sql_load_if_changed = (
            f"SELECT CASE WHEN version = %s AND opened_at = %s THEN NULL ELSE snapshot END FROM {s}.cases WHERE id = %s"
        )
        self._sql_version = f"SELECT version FROM {s}.cases WHERE id = %s"
        self._sql_events = (
            f"SELECT case_id, version, kind, actor, at, payload FROM {s}.events "
            "WHERE case_id = %s AND version > %s AND version <= %s ORDER BY version"
        )
        self._sql_applied = (
            f"SELECT key, fingerprint, case_id, first_version, last_version FROM {s}.applied_commands WHERE key = %s"
        )
        columns = (
            "notification, attempts, CASE WHEN next_attempt_at = '-infinity' THEN NULL ELSE next_attempt_at END, "
            "last_error, delivered_at"
        )
        self._sql_pending = (
            f"SELECT {columns} FROM {s}.outbox WHERE delivered_at IS NULL AND next_attempt_at <= %s "
            "ORDER BY next_attempt_at, seq LIMIT %s"
        )
        self._sql_outbox = f"SELECT {columns} FROM {s}.outbox WHERE case_id = %s ORDER BY seq"
        self._sql_delivered = (
            f"UPDATE {s}.outbox SET attempts = attempts + 1, delivered_at = %s, last_error = NULL WHERE key = %s"
        )
        self._sql_failed = (
            f"UPDATE {s}.outbox SET attempts = attempts + 1, last_error = %s, next_attempt_at = %s WHERE key = %s"
        )
        self._sql_due = (
            f"SELECT id, next_deadline FROM {s}.cases WHERE next_deadline <= %s ORDER BY next_deadline, id LIMIT %s"
        )
        self._sql_due_after = (
            f"SELECT id, next_deadline FROM {s}.cases WHERE next_deadline <= %s AND (next_deadline, id) > (%s, %s) "
            "ORDER BY next_deadline, id LIMIT %s"
        )
        self._sql_offers_due = f"SELECT id, offer_due FROM {s}.cases WHERE offer_due <= %s ORDER BY offer_due, id LIMIT %s"
        self._sql_offers_due_after = (
            f"SELECT id, offer_due FROM {s}.cases WHERE offer_due <= %s AND (offer_due, id) > (%s, %s) "
            "ORDER BY offer_due, id LIMIT %s"
        )
        self._sql_reschedule_offers = f"UPDATE {s}.cases SET offer_due = %s::timestamptz WHERE id = %s AND version = %s"
        self._sql_other_complaints = (
            f"SELECT id, snapshot FROM {s}.cases WHERE order_id = %s AND store_id = %s AND kind = 'complaint' AND id <> %s "
            "ORDER BY opened_at DESC, id DESC"
        )
        # ARRAY(...): the chosen keys are deleted through the primary key (an IN subquery would be
        # planned as a join reading the whole outbox)
        self._sql_purge_delivered = (
            f"DELETE FROM {s}.outbox WHERE key = ANY(ARRAY(SELECT key FROM {s}.outbox WHERE delivered_at IS NOT NULL "
            "AND delivered_at < %s ORDER BY delivered_at LIMIT %s))"
        )
        code_columns = "case_id, purpose, digest, key_id, issued_at, expires_at, attempts, used_at"
        self._sql_put_code = (
            f"INSERT INTO {s}.verification_codes ({code_columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (case_id, purpose) DO UPDATE SET digest = excluded.digest, key_id = excluded.key_id, "
            "issued_at = excluded.issued_at, expires_at = excluded.expires_at, attempts = excluded.attempts, "
            "used_at = excluded.used_at"
        )
        self._sql_get_code = f"SELECT {code_columns} FROM {s}.verification_codes WHERE case_id = %s AND purpose = %s"
        self._sql_try_code = (
            f"UPDATE {s}.verification_codes SET attempts = attempts + 1 WHERE case_id = %s AND purpose = %s "
            f"AND used_at IS NULL AND expires_at > %s AND attempts < %s RETURNING {code_columns}"
        )
        self._sql_use_code = (
            f"UPDATE {s}.verification_codes SET used_at = %s "
            "WHERE case_id = %s AND purpose = %s AND digest = %s AND used_at IS NULL"
        )
        self._sql_count_attempt = (
            f"WITH forgotten AS (DELETE FROM {s}.guest_attempts WHERE at < %(start)s), "
            f"added AS (INSERT INTO {s}.guest_attempts (subject, at) VALUES (%(subject)s, %(at)s) RETURNING 1) "
            f"SELECT (SELECT count(*) FROM {s}.guest_attempts WHERE subject = %(subject)s AND at >= %(start)s) "
            "+ (SELECT count(*) FROM added WHERE %(at)s >= %(start)s)"
        )
        self._sql_put_template = (
            f"INSERT INTO {s}.templates (store_id, id, locale, title, body) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (store_id, id, locale) DO UPDATE SET title = excluded.title, body = excluded.body"
        )
        self._sql_templates = f"SELECT store_id, id, locale, title, body FROM {s}.templates WHERE store_id = %s ORDER BY id, locale"
        self._sql_templates_of = (
            f"SELECT store_id, id, locale, title, body FROM {s}.templates WHERE store_id = %s AND id = %s ORDER BY locale"
        )
        self._sql_delete_template = (
            f"DELETE FROM {s}.templates WHERE store_id = %s AND id = %s AND (%s::text IS NULL OR locale = %s::text)"
        )
        self._sql_commit: dict[tuple[bool, int, int, bool], str] = {}
        with self._translate():
            self._prepare_schema()

    # -- connections and errors -------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        if self._closed:
            raise StorageError(reason=f"{self.location} was closed; open a new storage")
        conn = self._psycopg.connect(self.conninfo, autocommit=True, **_default_timeout(self.conninfo))
        assert conn is not None
        with self._connections_lock:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._connections_lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            with contextlib.suppress(Exception):
                conn.close()

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn psycopg's exceptions into resolvekit's storage errors (dropping broken connections)."""
        psycopg = self._psycopg
        try:
            yield
        except psycopg.errors.LockNotAvailable as exc:
            raise DatabaseLocked(location=self.location, timeout="lock_timeout") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise DatabaseLocked(location=self.location, timeout="statement_timeout") from exc
        except psycopg.OperationalError as exc:
            self._drop()
            raise DatabaseUnavailable(location=self.location, reason=str(exc).strip() or type(exc).__name__) from exc
        except psycopg.Error as exc:
            conn = getattr(self._local, "conn", None)
            if conn is not None and conn.broken:
                self._drop()
                raise DatabaseUnavailable(location=self.location, reason=str(exc).strip()) from exc
            raise StorageError(reason=f"{self.location}: {str(exc).strip()}") from exc

    # -- schema -----------------------------------------------------------------------------------

    def _prepare_schema(self) -> None:
        conn = self._connection()
        if self._schema_version(conn) == SCHEMA_VERSION:
            return
        with conn.transaction():
            # One process creates or upgrades the schema; the others wait here, then find it done.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"resolvekit:{self.schema}",))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._s}")
            found = self._schema_version(conn)
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement.format(s=self._s))
                conn.execute(f"INSERT INTO {self._s}.resolvekit_schema (version) VALUES (%s)", (version,))

    def _schema_version(self, conn: psycopg.Connection[Any]) -> int:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s", (self.schema,)
            ).fetchall()
        }
        if not tables:
            return 0
        if "resolvekit_schema" not in tables:
            raise SchemaError(
                N_(
                    "{location} is not a resolvekit schema (it holds other tables: {tables}). Choose another schema "
                    "with '?schema=name' in the storage URL."
                ),
                location=self.location,
                tables=", ".join(sorted(tables)[:5]),
            )
        row = conn.execute(f"SELECT max(version) FROM {self._s}.resolvekit_schema").fetchone()
        found = int(row[0] or 0) if row else 0
        if found > SCHEMA_VERSION:
            raise SchemaError(location=self.location, found=found, supported=SCHEMA_VERSION)
        return found

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._translate():
            return self._schema_version(self._connection())

    # -- the Storage protocol ---------------------------------------------------------------------

    def load(self, case_id: str) -> Case | None:
        """The latest snapshot of the case."""
        known = self._snapshots.cached(case_id)
        with self._translate():
            if known is None:
                row = self._connection().execute(self._sql_load, (case_id,)).fetchone()
            else:
                row = self._connection().execute(self._sql_load_if_changed, (known.version, known.opened_at, case_id)).fetchone()
        if row is None:
            return None
        if row[0] is None:
            return known  # the stored case is still the one the cache holds: no snapshot sent, nothing decoded
        return self._snapshots.decode(case_id, row[0], lambda: self.events(case_id))

    def events(self, case_id: str, *, after_version: int = 0, up_to_version: int | None = None) -> list[CaseEvent]:
        """The case's events in ``(after_version, up_to_version]``, oldest first."""
        upper = _MAX_INT if up_to_version is None else min(up_to_version, _MAX_INT)
        with self._translate():
            rows = self._connection().execute(self._sql_events, (case_id, max(after_version, -1), upper)).fetchall()
        return [event_from_row(c, v, k, a, at.astimezone(UTC), p) for c, v, k, a, at, p in rows]

    def _commit_sql(self, new: bool, events: int, notifications: int, applied: bool) -> str:
        """The one statement of a commit of this shape (cached, so PostgreSQL prepares it once)."""
        key = (new, events, notifications, applied)
        sql = self._sql_commit.get(key)
        if sql is not None:
            return sql
        s = self._s
        if new:
            case = (
                f"INSERT INTO {s}.cases (store_id, customer_id, order_id, status, version, next_deadline, offer_due, "
                "snapshot, id, kind, opened_at) VALUES (%s, %s, %s, %s, %s, %s::timestamptz, %s::timestamptz, %s, %s, %s, "
                "%s::timestamptz) ON CONFLICT (id) DO NOTHING RETURNING id"
            )
        else:
            case = (
                f"UPDATE {s}.cases SET store_id = %s, customer_id = %s, order_id = %s, status = %s, version = %s, "
                "next_deadline = %s::timestamptz, offer_due = %s::timestamptz, snapshot = %s WHERE id = %s AND version = %s "
                "RETURNING id"
            )
        rows = ", ".join(["(%s::integer, %s::text, %s::text, %s::timestamptz, %s::text)"] * events)
        parts = [
            f"c AS ({case})",
            f"e AS (INSERT INTO {s}.events (case_id, version, kind, actor, at, payload) "
            f"SELECT c.id, v.version, v.kind, v.actor, v.at, v.payload FROM c, (VALUES {rows}) "
            "AS v(version, kind, actor, at, payload) RETURNING 1)",
        ]
        if notifications:
            rows = ", ".join(["(%s::text, %s::text)"] * notifications)
            parts.append(
                f"o AS (INSERT INTO {s}.outbox (key, case_id, notification) SELECT n.key, c.id, n.notification "
                f"FROM c, (VALUES {rows}) AS n(key, notification) ON CONFLICT (key) DO NOTHING RETURNING 1)"
            )
        if applied:
            parts.append(
                f"a AS (INSERT INTO {s}.applied_commands (key, fingerprint, case_id, first_version, last_version) "
                "SELECT %s::text, %s::text, %s::text, %s::integer, %s::integer FROM c RETURNING 1)"
            )
        sql = "WITH " + ", ".join(parts) + " SELECT count(*) FROM c"
        self._sql_commit[key] = sql
        return sql

    def commit(self, commit: Commit) -> AppliedCommand | None:
        """Write the command in one atomic statement (see the module docs and the Storage rules)."""
        check_commit(commit)
        case = commit.case
        case_id = case.id
        events = commit.events
        notifications = commit.notifications
        applied = commit.applied
        snapshot = self._snapshots.encode(case)
        new = commit.expected_version == 0
        params: list[Any] = [case.store_id, case.customer_id, case.order_id, case.status, case.version,
                             commit.next_deadline, commit.next_offer_step, snapshot, case_id]
        params += (case.kind, case.opened_at) if new else (commit.expected_version,)
        for e in events:
            params += (e.version, e.kind.value, dumps(e.actor.to_dict()), e.at, dumps(dict(e.payload)))
        for n in notifications:
            params += (n.key, notification_json(n))
        if applied is not None:
            params += (applied.key, applied.fingerprint, applied.case_id, applied.first_version, applied.last_version)
        sql = self._commit_sql(new, len(events), len(notifications), applied is not None)
        psycopg = self._psycopg
        with self._translate():
            conn = self._connection()
            try:
                row = conn.execute(sql, params).fetchone()
                written = row[0] if row else 0
            except psycopg.errors.UniqueViolation:
                written = 0  # a concurrent writer took the versions, or the idempotency key
            if written != 1:
                if applied is not None:
                    known = self._applied(conn, applied.key)
                    if known is not None:
                        return known
                row = conn.execute(self._sql_version, (case_id,)).fetchone()
                raise ConcurrencyConflict(case_id=case_id, expected=commit.expected_version, actual=0 if row is None else row[0])
        self._snapshots.put(case_id, snapshot, case)
        return None

    def _applied(self, conn: psycopg.Connection[Any], key: str) -> AppliedCommand | None:
        row = conn.execute(self._sql_applied, (key,)).fetchone()
        return None if row is None else AppliedCommand(*row)

    def applied(self, key: str) -> AppliedCommand | None:
        """The command recorded for an idempotency key."""
        with self._translate():
            return self._applied(self._connection(), key)

    def query(self, query: CaseQuery) -> Page:
        """Filter and page the cases in SQL (newest first, keyset paging on ``(opened_at, id)``)."""
        where, params = case_filters(query, "%s", lambda at: at, lambda statuses: ("status = ANY(%s::text[])", [statuses]))
        sql = f"SELECT id, snapshot FROM {self._s}.cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY opened_at DESC, id DESC LIMIT %s"
        params.append(query.limit + 1)
        with self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        more = len(rows) > query.limit
        items = tuple(
            self._snapshots.decode(case_id, text, functools.partial(self.events, case_id)) for case_id, text in rows[: query.limit]
        )
        return Page(items, encode_cursor(items[-1]) if more else None)

    def other_complaints(self, order_id: str, store_id: str, case_id: str) -> Sequence[Case]:
        """The store's complaints about the order other than ``case_id``, newest first, in one query (OrderIndex)."""
        with self._translate():
            rows = self._connection().execute(self._sql_other_complaints, (order_id, store_id, case_id)).fetchall()
        return [self._snapshots.decode(other_id, text, functools.partial(self.events, other_id)) for other_id, text in rows]

    def due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next SLA deadline is at or before ``until``, by ``(deadline, case id)``, after ``after``."""
        sql, params = self._sql_due, [until, limit]
        if after is not None:
            sql, params = self._sql_due_after, [until, after[0], after[1], limit]
        with self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        return [DueCase(case_id, at.astimezone(UTC)) for case_id, at in rows]

    def offers_due(self, until: datetime, limit: int = 100, *, after: tuple[datetime, str] | None = None) -> Sequence[DueCase]:
        """Cases whose next offer step is at or before ``until``, by ``(step, case id)``, after ``after`` (OfferIndex)."""
        sql, params = self._sql_offers_due, [until, limit]
        if after is not None:
            sql, params = self._sql_offers_due_after, [until, after[0], after[1], limit]
        with self._translate():
            rows = self._connection().execute(sql, params).fetchall()
        return [DueCase(case_id, at.astimezone(UTC)) for case_id, at in rows]

    def reschedule_offers(self, case_id: str, version: int, at: datetime | None) -> bool:
        """Set the case's next offer step if the case is still at ``version``."""
        with self._translate():
            cursor = self._connection().execute(self._sql_reschedule_offers, (at, case_id, version))
            return bool(cursor.rowcount == 1)

    def purge_delivered(self, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` entries delivered before ``before``, oldest first, in batches (OutboxRetention).

        Each batch is one statement of its own (autocommit), so a large purge holds no lock for long.
        """
        purged = 0
        with self._translate():
            conn = self._connection()
            while purged < limit:
                batch = min(_PURGE_BATCH, limit - purged)
                deleted = int(conn.execute(self._sql_purge_delivered, (before, batch)).rowcount)
                purged += deleted
                if deleted < batch:
                    break
        return purged

    def pending_notifications(self, now: datetime, limit: int = 100) -> Sequence[OutboxEntry]:
        """Undelivered entries due at ``now``, oldest due first."""
        with self._translate():
            rows = self._connection().execute(self._sql_pending, (now, limit)).fetchall()
        return [_outbox_entry(row) for row in rows]

    def mark_delivered(self, key: str, at: datetime) -> None:
        """Record a delivery."""
        with self._translate():
            self._connection().execute(self._sql_delivered, (at, key))

    def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt and when to retry."""
        with self._translate():
            self._connection().execute(self._sql_failed, (error, retry_at, key))

    def outbox(self, case_id: str) -> Sequence[OutboxEntry]:
        """Every outbox entry of the case, in the order they were written."""
        with self._translate():
            rows = self._connection().execute(self._sql_outbox, (case_id,)).fetchall()
        return [_outbox_entry(row) for row in rows]

    # -- verification codes and guest attempts (VerificationStore) --------------------------------

    def put_verification_code(self, code: VerificationCode) -> None:
        """Store the current code of its case and purpose (replacing the one before)."""
        with self._translate():
            self._connection().execute(
                self._sql_put_code,
                (code.case_id, code.purpose, code.digest, code.key_id, code.issued_at, code.expires_at, code.attempts, code.used_at),
            )

    def verification_code(self, case_id: str, purpose: str) -> VerificationCode | None:
        """The current code of the case and purpose."""
        with self._translate():
            row = self._connection().execute(self._sql_get_code, (case_id, purpose)).fetchone()
        return None if row is None else _code(row)

    def try_verification_code(self, case_id: str, purpose: str, at: datetime, max_attempts: int) -> VerificationCode | None:
        """Take one attempt on the current code if it is usable (one atomic ``UPDATE ... RETURNING``)."""
        with self._translate():
            row = self._connection().execute(self._sql_try_code, (case_id, purpose, at, max_attempts)).fetchone()
        return None if row is None else _code(row)

    def use_verification_code(self, case_id: str, purpose: str, digest: str, at: datetime) -> bool:
        """Mark the code used, once."""
        with self._translate():
            cursor = self._connection().execute(self._sql_use_code, (at, case_id, purpose, digest))
            return bool(cursor.rowcount == 1)

    def count_guest_attempt(self, subject: str, at: datetime, window_start: datetime) -> int:
        """Record an attempt and count the subject's attempts in the window (one statement)."""
        with self._translate():
            row = self._connection().execute(self._sql_count_attempt, {"subject": subject, "at": at, "start": window_start}).fetchone()
        return int(row[0]) if row else 0

    # -- canned responses (TemplateStore) ----------------------------------------------------------

    def save_template(self, template: CannedResponse) -> None:
        """Insert or replace the template's ``(store_id, id, locale)`` version."""
        assert template.store_id is not None, "a saved template belongs to a store"
        with self._translate():
            self._connection().execute(
                self._sql_put_template, (template.store_id, template.id, template.locale, template.title, template.body)
            )

    def templates(self, store_id: str, *, template_id: str | None = None) -> Sequence[CannedResponse]:
        """The store's templates by ``(id, locale)``."""
        with self._translate():
            conn = self._connection()
            if template_id is None:
                rows = conn.execute(self._sql_templates, (store_id,)).fetchall()
            else:
                rows = conn.execute(self._sql_templates_of, (store_id, template_id)).fetchall()
        return [CannedResponse(i, title, body, store_id=s, locale=locale) for s, i, locale, title, body in rows]

    def delete_template(self, store_id: str, template_id: str, locale: str | None = None) -> int:
        """Delete one locale version (or all versions) of a template."""
        with self._translate():
            cursor = self._connection().execute(self._sql_delete_template, (store_id, template_id, locale, locale))
            return int(cursor.rowcount)

    def close(self) -> None:
        """Close every connection this storage opened (from any thread)."""
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()
        self._snapshots.clear()

    def __repr__(self) -> str:
        return f"PostgresStorage({_safe(self.conninfo)!r}, schema={self.schema!r})"


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _outbox_entry(row: tuple[str, int, datetime | None, str | None, datetime | None]) -> OutboxEntry:
    notification, attempts, next_attempt_at, last_error, delivered_at = row
    return OutboxEntry(notification_from_json(notification), attempts, _utc(next_attempt_at), last_error, _utc(delivered_at))


def _code(row: tuple[str, str, str, str, datetime, datetime, int, datetime | None]) -> VerificationCode:
    case_id, purpose, digest, key_id, issued_at, expires_at, attempts, used_at = row
    return VerificationCode(case_id, purpose, digest, key_id, issued_at.astimezone(UTC), expires_at.astimezone(UTC), attempts, _utc(used_at))


def _safe(conninfo: str) -> str:
    """The connection URL without its password (for messages)."""
    parts = urlsplit(conninfo)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return conninfo


def _default_timeout(conninfo: str) -> dict[str, Any]:
    return {} if "connect_timeout" in conninfo else {"connect_timeout": 10}


def open_postgres(url: str) -> PostgresStorage:
    """Open the PostgreSQL storage a ``postgresql:`` URL names."""
    conninfo, schema = parse_url(url)
    return PostgresStorage(conninfo, schema=schema)


@hookimpl
def resolvekit_open_storage(url: str) -> PostgresStorage | None:
    """Open PostgreSQL storage for ``postgresql:`` and ``postgres:`` URLs."""
    return open_postgres(url) if url.split(":", 1)[0] in ("postgresql", "postgres") else None
