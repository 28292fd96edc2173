"""The outbox dispatcher as a process of its own: ``python -m resolvekit dispatch --storage URL``.

Commands write their notifications to the outbox in the same transaction as their events; this
dispatcher delivers them afterwards through the ``resolvekit_deliver`` hook, with the plugins
installed for the ``resolvekit`` entry-point group plus any named with ``--plugin``. Delivery is at
least once: a dispatcher that dies between delivering and recording it delivers again after a
restart, with the same notification ``key`` for the receiver to drop the duplicate. A failed
delivery stays in the outbox with its error and is retried with exponential backoff.

With ``--purge-after DAYS`` it also deletes, after each batch, delivered entries older than that
(:meth:`resolvekit.ResolveKit.purge_outbox`); without it delivered entries are kept.

A host that runs its own worker calls :meth:`resolvekit.ResolveKit.dispatch` (one batch) or
:func:`run_dispatcher` instead.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

import attrs

from resolvekit._i18n import N_
from resolvekit.application import ResolveKit
from resolvekit.errors import ConfigurationError

__all__ = ["DispatchTotals", "load_plugin", "run_dispatcher"]

_PURGE_LIMIT = 1000  # delivered entries purged after each batch (more batches follow while there are more)


@attrs.frozen
class DispatchTotals:
    """What a :func:`run_dispatcher` run did, over all its batches."""

    delivered: int = 0
    failed: int = 0
    batches: int = 0
    purged: int = 0


def load_plugin(spec: str) -> object:
    """The plugin named ``"package.module"`` or ``"package.module:name"`` (a class is instantiated)."""
    module_name, _, attribute = spec.partition(":")
    try:
        plugin: object = importlib.import_module(module_name)
        if attribute:
            plugin = getattr(plugin, attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(N_("Cannot load the plugin {plugin!r}: {reason}"), plugin=spec, reason=str(exc)) from None
    return plugin() if isinstance(plugin, type) else plugin


def run_dispatcher(
    storage: str,
    *,
    plugins: Iterable[str | object] = (),
    limit: int = 100,
    loop: bool = False,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    print_: Callable[[str], None] = print,
    purge_after: int | None = None,
) -> DispatchTotals:
    """Deliver what is due in the outbox of ``storage``, batch after batch, and report it.

    Without ``loop`` it returns once nothing more is due; with ``loop`` it keeps polling every
    ``interval`` seconds until ``stop`` is set (or the process is interrupted). With
    ``purge_after`` (whole days), each batch is followed by
    :meth:`~resolvekit.ResolveKit.purge_outbox` of entries delivered more than that many days ago
    (up to 1,000 at a time, and again while there are more); by default nothing is purged.
    """
    if limit < 1:
        raise ConfigurationError(N_("The dispatch batch size must be at least 1, got {value}."), value=limit)
    if purge_after is not None and (not isinstance(purge_after, int) or isinstance(purge_after, bool) or purge_after < 1):
        raise ConfigurationError(N_("{field} must be a positive whole number, got {value!r}."), field="purge_after", value=purge_after)
    retention = None if purge_after is None else timedelta(days=purge_after)
    loaded = [load_plugin(p) if isinstance(p, str) else p for p in plugins]
    stop = stop or threading.Event()
    delivered = failed = batches = purged = 0
    app = ResolveKit(storage=storage, plugins=loaded)
    try:
        while not stop.is_set():
            report = app.dispatch(limit)
            batches += 1
            delivered += report.delivered
            failed += report.failed
            for key, error in report.errors[:10]:
                print_(f"  not delivered, will retry: {key}: {error}")
            more = False
            if retention is not None:
                deleted = app.purge_outbox(retention, limit=_PURGE_LIMIT)
                purged += deleted
                more = deleted >= _PURGE_LIMIT  # an old backlog: purge on, a bounded batch at a time
            if more or report.delivered + report.failed >= limit:
                continue  # more may be due right now
            if not loop:
                break
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        app.storage.close()
    print_(f"Delivered {delivered} notification(s); {failed} failed and will be retried with backoff.")
    if purge_after is not None:
        print_(f"Purged {purged} delivered notification(s) older than {purge_after} day(s).")
    return DispatchTotals(delivered, failed, batches, purged)
