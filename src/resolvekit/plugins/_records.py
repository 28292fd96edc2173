"""How the SQL backends turn domain values into table rows and back (shared by SQLite and PostgreSQL).

Pure helpers, no driver imports: times as microseconds since the epoch, JSON text for actors,
payloads, notifications and snapshots (through :mod:`resolvekit.codec`), the checks every commit
passes before it is written, the WHERE clause of a case listing, and a small cache of decoded
snapshots.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from resolvekit import codec
from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor
from resolvekit.domain.cases import Case, fold
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.notifications import Notification
from resolvekit.errors import ConfigurationError, ValidationError
from resolvekit.storage import CaseQuery, Commit, decode_cursor

__all__ = [
    "EPOCH",
    "SnapshotCache",
    "check_commit",
    "dumps",
    "event_from_row",
    "from_micros",
    "loads",
    "notification_json",
    "notification_from_json",
    "query_options",
    "to_micros",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
dumps = _encoder.encode
"""Compact JSON text of JSON-ready data."""
loads = json.JSONDecoder().decode
"""Data from JSON text."""


def to_micros(when: datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exact, sortable)."""
    return (when - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of :func:`to_micros`."""
    return EPOCH + timedelta(microseconds=micros)


def event_from_row(case_id: str, version: int, kind: str, actor: str, at: datetime, payload: str) -> CaseEvent:
    """A :class:`CaseEvent` from the columns of an ``events`` row."""
    return CaseEvent(case_id, version, EventKind(kind), Actor.from_dict(loads(actor)), at, loads(payload))


def notification_json(notification: Notification) -> str:
    """The outbox column text of a notification."""
    return dumps(notification.to_dict())


def notification_from_json(text: str) -> Notification:
    """The notification an outbox row holds."""
    return Notification.from_dict(loads(text))


def check_commit(commit: Commit) -> None:
    """Refuse a commit whose events do not continue the case exactly (a programming error upstream)."""
    case = commit.case
    expected = commit.expected_version
    events = commit.events
    if not events:
        raise ValidationError(N_("A commit needs at least one event; case {case_id} got none."), case_id=case.id)
    for offset, event in enumerate(events, start=expected + 1):
        if event.version != offset or event.case_id != case.id:
            raise ValidationError(
                N_("Event {version} of case {event_case} does not follow version {previous} of case {case_id}."),
                version=event.version,
                event_case=event.case_id,
                previous=offset - 1,
                case_id=case.id,
            )
    if case.version != events[-1].version:
        raise ValidationError(
            N_("The snapshot of case {case_id} is at version {version}, not at its last event's {last}."),
            case_id=case.id,
            version=case.version,
            last=events[-1].version,
        )


class SnapshotCache:
    """Decoded snapshots, keyed by case id and checked against the stored text.

    A snapshot's text determines its case, so a cached case is reused only when the text read from
    the database is the very text it was decoded from (or encoded to). Bounded; thread-safe.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[str, tuple[str, Case]] = {}
        self._lock = threading.Lock()

    def decode(self, case_id: str, text: str, replay: Callable[[], list[CaseEvent]]) -> Case:
        """The case ``text`` holds; rebuilt from its events (``replay``) if the snapshot cannot be read.

        A snapshot written before a field without a default was added cannot be decoded; folding the
        case's log gives the same case, so the log is the fallback.
        """
        hit = self._entries.get(case_id)
        if hit is not None and hit[0] == text:
            return hit[1]
        try:
            decoded = codec.loads(text, Case)
        except (KeyError, TypeError, ValueError):
            decoded = fold(replay())
            if decoded is None:
                raise
        if not isinstance(decoded, Case):  # pragma: no cover - codec guarantees it
            raise TypeError(type(decoded).__name__)
        case: Case = decoded
        self.put(case_id, text, case)
        return case

    def cached(self, case_id: str) -> Case | None:
        """The case last decoded or written for ``case_id`` here, if it is still kept.

        A backend may ask the database whether the stored case is still at that case's version (and
        opened at its time) before it reads the snapshot text: versions are never rewritten, so the
        same version of the same case is the same snapshot.
        """
        hit = self._entries.get(case_id)
        return None if hit is None else hit[1]

    def encode(self, case: Case) -> str:
        """The snapshot text of ``case``."""
        return codec.dumps(case, Case)

    def put(self, case_id: str, text: str, case: Case) -> None:
        """Remember that ``text`` decodes to ``case``."""
        with self._lock:
            entries = self._entries
            entries.pop(case_id, None)
            entries[case_id] = (text, case)
            if len(entries) > self._size:
                del entries[next(iter(entries))]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def query_options(query: str, allowed: Mapping[str, Callable[[str], Any]], url: str) -> dict[str, Any]:
    """Parse a storage URL's query string into typed options; an unknown option is a configuration error."""
    options: dict[str, Any] = {}
    for name, raw in parse_qsl(query, keep_blank_values=True):
        parse = allowed.get(name)
        if parse is None:
            raise ConfigurationError(
                N_("The storage URL {url!r} has an unknown option {option!r}; known options: {known}."),
                url=url,
                option=name,
                known=", ".join(sorted(allowed)),
            )
        try:
            options[name] = parse(raw)
        except ValueError:
            raise ConfigurationError(
                N_("The storage URL {url!r} has a bad value {value!r} for {option!r}."), url=url, value=raw, option=name
            ) from None
    return options


def case_filters(
    query: CaseQuery,
    mark: str,
    time: Callable[[datetime], Any],
    statuses: Callable[[list[str]], tuple[str, list[Any]]],
) -> tuple[list[str], list[Any]]:
    """The WHERE conditions and parameters of a case listing, in a driver's parameter style.

    ``mark`` is the driver's placeholder (``?`` or ``%s``), ``time`` turns a datetime into the stored
    value, and ``statuses`` gives the condition and parameters matching any of the sorted statuses.
    """
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("id", query.case_id),
        ("store_id", query.store_id),
        ("customer_id", query.customer_id),
        ("kind", query.kind),
        ("order_id", query.order_id),
    ):
        if value is not None:
            where.append(f"{column} = {mark}")
            params.append(value)
    if query.statuses is not None:
        condition, values = statuses(sorted(query.statuses))
        where.append(condition)
        params.extend(values)
    if query.opened_from is not None:
        where.append(f"opened_at >= {mark}")
        params.append(time(query.opened_from))
    if query.opened_before is not None:
        where.append(f"opened_at < {mark}")
        params.append(time(query.opened_before))
    if query.after:
        at, after_id = decode_cursor(query.after)
        where.append(f"(opened_at, id) < ({mark}, {mark})")
        params.extend((time(at), after_id))
    return where, params
