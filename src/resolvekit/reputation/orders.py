"""What one order contributes to each metric, and the book that folds facts into orders.

An order's *profile* is everything the metrics need to know about it:

* ``flags``, an :class:`OrderFlag` bit set (shipped, late, tracking, cancelled, delivered, stars...),
* ``exclusions``, the exclusion reasons the host attached to its items, as sorted
  ``(item, reason)`` pairs (items: ``cancellation``, ``delivery``, ``feedback``, ``chargeback`` and
  ``order`` for the whole order),
* ``claims``, the claims against it.

:class:`Assessor` turns a profile into :class:`Item` values (what pulls a metric the wrong way, and
whether an exclusion takes it out) and into counter contributions. The incremental aggregator and the
batch computation both count with it, which is why they agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import FactConflict
from resolvekit.reputation import metrics as m
from resolvekit.reputation.facts import ClaimFact, ClaimOutcome, OrderFact, OrderFactKind, ResponseState
from resolvekit.reputation.metrics import Metric
from resolvekit.reputation.policy import NEVER_EXCLUDED, OUTCOME_EXCLUSIONS, PROTECTED_CLAIM_REASONS, ReputationPolicy

__all__ = [
    "EXCLUDABLE_ITEMS",
    "STARS_SHIFT",
    "Assessor",
    "ClaimSummary",
    "Item",
    "OrderBook",
    "OrderFlag",
    "OrderRecord",
    "flags_of",
    "stars_of",
]


class OrderFlag(enum.IntFlag):
    """Bits of an order's ``flags`` (the columnar tables keep one integer per order).

    Feedback stars (0 = none, 1-5) live in the three bits from :data:`STARS_SHIFT`; use
    :func:`flags_of` to build a value and :func:`stars_of` to read the stars back.
    """

    SHIPPED = 1
    SHIPPED_LATE = 2
    VALID_TRACKING = 4
    CANCELLED = 8
    PRE_FULFILMENT = 16
    DELIVERED = 32
    DELIVERED_LATE = 64
    CARRIER_DELAY = 128
    CHARGEBACK = 256


STARS_SHIFT = 9
"""Feedback stars are stored as ``stars << STARS_SHIFT`` in an order's flags."""

EXCLUDABLE_ITEMS: frozenset[str] = frozenset({"cancellation", "delivery", "feedback", "chargeback", "order"})
"""Items of an order a host may attach an exclusion reason to (``order`` covers all of them)."""

_SHIPPED = int(OrderFlag.SHIPPED)
_LATE = int(OrderFlag.SHIPPED_LATE)
_TRACKED = int(OrderFlag.VALID_TRACKING)
_CANCELLED = int(OrderFlag.CANCELLED)
_PRE = int(OrderFlag.PRE_FULFILMENT)
_DELIVERED = int(OrderFlag.DELIVERED)
_DELIVERED_LATE = int(OrderFlag.DELIVERED_LATE)
_CARRIER = int(OrderFlag.CARRIER_DELAY)
_CHARGEBACK = int(OrderFlag.CHARGEBACK)


def flags_of(
    *,
    shipped: bool = False,
    shipped_late: bool = False,
    valid_tracking: bool = False,
    cancelled: bool = False,
    pre_fulfilment: bool = False,
    delivered: bool = False,
    delivered_late: bool = False,
    carrier_delay: bool = False,
    chargeback: bool = False,
    stars: int = 0,
) -> int:
    """The flags integer of one order, from named parts."""
    if not isinstance(stars, int) or not 0 <= stars <= 5:
        raise ValueError(f"stars must be 0 (no feedback) or 1-5, got {stars!r}")
    value = stars << STARS_SHIFT
    for on, bit in (
        (shipped, _SHIPPED),
        (shipped_late, _LATE),
        (valid_tracking, _TRACKED),
        (cancelled, _CANCELLED),
        (pre_fulfilment, _PRE),
        (delivered, _DELIVERED),
        (delivered_late, _DELIVERED_LATE),
        (carrier_delay, _CARRIER),
        (chargeback, _CHARGEBACK),
    ):
        if on:
            value |= bit
    return value


def stars_of(flags: int) -> int:
    """The feedback stars stored in ``flags`` (0 when there is no feedback)."""
    return (flags >> STARS_SHIFT) & 7


ClaimSummary = tuple[str, str, ClaimOutcome, bool, ResponseState]
"""``(case_id, reason, outcome, resolved_within_72h, response)``: what a claim adds to a profile."""

Exclusions = tuple[tuple[str, str], ...]


@attrs.frozen
class Item:
    """Something about an order that pulls one or more metrics the wrong way.

    ``kind`` is one of ``late_shipment``, ``untracked_shipment``, ``cancellation``, ``late_delivery``,
    ``negative_feedback``, ``chargeback``, ``claim``, ``late_response``; ``cause`` is what DOMAIN calls
    it (``shipped_late``, ``seller_cancellation``, the claim's reason...). ``excluded_by`` is the
    exclusion that keeps it out of the counted figure, or ``None`` when it counts.
    """

    kind: str
    cause: str
    metrics: frozenset[Metric]
    case_id: str | None = None
    excluded_by: str | None = None

    @property
    def counted(self) -> bool:
        """Whether it affects reputation."""
        return self.excluded_by is None


_M = Metric
_SPEC = m.METRICS
_LATE_METRICS = frozenset({_M.LATE_SHIPMENT_RATE, _M.DELAYED_HANDLING_RATE})
_TRACKING_METRICS = frozenset({_M.VALID_TRACKING_RATE})
_CANCEL_METRICS = frozenset({_M.CANCELLATIONS_RATE, _M.MARKETPLACE_DEFECT_RATE})
_PRE_CANCEL_METRICS = _CANCEL_METRICS | {_M.PRE_FULFILMENT_CANCEL_RATE}
_DELAYED_METRICS = frozenset({_M.DELAYED_HANDLING_RATE})
_DEFECT_METRICS = frozenset({_M.ORDER_DEFECT_RATE})
_RESPONSE_METRICS = frozenset({_M.RESPONSE_WITHIN_24H_RATE})
_CLAIM_METRICS: dict[str, frozenset[Metric]] = {
    outcome: frozenset(
        {_M.CLAIMS_RATE}
        | ({_M.ORDER_DEFECT_RATE} if outcome != ClaimOutcome.DENIED else set())
        | ({_M.MARKETPLACE_DEFECT_RATE} if outcome == ClaimOutcome.RESOLVED_BY_PLATFORM else set())
    )
    for outcome in ClaimOutcome
}
"""Which metrics a claim feeds, by outcome: denied claims are no defect; platform-closed ones are a
marketplace defect too."""

_Judged = tuple[str, str, frozenset[Metric], str | None, str | None]


class Assessor:
    """Judges order profiles under one :class:`~resolvekit.reputation.ReputationPolicy`.

    :meth:`items` says what pulls which metric and why; :meth:`counts` turns that into one count per
    counter slot; :meth:`packed` is :meth:`counts` packed into one integer and cached per profile
    (most orders share a handful of profiles, so counting a million orders judges a few hundred).
    """

    _shared: dict[ReputationPolicy, Assessor] = {}

    @classmethod
    def for_policy(cls, policy: ReputationPolicy) -> Assessor:
        """The assessor of ``policy``, shared by every source that counts under an equal policy (its
        caches hold pure results, so sharing them only saves work)."""
        assessor = cls._shared.get(policy)
        if assessor is None:
            if len(cls._shared) >= 64:
                cls._shared.clear()
            assessor = cls._shared[policy] = cls(policy)
        return assessor

    def __init__(self, policy: ReputationPolicy) -> None:
        self.policy = policy
        self._plain: dict[int, int] = {}
        self._excused: dict[tuple[int, Exclusions], int] = {}
        self._claim_parts: dict[tuple[str, ClaimOutcome, bool, ResponseState, str | None], tuple[int, int]] = {}

    def _excluded_by(self, cause: str, candidates: Iterable[str | None]) -> str | None:
        protected = cause in NEVER_EXCLUDED or cause in PROTECTED_CLAIM_REASONS
        for reason in candidates:
            if reason is None or reason not in self.policy.exclusions:
                continue
            if not protected or reason in OUTCOME_EXCLUSIONS:
                return reason
        return None

    def _judge(self, flags: int, exclusions: Exclusions, claims: Sequence[ClaimSummary]) -> list[_Judged]:
        excl = dict(exclusions) if exclusions else {}
        whole = excl.get("order")
        found: list[_Judged] = []
        shipped = flags & _SHIPPED
        if shipped and flags & _LATE:
            found.append(("late_shipment", "shipped_late", _LATE_METRICS, None, None))
        if shipped and not flags & _TRACKED:
            found.append(("untracked_shipment", "no_valid_tracking", _TRACKING_METRICS, None, None))
        if flags & _CANCELLED:
            reason = self._excluded_by("seller_cancellation", (excl.get("cancellation"), whole))
            found.append(("cancellation", "seller_cancellation", _PRE_CANCEL_METRICS if flags & _PRE else _CANCEL_METRICS, None, reason))
        if shipped and flags & _DELIVERED and flags & _DELIVERED_LATE:
            carrier = "carrier_delay" if flags & _CARRIER and not flags & _LATE else None
            reason = self._excluded_by("delivered_late", (carrier, excl.get("delivery"), whole))
            found.append(("late_delivery", "delivered_late", _DELAYED_METRICS, None, reason))
        stars = (flags >> STARS_SHIFT) & 7
        if 1 <= stars <= self.policy.negative_feedback_max_stars:
            reason = self._excluded_by("negative_feedback", (excl.get("feedback"), whole))
            found.append(("negative_feedback", "negative_feedback", _DEFECT_METRICS, None, reason))
        if flags & _CHARGEBACK:
            reason = self._excluded_by("chargeback", (excl.get("chargeback"), whole))
            found.append(("chargeback", "chargeback", _DEFECT_METRICS, None, reason))
        for case_id, cause, outcome, within, response in claims:
            candidates = (
                "resolved_within_72h" if within else None,
                "buyers_remorse" if cause in self.policy.remorse_reasons else None,
                whole,
            )
            reason = self._excluded_by(cause, candidates)
            found.append(("claim", cause, _CLAIM_METRICS[outcome], case_id, reason))
            if response == ResponseState.LATE:
                found.append(("late_response", "message_not_answered", _RESPONSE_METRICS, case_id, None))
        return found

    def items(self, flags: int, exclusions: Exclusions = (), claims: Sequence[ClaimSummary] = ()) -> list[Item]:
        """Every item of the order, in a fixed order, with the exclusion that applies (if any)."""
        return [Item(kind, cause, metrics, case_id, reason) for kind, cause, metrics, case_id, reason in self._judge(flags, exclusions, claims)]

    def counts(self, flags: int, exclusions: Exclusions = (), claims: Sequence[ClaimSummary] = ()) -> list[int]:
        """One count per counter slot (see :mod:`resolvekit.reputation.metrics`) for one placed order."""
        c = [0] * m.SLOTS
        c[m.ORDERS] = 1
        c[m.COMPLETED] = 0 if flags & _CANCELLED else 1
        if flags & _SHIPPED:
            c[m.SHIPMENTS] = 1
        for _, _, _, _, response in claims:
            if response == ResponseState.IN_TIME or response == ResponseState.LATE:
                c[m.RESPONSE_DUE] += 1
            if response == ResponseState.LATE:
                c[m.RESPONSE_LATE] += 1
        for _, _, metrics, _, reason in self._judge(flags, exclusions, claims):
            for metric in metrics:
                spec = _SPEC[metric]
                if spec.per_claim:
                    continue
                c[spec.raw] = 1
                if reason is None:
                    c[spec.counted] = 1
        return c

    def packed(self, flags: int, exclusions: Exclusions = (), claims: Sequence[ClaimSummary] = ()) -> int:
        """:meth:`counts` packed into one integer, from cached parts: the order's own items (per
        ``flags`` and exclusions) and each claim's (per reason, outcome, resolution, response and the
        order's whole-order exclusion). Per-order slots are 0 or 1, so parts combine with ``|``;
        the per-claim response slots add up."""
        if not exclusions:
            value = self.plain(flags)
            whole = None
        else:
            value = self.excused(flags, exclusions)
            whole = dict(exclusions).get("order")
        for claim in claims:
            value = self.combine(value, whole, claim[1], claim[2], claim[3], claim[4])
        return value

    def excused(self, flags: int, exclusions: Exclusions) -> int:
        """:meth:`packed` of an order with exclusions but no claims."""
        key = (flags, exclusions)
        value = self._excused.get(key)
        if value is None:
            value = self._excused[key] = m.pack(self.counts(flags, exclusions))
        return value

    def combine(self, value: int, whole: str | None, reason: str, outcome: ClaimOutcome, within: bool, response: ResponseState) -> int:
        """``value`` (a packed contribution) with one more claim against the order; ``whole`` is the
        order's whole-order exclusion, if any."""
        key = (reason, outcome, bool(within), response, whole)
        part = self._claim_parts.get(key)
        if part is None:
            part = self._claim_parts[key] = self._claim_part(("", reason, outcome, bool(within), response), whole)
        return (value | part[0]) + part[1]

    def _claim_part(self, claim: ClaimSummary, whole: str | None) -> tuple[int, int]:
        either = [0] * m.SLOTS
        added = [0] * m.SLOTS
        response = claim[4]
        if response == ResponseState.IN_TIME or response == ResponseState.LATE:
            added[m.RESPONSE_DUE] = 1
        if response == ResponseState.LATE:
            added[m.RESPONSE_LATE] = 1
        for _, _, metrics, _, reason in self._judge(0, (("order", whole),) if whole else (), (claim,)):
            for metric in metrics:
                spec = _SPEC[metric]
                if not spec.per_claim:
                    either[spec.raw] = 1
                    if reason is None:
                        either[spec.counted] = 1
        return m.pack(either), m.pack(added)

    def plain(self, flags: int) -> int:
        """:meth:`packed` of an order with neither exclusions nor claims."""
        value = self._plain.get(flags)
        if value is None:
            value = self._plain[flags] = m.pack(self.counts(flags))
        return value

    @classmethod
    def forget(cls) -> None:
        """Drop the shared assessors and their caches (benchmarks use it to start cold)."""
        cls._shared.clear()

    @property
    def plain_profiles(self) -> dict[int, int]:
        """The cache behind :meth:`plain` (flags -> packed), for hot loops that read it directly."""
        return self._plain

    def mdr_counted(self, packed: int) -> bool:
        """Whether a packed contribution holds a counted marketplace defect (for unique buyers)."""
        return bool((packed >> (m.LANE * m.MDR)) & 1)


@attrs.frozen
class OrderRecord:
    """One placed order as explanations see it."""

    order_id: str
    seller_id: str
    buyer_id: str
    order_date: date
    flags: int
    exclusions: Exclusions = ()
    claims: tuple[ClaimSummary, ...] = ()


# -- the book: facts folded into orders -----------------------------------------------------------

_SLOT_OF_KIND = {
    OrderFactKind.PLACED: "placed",
    OrderFactKind.SHIPPED: "shipped",
    OrderFactKind.CANCELLED: "cancelled",
    OrderFactKind.DELIVERED: "delivered",
    OrderFactKind.FEEDBACK: "feedback",
    OrderFactKind.CHARGEBACK: "chargeback",
    OrderFactKind.EXCUSED: "excused",
}


class _Order:
    """The latest fact of each kind about one order, and the claims against it.

    ``older`` keeps the ids of facts that lost to a later fact of their kind (created only when that
    happens), so a resent old fact is still recognised as a duplicate.
    """

    __slots__ = (
        "buyer_id",
        "cancelled",
        "chargeback",
        "claims",
        "day",
        "delivered",
        "excused",
        "feedback",
        "older",
        "order_id",
        "packed",
        "placed",
        "seller_id",
        "shipped",
    )

    def __init__(self, order_id: str, seller_id: str, buyer_id: str, day: int | None) -> None:
        self.order_id = order_id
        self.seller_id = seller_id
        self.buyer_id = buyer_id
        self.day = day
        self.placed: OrderFact | None = None
        self.shipped: OrderFact | None = None
        self.cancelled: OrderFact | None = None
        self.delivered: OrderFact | None = None
        self.feedback: OrderFact | None = None
        self.chargeback: OrderFact | None = None
        self.excused: OrderFact | None = None
        self.claims: dict[str, ClaimFact] | None = None
        self.older: set[str] | None = None
        self.packed = 0

    def knows(self, fact_id: str) -> bool:
        """Whether a fact with this id was accepted for the order (latest or superseded)."""
        for fact in (self.placed, self.shipped, self.delivered, self.feedback, self.cancelled, self.chargeback, self.excused):
            if fact is not None and fact.fact_id == fact_id:
                return True
        if self.claims:
            for claim in self.claims.values():
                if claim.fact_id == fact_id:
                    return True
        return self.older is not None and fact_id in self.older

    def remember(self, fact_id: str) -> None:
        """Keep the id of a fact that lost to (or was replaced by) a later one of its kind."""
        if self.older is None:
            self.older = {fact_id}
        else:
            self.older.add(fact_id)

    def flags(self) -> int:
        value = 0
        s = self.shipped
        if s is not None:
            value = _SHIPPED
            if not s.on_time:
                value |= _LATE
            if s.valid_tracking:
                value |= _TRACKED
        c = self.cancelled
        if c is not None:
            value |= _CANCELLED
            if c.pre_fulfilment:
                value |= _PRE
        d = self.delivered
        if d is not None:
            value |= _DELIVERED
            if not d.on_time:
                value |= _DELIVERED_LATE
            if d.carrier_delay:
                value |= _CARRIER
        f = self.feedback
        if f is not None and f.stars is not None:
            value |= f.stars << STARS_SHIFT
        if self.chargeback is not None:
            value |= _CHARGEBACK
        return value

    def exclusions(self) -> Exclusions:
        c, cb, d, f, e = self.cancelled, self.chargeback, self.delivered, self.feedback, self.excused
        if (
            (c is None or c.exclusion is None)
            and (cb is None or cb.exclusion is None)
            and (d is None or d.exclusion is None)
            and (f is None or f.exclusion is None)
            and e is None
        ):
            return ()
        pairs = []
        for item, fact in (("cancellation", c), ("chargeback", cb), ("delivery", d), ("feedback", f), ("order", e)):
            if fact is not None and fact.exclusion is not None:
                pairs.append((item, fact.exclusion))
        return tuple(pairs)

    def claim_summaries(self) -> tuple[ClaimSummary, ...]:
        if not self.claims:
            return ()
        return tuple(
            sorted((c.case_id, c.reason, c.outcome, c.resolved_within_72h, c.response) for c in self.claims.values())
        )

    def record(self) -> OrderRecord:
        assert self.day is not None
        return OrderRecord(
            self.order_id, self.seller_id, self.buyer_id, date.fromordinal(self.day), self.flags(), self.exclusions(), self.claim_summaries()
        )


class OrderBook:
    """Folds order and claim facts into orders: deduplicated, latest-wins, order-independent.

    * A fact whose ``fact_id`` was accepted before for the same order is a duplicate: :meth:`add`
      returns ``None`` and nothing changes. (Fact ids need only be unique per order; each order
      remembers its own, so checking costs the same whatever the size of the history.)
    * The first fact about an order fixes its seller, buyer and order date; a later fact that
      disagrees raises :class:`~resolvekit.errors.FactConflict` and changes nothing. So does a claim
      fact that moves a case to another order.
    * Facts about an order that was not placed (yet) are kept: the order joins the metrics, with all
      of them, when its ``placed`` fact arrives. :meth:`pending` lists such orders.
    """

    def __init__(self) -> None:
        self.accepted = 0
        self.orders: dict[str, _Order] = {}
        self.case_orders: dict[str, str] = {}
        self.pending_ids: set[str] = set()

    def __len__(self) -> int:
        return self.accepted

    def _conflict(self, order: _Order, fact: OrderFact | ClaimFact, field: str, known: object, given: object) -> FactConflict:
        return FactConflict(fact_id=fact.fact_id, order_id=order.order_id, field=field, known=str(known), given=str(given))

    def add(self, fact: OrderFact | ClaimFact) -> _Order | None:
        """Fold one fact in; returns the changed order, or ``None`` for a duplicate."""
        if isinstance(fact, OrderFact):
            day: int | None = fact.order_date.toordinal()
        elif isinstance(fact, ClaimFact):
            day = None if fact.order_date is None else fact.order_date.toordinal()
            known = self.case_orders.get(fact.case_id)
            if known is not None and known != fact.order_id:
                raise FactConflict(
                    N_("Fact {fact_id} says case {case_id} is about order {given}, but it is about order {known}."),
                    fact_id=fact.fact_id,
                    case_id=fact.case_id,
                    given=fact.order_id,
                    known=known,
                )
        else:
            raise TypeError(f"not a reputation fact: {type(fact).__name__}")
        order = self.orders.get(fact.order_id)
        if order is None:
            order = _Order(fact.order_id, fact.seller_id, fact.buyer_id, day)
            self.orders[fact.order_id] = order
            self.pending_ids.add(fact.order_id)
        else:
            if order.knows(fact.fact_id):
                return None
            if order.seller_id != fact.seller_id:
                raise self._conflict(order, fact, "seller_id", order.seller_id, fact.seller_id)
            if order.buyer_id != fact.buyer_id:
                raise self._conflict(order, fact, "buyer_id", order.buyer_id, fact.buyer_id)
            if day is not None:
                if order.day is None:
                    order.day = day
                elif order.day != day:
                    raise self._conflict(order, fact, "order_date", date.fromordinal(order.day), date.fromordinal(day))
        if isinstance(fact, OrderFact):
            slot = _SLOT_OF_KIND[fact.kind]
            current: OrderFact | None = getattr(order, slot)
            if current is None:
                setattr(order, slot, fact)
                if slot == "placed":
                    self.pending_ids.discard(order.order_id)
            elif fact.at > current.at or (fact.at == current.at and fact.fact_id > current.fact_id):
                order.remember(current.fact_id)
                setattr(order, slot, fact)
            else:
                order.remember(fact.fact_id)
        else:
            if order.claims is None:
                order.claims = {fact.case_id: fact}
            else:
                current_claim = order.claims.get(fact.case_id)
                if current_claim is None:
                    order.claims[fact.case_id] = fact
                elif fact.supersedes(current_claim):
                    order.remember(current_claim.fact_id)
                    order.claims[fact.case_id] = fact
                else:
                    order.remember(fact.fact_id)
            self.case_orders[fact.case_id] = fact.order_id
        self.accepted += 1
        return order

    def pending(self) -> list[str]:
        """Ids of orders that have facts but no ``placed`` fact yet (not counted), sorted."""
        return sorted(self.pending_ids)

    def placed_orders(self) -> Iterable[_Order]:
        """Every placed order."""
        return (o for o in self.orders.values() if o.placed is not None)
