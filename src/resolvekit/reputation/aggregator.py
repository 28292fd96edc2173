"""The incremental aggregator: metrics kept current one fact at a time, in constant time.

Each placed order contributes one packed integer of counter slots (see
:mod:`resolvekit.reputation.metrics`) to the bucket of its seller and order date. A fact changes
one order, so :meth:`ReputationAggregator.add` replaces that order's contribution in one bucket: a
handful of dictionary operations whatever the size of the history. Windows are summed at query time
over a fixed number of day buckets (the window's length), so a query costs
``O(sellers x window days)`` and never depends on how many facts came before.
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

_DAY_BITS = 22  # date.max.toordinal() < 2**22
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
        self._buckets: dict[int, int] = {}
        self._buyers: dict[int, dict[str, int]] = {}
        self._seller_orders: dict[str, list[_Order]] = {}

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
        assert order.day is not None
        key = (index << _DAY_BITS) | order.day
        buckets = self._buckets
        buckets[key] = buckets.get(key, 0) + packed - old
        if not old:
            listed = self._seller_orders.get(seller)
            if listed is None:
                self._seller_orders[seller] = [order]
            else:
                listed.append(order)
        was, now = old & _MDR_BIT, packed & _MDR_BIT
        if was != now:
            buyers = self._buyers.setdefault(key, {})
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
        buckets = self._buckets
        buyers_of = self._buyers
        if seller_id is None:
            sellers = list(self._seller_index.items())
        else:
            index = self._seller_index.get(seller_id)
            sellers = [] if index is None else [(seller_id, index)]
        result: dict[str, list[tuple[int, list[int], set[str]]]] = {}
        for seller, index in sellers:
            base = index << _DAY_BITS
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
                        segments.append((k, m.unpack(total), affected))
                high = min(high, low)
            if segments:
                result[seller] = segments
        return result

    def _orders_of(self, seller_id: str, window: Window) -> Iterator[OrderRecord]:
        first, end = window.first_day, window.end_day
        for order in self._seller_orders.get(seller_id, ()):
            if order.day is not None and first <= order.day < end:
                yield order.record()
