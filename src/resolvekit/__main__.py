"""Command line: ``resolvekit demo`` (more commands arrive with later capabilities)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``resolvekit`` command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="resolvekit", description="Complaints, tickets and their rules.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="walk through a complaint and a ticket, printing each step")
    demo.add_argument("--storage", default=None, help="storage URL (default: a new SQLite file in the temporary folder)")
    dispatch = sub.add_parser("dispatch", help="deliver the notifications waiting in the outbox through the notification plugins")
    dispatch.add_argument("--storage", default="sqlite:///resolvekit.sqlite3", help="storage URL (default: %(default)s)")
    dispatch.add_argument("-p", "--plugin", action="append", default=[], metavar="MODULE[:NAME]",
                          help="a plugin to register, e.g. the host's notifier (repeatable)")
    dispatch.add_argument("--limit", type=int, default=100, help="notifications per batch (default: %(default)s)")
    dispatch.add_argument("--loop", action="store_true", help="keep running, waiting --interval seconds when idle")
    dispatch.add_argument("--interval", type=float, default=5.0, help="seconds between idle polls with --loop (default: %(default)s)")
    sweep = sub.add_parser("sweep", help="take the SLA steps that are due: warnings, breaches, escalations, auto-closes")
    sweep.add_argument("--storage", default="sqlite:///resolvekit.sqlite3", help="storage URL (default: %(default)s)")
    sweep.add_argument("--limit", type=int, default=500, help="most cases to act on in this run (default: %(default)s)")
    args = parser.parse_args(argv)

    from resolvekit.errors import ResolveKitError

    try:
        if args.command == "demo":
            from resolvekit.demo import run

            run(args.storage)
        elif args.command == "dispatch":
            from resolvekit.dispatcher import run_dispatcher

            run_dispatcher(args.storage, plugins=args.plugin, limit=args.limit, loop=args.loop, interval=args.interval)
        elif args.command == "sweep":
            from resolvekit.sla_service import run_sweep

            run_sweep(args.storage, limit=args.limit)
    except ResolveKitError as exc:
        print(f"resolvekit: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
