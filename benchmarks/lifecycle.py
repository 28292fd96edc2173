"""Benchmark: the demo's complaint lifecycle through resolvekit vs. bare python-statemachine.

Each lifecycle is six commands: the customer opens a complaint, the platform passes the review, the
merchant proposes a resolution, the customer replies, the merchant replies, and the customer
accepts (which closes the complaint after confirming).

* **resolvekit**: the whole command path of :class:`resolvekit.ResolveKit` on the in-memory backend
  (validation, tenancy, the compiled lifecycle, events, fold, notifications, commit).
* **baseline**: what a host writes with bare python-statemachine: a complaint machine like
  ``ComplaintLifecycle`` instantiated per command, bound to a model object that holds the status,
  and one event sent with ``role=`` and ``policy=`` keyword arguments for the guards.

Both run in the same process, in alternating rounds; the best round of each counts (the machine is
shared and noisy). The import cost of ``import resolvekit`` is compared, in fresh interpreters, with
importing its four dependencies (attrs, pluggy, statemachine, babel) together.

Usage: ``python benchmarks/lifecycle.py [--quick] [--profile]``. The last line printed is one JSON
object with ``benchmark``, ``resolvekit``, ``baseline``, ``unit``, ``ratio`` (resolvekit / baseline)
and the import figures. Targets: ``ratio <= 0.1`` and ``import_ratio <= 1.2``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from statemachine import State, StateMachine

from resolvekit import Actor, Customer, Order, OrderItem, Policy, ResolveKit, Role

COMMANDS_PER_LIFECYCLE = 6
RATIO_TARGET = 0.1
IMPORT_RATIO_TARGET = 1.2

# -------------------------------------------------------------------------------------------------
# resolvekit: the demo's complaint, command by command
# -------------------------------------------------------------------------------------------------

CUSTOMER = Customer("cust-42", "Noura Al-Harbi", email="noura@example.com")


def orders(count: int) -> list[Order]:
    """``count`` orders of the customer (each complaint is about its own order), built untimed."""
    return [
        Order(
            id=f"ord-{number}",
            number=str(number),
            store_id="store-7",
            customer_id=CUSTOMER.id,
            status="delivered",
            created_at=datetime(2026, 10, 30, 12, 0, tzinfo=UTC),
            total_paid=Decimal("249.00"),
            currency="SAR",
            items=(OrderItem("kettle-1", "Glass kettle", 1, Decimal("249.00")),),
        )
        for number in range(1001, 1001 + count)
    ]

BUYER = Actor.customer(CUSTOMER.id)
MERCHANT = Actor.merchant("owner-1", store_id="store-7")
PLATFORM = Actor.platform("agent-5")


def new_app() -> ResolveKit:
    """A fresh in-memory application with a clock that moves a minute per reading."""
    now = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]
    minute = timedelta(minutes=1)

    def tick() -> datetime:
        now[0] += minute
        return now[0]

    return ResolveKit(storage="memory://", clock=tick)


def resolvekit_lifecycle(rk: ResolveKit, order: Order) -> str:
    """One complaint about ``order`` from opening to closing; returns its final status."""
    case_id = rk.open_complaint(
        BUYER,
        order=order,
        customer=CUSTOMER,
        reason="damaged_goods",
        description="The kettle arrived with a cracked lid.",
        declaration_accepted=True,
    ).case.id
    rk.pass_review(PLATFORM, case_id, note="Photos attached, valid.")
    proposal = _propose(rk, case_id)
    rk.reply(BUYER, case_id, "Could you send a new lid instead?")
    rk.reply(MERCHANT, case_id, "A new lid is not available; the refund offer stands.")
    return _accept(rk, case_id, proposal).case.status


def _propose(rk: ResolveKit, case_id: str) -> str:
    """The merchant's compensation proposal: a structured offer where available, else free text."""
    text = "A 50 SAR refund; you keep the kettle."
    propose_offer = getattr(rk, "propose_offer", None)
    if propose_offer is not None:
        case = propose_offer(MERCHANT, case_id, "partial_refund", amount="50.00", text=text).case
        return str(case.offers[-1].id)
    case = rk.propose_resolution(MERCHANT, case_id, text).case  # type: ignore[attr-defined]
    return str(case.proposals[-1].id)


def _accept(rk: ResolveKit, case_id: str, proposal_id: str) -> Any:
    accept = getattr(rk, "accept_offer", None) or getattr(rk, "accept_resolution")
    return accept(BUYER, case_id, proposal_id, confirmed=True)


# -------------------------------------------------------------------------------------------------
# The baseline: bare python-statemachine, the naive way
# -------------------------------------------------------------------------------------------------


class NaiveComplaint(StateMachine):
    """The complaint lifecycle as a host would declare it without resolvekit (guards inline)."""

    under_platform_review = State(initial=True)
    waiting_for_merchant_response = State()
    waiting_for_customer_response = State()
    closed = State(final=True)

    pass_review = under_platform_review.to(waiting_for_merchant_response, cond="by_reviewer")
    customer_reply = (
        under_platform_review.to.itself(cond="by_customer")
        | waiting_for_merchant_response.to.itself(cond="by_customer")
        | waiting_for_customer_response.to(waiting_for_merchant_response, cond="by_customer")
    )
    merchant_reply = waiting_for_merchant_response.to(
        waiting_for_customer_response, cond="by_merchant"
    ) | waiting_for_customer_response.to.itself(cond="by_merchant")
    platform_reply = (
        under_platform_review.to.itself(cond="by_platform")
        | waiting_for_merchant_response.to.itself(cond="by_platform")
        | waiting_for_customer_response.to.itself(cond="by_platform")
    )
    add_note = (
        under_platform_review.to.itself(cond="by_staff")
        | waiting_for_merchant_response.to.itself(cond="by_staff")
        | waiting_for_customer_response.to.itself(cond="by_staff")
    )
    propose_resolution = waiting_for_merchant_response.to(
        waiting_for_customer_response, cond="by_staff"
    ) | waiting_for_customer_response.to.itself(cond="by_staff")
    accept_resolution = waiting_for_customer_response.to(closed, cond="by_customer")
    close = (
        under_platform_review.to(closed, cond="may_close")
        | waiting_for_merchant_response.to(closed, cond="may_close")
        | waiting_for_customer_response.to(closed, cond="may_close")
    )

    def by_customer(self, role: Role, policy: Policy) -> bool:
        return role is Role.CUSTOMER

    def by_merchant(self, role: Role, policy: Policy) -> bool:
        return role is Role.MERCHANT

    def by_platform(self, role: Role, policy: Policy) -> bool:
        return role is Role.PLATFORM

    def by_staff(self, role: Role, policy: Policy) -> bool:
        return role in (Role.MERCHANT, Role.PLATFORM)

    def by_reviewer(self, role: Role, policy: Policy) -> bool:
        return role in (Role.PLATFORM, Role.SYSTEM)

    def may_close(self, role: Role, policy: Policy) -> bool:
        return role in policy.complaint_closers


class ComplaintRecord:
    """The host's model object: it holds the status the machine reads and writes."""

    def __init__(self) -> None:
        self.state: str | None = None


BASELINE_STEPS = (
    ("pass_review", Role.PLATFORM),
    ("propose_resolution", Role.MERCHANT),
    ("customer_reply", Role.CUSTOMER),
    ("merchant_reply", Role.MERCHANT),
    ("accept_resolution", Role.CUSTOMER),
)


def baseline_lifecycle(policy: Policy) -> str:
    """The same six commands: a machine per command, bound to the model, one event each."""
    record = ComplaintRecord()
    NaiveComplaint(model=record)  # open: the machine puts the record in its initial status
    for event, role in BASELINE_STEPS:
        NaiveComplaint(model=record).send(event, role=role, policy=policy)
    return str(record.state)


# -------------------------------------------------------------------------------------------------
# Measurement
# -------------------------------------------------------------------------------------------------


def _timed(run: Callable[[int], str], lifecycles: int) -> float:
    # The collector stays on while timing (it is part of any command's cost), but the cyclic garbage
    # the other side's round left behind is collected first, so neither side pays for the other.
    gc.collect()
    start = time.perf_counter()
    for index in range(lifecycles):
        status = run(index)
    elapsed = time.perf_counter() - start
    if status != "closed":
        raise RuntimeError(f"the lifecycle ended in {status!r}, not 'closed'")
    return elapsed / (lifecycles * COMMANDS_PER_LIFECYCLE) * 1e6


def command_path(lifecycles: int, baseline_lifecycles: int, rounds: int) -> tuple[float, float]:
    """Best-of-``rounds`` microseconds per command for resolvekit and for the baseline."""
    policy = Policy()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        rk, todo = new_app(), orders(lifecycles)
        ours.append(_timed(lambda index: resolvekit_lifecycle(rk, todo[index]), lifecycles))
        theirs.append(_timed(lambda index: baseline_lifecycle(policy), baseline_lifecycles))
    return min(ours), min(theirs)


_IMPORT = "import time; t = time.process_time(); import {modules}; {then}; print(time.process_time() - t)"


def import_times(probes: dict[str, tuple[str, str]], runs: int) -> dict[str, float]:
    """Best-of-``runs`` CPU seconds of each probe ``name -> (modules, then)`` in fresh interpreters.

    The probes take turns, so that each sees the same load on a shared machine, and CPU time (not
    wall time) is measured, so that time spent waiting for a busy core does not count. Bytecode is
    cached for every probe, as it is for an installed package: an untimed first run writes it even
    where ``PYTHONDONTWRITEBYTECODE`` is set for this process.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {
        name: [sys.executable, "-c", _IMPORT.format(modules=modules, then=then or "pass")]
        for name, (modules, then) in probes.items()
    }
    best = dict.fromkeys(commands, float("inf"))
    for command in commands.values():
        subprocess.run(command, check=True, capture_output=True, env=env)  # warm the bytecode cache
    for _ in range(runs):
        for name, command in commands.items():
            out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
            best[name] = min(best[name], float(out.strip()))
    return best


def profile(lifecycles: int) -> None:
    """Print where the resolvekit command path spends its time (to stderr)."""
    import cProfile
    import pstats

    rk, todo = new_app(), orders(lifecycles)
    profiler = cProfile.Profile()
    profiler.enable()
    for order in todo:
        resolvekit_lifecycle(rk, order)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (well under 20 s)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the resolvekit path")
    args = parser.parse_args(argv)

    lifecycles, baseline_lifecycles, rounds, import_runs = (300, 60, 5, 9) if args.quick else (1000, 150, 7, 15)
    ours, theirs = command_path(lifecycles, baseline_lifecycles, rounds)
    imports = import_times(
        {
            "resolvekit": ("resolvekit", ""),
            "dependencies": ("attrs, pluggy, statemachine, babel", ""),
            # For the record: what the lifecycle classes (loaded on first use) add when asked for at once.
            "eager": ("resolvekit", "resolvekit.ComplaintLifecycle"),
            # And what a host pays for the whole command path (names load on first access).
            "application": ("resolvekit", "resolvekit.ResolveKit"),
        },
        import_runs,
    )
    import_ours, import_theirs, import_eager = imports["resolvekit"], imports["dependencies"], imports["eager"]
    if args.profile:
        profile(lifecycles)

    ratio = ours / theirs
    import_ratio = import_ours / import_theirs
    print(f"resolvekit command path : {ours:9.1f} us per command (best of {rounds} rounds x {lifecycles} lifecycles)")
    print(f"bare python-statemachine: {theirs:9.1f} us per command (best of {rounds} rounds x {baseline_lifecycles} lifecycles)")
    print(f"ratio                   : {ratio:9.3f} (target <= {RATIO_TARGET})")
    print(f"import resolvekit       : {import_ours * 1e3:9.1f} ms CPU (best of {import_runs})")
    print(f"import its dependencies : {import_theirs * 1e3:9.1f} ms (attrs, pluggy, statemachine, babel)")
    print(f"import ratio            : {import_ratio:9.3f} (target <= {IMPORT_RATIO_TARGET})")
    print(f"  + lifecycle classes   : {import_eager * 1e3:9.1f} ms (ratio {import_eager / import_theirs:.3f}; loaded on first use)")
    print(f"  + ResolveKit          : {imports['application'] * 1e3:9.1f} ms (ratio {imports['application'] / import_theirs:.3f}; loaded on first use)")
    summary = {
        "benchmark": "lifecycle",
        "resolvekit": round(ours, 2),
        "baseline": round(theirs, 2),
        "unit": "us/command",
        "ratio": round(ratio, 4),
        "ratio_target": RATIO_TARGET,
        "import_resolvekit_ms": round(import_ours * 1e3, 2),
        "import_dependencies_ms": round(import_theirs * 1e3, 2),
        "import_ratio": round(import_ratio, 4),
        "import_ratio_target": IMPORT_RATIO_TARGET,
        "import_with_lifecycles_ms": round(import_eager * 1e3, 2),
        "import_with_lifecycles_ratio": round(import_eager / import_theirs, 4),
        "import_application_ms": round(imports["application"] * 1e3, 2),
        "import_application_ratio": round(imports["application"] / import_theirs, 4),
        "targets_met": ratio <= RATIO_TARGET and import_ratio <= IMPORT_RATIO_TARGET,
        "commands_per_lifecycle": COMMANDS_PER_LIFECYCLE,
        "lifecycles": lifecycles,
        "rounds": rounds,
        "quick": args.quick,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
