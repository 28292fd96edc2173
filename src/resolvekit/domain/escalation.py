"""Escalation, deadline bookkeeping and auto-close: the pure commands of the SLA rules.

Like :mod:`resolvekit.domain.commands`, each function takes the case as it is, the actor, the policy
and the current time, and returns the events to append or raises. People escalate with
:func:`escalate`, :func:`flag_safety_issue` and :func:`dispute_policy`; the sweep (acting as the
``system`` actor) calls :func:`run_action` with a step from :func:`resolvekit.domain.sla.due_actions`,
and the step is checked again against the case's fresh SLA state, so a step that another worker
already took, or that a reply made moot, is refused with :class:`~resolvekit.errors.NotDue` and
writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.free_text import screen_text
from resolvekit.domain.policy import Policy
from resolvekit.domain.sla import ESCALATION_REASONS, Action, SlaState, due_actions
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.errors import NotDue, PermissionDenied, ValidationError

__all__ = ["dispute_policy", "escalate", "flag_safety_issue", "run_action"]

def _text(value: object, field: str, policy: Policy, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("{field} is empty; say what happened."), field=field)
    text = value.strip()
    if len(text) > policy.max_message_length:
        raise ValidationError(
            N_("{field} has {length} characters; the limit is {limit}."), field=field, length=len(text), limit=policy.max_message_length
        )
    return screen_text(text, field, policy)


def _fire(case: Case, event: str, actor: Actor, policy: Policy, payload: dict[str, Any]) -> dict[str, Any]:
    target = lifecycle_for(case.kind).fire(case.status, event, actor.role, policy, case_id=case.id)
    if target != case.status:
        payload["status"] = target
    return payload


def _escalation(
    case: Case,
    actor: Actor,
    version: int,
    reason: str,
    *,
    note: str | None,
    reference: str | None,
    clock: str | None,
    now: datetime,
    policy: Policy,
) -> CaseEvent:
    payload = _fire(
        case,
        "escalate",
        actor,
        policy,
        {
            "reference": reference or f"{case.id}-E{version}",
            "reason": reason,
            "note": note,
            "clock": clock,
        },
    )
    return CaseEvent(case.id, version, EventKind.CASE_ESCALATED, actor, now, payload)


def escalate(
    case: Case,
    actor: Actor,
    reason: str = "requested",
    note: str | None = None,
    reference: str | None = None,
    *,
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """Escalate the case to the platform, recording a reference and who escalated it.

    ``reason`` is one of :data:`~resolvekit.domain.sla.ESCALATION_REASONS`; ``reference`` is the
    platform's own reference for the escalation (default: ``"<case id>-E<version>"``). A case is
    escalated once; escalating it again is refused.
    """
    if reason not in ESCALATION_REASONS:
        raise ValidationError(
            N_("Unknown escalation reason {reason!r}; use one of {allowed}."), reason=reason, allowed=", ".join(sorted(ESCALATION_REASONS))
        )
    if reference is not None and (not isinstance(reference, str) or not reference.strip() or len(reference) > 200):
        raise ValidationError(N_("An escalation reference is a non-empty text of at most 200 characters."))
    if case.escalation is not None:
        lifecycle_for(case.kind).fire(case.status, "escalate", actor.role, policy, case_id=case.id)
        raise ValidationError(
            N_("Case {case_id} is already escalated (reference {reference}); add a reply or a note instead."),
            case_id=case.id,
            reference=case.escalation.reference,
        )
    text = _text(note, "note", policy, optional=True)
    return [_escalation(case, actor, case.version + 1, reason, note=text, reference=reference, clock=None, now=now, policy=policy)]


def _flag(case: Case, actor: Actor, event: str, kind: EventKind, reason: str, text: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    payload = _fire(case, event, actor, policy, {"description": text})
    version = case.version + 1
    events = [CaseEvent(case.id, version, kind, actor, now, payload)]
    if case.escalation is None:
        events.append(_escalation(case, actor, version + 1, reason, note=text, reference=None, clock=None, now=now, policy=policy))
    return events


def flag_safety_issue(case: Case, actor: Actor, description: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The customer (or the merchant) reports a safety issue: it is recorded and the case escalates."""
    text = _text(description, "description", policy)
    assert text is not None
    return _flag(case, actor, "flag_safety_issue", EventKind.SAFETY_ISSUE_FLAGGED, "safety_issue", text, now=now, policy=policy)


def dispute_policy(case: Case, actor: Actor, text: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The customer or the merchant disputes how a platform policy applies: recorded, and escalated."""
    body = _text(text, "text", policy)
    assert body is not None
    return _flag(case, actor, "dispute_policy", EventKind.POLICY_DISPUTED, "policy_dispute", body, now=now, policy=policy)


def run_action(case: Case, actor: Actor, state: SlaState, action: Action, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """Take one time-based SLA step as the ``system`` actor.

    ``state`` is the case's SLA state at ``case.version``. The step must still be due at ``now``
    (same kind, clock, cycle and deadline); otherwise :class:`~resolvekit.errors.NotDue` is raised.
    """
    if actor.role is not Role.SYSTEM:
        raise PermissionDenied(role=actor.role.value, action=N_("run a deadline step"))
    if state.version != case.version or state.case_id != case.id:
        raise NotDue(case_id=case.id, step=action.kind)
    if action not in due_actions(state, policy.sla, now):
        raise NotDue(case_id=case.id, step=action.kind)
    version = case.version + 1
    if action.kind in ("breach", "warn"):
        assert action.clock is not None and action.deadline is not None
        kind = EventKind.CLOCK_BREACHED if action.kind == "breach" else EventKind.DEADLINE_WARNING
        payload = _fire(
            case, "record_deadline", actor, policy, {"clock": action.clock, "cycle": action.cycle, "deadline": action.deadline.isoformat()}
        )
        events = [CaseEvent(case.id, version, kind, actor, now, payload)]
        clock_policy = policy.sla.clock(action.clock)
        if action.kind == "breach" and clock_policy is not None and clock_policy.escalate_on_breach and case.escalation is None:
            events.append(
                _escalation(case, actor, version + 1, "clock_breached", note=None, reference=None, clock=action.clock, now=now, policy=policy)
            )
        return events
    if action.kind == "escalate":
        assert action.reason is not None
        return [_escalation(case, actor, version, action.reason, note=None, reference=None, clock=None, now=now, policy=policy)]
    if action.kind == "auto_close_warning":
        assert action.deadline is not None
        payload = _fire(case, "record_deadline", actor, policy, {"closes_at": action.deadline.isoformat()})
        return [CaseEvent(case.id, version, EventKind.AUTO_CLOSE_WARNED, actor, now, payload)]
    if action.kind == "auto_close":
        payload = _fire(case, "auto_close", actor, policy, {"resolution": None, "automatic": True, "reason": "inactivity"})
        return [CaseEvent(case.id, version, EventKind.CASE_CLOSED, actor, now, payload)]
    raise NotDue(case_id=case.id, step=action.kind)
