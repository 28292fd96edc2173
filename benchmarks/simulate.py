"""Policy simulation: replaying a year of history against the batch reputation computation.

    python benchmarks/simulate.py            # 1k sellers, 1M orders over 365 days (a few minutes)
    python benchmarks/simulate.py --quick    # 100 sellers, 20k orders over 365 days; memory at 1k vs 10k (< 20 s)

resolvekit: ``replay`` of the generated history under the default policy, end to end: generating
every order, playing every complaint out through the SLA clocks, and the weekly snapshots of every
seller's reputation and account health (:mod:`resolvekit.simulation`).

baseline: :class:`~resolvekit.reputation.BatchReputation` over the same history (every order's
final flags and claims, collected in an untimed second replay), computing the same weekly
snapshots: the totals of every seller over the same windows and the same account-health ratings.
The columns are ready before the clock starts, so the baseline does no generation and no SLA work.
On the last snapshot day both must give identical figures (``agree`` below).

Memory: ``tracemalloc``'s peak while replaying 100k and 1M orders of 1k sellers at the same daily
volume: the longer history is ten times longer, not ten times busier. The volume is chosen so that
even the shorter history (73 days) outlasts the longest reputation window (60 days): the replay
keeps each seller's counters for the days a window reaches and the facts still to come for recent
orders, so its memory grows until the window is full and then stays flat, and the peak at 1M must
stay within 2x the peak at 100k. (At the timing run's volume, 100k orders span only 36 days, less
than one window; the ratio is then the window's growth, about 1.9.) ``--quick`` uses 1k and 10k
orders of 20 sellers. tracemalloc slows the replay down about tenfold: the full run takes several
minutes.

The last line printed is one JSON object: benchmark, resolvekit, baseline, unit, ratio (resolvekit
/ baseline, must be <= 3) and extras.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from resolvekit.reputation import BatchReputation, ClaimTable, OrderTable  # noqa: E402
from resolvekit.reputation.levels import AccountHealthPolicy  # noqa: E402
from resolvekit.simulation import History, SimulationPolicy, generate_history, replay  # noqa: E402


def _run(history: History, policy: SimulationPolicy, every: int) -> tuple[float, Any]:
    started = time.perf_counter()
    last = None
    records = 0
    for snapshot in replay(history, policy, every=every):
        records += len(snapshot.sellers)
        last = snapshot
    return time.perf_counter() - started, (last, records)


def _columns(history: History, policy: SimulationPolicy, every: int) -> tuple[OrderTable, ClaimTable]:
    rows: dict[str, tuple[str, str, int, int, tuple[Any, ...]]] = {}

    def keep(day: int, order: Any, order_day: int, flags: int, claims: tuple[Any, ...]) -> None:
        rows[order.order_id] = (order.seller_id, order.buyer_id, order_day, flags, claims)

    for _ in replay(history, policy, every=every, on_change=keep):
        pass
    ids = list(rows)
    sellers = [r[0] for r in rows.values()]
    buyers = [r[1] for r in rows.values()]
    days = [r[2] for r in rows.values()]
    flags = [r[3] for r in rows.values()]
    claims = ClaimTable.empty()
    for order_id, (seller, buyer, _, _, found) in rows.items():
        for case_id, reason, outcome, within, response in found:
            claims.case_id.append(case_id)
            claims.order_id.append(order_id)
            claims.seller_id.append(seller)
            claims.buyer_id.append(buyer)
            claims.reason.append(reason)
            claims.outcome.append(outcome)
            claims.resolved_within_72h.append(within)
            claims.response.append(response)
    return OrderTable(ids, sellers, buyers, days, flags, {}), claims


def _baseline(orders: OrderTable, claims: ClaimTable, policy: SimulationPolicy, snapshot_days: list[date]) -> tuple[float, Any]:
    health = AccountHealthPolicy()
    window = policy.reputation.window_days
    lengths = sorted({window, *health.windows.values()})
    started = time.perf_counter()
    batch = BatchReputation(orders, claims, policy.reputation)
    last: list[dict[str, Any]] = []
    records = 0
    for as_of in snapshot_days:
        totals = batch.totals(as_of, lengths)
        last = []
        for seller in sorted(totals):
            per_window = totals[seller]
            rating = health.assess(seller, per_window)
            main = per_window.get(window)
            if main is None:
                continue
            record = {"seller_id": seller, "orders": main.orders}
            for metric, figure in main.figures().items():
                record[metric.value] = figure.rate
            record["account_health"] = rating.rating
            last.append(record)
            records += 1
    return time.perf_counter() - started, (last, records)


def _peak(orders: int, sellers: int, per_day: float, policy: SimulationPolicy, every: int) -> int:
    history = generate_history(sellers=sellers, orders=orders, days=max(1, round(orders / per_day)), seed=3)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in replay(history, policy, every=every):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 20 s")
    parser.add_argument("--sellers", type=int, default=None)
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    args = parser.parse_args(argv)
    sellers = args.sellers or (100 if args.quick else 1000)
    orders = args.orders or (20_000 if args.quick else 1_000_000)
    days = args.days or 365
    policy = SimulationPolicy()
    history = generate_history(sellers=sellers, orders=orders, days=days, seed=1)
    print(f"simulate: {sellers} sellers, {orders:,} orders over {days} days, snapshots every {args.every} days"
          + (" (--quick: smaller sizes)" if args.quick else ""), flush=True)

    seconds, (last, records) = _run(history, policy, args.every)
    print(f"  resolvekit replay: {seconds:.2f} s ({records:,} seller records)", flush=True)

    orders_table, claims_table = _columns(history, policy, args.every)
    start = history.config.start.toordinal()
    end = history.config.end.toordinal()
    snapshot_days = [date.fromordinal(d) for d in range(start, end + 1) if (d - start + 1) % args.every == 0 or d == end]
    base_seconds, (base_last, base_records) = _baseline(orders_table, claims_table, policy, snapshot_days)
    print(f"  batch reputation:  {base_seconds:.2f} s ({base_records:,} seller records)", flush=True)
    agree = last is not None and [{k: v for k, v in r.items() if k not in ("policy", "as_of", "band")} for r in last.sellers] == base_last
    print(f"  last snapshot identical: {agree}", flush=True)

    extras: dict[str, Any] = {
        "sellers": sellers,
        "orders": orders,
        "days": days,
        "snapshots": len(snapshot_days),
        "complaints": len(claims_table),
        "agree": agree,
        "quick": args.quick,
    }
    if not args.no_memory:
        small, large = (1_000, 10_000) if args.quick else (100_000, 1_000_000)
        mem_sellers = 20 if args.quick else 1000
        per_day = small / 73  # the shorter history outlasts the 60-day window
        del orders_table, claims_table
        gc.collect()
        peak_small = _peak(small, mem_sellers, per_day, policy, args.every)
        peak_large = _peak(large, mem_sellers, per_day, policy, args.every)
        memory_ratio = peak_large / peak_small
        print(f"  peak memory: {peak_small / 2**20:.1f} MiB at {small:,} orders (73 days), {peak_large / 2**20:.1f} MiB at "
              f"{large:,} ({round(large / per_day)} days): x{memory_ratio:.2f}, limit 2", flush=True)
        extras.update(
            peak_small_bytes=peak_small,
            peak_large_bytes=peak_large,
            memory_orders=[small, large],
            memory_days=[73, round(large / per_day)],
            memory_ratio=round(memory_ratio, 3),
        )
    ratio = seconds / base_seconds
    print(json.dumps({"benchmark": "simulate", "resolvekit": round(seconds, 3), "baseline": round(base_seconds, 3), "unit": "s",
                      "ratio": round(ratio, 3), **extras}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
