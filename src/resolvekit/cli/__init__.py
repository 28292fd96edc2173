"""The ``resolvekit`` command line (also ``python -m resolvekit``).

::

    resolvekit demo                       walk through a complaint and a ticket
    resolvekit diagram [LIFECYCLE]        lifecycles as Mermaid (or SVG with Graphviz)
    resolvekit triage ORDERS.csv          delayed-order triage: orders in, decisions out (CSV)
    resolvekit sweep --storage URL        take the SLA steps that are due
    resolvekit dispatch --storage URL     deliver the notifications waiting in the outbox
    resolvekit simulate --policy NAME     replay a synthetic history under policies

Every command has ``--help``. Errors are one line on standard error, with exit status 1 (2 for a
command line that cannot be parsed); set ``RESOLVEKIT_DEBUG=1`` to see the traceback of an
unexpected error. Long work shows a progress bar when standard error is a terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

__all__ = ["main", "parser"]

EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where to read more."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(message: str) -> int:
    print(f"resolvekit: error: {message}", file=sys.stderr)
    return EXIT_FAILED


# -- the commands ---------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from resolvekit.demo import run

    run(args.storage)
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    from resolvekit.dispatcher import run_dispatcher

    run_dispatcher(
        args.storage, plugins=args.plugin, limit=args.limit, loop=args.loop, interval=args.interval, purge_after=args.purge_after
    )
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from resolvekit.sla_service import run_sweep

    run_sweep(args.storage, limit=args.limit)
    return 0


def _diagram(args: argparse.Namespace) -> int:
    from resolvekit.cli.diagram import render

    text = render(args.lifecycle, args.format)
    _write(args.output, text)
    return 0


def _write(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _triage(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from resolvekit.cli.triage import _parse_time, file_size, run_triage
    from resolvekit.dispatcher import load_plugin

    now = datetime.now(UTC) if args.now is None else _parse_time(args.now)
    window = None if args.window_hours is None else timedelta(hours=args.window_hours)
    plugins = [load_plugin(p) for p in args.plugin]
    source: TextIO = sys.stdin if args.orders == "-" else open(args.orders, encoding="utf-8", newline="")
    try:
        out: TextIO = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8", newline="")
        try:
            run = run_triage(source, out, now=now, window=window, plugins=plugins, size=file_size(args.orders))
        finally:
            if out is not sys.stdout:
                out.close()
    finally:
        if source is not sys.stdin:
            source.close()
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(run.counts.items())) or "none"
    print(f"resolvekit triage: {run.decided} order(s) decided ({summary}); {run.failed} row(s) refused", file=sys.stderr)
    return EXIT_FAILED if run.failed else 0


def _simulate(args: argparse.Namespace) -> int:
    from resolvekit.cli.simulate import run_simulation

    return run_simulation(
        policies=args.policy or ["default"],
        sellers=args.sellers,
        orders=args.orders,
        days=args.days,
        seed=args.seed,
        every=args.every,
        output=args.output,
        sellers_output=args.sellers_output,
    )


# -- the parser -----------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    from resolvekit import __version__

    main_parser = _Parser(prog="resolvekit", description="Complaints, tickets, offers, deadlines and reputation: the command line.")
    main_parser.add_argument("--version", action="version", version=f"resolvekit {__version__}")
    sub = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", help="walk through a complaint and a ticket, printing each step")
    demo.add_argument("--storage", default=None, help="storage URL (default: a new SQLite file in the temporary folder)")
    demo.set_defaults(handler=_demo)

    diagram = sub.add_parser("diagram", help="draw the lifecycles as Mermaid (default) or SVG",
                             description="Draw the lifecycles (complaint, ticket, help_request, offer) as Mermaid "
                             "state diagrams, or one lifecycle as SVG through Graphviz's dot program.")
    diagram.add_argument("lifecycle", nargs="*", help="lifecycles to draw (default: all)")
    diagram.add_argument("-f", "--format", choices=("mermaid", "svg"), default="mermaid", help="output format (default: %(default)s)")
    diagram.add_argument("-o", "--output", default=None, help="write to this file (default: standard output)")
    diagram.set_defaults(handler=_diagram)

    triage = sub.add_parser("triage", help="triage a CSV of orders (delayed-order rules), decisions out as CSV",
                            description="Decide the delayed-order triage for every order of a CSV file (columns id, "
                            "status, created_at with a time zone). Malformed rows are reported with their line number "
                            "on standard error and skipped; the exit status is 1 if any row was refused.")
    triage.add_argument("orders", help="the orders CSV file ('-' for standard input)")
    triage.add_argument("-o", "--output", default=None, help="write the decisions here (default: standard output)")
    triage.add_argument("--now", default=None, help="decide as of this ISO 8601 time with a time zone (default: now)")
    triage.add_argument("--window-hours", type=_positive_float, default=None, help="the triage window in hours (default: the policy's 48)")
    triage.add_argument("-p", "--plugin", action="append", default=[], metavar="MODULE[:NAME]",
                        help="a plugin that edits the triage rules (repeatable)")
    triage.set_defaults(handler=_triage)

    sweep = sub.add_parser("sweep", help="take the SLA steps that are due: warnings, breaches, escalations, auto-closes")
    sweep.add_argument("--storage", default="sqlite:///resolvekit.sqlite3", help="storage URL (default: %(default)s)")
    sweep.add_argument("--limit", type=_positive_int, default=500, help="most cases to act on in this run (default: %(default)s)")
    sweep.set_defaults(handler=_sweep)

    dispatch = sub.add_parser("dispatch", help="deliver the notifications waiting in the outbox through the notification plugins")
    dispatch.add_argument("--storage", default="sqlite:///resolvekit.sqlite3", help="storage URL (default: %(default)s)")
    dispatch.add_argument("-p", "--plugin", action="append", default=[], metavar="MODULE[:NAME]",
                          help="a plugin to register, e.g. the host's notifier (repeatable)")
    dispatch.add_argument("--limit", type=_positive_int, default=100, help="notifications per batch (default: %(default)s)")
    dispatch.add_argument("--loop", action="store_true", help="keep running, waiting --interval seconds when idle")
    dispatch.add_argument("--interval", type=_positive_float, default=5.0, help="seconds between idle polls with --loop (default: %(default)s)")
    dispatch.add_argument("--purge-after", type=_positive_int, default=None, metavar="DAYS",
                          help="after each batch, delete delivered notifications older than DAYS days (default: keep them)")
    dispatch.set_defaults(handler=_dispatch)

    simulate = sub.add_parser("simulate", help="replay a synthetic history under one or more policies and compare them",
                              description="Generate a seeded synthetic history and replay it under each --policy: "
                              "a ready-made name (default, response-48h, partial-refund-first, one-offer, "
                              "no-platform-review, escalate-on-late-response) or 'module:attribute'. Prints one "
                              "summary row per policy.")
    simulate.add_argument("--policy", action="append", metavar="NAME", help="a policy to replay (repeatable; default: default)")
    simulate.add_argument("--sellers", type=_positive_int, default=100, help="sellers (default: %(default)s)")
    simulate.add_argument("--orders", type=_positive_int, default=50_000, help="orders in all (default: %(default)s)")
    simulate.add_argument("--days", type=_positive_int, default=180, help="days of history (default: %(default)s)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    simulate.add_argument("--every", type=_positive_int, default=7, help="days between snapshots (default: %(default)s)")
    simulate.add_argument("-o", "--output", default=None, help="write the platform records (one per policy and snapshot) as CSV")
    simulate.add_argument("--sellers-output", default=None, help="write the per-seller records as CSV")
    simulate.set_defaults(handler=_simulate)
    return main_parser


def _handle(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from resolvekit.errors import ResolveKitError

    try:
        return handler(args)
    except ResolveKitError as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:
        return _fail(f"{exc.filename}: no such file")
    except IsADirectoryError as exc:
        return _fail(f"{exc.filename}: is a folder, not a file")
    except PermissionError as exc:
        return _fail(f"{exc.filename}: permission denied")
    except UnicodeDecodeError as exc:
        return _fail(f"the input is not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return _fail(f"{exc.filename or 'input/output'}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("resolvekit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected error: still one line, the traceback on request
        if os.environ.get("RESOLVEKIT_DEBUG"):
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc} (set RESOLVEKIT_DEBUG=1 to see the traceback)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``resolvekit`` command line; returns the exit status."""
    args = parser().parse_args(argv)
    handler: Any = args.handler
    try:
        return _handle(handler, args)
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error of ours
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
