"""The questions every reputation source answers, the same way for the incremental aggregator and
the batch computation.

A source knows how to sum its counters per seller over windows ending on a date
(:meth:`ReputationSource.totals`) and how to list one seller's orders in a window; everything else
(metrics, levels, rankings, explanations, what-ifs) is built here on those two, so both sources give
identical answers whenever they hold the same facts.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Literal

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError
from resolvekit.reputation import metrics as m
from resolvekit.reputation.estimates import Ranked, rank
from resolvekit.reputation.explain import AddOrders, Change, ExplainedItem, Explanation, WhatIf
from resolvekit.reputation.levels import (
    AccountHealth,
    AccountHealthPolicy,
    ColourLevel,
    ColourLevelPolicy,
    TieredLevel,
    TieredLevelPolicy,
)
from resolvekit.reputation.metrics import Figure, Metric, MetricsReport, Totals
from resolvekit.reputation.orders import Assessor, OrderRecord
from resolvekit.reputation.policy import ReputationPolicy
from resolvekit.reputation.windows import Window

__all__ = ["ReputationSource"]

SellerTotals = dict[str, dict[int, Totals]]


def _metric(value: Metric | str) -> Metric:
    return Metric.named(value)


class ReputationSource(abc.ABC):
    """Metrics, levels, rankings, explanations and what-ifs over a set of facts.

    Subclasses: :class:`~resolvekit.reputation.ReputationAggregator` (incremental) and
    :class:`~resolvekit.reputation.BatchReputation` (columnar, whole history).
    """

    policy: ReputationPolicy
    assessor: Assessor

    # -- what a source provides --------------------------------------------------------------------

    @abc.abstractmethod
    def _sums(self, as_of: date, lengths: Sequence[int], seller_id: str | None) -> dict[str, list[tuple[int, list[int], set[str]]]]:
        """Per seller, the counter sums of each *segment* of the windows ending on ``as_of``, as
        ``(segment index, counts, affected buyers)``. Segment ``k`` holds the order dates inside the
        window of ``lengths[k]`` days but not inside the one of ``lengths[k - 1]`` (``lengths`` is
        sorted); with ``seller_id``, only that seller."""

    @abc.abstractmethod
    def _orders_of(self, seller_id: str, window: Window) -> Iterable[OrderRecord]:
        """The seller's placed orders dated inside ``window``."""

    @abc.abstractmethod
    def pending(self) -> list[str]:
        """Ids of orders with facts but no ``placed`` fact: they are not counted until it arrives."""

    # -- windows -------------------------------------------------------------------------------------

    def _window(self, as_of: date | datetime, window_days: int | None) -> Window:
        return Window(as_of, self.policy.window_days if window_days is None else window_days)

    def totals(self, as_of: date | datetime, lengths: Iterable[int], *, seller_id: str | None = None) -> SellerTotals:
        """Per seller (with orders in the longest window), its :class:`Totals` for each window length."""
        wanted = sorted(set(lengths))
        for days in wanted:
            Window(as_of, days)  # validates every length
        day = Window(as_of, wanted[-1]).as_of
        result: SellerTotals = {}
        for seller, segments in self._sums(day, wanted, seller_id).items():
            by_segment = {index: (counts, buyers) for index, counts, buyers in segments}
            running = [0] * m.SLOTS
            buyers: set[str] = set()
            windows: dict[int, Totals] = {}
            for index, days in enumerate(wanted):
                if index in by_segment:
                    counts, affected = by_segment[index]
                    running = [a + b for a, b in zip(running, counts)]
                    buyers |= affected
                if running[m.ORDERS]:
                    windows[days] = Totals(days, tuple(running), frozenset(buyers))
            if windows:
                result[seller] = windows
        return result

    # -- metrics ------------------------------------------------------------------------------------

    def metrics(self, as_of: date | datetime, window_days: int | None = None) -> MetricsReport:
        """Every metric of every seller with orders in the window of ``window_days`` days (default
        :attr:`ReputationPolicy.window_days <resolvekit.reputation.ReputationPolicy.window_days>`)
        ending on ``as_of``."""
        window = self._window(as_of, window_days)
        totals = {seller: t[window.days] for seller, t in self.totals(window.as_of, [window.days]).items()}
        return MetricsReport(window.as_of, window.days, totals)

    def figure(self, seller_id: str, metric: Metric | str, as_of: date | datetime, window_days: int | None = None) -> Figure:
        """One seller's figure of one metric (empty when it has no orders in the window)."""
        metric = _metric(metric)
        window = self._window(as_of, window_days)
        totals = self.totals(window.as_of, [window.days], seller_id=seller_id).get(seller_id, {})
        return (totals.get(window.days) or Totals.empty(window.days)).figure(metric)

    # -- levels -------------------------------------------------------------------------------------

    def account_health(self, as_of: date | datetime, policy: AccountHealthPolicy | None = None) -> dict[str, AccountHealth]:
        """The account-health rating and band of every seller with orders in the policy's windows."""
        policy = policy if policy is not None else AccountHealthPolicy()
        totals = self.totals(as_of, policy.windows.values())
        return {seller: policy.assess(seller, t) for seller, t in sorted(totals.items())}

    def colour_levels(self, as_of: date | datetime, policy: ColourLevelPolicy | None = None) -> dict[str, ColourLevel]:
        """The colour level of every seller with orders in the policy's long window."""
        policy = policy if policy is not None else ColourLevelPolicy()
        totals = self.totals(as_of, policy.windows)
        return {seller: policy.assess(seller, t) for seller, t in sorted(totals.items())}

    def tiered_levels(self, as_of: date | datetime, policy: TieredLevelPolicy | None = None) -> dict[str, TieredLevel]:
        """The top / standard / below level of every seller with orders in the policy's long window."""
        policy = policy if policy is not None else TieredLevelPolicy()
        totals = self.totals(as_of, policy.windows)
        return {seller: policy.assess(seller, t) for seller, t in sorted(totals.items())}

    def rank(
        self,
        metric: Metric | str,
        as_of: date | datetime,
        window_days: int | None = None,
        *,
        method: Literal["wilson", "beta"] = "wilson",
        confidence: float = 0.95,
    ) -> list[Ranked]:
        """Sellers best first by a small-sample-aware estimate of ``metric`` (see
        :func:`~resolvekit.reputation.rank`)."""
        metric = _metric(metric)
        report = self.metrics(as_of, window_days)
        return rank({s: report.figure(s, metric) for s in report.sellers}, method=method, confidence=confidence)

    # -- explanations -------------------------------------------------------------------------------

    def _records(self, seller_id: str, window: Window) -> list[OrderRecord]:
        return sorted(self._orders_of(seller_id, window), key=lambda r: (r.order_date, r.order_id))

    def _figure_of(self, metric: Metric, records: Iterable[OrderRecord], extra: int = 0) -> Figure:
        total = [0] * m.SLOTS
        buyers: set[str] = set()
        assessor = self.assessor
        for record in records:
            counts = assessor.counts(record.flags, record.exclusions, record.claims)
            total = [a + b for a, b in zip(total, counts)]
            if counts[m.MDR]:
                buyers.add(record.buyer_id)
        if extra:
            clean = assessor.counts(AddOrders.FLAGS)
            total = [a + b * extra for a, b in zip(total, clean)]
        return Totals(0, tuple(total), frozenset(buyers)).figure(metric)

    def explain(self, seller_id: str, metric: Metric | str, as_of: date | datetime, window_days: int | None = None) -> Explanation:
        """Which orders and cases made one seller's figure: every raw item, whether it counts, and
        the exclusion that took out each one that does not; plus the ids of the base."""
        metric = _metric(metric)
        spec = metric.spec
        window = self._window(as_of, window_days)
        records = self._records(seller_id, window)
        items: list[ExplainedItem] = []
        base: list[str] = []
        for record in records:
            if spec.per_claim:
                base.extend(case_id for case_id, _, _, _, response in record.claims if response in ("in_time", "late"))
            elif self.assessor.counts(record.flags)[spec.base]:
                base.append(record.order_id)
            for item in self.assessor.items(record.flags, record.exclusions, record.claims):
                if metric in item.metrics:
                    items.append(
                        ExplainedItem(record.order_id, item.case_id, record.buyer_id, record.order_date, item.kind, item.cause, item.excluded_by)
                    )
        return Explanation(seller_id, window, self._figure_of(metric, records), tuple(items), tuple(base))

    def what_if(
        self,
        seller_id: str,
        changes: Change | Sequence[Change],
        metric: Metric | str,
        as_of: date | datetime,
        window_days: int | None = None,
    ) -> WhatIf:
        """One seller's figure before and after hypothetical ``changes``, with a sentence."""
        metric = _metric(metric)
        window = self._window(as_of, window_days)
        chosen = [changes] if isinstance(changes, Change) else list(changes)
        if not chosen or not all(isinstance(c, Change) for c in chosen):
            raise ValidationError(N_("what_if needs one or more Change values, e.g. ResolveWithin72h(['case-1'])."))
        records = self._records(seller_id, window)
        after = list(records)
        extra = 0
        for change in chosen:
            if isinstance(change, AddOrders):
                extra += change.how_many
            else:
                after = [change.apply(r) for r in after]
        before_figure = self._figure_of(metric, records)
        after_figure = self._figure_of(metric, after, extra)
        return WhatIf.build(seller_id, window, chosen, before_figure, after_figure)

    # -- export -------------------------------------------------------------------------------------

    def to_records(self, as_of: date | datetime, window_days: int | None = None) -> list[dict[str, Any]]:
        """``metrics(as_of, window_days).to_records()``: plain dicts for a notebook."""
        return self.metrics(as_of, window_days).to_records()
