"""``resolvekit simulate``: replay a synthetic history under policies and print a comparison."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from resolvekit.cli.progress import Progress

__all__ = ["SUMMARY_COLUMNS", "run_simulation"]

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("policy", "policy"),
    ("complaints_closed", "closed"),
    ("resolved_within_72h", "in 72 h"),
    ("responses_late", "late answers"),
    ("breaches", "breaches"),
    ("escalations", "escalated"),
    ("refunded", "refunded"),
    ("final_order_defect_rate", "defect rate"),
    ("final_sellers_at_risk", "sellers at risk"),
)
"""The summary table's columns: summary field and heading."""


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2%}" if value < 1 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _write_csv(path: str, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if not records:
            return
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def run_simulation(
    *,
    policies: Sequence[str],
    sellers: int,
    orders: int,
    days: int,
    seed: int,
    every: int,
    output: str | None = None,
    sellers_output: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Generate the history, replay it under each named policy, print the summary table, write the
    records when asked; returns the exit status."""
    from resolvekit.simulation import generate_history, policy_named, replay
    from resolvekit.simulation.replay import SimulationResult

    out = out if out is not None else sys.stdout
    chosen = [policy_named(name) for name in policies]  # an unknown name fails before any work
    history = generate_history(sellers=sellers, orders=orders, days=days, seed=seed)
    results = []
    start = history.config.start.toordinal()
    for index, policy in enumerate(chosen):
        seller_records: list[dict[str, Any]] = []
        platform: list[dict[str, Any]] = []
        with Progress(days, f"simulate {policy.name} ({index + 1}/{len(chosen)})") as progress:
            for snapshot in replay(history, policy, every=every):
                if sellers_output is not None:
                    seller_records.extend(snapshot.sellers)
                platform.append(snapshot.platform)
                progress.update(snapshot.as_of.toordinal() - start + 1)
        results.append(SimulationResult(policy.name, seller_records, platform))
    rows = [[_cell(result.summary().get(field)) for field, _ in SUMMARY_COLUMNS] for result in results]
    headings = [heading for _, heading in SUMMARY_COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    out.write("  ".join(h.ljust(w) for h, w in zip(headings, widths)).rstrip() + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    if output is not None:
        _write_csv(output, [r for result in results for r in result.platform])
    if sellers_output is not None:
        _write_csv(sellers_output, [r for result in results for r in result.sellers])
    return 0
