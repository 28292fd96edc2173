"""The batch computation: metrics over a whole history, from plain columns.

:class:`OrderTable` holds one row per placed order as plain Python lists (order id, seller, buyer,
order day number, :class:`~resolvekit.reputation.OrderFlag` bits) plus a sparse mapping of the
exclusions a host attached; :class:`ClaimTable` one row per claim. Build them from a notebook's
columns (:meth:`OrderTable.from_columns`, e.g. ``df["seller_id"].tolist()``) or from facts
(:meth:`BatchReputation.from_facts`).

The computation is vectorised in spirit: one pass of :class:`collections.Counter` over
``zip(seller, window segment, flags)`` counts the orders of each seller, window segment and profile
at C speed; each distinct profile is judged once; the few orders with claims or exclusions are
corrected one by one. It gives exactly the figures of
:class:`~resolvekit.reputation.ReputationAggregator` for the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import compress, repeat
from operator import and_
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import FactConflict, ValidationError
from resolvekit.reputation import metrics as m
from resolvekit.reputation.facts import ClaimFact, ClaimOutcome, OrderFact, ResponseState
from resolvekit.reputation.orders import (
    EXCLUDABLE_ITEMS,
    Assessor,
    ClaimSummary,
    OrderBook,
    OrderFlag,
    OrderRecord,
)
from resolvekit.reputation.policy import NEVER_EXCLUDED, ReputationPolicy
from resolvekit.reputation.sources import ReputationSource
from resolvekit.reputation.windows import Window

__all__ = ["BatchReputation", "ClaimTable", "OrderTable"]

_CANCELLED = int(OrderFlag.CANCELLED)
_MDR_BIT = 1 << (m.LANE * m.MDR)


def _column(name: str, values: Iterable[Any], length: int | None) -> list[Any]:
    column = values if isinstance(values, list) else list(values)
    if length is not None and len(column) != length:
        raise ValidationError(
            N_("Column {name} has {count} values but order_id has {expected}; every column needs one value per row."),
            name=name,
            count=len(column),
            expected=length,
        )
    return column


def _days(values: list[Any]) -> list[int]:
    if values and isinstance(values[0], date):
        return [d.toordinal() for d in values]
    return values


def _unique(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        duplicate = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ValidationError(N_("{what} {id!r} appears twice; each row must have its own id."), what=what, id=duplicate)


def _exclusions(value: Mapping[str, Mapping[str, str] | Iterable[tuple[str, str]]] | None) -> dict[str, tuple[tuple[str, str], ...]]:
    result: dict[str, tuple[tuple[str, str], ...]] = {}
    for order_id, pairs in (value or {}).items():
        items = dict(pairs.items() if isinstance(pairs, Mapping) else pairs)
        for item, reason in items.items():
            if item not in EXCLUDABLE_ITEMS:
                raise ValidationError(
                    N_("Order {order_id}: {item!r} cannot be excluded; use one of {allowed}."),
                    order_id=order_id,
                    item=item,
                    allowed=", ".join(sorted(EXCLUDABLE_ITEMS)),
                )
            if not isinstance(reason, str) or not reason.strip() or reason in NEVER_EXCLUDED:
                raise ValidationError(N_("Order {order_id}: {reason!r} is not an exclusion reason."), order_id=order_id, reason=reason)
        if items:
            result[order_id] = tuple(sorted(items.items()))
    return result


_OUTCOMES: dict[str, ClaimOutcome] = {o.value: o for o in ClaimOutcome}
_RESPONSES: dict[str, ResponseState] = {r.value: r for r in ResponseState}


def _named(values: list[Any], names: Mapping[str, Any], field: str) -> list[Any]:
    try:
        return list(map(names.__getitem__, values))
    except (KeyError, TypeError):
        bad = next(v for v in values if not isinstance(v, str) or v not in names)
        raise ValidationError(
            N_("{field} {value!r} is not one of {allowed}."), field=field, value=bad, allowed=", ".join(names)
        ) from None


@attrs.frozen(eq=False)
class OrderTable:
    """Placed orders as columns: one entry per order in each list.

    ``order_day`` holds day numbers (``date.toordinal()``); ``flags`` the
    :class:`~resolvekit.reputation.OrderFlag` bits with the feedback stars (see
    :func:`~resolvekit.reputation.flags_of`); ``exclusions`` maps the few order ids that have
    excused items to their ``(item, reason)`` pairs.
    """

    order_id: list[str]
    seller_id: list[str]
    buyer_id: list[str]
    order_day: list[int]
    flags: list[int]
    exclusions: Mapping[str, tuple[tuple[str, str], ...]] = attrs.field(factory=dict)

    def __len__(self) -> int:
        return len(self.order_id)

    @classmethod
    def from_columns(
        cls,
        *,
        order_id: Iterable[str],
        seller_id: Iterable[str],
        buyer_id: Iterable[str],
        order_date: Iterable[date] | Iterable[int],
        flags: Iterable[int],
        exclusions: Mapping[str, Mapping[str, str] | Iterable[tuple[str, str]]] | None = None,
        check_unique: bool = True,
    ) -> OrderTable:
        """Build a table from columns (lists are kept as they are, other iterables copied).

        ``order_date`` takes dates or day numbers. ``exclusions`` maps an order id to
        ``{item: reason}`` (items: cancellation, delivery, feedback, chargeback, order).
        ``check_unique`` refuses a table that lists an order twice (it would count twice); turn it
        off only for columns that come from a primary key.
        """
        ids = _column("order_id", order_id, None)
        n = len(ids)
        table = cls(
            ids,
            _column("seller_id", seller_id, n),
            _column("buyer_id", buyer_id, n),
            _days(_column("order_date", order_date, n)),
            _column("flags", flags, n),
            _exclusions(exclusions),
        )
        if check_unique:
            _unique(ids, "Order")
        return table

    def records(self) -> Iterator[dict[str, Any]]:
        """The rows as plain dicts (order_date as a date)."""
        for row in range(len(self.order_id)):
            oid = self.order_id[row]
            yield {
                "order_id": oid,
                "seller_id": self.seller_id[row],
                "buyer_id": self.buyer_id[row],
                "order_date": date.fromordinal(self.order_day[row]),
                "flags": self.flags[row],
                "exclusions": dict(self.exclusions.get(oid, ())),
            }

    def to_records(self) -> list[dict[str, Any]]:
        """:meth:`records` as a list."""
        return list(self.records())


@attrs.frozen(eq=False)
class ClaimTable:
    """Claims as columns: one entry per case in each list (outcome and response as their names)."""

    case_id: list[str]
    order_id: list[str]
    seller_id: list[str]
    buyer_id: list[str]
    reason: list[str]
    outcome: list[str]
    resolved_within_72h: list[bool]
    response: list[str]

    def __len__(self) -> int:
        return len(self.case_id)

    @classmethod
    def empty(cls) -> ClaimTable:
        """A table without claims."""
        return cls([], [], [], [], [], [], [], [])

    @classmethod
    def from_columns(
        cls,
        *,
        case_id: Iterable[str],
        order_id: Iterable[str],
        seller_id: Iterable[str],
        buyer_id: Iterable[str],
        reason: Iterable[str],
        outcome: Iterable[str],
        resolved_within_72h: Iterable[bool],
        response: Iterable[str],
    ) -> ClaimTable:
        """Build a table from columns, checking every outcome and response name."""
        ids = _column("case_id", case_id, None)
        n = len(ids)
        table = cls(
            ids,
            _column("order_id", order_id, n),
            _column("seller_id", seller_id, n),
            _column("buyer_id", buyer_id, n),
            _column("reason", reason, n),
            _named(_column("outcome", outcome, n), _OUTCOMES, "outcome"),
            list(map(bool, _column("resolved_within_72h", resolved_within_72h, n))),
            _named(_column("response", response, n), _RESPONSES, "response"),
        )
        _unique(ids, "Case")
        for row in range(n):
            if table.resolved_within_72h[row] and table.outcome[row] not in (ClaimOutcome.RESOLVED_BY_SELLER, ClaimOutcome.WITHDRAWN):
                raise ValidationError(
                    N_("Claim {case_id}: only a claim resolved by the seller or withdrawn can be resolved within 72 h (outcome {outcome})."),
                    case_id=ids[row],
                    outcome=table.outcome[row],
                )
        return table

    @classmethod
    def from_facts(cls, facts: Iterable[ClaimFact]) -> ClaimTable:
        """One row per fact (pass the latest fact of each case)."""
        table = cls.empty()
        for fact in facts:
            table.case_id.append(fact.case_id)
            table.order_id.append(fact.order_id)
            table.seller_id.append(fact.seller_id)
            table.buyer_id.append(fact.buyer_id)
            table.reason.append(fact.reason)
            table.outcome.append(fact.outcome)
            table.resolved_within_72h.append(fact.resolved_within_72h)
            table.response.append(fact.response)
        _unique(table.case_id, "Case")
        return table

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts."""
        return [
            {
                "case_id": self.case_id[row],
                "order_id": self.order_id[row],
                "seller_id": self.seller_id[row],
                "buyer_id": self.buyer_id[row],
                "reason": self.reason[row],
                "outcome": str(self.outcome[row]),
                "resolved_within_72h": self.resolved_within_72h[row],
                "response": str(self.response[row]),
            }
            for row in range(len(self.case_id))
        ]


class BatchReputation(ReputationSource):
    """Reputation over a whole history held as columns; answers like the aggregator.

    Claims about orders missing from the order table are not counted and listed by
    :meth:`pending`; a claim whose seller or buyer differs from its order's raises
    :class:`~resolvekit.errors.FactConflict`; exclusions for orders missing from the table raise
    :class:`~resolvekit.errors.ValidationError`.
    """

    def __init__(self, orders: OrderTable, claims: ClaimTable | None = None, policy: ReputationPolicy | None = None) -> None:
        self.policy = policy if policy is not None else ReputationPolicy()
        self.assessor = Assessor.for_policy(self.policy)
        self.orders = orders
        self.claims = claims if claims is not None else ClaimTable.empty()
        self._pending_orders: list[str] = []
        # Work out once what does not depend on the date asked about: how the few orders with claims
        # or exclusions differ from their plain profile, and which orders have a counted
        # marketplace defect (for the distinct affected buyers). Parallel lists of plain values
        # keep the garbage collector out of the way.
        c = self.claims
        outcomes = _named(c.outcome, _OUTCOMES, "outcome")
        responses = _named(c.response, _RESPONSES, "response")
        claim_row = dict(zip(c.order_id, range(len(c.order_id))))
        more: dict[str, list[int]] = {}
        if len(claim_row) != len(c.order_id):
            for row, oid in enumerate(c.order_id):
                if claim_row[oid] != row:
                    more.setdefault(oid, []).append(row)
        excluded = orders.exclusions
        order_ids, sellers, buyers = orders.order_id, orders.seller_id, orders.buyer_id
        flags_of_row, days = orders.flags, orders.order_day
        assessor = self.assessor
        plain, combine = assessor.plain, assessor.combine
        self._corrections: tuple[list[str], list[int], list[int]] = ([], [], [])
        self._affected: tuple[list[str], list[int], list[str]] = ([], [], [])
        fix_seller, fix_day, fix_delta = self._corrections
        hit_seller, hit_day, hit_buyer = self._affected
        special_rows: list[int] = []
        special_ids = claim_row.keys() | excluded.keys()
        profiles = assessor.plain_profiles
        mdr = _MDR_BIT
        for row in compress(range(len(order_ids)), map(special_ids.__contains__, order_ids)):
            oid = order_ids[row]
            flags = flags_of_row[row]
            usual = profiles.get(flags)
            if usual is None:
                usual = plain(flags)
            pairs = excluded.get(oid)
            value = assessor.excused(flags, pairs) if pairs else usual
            first = claim_row.get(oid)
            if first is not None:
                whole = dict(pairs).get("order") if pairs else None
                for at in (first, *more[oid]) if oid in more else (first,):
                    if c.seller_id[at] != sellers[row]:
                        raise FactConflict(fact_id=c.case_id[at], order_id=oid, field="seller_id", known=sellers[row], given=c.seller_id[at])
                    if c.buyer_id[at] != buyers[row]:
                        raise FactConflict(fact_id=c.case_id[at], order_id=oid, field="buyer_id", known=buyers[row], given=c.buyer_id[at])
                    value = combine(value, whole, c.reason[at], outcomes[at], c.resolved_within_72h[at], responses[at])
            special_rows.append(row)
            if value != usual:
                fix_seller.append(sellers[row])
                fix_day.append(days[row])
                fix_delta.append(value - usual)
            if value & mdr:
                hit_seller.append(sellers[row])
                hit_day.append(days[row])
                hit_buyer.append(buyers[row])
        special = set(special_rows)
        for row in compress(range(len(flags_of_row)), map(and_, flags_of_row, repeat(_CANCELLED))):
            if row not in special and plain(flags_of_row[row]) & mdr:
                hit_seller.append(sellers[row])
                hit_day.append(days[row])
                hit_buyer.append(buyers[row])
        found = {order_ids[row] for row in special_rows}
        missing = sorted(excluded.keys() - found)
        if missing:
            raise ValidationError(N_("Exclusions name orders that are not in the table: {ids}."), ids=", ".join(missing[:10]))
        self._pending_claims = sorted(claim_row.keys() - found)
        self._special = special
        self._outcomes, self._responses = outcomes, responses
        self._claims_by_order: dict[str, tuple[ClaimSummary, ...]] | None = None
        self._rows_by_seller: dict[str, list[int]] | None = None

    @classmethod
    def from_facts(cls, facts: Iterable[OrderFact | ClaimFact], policy: ReputationPolicy | None = None) -> BatchReputation:
        """Fold a whole history of facts (deduplicated, latest wins, any order) and build the tables.

        The facts are folded exactly as :class:`~resolvekit.reputation.ReputationAggregator` folds
        them, so both give identical figures.
        """
        book = OrderBook()
        for fact in facts:
            book.add(fact)
        ids: list[str] = []
        sellers: list[str] = []
        buyers: list[str] = []
        days: list[int] = []
        flags: list[int] = []
        exclusions: dict[str, tuple[tuple[str, str], ...]] = {}
        claims: list[ClaimFact] = []
        for order in book.placed_orders():
            assert order.day is not None
            ids.append(order.order_id)
            sellers.append(order.seller_id)
            buyers.append(order.buyer_id)
            days.append(order.day)
            flags.append(order.flags())
            pairs = order.exclusions()
            if pairs:
                exclusions[order.order_id] = pairs
            if order.claims:
                claims.extend(order.claims.values())
        table = OrderTable(ids, sellers, buyers, days, flags, exclusions)
        batch = cls(table, ClaimTable.from_facts(claims), policy)
        batch._pending_orders = book.pending()
        return batch

    def pending(self) -> list[str]:
        """Orders with facts but no ``placed`` fact, and orders of claims missing from the table."""
        return sorted(set(self._pending_orders) | set(self._pending_claims))

    def _sums(self, as_of: date, lengths: Sequence[int], seller_id: str | None) -> dict[str, list[tuple[int, list[int], set[str]]]]:
        end = as_of.toordinal() + 1
        segment: dict[int, int] = {}
        high = end
        for k, days in enumerate(lengths):
            for day in range(max(end - days, 1), high):
                segment[day] = k
            high = min(high, max(end - days, 1))
        t = self.orders
        plain = self.assessor.plain
        profiles = self.assessor.plain_profiles
        if seller_id is None:
            counted = Counter(zip(t.seller_id, map(segment.get, t.order_day), t.flags))
        else:
            rows = self._seller_rows().get(seller_id, [])
            counted = Counter((seller_id, segment.get(t.order_day[r]), t.flags[r]) for r in rows)
        sums: dict[tuple[str, int], int] = {}
        get = sums.get
        for (seller, at, flags), n in counted.items():
            if at is not None:
                value = profiles.get(flags)
                if value is None:
                    value = plain(flags)
                key = (seller, at)
                sums[key] = get(key, 0) + n * value
        for seller, day, delta in zip(*self._corrections):
            at = segment.get(day)
            if at is not None and (seller_id is None or seller == seller_id):
                sums[(seller, at)] += delta
        affected: dict[tuple[str, int], set[str]] = {}
        for seller, day, buyer in zip(*self._affected):
            at = segment.get(day)
            if at is not None and (seller_id is None or seller == seller_id):
                key = (seller, at)
                found = affected.get(key)
                if found is None:
                    affected[key] = {buyer}
                else:
                    found.add(buyer)
        result: dict[str, list[tuple[int, list[int], set[str]]]] = {}
        for (seller, index), total in sums.items():
            result.setdefault(seller, []).append((index, m.unpack(total), affected.get((seller, index), set())))
        return result

    def _seller_rows(self) -> dict[str, list[int]]:
        if self._rows_by_seller is None:
            rows: dict[str, list[int]] = {}
            for row, seller in enumerate(self.orders.seller_id):
                rows.setdefault(seller, []).append(row)
            self._rows_by_seller = rows
        return self._rows_by_seller

    def _claims_of(self) -> dict[str, tuple[ClaimSummary, ...]]:
        if self._claims_by_order is None:
            c = self.claims
            grouped: dict[str, list[ClaimSummary]] = {}
            for case_id, oid, reason, outcome, within, response in zip(
                c.case_id, c.order_id, c.reason, self._outcomes, c.resolved_within_72h, self._responses
            ):
                grouped.setdefault(oid, []).append((case_id, reason, outcome, bool(within), response))
            self._claims_by_order = {oid: tuple(sorted(found)) for oid, found in grouped.items()}
        return self._claims_by_order

    def _orders_of(self, seller_id: str, window: Window) -> Iterator[OrderRecord]:
        t = self.orders
        first, end = window.first_day, window.end_day
        claims = self._claims_of()
        for row in self._seller_rows().get(seller_id, ()):
            day = t.order_day[row]
            if first <= day < end:
                oid = t.order_id[row]
                yield OrderRecord(
                    oid, seller_id, t.buyer_id[row], date.fromordinal(day), t.flags[row], t.exclusions.get(oid, ()), claims.get(oid, ())
                )
