"""The self-service part of the application object: ticket types, the delayed-order triage, intake.

:class:`SelfServiceCommands` is mixed into :class:`~resolvekit.ResolveKit`; call its methods on the
application object. Every command goes through the same path as every other one (idempotency key,
tenancy, a pure decision, one atomic commit with its outbox notifications):

* :meth:`~SelfServiceCommands.triage` decides what a "my order is delayed" request gets, without
  writing anything; :meth:`~SelfServiceCommands.triage_many` does it for a whole batch (a nightly job).
* :meth:`~SelfServiceCommands.request_help` carries the decision out: it records a help request and
  queues the tracking link or the order details for the customer, or opens the ticket automatically
  (and sends the tracking link), or tells the caller that the customer may open an inquiry, which
  :meth:`~SelfServiceCommands.open_inquiry` then does. A second request while a delay ticket for the
  order is open returns that ticket instead of opening another.
* :meth:`~SelfServiceCommands.report_payment_without_order` opens the "payment deducted without an
  order" ticket, routed to the platform team.

Orders are looked up through the ``resolvekit_find_order`` hook, so a customer can only ever name
orders by id; the ticket types and triage rules come from the ``resolvekit_ticket_types`` and
``resolvekit_triage_rules`` hooks. The decisions taken where DOMAIN section 3 is silent are in
``docs/triage.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from resolvekit._command_host import CommandHost
from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor
from resolvekit.domain.cases import Case, Ticket
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.intake import (
    answer_help_request,
    check_intake,
    check_order,
    open_automatic_ticket,
    open_typed_ticket,
)
from resolvekit.domain.security import attachment_values
from resolvekit.domain.ticket_types import ORDER_DELAYED, PAYMENT_WITHOUT_ORDER, TicketType, TicketTypes
from resolvekit.domain.triage import TriageBatch, TriageDecision, TriageOrder, TriageOutcome, TriageRule, triage, triage_many
from resolvekit.domain.values import Attachment, Customer, Order, Store, utc
from resolvekit.errors import InquiryNotOffered, OrderNotFound, ValidationError
from resolvekit.storage import CaseQuery

if TYPE_CHECKING:
    from resolvekit.application import CommandResult

__all__ = ["HelpResult", "SelfServiceCommands"]

_DELAY_TICKET = ORDER_DELAYED.name


@attrs.frozen
class HelpResult:
    """What a self-service help request led to.

    ``decision`` is the triage decision (which rule, why). ``case`` is what was recorded or found:
    a :class:`~resolvekit.domain.cases.HelpRequest` (tracking link or order details sent), a
    :class:`~resolvekit.Ticket` (opened automatically, opened as an inquiry, or an open delay ticket
    found for the order), or ``None`` when the customer may now open an inquiry. ``created`` says
    whether this call wrote it (``False`` for a ticket that already existed); ``events`` are the
    events it appended.
    """

    decision: TriageDecision
    case: Case | None
    events: tuple[CaseEvent, ...] = ()
    created: bool = False

    @property
    def outcome(self) -> TriageOutcome:
        """The triage outcome."""
        return self.decision.outcome

    @property
    def ticket(self) -> Ticket | None:
        """The ticket, when there is one."""
        return self.case if isinstance(self.case, Ticket) else None


class SelfServiceCommands(CommandHost):
    """Self-service intake on :class:`~resolvekit.ResolveKit` (see the module docstring)."""

    if TYPE_CHECKING:
        ticket_types: TicketTypes
        triage_rules: tuple[TriageRule, ...]
        _id_factory: Callable[[str], str]

    # -- triage -----------------------------------------------------------------------------------

    def triage(self, actor: Actor, store: Store, order_id: str) -> TriageDecision:
        """What a "my order is delayed" request about ``order_id`` gets now. Writes nothing.

        ``actor`` is the logged-in customer asking at ``store``; the order is looked up through the
        ``resolvekit_find_order`` hook. A missing order and another customer's order both raise
        :class:`~resolvekit.errors.OrderNotFound`; a store without self-service raises
        :class:`~resolvekit.errors.SelfServiceDisabled`; an order created in the future raises
        :class:`~resolvekit.errors.OrderInFuture`.
        """
        check_intake(actor, None, store, N_("ask for help with an order"))
        order = self._find_order(actor, store, order_id)
        return self._decide(order)

    def triage_many(self, orders: Iterable[TriageOrder], now: datetime | None = None) -> TriageBatch:
        """Decide many orders at once (a nightly job), at ``now`` (default: the clock). Writes nothing.

        Each order is decided exactly as :meth:`triage` would, with this application's rules and
        policy; orders that cannot be triaged are listed in ``batch.refused``.
        """
        when = self.now() if now is None else utc(now, "now")
        return triage_many(orders, when, rules=self.triage_rules, policy=self.policy.triage)

    def _decide(self, order: Order) -> TriageDecision:
        return triage(order, self.now(), rules=self.triage_rules, policy=self.policy.triage)

    def _find_order(self, actor: Actor, store: Store, order_id: object) -> Order:
        if not isinstance(order_id, str) or not order_id.strip():
            raise OrderNotFound(order_id=order_id)
        order = self.plugins.find_order(order_id, actor.id, store.id)
        if order is not None and (not isinstance(order, Order) or order.id != order_id):
            order = None
        return check_order(actor, order, store.id, order_id)

    # -- carrying the decision out ------------------------------------------------------------------

    def request_help(
        self,
        actor: Actor,
        store: Store,
        order_id: str,
        *,
        customer: Customer,
        idempotency_key: str | None = None,
    ) -> HelpResult:
        """The customer asks for help with a delayed order; the triage decision is carried out.

        * send the tracking link / send the order details: a help request is recorded (final from
          the start) and the message to the customer is queued in the outbox with it;
        * open a ticket and send the tracking link: an ``order_delayed`` ticket is opened by the
          system (``under_merchant_review``), the customer is sent the tracking link and the merchant
          is told, in one commit;
        * offer an inquiry: nothing is written; ``result.case`` is ``None`` and the customer may call
          :meth:`open_inquiry`.

        While a delay ticket for the order is open, the open ticket is returned (``created=False``)
        instead of a second one. Concurrent requests cannot open two: the ticket is opened under an
        idempotency key derived from the order and the number of earlier delay tickets for it
        (unless the caller passes its own ``idempotency_key``).
        """
        check_intake(actor, customer, store, N_("ask for help with an order"))
        order = self._find_order(actor, store, order_id)
        decision = self._decide(order)
        outcome = decision.outcome
        if outcome in (TriageOutcome.SEND_TRACKING_LINK, TriageOutcome.SEND_ORDER_DETAILS):
            case_id = self._id_factory("help_request")
            result = self._run(
                actor,
                None,
                lambda case, now: answer_help_request(
                    case_id=case_id, actor=actor, customer=customer, order=order, decision=decision, now=now
                ),
                idempotency_key,
                lambda: repr(("request_help", store.id, order.id, customer)),
            )
            return HelpResult(decision, result.case, result.events, created=not result.replayed)
        earlier, open_ticket = self._delay_tickets(actor, order)
        if open_ticket is not None:
            return HelpResult(decision, self._as_seen_by(actor, open_ticket), (), created=False)
        if outcome is TriageOutcome.OFFER_INQUIRY:
            return HelpResult(decision, None, (), created=False)
        ticket_type = self.ticket_types.require(_DELAY_TICKET)
        case_id = self._id_factory("ticket")
        result = self._run(
            actor,
            None,
            lambda case, now: open_automatic_ticket(
                case_id=case_id, customer=customer, order=order, ticket_type=ticket_type, decision=decision, now=now
            ),
            idempotency_key or self._delay_key(store, order, earlier),
            lambda: repr(("order_delayed_ticket", store.id, order.id, earlier)),
        )
        return HelpResult(decision, result.case, result.events, created=not result.replayed)

    def open_inquiry(
        self,
        actor: Actor,
        store: Store,
        order_id: str,
        *,
        customer: Customer,
        details: str,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
    ) -> HelpResult:
        """The customer opens an inquiry ticket about a delayed order, with details (table case 3).

        Allowed when the triage offers an inquiry now (:class:`~resolvekit.errors.InquiryNotOffered`
        otherwise, naming the outcome decided instead). The ticket starts ``under_merchant_review``.
        While a delay ticket for the order is open, that ticket is returned instead.
        """
        check_intake(actor, customer, store, N_("open an inquiry ticket"))
        order = self._find_order(actor, store, order_id)
        decision = self._decide(order)
        earlier, open_ticket = self._delay_tickets(actor, order)
        if open_ticket is not None:
            return HelpResult(decision, self._as_seen_by(actor, open_ticket), (), created=False)
        if decision.outcome is not TriageOutcome.OFFER_INQUIRY:
            raise InquiryNotOffered(order_id=order.id, outcome=decision.outcome.value, rule=decision.rule)
        ticket_type = self.ticket_types.require(_DELAY_TICKET)
        case_id = self._id_factory("ticket")
        policy = self.policy
        items = attachment_values(attachments)
        result = self._run(
            actor,
            None,
            lambda case, now: open_typed_ticket(
                case_id=case_id,
                actor=actor,
                store_id=store.id,
                customer=customer,
                ticket_type=ticket_type,
                description=details,
                order=order,
                attachments=items,
                now=now,
                policy=policy,
                triage=decision,
            ),
            idempotency_key or self._delay_key(store, order, earlier),
            lambda: repr(("order_delayed_ticket", store.id, order.id, earlier)),
        )
        return HelpResult(decision, result.case, result.events, created=not result.replayed)

    def _delay_tickets(self, actor: Actor, order: Order) -> tuple[int, Ticket | None]:
        """How many delay tickets the customer has had for the order, and the open one (newest)."""
        page = self.storage.query(
            CaseQuery(store_id=order.store_id, customer_id=actor.id, order_id=order.id, kind="ticket", limit=1000)
        )
        tickets = [c for c in page.items if isinstance(c, Ticket) and c.ticket_type == _DELAY_TICKET]
        open_ticket = next((t for t in tickets if not t.is_closed), None)
        return len(tickets), open_ticket

    @staticmethod
    def _delay_key(store: Store, order: Order, earlier: int) -> str:
        return f"resolvekit:order_delayed:{store.id}:{order.id}:{earlier}"

    # -- typed tickets ------------------------------------------------------------------------------

    def report_payment_without_order(
        self,
        actor: Actor,
        store: Store,
        *,
        customer: Customer,
        payment_method: str,
        card_last_four: str,
        details: str = "",
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The customer reports a payment taken without an order (DOMAIN section 3).

        ``card_last_four`` must be exactly four digits; anything that looks like a full card number,
        there or in ``details``, is refused with :class:`~resolvekit.errors.CardNumberRefused` and
        nothing is stored. The ticket goes straight to the platform team (``under_platform_review``).
        """
        return self._open_ticket(
            actor,
            store=store,
            store_id=None,
            customer=customer,
            ticket_type=PAYMENT_WITHOUT_ORDER.name,
            description=details,
            order=None,
            fields={"payment_method": payment_method, "card_last_four": card_last_four},
            attachments=(),
            idempotency_key=idempotency_key,
        )

    def _open_ticket(
        self,
        actor: Actor,
        *,
        store: Store | None,
        store_id: str | None,
        customer: Customer,
        ticket_type: str,
        description: object,
        order: Order | None,
        fields: Mapping[str, object] | None,
        attachments: Sequence[Attachment],
        idempotency_key: str | None,
    ) -> CommandResult:
        """Open a ticket of a registered type (what :meth:`ResolveKit.open_ticket` does)."""
        where, known = self._store(store, store_id)
        check_intake(actor, customer, known, N_("open a ticket"))
        kind: TicketType = self.ticket_types.require(ticket_type)
        if fields is not None and not isinstance(fields, Mapping):
            raise ValidationError(N_("{field} must be a mapping of field names to text."), field="fields")
        form = None if fields is None else dict(fields)
        items = attachment_values(attachments)
        case_id = self._id_factory("ticket")
        policy = self.policy
        return self._run(
            actor,
            None,
            lambda case, now: open_typed_ticket(
                case_id=case_id,
                actor=actor,
                store_id=where,
                customer=customer,
                ticket_type=kind,
                fields=form,
                description=description,
                order=order,
                attachments=items,
                now=now,
                policy=policy,
            ),
            idempotency_key,
            lambda: repr(("open_ticket", where, customer, ticket_type, description, order, sorted((form or {}).items()), items)),
        )

    def _store(self, store: Store | None, store_id: str | None) -> tuple[str, Store | None]:
        """The store's id and, when known, its description (passed, or from ``resolvekit_find_store``)."""
        if store is not None:
            if not isinstance(store, Store):
                raise ValidationError(N_("{field} must be a Store, not {type}."), field="store", type=type(store).__name__)
            if store_id is not None and store_id != store.id:
                raise ValidationError(N_("store_id {store_id!r} is not the id of the store passed."), store_id=store_id)
            return store.id, store
        if not isinstance(store_id, str) or not store_id.strip():
            raise ValidationError(N_("A ticket needs its store: pass store= (a Store) or store_id=."))
        found = self.plugins.find_store(store_id)
        if found is not None and (not isinstance(found, Store) or found.id != store_id):
            found = None
        return store_id, found
