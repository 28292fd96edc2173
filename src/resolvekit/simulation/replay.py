"""Replaying a synthetic history under a policy: reputation and SLA outcomes over time.

:func:`replay` streams a :class:`~resolvekit.simulation.History` through one
:class:`~resolvekit.simulation.SimulationPolicy` and yields a :class:`Snapshot` every ``every``
days: each seller's reputation figures and account health as of that day, and the platform's
totals and SLA outcomes for the period. :func:`simulate` collects the snapshots into a
:class:`SimulationResult`; :func:`compare` replays the same history under several policies.

What the replay uses, rather than re-implementing it:

* **reputation**: each order's contribution is judged by the
  :class:`~resolvekit.reputation.orders.Assessor` of the policy's
  :class:`~resolvekit.reputation.ReputationPolicy`, and figures, windows and account-health ratings
  come from :class:`~resolvekit.reputation.ReputationSource` and
  :class:`~resolvekit.reputation.AccountHealthPolicy`, exactly as a live service computes them;
* **SLA**: every complaint is played out as a real activity log of
  :class:`~resolvekit.CaseEvent` values; its clocks are folded by :func:`resolvekit.domain.sla.track`
  and every warning, breach, escalation and auto-close the policy's
  :class:`~resolvekit.SlaPolicy` schedules (:func:`resolvekit.domain.sla.due_actions`) happens
  when it falls due, before the next step of the people involved; the claim that reaches the
  reputation is judged from that log by :func:`resolvekit.reputation.claim_from_events`.

**Memory.** Orders are generated, judged and forgotten one at a time. The replay keeps the
counters of each seller and order day only for the days a window can still reach (the longest of
the reputation window and the account-health windows), the changes still to come for orders placed
recently (an order's facts land within weeks), and the SLA totals of the periods not yet reported:
memory depends on the number of sellers and the daily volume, never on the length of the history.

Each fact counts from the day it happens: an order counts on the day it is placed, its shipment on
the day it ships, a complaint as open from the day it is opened and with its outcome from the day
it closes. Facts that would happen after the last day of the history are not counted.
"""

from __future__ import annotations

import importlib
from operator import itemgetter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.sla import SlaState, due_actions, next_deadline, track
from resolvekit.errors import ConfigurationError
from resolvekit.reputation.aggregator import KEY_STRIDE
from resolvekit.reputation.facts import ClaimOutcome, ResponseState, claim_from_events
from resolvekit.reputation.levels import AccountHealthPolicy, HealthBand
from resolvekit.reputation.metrics import LANE, MDR, METRICS, SLOTS, Totals, unpack
from resolvekit.reputation.orders import STARS_SHIFT, Assessor, ClaimSummary, OrderFlag, OrderRecord
from resolvekit.reputation.sources import ReputationSource
from resolvekit.simulation.history import History, SimComplaint, SimOrder
from resolvekit.simulation.policies import SimulationPolicy, policy_named

__all__ = ["SLA_FIELDS", "Comparison", "Snapshot", "SimulationResult", "compare", "replay", "simulate"]

_MDR_BIT = 1 << (LANE * MDR)  # an order's counted marketplace defect (its slots hold 0 or 1)
_SHIPPED, _LATE, _TRACKED = int(OrderFlag.SHIPPED), int(OrderFlag.SHIPPED_LATE), int(OrderFlag.VALID_TRACKING)
_CANCELLED = int(OrderFlag.CANCELLED) | int(OrderFlag.PRE_FULFILMENT)
_DELIVERED, _DELIVERED_LATE, _CARRIER = int(OrderFlag.DELIVERED), int(OrderFlag.DELIVERED_LATE), int(OrderFlag.CARRIER_DELAY)
_CHARGEBACK = int(OrderFlag.CHARGEBACK)

SLA_FIELDS: tuple[str, ...] = (
    "complaints_opened",
    "complaints_closed",
    "resolved_by_seller",
    "resolved_by_platform",
    "withdrawn",
    "denied",
    "resolved_within_72h",
    "responses_in_time",
    "responses_late",
    "warnings",
    "breaches",
    "escalations",
    "escalated_unresponsive",
    "escalated_rejected_offers",
    "escalated_by_customer",
    "escalated_missed_deadline",
    "offers_proposed",
    "offers_accepted",
    "offers_rejected",
    "offers_expired",
    "partial_refunds",
    "full_refunds",
    "refunded_minor",
    "resolution_hours",
)
"""The SLA totals of a period in every platform record (``resolution_hours`` is their sum over the
complaints closed in the period; the record also has ``mean_resolution_hours``)."""

_F = {name: index for index, name in enumerate(SLA_FIELDS)}
_ESCALATION_FIELD = {
    "unresponsive": _F["escalated_unresponsive"],
    "rejected_offers": _F["escalated_rejected_offers"],
    "requested": _F["escalated_by_customer"],
    "clock_breached": _F["escalated_missed_deadline"],
}
_OUTCOME_FIELD = {
    ClaimOutcome.RESOLVED_BY_SELLER: _F["resolved_by_seller"],
    ClaimOutcome.RESOLVED_BY_PLATFORM: _F["resolved_by_platform"],
    ClaimOutcome.WITHDRAWN: _F["withdrawn"],
    ClaimOutcome.DENIED: _F["denied"],
}
_METRIC_NAMES = [spec.metric.value for spec in METRICS.values()]


class _Buckets(ReputationSource):
    """Reputation counters per (seller, order day), kept only for the days a window can still reach.

    A :class:`~resolvekit.reputation.ReputationSource`: metrics, totals and levels read it like any
    other source. It keeps no orders, so explanations and what-ifs are empty.
    """

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.assessor = Assessor.for_policy(policy)
        self._index: dict[str, int] = {}
        self._buckets: dict[int, int] = {}
        self._buyers: dict[int, dict[str, int]] = {}
        self.floor = 0
        """Order days before this one are forgotten (changes to them are ignored)."""

    def change(self, seller: str, day: int, buyer: str, old: int, new: int) -> None:
        """One order's contribution goes from ``old`` to ``new`` (packed counters)."""
        if day < self.floor:
            return
        index = self._index.get(seller)
        if index is None:
            index = self._index[seller] = len(self._index)
        key = index * KEY_STRIDE + day
        buckets = self._buckets
        buckets[key] = buckets.get(key, 0) + new - old
        if (old ^ new) & _MDR_BIT:  # the order's counted marketplace defect came or went
            buyers = self._buyers.setdefault(key, {})
            if new & _MDR_BIT:
                buyers[buyer] = buyers.get(buyer, 0) + 1
            else:
                left = buyers.get(buyer, 0) - 1
                if left > 0:
                    buyers[buyer] = left
                else:
                    buyers.pop(buyer, None)

    def forget_before(self, day: int) -> None:
        """Drop the counters of order days before ``day`` (later changes to them are ignored)."""
        if day <= self.floor:
            return
        if self.floor and day - self.floor <= 31:  # the usual step: a day or a few
            indexes = range(len(self._index))
            for old in range(self.floor, day):
                for index in indexes:
                    key = index * KEY_STRIDE + old
                    self._buckets.pop(key, None)
                    self._buyers.pop(key, None)
        else:
            for table in (self._buckets, self._buyers):
                for key in [k for k in table if k % KEY_STRIDE < day]:
                    del table[key]
        self.floor = day

    def _sums(self, as_of: date, lengths: Sequence[int], seller_id: str | None) -> dict[str, list[tuple[int, list[int], set[str]]]]:
        end = as_of.toordinal() + 1
        buckets, buyers_of = self._buckets, self._buyers
        sellers = list(self._index.items()) if seller_id is None else [(seller_id, self._index[seller_id])] if seller_id in self._index else []
        result: dict[str, list[tuple[int, list[int], set[str]]]] = {}
        for seller, index in sellers:
            base = index * KEY_STRIDE
            segments = []
            high = end
            for k, days in enumerate(lengths):
                low = max(end - days, 1)
                if low < high:
                    keys = range(base + low, base + high)
                    total = sum(filter(None, map(buckets.get, keys)))
                    if total:
                        affected: set[str] = set()
                        if buyers_of:
                            for found in filter(None, map(buyers_of.get, keys)):
                                affected.update(found)
                        segments.append((k, unpack(total), affected))
                high = min(high, low)
            if segments:
                result[seller] = segments
        return result

    def _orders_of(self, seller_id: str, window: Any) -> Iterable[OrderRecord]:
        return ()

    def pending(self) -> list[str]:
        """Always empty: the replay places every order it counts."""
        return []


@attrs.frozen
class Snapshot:
    """The state of a replay as of one day.

    ``sellers`` holds one record per seller with orders in the reputation window: ``policy``,
    ``as_of``, ``seller_id``, ``orders`` (in the window), one rate per metric (``None`` without a
    base), ``account_health`` (0-1000) and ``band``. ``platform`` is one record for the whole
    platform: the same rates over all sellers' orders, how many sellers are in each account-health
    band, and the SLA totals (:data:`SLA_FIELDS`) of the period ``period_start`` to ``as_of``.
    """

    policy: str
    as_of: date
    sellers: tuple[dict[str, Any], ...]
    platform: dict[str, Any]


class _Replay:
    """One replay's state (see :func:`replay`)."""

    def __init__(self, history: History, policy: SimulationPolicy, every: int, sellers: frozenset[str] | None, on_change: Any) -> None:
        self.history = history
        self.policy = policy
        self.every = every
        self.only = sellers
        self.on_change = on_change
        config = history.config
        self.start_day = config.start.toordinal()
        self.last_day = config.end.toordinal()
        self.rules = policy.reputation
        self.health = AccountHealthPolicy()
        self.lengths = sorted({self.rules.window_days, *self.health.windows.values()})
        self.source = _Buckets(self.rules)
        self.pending: dict[int, list[tuple[str, int, str, int, int]]] = {}
        self.periods: dict[int, list[float]] = {}
        self.sla = policy.policy.sla
        self.review = policy.policy.complaint_platform_review
        self.offer_limit = policy.policy.offers.max_per_complaint
        expiry = policy.policy.offers.expiry
        self.expiry_hours = None if expiry is None else expiry.total_seconds() / 3600
        self.escalate_on_breach = {c.name for c in self.sla.clocks if c.escalate_on_breach}

    # -- the days ---------------------------------------------------------------------------------

    def run(self) -> Iterator[Snapshot]:
        current = self.start_day
        for order in self.history:
            day = order.placed_at.toordinal()
            while current < day:
                snapshot = self._close(current)
                if snapshot is not None:
                    yield snapshot
                current += 1
            self._order(order, day)
        while current <= self.last_day:
            snapshot = self._close(current)
            if snapshot is not None:
                yield snapshot
            current += 1

    def _close(self, day: int) -> Snapshot | None:
        change = self.source.change
        for seller, order_day, buyer, old, new in self.pending.pop(day, ()):
            change(seller, order_day, buyer, old, new)
        snapshot = None
        if (day - self.start_day + 1) % self.every == 0 or day == self.last_day:
            snapshot = self._snapshot(day)
        self.source.forget_before(day + 2 - self.lengths[-1])
        return snapshot

    def _period(self, day: int) -> list[float]:
        index = (day - self.start_day) // self.every
        found = self.periods.get(index)
        if found is None:
            found = self.periods[index] = [0] * len(SLA_FIELDS)
        return found

    def _snapshot(self, day: int) -> Snapshot:
        as_of = date.fromordinal(day)
        name = self.policy.name
        window = self.rules.window_days
        totals = self.source.totals(as_of, self.lengths)
        records = []
        platform_counts = [0] * SLOTS
        bands = dict.fromkeys(HealthBand, 0)
        for seller in sorted(totals):
            per_window = totals[seller]
            main = per_window.get(window)
            health = self.health.assess(seller, per_window)
            bands[health.band] += 1
            if main is None:
                continue
            platform_counts = [a + b for a, b in zip(platform_counts, main.counts)]
            if self.only is not None and seller not in self.only:
                continue
            record: dict[str, Any] = {"policy": name, "as_of": as_of, "seller_id": seller, "orders": main.orders}
            for metric, figure in main.figures().items():
                record[metric.value] = figure.rate
            record["account_health"] = health.rating
            record["band"] = health.band.value
            records.append(record)
        index = (day - self.start_day) // self.every
        stats = self.periods.pop(index, None) or [0] * len(SLA_FIELDS)
        platform: dict[str, Any] = {
            "policy": name,
            "as_of": as_of,
            "period_start": date.fromordinal(max(self.start_day + index * self.every, day - self.every + 1)),
            "sellers": len(totals),
            "orders": platform_counts[0],
        }
        for metric, figure in Totals(window, tuple(platform_counts)).figures().items():
            platform[metric.value] = figure.rate
        for band, count in bands.items():
            platform[f"sellers_{band.value}"] = count
        for field, value in zip(SLA_FIELDS, stats):
            platform[field] = value
        closed = stats[_F["complaints_closed"]]
        platform["mean_resolution_hours"] = stats[_F["resolution_hours"]] / closed if closed else None
        platform["refunded"] = stats[_F["refunded_minor"]] / 100
        return Snapshot(name, as_of, tuple(records), platform)

    # -- one order --------------------------------------------------------------------------------

    def _order(self, order: SimOrder, day: int) -> None:
        placed = order.placed_at
        start_hours = (placed.hour * 3600 + placed.minute * 60 + placed.second) / 3600
        steps: list[tuple[float, int, ClaimSummary | None]] = []
        if order.cancel_hours is not None:
            steps.append((order.cancel_hours, _CANCELLED, None))
        else:
            assert order.ship_hours is not None and order.deliver_hours is not None
            steps.append((order.ship_hours, _SHIPPED | (_LATE if order.shipped_late else 0) | (_TRACKED if order.valid_tracking else 0), None))
            delivered = _DELIVERED | (_DELIVERED_LATE if order.delivered_late else 0) | (_CARRIER if order.carrier_delay else 0)
            steps.append((order.deliver_hours, delivered, None))
            if order.feedback_hours is not None:
                steps.append((order.feedback_hours, order.stars << STARS_SHIFT, None))
            if order.chargeback_hours is not None:
                steps.append((order.chargeback_hours, _CHARGEBACK, None))
            complaint = order.complaint
            if complaint is not None:
                opened_day = day + int((start_hours + complaint.open_hours) // 24)
                if opened_day <= self.last_day:
                    opened = (complaint.case_id, complaint.reason, ClaimOutcome.OPEN, False, ResponseState.PENDING)
                    steps.append((complaint.open_hours, 0, opened))
                    final, hours = self._complaint(order, complaint, placed + timedelta(hours=complaint.open_hours), opened_day)
                    if final is not None:
                        steps.append((complaint.open_hours + hours, 0, final))
        steps.sort(key=_first)
        # Walk the facts in time order; the order's contribution changes once per day that has
        # facts (placement included): apply today's change now, schedule the later ones.
        assessor = self.assessor
        plain, packed = assessor.plain, assessor.packed
        on_change = self.on_change
        flags = 0
        claims: tuple[ClaimSummary, ...] = ()
        value = plain(0)
        if on_change is not None:
            on_change(day, order, day, 0, claims)
        group_day, group_old = day, 0
        last = self.last_day
        changes: list[tuple[int, int, int]] = []
        for hours, bits, claim in steps:
            effective = day + int((start_hours + hours) // 24)
            if effective > last:
                break
            if effective != group_day:
                if value != group_old:
                    changes.append((group_day, group_old, value))
                group_day, group_old = effective, value
            flags |= bits
            if claim is not None:
                claims = (claim,)
            value = packed(flags, (), claims) if claims else plain(flags)
            if on_change is not None:
                on_change(effective, order, day, flags, claims)
        if value != group_old:
            changes.append((group_day, group_old, value))
        seller, buyer = order.seller_id, order.buyer_id
        pending = self.pending
        for when, old, new in changes:
            if when == day:  # the order's own day has not closed yet
                self.source.change(seller, day, buyer, old, new)
            else:
                found = pending.get(when)
                if found is None:
                    found = pending[when] = []
                found.append((seller, day, buyer, old, new))

    @property
    def assessor(self) -> Assessor:
        return self.source.assessor

    # -- one complaint ----------------------------------------------------------------------------

    def _complaint(self, order: SimOrder, c: SimComplaint, opened_at: datetime, opened_day: int) -> tuple[ClaimSummary | None, float]:
        """Play one complaint out under the policy; returns its final claim and hours until it closed
        (``None`` when it is still open on the last day)."""
        sla, policy = self.sla, self.policy
        case_id = c.case_id
        events: list[CaseEvent] = []
        state: SlaState | None = None
        stats: list[float] = self._period(opened_day)
        stats[_F["complaints_opened"]] += 1
        customer = Actor.customer(order.buyer_id)
        merchant = Actor.merchant("merchant", store_id=order.seller_id)
        platform, system = _PLATFORM, _SYSTEM
        horizon = datetime.combine(date.fromordinal(self.last_day + 1), datetime.min.time(), tzinfo=opened_at.tzinfo)
        closed_at: datetime | None = None
        offers = rejections = 0
        offer_kind = policy.first_offer
        offer_id = ""
        escalated = False
        refund = 0

        def add(kind: EventKind, actor: Actor, at: datetime, payload: dict[str, Any]) -> None:
            nonlocal state
            event = CaseEvent(case_id, len(events) + 1, kind, actor, at, payload)
            events.append(event)
            state = track((event,), sla, state)

        def period(at: datetime) -> list[float]:
            return self._period(at.toordinal())

        add(
            EventKind.COMPLAINT_OPENED,
            customer,
            opened_at,
            {"store_id": order.seller_id, "customer_id": order.buyer_id, "order_id": order.order_id, "reason": c.reason, "status": "under_platform_review"},
        )
        if self.review:
            step, at = "review", opened_at + timedelta(hours=c.review_hours)
        else:
            add(EventKind.REVIEW_PASSED, system, opened_at, {"status": "waiting_for_merchant_response"})
            step, at = "merchant", opened_at + timedelta(hours=c.response_hours)

        def escalate(when: datetime, reason: str, by: Actor) -> tuple[str, datetime]:
            nonlocal escalated
            escalated = True
            add(EventKind.CASE_ESCALATED, by, when, {"reference": f"ESC-{case_id}", "reason": reason})
            stats_at = period(when)
            stats_at[_F["escalations"]] += 1
            field = _ESCALATION_FIELD.get(reason)
            if field is not None:
                stats_at[field] += 1
            return "platform", when + timedelta(hours=c.platform_hours)

        for _ in range(60):
            if at >= horizon:
                break
            # What the SLA rules schedule before the next step of the people involved happens first.
            assert state is not None
            due = next_deadline(state, sla)
            if due is not None and due <= at:
                actions = due_actions(state, sla, at)
                if actions:
                    action = actions[0]
                    when = action.at
                    payload = {"clock": action.clock, "cycle": action.cycle, "deadline": (action.deadline or when).isoformat()}
                    if action.kind == "warn":
                        add(EventKind.DEADLINE_WARNING, system, when, payload)
                        period(when)[_F["warnings"]] += 1
                    elif action.kind == "breach":
                        add(EventKind.CLOCK_BREACHED, system, when, payload)
                        period(when)[_F["breaches"]] += 1
                        if action.clock in self.escalate_on_breach and not escalated:
                            step, at = escalate(when, "clock_breached", system)
                    elif action.kind == "escalate":
                        step, at = escalate(when, action.reason or "requested", system)
                    elif action.kind == "auto_close_warning":
                        add(EventKind.AUTO_CLOSE_WARNED, system, when, {"closes_at": payload["deadline"]})
                    elif action.kind == "auto_close":
                        add(EventKind.CASE_CLOSED, system, when, {"status": "closed", "outcome": "withdrawn", "automatic": True})
                        closed_at = when
                        break
                    continue
            if step == "review":
                add(EventKind.REVIEW_PASSED, platform, at, {"status": "waiting_for_merchant_response"})
                step, at = "merchant", at + timedelta(hours=c.response_hours)
            elif step == "merchant":
                if c.contested and offers == 0 and rejections == 0:
                    add(EventKind.COMPLAINT_DISPUTED, merchant, at, {"status": "waiting_for_customer_response", "body": "disputed"})
                    rejections = -1  # the dispute was the merchant's answer
                    step, at = "customer_dispute", at + timedelta(hours=c.customer_hours)
                elif self.offer_limit is None or offers < self.offer_limit:
                    offers += 1
                    offer_kind = policy.first_offer if offers == 1 else "full_refund"
                    offer_id = f"{case_id}/o{len(events) + 1}"
                    add(EventKind.OFFER_PROPOSED, merchant, at, {"offer_id": offer_id, "kind": offer_kind, "status": "waiting_for_customer_response"})
                    period(at)[_F["offers_proposed"]] += 1
                    step, at = "customer", at + timedelta(hours=c.customer_hours)
                else:
                    step, at = escalate(at, "requested", customer)
            elif step == "customer":
                if self.expiry_hours is not None and c.customer_hours >= self.expiry_hours:
                    expired_at = events[-1].at + timedelta(hours=self.expiry_hours)
                    add(EventKind.OFFER_EXPIRED, system, expired_at, {"offer_id": offer_id, "status": "waiting_for_merchant_response"})
                    period(expired_at)[_F["offers_expired"]] += 1
                    step, at = "merchant", expired_at + timedelta(hours=c.response_hours)
                    continue
                draw = c.accept_draw if offers == 1 else (c.second_draw + 0.37 * (offers - 2)) % 1.0
                if draw < policy.chance(offer_kind):
                    add(EventKind.OFFER_ACCEPTED, customer, at, {"offer_id": offer_id})
                    add(EventKind.CASE_CLOSED, customer, at, {"status": "closed", "resolution": offer_id})
                    stats_at = period(at)
                    stats_at[_F["offers_accepted"]] += 1
                    if offer_kind == "partial_refund":
                        stats_at[_F["partial_refunds"]] += 1
                        refund = order.amount_minor * int(policy.partial_refund_percent * 100) // 10_000
                    else:
                        stats_at[_F["full_refunds"]] += 1
                        refund = order.amount_minor
                    closed_at = at
                    break
                add(EventKind.OFFER_REJECTED, customer, at, {"offer_id": offer_id, "status": "waiting_for_merchant_response"})
                period(at)[_F["offers_rejected"]] += 1
                rejections += 1
                if self.offer_limit is not None and offers >= self.offer_limit:
                    step, at = escalate(at, "requested", customer)
                else:
                    step, at = "merchant", at + timedelta(hours=c.response_hours)
            elif step == "customer_dispute":
                if c.accept_draw < 0.6:
                    add(EventKind.CASE_CLOSED, customer, at, {"status": "closed"})
                    closed_at = at
                    break
                step, at = escalate(at, "requested", customer)
            else:  # the platform decides an escalated case
                outcome = "denied" if c.contested else "resolved_by_platform"
                add(EventKind.CASE_CLOSED, platform, at, {"status": "closed", "outcome": outcome})
                if not c.contested:
                    refund = order.amount_minor
                    period(at)[_F["full_refunds"]] += 1
                closed_at = at
                break
        if closed_at is None:
            return None, 0.0
        fact = claim_from_events(events, policy=self.rules)
        assert fact is not None
        stats = period(closed_at)
        stats[_F["complaints_closed"]] += 1
        outcome_field = _OUTCOME_FIELD.get(fact.outcome)
        if outcome_field is not None:
            stats[outcome_field] += 1
        if fact.resolved_within_72h:
            stats[_F["resolved_within_72h"]] += 1
        if fact.response is ResponseState.IN_TIME:
            stats[_F["responses_in_time"]] += 1
        elif fact.response is ResponseState.LATE:
            stats[_F["responses_late"]] += 1
        stats[_F["refunded_minor"]] += refund
        hours = (closed_at - opened_at).total_seconds() / 3600
        stats[_F["resolution_hours"]] += hours
        return (case_id, fact.reason, fact.outcome, fact.resolved_within_72h, fact.response), hours


_first = itemgetter(0)
_PLATFORM = Actor.platform("platform-team")
_SYSTEM = Actor.system()


def _every(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(N_("Snapshots are taken every whole number of days, at least 1; got {value!r}."), value=value)
    return value


def _policy(value: SimulationPolicy | str) -> SimulationPolicy:
    if isinstance(value, SimulationPolicy):
        return value
    if isinstance(value, str):
        return policy_named(value)
    raise ConfigurationError(N_("Expected a SimulationPolicy or a policy name, got {value!r}."), value=value)


def replay(
    history: History,
    policy: SimulationPolicy | str = "default",
    *,
    every: int = 7,
    sellers: Iterable[str] | None = None,
    on_change: Callable[[int, SimOrder, int, int, tuple[ClaimSummary, ...]], None] | None = None,
) -> Iterator[Snapshot]:
    """Replay ``history`` under ``policy`` (a :class:`SimulationPolicy` or a name of
    :data:`~resolvekit.simulation.POLICIES`), yielding a :class:`Snapshot` every ``every`` days and on
    the last day. Streams: see the module documentation for what it keeps in memory.

    ``sellers`` limits the per-seller records to those sellers (the platform figures still cover
    everyone). ``on_change(day, order, order_day, flags, claims)`` is called whenever an order's
    reputation profile changes, with the day it takes effect (for checking a replay against
    :class:`~resolvekit.reputation.BatchReputation`).
    """
    if not isinstance(history, History):
        raise ConfigurationError(N_("Expected a History (see generate_history), got {value!r}."), value=type(history).__name__)
    chosen = _policy(policy)
    only = None if sellers is None else frozenset(sellers)
    return _Replay(history, chosen, _every(every), only, on_change).run()


def _frame(records: list[dict[str, Any]]) -> Any:
    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise ConfigurationError(N_("pandas is not installed; install it (pip install pandas) or use the plain records.")) from None
    return pandas.DataFrame.from_records(records)


@attrs.frozen
class SimulationResult:
    """What :func:`simulate` returns: the plain records of every snapshot of one replay.

    ``sellers`` has one record per seller and snapshot, ``platform`` one per snapshot (see
    :class:`Snapshot` for their fields).
    """

    policy: str
    sellers: list[dict[str, Any]]
    platform: list[dict[str, Any]]

    def sellers_frame(self) -> Any:
        """:attr:`sellers` as a pandas DataFrame (needs pandas)."""
        return _frame(self.sellers)

    def platform_frame(self) -> Any:
        """:attr:`platform` as a pandas DataFrame (needs pandas)."""
        return _frame(self.platform)

    def summary(self) -> dict[str, Any]:
        """The SLA totals over the whole replay, and the platform's figures on the last day."""
        totals: dict[str, Any] = {"policy": self.policy}
        for field in SLA_FIELDS:
            totals[field] = sum(record[field] for record in self.platform)
        closed = totals["complaints_closed"]
        totals["mean_resolution_hours"] = totals["resolution_hours"] / closed if closed else None
        totals["refunded"] = totals["refunded_minor"] / 100
        if self.platform:
            last = self.platform[-1]
            for name in _METRIC_NAMES:
                totals[f"final_{name}"] = last[name]
            totals["final_sellers_at_risk"] = last["sellers_at_risk"] + last["sellers_suspension_risk"]
        return totals

    def series(self, metric: str, seller_id: str | None = None) -> list[tuple[date, float | None]]:
        """``(as_of, value)`` of a metric (or any record field) over time: the platform's, or one
        seller's when ``seller_id`` is given."""
        if seller_id is None:
            return [(r["as_of"], r.get(metric)) for r in self.platform]
        return [(r["as_of"], r.get(metric)) for r in self.sellers if r["seller_id"] == seller_id]


def simulate(
    history: History,
    policy: SimulationPolicy | str = "default",
    *,
    every: int = 7,
    sellers: Iterable[str] | None = None,
) -> SimulationResult:
    """Replay ``history`` under ``policy`` and collect every snapshot (see :func:`replay`).

    >>> from resolvekit.simulation import generate_history
    >>> result = simulate(generate_history(sellers=3, orders=300, days=14), "default")
    >>> [r["as_of"].isoformat() for r in result.platform]
    ['2026-01-07', '2026-01-14']
    """
    chosen = _policy(policy)
    sellers_records: list[dict[str, Any]] = []
    platform_records: list[dict[str, Any]] = []
    for snapshot in replay(history, chosen, every=every, sellers=sellers):
        sellers_records.extend(snapshot.sellers)
        platform_records.append(snapshot.platform)
    return SimulationResult(chosen.name, sellers_records, platform_records)


@attrs.frozen
class Comparison:
    """The same history replayed under several policies (see :func:`compare`).

    ``results`` keeps each policy's :class:`SimulationResult`, in the order given; :attr:`sellers`
    and :attr:`platform` concatenate their records (each has a ``policy`` field).
    """

    results: tuple[SimulationResult, ...]

    @property
    def policies(self) -> list[str]:
        """The policies' names, in order."""
        return [r.policy for r in self.results]

    @property
    def sellers(self) -> list[dict[str, Any]]:
        """Every per-seller record of every policy."""
        return [record for result in self.results for record in result.sellers]

    @property
    def platform(self) -> list[dict[str, Any]]:
        """Every platform record of every policy."""
        return [record for result in self.results for record in result.platform]

    def __getitem__(self, policy: str) -> SimulationResult:
        for result in self.results:
            if result.policy == policy:
                return result
        raise KeyError(policy)

    def summary(self) -> list[dict[str, Any]]:
        """One :meth:`SimulationResult.summary` per policy."""
        return [result.summary() for result in self.results]

    def summary_frame(self) -> Any:
        """:meth:`summary` as a pandas DataFrame indexed by policy (needs pandas)."""
        return _frame(self.summary()).set_index("policy")

    def sellers_frame(self) -> Any:
        """:attr:`sellers` as a pandas DataFrame (needs pandas)."""
        return _frame(self.sellers)

    def platform_frame(self) -> Any:
        """:attr:`platform` as a pandas DataFrame (needs pandas)."""
        return _frame(self.platform)

    def plot(self, metric: str = "order_defect_rate", *, seller_id: str | None = None, ax: Any = None) -> Any:
        """Plot ``metric`` over time under each policy: the platform's, or one seller's. Needs
        matplotlib (``pip install 'resolvekit[plot]'``); returns the matplotlib ``Axes``."""
        from resolvekit.simulation.plots import plot_series

        title = f"{metric.replace('_', ' ')}" + (f" of {seller_id}" if seller_id else " (platform)")
        return plot_series({r.policy: r.series(metric, seller_id) for r in self.results}, title=title, ylabel=metric, ax=ax)


def compare(
    history: History,
    policies: Iterable[SimulationPolicy | str],
    *,
    every: int = 7,
    sellers: Iterable[str] | None = None,
) -> Comparison:
    """Replay the same ``history`` under each of ``policies`` (policies or names): one call to
    compare, e.g., 24 h and 48 h response clocks, or partial refunds first.

    >>> from resolvekit.simulation import generate_history
    >>> history = generate_history(sellers=3, orders=300, days=14)
    >>> compare(history, ["default", "response-48h"]).policies
    ['default', 'response-48h']
    """
    chosen = [_policy(p) for p in policies]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names) or not names:
        raise ConfigurationError(N_("Compare at least one policy, each with its own name; got {names}."), names=", ".join(names) or "none")
    only = None if sellers is None else list(sellers)
    return Comparison(tuple(simulate(history, p, every=every, sellers=only) for p in chosen))
