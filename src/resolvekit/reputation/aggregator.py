"""The incremental aggregator: metrics kept current one fact at a time, in constant time.

Each placed order contributes one packed integer of counter slots (see
:mod:`resolvekit.reputation.metrics`) to the bucket of its seller and order date. A fact changes
one order, so :meth:`ReputationAggregator.add` replaces that order's contribution in one bucket: a
handful of dictionary operations whatever the size of the history. Buckets are grouped by day
(``day -> {seller: packed}``), so the buckets a live stream touches (those of recent order dates)
stay few and close together however long the history. Windows are summed at query time over a
fixed number of day buckets (the window's length), so a query costs ``O(sellers x window days)``
and never depends on how many facts came before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from resolvekit.reputation import metrics as m
from resolvekit.reputation.facts import ClaimFact, OrderFact
from resolvekit.reputation.orders import Assessor, OrderBook, OrderRecord, _Order
from resolvekit.reputation.policy import ReputationPolicy
from resolvekit.reputation.sources import ReputationSource
from resolvekit.reputation.windows import Window

__all__ = ["ReputationAggregator"]

KEY_STRIDE = 2_654_435_761
"""Bucket keys are ``seller index * KEY_STRIDE + day number`` (here and in the policy simulation's replay): unique (every day number is below the
stride), consecutive for one seller's days (a window is a ``range`` of keys), and spread over a
dict's slots: the stride's low bits look random, where a power of two (or a number close to one)
would pile the buckets of one day, or of days a few apart, onto the same few slots."""
_MDR_BIT = 1 << (m.LANE * m.MDR)


class ReputationAggregator(ReputationSource):
    """Reputation kept up to date fact by fact (see the module docs for the costs).

    Feed it :class:`~resolvekit.reputation.OrderFact` and :class:`~resolvekit.reputation.ClaimFact`
    values in any order with :meth:`add`; ask it anything :class:`ReputationSource` answers.
    Duplicated facts (same ``fact_id`` for the same order) are ignored; a fact that contradicts its order's identity
    raises :class:`~resolvekit.errors.FactConflict` and changes nothing; facts for an order not yet
    placed wait for it (:meth:`pending`).

    The aggregator counts under one :class:`~resolvekit.reputation.ReputationPolicy` (its exclusions
    decide the counted figures); to compare policies, feed the same facts to another aggregator or
    use :class:`~resolvekit.reputation.BatchReputation`.
    """

    def __init__(self, policy: ReputationPolicy | None = None) -> None:
        self.policy = policy if policy is not None else ReputationPolicy()
        self.assessor = Assessor.for_policy(self.policy)
        self._book = OrderBook()
        self._seller_index: dict[str, int] = {}
        self._days: dict[int, dict[int, int]] = {}
        self._buyers: dict[int, dict[str, int]] = {}
        self._seller_orders: dict[str, list[_Order]] | None = None  # built by the first explanation

    def __len__(self) -> int:
        """The number of facts accepted (duplicates not included)."""
        return len(self._book)

    def add(self, fact: OrderFact | ClaimFact) -> bool:
        """Fold one fact in. Returns ``False`` for a duplicate (``fact_id`` already accepted for its order).

        Raises :class:`~resolvekit.errors.FactConflict` (nothing changes) when the fact disagrees
        with its order's seller, buyer or order date, or moves a case to another order.
        """
        order = self._book.add(fact)
        if order is None:
            return False
        if order.placed is None:
            return True
        claims = order.claim_summaries() if order.claims else ()
        packed = self.assessor.packed(order.flags(), order.exclusions(), claims)
        old = order.packed
        if packed == old:
            return True
        seller = order.seller_id
        index = self._seller_index.get(seller)
        if index is None:
            index = self._seller_index[seller] = len(self._seller_index)
        day = order.day
        assert day is not None
        bucket = self._days.get(day)
        if bucket is None:
            bucket = self._days[day] = {}
        bucket[index] = bucket.get(index, 0) + packed - old
        if not old and self._seller_orders is not None:
            listed = self._seller_orders.get(seller)
            if listed is None:
                self._seller_orders[seller] = [order]
            else:
                listed.append(order)
        was, now = old & _MDR_BIT, packed & _MDR_BIT
        if was != now:
            buyers = self._buyers.setdefault(index * KEY_STRIDE + day, {})
            if now:
                buyers[order.buyer_id] = buyers.get(order.buyer_id, 0) + 1
            else:
                left = buyers[order.buyer_id] - 1
                if left:
                    buyers[order.buyer_id] = left
                else:
                    del buyers[order.buyer_id]
        order.packed = packed
        return True

    def extend(self, facts: Iterable[OrderFact | ClaimFact]) -> int:
        """:meth:`add` every fact; returns how many were new. Stops at the first conflict (raised),
        keeping the facts before it."""
        return sum(1 for fact in facts if self.add(fact))

    def pending(self) -> list[str]:
        """Ids of orders that have facts but no ``placed`` fact yet (not counted), sorted."""
        return self._book.pending()

    @property
    def sellers(self) -> list[str]:
        """Every seller with a placed order, sorted."""
        return sorted(self._seller_index)

    def _sums(self, as_of: date, lengths: Sequence[int], seller_id: str | None) -> dict[str, list[tuple[int, list[int], set[str]]]]:
        end = as_of.toordinal() + 1
        only = None if seller_id is None else self._seller_index.get(seller_id)
        if seller_id is not None and only is None:
            return {}
        days = self._days
        spans: list[tuple[int, int]] = []
        high = end
        for length in lengths:
            low = max(end - length, 1)
            spans.append((low, high))
            high = min(high, low)
        totals: dict[tuple[int, int], int] = {}
        for k, (low, high) in enumerate(spans):
            for bucket in filter(None, map(days.get, range(low, high))):
                if only is None:
                    for index, value in bucket.items():
                        key = (index, k)
                        totals[key] = totals.get(key, 0) + value
                else:
                    mine = bucket.get(only)
                    if mine:
                        totals[(only, k)] = totals.get((only, k), 0) + mine
        affected: dict[tuple[int, int], set[str]] = {}
        for spot, buyers in self._buyers.items():
            if buyers:
                index, day = divmod(spot, KEY_STRIDE)
                if only is not None and index != only:
                    continue
                for k, (low, high) in enumerate(spans):
                    if low <= day < high:
                        affected.setdefault((index, k), set()).update(buyers)
                        break
        names = list(self._seller_index)
        result: dict[str, list[tuple[int, list[int], set[str]]]] = {}
        for (index, k), total in sorted(totals.items()):
            if total:
                result.setdefault(names[index], []).append((k, m.unpack(total), affected.get((index, k), set())))
        return result

    def _orders_of(self, seller_id: str, window: Window) -> Iterator[OrderRecord]:
        if self._seller_orders is None:
            # Explanations need each seller's orders; the index is built when first asked for (one
            # pass over the orders) and kept up to date from then on, so a service that never
            # explains does not pay for it on every fact.
            index: dict[str, list[_Order]] = {}
            for order in self._book.orders.values():
                if order.packed:
                    index.setdefault(order.seller_id, []).append(order)
            self._seller_orders = index
        first, end = window.first_day, window.end_day
        for order in self._seller_orders.get(seller_id, ()):
            if order.day is not None and first <= order.day < end:
                yield order.record()
