"""The metrics: what each one counts, and the figures and reports they produce.

Every metric is a share of a **base** (orders, shipments, or claims whose response was due). Each
reports two counts of the items that pull it the wrong way: the **raw** count and the **counted** one,
which affects reputation after exclusions. An order is counted once per metric however many items it
has (an order with 1-star feedback *and* a claim is one defective order). For the two metrics where
higher is better (valid tracking, response within 24 h) the counts are of the shipments without
valid tracking and of the claims not answered in time, and :attr:`Figure.rate` is the good share.

| metric | base | raw items |
| --- | --- | --- |
| order defect rate | orders | 1-2 star feedback, claims not denied, chargebacks |
| late shipment rate | shipments | shipped late |
| pre-fulfilment cancel rate | orders | seller cancellations before dispatch |
| valid tracking rate | shipments | shipped without valid tracking |
| claims rate | orders | claims (any outcome) |
| cancellations rate | orders | seller cancellations (any time) |
| delayed handling rate | shipments | shipped late, or delivered late |
| response within 24 h rate | claims whose response was due | first response late |
| marketplace defect rate | orders (transactions) | seller cancellations, claims closed without seller resolution |
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError

__all__ = ["METRICS", "Figure", "Metric", "MetricSpec", "MetricsReport", "Totals", "format_rate"]

# Counter slots: one integer per slot and (seller, day). Kept in this order everywhere.
ORDERS = 0
COMPLETED = 1
SHIPMENTS = 2
LATE = 3
UNTRACKED = 4
PCR_RAW = 5
PCR = 6
CANCEL_RAW = 7
CANCEL = 8
ODR_RAW = 9
ODR = 10
CLAIMS_RAW = 11
CLAIMS = 12
DELAYED_RAW = 13
DELAYED = 14
RESPONSE_DUE = 15
RESPONSE_LATE = 16
MDR_RAW = 17
MDR = 18
SLOTS = 19

LANE = 32
"""Bits per slot when the counters of one order or bucket are packed into one integer."""
_MASK = (1 << LANE) - 1


def pack(counts: list[int]) -> int:
    """Pack non-negative slot counts into one integer (``LANE`` bits per slot)."""
    value = 0
    for index, count in enumerate(counts):
        value |= count << (LANE * index)
    return value


def unpack(value: int) -> list[int]:
    """The slot counts of a packed integer whose every slot is within ``[0, 2**LANE)``."""
    return [(value >> (LANE * index)) & _MASK for index in range(SLOTS)]


class Metric(enum.StrEnum):
    """The metrics resolvekit computes (DOMAIN section 6)."""

    ORDER_DEFECT_RATE = "order_defect_rate"
    LATE_SHIPMENT_RATE = "late_shipment_rate"
    PRE_FULFILMENT_CANCEL_RATE = "pre_fulfilment_cancel_rate"
    VALID_TRACKING_RATE = "valid_tracking_rate"
    CLAIMS_RATE = "claims_rate"
    CANCELLATIONS_RATE = "cancellations_rate"
    DELAYED_HANDLING_RATE = "delayed_handling_rate"
    RESPONSE_WITHIN_24H_RATE = "response_within_24h_rate"
    MARKETPLACE_DEFECT_RATE = "marketplace_defect_rate"

    @classmethod
    def named(cls, value: Metric | str) -> Metric:
        """The metric called ``value``; an unknown name raises
        :class:`~resolvekit.errors.ValidationError` listing the known ones."""
        try:
            return cls(value)
        except ValueError:
            raise ValidationError(
                N_("Unknown metric {metric!r}; use one of {allowed}."), metric=value, allowed=", ".join(m.value for m in cls)
            ) from None

    @property
    def spec(self) -> MetricSpec:
        """How the metric is counted."""
        return METRICS[self]

    @property
    def label(self) -> str:
        """The metric's name for people (a gettext id)."""
        return METRICS[self].label


@attrs.frozen
class MetricSpec:
    """Where a metric's base and counts live, and which way is good.

    ``base``, ``raw`` and ``counted`` are counter slots; ``higher_is_better`` is true for the rates of
    good things (valid tracking, response in time), whose counts are of the bad ones.
    ``per_claim`` says the base counts claims rather than orders.
    """

    metric: Metric
    label: str
    base: int
    raw: int
    counted: int
    higher_is_better: bool = False
    per_claim: bool = False
    base_label: str = N_("orders")


METRICS: Mapping[Metric, MetricSpec] = {
    spec.metric: spec
    for spec in (
        MetricSpec(Metric.ORDER_DEFECT_RATE, N_("order defect rate"), ORDERS, ODR_RAW, ODR),
        MetricSpec(Metric.LATE_SHIPMENT_RATE, N_("late shipment rate"), SHIPMENTS, LATE, LATE, base_label=N_("shipments")),
        MetricSpec(Metric.PRE_FULFILMENT_CANCEL_RATE, N_("pre-fulfilment cancel rate"), ORDERS, PCR_RAW, PCR),
        MetricSpec(
            Metric.VALID_TRACKING_RATE,
            N_("valid tracking rate"),
            SHIPMENTS,
            UNTRACKED,
            UNTRACKED,
            higher_is_better=True,
            base_label=N_("shipments"),
        ),
        MetricSpec(Metric.CLAIMS_RATE, N_("claims rate"), ORDERS, CLAIMS_RAW, CLAIMS),
        MetricSpec(Metric.CANCELLATIONS_RATE, N_("cancellations rate"), ORDERS, CANCEL_RAW, CANCEL),
        MetricSpec(
            Metric.DELAYED_HANDLING_RATE, N_("delayed handling rate"), SHIPMENTS, DELAYED_RAW, DELAYED, base_label=N_("shipments")
        ),
        MetricSpec(
            Metric.RESPONSE_WITHIN_24H_RATE,
            N_("response within 24 h rate"),
            RESPONSE_DUE,
            RESPONSE_LATE,
            RESPONSE_LATE,
            higher_is_better=True,
            per_claim=True,
            base_label=N_("claims due a response"),
        ),
        MetricSpec(Metric.MARKETPLACE_DEFECT_RATE, N_("marketplace defect rate"), ORDERS, MDR_RAW, MDR),
    )
}
"""Every metric's :class:`MetricSpec`, in the order reports list them."""

_SPECS = tuple(METRICS.values())
_MDR_METRIC = Metric.MARKETPLACE_DEFECT_RATE


def format_rate(value: float | Fraction | None, decimals: int = 1) -> str:
    """A rate as people read it: ``0.0125`` -> ``"1.3 %"``; ``None`` (no base) -> ``"n/a"``."""
    if value is None:
        return "n/a"
    return f"{float(value) * 100:.{decimals}f} %"


@attrs.frozen
class Figure:
    """One metric of one seller over one window.

    ``raw`` and ``counted`` count the items that pull the metric the wrong way, before and after
    exclusions; ``base`` is the denominator. ``affected_buyers`` (marketplace defect rate only) is the
    number of distinct buyers among the counted items.
    """

    metric: Metric
    base: int
    raw: int
    counted: int
    affected_buyers: int | None = None

    @property
    def raw_share(self) -> Fraction | None:
        """``raw / base`` exactly (``None`` when the base is empty)."""
        return Fraction(self.raw, self.base) if self.base else None

    @property
    def counted_share(self) -> Fraction | None:
        """``counted / base`` exactly (``None`` when the base is empty)."""
        return Fraction(self.counted, self.base) if self.base else None

    @property
    def exact_rate(self) -> Fraction | None:
        """The rate in the metric's own direction, exactly, after exclusions."""
        share = self.counted_share
        if share is None:
            return None
        return 1 - share if self.metric.spec.higher_is_better else share

    @property
    def exact_raw_rate(self) -> Fraction | None:
        """The rate in the metric's own direction, exactly, before exclusions."""
        share = self.raw_share
        if share is None:
            return None
        return 1 - share if self.metric.spec.higher_is_better else share

    @property
    def rate(self) -> float | None:
        """:attr:`exact_rate` as a float, correctly rounded (what dashboards show)."""
        return _rate(self.metric.spec, self.base, self.counted)

    @property
    def raw_rate(self) -> float | None:
        """:attr:`exact_raw_rate` as a float, correctly rounded."""
        return _rate(self.metric.spec, self.base, self.raw)

    def to_record(self) -> dict[str, Any]:
        """The figure as plain data."""
        return {
            "metric": self.metric.value,
            "base": self.base,
            "raw": self.raw,
            "counted": self.counted,
            "rate": self.rate,
            "raw_rate": self.raw_rate,
            "affected_buyers": self.affected_buyers,
        }


@attrs.frozen
class MetricsReport:
    """Every metric of every seller with orders in the window, as of one date.

    ``report[seller_id][metric]`` (or :meth:`figure`) is a :class:`Figure`; :meth:`to_records` gives
    one plain dict per seller and metric, ready for ``pandas.DataFrame(report.to_records())`` in a
    notebook. The report keeps each seller's :class:`Totals` and builds figures when asked.
    """

    as_of: date
    window_days: int
    totals: Mapping[str, Totals]

    @property
    def sellers(self) -> list[str]:
        """The sellers in the report, sorted."""
        return sorted(self.totals)

    @property
    def figures(self) -> dict[str, dict[Metric, Figure]]:
        """Every figure, by seller and metric."""
        return {seller: self.totals[seller].figures() for seller in self.sellers}

    def __getitem__(self, seller_id: str) -> dict[Metric, Figure]:
        return self.totals[seller_id].figures()

    def __iter__(self) -> Iterator[str]:
        return iter(self.sellers)

    def __len__(self) -> int:
        return len(self.totals)

    def figure(self, seller_id: str, metric: Metric | str) -> Figure:
        """One figure; a seller without orders in the window gets an empty one."""
        metric = Metric.named(metric)
        totals = self.totals.get(seller_id)
        return Figure(metric, 0, 0, 0) if totals is None else totals.figure(metric)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per seller and metric: seller_id, as_of, window_days, metric, base, raw, counted,
        rate, raw_rate, affected_buyers. Sorted by seller, then in :data:`METRICS` order."""
        records = []
        as_of = self.as_of.isoformat()
        days = self.window_days
        for seller in self.sellers:
            totals = self.totals[seller]
            c = totals.counts
            for spec in _SPECS:
                base, raw, counted = c[spec.base], c[spec.raw], c[spec.counted]
                records.append(
                    {
                        "seller_id": seller,
                        "as_of": as_of,
                        "window_days": days,
                        "metric": spec.metric.value,
                        "base": base,
                        "raw": raw,
                        "counted": counted,
                        "rate": _rate(spec, base, counted),
                        "raw_rate": _rate(spec, base, raw),
                        "affected_buyers": len(totals.affected_buyers) if spec.metric is _MDR_METRIC else None,
                    }
                )
        return records


def _rate(spec: MetricSpec, base: int, bad: int) -> float | None:
    if not base:
        return None
    return (base - bad) / base if spec.higher_is_better else bad / base


@attrs.frozen
class Totals:
    """The summed counters of one seller over one window: what every figure and level is read from.

    ``counts`` has one entry per counter slot; ``affected_buyers`` are the distinct buyers of the
    counted marketplace defects.
    """

    days: int
    counts: tuple[int, ...]
    affected_buyers: frozenset[str] = frozenset()

    @classmethod
    def empty(cls, days: int) -> Totals:
        """Totals of a seller without orders in the window."""
        return cls(days, (0,) * SLOTS)

    @property
    def orders(self) -> int:
        """Orders placed in the window (transactions)."""
        return self.counts[ORDERS]

    @property
    def completed(self) -> int:
        """Orders in the window that were not cancelled (completed sales)."""
        return self.counts[COMPLETED]

    @property
    def shipments(self) -> int:
        """Orders in the window that were shipped."""
        return self.counts[SHIPMENTS]

    def figure(self, metric: Metric | str) -> Figure:
        """The :class:`Figure` of ``metric`` from these totals."""
        spec = METRICS[Metric.named(metric)]
        buyers = len(self.affected_buyers) if spec.metric is Metric.MARKETPLACE_DEFECT_RATE else None
        return Figure(spec.metric, self.counts[spec.base], self.counts[spec.raw], self.counts[spec.counted], buyers)

    def figures(self) -> dict[Metric, Figure]:
        """Every metric's figure, in :data:`METRICS` order."""
        c = self.counts
        buyers = len(self.affected_buyers)
        return {
            spec.metric: Figure(spec.metric, c[spec.base], c[spec.raw], c[spec.counted], buyers if spec.metric is _MDR_METRIC else None)
            for spec in _SPECS
        }
