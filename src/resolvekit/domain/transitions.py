"""The compiled form of the lifecycles: a lookup table derived from the python-statemachine classes.

Instantiating a state machine per command costs hundreds of microseconds; the command path instead
asks a :class:`Lifecycle`, a frozen table built once from the declared machine. It holds nothing the
machine does not say: ``tests/test_lifecycles.py`` proves, for every status, event, role and policy,
that the table and the real machine agree.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Role
from resolvekit.domain.policy import Policy
from resolvekit.errors import CaseClosed, ConfigurationError, InvalidTransition, PermissionDenied

if TYPE_CHECKING:
    from resolvekit.domain.lifecycles import Guard

# The machines (and python-statemachine with them) are imported when a table is first compiled, not
# when resolvekit is imported: the command path needs only the compiled tables.

__all__ = ["ACTIONS", "Lifecycle", "compile_lifecycle", "lifecycle_for"]

ACTIONS: Mapping[str, str] = {
    "pass_review": N_("pass the platform review"),
    "customer_reply": N_("reply as the customer"),
    "merchant_reply": N_("reply as the merchant"),
    "platform_reply": N_("reply as the platform"),
    "add_note": N_("add an internal note"),
    "propose_resolution": N_("propose a resolution"),
    "accept_resolution": N_("accept a resolution"),
    "impose_resolution": N_("impose a resolution"),
    "accept": N_("accept the offer"),
    "impose": N_("impose the offer"),
    "reject": N_("reject the offer"),
    "withdraw": N_("withdraw the offer"),
    "expire": N_("expire the offer"),
    "execute": N_("execute the offer"),
    "await_return": N_("wait for the returned item"),
    "receive_return": N_("confirm the returned item"),
    "succeed": N_("record the offer as executed"),
    "fail": N_("record the offer as failed"),
    "cancel": N_("cancel the offer"),
    "close": N_("close the case"),
    "escalate": N_("escalate the case to the platform"),
    "flag_safety_issue": N_("report a safety issue"),
    "dispute_policy": N_("dispute a policy"),
    "record_deadline": N_("record a deadline step"),
    "auto_close": N_("close the case automatically"),
    "rate": N_("rate the ticket"),
}
"""Event name -> the words error messages use for it."""


@attrs.frozen
class _Candidate:
    guards: tuple[str, ...]
    checks: tuple[Guard, ...]
    target: str


@attrs.frozen
class Lifecycle:
    """Statuses, events and guarded transitions of one case kind, ready for fast lookups."""

    kind: str
    initial: str
    statuses: tuple[str, ...]
    final: frozenset[str]
    events: tuple[str, ...]
    _table: Mapping[tuple[str, str], tuple[_Candidate, ...]] = attrs.field(alias="table", repr=False)

    def fire(self, status: str, event: str, role: Role, policy: Policy, *, case_id: str = "") -> str:
        """Return the status after ``event`` fired by ``role``, or raise why it may not fire.

        Raises :class:`~resolvekit.errors.CaseClosed` in a final status,
        :class:`~resolvekit.errors.InvalidTransition` when the event has no transition from
        ``status``, and :class:`~resolvekit.errors.PermissionDenied` when no guard admits ``role``.
        Candidates are tried in declaration order, as python-statemachine does.
        """
        candidates = self._table.get((status, event))
        if candidates is None:
            action = ACTIONS.get(event, event)
            if status in self.final:
                raise CaseClosed(kind=self.kind, case_id=case_id, action=action)
            raise InvalidTransition(action=action, kind=self.kind, status=status)
        for candidate in candidates:
            for check in candidate.checks:
                if not check(role, policy):
                    break
            else:
                return candidate.target
        raise PermissionDenied(role=role.value, action=ACTIONS.get(event, event))

    def allowed_events(self, status: str, role: Role, policy: Policy) -> tuple[str, ...]:
        """Events ``role`` may fire from ``status`` (what a user interface should offer)."""
        result = []
        for event in self.events:
            for candidate in self._table.get((status, event), ()):
                if all(check(role, policy) for check in candidate.checks):
                    result.append(event)
                    break
        return tuple(result)


def compile_lifecycle(machine: type, kind: str) -> Lifecycle:
    """Derive a :class:`Lifecycle` from a python-statemachine class.

    Only guards named in :data:`~resolvekit.domain.lifecycles.GUARDS` are understood; anything else
    (a lambda, an ``unless``, a validator) fails loudly here so the table can never silently drift
    from the machine.
    """
    from resolvekit.domain.lifecycles import GUARDS

    table: dict[tuple[str, str], list[_Candidate]] = {}
    initial = ""
    statuses: list[str] = []
    final: set[str] = set()
    events: list[str] = []
    for state in machine.states:  # type: ignore[attr-defined]
        statuses.append(state.id)
        if state.initial:
            initial = state.id
        if state.final:
            final.add(state.id)
        for transition in state.transitions:
            names: list[str] = []
            for spec in transition.cond:
                name = getattr(spec, "func", None)
                if not isinstance(name, str) or name not in GUARDS or spec.expected_value is not True:
                    raise ConfigurationError(
                        N_("Lifecycle guard {guard!r} is not a named guard; name guards from GUARDS only."),
                        guard=str(spec),
                    )
                names.append(name)
            if list(transition.validators):
                raise ConfigurationError(N_("Lifecycles may use only named 'cond' guards, not validators."))
            for event in str(transition.events).split():
                if event not in events:
                    events.append(event)
                table.setdefault((state.id, event), []).append(
                    _Candidate(tuple(names), tuple(GUARDS[n] for n in names), transition.target.id)
                )
    return Lifecycle(
        kind=kind,
        initial=initial,
        statuses=tuple(statuses),
        final=frozenset(final),
        events=tuple(events),
        table={key: tuple(value) for key, value in table.items()},
    )


@functools.cache
def lifecycle_for(kind: str) -> Lifecycle:
    """The compiled lifecycle of ``"complaint"``, ``"ticket"``, ``"help_request"`` or ``"offer"``
    (built on first use, then reused)."""
    from resolvekit.domain import lifecycles

    machines: dict[str, type] = {
        "complaint": lifecycles.ComplaintLifecycle,
        "ticket": lifecycles.TicketLifecycle,
        "help_request": lifecycles.HelpRequestLifecycle,
        "offer": lifecycles.OfferLifecycle,
    }
    return compile_lifecycle(machines[kind], kind)
