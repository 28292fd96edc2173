"""The ``resolvekit`` command line: every command, --help everywhere, one-line errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from resolvekit.cli import main
from resolvekit.cli.progress import Progress

COMMANDS = ["demo", "diagram", "triage", "sweep", "dispatch", "simulate"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv", [[], *[[c] for c in COMMANDS]], ids=["resolvekit", *COMMANDS])
def test_help_everywhere(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = _run(capsys, *argv, "--help")
    assert code == 0
    assert out.startswith("usage: resolvekit")
    if not argv:
        assert all(command in out for command in COMMANDS)


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "triage")
    assert code == 2
    assert "the following arguments are required: orders" in _one_line_error(err)
    code, _, err = _run(capsys, "simulate", "--orders", "zero")
    assert code == 2 and "'zero' is not a whole number" in _one_line_error(err)


def test_diagram_draws_every_lifecycle_as_mermaid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "diagram")
    assert code == 0
    assert out.count("stateDiagram-v2") == 4
    code, _, _ = _run(capsys, "diagram", "complaint", "-o", str(tmp_path / "complaint.mmd"))
    assert code == 0
    text = (tmp_path / "complaint.mmd").read_text()
    assert "ComplaintLifecycle" in text and "TicketLifecycle" not in text


def test_diagram_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _run(capsys, "diagram", "invoice")
    assert code == 1 and "Unknown lifecycle 'invoice'; choose from complaint, ticket" in _one_line_error(err)
    code, _, err = _run(capsys, "diagram", "--format", "svg")
    assert code == 1 and "one lifecycle at a time" in _one_line_error(err)
    monkeypatch.setattr("shutil.which", lambda name: None)
    code, _, err = _run(capsys, "diagram", "complaint", "--format", "svg")
    assert code == 1 and "Graphviz's dot program" in _one_line_error(err)


ORDERS = """id,status,created_at,customer
o-1,completed,2026-11-01T09:00:00+00:00,a
o-2,delivered,2026-10-01T09:00:00+00:00,b
o-3,completed,not a date,c
,completed,2026-11-01T09:00:00+00:00,d
o-5,pending review,2026-10-20T09:00:00Z,e
o-6,completed,2026-11-01T09:00:00,f
o-7,completed,2026-12-24T09:00:00+00:00,g
o-8,out for delivery

o-9,out for delivery,2026-10-25T00:00:00+03:00,h
"""


def test_triage_decides_the_good_rows_and_reports_each_bad_one_with_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(ORDERS, encoding="utf-8")
    out = tmp_path / "decisions.csv"
    code, _, err = _run(capsys, "triage", str(source), "-o", str(out), "--now", "2026-11-02T09:00:00+00:00")
    assert code == 1
    lines = err.strip().splitlines()
    refused = [line for line in lines if line.startswith("resolvekit triage: line")]
    assert [line.split(":")[1].strip() for line in refused] == ["line 4", "line 5", "line 7", "line 8", "line 9"]
    assert "not an ISO 8601 time" in refused[0] and "order id is empty" in refused[1] and "no time zone" in refused[2]
    assert "after the current time" in refused[3]
    assert "expected 4 fields, found 2" in refused[4]
    assert "4 order(s) decided" in lines[-1] and "5 row(s) refused" in lines[-1]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["order_id"] for r in rows] == ["o-1", "o-2", "o-5", "o-9"]
    decided = {r["order_id"]: r["outcome"] for r in rows}
    assert decided == {
        "o-1": "send_tracking_link",
        "o-2": "send_order_details",
        "o-5": "offer_inquiry",
        "o-9": "open_ticket_and_send_tracking_link",
    }
    assert rows[0]["age_hours"] == "24.00" and rows[0]["reason"]


def test_triage_of_a_clean_file_exits_zero_and_writes_to_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("order_id,status,created_at\no-1,completed,2026-11-01T09:00:00+00:00\n", encoding="utf-8")
    code, out, err = _run(capsys, "triage", str(source), "--now", "2026-11-02T09:00:00+00:00", "--window-hours", "12")
    assert code == 0
    assert out.splitlines()[1].startswith("o-1,open_ticket_and_send_tracking_link,")  # 24 h is over a 12 h window
    assert "1 order(s) decided" in err and "0 row(s) refused" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "The orders file is empty"),
        ("id,state\n", "no status, created_at column"),
    ],
)
def test_triage_file_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, "triage", str(path))
    assert code == 1
    assert message in _one_line_error(err)


def test_simulate_prints_one_row_per_policy_and_writes_the_records(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "platform.csv"
    sellers = tmp_path / "sellers.csv"
    code, printed, _ = _run(
        capsys, "simulate", "--sellers", "4", "--orders", "600", "--days", "21", "--policy", "default",
        "--policy", "response-48h", "-o", str(out), "--sellers-output", str(sellers),
    )
    assert code == 0
    lines = printed.strip().splitlines()
    assert lines[0].split()[0] == "policy" and [line.split()[0] for line in lines[1:]] == ["default", "response-48h"]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["policy"] for r in rows] == ["default"] * 3 + ["response-48h"] * 3
    assert {r["policy"] for r in csv.DictReader(sellers.open(encoding="utf-8"))} == {"default", "response-48h"}


def test_simulate_with_an_unknown_policy_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "simulate", "--policy", "generous")
    assert code == 1 and out == ""
    assert "Unknown policy 'generous'; choose one of default" in _one_line_error(err)


def test_sweep_and_dispatch_run_on_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    code, out, _ = _run(capsys, "sweep", "--storage", url)
    assert code == 0 and "0 steps taken" in out
    code, out, _ = _run(capsys, "dispatch", "--storage", url)
    assert code == 0 and "Delivered 0 notification(s)" in out
    code, _, err = _run(capsys, "sweep", "--storage", "nosql://x")
    assert code == 1 and "No storage plugin handles 'nosql://x'" in _one_line_error(err)


def _outbox_with_history(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Three tickets' outbox entries: delivered 40 days ago, delivered yesterday, never delivered."""
    from datetime import UTC, datetime, timedelta

    from resolvekit.plugins.sqlite import SQLiteStorage
    from resolvekit.testing.conformance import _ticket_commit

    now = datetime.now(UTC)
    storage = SQLiteStorage(path)
    groups: list[list[str]] = []
    for n in range(3):
        commit = _ticket_commit(f"T-{n}", "store-1", "cust-1")
        storage.commit(commit)
        groups.append(sorted(notification.key for notification in commit.notifications))
    for key in groups[0]:
        storage.mark_delivered(key, now - timedelta(days=40))
    for key in groups[1]:
        storage.mark_delivered(key, now - timedelta(days=1))
    storage.close()
    return groups[0], groups[1], groups[2]


def _outbox_keys(path: Path) -> set[str]:
    from resolvekit.plugins.sqlite import SQLiteStorage

    storage = SQLiteStorage(path)
    try:
        return {e.notification.key for n in range(3) for e in storage.outbox(f"T-{n}")}
    finally:
        storage.close()


def test_dispatch_purges_delivered_notifications_after_days(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    old, recent, pending = _outbox_with_history(path)
    url = f"sqlite:///{path}"
    code, out, _ = _run(capsys, "dispatch", "--storage", url)
    assert code == 0 and "Purged" not in out  # by default delivered entries are kept
    assert _outbox_keys(path) == {*old, *recent, *pending}
    code, out, _ = _run(capsys, "dispatch", "--storage", url, "--purge-after", "30")
    assert code == 0 and "Purged 2 delivered notification(s) older than 30 day(s)." in out
    assert _outbox_keys(path) == {*recent, *pending}  # never delivered (no plugin delivers here): kept
    code, out, _ = _run(capsys, "dispatch", "--storage", url, "--purge-after", "30")
    assert code == 0 and "Purged 0 delivered notification(s)" in out
    for bad in ("0", "-3", "soon"):
        code, _, err = _run(capsys, "dispatch", "--storage", url, "--purge-after", bad)
        assert code == 2 and "--purge-after" in _one_line_error(err)


def test_run_dispatcher_purges_a_backlog_in_bounded_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolvekit import dispatcher
    from resolvekit.errors import ConfigurationError

    path = tmp_path / "cases.sqlite3"
    old, recent, pending = _outbox_with_history(path)
    monkeypatch.setattr(dispatcher, "_PURGE_LIMIT", 1)
    lines: list[str] = []
    totals = dispatcher.run_dispatcher(f"sqlite:///{path}", purge_after=7, print_=lines.append)
    assert totals.purged == 2 and totals.batches == 3  # a full purge batch asks for another round
    assert _outbox_keys(path) == {*recent, *pending}
    assert lines[-1] == "Purged 2 delivered notification(s) older than 7 day(s)."
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigurationError, match="purge_after"):
            dispatcher.run_dispatcher(f"sqlite:///{path}", purge_after=bad)  # type: ignore[arg-type]


def test_python_dash_m_resolvekit_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "resolvekit", "triage", str(tmp_path / "missing.csv")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"resolvekit: error: {tmp_path / 'missing.csv'}: no such file"


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet = io.StringIO()
    with Progress(10, "work", stream=quiet) as progress:
        progress.update(10)
    assert quiet.getvalue() == ""
    shown = Terminal()
    with Progress(10, "work", stream=shown) as progress:
        progress.update(5)
        progress.update(10)
    assert "[" in shown.getvalue() and "100%" in shown.getvalue() and shown.getvalue().endswith("\r")


def _graphviz() -> bool:
    import importlib.util
    import shutil

    return shutil.which("dot") is not None and importlib.util.find_spec("pydot") is not None


@pytest.mark.skipif(not _graphviz(), reason="SVG needs Graphviz's dot program and pydot (pip install 'resolvekit[diagrams]')")
def test_diagram_draws_one_lifecycle_as_svg_with_graphviz(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "diagram", "offer", "--format", "svg", "-o", str(tmp_path / "offer.svg"))
    assert code == 0, err
    svg = (tmp_path / "offer.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "OfferLifecycle" in svg
