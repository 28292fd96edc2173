"""Seeded synthetic histories: orders, shipping, delays, feedback, complaints by reason, merchants'
response times, and the draws that decide how customers answer offers.

A :class:`History` is a recipe, not a list: iterating it generates the orders one by one, in the
order they were placed, from its seed. The same seed gives the same orders every time, so two policies
replay exactly the same history (and a history of a million orders never sits in memory).

Everything a *policy* could change is left open: a :class:`SimComplaint` carries the merchant's
response time, the customer's reply time and uniform draws (``accept_draw``, ``second_draw``), and
the replay (:mod:`resolvekit.simulation.replay`) decides what happens under each policy from them.

How the history is made (each rate is a :class:`HistoryConfig` setting):

* every seller gets a size (some sell far more than others), its own late-shipment, untracked,
  cancellation and complaint propensities around the configured means, and a typical response time
  (a share of sellers is much slower);
* orders are spread evenly over the days, at random times of day, to sellers in proportion to size;
* an order is cancelled by the seller, or shipped (late or not, with valid tracking or not) and
  delivered (late when shipped late, or through a carrier delay);
* some buyers leave feedback (fewer stars after a late delivery or a complaint), a few charge back;
* complaints come more often after a late delivery, with a reason drawn from the configured weights.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError

__all__ = ["DEFAULT_REASONS", "History", "HistoryConfig", "SellerProfile", "SimComplaint", "SimOrder", "generate_history"]

DEFAULT_REASONS: Mapping[str, float] = {
    "not_received": 0.22,
    "damaged_goods": 0.16,
    "product_defect": 0.14,
    "different_product": 0.09,
    "description_mismatch": 0.09,
    "missing_parts": 0.06,
    "buyers_remorse": 0.12,
    "shipping_delivery": 0.07,
    "packaging": 0.03,
    "customer_service": 0.02,
}
"""Complaint reasons and how often each is chosen (relative weights)."""

_DISPUTED_REASONS = frozenset({"buyers_remorse", "description_mismatch", "customer_service"})


def _check(condition: bool, field: str, expected: str, value: object) -> None:
    if not condition:
        raise ConfigurationError(
            N_("HistoryConfig.{field} must be {expected}, got {value!r}."), field=field, expected=expected, value=value
        )


def _count(low: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: int) -> None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        _check(ok, attribute.name, f"a whole number of at least {low}", value)

    return check


def _share(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    _check(ok, attribute.name, "a share from 0 to 1", value)


def _hours(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 24 * 365
    _check(ok, attribute.name, "a positive number of hours", value)


def _reasons(value: Mapping[str, float]) -> Mapping[str, float]:
    items = dict(value) if isinstance(value, Mapping) else None
    ok = bool(items) and all(
        isinstance(k, str) and k.strip() and isinstance(w, int | float) and not isinstance(w, bool) and w >= 0
        for k, w in (items or {}).items()
    )
    _check(ok and sum((items or {}).values()) > 0, "reasons", "a mapping of reason names to weights (not all zero)", value)
    return dict(sorted((items or {}).items()))


def _start(value: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    _check(isinstance(value, date), "start", "a date", value)
    return value


@attrs.frozen
class HistoryConfig:
    """How a synthetic history is generated. Every setting has a default; all are validated.

    Attributes:
        sellers: how many sellers (stores) sell (default 100).
        orders: how many orders are placed in all (default 100 000).
        days: over how many days, from ``start`` (default 365).
        start: the first day (default 2026-01-01).
        seed: the random seed; the same seed gives the same history.
        buyers: how many distinct buyers (default: a third of the orders, at least 1).
        currency: the ISO 4217 currency of the amounts (default ``"SAR"``, two decimals).
        median_order_minor: the median order total, in minor units (default 15 000: 150.00).
        cancel_rate: the mean share of orders the seller cancels before dispatch (default 0.8 %).
        late_shipment_rate: the mean share shipped late (default 2 %).
        untracked_rate: the mean share shipped without valid tracking (default 2 %).
        carrier_delay_rate: the share of on-time shipments the carrier delivers late (default 3 %).
        feedback_rate: the share of delivered orders that get feedback (default 30 %).
        chargeback_rate: the share of orders charged back (default 0.2 %).
        complaint_rate: the mean share of delivered orders that get a complaint (default 2 %; three
            times as likely after a late delivery).
        reasons: complaint reasons and their relative weights (default :data:`DEFAULT_REASONS`).
        response_hours: the typical time a merchant takes to first answer a complaint, in hours
            (default 14; each seller varies around it).
        slow_seller_share: the share of sellers that typically answer four times slower (default 15 %).
        review_hours: the typical time the platform takes to review a new complaint (default 3).
        customer_hours: the typical time a customer takes to answer an offer (default 10).
        platform_hours: the typical time the platform takes to decide an escalated case (default 30).
        invalid_share: the share of complaints of the reasons a merchant often contests (buyer's
            remorse, description mismatch, customer service) that the merchant disputes (default 50 %).
    """

    sellers: int = attrs.field(default=100, validator=_count(1))
    orders: int = attrs.field(default=100_000, validator=_count(0))
    days: int = attrs.field(default=365, validator=_count(1))
    start: date = attrs.field(default=date(2026, 1, 1), converter=_start)
    seed: int = attrs.field(default=0, validator=_count(0))
    buyers: int | None = attrs.field(default=None, validator=attrs.validators.optional(_count(1)))
    currency: str = "SAR"
    median_order_minor: int = attrs.field(default=15_000, validator=_count(1))
    cancel_rate: float = attrs.field(default=0.008, validator=_share)
    late_shipment_rate: float = attrs.field(default=0.02, validator=_share)
    untracked_rate: float = attrs.field(default=0.02, validator=_share)
    carrier_delay_rate: float = attrs.field(default=0.03, validator=_share)
    feedback_rate: float = attrs.field(default=0.3, validator=_share)
    chargeback_rate: float = attrs.field(default=0.002, validator=_share)
    complaint_rate: float = attrs.field(default=0.02, validator=_share)
    reasons: Mapping[str, float] = attrs.field(default=DEFAULT_REASONS, converter=_reasons)
    response_hours: float = attrs.field(default=14.0, validator=_hours)
    slow_seller_share: float = attrs.field(default=0.15, validator=_share)
    review_hours: float = attrs.field(default=3.0, validator=_hours)
    customer_hours: float = attrs.field(default=10.0, validator=_hours)
    platform_hours: float = attrs.field(default=30.0, validator=_hours)
    invalid_share: float = attrs.field(default=0.5, validator=_share)

    @property
    def end(self) -> date:
        """The last day orders are placed on."""
        return self.start + timedelta(days=self.days - 1)


class SellerProfile(NamedTuple):
    """One seller's propensities, drawn once per history from its seed."""

    seller_id: str
    weight: float
    """Relative size: the share of orders it gets is its weight over the sum of all weights."""
    late_shipment: float
    untracked: float
    cancel: float
    complaint: float
    """Its probability of a complaint on an order delivered on time."""
    response_hours: float
    """Its median time to first answer a complaint."""


class SimComplaint(NamedTuple):
    """A complaint in a synthetic history: what happened, and the draws a policy's replay reads."""

    case_id: str
    reason: str
    open_hours: float
    """Hours after the order was placed when the customer complained."""
    review_hours: float
    """Hours the platform's review takes (when the policy reviews complaints)."""
    response_hours: float
    """Hours the merchant takes to answer, each time it is the merchant's turn."""
    customer_hours: float
    """Hours the customer takes to answer an offer."""
    platform_hours: float
    """Hours the platform takes to decide the case once it is escalated."""
    accept_draw: float
    """Uniform in [0, 1): the first offer is accepted when this is below its acceptance probability."""
    second_draw: float
    """Uniform in [0, 1): the same for the next offer."""
    contested: bool
    """Whether the merchant disputes the complaint instead of offering a resolution."""


class SimOrder(NamedTuple):
    """One order of a synthetic history and everything that happened to it.

    Times are hours after ``placed_at`` (``None``: it did not happen). ``stars`` is 0 without
    feedback. Amounts are in minor units of the history's currency.
    """

    order_id: str
    seller_id: str
    buyer_id: str
    placed_at: datetime
    amount_minor: int
    cancel_hours: float | None
    ship_hours: float | None
    shipped_late: bool
    valid_tracking: bool
    deliver_hours: float | None
    delivered_late: bool
    carrier_delay: bool
    feedback_hours: float | None
    stars: int
    chargeback_hours: float | None
    complaint: SimComplaint | None


def _sellers(config: HistoryConfig, rng: random.Random) -> list[SellerProfile]:
    profiles = []
    width = len(str(config.sellers - 1))
    for index in range(config.sellers):
        slow = rng.random() < config.slow_seller_share
        profiles.append(
            SellerProfile(
                seller_id=f"seller-{index:0{width}d}",
                weight=rng.lognormvariate(0.0, 1.0),
                late_shipment=min(0.9, config.late_shipment_rate * rng.lognormvariate(-0.18, 0.6)),
                untracked=min(0.9, config.untracked_rate * rng.lognormvariate(-0.18, 0.6)),
                cancel=min(0.9, config.cancel_rate * rng.lognormvariate(-0.18, 0.6)),
                complaint=min(0.5, config.complaint_rate * rng.lognormvariate(-0.12, 0.5)),
                response_hours=config.response_hours * rng.lognormvariate(0.0, 0.35) * (4.0 if slow else 1.0),
            )
        )
    return profiles


@attrs.frozen
class History:
    """A synthetic history: iterate it (or call :meth:`orders`) to generate its orders, in the order
    they were placed. Build one with :func:`generate_history`.

    The history is regenerated from its seed on every iteration: it takes no memory of its own
    beyond its :attr:`sellers`, and every iteration yields exactly the same orders.
    """

    config: HistoryConfig

    @property
    def sellers(self) -> list[SellerProfile]:
        """The sellers and their propensities (the same on every call)."""
        return _sellers(self.config, random.Random(self.config.seed))

    def __iter__(self) -> Iterator[SimOrder]:
        return self.orders()

    def __len__(self) -> int:
        return self.config.orders

    def orders(self) -> Iterator[SimOrder]:
        """Generate the orders, oldest first (the same ones on every call)."""
        config = self.config
        rng = random.Random(config.seed)
        profiles = _sellers(config, rng)
        rnd, lognorm, choices = rng.random, rng.lognormvariate, rng.choices
        cum: list[float] = []
        total = 0.0
        for profile in profiles:
            total += profile.weight
            cum.append(total)
        reasons = list(config.reasons)
        reason_weights = [config.reasons[r] for r in reasons]
        buyers = config.buyers or max(1, config.orders // 3)
        per_day, extra = divmod(config.orders, config.days)
        median = config.median_order_minor
        carrier, feedback, chargeback = config.carrier_delay_rate, config.feedback_rate, config.chargeback_rate
        review, customer, platform = config.review_hours, config.customer_hours, config.platform_hours
        invalid = config.invalid_share
        number = 0
        start = datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC)
        log_median = math.log(median)
        for day in range(config.days):
            count = per_day + (1 if day < extra else 0)
            if not count:
                continue
            midnight = start + timedelta(days=day)
            seconds = sorted([int(rnd() * 86_400) for _ in range(count)])
            chosen = choices(profiles, cum_weights=cum, k=count)
            for second, seller in zip(seconds, chosen):
                number += 1
                placed_at = midnight + timedelta(0, second)
                amount = max(100, int(math.exp(log_median + 0.7 * (rnd() * 2 - 1) + 0.5 * (rnd() - 0.5))))
                buyer = f"buyer-{int(rnd() * buyers)}"
                cancel_hours = ship_hours = deliver_hours = feedback_hours = chargeback_hours = None
                shipped_late = tracked = delivered_late = carrier_delay = False
                stars = 0
                complaint = None
                if rnd() < seller.cancel:
                    cancel_hours = 1.0 + rnd() * 30.0
                else:
                    shipped_late = rnd() < seller.late_shipment
                    tracked = rnd() >= seller.untracked
                    ship_hours = (50.0 + rnd() * 70.0) if shipped_late else (4.0 + rnd() * 40.0)
                    carrier_delay = not shipped_late and rnd() < carrier
                    delivered_late = shipped_late or carrier_delay
                    deliver_hours = ship_hours + (24.0 + rnd() * 72.0) + (48.0 + rnd() * 96.0 if delivered_late else 0.0)
                    p_complaint = seller.complaint * (3.0 if delivered_late else 1.0)
                    if rnd() < p_complaint:
                        reason = choices(reasons, weights=reason_weights)[0]
                        opened = deliver_hours + 2.0 + rnd() * 200.0
                        if reason == "not_received":
                            opened = deliver_hours - rnd() * 24.0
                        complaint = SimComplaint(
                            case_id=f"C-{number}",
                            reason=reason,
                            open_hours=max(opened, ship_hours + 1.0),
                            review_hours=review * lognorm(0.0, 0.6),
                            response_hours=seller.response_hours * lognorm(0.0, 0.8),
                            customer_hours=customer * lognorm(0.0, 0.9),
                            platform_hours=platform * lognorm(0.0, 0.5),
                            accept_draw=rnd(),
                            second_draw=rnd(),
                            contested=reason in _DISPUTED_REASONS and rnd() < invalid,
                        )
                    if rnd() < feedback:
                        feedback_hours = deliver_hours + 6.0 + rnd() * 300.0
                        unhappy = delivered_late or complaint is not None
                        draw = rnd()
                        if unhappy:
                            stars = 1 if draw < 0.18 else 2 if draw < 0.3 else 3 if draw < 0.55 else 4 if draw < 0.8 else 5
                        else:
                            stars = 1 if draw < 0.006 else 2 if draw < 0.014 else 3 if draw < 0.06 else 4 if draw < 0.25 else 5
                    if rnd() < chargeback:
                        chargeback_hours = deliver_hours + 24.0 + rnd() * 400.0
                yield SimOrder(
                    f"O-{number}",
                    seller.seller_id,
                    buyer,
                    placed_at,
                    amount,
                    cancel_hours,
                    ship_hours,
                    shipped_late,
                    tracked,
                    deliver_hours,
                    delivered_late,
                    carrier_delay,
                    feedback_hours,
                    stars,
                    chargeback_hours,
                    complaint,
                )


def generate_history(
    *,
    sellers: int = 100,
    orders: int = 100_000,
    days: int = 365,
    seed: int = 0,
    start: date = date(2026, 1, 1),
    **settings: Any,
) -> History:
    """A seeded synthetic history (see :class:`HistoryConfig` for every setting and its default).

    >>> history = generate_history(sellers=5, orders=200, days=30, seed=7)
    >>> first = next(iter(history))
    >>> first.order_id, first.placed_at.date().isoformat()
    ('O-1', '2026-01-01')
    """
    unknown = sorted(set(settings) - {f.name for f in attrs.fields(HistoryConfig)})
    if unknown:
        raise ConfigurationError(N_("Unknown history setting {name!r}; see HistoryConfig for the settings."), name=unknown[0])
    return History(HistoryConfig(sellers=sellers, orders=orders, days=days, seed=seed, start=start, **settings))
