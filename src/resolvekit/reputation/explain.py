"""Explanations: which orders and cases made a figure, and what would move it.

:class:`Explanation` lists every item that pulled a metric the wrong way (raw), whether it counts
after exclusions, and the exclusion that took it out when it does not; plus the orders (or claims)
of the base. :class:`WhatIf` answers "what if": it applies hypothetical :class:`Change` values to the
seller's orders and gives the figure before and after, and a sentence such as *"Resolving 2 claims
within 72 h would take the order defect rate from 1.3 % to 0.9 %."* Sentences are gettext ids
(``N_``) rendered by :meth:`WhatIf.sentence` in any shipped locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, ClassVar

import attrs

from resolvekit._i18n import N_, render
from resolvekit.reputation.facts import ClaimOutcome, ResponseState
from resolvekit.reputation.metrics import Figure, Metric, format_rate
from resolvekit.reputation.orders import STARS_SHIFT, OrderFlag, OrderRecord
from resolvekit.reputation.windows import Window

__all__ = [
    "AddOrders",
    "AddValidTracking",
    "AnswerWithin24h",
    "Change",
    "ExcuseOrders",
    "ExplainedItem",
    "Explanation",
    "RemoveFeedback",
    "ResolveWithin72h",
    "ShipOnTime",
    "WhatIf",
]


@attrs.frozen
class ExplainedItem:
    """One order or case behind a figure: what it is, and whether it counts.

    ``excluded_by`` names the exclusion that keeps it out of the counted figure (``None``: it counts).
    """

    order_id: str
    case_id: str | None
    buyer_id: str
    order_date: date
    kind: str
    cause: str
    excluded_by: str | None

    @property
    def counted(self) -> bool:
        """Whether it affects reputation."""
        return self.excluded_by is None

    def to_record(self) -> dict[str, Any]:
        """The item as plain data."""
        return {
            "order_id": self.order_id,
            "case_id": self.case_id,
            "buyer_id": self.buyer_id,
            "order_date": self.order_date.isoformat(),
            "kind": self.kind,
            "cause": self.cause,
            "counted": self.counted,
            "excluded_by": self.excluded_by,
        }


@attrs.frozen
class Explanation:
    """Everything behind one :class:`~resolvekit.reputation.Figure`.

    ``items`` are the raw items (sorted by order date, order id, case id); ``base`` the ids of the
    orders (or, for the response metric, the cases) in the denominator. An order with several items
    is still one order in :attr:`figure`.
    """

    seller_id: str
    window: Window
    figure: Figure
    items: tuple[ExplainedItem, ...]
    base: tuple[str, ...]

    @property
    def counted(self) -> tuple[ExplainedItem, ...]:
        """The items that affect reputation."""
        return tuple(i for i in self.items if i.counted)

    @property
    def excluded(self) -> tuple[ExplainedItem, ...]:
        """The items an exclusion took out, each with its reason."""
        return tuple(i for i in self.items if not i.counted)

    def case_ids(self, *, counted: bool | None = None) -> tuple[str, ...]:
        """The case ids among the items (only counted ones, only excluded ones, or all)."""
        ids: list[str] = []
        for item in self.items:
            if item.case_id is not None and (counted is None or item.counted == counted) and item.case_id not in ids:
                ids.append(item.case_id)
        return tuple(ids)

    def order_ids(self, *, counted: bool | None = None) -> tuple[str, ...]:
        """The order ids among the items (only counted ones, only excluded ones, or all)."""
        ids: list[str] = []
        for item in self.items:
            if (counted is None or item.counted == counted) and item.order_id not in ids:
                ids.append(item.order_id)
        return tuple(ids)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per item, with the seller, metric and window."""
        head = {
            "seller_id": self.seller_id,
            "metric": self.figure.metric.value,
            "as_of": self.window.as_of.isoformat(),
            "window_days": self.window.days,
        }
        return [{**head, **item.to_record()} for item in self.items]


# -- what-if changes ------------------------------------------------------------------------------


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(dict.fromkeys(value))


class Change:
    """A hypothetical change to some of a seller's orders or cases (see the subclasses).

    ``singular`` and ``plural`` are the gettext ids of the sentence :class:`WhatIf` says about it;
    they take ``{count}``, ``{metric}``, ``{before}`` and ``{after}``.
    """

    singular: ClassVar[str]
    plural: ClassVar[str]

    @property
    def count(self) -> int:
        """How many orders or cases the change touches."""
        raise NotImplementedError

    def apply(self, record: OrderRecord) -> OrderRecord:
        """The order as it would be after the change (unchanged when the change is not about it)."""
        return record

    def params(self) -> dict[str, Any]:
        """Extra sentence parameters."""
        return {}


@attrs.frozen
class ResolveWithin72h(Change):
    """The seller resolves these claims within 72 h (the buyer accepts its resolution)."""

    case_ids: tuple[str, ...] = attrs.field(converter=_ids)
    singular: ClassVar[str] = N_("Resolving {count} claim within 72 h would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Resolving {count} claims within 72 h would take the {metric} from {before} to {after}.")

    @property
    def count(self) -> int:
        """The number of claims."""
        return len(self.case_ids)

    def apply(self, record: OrderRecord) -> OrderRecord:
        """Mark the claims resolved by the seller within 72 h."""
        claims = tuple(
            (c[0], c[1], ClaimOutcome.RESOLVED_BY_SELLER, True, c[4]) if c[0] in self.case_ids else c for c in record.claims
        )
        return attrs.evolve(record, claims=claims)


@attrs.frozen
class AnswerWithin24h(Change):
    """The merchant answers these claims within 24 h."""

    case_ids: tuple[str, ...] = attrs.field(converter=_ids)
    singular: ClassVar[str] = N_("Answering {count} claim within 24 h would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Answering {count} claims within 24 h would take the {metric} from {before} to {after}.")

    @property
    def count(self) -> int:
        """The number of claims."""
        return len(self.case_ids)

    def apply(self, record: OrderRecord) -> OrderRecord:
        """Mark the claims answered in time."""
        claims = tuple((c[0], c[1], c[2], c[3], ResponseState.IN_TIME) if c[0] in self.case_ids else c for c in record.claims)
        return attrs.evolve(record, claims=claims)


@attrs.frozen
class _OrderChange(Change):
    order_ids: tuple[str, ...] = attrs.field(converter=_ids)

    @property
    def count(self) -> int:
        """The number of orders."""
        return len(self.order_ids)

    def apply(self, record: OrderRecord) -> OrderRecord:
        """Change the order if it is one of :attr:`order_ids`."""
        if record.order_id not in self.order_ids:
            return record
        return self._apply(record)

    def _apply(self, record: OrderRecord) -> OrderRecord:
        raise NotImplementedError


@attrs.frozen
class ShipOnTime(_OrderChange):
    """These orders are (re)shipped on time: their late shipment goes away."""

    singular: ClassVar[str] = N_("Shipping {count} order on time would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Shipping {count} orders on time would take the {metric} from {before} to {after}.")

    def _apply(self, record: OrderRecord) -> OrderRecord:
        flags = record.flags & ~int(OrderFlag.SHIPPED_LATE)
        if record.flags & OrderFlag.SHIPPED:
            return attrs.evolve(record, flags=flags)
        return record


@attrs.frozen
class AddValidTracking(_OrderChange):
    """These shipments get valid tracking."""

    singular: ClassVar[str] = N_("Valid tracking on {count} shipment would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Valid tracking on {count} shipments would take the {metric} from {before} to {after}.")

    def _apply(self, record: OrderRecord) -> OrderRecord:
        return attrs.evolve(record, flags=record.flags | int(OrderFlag.VALID_TRACKING))


@attrs.frozen
class RemoveFeedback(_OrderChange):
    """The feedback on these orders is removed (e.g. the buyer revises it)."""

    singular: ClassVar[str] = N_("Removing the feedback on {count} order would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Removing the feedback on {count} orders would take the {metric} from {before} to {after}.")

    def _apply(self, record: OrderRecord) -> OrderRecord:
        return attrs.evolve(record, flags=record.flags & ~(7 << STARS_SHIFT))


def _reason(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("an exclusion reason must be a non-empty name")


@attrs.frozen
class ExcuseOrders(_OrderChange):
    """These orders are excused for ``reason`` (e.g. ``"platform_incident"``)."""

    reason: str = attrs.field(default="platform_incident", validator=_reason)
    singular: ClassVar[str] = N_("Excusing {count} order for {reason} would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("Excusing {count} orders for {reason} would take the {metric} from {before} to {after}.")

    def _apply(self, record: OrderRecord) -> OrderRecord:
        pairs = dict(record.exclusions)
        pairs["order"] = self.reason
        return attrs.evolve(record, exclusions=tuple(sorted(pairs.items())))

    def params(self) -> dict[str, Any]:
        """The reason, for the sentence."""
        return {"reason": self.reason}


def _count(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"count must be a positive whole number, got {value!r}")


@attrs.frozen
class AddOrders(Change):
    """``count`` more orders without any defect: shipped on time with valid tracking, delivered on time."""

    how_many: int = attrs.field(validator=_count)
    singular: ClassVar[str] = N_("{count} more order without a defect would take the {metric} from {before} to {after}.")
    plural: ClassVar[str] = N_("{count} more orders without a defect would take the {metric} from {before} to {after}.")

    @property
    def count(self) -> int:
        """The number of added orders."""
        return self.how_many

    FLAGS: ClassVar[int] = int(OrderFlag.SHIPPED | OrderFlag.VALID_TRACKING | OrderFlag.DELIVERED)
    """The flags of an order without a defect."""


_SEVERAL = N_("These {count} changes would take the {metric} from {before} to {after}.")
_UNCHANGED = N_("These changes would leave the {metric} at {before}.")


def _formatted(before: Figure, after: Figure) -> tuple[str, str]:
    a, b = before.rate, after.rate
    for decimals in (1, 2, 3):
        x, y = format_rate(a, decimals), format_rate(b, decimals)
        if x != y or a == b:
            return x, y
    return format_rate(a, 4), format_rate(b, 4)


@attrs.frozen
class WhatIf:
    """The answer to a what-if question about one seller's metric.

    ``message`` is the gettext id of the sentence and ``params`` its values (``metric`` holds the
    metric's label id, translated when rendered); :meth:`sentence` renders it.
    """

    seller_id: str
    window: Window
    changes: tuple[Change, ...]
    before: Figure
    after: Figure
    message: str
    params: dict[str, Any]

    @classmethod
    def build(cls, seller_id: str, window: Window, changes: Sequence[Change], before: Figure, after: Figure) -> WhatIf:
        """Choose the sentence for ``changes`` and fill its parameters."""
        shown_before, shown_after = _formatted(before, after)
        params: dict[str, Any] = {"metric": before.metric.label, "before": shown_before, "after": shown_after}
        if before.exact_rate == after.exact_rate:
            message = _UNCHANGED
        elif len(changes) == 1:
            change = changes[0]
            message = change.singular if change.count == 1 else change.plural
            params["count"] = change.count
            params.update(change.params())
        else:
            message = _SEVERAL
            params["count"] = len(changes)
        return cls(seller_id, window, tuple(changes), before, after, message, params)

    @property
    def metric(self) -> Metric:
        """The metric asked about."""
        return self.before.metric

    def sentence(self, locale: str = "en") -> str:
        """The answer in ``locale`` (the metric's name translated too)."""
        params = dict(self.params)
        params["metric"] = render(params["metric"], None, locale)
        return render(self.message, params, locale)

    def __str__(self) -> str:
        return self.sentence()

    def to_record(self) -> dict[str, Any]:
        """The answer as plain data."""
        return {
            "seller_id": self.seller_id,
            "metric": self.metric.value,
            "as_of": self.window.as_of.isoformat(),
            "window_days": self.window.days,
            "before": self.before.rate,
            "after": self.after.rate,
            "before_counted": self.before.counted,
            "after_counted": self.after.counted,
            "before_base": self.before.base,
            "after_base": self.after.base,
            "sentence": self.sentence(),
        }
