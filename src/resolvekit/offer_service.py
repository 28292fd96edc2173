"""The offer part of the application object: offer commands, execution through host hooks, sweeps.

:class:`OfferCommands` is mixed into :class:`~resolvekit.ResolveKit`; call its methods on the
application object. Commands go through the same path as every other command (idempotency key,
tenancy, pure decision, one atomic commit). Two things are added here because a pure function cannot
look them up:

* the offer kinds the plugins register (``ResolveKit.offer_kinds``), and
* the offers of the order's other complaints, read from storage at propose, accept and execute time,
  so conservation holds per order.

**Execution** is a separate step, run by the host's worker (:meth:`OfferCommands.execute_pending`) or
on demand (:meth:`OfferCommands.execute_offer`). Each step of an accepted offer calls its hook with an
idempotency key derived from the offer (``"<offer id>:<step>"``), the same on every retry, and each
outcome is committed to the complaint's activity log before the next step starts: a step that
completed is never called again, and a step interrupted by a crash or a timeout is called again with
the same key, so a payment gateway that honours the key never pays twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from resolvekit._command_host import CommandHost
from resolvekit._i18n import N_
from resolvekit.domain import offer_commands
from resolvekit.domain.actors import Actor
from resolvekit.domain.cases import Case, Complaint
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.offer_work import EXPIRY_STATUSES, execution_due, expiry_due, next_offer_step
from resolvekit.domain.offers import ExecutionRequest, Offer, OfferKind
from resolvekit.domain.security import attachment_values
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.domain.values import Attachment
from resolvekit.errors import ConcurrencyConflict, OfferNotFound, OfferNotOpen, ResolveKitError, ValidationError
from resolvekit.storage import CaseQuery, DueCase, OfferIndex

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resolvekit.application import CommandResult

__all__ = ["ExecutionReport", "OfferCommands"]

_OPEN_COMPLAINT = EXPIRY_STATUSES  # where a proposed offer's expiry is recorded
_PAGE = 500
_DUE_PAGE = 200  # rows per read of the offer index


@attrs.frozen
class ExecutionReport:
    """What one :meth:`OfferCommands.execute_pending` run did.

    ``executed``, ``failed`` and ``waiting`` (a return waiting for the item) count offers by the status
    they ended the run in; ``errors`` lists ``(offer id, reason)`` of the failures.
    """

    executed: int = 0
    failed: int = 0
    waiting: int = 0
    errors: tuple[tuple[str, str], ...] = ()


class _Lazy:
    """The order's other offers, read from storage only if the decision needs them (money offers):
    ``load(case)`` on first iteration."""

    __slots__ = ("_case", "_items", "_load")

    def __init__(self, load: Callable[[Case], tuple[Offer, ...]], case: Case) -> None:
        self._load = load
        self._case = case
        self._items: tuple[Offer, ...] | None = None

    def __iter__(self) -> Iterator[Offer]:
        if self._items is None:
            self._items = self._load(self._case)
        return iter(self._items)


class OfferCommands(CommandHost):
    """Resolution offers on :class:`~resolvekit.ResolveKit` (see the module docstring)."""

    if TYPE_CHECKING:
        offer_kinds: Mapping[str, OfferKind]
        _retry_backoff: timedelta

        def _confirm_with_code(
            self, actor: Actor, case_id: str, code: object, key: str | None, dry_run: Callable[[Case], object]
        ) -> None: ...

    # -- helpers ----------------------------------------------------------------------------------

    def _order_offers(self, case: Case) -> tuple[Offer, ...]:
        """Every offer on the other complaints of ``case``'s order (for conservation)."""
        if not isinstance(case, Complaint) or case.order_id is None:
            return ()
        # The storage's OrderIndex method if it has one: the test ``isinstance(storage, OrderIndex)``
        # makes, without the cost of a runtime protocol check on every command.
        other_complaints: Callable[[str, str, str], Sequence[Case]] | None = getattr(self.storage, "other_complaints", None)
        if other_complaints is not None:
            others = other_complaints(case.order_id, case.store_id, case.id)
        else:
            others = self._other_complaints_by_query(case, case.order_id)
        if not others:
            return ()  # the usual case: the order has only this complaint
        return tuple(offer for other in others if isinstance(other, Complaint) for offer in other.offers)

    def _other_complaints_by_query(self, case: Complaint, order_id: str) -> list[Case]:
        """The complaints of ``case``'s store about its order ``order_id`` except ``case``, newest first,
        paged through :meth:`Storage.query` (for a storage without an :class:`~resolvekit.storage.OrderIndex`)."""
        # Filtered by order alone (the store is checked here): backends then use their order index
        # instead of walking every case of the store.
        query = CaseQuery(kind="complaint", order_id=order_id, limit=_PAGE)
        found: list[Case] = []
        while True:
            page = self.storage.query(query)
            found.extend(other for other in page.items if other.id != case.id and other.store_id == case.store_id)
            if page.next_cursor is None:
                return found
            query = attrs.evolve(query, after=page.next_cursor)

    def _with_order(self, decide: Callable[..., list[CaseEvent]], **extra: Any) -> Callable[..., list[CaseEvent]]:
        def run(case: Case, actor: Actor, *args: Any, **kwargs: Any) -> list[CaseEvent]:
            return decide(case, actor, *args, order_offers=_Lazy(self._order_offers, case), **extra, **kwargs)

        return run

    # -- commands ---------------------------------------------------------------------------------

    def propose_offer(
        self,
        actor: Actor,
        case_id: str,
        kind: str,
        *,
        amount: object = None,
        percent: object = None,
        items: Mapping[str, int] | None = None,
        text: str | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The merchant (or platform) offers a resolution of ``kind``; the complaint waits for the customer.

        Kinds and their terms (``amount`` is :class:`~resolvekit.Money` or a decimal string in the
        order's currency, ``percent`` is in (0, 100], ``items`` maps SKUs to quantities):

        * ``partial_refund``, ``wallet_credit``: ``amount`` or ``percent`` of the order, or of ``items``;
        * ``full_refund``, ``return``: no amount; the whole remaining value of the order or of ``items``;
        * ``coupon``: ``amount`` or ``percent`` off a future order;
        * ``replacement``: ``items`` (default: all);
        * ``other``: ``text`` only; any kind may carry a ``text`` message.
        """
        decide = self._with_order(offer_commands.propose_offer, kinds=self.offer_kinds)
        if items is not None and not isinstance(items, Mapping):
            raise ValidationError(N_("{field} must be a mapping of SKUs to quantities."), field="items")
        items = None if items is None else dict(items)
        return self._command(
            "propose_offer", actor, case_id, idempotency_key, decide, kind, amount=amount, percent=percent, items=items, text=text
        )

    def accept_offer(
        self,
        actor: Actor,
        case_id: str,
        offer_id: str,
        *,
        confirmed: bool = False,
        verification_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The customer accepts an offer; by default the complaint closes (after the customer confirms).

        When accepting closes the complaint, it needs the same one-time ``verification_code`` as
        :meth:`~resolvekit.ResolveKit.close` (guest access, or per ``Policy.security.close_verification``).
        """
        decide = self._with_order(offer_commands.accept_offer)
        if self.policy.offers.accept_closes_complaint:
            policy = self.policy
            self._confirm_with_code(
                actor,
                case_id,
                verification_code,
                idempotency_key,
                lambda case: decide(case, actor, offer_id, confirmed=confirmed, now=self.now(), policy=policy),
            )
        return self._command("accept_offer", actor, case_id, idempotency_key, decide, offer_id, confirmed=confirmed)

    def reject_offer(
        self, actor: Actor, case_id: str, offer_id: str, reason: str, *, idempotency_key: str | None = None
    ) -> CommandResult:
        """The customer rejects an offer with a reason; the complaint waits for the merchant."""
        return self._command("reject_offer", actor, case_id, idempotency_key, offer_commands.reject_offer, offer_id, reason)

    def withdraw_offer(
        self, actor: Actor, case_id: str, offer_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> CommandResult:
        """The merchant or platform withdraws an offer not accepted yet."""
        return self._command(
            "withdraw_offer", actor, case_id, idempotency_key, offer_commands.withdraw_offer, offer_id, reason
        )

    def cancel_offer(
        self, actor: Actor, case_id: str, offer_id: str, reason: str, *, idempotency_key: str | None = None
    ) -> CommandResult:
        """The platform gives up on an offer that was accepted but not carried out yet, or whose execution failed.

        Use it for an offer :meth:`execute_pending` would otherwise retry forever (a payment method
        that no longer exists, a gateway that keeps refusing). The offer becomes ``cancelled``, a final
        status: it no longer holds money against the order (so another offer may use that amount),
        it is never executed or retried, and the activity log records it (``offer_cancelled``, with
        the reason and the steps already completed). The customer and the merchant are notified.
        The complaint's status does not change.

        Only the platform may cancel (:class:`~resolvekit.errors.PermissionDenied` otherwise): the
        customer already accepted the offer, so the merchant may not take it back alone (before
        acceptance the merchant withdraws it with :meth:`withdraw_offer`). ``reason`` is required.
        Refused with :class:`~resolvekit.errors.OfferNotOpen` when the offer is in another status
        (proposed, executing, awaiting the return, or final), and when one of its money steps
        (``refund``, ``wallet_credit``) already completed: that money has left.

        Before cancelling an offer whose last attempt timed out, check with the payment service that
        nothing was paid under the offer's idempotency keys (``"<offer id>:refund"``): a call that
        timed out may have paid without resolvekit hearing of it.
        """
        return self._command("cancel_offer", actor, case_id, idempotency_key, offer_commands.cancel_offer, offer_id, reason)

    def impose_offer(
        self, actor: Actor, case_id: str, offer_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> CommandResult:
        """A platform decision imposes a proposed offer as the resolution (as if the customer accepted)."""
        decide = self._with_order(offer_commands.impose_offer)
        return self._command("impose_offer", actor, case_id, idempotency_key, decide, offer_id, reason)

    def dispute_complaint(
        self,
        actor: Actor,
        case_id: str,
        explanation: str,
        *,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The merchant answers that the complaint is not valid, with an explanation and evidence files."""
        return self._command(
            "dispute_complaint",
            actor,
            case_id,
            idempotency_key,
            offer_commands.dispute_complaint,
            explanation,
            attachment_values(attachments),
        )

    def confirm_return(
        self, actor: Actor, case_id: str, offer_id: str, *, note: str | None = None, idempotency_key: str | None = None
    ) -> CommandResult:
        """The returned item arrived (merchant, platform, or the system on a carrier's webhook).

        The offer goes back to ``executing``; the next :meth:`execute_pending` (or
        :meth:`execute_offer`) pays the refund.
        """
        return self._command("confirm_return", actor, case_id, idempotency_key, offer_commands.confirm_return, offer_id, note)

    def allowed_offer_events(self, actor: Actor, case_id: str, offer_id: str) -> tuple[str, ...]:
        """The offer lifecycle events ``actor`` may fire on the offer now (for a user interface)."""
        case = self._visible(actor, case_id)
        offer = case.offer(offer_id) if isinstance(case, Complaint) else None
        if offer is None:
            raise OfferNotFound(offer_id=offer_id, case_id=case_id)
        return lifecycle_for("offer").allowed_events(offer.status, actor.role, self.policy)

    # -- execution --------------------------------------------------------------------------------

    def _offer(self, actor: Actor, case_id: str, offer_id: str) -> tuple[Complaint, Offer]:
        case = self._visible(actor, case_id)
        offer = case.offer(offer_id) if isinstance(case, Complaint) else None
        if offer is None:
            raise OfferNotFound(offer_id=offer_id, case_id=case_id)
        assert isinstance(case, Complaint)
        return case, offer

    def execute_offer(self, actor: Actor, case_id: str, offer_id: str) -> Offer:
        """Carry out an accepted offer now: start (or resume, or retry) and run its steps in order.

        Each step calls its hook (``resolvekit_refund``, ``resolvekit_return_label``,
        ``resolvekit_wallet_credit``, ``resolvekit_issue_coupon`` or ``resolvekit_fulfil_offer``)
        with the step's idempotency key and records the result in the activity log. A hook that
        raises (or no plugin handling the step) records the offer as ``failed`` with the reason and
        a retry time; a return stops in ``awaiting_return`` when the policy wants the item back
        before the refund. Returns the offer as it ends.

        ``actor`` is the host's worker (``Actor.system()``), the platform or the store's merchant.
        An offer that is not accepted, executing or failed raises
        :class:`~resolvekit.errors.OfferNotOpen`; nothing is called.
        """
        started = self._command("execute_offer", actor, case_id, None, self._with_order(offer_commands.start_execution), offer_id)
        case = started.case
        for _ in range(32):  # each pass commits one step; the bound only guards against a faulty storage
            offer = case.offer(offer_id) if isinstance(case, Complaint) else None
            assert offer is not None
            if offer.status != "executing" or not offer.pending_steps:
                return offer
            step = offer.pending_steps[0]
            request = ExecutionRequest(
                idempotency_key=offer.idempotency_key(step),
                step=step,
                offer=offer,
                case_id=case.id,
                store_id=case.store_id,
                customer_id=case.customer_id,
                order_id=case.order_id or "",
            )
            try:
                try:
                    reference = self.plugins.execute_step(request)
                    if reference is None:
                        raise LookupError(f"no plugin carries out the {step!r} step; register one for its hook")
                except Exception as exc:  # a host hook may raise anything: record it, visibly, and stop
                    delay = min(self._retry_backoff * (2 ** max(offer.attempts - 1, 0)), timedelta(days=1))
                    reason = f"{type(exc).__name__}: {exc}"
                    fail = offer_commands.fail_execution
                    case = self._command("fail_offer", actor, case_id, None, fail, offer_id, step, reason, self.now() + delay).case
                    continue
                case = self._command("record_offer_step", actor, case_id, None, offer_commands.record_step, offer_id, step, str(reference)).case
            except (ConcurrencyConflict, OfferNotOpen):
                case = self._visible(actor, case_id)  # another writer moved the offer: look again (a repeat reuses the key)
        return self._offer(actor, case_id, offer_id)[1]

    def _complaints(self, statuses: frozenset[str] | None = None) -> list[Complaint]:
        result: list[Complaint] = []
        after = None
        while True:
            page = self.storage.query(CaseQuery(kind="complaint", statuses=statuses, limit=_PAGE, after=after))
            result.extend(c for c in page.items if isinstance(c, Complaint) and c.offers)
            if page.next_cursor is None:
                return result
            after = page.next_cursor

    def _offer_work(self, now: datetime, statuses: frozenset[str] | None = None) -> Iterator[tuple[Case, DueCase | None]]:
        """The cases the offer sweeps look at, each with its row of the offer index.

        With an :class:`~resolvekit.storage.OfferIndex`: the cases whose stored next offer step is at
        or before ``now``, in ``(step, case id)`` order, read a page at a time (keyset paging) and
        each case once. Without one: every complaint with offers (in ``statuses`` when given), newest
        first, with no row.
        """
        storage = self.storage
        if not isinstance(storage, OfferIndex):
            for complaint in self._complaints(statuses):
                yield complaint, None
            return
        seen: set[str] = set()
        after: tuple[datetime, str] | None = None
        while True:
            rows = storage.offers_due(now, _DUE_PAGE, after=after)
            for row in rows:
                if row.case_id in seen:  # listed again after a step of this run moved it: done already
                    continue
                seen.add(row.case_id)
                case = storage.load(row.case_id)
                if case is not None:
                    yield case, row
            if len(rows) < _DUE_PAGE:
                return
            after = (rows[-1].next_deadline, rows[-1].case_id)

    def _settle(self, case: Case, row: DueCase | None) -> None:
        """Repair the index entry of a listed case a sweep found nothing to do on (if it is stale).

        Its next offer step is worked out again from the case as loaded and stored only if the case
        is still at that version (a newer commit has stored its own).
        """
        storage = self.storage
        if row is None or not isinstance(storage, OfferIndex):
            return
        step = next_offer_step(case)
        if step != row.next_deadline:
            storage.reschedule_offers(case.id, case.version, step)

    def execute_pending(self, limit: int = 100, *, actor: Actor | None = None) -> ExecutionReport:
        """Execute up to ``limit`` due offers: accepted ones, interrupted ones (still ``executing``), and
        failed ones whose retry time has come. Run it from the host's worker, like :meth:`dispatch`.

        It reads only the complaints whose offers need the worker, from the storage's offer index
        (:class:`~resolvekit.storage.OfferIndex`, kept by every built-in backend; earliest due
        first), so its cost follows the work due, not the number of complaints. On a backend
        without that index it scans the stored complaints (newest first). A listed complaint with
        nothing due (e.g. one a schema upgrade listed) has its index entry corrected.
        """
        actor = actor if actor is not None else Actor.system()
        now = self.now()
        executed = failed = waiting = 0
        errors: list[tuple[str, str]] = []
        done = 0
        for case, row in self._offer_work(now):
            if done >= limit:
                break
            acted = False
            for offer in case.offers if isinstance(case, Complaint) else ():
                if not execution_due(offer, now) or done >= limit:
                    continue
                done += 1
                acted = True
                try:
                    after = self.execute_offer(actor, case.id, offer.id)
                except ResolveKitError as exc:  # e.g. another worker finished it first
                    errors.append((offer.id, str(exc)))
                    failed += 1
                    continue
                if after.status == "executed":
                    executed += 1
                elif after.status == "awaiting_return":
                    waiting += 1
                else:
                    failed += 1
                    errors.append((offer.id, after.last_error or after.status))
            if not acted:
                self._settle(case, row)
        return ExecutionReport(executed, failed, waiting, tuple(errors))

    def expire_offers(self, limit: int = 100) -> int:
        """Record the expiry of proposed offers whose deadline passed (as the system); returns how many.

        Only offers of open complaints expire here. Like :meth:`execute_pending` it reads the
        storage's offer index (every complaint, on a backend without one). Accepting an offer after
        its deadline is refused even before this sweep runs.
        """
        now = self.now()
        system = Actor.system()
        count = 0
        for case, row in self._offer_work(now, _OPEN_COMPLAINT):
            if count >= limit:
                break
            acted = False
            for offer in case.offers if isinstance(case, Complaint) else ():
                if count >= limit or not expiry_due(case, offer, now):
                    continue
                acted = True
                try:
                    self._command("expire_offer", system, case.id, None, offer_commands.expire_offer, offer.id)
                except ConcurrencyConflict:
                    continue
                count += 1
            if not acted:
                self._settle(case, row)
        return count
