"""Levels and scores, as policies with documented defaults (DOMAIN section 6).

Three styles, each a frozen policy validated at construction (a window of zero days, or thresholds
that overlap, raise :class:`~resolvekit.errors.ConfigurationError`):

* :class:`AccountHealthPolicy`: a 0-1000 **rating** and a band, *healthy* (200+), *at risk*
  (100-199) or *suspension risk* (under 100), from four metrics with targets and windows of their own.
* :class:`ColourLevelPolicy`: a **colour** from red to green from the claims, cancellations and
  delayed handling rates; it needs 10+ completed sales and measures sellers with 40+ sales over 60
  days, others over 365.
* :class:`TieredLevelPolicy`: **top / standard / below** from the marketplace defect rate over 3
  months (400+ transactions) or 12; a rate demotes only once enough distinct buyers are affected.

Every comparison is exact (rates are fractions, thresholds decimals): a rate exactly at a threshold
meets it when the threshold is a maximum ("at most 2 %"), and misses an account-health target, which
DOMAIN states as strict ("under 1 %").
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError
from resolvekit.reputation.metrics import Figure, Metric, Totals

__all__ = [
    "AccountHealth",
    "AccountHealthPolicy",
    "ColourLevel",
    "ColourLevelPolicy",
    "ColourThreshold",
    "HealthBand",
    "Tier",
    "TieredLevel",
    "TieredLevelPolicy",
]


def _decimal(value: object) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ConfigurationError(N_("Expected a share such as Decimal('0.01'), got {value!r}."), value=value) from None


def _unit(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not value.is_finite() or not 0 <= value <= 1:
        raise ConfigurationError(N_("{field} must be a share from 0 to 1, got {value}."), field=attribute.name, value=str(value))


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(
            N_("{field} must be a positive whole number, got {value!r}; a window or minimum of zero is not allowed."),
            field=attribute.name,
            value=value,
        )


def _frac(value: Decimal) -> Fraction:
    return Fraction(value)


def _meets(figure: Figure, maximum: Decimal) -> bool:
    share = figure.counted_share
    return share is None or share <= _frac(maximum)


# -- account health --------------------------------------------------------------------------------


class HealthBand(enum.StrEnum):
    """The account-health bands."""

    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    SUSPENSION_RISK = "suspension_risk"

    @property
    def label(self) -> str:
        """The band's name for people (a gettext id)."""
        return {
            HealthBand.HEALTHY: N_("healthy"),
            HealthBand.AT_RISK: N_("at risk"),
            HealthBand.SUSPENSION_RISK: N_("suspension risk"),
        }[self]


@attrs.frozen
class AccountHealth:
    """A seller's account-health rating, its band, and what each metric gave."""

    seller_id: str
    rating: int
    band: HealthBand
    ratings: Mapping[Metric, int]
    figures: Mapping[Metric, Figure]

    @property
    def worst(self) -> Metric:
        """The metric that decided the rating (the first of the lowest)."""
        return min(self.ratings, key=lambda metric: self.ratings[metric])

    def to_record(self) -> dict[str, Any]:
        """The result as plain data (one ``<metric>_rating`` per metric)."""
        record: dict[str, Any] = {"seller_id": self.seller_id, "rating": self.rating, "band": self.band.value, "worst": self.worst.value}
        for metric, value in self.ratings.items():
            record[f"{metric.value}_rating"] = value
            record[f"{metric.value}_rate"] = self.figures[metric].rate
        return record


@attrs.frozen
class AccountHealthPolicy:
    """An account-health style rating from 0 to 1000.

    How the rating is derived: each metric's *ratio* ``r`` is its counted bad share over the share
    its target allows, ``counted / base / target`` (for the valid tracking rate, the share without
    valid tracking over ``1 - target``). With ``H = healthy_from`` and ``A = at_risk_from``:

    * ``r < 1`` (the target is met): ``H + floor((1000 - H) * (1 - r))``, so 1000 with no defect;
    * ``1 <= r < 2`` (at or past the target): ``(H - 1) - floor((H - A) * (r - 1))``, from H-1 to A;
    * ``r >= 2`` (twice the target or worse): ``max(0, (A - 1) - floor(A * (r - 2) / 2))``.

    The seller's rating is the lowest metric rating; the band is *healthy* from ``H``, *at risk* from
    ``A``, *suspension risk* below. A metric without a base (no orders, no shipments) rates 1000.
    So a seller is at risk exactly when one metric reaches its target, and in suspension risk when
    one reaches twice its target.

    Attributes:
        odr_target: order defect rate target, kept under (default 1 %), over ``odr_window_days`` (60).
        lsr_target: late shipment rate target (default 4 %), over ``lsr_window_days`` (30).
        pcr_target: pre-fulfilment cancel rate target (default 2.5 %), over ``pcr_window_days`` (7).
        vtr_target: valid tracking rate target, kept above (default 95 %), over ``vtr_window_days`` (30).
        healthy_from: the lowest healthy rating (default 200).
        at_risk_from: the lowest at-risk rating (default 100); below is suspension risk.
    """

    odr_target: Decimal = attrs.field(default=Decimal("0.01"), converter=_decimal, validator=_unit)
    odr_window_days: int = attrs.field(default=60, validator=_positive)
    lsr_target: Decimal = attrs.field(default=Decimal("0.04"), converter=_decimal, validator=_unit)
    lsr_window_days: int = attrs.field(default=30, validator=_positive)
    pcr_target: Decimal = attrs.field(default=Decimal("0.025"), converter=_decimal, validator=_unit)
    pcr_window_days: int = attrs.field(default=7, validator=_positive)
    vtr_target: Decimal = attrs.field(default=Decimal("0.95"), converter=_decimal, validator=_unit)
    vtr_window_days: int = attrs.field(default=30, validator=_positive)
    healthy_from: int = attrs.field(default=200, validator=_positive)
    at_risk_from: int = attrs.field(default=100, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if not self.at_risk_from < self.healthy_from <= 1000:
            raise ConfigurationError(
                N_(
                    "The account-health bands overlap: at_risk_from ({at_risk}) must be below healthy_from ({healthy}), "
                    "which must be at most 1000."
                ),
                at_risk=self.at_risk_from,
                healthy=self.healthy_from,
            )
        for field in ("odr_target", "lsr_target", "pcr_target"):
            if getattr(self, field) == 0:
                raise ConfigurationError(N_("{field} must be above 0 %."), field=field)
        if self.vtr_target == 1:
            raise ConfigurationError(N_("vtr_target must be below 100 %."))

    @property
    def windows(self) -> dict[Metric, int]:
        """The window, in days, of each metric the rating reads."""
        return {
            Metric.ORDER_DEFECT_RATE: self.odr_window_days,
            Metric.LATE_SHIPMENT_RATE: self.lsr_window_days,
            Metric.PRE_FULFILMENT_CANCEL_RATE: self.pcr_window_days,
            Metric.VALID_TRACKING_RATE: self.vtr_window_days,
        }

    def allowance(self, metric: Metric) -> Fraction:
        """The bad share a metric's target allows (``1 - target`` for the valid tracking rate)."""
        if metric is Metric.VALID_TRACKING_RATE:
            return 1 - _frac(self.vtr_target)
        target = {
            Metric.ORDER_DEFECT_RATE: self.odr_target,
            Metric.LATE_SHIPMENT_RATE: self.lsr_target,
            Metric.PRE_FULFILMENT_CANCEL_RATE: self.pcr_target,
        }[metric]
        return _frac(target)

    def rating_of(self, ratio: Fraction) -> int:
        """The rating of one metric whose bad share is ``ratio`` times what its target allows."""
        high, low = self.healthy_from, self.at_risk_from
        if ratio < 1:
            return high + math.floor((1000 - high) * (1 - ratio))
        if ratio < 2:
            return (high - 1) - math.floor((high - low) * (ratio - 1))
        return max(0, (low - 1) - math.floor(low * (ratio - 2) / 2))

    def band_of(self, rating: int) -> HealthBand:
        """The band of a rating."""
        if rating >= self.healthy_from:
            return HealthBand.HEALTHY
        if rating >= self.at_risk_from:
            return HealthBand.AT_RISK
        return HealthBand.SUSPENSION_RISK

    def assess(self, seller_id: str, totals: Mapping[int, Totals]) -> AccountHealth:
        """The rating of one seller from its totals per window length (in days)."""
        ratings: dict[Metric, int] = {}
        figures: dict[Metric, Figure] = {}
        for metric, days in self.windows.items():
            figure = totals[days].figure(metric) if days in totals else Figure(metric, 0, 0, 0)
            share = figure.counted_share
            ratio = Fraction(0) if share is None else share / self.allowance(metric)
            ratings[metric] = self.rating_of(ratio)
            figures[metric] = figure
        rating = min(ratings.values())
        return AccountHealth(seller_id, rating, self.band_of(rating), ratings, figures)


# -- colour levels ----------------------------------------------------------------------------------


@attrs.frozen
class ColourThreshold:
    """The most each rate may be for a seller to reach ``colour`` (compared with ``<=``)."""

    colour: str
    claims: Decimal = attrs.field(converter=_decimal, validator=_unit)
    cancellations: Decimal = attrs.field(converter=_decimal, validator=_unit)
    delayed_handling: Decimal = attrs.field(converter=_decimal, validator=_unit)


_COLOUR_METRICS = {
    "claims": Metric.CLAIMS_RATE,
    "cancellations": Metric.CANCELLATIONS_RATE,
    "delayed_handling": Metric.DELAYED_HANDLING_RATE,
}

DEFAULT_COLOURS: tuple[ColourThreshold, ...] = (
    ColourThreshold("green", Decimal("0.01"), Decimal("0.005"), Decimal("0.08")),
    ColourThreshold("light_green", Decimal("0.02"), Decimal("0.01"), Decimal("0.12")),
    ColourThreshold("yellow", Decimal("0.04"), Decimal("0.02"), Decimal("0.15")),
    ColourThreshold("orange", Decimal("0.07"), Decimal("0.04"), Decimal("0.20")),
)
"""Default colours, best first; a seller meeting none of them is ``red``. Marketplaces set these per
country (DOMAIN 6: claims 1-4 %, cancellations 0.5 %, delayed handling 8-15 % for the top colour):
set your own."""


def _colours(value: Iterable[ColourThreshold]) -> tuple[ColourThreshold, ...]:
    return tuple(value)


@attrs.frozen
class ColourLevel:
    """A seller's colour (``None`` with fewer completed sales than the policy needs)."""

    seller_id: str
    colour: str | None
    window_days: int
    completed_sales: int
    figures: Mapping[Metric, Figure]

    def to_record(self) -> dict[str, Any]:
        """The result as plain data."""
        record: dict[str, Any] = {
            "seller_id": self.seller_id,
            "colour": self.colour,
            "window_days": self.window_days,
            "completed_sales": self.completed_sales,
        }
        for metric, figure in self.figures.items():
            record[f"{metric.value}"] = figure.rate
        return record


@attrs.frozen
class ColourLevelPolicy:
    """Colour levels from red to green.

    A seller needs ``min_completed_sales`` (default 10) completed sales (orders not cancelled) in its
    window to get a colour. Its window is ``short_window_days`` (60) when it had at least
    ``volume_threshold`` (40) completed sales in the last ``short_window_days``, else
    ``long_window_days`` (365). Its colour is the first of ``colours`` (best first) whose three
    maximum rates (claims, cancellations, delayed handling; counted after exclusions) it meets, else
    ``worst`` (``"red"``). Thresholds must rise strictly from one colour to the next for every rate:
    otherwise they overlap and construction fails.
    """

    colours: tuple[ColourThreshold, ...] = attrs.field(default=DEFAULT_COLOURS, converter=_colours)
    worst: str = "red"
    min_completed_sales: int = attrs.field(default=10, validator=_positive)
    volume_threshold: int = attrs.field(default=40, validator=_positive)
    short_window_days: int = attrs.field(default=60, validator=_positive)
    long_window_days: int = attrs.field(default=365, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if not self.colours:
            raise ConfigurationError(N_("ColourLevelPolicy.colours needs at least one colour."))
        names = [c.colour for c in self.colours] + [self.worst]
        if len(set(names)) != len(names):
            raise ConfigurationError(N_("ColourLevelPolicy names a colour twice: {names}."), names=", ".join(names))
        for better, worse in zip(self.colours, self.colours[1:]):
            for field in _COLOUR_METRICS:
                if not getattr(better, field) < getattr(worse, field):
                    raise ConfigurationError(
                        N_(
                            "The colour thresholds overlap: {field} of {better} ({low}) must be below that of {worse} ({high}). "
                            "List colours best first with rising maximum rates."
                        ),
                        field=field,
                        better=better.colour,
                        worse=worse.colour,
                        low=str(getattr(better, field)),
                        high=str(getattr(worse, field)),
                    )
        if not self.short_window_days < self.long_window_days:
            raise ConfigurationError(
                N_("short_window_days ({short}) must be shorter than long_window_days ({long})."),
                short=self.short_window_days,
                long=self.long_window_days,
            )

    @property
    def windows(self) -> tuple[int, int]:
        """The two window lengths the policy reads."""
        return (self.short_window_days, self.long_window_days)

    def assess(self, seller_id: str, totals: Mapping[int, Totals]) -> ColourLevel:
        """The colour of one seller from its totals per window length."""
        short = totals.get(self.short_window_days) or Totals.empty(self.short_window_days)
        days = self.short_window_days if short.completed >= self.volume_threshold else self.long_window_days
        chosen = totals.get(days) or Totals.empty(days)
        figures = {metric: chosen.figure(metric) for metric in _COLOUR_METRICS.values()}
        if chosen.completed < self.min_completed_sales:
            return ColourLevel(seller_id, None, days, chosen.completed, figures)
        colour = self.worst
        for threshold in self.colours:
            if all(_meets(figures[metric], getattr(threshold, field)) for field, metric in _COLOUR_METRICS.items()):
                colour = threshold.colour
                break
        return ColourLevel(seller_id, colour, days, chosen.completed, figures)


# -- top / standard / below -----------------------------------------------------------------------


class Tier(enum.StrEnum):
    """The tiered seller levels."""

    TOP = "top"
    STANDARD = "standard"
    BELOW = "below"

    @property
    def label(self) -> str:
        """The level's name for people (a gettext id)."""
        return {Tier.TOP: N_("top rated"), Tier.STANDARD: N_("above standard"), Tier.BELOW: N_("below standard")}[self]


@attrs.frozen
class TieredLevel:
    """A seller's tier, the window it was measured over, and the figure behind it."""

    seller_id: str
    tier: Tier
    window_days: int
    transactions: int
    figure: Figure

    def to_record(self) -> dict[str, Any]:
        """The result as plain data."""
        return {
            "seller_id": self.seller_id,
            "tier": self.tier.value,
            "window_days": self.window_days,
            "transactions": self.transactions,
            "defect_rate": self.figure.rate,
            "defects": self.figure.counted,
            "affected_buyers": self.figure.affected_buyers,
        }


@attrs.frozen
class TieredLevelPolicy:
    """Top / standard / below levels from the marketplace defect rate.

    The window is ``short_window_days`` (90, three months) when the seller had at least
    ``volume_threshold`` (400) transactions in it, else ``long_window_days`` (365). A rate above a
    level's maximum demotes only once at least that level's minimum of distinct affected buyers is
    reached: ``top`` when the rate is at most ``top_max_rate`` (0.5 %) *or* fewer than
    ``top_min_buyers`` (4) buyers are affected; else ``standard`` when at most ``standard_max_rate``
    (2 %) or fewer than ``standard_min_buyers`` (5); else ``below``.
    """

    top_max_rate: Decimal = attrs.field(default=Decimal("0.005"), converter=_decimal, validator=_unit)
    standard_max_rate: Decimal = attrs.field(default=Decimal("0.02"), converter=_decimal, validator=_unit)
    top_min_buyers: int = attrs.field(default=4, validator=_positive)
    standard_min_buyers: int = attrs.field(default=5, validator=_positive)
    volume_threshold: int = attrs.field(default=400, validator=_positive)
    short_window_days: int = attrs.field(default=90, validator=_positive)
    long_window_days: int = attrs.field(default=365, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if not self.top_max_rate < self.standard_max_rate:
            raise ConfigurationError(
                N_("The tier thresholds overlap: top_max_rate ({top}) must be below standard_max_rate ({standard})."),
                top=str(self.top_max_rate),
                standard=str(self.standard_max_rate),
            )
        if not self.short_window_days < self.long_window_days:
            raise ConfigurationError(
                N_("short_window_days ({short}) must be shorter than long_window_days ({long})."),
                short=self.short_window_days,
                long=self.long_window_days,
            )

    @property
    def windows(self) -> tuple[int, int]:
        """The two window lengths the policy reads."""
        return (self.short_window_days, self.long_window_days)

    def assess(self, seller_id: str, totals: Mapping[int, Totals]) -> TieredLevel:
        """The tier of one seller from its totals per window length."""
        short = totals.get(self.short_window_days) or Totals.empty(self.short_window_days)
        days = self.short_window_days if short.orders >= self.volume_threshold else self.long_window_days
        chosen = totals.get(days) or Totals.empty(days)
        figure = chosen.figure(Metric.MARKETPLACE_DEFECT_RATE)
        buyers = figure.affected_buyers or 0
        if _meets(figure, self.top_max_rate) or buyers < self.top_min_buyers:
            tier = Tier.TOP
        elif _meets(figure, self.standard_max_rate) or buyers < self.standard_min_buyers:
            tier = Tier.STANDARD
        else:
            tier = Tier.BELOW
        return TieredLevel(seller_id, tier, days, chosen.orders, figure)
