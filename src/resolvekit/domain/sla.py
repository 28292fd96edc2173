"""SLA clocks, pause rules and the agenda of time-based actions, as pure functions of a case's log.

A case runs several **independent clocks** (DOMAIN section 5): first response, next response
(re-armed each time the customer writes), resolution, the 48 h inquiry-to-claim rule, the platform's
follow-up after an escalation, and any clock a host adds. Each clock is a :class:`ClockPolicy` in
:class:`SlaPolicy`; its state (:class:`Clock`) is folded from the case's events by :func:`track`:

* it **starts** on an event matching one of its ``starts_on`` triggers and is **met** by one of its
  ``met_on`` triggers; closing the case stops every clock (and meets those met by ``"closed"``);
* it **pauses** while the case is in one of its ``paused_in`` statuses (by default while the case waits
  for the customer); the paused working time is kept in ``paused_for``, apart from the deadline,
  which is always recomputed as ``calendar.add(started_at, duration + paused_for)`` so a
  recomputation never loses a pause;
* it is **breached** when it is met at or after its deadline, or when a sweep recorded the breach
  (a ``clock_breached`` event); a breached clock stays breached.

:func:`agenda` lists what is due next for a case (warnings, breaches, automatic escalations, the
auto-close warning and the auto-close itself); the earliest one is the case's *next deadline*, the
value storage backends index so a sweep reads only what is due.

Triggers are event kind values (``"review_passed"``, ``"offer_rejected"``, ...) or these names:

``opened``             the case was opened
``customer_message``   the customer wrote (a ``response_events`` event, not an internal note)
``staff_response``     the merchant or the platform answered publicly (a ``response_events`` event);
                       an automatic reply by the ``system`` actor does not count (DOMAIN section 5)
``merchant_response``  the same, by the merchant only
``platform_response``  the same, by the platform only
``closed``             the case was closed
``escalated``          the case was escalated to the platform
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import attrs

from resolvekit._i18n import N_
from resolvekit.domain._build import frozen_builder
from resolvekit.domain.actors import Role
from resolvekit.domain.calendars import ALWAYS, Calendar, DeadlineExplanation
from resolvekit.domain.events import CaseEvent, new_event
from resolvekit.errors import ConfigurationError

__all__ = [
    "Action",
    "CASE_KINDS",
    "CLOCK_LABELS",
    "Clock",
    "ClockPolicy",
    "DEFAULT_CLOCKS",
    "ESCALATION_REASONS",
    "SLA_EVENTS",
    "SlaPolicy",
    "SlaState",
    "agenda",
    "annotate",
    "due_actions",
    "explain",
    "next_deadline",
    "resolved_in_time",
    "sla_params",
    "track",
]

CASE_KINDS: frozenset[str] = frozenset({"complaint", "ticket"})
"""The case kinds a clock may apply to."""

ESCALATION_REASONS: Mapping[str, str] = {
    "requested": N_("escalation requested"),
    "clock_breached": N_("a deadline was missed"),
    "rejected_offers": N_("repeated rejected offers"),
    "safety_issue": N_("a safety issue was reported"),
    "policy_dispute": N_("a policy is disputed"),
    "unresponsive": N_("the other side is unresponsive"),
}
"""Why a case was escalated -> the words notifications and views use for it."""

CLOCK_LABELS: Mapping[str, str] = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
    "inquiry_to_claim": N_("inquiry answered before it becomes a claim"),
    "escalation_follow_up": N_("platform follow-up after escalation"),
}
"""Labels of the built-in clocks (a host's clock shows its ``label`` or its name)."""

SLA_EVENTS: frozenset[str] = frozenset({"case_escalated", "clock_breached", "deadline_warning", "auto_close_warned"})
"""Event kinds whose notifications take their parameters from :func:`sla_params`."""

_KINDS_OPENED = frozenset({"complaint_opened", "ticket_opened"})
_WAITING_FOR_CUSTOMER = frozenset({"waiting_for_customer_response"})


def sla_params(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Notification parameters of an SLA event: reference, reason and clock labels, deadlines."""
    clock = payload.get("clock")
    reason = payload.get("reason")
    return {
        "reference": payload.get("reference") or "",
        "reason_label": ESCALATION_REASONS.get(reason, reason or "") if isinstance(reason, str) else "",
        "clock_label": CLOCK_LABELS.get(clock, clock) if isinstance(clock, str) else "",
        "deadline": payload.get("deadline") or "",
        "closes_at": payload.get("closes_at") or "",
    }


# -- policy -----------------------------------------------------------------------------------------


def _name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(N_("{field} must be a non-empty name, got {value!r}."), field=attribute.name, value=value)


def _positive_duration(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta):
        raise ConfigurationError(N_("{field} must be a timedelta, got {value!r}."), field=attribute.name, value=value)
    if value <= timedelta(0):
        raise ConfigurationError(
            N_("{field} must be a positive duration, got {value}; negative or zero durations make no deadline."),
            field=attribute.name,
            value=str(value),
        )


def _optional_positive_duration(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _positive_duration(owner, attribute, value)


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    names = frozenset(value)
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigurationError(N_("Triggers and statuses are non-empty names, got {value!r}."), value=sorted(map(str, names)))
    return names


def _non_empty(_: object, attribute: attrs.Attribute[frozenset[str]], value: frozenset[str]) -> None:
    if not value:
        raise ConfigurationError(N_("{field} needs at least one trigger."), field=attribute.name)


def _kinds(_: object, attribute: attrs.Attribute[frozenset[str]], value: frozenset[str]) -> None:
    if not value or not value <= CASE_KINDS:
        raise ConfigurationError(N_("A clock applies to 'complaint' and/or 'ticket' cases, got {value!r}."), value=sorted(value))


def _calendar(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Calendar):
        raise ConfigurationError(
            N_("{field} must be a calendar (resolvekit.ALWAYS or a BusinessCalendar), got {value!r}."), field=attribute.name, value=value
        )


@attrs.frozen
class ClockPolicy:
    """One SLA clock: when it starts, what meets it, how long it runs and where it pauses.

    Attributes:
        name: the clock's name, unique in the policy (``"first_response"``).
        duration: working time (on ``calendar``) from start to deadline; positive.
        starts_on: triggers that start the clock (see the module documentation).
        met_on: triggers that meet (stop in time, or late) the clock.
        kinds: case kinds the clock applies to.
        paused_in: case statuses in which the clock pauses. Default: while the case waits for the
            customer.
        calendar: how working time is counted. Default: 24/7 (weekends and holidays included).
        rearm: after being met, the next start trigger starts the clock again (a new cycle).
        requires_met: the clock starts only after the named clock has been met once.
        warn_before: send a warning this long (wall time) before the deadline, or ``None``.
        escalate_on_breach: a breach escalates the case to the platform.
        label: a gettext id naming the clock for people (default: :data:`CLOCK_LABELS` or the name).
    """

    name: str = attrs.field(validator=_name)
    duration: timedelta = attrs.field(validator=_positive_duration)
    starts_on: frozenset[str] = attrs.field(converter=_names, validator=_non_empty)
    met_on: frozenset[str] = attrs.field(converter=_names, validator=_non_empty)
    kinds: frozenset[str] = attrs.field(default=CASE_KINDS, converter=_names, validator=_kinds)
    paused_in: frozenset[str] = attrs.field(default=_WAITING_FOR_CUSTOMER, converter=_names)
    calendar: Calendar = attrs.field(default=ALWAYS, validator=_calendar)
    rearm: bool = False
    requires_met: str | None = None
    warn_before: timedelta | None = attrs.field(default=None, validator=_optional_positive_duration)
    escalate_on_breach: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        """The gettext id naming this clock for people."""
        return self.label or CLOCK_LABELS.get(self.name, self.name)


DEFAULT_CLOCKS: tuple[ClockPolicy, ...] = (
    ClockPolicy(
        "first_response",
        timedelta(hours=24),
        starts_on={"review_passed", "ticket_opened"},
        met_on={"staff_response"},
        warn_before=timedelta(hours=4),
    ),
    ClockPolicy(
        "next_response",
        timedelta(hours=24),
        starts_on={"customer_message"},
        met_on={"staff_response"},
        rearm=True,
        requires_met="first_response",
        warn_before=timedelta(hours=4),
    ),
    ClockPolicy("resolution", timedelta(hours=72), starts_on={"complaint_opened"}, met_on={"closed"}, kinds={"complaint"}),
    ClockPolicy(
        "inquiry_to_claim",
        timedelta(hours=48),
        starts_on={"ticket_opened"},
        met_on={"staff_response"},
        kinds={"ticket"},
        escalate_on_breach=True,
    ),
    ClockPolicy(
        "escalation_follow_up",
        timedelta(hours=48),
        starts_on={"escalated"},
        met_on={"platform_response"},
        paused_in=frozenset(),
    ),
)
"""The built-in clocks (DOMAIN section 5): respond within 24 h (weekends and holidays included), and
again within 24 h each time the customer writes; resolve a complaint within 72 h; an inquiry
(ticket) unanswered for 48 h becomes a claim (escalates); the platform follows up an escalation
within 48 h. All 24/7, all paused while the case waits for the customer (except the follow-up)."""


def _clocks(value: Iterable[ClockPolicy]) -> tuple[ClockPolicy, ...]:
    clocks = tuple(value)
    names = [c.name for c in clocks if isinstance(c, ClockPolicy)]
    if len(names) != len(clocks):
        raise ConfigurationError(N_("SlaPolicy.clocks holds ClockPolicy values only."))
    if len(set(names)) != len(names):
        raise ConfigurationError(N_("Two SLA clocks share a name; clock names must be unique, got {names}."), names=", ".join(names))
    for clock in clocks:
        if clock.requires_met is not None and clock.requires_met not in names:
            raise ConfigurationError(
                N_("Clock {clock!r} requires clock {other!r}, which the policy does not define."), clock=clock.name, other=clock.requires_met
            )
    return clocks


def _roles(value: Iterable[Role | str]) -> frozenset[Role]:
    try:
        return frozenset(Role(v) for v in value)
    except ValueError as exc:
        raise ConfigurationError(N_("Unknown role in SlaPolicy: {reason}"), reason=str(exc)) from None


def _optional_count(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigurationError(N_("SlaPolicy.{field} must be a positive whole number or None, got {value!r}."), field=attribute.name, value=value)


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(N_("SlaPolicy.{field} must be a duration of zero or more, got {value!r}."), field=attribute.name, value=value)


@attrs.frozen
class SlaPolicy:
    """Deadlines, escalation and auto-close rules (the ``sla`` setting of :class:`~resolvekit.Policy`).

    Attributes:
        clocks: the SLA clocks (default :data:`DEFAULT_CLOCKS`). Add a host clock with
            ``SlaPolicy(clocks=(*DEFAULT_CLOCKS, ClockPolicy(...)))``.
        calendar: the business calendar for warnings, unresponsiveness and auto-close.
            Default: 24/7.
        warnings_in_working_time_only: deadline and auto-close warnings go out only inside
            ``calendar``'s working time (a warning due at night waits for the morning). Default: off.
        escalators: roles that may escalate a case to the platform. Default: all four.
        rejected_offers_before_escalation: this many rejected offers escalate the case
            automatically; ``None`` turns the rule off. Default: 3.
        unresponsive_after: a case that has waited this long (on ``calendar``) in one of
            ``unresponsive_statuses`` for the side it waits on escalates automatically; ``None``
            turns it off. Default: 3 days (the seller's 3 calendar days to answer the platform).
        unresponsive_statuses: statuses in which the case waits on one side. Statuses where
            auto-close applies are left to the auto-close rule when it is on.
        auto_close_after: close a case automatically after this much inactivity (on
            ``calendar``) in ``auto_close_statuses``; ``None`` (the default) never does. Other
            marketplaces close after 21 business days.
        auto_close_warning: how long before the automatic close the customer is warned; the close
            never happens sooner than this after the warning. Default: 2 days.
        auto_close_statuses: statuses in which a case may close automatically (the lifecycle
            allows ``auto_close`` only from these). Default: waiting for the customer.
        response_events: event kinds that count as a message or response when written publicly
            by a person (see the ``customer_message`` and ``staff_response`` triggers).
        rejected_offer_events: event kinds that count as a rejected offer.
        resolution_clock: the clock whose result is recorded on a closed case as
            ``resolved_in_time`` (the 72 h rule that keeps a claim out of the reputation). Default:
            ``"resolution"``; ``None`` records nothing.
    """

    clocks: tuple[ClockPolicy, ...] = attrs.field(default=DEFAULT_CLOCKS, converter=_clocks)
    calendar: Calendar = attrs.field(default=ALWAYS, validator=_calendar)
    warnings_in_working_time_only: bool = False
    escalators: frozenset[Role] = attrs.field(default=frozenset(Role), converter=_roles)
    rejected_offers_before_escalation: int | None = attrs.field(default=3, validator=_optional_count)
    unresponsive_after: timedelta | None = attrs.field(default=timedelta(days=3), validator=_optional_positive_duration)
    unresponsive_statuses: frozenset[str] = attrs.field(
        default=frozenset({"waiting_for_merchant_response", "under_merchant_review", "waiting_for_customer_response"}),
        converter=_names,
    )
    auto_close_after: timedelta | None = attrs.field(default=None, validator=_optional_positive_duration)
    auto_close_warning: timedelta = attrs.field(default=timedelta(days=2), validator=_non_negative)
    auto_close_statuses: frozenset[str] = attrs.field(default=_WAITING_FOR_CUSTOMER, converter=_names)
    response_events: frozenset[str] = attrs.field(
        default=frozenset({"message_added", "offer_proposed", "complaint_disputed"}), converter=_names
    )
    rejected_offer_events: frozenset[str] = attrs.field(default=frozenset({"offer_rejected"}), converter=_names)
    resolution_clock: str | None = "resolution"
    _by_name: dict[str, ClockPolicy] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _warn_before: dict[str, timedelta] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _by_kind: dict[str, tuple[tuple[ClockPolicy, ...], tuple[tuple[int, ...] | None, ...], tuple[Clock, ...]]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _triggers: dict[tuple[str, Role, bool], frozenset[str]] = attrs.field(init=False, eq=False, hash=False, repr=False, factory=dict)
    _effects: dict[tuple[str, str, Role, bool], _Effect] = attrs.field(init=False, eq=False, hash=False, repr=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.clocks})
        object.__setattr__(self, "_warn_before", {c.name: c.warn_before for c in self.clocks if c.warn_before is not None})
        by_kind = {}
        for kind in CASE_KINDS:
            plans = tuple(c for c in self.clocks if kind in c.kinds)
            requires = tuple(
                None if p.requires_met is None else tuple(i for i, q in enumerate(plans) if q.name == p.requires_met) for p in plans
            )
            by_kind[kind] = (plans, requires, tuple(Clock(p.name) for p in plans))
        object.__setattr__(self, "_by_kind", by_kind)
        if self.resolution_clock is not None and self.clock(self.resolution_clock) is None:
            raise ConfigurationError(
                N_("SlaPolicy.resolution_clock names {clock!r}, which is not one of its clocks."), clock=self.resolution_clock
            )

    def clock(self, name: str) -> ClockPolicy | None:
        """The clock called ``name``, or ``None``."""
        return self._by_name.get(name)


# -- state ------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@attrs.frozen
class Clock:
    """One clock of one case, as its events fold it (one *cycle*; re-armed clocks start new ones).

    ``deadline`` is ``None`` before the clock starts and while it is paused (the pause is still
    growing); ``paused_for`` is the working time spent paused in this cycle, already added to the
    deadline. ``breached`` stays ``True`` once set; ``breaches`` counts breached cycles.
    """

    name: str
    cycle: int = 0
    started_at: datetime | None = None
    deadline: datetime | None = None
    paused_for: timedelta = timedelta(0)
    paused_since: datetime | None = None
    pauses: int = 0
    met_at: datetime | None = None
    stopped_at: datetime | None = None
    breached: bool = False
    breach_recorded: bool = False
    warned: bool = False
    met_count: int = 0
    breaches: int = 0

    @property
    def running(self) -> bool:
        """Started, and neither met nor stopped (paused clocks are running)."""
        return self.cycle > 0 and self.met_at is None and self.stopped_at is None

    @property
    def status(self) -> str:
        """``"idle"``, ``"running"``, ``"paused"``, ``"met"`` or ``"stopped"`` (see also ``breached``)."""
        if self.cycle == 0:
            return "idle"
        if self.met_at is not None:
            return "met"
        if self.stopped_at is not None:
            return "stopped"
        return "paused" if self.paused_since is not None else "running"

    def is_breached(self, now: datetime) -> bool:
        """Breached already, or running past its deadline at ``now`` (half-open: at the deadline is late)."""
        return self.breached or (self.running and self.deadline is not None and now >= self.deadline)

    def to_dict(self) -> dict[str, Any]:
        """The clock as JSON-ready data."""
        return {
            "name": self.name,
            "status": self.status,
            "cycle": self.cycle,
            "started_at": _iso(self.started_at),
            "deadline": _iso(self.deadline),
            "paused_seconds": self.paused_for.total_seconds(),
            "paused_since": _iso(self.paused_since),
            "pauses": self.pauses,
            "met_at": _iso(self.met_at),
            "stopped_at": _iso(self.stopped_at),
            "breached": self.breached,
            "breaches": self.breaches,
        }


@attrs.frozen
class SlaState:
    """What the SLA rules know about one case after folding its events (see :func:`track`).

    ``status_since`` is when the case entered its current status; ``last_activity_at`` the time of
    the last event by a person (not the ``system``); ``rejections_reached_at`` when the rejected
    offers reached the policy's count.
    """

    case_id: str
    kind: str
    version: int
    status: str
    status_since: datetime
    last_activity_at: datetime
    clocks: tuple[Clock, ...]
    escalated_at: datetime | None = None
    rejected_offers: int = 0
    rejections_reached_at: datetime | None = None
    auto_close_warned_at: datetime | None = None
    closed_at: datetime | None = None

    def clock(self, name: str) -> Clock | None:
        """The clock called ``name``, or ``None`` when it does not apply to this case."""
        for clock in self.clocks:
            if clock.name == name:
                return clock
        return None


# -- building states fast ---------------------------------------------------------------------------
#
# Folding a command's events builds a Clock for each clock the events change and one SlaState; their
# frozen constructors were most of the cost of the fold. These build the same objects positionally
# (every field, in order) without that overhead (see resolvekit.domain._build).

_clock: Callable[..., Clock] = frozen_builder(Clock)
_state: Callable[..., SlaState] = frozen_builder(SlaState)


@attrs.frozen
class Action:
    """A time-based step the SLA rules call for, due at ``at``.

    ``kind`` is ``"warn"`` (deadline warning), ``"breach"`` (record a missed deadline),
    ``"escalate"`` (``reason`` says why), ``"auto_close_warning"`` or ``"auto_close"``. ``deadline`` is
    the deadline concerned (the clock's, or when the case closes by itself).
    """

    kind: str
    at: datetime
    clock: str | None = None
    cycle: int = 0
    reason: str | None = None
    deadline: datetime | None = None

    def key(self, case_id: str) -> str:
        """An idempotency key for this step on ``case_id``: derived from (case, clock, deadline)."""
        when = (self.deadline or self.at).isoformat()
        return f"sla:{case_id}:{self.kind}:{self.clock or self.reason or ''}:{self.cycle}:{when}"


# -- folding ----------------------------------------------------------------------------------------

_BOOKKEEPING = frozenset({"clock_breached", "deadline_warning"})
_ZERO = timedelta(0)
_SYSTEM = Role.SYSTEM  # (looking a member up on an Enum class costs more than a global)


def _triggers(kind: str, role: Role, internal: bool, policy: SlaPolicy) -> frozenset[str]:
    """The trigger names an event of ``kind`` by ``role`` (an internal note or not) stands for."""
    key = (kind, role, internal)
    known = policy._triggers.get(key)
    if known is not None:
        return known
    names = {kind}
    if kind in _KINDS_OPENED:
        names.add("opened")
    elif kind == "case_closed":
        names.add("closed")
    elif kind == "case_escalated":
        names.add("escalated")
    if kind in policy.response_events and not internal:
        if role is Role.CUSTOMER:
            names.add("customer_message")
        elif role is Role.MERCHANT:
            names.add("staff_response")
            names.add("merchant_response")
        elif role is Role.PLATFORM:
            names.add("staff_response")
            names.add("platform_response")
    result = policy._triggers[key] = frozenset(names)
    return result


class _Effect(NamedTuple):
    """Which clocks of ``plans`` an event (of one kind, by one role, internal or not) starts or meets.

    Derived from the policy once per case kind and kept in ``SlaPolicy._effects``, so folding an
    event reads a flag per clock instead of intersecting its triggers with the clock's.
    """

    plans: tuple[ClockPolicy, ...]
    """The clocks the flags are for (the flags hold for this very tuple only)."""
    starts: tuple[bool, ...]
    """Per clock: the event starts it, when it is idle (or done and re-armed). Never on closing."""
    meets: tuple[bool, ...]
    """Per clock: the event meets it, when it is running."""
    closing: bool
    """The event closes the case (every running clock stops)."""
    bookkeeping: bool
    """The event records a clock's breach or warning (:func:`_record`)."""
    tally: str | None
    """Which case-level fact the event sets besides closing it: ``"escalated"``, ``"rejected"`` (an
    offer rejection that counts towards escalation), ``"warned"`` (the auto-close warning) or ``None``."""


def _effect(case_kind: str, kind: str, role: Role, internal: bool, plans: tuple[ClockPolicy, ...], policy: SlaPolicy) -> _Effect:
    """The :class:`_Effect` of an event on ``plans`` (cached when they are the policy's clocks for ``case_kind``)."""
    key = (case_kind, kind, role, internal)
    known = policy._effects.get(key)
    if known is not None and known.plans is plans:
        return known
    names = _triggers(str(kind), role, internal, policy)
    closing = kind == "case_closed"
    tally = (
        "escalated" if kind == "case_escalated"
        else "rejected" if kind in policy.rejected_offer_events
        else "warned" if kind == "auto_close_warned"
        else None
    )  # fmt: skip
    effect = _Effect(
        plans,
        tuple(not closing and not p.starts_on.isdisjoint(names) for p in plans),
        tuple(not p.met_on.isdisjoint(names) for p in plans),
        closing,
        kind in _BOOKKEEPING,
        tally,
    )
    own = policy._by_kind.get(case_kind)
    if own is not None and own[0] is plans:
        policy._effects[key] = effect
    return effect


def _start(c: Clock, p: ClockPolicy, at: datetime, status: str) -> Clock:
    """A new cycle of ``c`` (idle, or done and re-armed) from ``at``; paused at once in a pause status."""
    deadline = p.calendar.add(at, p.duration)
    if status in p.paused_in:
        return _clock(c.name, c.cycle + 1, at, None, _ZERO, at, 1, None, None, False, False, False, c.met_count, c.breaches)
    return _clock(c.name, c.cycle + 1, at, deadline, _ZERO, None, 0, None, None, False, False, False, c.met_count, c.breaches)


def _run(c: Clock, p: ClockPolicy, at: datetime, status: str, met: bool, closing: bool) -> Clock:
    """``c`` (running) after an event at ``at`` that leaves the case in ``status``.

    The clock resumes when the case leaves its pause statuses (or when it is met or stopped while
    paused), pauses when the case enters one, is met when ``met`` (the event is one of its
    ``met_on`` triggers) and stops when the case closes; it is returned as it is when none applies.
    Met or stopped at or after its deadline, it is breached.
    """
    started_at, deadline, paused_for, paused_since = c.started_at, c.deadline, c.paused_for, c.paused_since
    assert started_at is not None
    if paused_since is not None and (met or closing or status not in p.paused_in):  # resume
        paused_for += p.calendar.working_time_between(paused_since, at)
        paused_since = None
        deadline = p.calendar.add(started_at, p.duration + paused_for)
    if met or closing:
        breached, breaches = c.breached, c.breaches
        if deadline is not None and at >= deadline and not breached:  # late
            breached, breaches = True, breaches + 1
        met_at, stopped_at, met_count = (at, None, c.met_count + 1) if met else (None, at, c.met_count)
        return _clock(
            c.name, c.cycle, started_at, deadline, paused_for, None, c.pauses, met_at, stopped_at, breached, c.breach_recorded, c.warned, met_count, breaches
        )  # fmt: skip
    if paused_since is None and status in p.paused_in:  # pause: no deadline until it resumes
        return _clock(
            c.name, c.cycle, started_at, None, paused_for, at, c.pauses + 1, None, None, c.breached, c.breach_recorded, c.warned, c.met_count, c.breaches
        )  # fmt: skip
    if paused_since is not c.paused_since:  # resumed above
        return _clock(
            c.name, c.cycle, started_at, deadline, paused_for, None, c.pauses, None, None, c.breached, c.breach_recorded, c.warned, c.met_count, c.breaches
        )  # fmt: skip
    return c


def _record(c: Clock, kind: str, payload: Mapping[str, Any]) -> Clock:
    """``c`` after a ``clock_breached`` or ``deadline_warning`` event, which concerns it when it names
    the clock and its current cycle: the breach is recorded (and counted once), or the warning noted."""
    if payload.get("clock") != c.name or payload.get("cycle") != c.cycle:
        return c
    if kind == "clock_breached":
        return attrs.evolve(c, breached=True, breach_recorded=True, breaches=c.breaches if c.breached else c.breaches + 1)
    return attrs.evolve(c, warned=True)


def _plans(state: SlaState, policy: SlaPolicy) -> tuple[tuple[ClockPolicy, ...], tuple[tuple[int, ...] | None, ...]]:
    """The policy of each clock of ``state`` and, per clock, the indexes of the clocks it requires met.

    Usually the policy's own clocks for the case kind (their names are checked as events are folded);
    a state tracked under another policy is matched by name.
    """
    known = policy._by_kind.get(state.kind)
    if known is not None and len(known[0]) == len(state.clocks):
        return known[0], known[1]
    plans = []
    for clock in state.clocks:
        plan = policy.clock(clock.name)
        if plan is None:
            raise ConfigurationError(
                N_("The SLA state has a clock {clock!r} the policy does not define; track the case again."), clock=clock.name
            )
        plans.append(plan)
    requires = tuple(
        None if p.requires_met is None else tuple(i for i, q in enumerate(plans) if q.name == p.requires_met) for p in plans
    )
    return tuple(plans), requires


def track(events: Iterable[CaseEvent], policy: SlaPolicy, state: SlaState | None = None) -> SlaState:
    """Fold ``events`` into the SLA state of their case (``state`` is the state before them).

    Pure: the same log and policy give the same state, whatever was computed before, so the state
    can always be rebuilt from the log (with a new policy, too: pauses are kept apart).
    """
    if not isinstance(events, (list, tuple)):
        events = list(events)
    if not events:
        if state is None:
            raise ConfigurationError(N_("SLA tracking needs at least the opening event of a case."))
        return state
    if state is None:  # a new case: every clock that applies to its kind, idle
        first = events[0]
        opened = str(first.kind)
        case_id, case_kind = first.case_id, opened[: -len("_opened")] if opened.endswith("_opened") else opened
        plans, requires, clocks = policy._by_kind.get(case_kind) or ((), (), ())
        status, status_since, last_activity = str(first.payload.get("status", "")), first.at, first.at
        escalated_at, rejected, reached, warned_at, closed_at = None, 0, None, None, None
        version = 0
    else:
        case_id, case_kind, version, clocks = state.case_id, state.kind, state.version, state.clocks
        own = policy._by_kind.get(case_kind)
        if own is not None and len(own[0]) == len(clocks):  # the policy's clocks (names are checked below)
            plans, requires = own[0], own[1]
        else:
            plans, requires = _plans(state, policy)
        status, status_since, last_activity = state.status, state.status_since, state.last_activity_at
        escalated_at, rejected, reached = state.escalated_at, state.rejected_offers, state.rejections_reached_at
        warned_at, closed_at = state.auto_close_warned_at, state.closed_at
    threshold = policy.rejected_offers_before_escalation
    effects = policy._effects
    folded = list(clocks)  # the clocks as the events fold them (a clock an event leaves as it is stays the same object)
    for event in events:
        version, at, kind, role, payload = event.version, event.at, event.kind, event.actor.role, event.payload
        internal = bool(payload.get("internal"))
        effect = effects.get((case_kind, kind, role, internal))
        if effect is None or effect[0] is not plans:
            effect = _effect(case_kind, kind, role, internal, plans, policy)
        # (unpacked: a named tuple's fields are read through descriptors the interpreter does not speed up)
        _, starts, meets, closing, bookkeeping, tally = effect
        new_status = payload.get("status")
        if new_status is not None and new_status != status:
            status, status_since = str(new_status), at
        if role is not _SYSTEM:
            last_activity = at
            warned_at = None
        for index, clock in enumerate(folded):
            plan = plans[index]
            if plan.name != clock.name:
                raise ConfigurationError(
                    N_("The SLA state has a clock {clock!r} the policy does not define; track the case again."), clock=clock.name
                )
            if clock.cycle and clock.met_at is None and clock.stopped_at is None:  # running: pause, resume, meet, stop?
                met = meets[index]
                if not (closing or bookkeeping or met or (clock.paused_since is not None) != (status in plan.paused_in)):
                    continue
                clock = _run(clock, plan, at, status, met, closing)
            elif starts[index] and (not clock.cycle or plan.rearm):  # idle or done, and this event starts it
                needed = requires[index]
                if needed is not None and not clock.cycle and not all(folded[i].met_count for i in needed):
                    continue  # the clock it follows has never been met
                clock = _start(clock, plan, at, status)
            else:
                continue
            folded[index] = _record(clock, kind, payload) if bookkeeping else clock
        if closing:
            closed_at = at
        if tally is None:
            continue
        if tally == "escalated":
            if escalated_at is None:
                escalated_at = at
        elif tally == "rejected":
            rejected += 1
            if threshold is not None and rejected >= threshold and reached is None:
                reached = at
        else:  # warned
            warned_at = at
    return _state(
        case_id, case_kind, version, status, status_since, last_activity, tuple(folded), escalated_at, rejected, reached, warned_at, closed_at
    )


# -- what is due ------------------------------------------------------------------------------------

_Step = tuple[datetime, str, "str | None", int, "str | None", "datetime | None"]


def _warning(clock: Clock, deadline: datetime, warn_before: timedelta, policy: SlaPolicy) -> datetime | None:
    """When ``clock`` (running, its ``deadline`` pending, not warned yet) warns ``warn_before`` ahead,
    or ``None`` when that is not before the deadline."""
    assert clock.started_at is not None
    warn_at = max(deadline - warn_before, clock.started_at)
    if policy.warnings_in_working_time_only:
        warn_at = policy.calendar.next_working(warn_at)
    return warn_at if warn_at < deadline else None


def _case_steps(state: SlaState, policy: SlaPolicy) -> list[_Step]:
    """The pending steps of an open case that are not a clock's: automatic escalations and close."""
    if state.escalated_at is not None:
        return []  # an escalated case is the platform's: no automatic escalation or close
    items: list[_Step] = []
    calendar = policy.calendar
    auto_close = policy.auto_close_after is not None and state.status in policy.auto_close_statuses
    if state.rejections_reached_at is not None:
        items.append((state.rejections_reached_at, "escalate", None, 0, "rejected_offers", None))
    if policy.unresponsive_after is not None and not auto_close and state.status in policy.unresponsive_statuses:
        at = calendar.add(state.status_since, policy.unresponsive_after)
        items.append((at, "escalate", None, 0, "unresponsive", at))
    if auto_close:
        assert policy.auto_close_after is not None
        close_at = calendar.add(state.last_activity_at, policy.auto_close_after)
        if state.auto_close_warned_at is None:
            warn_at = max(close_at - policy.auto_close_warning, state.last_activity_at)
            if policy.warnings_in_working_time_only:
                warn_at = calendar.next_working(warn_at)
            items.append((warn_at, "auto_close_warning", None, 0, None, close_at))
        else:
            items.append((max(close_at, state.auto_close_warned_at + policy.auto_close_warning), "auto_close", None, 0, None, close_at))
    return items


def _steps(state: SlaState, policy: SlaPolicy) -> list[_Step]:
    """The pending steps as ``(at, kind, clock, cycle, reason, deadline)`` tuples, unordered."""
    if state.closed_at is not None:
        return []
    items: list[_Step] = []
    warns = policy._warn_before
    for clock in state.clocks:
        deadline = clock.deadline
        if deadline is None or clock.breach_recorded or clock.met_at is not None or clock.stopped_at is not None:
            continue
        items.append((deadline, "breach", clock.name, clock.cycle, None, deadline))
        warn_before = warns.get(clock.name)
        if warn_before is not None and not clock.warned:
            warn_at = _warning(clock, deadline, warn_before, policy)
            if warn_at is not None:
                items.append((warn_at, "warn", clock.name, clock.cycle, None, deadline))
    items.extend(_case_steps(state, policy))
    return items


def agenda(state: SlaState, policy: SlaPolicy) -> tuple[Action, ...]:
    """Every pending time-based step of the case, earliest first (empty once it is closed).

    An escalated case is left to the platform: it gets no automatic escalation or auto-close, but
    its clocks still warn and record breaches.
    """
    steps = sorted(_steps(state, policy), key=lambda s: s[0])
    return tuple(Action(kind, at, clock, cycle, reason, deadline) for at, kind, clock, cycle, reason, deadline in steps)


def next_deadline(state: SlaState, policy: SlaPolicy) -> datetime | None:
    """When the case next needs the sweep (its earliest agenda step), or ``None``."""
    # The earliest of _steps() without listing them; on ties, the first one (as min() picks it).
    if state.closed_at is not None:
        return None
    earliest: datetime | None = None
    warns = policy._warn_before
    for clock in state.clocks:
        deadline = clock.deadline
        if deadline is None or clock.breach_recorded or clock.met_at is not None or clock.stopped_at is not None:
            continue
        if earliest is None or deadline < earliest:
            earliest = deadline
        warn_before = warns.get(clock.name)
        if warn_before is not None and not clock.warned:
            warn_at = _warning(clock, deadline, warn_before, policy)
            if warn_at is not None and warn_at < earliest:
                earliest = warn_at
    for step in _case_steps(state, policy):
        if earliest is None or step[0] < earliest:
            earliest = step[0]
    return earliest


def due_actions(state: SlaState, policy: SlaPolicy, now: datetime) -> tuple[Action, ...]:
    """The agenda steps due at ``now``, in the order a sweep takes them.

    A warning whose deadline has already passed is dropped (the breach says it all), and when
    ``warnings_in_working_time_only`` is set, warnings wait while ``now`` is outside working time.
    """
    due = [a for a in agenda(state, policy) if a.at <= now]
    breached = {(a.clock, a.cycle) for a in due if a.kind == "breach"}
    quiet = policy.warnings_in_working_time_only and not policy.calendar.is_working(now)
    result = []
    for action in due:
        if action.kind == "warn" and ((action.clock, action.cycle) in breached or quiet):
            continue
        if action.kind == "auto_close_warning" and quiet:
            continue
        result.append(action)
    return tuple(result)


def resolved_in_time(state: SlaState, policy: SlaPolicy) -> bool | None:
    """Whether the resolution clock was met before its deadline (``None`` when it does not apply)."""
    if policy.resolution_clock is None:
        return None
    clock = state.clock(policy.resolution_clock)
    if clock is None or clock.cycle == 0:
        return None
    return clock.met_at is not None and not clock.breached


def annotate(events: Sequence[CaseEvent], state: SlaState, policy: SlaPolicy) -> list[CaseEvent]:
    """Record the SLA facts on the events before they are committed.

    A ``case_closed`` event gets ``payload["resolved_in_time"]`` (the 72 h fact reputation reads),
    computed from ``state``, the SLA state after the events.
    """
    result = list(events)
    if state.closed_at is None:
        return result  # no event closed the case (folding one sets ``closed_at``)
    for index, event in enumerate(result):
        if event.kind == "case_closed" and "resolved_in_time" not in event.payload:
            payload = {**event.payload, "resolved_in_time": resolved_in_time(state, policy)}
            result[index] = new_event(event.case_id, event.version, event.kind, event.actor, event.at, payload)
    return result


def explain(clock: Clock, policy: SlaPolicy) -> DeadlineExplanation | None:
    """How ``clock``'s deadline was computed (``None`` before it starts or while it is paused)."""
    clock_policy = policy.clock(clock.name)
    if clock_policy is None or clock.started_at is None or clock.deadline is None:
        return None
    explanation = clock_policy.calendar.explain(clock.started_at, clock_policy.duration + clock.paused_for)
    return attrs.evolve(explanation, paused=clock.paused_for)
