"""What a simulation compares: a platform :class:`~resolvekit.Policy`, a reputation policy, and how
merchants resolve complaints.

A :class:`SimulationPolicy` bundles the rules a replay applies:

* ``policy``: the platform's :class:`~resolvekit.Policy`, of which the replay reads the SLA clocks,
  calendar, escalation and auto-close rules (``policy.sla``), whether the platform reviews new
  complaints first, and how many offers one complaint may get (``policy.offers``);
* ``reputation``: the :class:`~resolvekit.reputation.ReputationPolicy` the figures are counted
  under (exclusions, the 72 h rule, the response window, the rolling window);
* ``first_offer`` and ``partial_refund_percent``: what merchants offer first (a full refund, or a
  partial refund of that share of the order, then a full refund if the customer rejects it);
* ``acceptance``: how likely customers are to accept each kind of offer.

:data:`POLICIES` names a few ready-made ones (``resolvekit simulate --policy NAME`` takes these
names, or ``module:attribute`` for a host's own); :func:`policy_named` looks one up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.offers import OfferPolicy
from resolvekit.domain.policy import Policy
from resolvekit.domain.sla import SlaPolicy
from resolvekit.errors import ConfigurationError
from resolvekit.reputation.policy import ReputationPolicy

__all__ = ["OFFER_KINDS", "POLICIES", "SimulationPolicy", "policy_named"]

OFFER_KINDS: frozenset[str] = frozenset({"full_refund", "partial_refund"})
"""The offers merchants make in a simulation."""

_RESPONSE_CLOCKS = ("first_response", "next_response")


def _name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(N_("SimulationPolicy.{field} must be a non-empty name, got {value!r}."), field=attribute.name, value=value)


def _first_offer(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in OFFER_KINDS:
        raise ConfigurationError(
            N_("SimulationPolicy.first_offer must be one of {allowed}, got {value!r}."), allowed=", ".join(sorted(OFFER_KINDS)), value=value
        )


def _percent(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not value.is_finite() or not Decimal(0) < value < Decimal(100):
        raise ConfigurationError(N_("SimulationPolicy.partial_refund_percent must be above 0 and below 100, got {value}."), value=str(value))


def _acceptance(value: Mapping[str, float]) -> Mapping[str, float]:
    result = dict(value)
    for kind, chance in result.items():
        if kind not in OFFER_KINDS or not isinstance(chance, int | float) or isinstance(chance, bool) or not 0 <= chance <= 1:
            raise ConfigurationError(
                N_("SimulationPolicy.acceptance maps {allowed} to a chance from 0 to 1, got {value!r}."),
                allowed=", ".join(sorted(OFFER_KINDS)),
                value=value,
            )
    return result


DEFAULT_ACCEPTANCE: Mapping[str, float] = {"full_refund": 0.92}
"""Chance a customer accepts a full refund; a partial refund's chance is ``0.25 + 0.65 x share``."""


@attrs.frozen
class SimulationPolicy:
    """The rules one replay applies (see the module documentation).

    Attributes:
        name: how results name this policy (a column of every record).
        policy: the platform's :class:`~resolvekit.Policy` (default: the defaults of DOMAIN.md).
        reputation: what counts against sellers (default :class:`~resolvekit.reputation.ReputationPolicy`).
        first_offer: ``"full_refund"`` (default) or ``"partial_refund"``: what merchants offer first.
        partial_refund_percent: the share of the order a first partial refund pays (default 30).
        acceptance: chance a customer accepts each kind of offer; a kind left out uses the default
            (a full refund 92 %; a partial refund ``0.25 + 0.65 x percent / 100``).
    """

    name: str = attrs.field(default="default", validator=_name)
    policy: Policy = attrs.field(factory=Policy, validator=attrs.validators.instance_of(Policy))
    reputation: ReputationPolicy = attrs.field(factory=ReputationPolicy, validator=attrs.validators.instance_of(ReputationPolicy))
    first_offer: str = attrs.field(default="full_refund", validator=_first_offer)
    partial_refund_percent: Decimal = attrs.field(default=Decimal(30), converter=Decimal, validator=_percent)
    acceptance: Mapping[str, float] = attrs.field(factory=dict, converter=_acceptance)

    def chance(self, kind: str) -> float:
        """The chance a customer accepts an offer of ``kind`` under this policy."""
        known = self.acceptance.get(kind)
        if known is not None:
            return known
        if kind == "partial_refund":
            return 0.25 + 0.65 * float(self.partial_refund_percent) / 100
        return DEFAULT_ACCEPTANCE["full_refund"]

    def with_response_hours(self, hours: int, *, name: str | None = None) -> SimulationPolicy:
        """This policy with merchants given ``hours`` to answer: the first- and next-response SLA
        clocks last that long, and the reputation counts an answer within it as in time."""
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
            raise ConfigurationError(N_("The response window is a positive whole number of hours, got {value!r}."), value=hours)
        sla = self.policy.sla
        clocks = tuple(
            attrs.evolve(c, duration=timedelta(hours=hours), warn_before=min(c.warn_before, timedelta(hours=hours / 2)) if c.warn_before else None)
            if c.name in _RESPONSE_CLOCKS
            else c
            for c in sla.clocks
        )
        return attrs.evolve(
            self,
            name=name or f"{self.name}, {hours} h response",
            policy=attrs.evolve(self.policy, sla=attrs.evolve(sla, clocks=clocks)),
            reputation=attrs.evolve(self.reputation, response_hours=hours),
        )

    def with_partial_refund_first(self, percent: int | Decimal = 30, *, name: str | None = None) -> SimulationPolicy:
        """This policy with merchants offering a partial refund of ``percent`` first."""
        return attrs.evolve(
            self, name=name or f"{self.name}, partial refund first", first_offer="partial_refund", partial_refund_percent=Decimal(percent)
        )


def _default() -> SimulationPolicy:
    return SimulationPolicy("default")


def _response_48h() -> SimulationPolicy:
    return SimulationPolicy().with_response_hours(48, name="response-48h")


def _partial_first() -> SimulationPolicy:
    return SimulationPolicy().with_partial_refund_first(30, name="partial-refund-first")


def _one_offer() -> SimulationPolicy:
    return SimulationPolicy(
        "one-offer", policy=Policy(offers=OfferPolicy(max_per_complaint=1)), first_offer="partial_refund"
    )


def _no_review() -> SimulationPolicy:
    return SimulationPolicy("no-platform-review", policy=Policy(complaint_platform_review=False))


def _escalate_late() -> SimulationPolicy:
    sla = SlaPolicy()
    clocks = tuple(attrs.evolve(c, escalate_on_breach=True) if c.name == "first_response" else c for c in sla.clocks)
    return SimulationPolicy("escalate-on-late-response", policy=Policy(sla=attrs.evolve(sla, clocks=clocks)))


POLICIES: Mapping[str, Callable[[], SimulationPolicy]] = {
    "default": _default,
    "response-48h": _response_48h,
    "partial-refund-first": _partial_first,
    "one-offer": _one_offer,
    "no-platform-review": _no_review,
    "escalate-on-late-response": _escalate_late,
}
"""Ready-made policies by name: ``default`` (DOMAIN.md's rules, full refunds first),
``response-48h`` (merchants get 48 h to answer instead of 24 h), ``partial-refund-first`` (a 30 %
partial refund first, then a full refund), ``one-offer`` (one offer per complaint, a partial refund),
``no-platform-review`` (complaints go straight to the merchant) and ``escalate-on-late-response``
(a missed first-response deadline escalates the complaint to the platform)."""


def policy_named(name: str) -> SimulationPolicy:
    """The ready-made policy called ``name`` (see :data:`POLICIES`), or a host's own as
    ``"package.module:attribute"`` (a :class:`SimulationPolicy`, or a callable returning one).

    Raises :class:`~resolvekit.errors.ConfigurationError` naming the choices for anything else.
    """
    factory = POLICIES.get(name)
    if factory is not None:
        return factory()
    if isinstance(name, str) and ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            value: object = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigurationError(N_("Cannot load the policy {name!r}: {reason}"), name=name, reason=str(exc)) from None
        if callable(value) and not isinstance(value, SimulationPolicy):
            value = value()
        if isinstance(value, SimulationPolicy):
            return value
        raise ConfigurationError(N_("{name!r} is not a SimulationPolicy."), name=name)
    raise ConfigurationError(
        N_("Unknown policy {name!r}; choose one of {allowed}, or name your own as 'module:attribute'."),
        name=name,
        allowed=", ".join(POLICIES),
    )
