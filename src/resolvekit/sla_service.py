"""SLA clocks in the service layer: tracking on every command, escalation commands, due lists, sweeps.

Every command the application runs folds its events into the case's SLA state
(:func:`resolvekit.domain.sla.track`) and commits the case's **next deadline** with it, which the
storage backend indexes. :meth:`SlaCommands.due` and :meth:`SlaCommands.sweep` read that index
(``Storage.due``), so their cost follows what is due, not how many cases are open. A sweep acts only
through normal commands as the ``system`` actor, each with an idempotency key derived from (case,
clock, deadline): it is logged, permission-checked, and two workers sweeping at once take each step
once.

The SLA state is a pure function of the log and the policy; :class:`SlaTracker` only remembers the
latest state of the cases this process wrote, keyed by version, to avoid re-reading their logs.
:class:`SlaCommands` is mixed into :class:`~resolvekit.ResolveKit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from resolvekit._command_host import CommandHost
from resolvekit.domain import escalation
from resolvekit.domain.actors import Actor
from resolvekit.domain.calendars import DeadlineExplanation
from resolvekit.domain.cases import Case
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.policy import Policy
from resolvekit.domain._build import frozen_builder
from resolvekit.domain.sla import Action, SlaState, agenda, annotate, due_actions, explain, next_deadline, track
from resolvekit.domain.values import utc
from resolvekit._i18n import N_
from resolvekit.errors import ConcurrencyConflict, ConfigurationError, NotDue, ResolveKitError, ValidationError
from resolvekit.storage import DeadlineIndex, DueCase, Storage

if TYPE_CHECKING:
    from resolvekit.application import CommandResult

__all__ = ["DueItem", "Prepared", "SlaCommands", "SlaTracker", "SweepReport", "SweepStep", "run_sweep"]


@attrs.frozen
class Prepared:
    """A command's events with their SLA facts, the SLA state after them and the next deadline."""

    events: list[CaseEvent]
    state: SlaState
    next_deadline: datetime | None


_prepared: Callable[..., Prepared] = frozen_builder(Prepared)  # positional, without the frozen constructor's overhead


class SlaTracker:
    """Computes SLA states for the command path, remembering the latest one per case written here."""

    def __init__(self, policy: Policy, storage: Storage, size: int = 8192) -> None:
        self.policy = policy
        self.storage = storage
        self._size = size
        self._states: dict[str, SlaState] = {}

    def state(self, case: Case) -> SlaState:
        """The SLA state of ``case`` at its version (remembered, or folded from its stored log)."""
        known = self._states.get(case.id)
        if known is not None and known.version == case.version:
            return known
        state = track(self.storage.events(case.id, up_to_version=case.version), self.policy.sla)
        self.remember(state)
        return state

    def prepare(self, case: Case | None, events: Sequence[CaseEvent]) -> Prepared:
        """Fold a command's events into the SLA state and annotate them (``resolved_in_time``)."""
        policy = self.policy.sla
        state = track(events, policy, None if case is None else self.state(case))
        return _prepared(annotate(events, state, policy), state, next_deadline(state, policy))

    def remember(self, state: SlaState) -> None:
        """Keep ``state`` (committed) as the latest known state of its case."""
        states = self._states
        if len(states) >= self._size and state.case_id not in states:
            try:
                del states[next(iter(states))]
            except (StopIteration, KeyError, RuntimeError):  # another thread evicted it first
                pass
        states[state.case_id] = state


@attrs.frozen
class DueItem:
    """A step the SLA rules call for on one case, due at ``at`` (``overdue`` when ``at <= now``)."""

    case_id: str
    store_id: str
    kind: str
    at: datetime
    overdue: bool
    clock: str | None = None
    reason: str | None = None
    deadline: datetime | None = None


@attrs.frozen
class SweepStep:
    """One step a sweep took (``replayed`` when another worker had already taken it)."""

    case_id: str
    kind: str
    clock: str | None
    reason: str | None
    deadline: datetime | None
    events: tuple[str, ...]
    replayed: bool = False


@attrs.frozen
class SweepReport:
    """What one :meth:`SlaCommands.sweep` did: cases examined, steps taken, and errors (kept, not raised)."""

    now: datetime
    examined: int = 0
    steps: tuple[SweepStep, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def taken(self) -> int:
        """Steps this sweep wrote itself (not replays of another worker's)."""
        return sum(1 for s in self.steps if not s.replayed)


def _due_cases(storage: Storage, until: datetime, limit: int, batch: int = 200) -> Callable[[], Sequence[DueCase]]:
    """Pages of ``storage.due`` (keyset paging on ``(deadline, case id)``), ``limit`` rows in all."""
    if not isinstance(storage, DeadlineIndex):
        raise ConfigurationError(
            N_("The storage backend {backend} keeps no deadline index (no 'due' method); SLA sweeps need one."),
            backend=type(storage).__name__,
        )
    state: dict[str, tuple[datetime, str] | None] = {"after": None}
    left = [limit]

    def next_page() -> Sequence[DueCase]:
        if left[0] <= 0:
            return ()
        rows = storage.due(until, min(batch, left[0]), after=state["after"])
        left[0] -= len(rows)
        if rows:
            state["after"] = (rows[-1].next_deadline, rows[-1].case_id)
        return rows

    return next_page


class SlaCommands(CommandHost):
    """Deadlines, escalation and sweeps on :class:`~resolvekit.ResolveKit` (see the module docstring)."""

    if TYPE_CHECKING:
        _sla: SlaTracker

    # -- commands ---------------------------------------------------------------------------------

    def escalate(
        self,
        actor: Actor,
        case_id: str,
        *,
        reason: str = "requested",
        note: str | None = None,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """Escalate the case to the platform (once), recording ``reference`` and who escalated it.

        ``reason`` is one of :data:`resolvekit.domain.sla.ESCALATION_REASONS`; the roles in
        ``Policy.sla.escalators`` may escalate (by default everyone, the customer included).
        """
        return self._command("escalate", actor, case_id, idempotency_key, escalation.escalate, reason, note, reference)

    def flag_safety_issue(self, actor: Actor, case_id: str, description: str, *, idempotency_key: str | None = None) -> CommandResult:
        """The customer (or merchant) reports a safety issue (injury, hazard, recall): recorded, and escalated."""
        return self._command("flag_safety_issue", actor, case_id, idempotency_key, escalation.flag_safety_issue, description)

    def dispute_policy(self, actor: Actor, case_id: str, text: str, *, idempotency_key: str | None = None) -> CommandResult:
        """The customer or merchant disputes how a platform policy applies: recorded, and escalated."""
        return self._command("dispute_policy", actor, case_id, idempotency_key, escalation.dispute_policy, text)

    # -- reads ------------------------------------------------------------------------------------

    def sla(self, actor: Actor, case_id: str) -> SlaState:
        """The case's SLA state: every clock with its start, deadline, pauses, and met or breached."""
        return self._sla.state(self._visible(actor, case_id))

    def explain_deadline(self, actor: Actor, case_id: str, clock: str) -> DeadlineExplanation:
        """How the deadline of ``clock`` on the case was computed (intervals worked, days skipped, pauses)."""
        state = self.sla(actor, case_id)
        current = state.clock(clock)
        explanation = None if current is None else explain(current, self.policy.sla)
        if explanation is None:
            raise ValidationError(
                N_("Clock {clock!r} has no deadline on case {case_id} now (not started, paused, or not one of its clocks)."),
                clock=clock,
                case_id=case_id,
            )
        return explanation

    def due(self, now: datetime | None = None, *, horizon: timedelta = timedelta(0), limit: int = 100) -> list[DueItem]:
        """SLA steps due by ``now + horizon`` (breached, about to breach, escalations, auto-closes), earliest first.

        For the host's dashboards and schedulers (no actor: it lists every store's cases). Reads only
        the cases whose next deadline falls in the window, through the storage index.
        """
        now = self.now() if now is None else utc(now, "now")
        until = now + horizon
        policy = self.policy.sla
        items: list[DueItem] = []
        pages = _due_cases(self.storage, until, limit)
        while rows := pages():
            for row in rows:
                case = self.storage.load(row.case_id)
                if case is None:
                    continue
                for step in agenda(self._sla.state(case), policy):
                    if step.at <= until:
                        items.append(
                            DueItem(case.id, case.store_id, step.kind, step.at, step.at <= now, step.clock, step.reason, step.deadline)
                        )
        items.sort(key=lambda i: (i.at, i.case_id))
        return items

    def sweep(self, *, limit: int = 500, max_steps_per_case: int = 8) -> SweepReport:
        """Take every SLA step due now on up to ``limit`` cases, through normal system commands.

        Run it from the host's scheduler (or ``resolvekit sweep``), from as many workers as you like.
        Steps are taken one at a time per case, each re-checked on the case's fresh state: a step that
        another worker took meanwhile is replayed from its idempotency key or refused as not due, and
        nothing is written twice. Errors are collected in the report, so one bad case does not stop
        the sweep.
        """
        now = self.now()
        system = Actor.system()
        policy = self.policy
        examined = 0
        steps: list[SweepStep] = []
        errors: list[tuple[str, str]] = []
        pages = _due_cases(self.storage, now, limit)
        seen: set[str] = set()
        while rows := pages():
            for row in rows:
                if row.case_id in seen:
                    continue
                seen.add(row.case_id)
                examined += 1
                for _ in range(max_steps_per_case):
                    case = self.storage.load(row.case_id)
                    if case is None:
                        break
                    actions = due_actions(self._sla.state(case), policy.sla, now)
                    if not actions:
                        break
                    action = actions[0]
                    try:
                        result = self._run(system, case.id, self._sla_step(system, action), action.key(case.id), lambda: repr(("sla", action)))
                    except (NotDue, ConcurrencyConflict):
                        continue
                    except ResolveKitError as exc:
                        errors.append((case.id, str(exc)))
                        break
                    steps.append(
                        SweepStep(
                            case.id,
                            action.kind,
                            action.clock,
                            action.reason,
                            action.deadline,
                            tuple(e.kind.value for e in result.events),
                            result.replayed,
                        )
                    )
        return SweepReport(now, examined, tuple(steps), tuple(errors))

    def _sla_step(self, system: Actor, action: Action) -> Callable[[Case | None, datetime], list[CaseEvent]]:
        def decide(case: Case | None, now: datetime) -> list[CaseEvent]:
            assert case is not None
            return escalation.run_action(case, system, self._sla.state(case), action, now=now, policy=self.policy)

        return decide


def run_sweep(storage: str, *, limit: int = 500, out: Callable[[str], None] = print) -> SweepReport:
    """``resolvekit sweep``: open the application on ``storage``, sweep once, print what was done."""
    from resolvekit.application import ResolveKit

    app = ResolveKit(storage=storage)
    try:
        report = app.sweep(limit=limit)
    finally:
        app.storage.close()
    for step in report.steps:
        what = step.clock or step.reason or ""
        deadline = step.deadline.isoformat() if step.deadline else ""
        out(f"{step.case_id}\t{step.kind}\t{what}\t{deadline}\t{','.join(step.events)}{'  (already done)' if step.replayed else ''}")
    for case_id, error in report.errors:
        out(f"{case_id}\terror\t{error}")
    out(f"swept at {report.now.isoformat()}: {report.examined} cases examined, {report.taken} steps taken, {len(report.errors)} errors")
    return report
