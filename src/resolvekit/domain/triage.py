"""The delayed-order triage of DOMAIN section 3, as data: ordered rules, a policy, and decisions.

A customer at a store says "my order is delayed". From the order's **age** (the time since it was
created) and its **status** (the host's word, normalised through :attr:`TriagePolicy.status_map`),
the first :class:`TriageRule` of an ordered tuple that applies decides one of four
:class:`TriageOutcome` values. :data:`DEFAULT_RULES` encode the table of the source and the
decisions resolvekit takes where the source is silent (all of them explained in ``docs/triage.md``):

====  ======================  ====================================  ================================
rule  age                     normalised status                     outcome
====  ======================  ====================================  ================================
1     any                     delivered                             send the order details
2     any                     cancelled, refunded, returned         send the order details
3     not over the window     out_for_delivery, pending_review,     send the tracking link
                              completed
4     over the window         completed, out_for_delivery           open a ticket automatically and
                                                                    send the tracking link
5     over the window         pending_review                        the customer may open an inquiry
6     not over the window     unknown (a word the map lacks)        send the order details
7     any                     any                                   the customer may open an inquiry
====  ======================  ====================================  ================================

"Over the window" means strictly longer: an order exactly 48 h old is not over 48 h. The last rule
is a catch-all, so every order and time gets exactly one outcome.

Everything here is pure: the caller passes the current time. :func:`triage` decides one order;
:func:`triage_many` decides a batch, compiling the rules into a per-status table once so a nightly
job over millions of orders stays as fast as a hand-written ``if``/``else``.
"""

from __future__ import annotations

import bisect
import enum
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Protocol

import attrs

from resolvekit._i18n import N_, render
from resolvekit.domain.values import utc
from resolvekit.errors import ConfigurationError, OrderInFuture, ResolveKitError, ValidationError

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_STATUS_MAP",
    "WINDOW",
    "Threshold",
    "TriageBatch",
    "TriageDecision",
    "TriageOrder",
    "TriageOutcome",
    "TriagePolicy",
    "TriageRefusal",
    "TriageRule",
    "TriageRules",
    "TriageStatus",
    "normalise_status",
    "triage",
    "triage_many",
]


class TriageOutcome(enum.StrEnum):
    """The four outcomes of the delayed-order table (DOMAIN section 3)."""

    SEND_TRACKING_LINK = "send_tracking_link"
    """Case 1: send the customer the tracking link; no ticket."""
    OPEN_TICKET_AND_SEND_TRACKING_LINK = "open_ticket_and_send_tracking_link"
    """Case 2: open a ticket automatically (``under_merchant_review``) and send the tracking link."""
    OFFER_INQUIRY = "offer_inquiry"
    """Case 3: the customer may open an inquiry ticket with details (``under_merchant_review``)."""
    SEND_ORDER_DETAILS = "send_order_details"
    """Case 4: send the customer all the order's details; no ticket."""

    @property
    def label(self) -> str:
        """A short user-facing description (a gettext id)."""
        return _OUTCOME_LABELS[self]

    @property
    def opens_ticket(self) -> bool:
        """Whether carrying the outcome out opens a ticket by itself (case 2)."""
        return self is TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK

    @property
    def involves_ticket(self) -> bool:
        """Whether the outcome leads to a ticket: opened automatically, or offered to the customer."""
        return self in (TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK, TriageOutcome.OFFER_INQUIRY)

    @property
    def sends_tracking_link(self) -> bool:
        """Whether the customer is sent the order's tracking link."""
        return self in (TriageOutcome.SEND_TRACKING_LINK, TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK)


_OUTCOME_LABELS: Mapping[TriageOutcome, str] = {
    TriageOutcome.SEND_TRACKING_LINK: N_("send the tracking link"),
    TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK: N_("open a ticket and send the tracking link"),
    TriageOutcome.OFFER_INQUIRY: N_("let the customer open an inquiry ticket"),
    TriageOutcome.SEND_ORDER_DETAILS: N_("send the order details"),
}


class TriageStatus(enum.StrEnum):
    """The normalised order statuses the built-in rules know.

    A host's status words are mapped onto these by :attr:`TriagePolicy.status_map`; a word the map
    does not know becomes :attr:`UNKNOWN`. A host may map words to statuses of its own and add rules
    for them.
    """

    PENDING_REVIEW = "pending_review"
    OUT_FOR_DELIVERY = "out_for_delivery"
    COMPLETED = "completed"
    """The merchant completed (fulfilled) the order; it is not yet delivered."""
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED = "returned"
    UNKNOWN = "unknown"


def _key(word: str) -> str:
    """A host status word as a map key: trimmed, case-folded, spaces and hyphens as underscores."""
    return "_".join(word.strip().casefold().replace("-", " ").split())


DEFAULT_STATUS_MAP: Mapping[str, str] = {
    **{status.value: status.value for status in TriageStatus if status is not TriageStatus.UNKNOWN},
    "under_review": TriageStatus.PENDING_REVIEW.value,
    "awaiting_review": TriageStatus.PENDING_REVIEW.value,
    "shipped": TriageStatus.OUT_FOR_DELIVERY.value,
    "in_transit": TriageStatus.OUT_FOR_DELIVERY.value,
    "fulfilled": TriageStatus.COMPLETED.value,
    "canceled": TriageStatus.CANCELLED.value,
}
"""Host status word -> normalised status. The table's own words map to themselves; a few common
synonyms are added (``shipped`` and ``in_transit`` count as out for delivery, ``fulfilled`` as
completed, the US spelling ``canceled``). Everything else is ``unknown``."""


def _status_map(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    pairs: dict[str, str] = {}
    for word, status in items:
        if not isinstance(word, str) or not isinstance(status, str) or not _key(word) or not _key(status):
            raise ConfigurationError(N_("TriagePolicy.status_map maps non-empty host words to non-empty statuses."))
        pairs[_key(word)] = _key(status)
    return tuple(sorted(pairs.items()))


def _non_negative(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(N_("TriagePolicy.{field} must be a timedelta of zero or more."), field=attribute.name)


def _positive(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(N_("TriagePolicy.{field} must be a positive timedelta."), field=attribute.name)


@attrs.frozen
class TriagePolicy:
    """The delayed-order triage settings of a platform (``Policy.triage``).

    Attributes:
        window: how old an order may be before it counts as late (default 48 hours, DOMAIN 3). An
            order is "over" the window only when strictly older: exactly 48:00:00 is not over.
        status_map: host status word -> normalised status (default :data:`DEFAULT_STATUS_MAP`).
            Words are compared trimmed, case-folded, with spaces and hyphens as underscores, so
            ``"Out for delivery"`` finds ``out_for_delivery``. A word the map lacks is ``unknown``.
            To extend the defaults: ``status_map={**DEFAULT_STATUS_MAP, "on_hold": "pending_review"}``.
        future_tolerance: how far in the future an order's creation time may lie (clock skew between
            the host and resolvekit) and still be triaged, as age zero (default 5 minutes). Further
            in the future, triage refuses the order with :class:`~resolvekit.errors.OrderInFuture`.
    """

    window: timedelta = attrs.field(default=timedelta(hours=48), validator=_positive)
    status_map: tuple[tuple[str, str], ...] = attrs.field(default=DEFAULT_STATUS_MAP, converter=_status_map)
    future_tolerance: timedelta = attrs.field(default=timedelta(minutes=5), validator=_non_negative)

    def status_of(self, host_status: str) -> str:
        """The normalised status of a host status word (``"unknown"`` when the map lacks it)."""
        return _lookup(self.status_map).get(_key(host_status), TriageStatus.UNKNOWN.value)


@functools.lru_cache(maxsize=64)
def _lookup(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(pairs)


def normalise_status(host_status: str, policy: TriagePolicy | None = None) -> str:
    """The normalised status of ``host_status`` under ``policy`` (default settings when ``None``)."""
    return (policy or TriagePolicy()).status_of(host_status)


WINDOW: Final = "window"
"""Stands for the policy's :attr:`TriagePolicy.window` in a rule's age bounds."""

Threshold = timedelta | Literal["window"]
"""An age bound of a rule: a fixed duration, or :data:`WINDOW`."""


def _threshold(_: object, attribute: attrs.Attribute[Threshold | None], value: Threshold | None) -> None:
    if value is None or value == WINDOW:
        return
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(
            N_("TriageRule.{field} must be None, WINDOW or a timedelta of zero or more."), field=attribute.name
        )


def _rule_name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(N_("A triage rule needs a non-empty name."))


def _statuses(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    statuses = frozenset(_key(s) for s in value)
    if not statuses or "" in statuses:
        raise ConfigurationError(N_("A triage rule's statuses must be None (any) or non-empty status names."))
    return statuses


_DEFAULT_REASON = N_("Rule {rule}: the order is {age_hours} hours old and its status is '{status}'.")


@attrs.frozen
class TriageRule:
    """One rule: a condition on the order's age and normalised status, and the outcome it decides.

    The rule applies when every given condition holds:

    * ``statuses``: the normalised status is one of these (``None``: any status);
    * ``older_than``: the age is strictly more than this bound (:data:`WINDOW` or a timedelta);
    * ``not_older_than``: the age is at most this bound;
    * ``when``: an extra predicate of ``(age, status)`` for anything the bounds cannot say. Rules
      with ``when`` are evaluated per order even in a batch, so prefer the bounds.

    ``reason`` is a gettext id explaining the decision; it may use ``{rule}``, ``{age_hours}``,
    ``{status}``, ``{host_status}`` and ``{window_hours}``.
    """

    name: str = attrs.field(validator=_rule_name)
    outcome: TriageOutcome = attrs.field(converter=TriageOutcome)
    statuses: frozenset[str] | None = attrs.field(default=None, converter=_statuses)
    older_than: Threshold | None = attrs.field(default=None, validator=_threshold)
    not_older_than: Threshold | None = attrs.field(default=None, validator=_threshold)
    when: Callable[[timedelta, str], bool] | None = attrs.field(default=None, eq=False)
    reason: str = _DEFAULT_REASON

    @property
    def is_catch_all(self) -> bool:
        """Whether the rule applies to every order (no condition at all)."""
        return self.statuses is None and self.older_than is None and self.not_older_than is None and self.when is None

    def applies(self, age: timedelta, status: str, window: timedelta) -> bool:
        """Whether the rule applies to an order of this ``age`` and normalised ``status``."""
        if self.statuses is not None and status not in self.statuses:
            return False
        if self.older_than is not None and not age > _resolve(self.older_than, window):
            return False
        if self.not_older_than is not None and not age <= _resolve(self.not_older_than, window):
            return False
        return self.when is None or bool(self.when(age, status))


def _resolve(threshold: Threshold, window: timedelta) -> timedelta:
    return window if isinstance(threshold, str) else threshold


_IN_PROGRESS = (TriageStatus.OUT_FOR_DELIVERY, TriageStatus.PENDING_REVIEW, TriageStatus.COMPLETED)

DEFAULT_RULES: tuple[TriageRule, ...] = (
    TriageRule(
        "delivered",
        TriageOutcome.SEND_ORDER_DETAILS,
        statuses={TriageStatus.DELIVERED},
        reason=N_("The order is marked delivered, so its details are sent (table case 4, at any age)."),
    ),
    TriageRule(
        "order_ended",
        TriageOutcome.SEND_ORDER_DETAILS,
        statuses={TriageStatus.CANCELLED, TriageStatus.REFUNDED, TriageStatus.RETURNED},
        reason=N_(
            "The order is '{status}': nothing is on its way, so its details (with that status) are sent "
            "instead of a tracking link or a delay ticket."
        ),
    ),
    TriageRule(
        "recent_in_progress",
        TriageOutcome.SEND_TRACKING_LINK,
        statuses=_IN_PROGRESS,
        not_older_than=WINDOW,
        reason=N_(
            "The order is {age_hours} hours old, not over the {window_hours}-hour window, and '{status}': "
            "the tracking link is sent (table case 1)."
        ),
    ),
    TriageRule(
        "late_in_transit",
        TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK,
        statuses={TriageStatus.COMPLETED, TriageStatus.OUT_FOR_DELIVERY},
        older_than=WINDOW,
        reason=N_(
            "The order is {age_hours} hours old, over the {window_hours}-hour window, and still '{status}': "
            "a ticket is opened automatically and the tracking link is sent (table case 2)."
        ),
    ),
    TriageRule(
        "late_pending_review",
        TriageOutcome.OFFER_INQUIRY,
        statuses={TriageStatus.PENDING_REVIEW},
        older_than=WINDOW,
        reason=N_(
            "The order is {age_hours} hours old, over the {window_hours}-hour window, and still pending review: "
            "the customer may open an inquiry ticket (table case 3)."
        ),
    ),
    TriageRule(
        "recent_unknown_status",
        TriageOutcome.SEND_ORDER_DETAILS,
        statuses={TriageStatus.UNKNOWN},
        not_older_than=WINDOW,
        reason=N_(
            "The order's status '{host_status}' is not one the triage knows and it is only {age_hours} hours old: "
            "its details are sent; after {window_hours} hours the customer may open an inquiry."
        ),
    ),
    TriageRule(
        "fallback",
        TriageOutcome.OFFER_INQUIRY,
        reason=N_(
            "No other rule fits an order {age_hours} hours old with status '{host_status}': "
            "the customer may open an inquiry ticket so the merchant can look."
        ),
    ),
)
"""The built-in rules, in order (see the module docstring for the table)."""


class TriageRules:
    """An editable copy of the rule list, handed to the ``resolvekit_triage_rules`` hook.

    A plugin adds, replaces or removes rules; the application freezes the result once. Example::

        @hookimpl
        def resolvekit_triage_rules(rules):
            rules.add(TriageRule("stuck_on_hold", TriageOutcome.OPEN_TICKET_AND_SEND_TRACKING_LINK,
                                 statuses={"on_hold"}, older_than=timedelta(hours=24)))
            rules.replace("fallback", TriageRule("fallback", TriageOutcome.SEND_ORDER_DETAILS))
    """

    def __init__(self, rules: Iterable[TriageRule] = DEFAULT_RULES) -> None:
        self._rules: list[TriageRule] = []
        for rule in rules:
            self.add(rule, before=None, after=self._rules[-1].name if self._rules else None)

    def __iter__(self) -> Iterator[TriageRule]:
        return iter(tuple(self._rules))

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"TriageRules({[r.name for r in self._rules]!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """The rule names, in evaluation order."""
        return tuple(r.name for r in self._rules)

    def get(self, name: str) -> TriageRule:
        """The rule called ``name`` (:class:`~resolvekit.errors.ConfigurationError` when there is none)."""
        return self._rules[self._index(name)]

    def _index(self, name: str) -> int:
        for i, rule in enumerate(self._rules):
            if rule.name == name:
                return i
        raise ConfigurationError(N_("There is no triage rule {name!r}; the rules are {names}."), name=name, names=", ".join(self.names))

    def add(self, rule: TriageRule, *, before: str | None = None, after: str | None = None) -> None:
        """Insert ``rule``: first by default (a host's rule wins over the built-ins), or next to a named rule."""
        if not isinstance(rule, TriageRule):
            raise ConfigurationError(N_("Triage rules must be TriageRule values, not {type}."), type=type(rule).__name__)
        if rule.name in self.names:
            raise ConfigurationError(N_("There is already a triage rule {name!r}; replace it instead."), name=rule.name)
        if before is not None and after is not None:
            raise ConfigurationError(N_("Give either before= or after= when adding a triage rule, not both."))
        if before is not None:
            index = self._index(before)
        elif after is not None:
            index = self._index(after) + 1
        else:
            index = 0
        self._rules.insert(index, rule)

    def replace(self, name: str, rule: TriageRule) -> None:
        """Put ``rule`` in the place of the rule called ``name``."""
        index = self._index(name)
        if not isinstance(rule, TriageRule):
            raise ConfigurationError(N_("Triage rules must be TriageRule values, not {type}."), type=type(rule).__name__)
        if rule.name != name and rule.name in self.names:
            raise ConfigurationError(N_("There is already a triage rule {name!r}; replace it instead."), name=rule.name)
        self._rules[index] = rule

    def remove(self, name: str) -> None:
        """Drop the rule called ``name``."""
        del self._rules[self._index(name)]

    def freeze(self) -> tuple[TriageRule, ...]:
        """The final rule tuple. The last rule must be a catch-all, so every order gets an outcome."""
        if not self._rules or not self._rules[-1].is_catch_all:
            raise ConfigurationError(
                N_(
                    "The last triage rule must apply to every order (no statuses, age bounds or predicate), "
                    "so that every order gets exactly one outcome; the rules are {names}."
                ),
                names=", ".join(self.names) or "(none)",
            )
        return tuple(self._rules)


class TriageOrder(Protocol):
    """What the triage reads of an order (an :class:`~resolvekit.domain.values.Order` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}" if hours == int(hours) else f"{hours:.2f}".rstrip("0")


@attrs.frozen
class TriageDecision:
    """Which rule decided what for one order, and why.

    ``age`` is the order's age at ``decided_at`` (zero for an order created slightly in the future,
    within the policy's tolerance), ``host_status`` the host's word, ``status`` its normalised form
    and ``window`` the policy's window the rule compared the age with.
    """

    order_id: str
    outcome: TriageOutcome
    rule: str
    reason: str
    age: timedelta
    host_status: str
    status: str
    window: timedelta
    decided_at: datetime

    def params(self) -> dict[str, Any]:
        """The placeholders of :attr:`reason` (JSON-ready)."""
        return {
            "rule": self.rule,
            "age_hours": _hours(self.age),
            "status": self.status,
            "host_status": self.host_status,
            "window_hours": _hours(self.window),
            "order_id": self.order_id,
        }

    def explain(self, locale: str = "en") -> str:
        """Why the rule decided this, in ``locale``."""
        return render(self.reason, self.params(), locale)

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data (what an event payload keeps)."""
        return {
            "order_id": self.order_id,
            "outcome": self.outcome.value,
            "rule": self.rule,
            "reason": self.reason,
            "age_seconds": self.age.total_seconds(),
            "host_status": self.host_status,
            "status": self.status,
            "window_seconds": self.window.total_seconds(),
            "decided_at": self.decided_at.isoformat(),
        }


def _age(order: TriageOrder, now: datetime, policy: TriagePolicy) -> timedelta:
    created = utc(order.created_at, "Order.created_at")
    age = now - created
    if age < timedelta(0):
        if -age > policy.future_tolerance:
            raise OrderInFuture(order_id=order.id, created_at=created.isoformat(), now=now.isoformat())
        return timedelta(0)
    return age


def _host_status(order: TriageOrder) -> str:
    status = order.status
    if not isinstance(status, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field="Order.status", type=type(status).__name__)
    return status


def triage(
    order: TriageOrder,
    now: datetime,
    *,
    rules: Sequence[TriageRule] = DEFAULT_RULES,
    policy: TriagePolicy | None = None,
) -> TriageDecision:
    """Decide one order at ``now`` (aware): the first rule of ``rules`` that applies wins.

    Raises :class:`~resolvekit.errors.ValidationError` for a naive ``now`` or creation time,
    :class:`~resolvekit.errors.OrderInFuture` for an order created after ``now`` beyond the
    tolerance, and :class:`~resolvekit.errors.ConfigurationError` if no rule applies (impossible
    when the last rule is a catch-all, as :meth:`TriageRules.freeze` ensures).
    """
    policy = policy or TriagePolicy()
    now = utc(now, "now")
    age = _age(order, now, policy)
    host_status = _host_status(order)
    status = policy.status_of(host_status)
    for rule in rules:
        if rule.applies(age, status, policy.window):
            return TriageDecision(order.id, rule.outcome, rule.name, rule.reason, age, host_status, status, policy.window, now)
    raise ConfigurationError(N_("No triage rule applies to order {order_id}; end the rules with a catch-all."), order_id=order.id)


# -- batches ------------------------------------------------------------------------------------------


@attrs.frozen
class _Verdict:
    """The rule a (host status, age band) pair resolves to, shared by every order of that pair."""

    rule: TriageRule
    outcome: TriageOutcome
    host_status: str
    status: str


@attrs.frozen
class _Dynamic:
    """A (host status, age band) pair whose first applicable rules have ``when`` predicates."""

    candidates: tuple[TriageRule, ...]
    host_status: str
    status: str


@attrs.frozen
class TriageRefusal:
    """An order of a batch that could not be triaged, its position in the batch, and why."""

    index: int
    order_id: str
    error: ResolveKitError


class _Plan:
    """The rules compiled for one batch: age bands from the distinct bounds, one row per host status."""

    def __init__(self, rules: Sequence[TriageRule], policy: TriagePolicy, now: datetime) -> None:
        self.rules = tuple(rules)
        self.policy = policy
        self.now = now
        bounds = set()
        for rule in self.rules:
            for bound in (rule.older_than, rule.not_older_than):
                if bound is not None:
                    bounds.add(_resolve(bound, policy.window))
        self.bounds = sorted(bounds)
        # An order is in band b when its age exceeds exactly the b smallest bounds; an age that
        # exceeds bound t is a creation time before now - t. Cut-offs ascend, like creation times.
        self.cutoffs = [now - t for t in reversed(self.bounds)]
        self.future_limit = now + policy.future_tolerance
        # A representative age per band, to evaluate the bound conditions once per band.
        self.band_ages = [timedelta(0)] + [t + timedelta(microseconds=1) for t in self.bounds]

    def row(self, host_status: object) -> tuple[_Verdict | _Dynamic, ...]:
        """The verdicts of one host status, one per age band (youngest band first)."""
        if not isinstance(host_status, str):
            raise ValidationError(N_("{field} must be text, not {type}."), field="Order.status", type=type(host_status).__name__)
        status = self.policy.status_of(host_status)
        window = self.policy.window
        row: list[_Verdict | _Dynamic] = []
        for age in self.band_ages:
            candidates: list[TriageRule] = []
            verdict: _Verdict | _Dynamic | None = None
            for rule in self.rules:
                if rule.when is None:
                    if rule.applies(age, status, window):
                        if candidates:
                            candidates.append(rule)
                            verdict = _Dynamic(tuple(candidates), host_status, status)
                        else:
                            verdict = _Verdict(rule, rule.outcome, host_status, status)
                        break
                elif attrs.evolve(rule, when=None).applies(age, status, window):
                    candidates.append(rule)
            if verdict is None:
                verdict = _Dynamic(tuple(candidates), host_status, status)
            row.append(verdict)
        return tuple(row)


@attrs.frozen(eq=False)
class TriageBatch:
    """The decisions of a batch: one per order, in input order, without side effects.

    Decisions are built on access (``batch[i]``, iteration): the batch itself keeps, per order, a
    reference to the verdict shared by all orders of the same status and age band. ``refused`` lists
    the orders that could not be triaged (created in the future, naive times, a status that is not
    text); their position holds ``None``.
    """

    now: datetime
    window: timedelta
    orders: Sequence[TriageOrder] = attrs.field(repr=False)
    _verdicts: Sequence[_Verdict | None] = attrs.field(repr=False, alias="verdicts")
    refused: tuple[TriageRefusal, ...] = ()

    def __len__(self) -> int:
        return len(self._verdicts)

    def outcome(self, index: int) -> TriageOutcome | None:
        """The outcome for the order at ``index`` (``None`` when it was refused)."""
        verdict = self._verdicts[index]
        return None if verdict is None else verdict.outcome

    def outcomes(self) -> list[TriageOutcome | None]:
        """Every order's outcome, in input order (``None`` for refused orders)."""
        return [None if v is None else v.outcome for v in self._verdicts]

    def __getitem__(self, index: int) -> TriageDecision | None:
        verdict = self._verdicts[index]
        if verdict is None:
            return None
        order = self.orders[index]
        age = max(self.now - utc(order.created_at, "Order.created_at"), timedelta(0))
        rule = verdict.rule
        return TriageDecision(order.id, rule.outcome, rule.name, rule.reason, age, verdict.host_status, verdict.status, self.window, self.now)

    def __iter__(self) -> Iterator[TriageDecision]:
        """The decisions of the orders that were triaged, in input order."""
        for index, verdict in enumerate(self._verdicts):
            if verdict is not None:
                decision = self[index]
                assert decision is not None
                yield decision

    def counts(self) -> Counter[TriageOutcome]:
        """How many orders got each outcome."""
        return Counter(v.outcome for v in self._verdicts if v is not None)

    def select(self, outcome: TriageOutcome) -> Iterator[TriageDecision]:
        """The decisions with ``outcome`` (e.g. the orders a nightly job should open tickets for)."""
        for index, verdict in enumerate(self._verdicts):
            if verdict is not None and verdict.outcome is outcome:
                decision = self[index]
                assert decision is not None
                yield decision


def triage_many(
    orders: Iterable[TriageOrder],
    now: datetime,
    *,
    rules: Sequence[TriageRule] = DEFAULT_RULES,
    policy: TriagePolicy | None = None,
) -> TriageBatch:
    """Decide many orders at the same ``now``, exactly as :func:`triage` would decide each one.

    The rules are compiled once per batch: the distinct age bounds split ages into bands, and each
    distinct host status gets a row with the verdict of every band, so deciding an order is a
    dictionary lookup and a comparison of its creation time with a precomputed cut-off. Rules with
    a ``when`` predicate are evaluated per order. Orders that cannot be triaged are listed in
    :attr:`TriageBatch.refused` instead of stopping the batch.
    """
    policy = policy or TriagePolicy()
    now = utc(now, "now")
    items: Sequence[TriageOrder] = orders if isinstance(orders, list | tuple) else list(orders)
    plan = _Plan(rules, policy, now)
    rows: dict[object, tuple[_Verdict | _Dynamic, ...]] = {}
    if any(rule.when is not None for rule in plan.rules):
        verdicts, refused = _slow_batch(items, plan, rows)
        return TriageBatch(now, policy.window, items, verdicts, tuple(refused))
    try:
        verdicts, future = _fast_batch(items, plan, rows)
    except (TypeError, ResolveKitError):  # a naive time or a status that is not text: one by one
        verdicts, refused = _slow_batch(items, plan, rows)
    else:
        if any(isinstance(v, _Dynamic) for row in rows.values() for v in row):  # rules without a catch-all
            verdicts, refused = _slow_batch(items, plan, rows)
            return TriageBatch(now, policy.window, items, verdicts, tuple(refused))
        refused = []
        for index in future:
            order = items[index]
            created = order.created_at
            refused.append(TriageRefusal(index, order.id, OrderInFuture(order_id=order.id, created_at=created.isoformat(), now=now.isoformat())))
    return TriageBatch(now, policy.window, items, verdicts, tuple(refused))


def _fast_batch(
    items: Sequence[TriageOrder], plan: _Plan, rows: dict[object, tuple[_Verdict | _Dynamic, ...]]
) -> tuple[list[_Verdict | None], list[int]]:
    """The hot loop: one dictionary lookup and one or two comparisons per order, no new objects."""
    verdicts: list[_Verdict | None] = []
    append = verdicts.append
    future: list[int] = []
    future_limit = plan.future_limit
    get = rows.get
    make = plan.row
    if len(plan.cutoffs) == 1:
        cutoff = plan.cutoffs[0]
        for order in items:
            status = order.status
            row = get(status)
            if row is None:
                row = rows[status] = make(status)
            created = order.created_at
            if created < cutoff:
                append(row[1])  # type: ignore[arg-type]
            elif created <= future_limit:
                append(row[0])  # type: ignore[arg-type]
            else:
                future.append(len(verdicts))
                append(None)
    else:
        cutoffs = plan.cutoffs
        n = len(cutoffs)
        for order in items:
            status = order.status
            row = get(status)
            if row is None:
                row = rows[status] = make(status)
            created = order.created_at
            if created <= future_limit:
                append(row[n - bisect.bisect_right(cutoffs, created)])  # type: ignore[arg-type]
            else:
                future.append(len(verdicts))
                append(None)
    return verdicts, future


def _slow_batch(
    items: Sequence[TriageOrder], plan: _Plan, rows: dict[object, tuple[_Verdict | _Dynamic, ...]]
) -> tuple[list[_Verdict | None], list[TriageRefusal]]:
    """Decide a batch that has predicates or bad orders, order by order (still sharing verdicts)."""
    verdicts: list[_Verdict | None] = []
    refused: list[TriageRefusal] = []
    shared: dict[tuple[str, str], _Verdict] = {}
    policy = plan.policy
    for index, order in enumerate(items):
        try:
            age = _age(order, plan.now, policy)
            host_status = _host_status(order)
            row = rows.get(host_status)
            if row is None:
                row = rows[host_status] = plan.row(host_status)
            verdict = row[sum(1 for t in plan.bounds if age > t)]
            if isinstance(verdict, _Dynamic):
                for rule in verdict.candidates:
                    if rule.applies(age, verdict.status, policy.window):
                        key = (host_status, rule.name)
                        found = shared.get(key)
                        if found is None:
                            found = shared[key] = _Verdict(rule, rule.outcome, host_status, verdict.status)
                        verdict = found
                        break
                else:
                    raise ConfigurationError(
                        N_("No triage rule applies to order {order_id}; end the rules with a catch-all."),
                        order_id=order.id,
                    )
            verdicts.append(verdict)
        except ResolveKitError as error:
            verdicts.append(None)
            refused.append(TriageRefusal(index, str(getattr(order, "id", "")), error))
    return verdicts, refused
