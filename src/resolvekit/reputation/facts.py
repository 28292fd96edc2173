"""Facts: what reputation is computed from.

Two sources feed it:

* **Order facts** (:class:`OrderFact`), reported by the host: an order was placed, shipped (on time or
  late, with valid tracking or not), cancelled by the seller, delivered (on time or late, carrier
  delay), got feedback stars, got a chargeback, or was excused (e.g. a platform incident).
* **Claim facts** (:class:`ClaimFact`), derived from resolvekit's own activity log by
  :func:`claim_from_events`: a complaint was opened (with its reason), how and when it was resolved,
  whether the merchant answered within 24 h, whether it was escalated.

Every fact has a ``fact_id``: a fact whose id was already accepted for the same order is a duplicate
and is ignored, so a host may resend facts freely (ids need only be unique per order). When two different facts say the same thing about an order (two
``shipped`` facts, say), the **latest** one wins: the one with the greatest ``(at, fact_id)`` for
order facts and ``(version, evaluated_at, fact_id)`` for claim facts. The result therefore never
depends on the order in which facts arrive.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Role
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.values import utc
from resolvekit.errors import ValidationError
from resolvekit.reputation.policy import NEVER_EXCLUDED, ReputationPolicy

__all__ = [
    "ClaimFact",
    "ClaimOutcome",
    "OrderFact",
    "OrderFactKind",
    "ResponseState",
    "claim_from_events",
    "claims_from_logs",
    "order_day",
]


def order_day(value: date | datetime) -> date:
    """The order date of ``value``: a ``date`` as it is, an aware ``datetime`` as its UTC date."""
    if type(value) is date:
        return value
    if isinstance(value, datetime):
        return utc(value, "order_date").date()
    if isinstance(value, date):
        return value
    raise ValidationError(N_("order_date must be a date or an aware datetime, not {type}."), type=type(value).__name__)


def _name(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("{field} must be a non-empty string, got {value!r}."), field=attribute.name, value=value)


def _at(value: datetime) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value
    return utc(value, "at")


def _optional_at(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value, "time")


def _optional_day(value: date | datetime | None) -> date | None:
    return None if value is None else order_day(value)


class OrderFactKind(enum.StrEnum):
    """What an order fact says."""

    PLACED = "placed"
    """The order exists (it joins the denominators). Facts for an order not yet placed wait."""
    SHIPPED = "shipped"
    """Dispatched: ``on_time`` (by the handling deadline) and ``valid_tracking``."""
    CANCELLED = "cancelled"
    """Cancelled by the seller; ``pre_fulfilment`` when before dispatch (default ``True``)."""
    DELIVERED = "delivered"
    """Delivered: ``on_time`` (by the promised date) and ``carrier_delay`` when late by the carrier."""
    FEEDBACK = "feedback"
    """The buyer's feedback: ``stars`` from 1 to 5."""
    CHARGEBACK = "chargeback"
    """The buyer's bank reversed the payment."""
    EXCUSED = "excused"
    """The whole order is excused for ``exclusion`` (e.g. ``"platform_incident"``)."""


_KINDS: dict[str, OrderFactKind] = {k.value: k for k in OrderFactKind}


def _kind(value: OrderFactKind | str) -> OrderFactKind:
    try:
        return _KINDS[value]
    except (KeyError, TypeError):
        raise ValidationError(
            N_("Unknown order fact kind {kind!r}; use one of {allowed}."), kind=value, allowed=", ".join(_KINDS)
        ) from None


_FIELDS: dict[OrderFactKind, frozenset[str]] = {
    OrderFactKind.PLACED: frozenset(),
    OrderFactKind.SHIPPED: frozenset({"on_time", "valid_tracking"}),
    OrderFactKind.CANCELLED: frozenset({"pre_fulfilment", "exclusion"}),
    OrderFactKind.DELIVERED: frozenset({"on_time", "carrier_delay", "exclusion"}),
    OrderFactKind.FEEDBACK: frozenset({"stars", "exclusion"}),
    OrderFactKind.CHARGEBACK: frozenset({"exclusion"}),
    OrderFactKind.EXCUSED: frozenset({"exclusion"}),
}
_OPTIONAL = ("on_time", "valid_tracking", "pre_fulfilment", "carrier_delay", "stars", "exclusion")
_FLAGS = frozenset({"on_time", "valid_tracking", "pre_fulfilment", "carrier_delay"})


@attrs.frozen
class OrderFact:
    """One thing the host reports about an order. Build it with the named constructors.

    Every fact repeats the order's identity (``seller_id``, ``order_id``, ``buyer_id``,
    ``order_date``): the first fact seen for an order fixes it, and a later fact that disagrees is
    refused with :class:`~resolvekit.errors.FactConflict`. ``order_date`` decides which windows the
    order falls in; ``at`` is when the fact happened and decides which of two facts of the same kind
    is the latest.

    ``exclusion`` names a reason the item this fact creates should not count against the seller
    (``"buyers_mistake"``, ``"platform_incident"``, or a host's own reason listed in
    :attr:`ReputationPolicy.exclusions <resolvekit.reputation.ReputationPolicy.exclusions>`).
    Shipments take none: shipped late is never excluded.
    """

    fact_id: str = attrs.field(validator=_name)
    kind: OrderFactKind = attrs.field(converter=_kind)
    seller_id: str = attrs.field(validator=_name)
    order_id: str = attrs.field(validator=_name)
    buyer_id: str = attrs.field(validator=_name)
    order_date: date = attrs.field(converter=order_day)
    at: datetime = attrs.field(converter=_at)
    on_time: bool | None = None
    valid_tracking: bool | None = None
    pre_fulfilment: bool | None = None
    carrier_delay: bool | None = None
    stars: int | None = None
    exclusion: str | None = None

    def __attrs_post_init__(self) -> None:
        kind = self.kind
        extra = [
            name
            for name, value in (
                ("on_time", self.on_time),
                ("valid_tracking", self.valid_tracking),
                ("pre_fulfilment", self.pre_fulfilment),
                ("carrier_delay", self.carrier_delay),
                ("stars", self.stars),
                ("exclusion", self.exclusion),
            )
            if value is not None
        ]
        if extra:
            self._check(kind, extra)
        elif kind is not OrderFactKind.PLACED and kind is not OrderFactKind.CHARGEBACK:
            self._check(kind, extra)

    def _check(self, kind: OrderFactKind, given: list[str]) -> None:
        allowed = _FIELDS[kind]
        for name in given:
            if name not in allowed:
                raise ValidationError(
                    N_("A {kind} fact takes no {field}; {hint}"),
                    kind=kind.value,
                    field=name,
                    hint=N_("shipped late is never excluded.") if name == "exclusion" else N_("remove it."),
                )
            if name in _FLAGS and not isinstance(getattr(self, name), bool):
                raise ValidationError(N_("{field} must be True or False, got {value!r}."), field=name, value=getattr(self, name))
        if kind is OrderFactKind.SHIPPED and (self.on_time is None or self.valid_tracking is None):
            raise ValidationError(N_("A shipped fact needs on_time and valid_tracking (True or False)."))
        if kind is OrderFactKind.DELIVERED and self.on_time is None:
            raise ValidationError(N_("A delivered fact needs on_time (True or False)."))
        if kind is OrderFactKind.FEEDBACK and (
            not isinstance(self.stars, int) or isinstance(self.stars, bool) or not 1 <= self.stars <= 5
        ):
            raise ValidationError(N_("Feedback is a whole number of stars from 1 to 5, got {stars!r}."), stars=self.stars)
        if self.exclusion is not None:
            if not isinstance(self.exclusion, str) or not self.exclusion.strip():
                raise ValidationError(N_("exclusion must be a non-empty reason name, got {value!r}."), value=self.exclusion)
            if self.exclusion in NEVER_EXCLUDED:
                raise ValidationError(
                    N_("{reason!r} is never an exclusion (DOMAIN 6); report the fact without it."), reason=self.exclusion
                )
        if kind is OrderFactKind.EXCUSED and self.exclusion is None:
            raise ValidationError(N_("An excused fact needs the exclusion reason, e.g. 'platform_incident'."))

    # -- named constructors ------------------------------------------------------------------------

    @classmethod
    def placed(cls, fact_id: str, *, seller_id: str, order_id: str, buyer_id: str, order_date: date | datetime, at: datetime) -> OrderFact:
        """The order was placed: it now counts in every denominator of its order date."""
        return cls(fact_id, OrderFactKind.PLACED, seller_id, order_id, buyer_id, order_date, at)

    @classmethod
    def shipped(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        on_time: bool,
        valid_tracking: bool,
    ) -> OrderFact:
        """The seller dispatched the order, ``on_time`` or late, with valid tracking or not."""
        return cls(fact_id, OrderFactKind.SHIPPED, seller_id, order_id, buyer_id, order_date, at, on_time=on_time, valid_tracking=valid_tracking)

    @classmethod
    def cancelled(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        pre_fulfilment: bool = True,
        exclusion: str | None = None,
    ) -> OrderFact:
        """The seller cancelled the order (before dispatch unless ``pre_fulfilment=False``)."""
        return cls(
            fact_id, OrderFactKind.CANCELLED, seller_id, order_id, buyer_id, order_date, at, pre_fulfilment=pre_fulfilment, exclusion=exclusion
        )

    @classmethod
    def delivered(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        on_time: bool,
        carrier_delay: bool = False,
        exclusion: str | None = None,
    ) -> OrderFact:
        """The order arrived, ``on_time`` or late (``carrier_delay`` when the carrier caused it)."""
        return cls(
            fact_id,
            OrderFactKind.DELIVERED,
            seller_id,
            order_id,
            buyer_id,
            order_date,
            at,
            on_time=on_time,
            carrier_delay=carrier_delay,
            exclusion=exclusion,
        )

    @classmethod
    def feedback(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        stars: int,
        exclusion: str | None = None,
    ) -> OrderFact:
        """The buyer left feedback of ``stars`` (1-5); a later feedback fact replaces it."""
        return cls(fact_id, OrderFactKind.FEEDBACK, seller_id, order_id, buyer_id, order_date, at, stars=stars, exclusion=exclusion)

    @classmethod
    def chargeback(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        exclusion: str | None = None,
    ) -> OrderFact:
        """The buyer's bank reversed the payment."""
        return cls(fact_id, OrderFactKind.CHARGEBACK, seller_id, order_id, buyer_id, order_date, at, exclusion=exclusion)

    @classmethod
    def excused(
        cls,
        fact_id: str,
        *,
        seller_id: str,
        order_id: str,
        buyer_id: str,
        order_date: date | datetime,
        at: datetime,
        exclusion: str,
    ) -> OrderFact:
        """Every excusable item of the order is excused for ``exclusion`` (e.g. a platform incident)."""
        return cls(fact_id, OrderFactKind.EXCUSED, seller_id, order_id, buyer_id, order_date, at, exclusion=exclusion)

    # -- plain data ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fact as JSON-ready data (dates and times in ISO 8601)."""
        data: dict[str, Any] = {
            "fact_id": self.fact_id,
            "kind": self.kind.value,
            "seller_id": self.seller_id,
            "order_id": self.order_id,
            "buyer_id": self.buyer_id,
            "order_date": self.order_date.isoformat(),
            "at": self.at.isoformat(),
        }
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrderFact:
        """Rebuild a fact written by :meth:`to_dict`."""
        return cls(
            data["fact_id"],
            OrderFactKind(data["kind"]),
            data["seller_id"],
            data["order_id"],
            data["buyer_id"],
            date.fromisoformat(data["order_date"]),
            datetime.fromisoformat(data["at"]),
            **{name: data[name] for name in _OPTIONAL if data.get(name) is not None},
        )


class ClaimOutcome(enum.StrEnum):
    """How a claim ended (so far)."""

    OPEN = "open"
    RESOLVED_BY_SELLER = "resolved_by_seller"
    """The buyer accepted the seller's resolution (or the seller closed it where the policy allows)."""
    RESOLVED_BY_PLATFORM = "resolved_by_platform"
    """The platform stepped in and closed it: a case closed without seller resolution."""
    WITHDRAWN = "withdrawn"
    """The buyer closed it without accepting a resolution."""
    DENIED = "denied"
    """Decided in the seller's favour (the closing event said ``outcome="denied"``)."""


class ResponseState(enum.StrEnum):
    """Whether the merchant's first response to a claim came in time."""

    NOT_DUE = "not_due"
    """No response was due: the claim never reached the merchant, or closed before the deadline."""
    PENDING = "pending"
    """Waiting for the merchant, and the deadline has not passed yet."""
    IN_TIME = "in_time"
    LATE = "late"
    """Answered after the deadline, or not answered by it."""


_OUTCOMES: dict[str, ClaimOutcome] = {o.value: o for o in ClaimOutcome}
_RESPONSES: dict[str, ResponseState] = {r.value: r for r in ResponseState}


def _outcome(value: ClaimOutcome | str) -> ClaimOutcome:
    try:
        return _OUTCOMES[value]
    except (KeyError, TypeError):
        raise ValidationError(N_("Unknown claim outcome {value!r}; use one of {allowed}."), value=value, allowed=", ".join(_OUTCOMES)) from None


def _response(value: ResponseState | str) -> ResponseState:
    try:
        return _RESPONSES[value]
    except (KeyError, TypeError):
        raise ValidationError(N_("Unknown response state {value!r}; use one of {allowed}."), value=value, allowed=", ".join(_RESPONSES)) from None


@attrs.frozen
class ClaimFact:
    """A complaint seen as a claim against the seller, as its activity log stood at ``evaluated_at``.

    Derive it with :func:`claim_from_events`; build it by hand for claims held elsewhere.
    ``order_date`` is usually unknown to the log: the claim is counted on its order's date once the
    host reports the order (until then it waits, see :meth:`ReputationAggregator.pending
    <resolvekit.reputation.ReputationAggregator.pending>`). A newer fact about the same case (higher
    ``version``, then later ``evaluated_at``) replaces the older one.
    """

    fact_id: str = attrs.field(validator=_name)
    case_id: str = attrs.field(validator=_name)
    seller_id: str = attrs.field(validator=_name)
    order_id: str = attrs.field(validator=_name)
    buyer_id: str = attrs.field(validator=_name)
    reason: str = attrs.field(validator=_name)
    opened_at: datetime = attrs.field(converter=_at)
    version: int = attrs.field(validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1)))
    evaluated_at: datetime = attrs.field(converter=_at)
    outcome: ClaimOutcome = attrs.field(default=ClaimOutcome.OPEN, converter=_outcome)
    resolved_within_72h: bool = False
    response: ResponseState = attrs.field(default=ResponseState.NOT_DUE, converter=_response)
    escalated: bool = False
    closed_at: datetime | None = attrs.field(default=None, converter=_optional_at)
    order_date: date | None = attrs.field(default=None, converter=_optional_day)

    def __attrs_post_init__(self) -> None:
        if self.resolved_within_72h and self.outcome not in (ClaimOutcome.RESOLVED_BY_SELLER, ClaimOutcome.WITHDRAWN):
            raise ValidationError(
                N_("Claim {case_id}: only a claim resolved by the seller or withdrawn can be resolved within 72 h (outcome {outcome})."),
                case_id=self.case_id,
                outcome=self.outcome.value,
            )
        if (self.outcome is ClaimOutcome.OPEN) != (self.closed_at is None):
            raise ValidationError(
                N_("Claim {case_id}: closed_at must be set exactly when the outcome is not 'open'."), case_id=self.case_id
            )

    @property
    def closed_without_seller_resolution(self) -> bool:
        """Whether the platform had to close it (the marketplace-style defect)."""
        return self.outcome is ClaimOutcome.RESOLVED_BY_PLATFORM

    def supersedes(self, other: ClaimFact) -> bool:
        """Whether this fact is newer than ``other`` about the same case."""
        return (self.version, self.evaluated_at, self.fact_id) > (other.version, other.evaluated_at, other.fact_id)

    def to_dict(self) -> dict[str, Any]:
        """The fact as JSON-ready data."""
        return {
            "fact_id": self.fact_id,
            "case_id": self.case_id,
            "seller_id": self.seller_id,
            "order_id": self.order_id,
            "buyer_id": self.buyer_id,
            "reason": self.reason,
            "opened_at": self.opened_at.isoformat(),
            "version": self.version,
            "evaluated_at": self.evaluated_at.isoformat(),
            "outcome": self.outcome.value,
            "resolved_within_72h": self.resolved_within_72h,
            "response": self.response.value,
            "escalated": self.escalated,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "order_date": None if self.order_date is None else self.order_date.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimFact:
        """Rebuild a fact written by :meth:`to_dict`."""
        closed = data.get("closed_at")
        day = data.get("order_date")
        return cls(
            fact_id=data["fact_id"],
            case_id=data["case_id"],
            seller_id=data["seller_id"],
            order_id=data["order_id"],
            buyer_id=data["buyer_id"],
            reason=data["reason"],
            opened_at=datetime.fromisoformat(data["opened_at"]),
            version=int(data["version"]),
            evaluated_at=datetime.fromisoformat(data["evaluated_at"]),
            outcome=ClaimOutcome(data["outcome"]),
            resolved_within_72h=bool(data["resolved_within_72h"]),
            response=ResponseState(data["response"]),
            escalated=bool(data["escalated"]),
            closed_at=None if closed is None else datetime.fromisoformat(closed),
            order_date=None if day is None else date.fromisoformat(day),
        )


# -- deriving claim facts from the activity log ---------------------------------------------------

_WAITING_FOR_MERCHANT = "waiting_for_merchant_response"
_RESPONSE_KINDS = frozenset({"message_added", "resolution_proposed", "complaint_disputed"})
_ACCEPT_KINDS = frozenset({"resolution_accepted", "offer_accepted"})


def _proposes(kind: str) -> bool:
    return kind == "resolution_proposed" or (kind.startswith("offer_") and kind.endswith(("proposed", "made", "created")))


def _is_response(kind: str, payload: Mapping[str, Any]) -> bool:
    if kind == "message_added":
        return not payload.get("internal") and not payload.get("automatic")
    return kind in _RESPONSE_KINDS or _proposes(kind)


def claim_from_events(
    events: Iterable[CaseEvent],
    *,
    as_of: datetime | None = None,
    policy: ReputationPolicy | None = None,
    fact_id: str | None = None,
) -> ClaimFact | None:
    """The claim fact of one complaint's activity log, judged at ``as_of``; ``None`` for a ticket.

    The rules, in the order they are applied (tolerant of event kinds added later, e.g. offers):

    * **reason** is the opening event's ``reason``; **seller** its ``store_id``; **buyer** its
      ``customer_id``.
    * **first response**: the first event by a *merchant* that the customer sees as an answer: a
      message that is neither an internal note nor marked ``automatic``, a proposal or offer, or a
      dispute. Its clock starts when the complaint first waits for the merchant (after the
      platform's review, or at once). Answered before ``response_hours`` have passed: ``in_time``;
      later, or still unanswered once they passed (at ``as_of``, or at the close): ``late``; closed
      before the deadline without an answer: ``not_due``; otherwise ``pending``.
    * **outcome** when closed: the closing event's ``outcome`` (or ``decision``) if it names a
      :class:`ClaimOutcome`; else the accepted proposal or offer decides: proposed by the merchant,
      ``resolved_by_seller``; by the platform or the system, ``resolved_by_platform``. Without an
      accepted resolution: closed by the customer, or automatically by the system after the
      customer stopped answering (``automatic: True``), ``withdrawn``; by the platform or the
      system otherwise, ``resolved_by_platform``; by the merchant, ``resolved_by_seller``.
    * **resolved within 72 h**: resolved by the seller or withdrawn, in time: as the closing event's
      ``resolved_in_time`` says when the SLA clocks annotated it (they may pause while the case
      waits for the customer), else strictly less than ``resolution_hours`` after opening (exactly
      72 h is too late: intervals are half-open).
    * **escalated**: any event whose kind mentions an escalation, or whose payload says
      ``escalated: True``.

    ``as_of`` defaults to the time of the last event; pass the current time to judge deadlines that
    passed since. The default ``fact_id`` is ``"<case id>@<version>@<as_of>"``, so judging the same
    log at the same time twice gives a duplicate (ignored), and a later judgement replaces it.
    """
    policy = policy if policy is not None else ReputationPolicy()
    log = sorted(events, key=lambda e: e.version)
    if not log:
        raise ValidationError(N_("An activity log needs at least its opening event."))
    first = log[0]
    first_kind = str(first.kind)
    if first_kind == "ticket_opened":
        return None
    if first_kind != "complaint_opened":
        raise ValidationError(N_("Case {case_id} must start with an opening event."), case_id=first.case_id)
    opening = first.payload
    order_id = opening.get("order_id")
    if not order_id:
        return None
    opened_at = utc(first.at, "at")
    when = utc(as_of, "as_of") if as_of is not None else utc(log[-1].at, "at")
    waiting_since = opened_at if opening.get("status") == _WAITING_FOR_MERCHANT else None
    proposers: dict[str, Role] = {}
    accepted: str | None = None
    first_response: datetime | None = None
    escalated = False
    closed_at: datetime | None = None
    closer: Role | None = None
    hint: object = None
    resolution: object = None
    automatic = False
    in_time: object = None
    for event in log:
        kind = str(event.kind)
        payload = event.payload
        role = event.actor.role
        at = utc(event.at, "at")
        if waiting_since is None and payload.get("status") == _WAITING_FOR_MERCHANT:
            waiting_since = at
        if "escalat" in kind or payload.get("escalated") is True:
            escalated = True
        ref = payload.get("proposal_id") or payload.get("offer_id")
        if isinstance(ref, str):
            if _proposes(kind):
                proposers.setdefault(ref, role)
            elif kind in _ACCEPT_KINDS:
                accepted = ref
        if first_response is None and role is Role.MERCHANT and _is_response(kind, payload):
            first_response = at
        if kind == "case_closed" and closed_at is None:
            closed_at, closer = at, role
            hint = payload.get("outcome") or payload.get("decision")
            resolution = payload.get("resolution")
            automatic = payload.get("automatic") is True
            in_time = payload.get("resolved_in_time")

    outcome = ClaimOutcome.OPEN
    if closed_at is not None:
        chosen = resolution if isinstance(resolution, str) else accepted
        if isinstance(hint, str) and hint in ClaimOutcome.__members__.values() and hint != ClaimOutcome.OPEN:
            outcome = ClaimOutcome(hint)
        elif chosen is not None:
            by = proposers.get(chosen, Role.MERCHANT)
            outcome = ClaimOutcome.RESOLVED_BY_SELLER if by is Role.MERCHANT else ClaimOutcome.RESOLVED_BY_PLATFORM
        elif closer is Role.CUSTOMER or (closer is Role.SYSTEM and automatic):
            outcome = ClaimOutcome.WITHDRAWN
        elif closer is Role.MERCHANT:
            outcome = ClaimOutcome.RESOLVED_BY_SELLER
        else:
            outcome = ClaimOutcome.RESOLVED_BY_PLATFORM

    within = (
        closed_at is not None
        and outcome in (ClaimOutcome.RESOLVED_BY_SELLER, ClaimOutcome.WITHDRAWN)
        and (in_time if isinstance(in_time, bool) else closed_at - opened_at < timedelta(hours=policy.resolution_hours))
    )

    response = ResponseState.NOT_DUE
    if first_response is not None:
        deadline_passed = waiting_since is not None and first_response - waiting_since >= timedelta(hours=policy.response_hours)
        response = ResponseState.LATE if deadline_passed else ResponseState.IN_TIME
    elif waiting_since is not None:
        deadline = waiting_since + timedelta(hours=policy.response_hours)
        if closed_at is not None:
            response = ResponseState.NOT_DUE if closed_at < deadline else ResponseState.LATE
        else:
            response = ResponseState.LATE if when >= deadline else ResponseState.PENDING

    version = log[-1].version
    return ClaimFact(
        fact_id=fact_id if fact_id is not None else f"{first.case_id}@{version}@{when.astimezone(UTC).isoformat()}",
        case_id=first.case_id,
        seller_id=str(opening["store_id"]),
        order_id=str(order_id),
        buyer_id=str(opening["customer_id"]),
        reason=str(opening.get("reason") or "other"),
        opened_at=opened_at,
        version=version,
        evaluated_at=when,
        outcome=outcome,
        resolved_within_72h=within,
        response=response,
        escalated=escalated,
        closed_at=closed_at,
    )


def claims_from_logs(
    logs: Iterable[Iterable[CaseEvent]], *, as_of: datetime | None = None, policy: ReputationPolicy | None = None
) -> list[ClaimFact]:
    """:func:`claim_from_events` for many logs; tickets and complaints without an order are skipped."""
    facts = []
    for log in logs:
        fact = claim_from_events(log, as_of=as_of, policy=policy)
        if fact is not None:
            facts.append(fact)
    return facts
