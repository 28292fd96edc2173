"""``resolvekit triage ORDERS.csv``: the delayed-order triage for a CSV of orders, decisions out as CSV.

Input: a header row naming at least ``id`` (or ``order_id``), ``status`` and ``created_at`` (ISO 8601
with a time zone, e.g. ``2026-11-02T09:00:00+00:00``); other columns are ignored. Output: one row per
order triaged, with the outcome, the rule that decided it, the order's age and why, in input order.

A malformed row (an empty id, a time that is not ISO 8601 or has no time zone, an order created in
the future) is reported on standard error with its line number and skipped; the rest are processed
and the command exits with status 1. The orders are read and decided in chunks, so a file of any
size takes little memory.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import IO, TextIO

import attrs

from resolvekit._i18n import N_
from resolvekit.cli.progress import Progress
from resolvekit.errors import ValidationError

__all__ = ["CHUNK", "OUTPUT_FIELDS", "TriageRun", "file_size", "run_triage"]

CHUNK = 5000
"""How many orders are decided at once."""

OUTPUT_FIELDS = ("order_id", "outcome", "rule", "age_hours", "host_status", "status", "opens_ticket", "sends_tracking_link", "reason")
"""The columns written for every order decided."""


@attrs.frozen
class _Row:
    id: str
    status: str
    created_at: datetime


@attrs.frozen
class TriageRun:
    """What a :func:`run_triage` call did: orders decided, rows refused, and the outcome counts."""

    decided: int
    failed: int
    counts: dict[str, int]


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(N_("created_at {value!r} is not an ISO 8601 time such as 2026-11-02T09:00:00+00:00."), value=text) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(N_("created_at {value!r} has no time zone; add one, e.g. +00:00."), value=text)
    return value


def _lines(handle: IO[str], progress: Progress) -> Iterator[str]:
    read = 0
    for line in handle:
        read += len(line)
        progress.update(read)
        yield line


def run_triage(
    source: TextIO,
    out: TextIO,
    *,
    now: datetime,
    window: timedelta | None = None,
    plugins: Sequence[object] = (),
    errors: TextIO | None = None,
    size: int | None = None,
) -> TriageRun:
    """Triage the CSV ``source`` at ``now`` into the CSV ``out``; refused rows go to ``errors``.

    ``window`` overrides the policy's 48 h; the rules are the built-in ones as the installed plugins
    (and ``plugins``) edit them. ``size`` (the input's length, when known) sizes the progress bar.
    """
    from resolvekit.domain.triage import TriagePolicy, triage_many
    from resolvekit.plugin_host import PluginHost

    errors = errors if errors is not None else sys.stderr
    rules = PluginHost(plugins).triage_rules()
    policy = TriagePolicy() if window is None else TriagePolicy(window=window)
    with Progress(size, "triage", stream=errors) as progress:
        reader = csv.reader(_lines(source, progress))
        header = next(reader, None)
        if header is None:
            raise ValidationError(N_("The orders file is empty; it needs a header row with id, status and created_at."))
        names = [h.strip().lower() for h in header]
        id_column = "id" if "id" in names else "order_id"
        missing = [c for c in (id_column, "status", "created_at") if c not in names]
        if missing:
            raise ValidationError(
                N_("The orders file has no {columns} column (line 1 must name id, status and created_at)."), columns=", ".join(missing)
            )
        at = {name: names.index(name) for name in (id_column, "status", "created_at")}
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OUTPUT_FIELDS)
        decided = failed = 0
        counts: dict[str, int] = {}
        chunk: list[_Row] = []
        lines: list[int] = []
        problems: list[tuple[int, str]] = []  # reported in line order when the chunk is flushed

        def fail(line: int, message: str) -> None:
            nonlocal failed
            failed += 1
            problems.append((line, message))

        def flush() -> None:
            nonlocal decided
            if not chunk:
                report()
                return
            batch = triage_many(chunk, now, rules=rules, policy=policy)
            refused = {r.index: r for r in batch.refused}
            for index, row in enumerate(chunk):
                if index in refused:
                    fail(lines[index], str(refused[index].error))
                    continue
                decision = batch[index]
                assert decision is not None
                outcome = decision.outcome
                counts[outcome.value] = counts.get(outcome.value, 0) + 1
                writer.writerow(
                    (
                        decision.order_id,
                        outcome.value,
                        decision.rule,
                        f"{decision.age.total_seconds() / 3600:.2f}",
                        decision.host_status,
                        decision.status,
                        str(outcome.opens_ticket).lower(),
                        str(outcome.sends_tracking_link).lower(),
                        decision.explain(),
                    )
                )
                decided += 1
            chunk.clear()
            lines.clear()
            report()

        def report() -> None:
            for line, message in sorted(problems):
                errors.write(f"resolvekit triage: line {line}: {message}\n")
            problems.clear()

        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            try:
                if len(row) != len(names):
                    raise ValidationError(N_("expected {expected} fields, found {found}."), expected=len(names), found=len(row))
                order_id = row[at[id_column]].strip()
                status = row[at["status"]].strip()
                if not order_id:
                    raise ValidationError(N_("the order id is empty."))
                if not status:
                    raise ValidationError(N_("the status is empty."))
                chunk.append(_Row(order_id, status, _parse_time(row[at["created_at"]])))
                lines.append(line)
            except ValidationError as exc:
                fail(line, str(exc))
                continue
            if len(chunk) >= CHUNK:
                flush()
        flush()
    return TriageRun(decided, failed, counts)


def file_size(path: str) -> int | None:
    """The size of ``path`` in bytes, or ``None`` (standard input, a pipe)."""
    try:
        return os.stat(path).st_size if path != "-" else None
    except OSError:
        return None


