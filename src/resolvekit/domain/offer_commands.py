"""Offer commands: the pure rules that turn offer requests into events, or refuse them.

Like :mod:`resolvekit.domain.commands`, each function takes the complaint as it is now, the actor,
the policy and the current time and returns events or raises. The application adds what a pure
function cannot look up itself: the offer kinds registered by plugins (``kinds``) and the offers of
the order's *other* complaints (``order_offers``), so conservation holds per order, not per complaint.

Order of checks, so the most useful error wins: the complaint's lifecycle (who may act, in which
status), then the offer (exists, still open, not expired), then the terms (amounts, percentages,
items), then conservation, then the customer's confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, Complaint
from resolvekit.domain.commands import _attachments, _confirmation, _event, _only_kind, _text, _transition
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.money import HUNDRED, Money, as_share
from resolvekit.domain.offers import MONEY_STEPS, Offer, OfferKind, OfferLine, OrderLedger, Terms, _proposal_data, check_offer
from resolvekit.domain.policy import Policy
from resolvekit.domain.transitions import ACTIONS, lifecycle_for
from resolvekit.domain.values import Attachment, Order
from resolvekit.errors import (
    CaseClosed,
    CurrencyMismatch,
    InvalidAmount,
    InvalidShare,
    InvalidTransition,
    OfferExpired,
    OfferLimitReached,
    OfferNotFound,
    OfferNotOpen,
    OverRefund,
    PermissionDenied,
    ValidationError,
)

__all__ = [
    "accept_offer",
    "cancel_offer",
    "confirm_return",
    "dispute_complaint",
    "expire_offer",
    "fail_execution",
    "impose_offer",
    "propose_offer",
    "record_step",
    "reject_offer",
    "start_execution",
    "withdraw_offer",
]


# Enum members bound to module names: on Python 3.11 each ``Terms.X`` or ``EventKind.X`` lookup goes
# through ``EnumType.__getattr__`` (about 0.1 us), and these run on every offer command.
_TEXT, _ITEMS, _COUPON, _FULL = Terms.TEXT, Terms.ITEMS, Terms.COUPON, Terms.FULL
_OFFER_PROPOSED, _OFFER_ACCEPTED, _CASE_CLOSED = EventKind.OFFER_PROPOSED, EventKind.OFFER_ACCEPTED, EventKind.CASE_CLOSED


# -- helpers --------------------------------------------------------------------------------------


def _complaint(case: Case, event: str) -> Complaint:
    _only_kind(case, Complaint, event)
    assert isinstance(case, Complaint)
    return case


def _order(case: Complaint) -> Order:
    if case.order is None:
        raise ValidationError(N_("Complaint {case_id} has no order details, so it cannot carry money offers."), case_id=case.id)
    return case.order


def _find(case: Complaint, offer_id: object) -> Offer:
    offer = case.offer(offer_id) if isinstance(offer_id, str) else None
    if offer is None:
        raise OfferNotFound(offer_id=offer_id, case_id=case.id)
    return offer


def _fire_offer(offer: Offer, event: str, actor: Actor, policy: Policy) -> str:
    """The offer's status after ``event``; OfferNotOpen when the offer's status does not allow it."""
    try:
        return lifecycle_for("offer").fire(offer.status, event, actor.role, policy, case_id=offer.id)
    except PermissionDenied:
        raise
    except InvalidTransition:
        raise OfferNotOpen(action=ACTIONS[event], offer_id=offer.id, status=offer.status) from None


def _open_offer(offer: Offer, event: str, actor: Actor, now: datetime, policy: Policy) -> str:
    """Checks for deciding a proposed offer: not expired, still proposed, and the actor may."""
    if offer.is_expired(now):
        assert offer.expires_at is not None
        raise OfferExpired(offer_id=offer.id, expires_at=offer.expires_at.isoformat())
    return _fire_offer(offer, event, actor, policy)


def _not_closed(case: Case, event: str) -> None:
    if case.is_closed:
        raise CaseClosed(kind=case.kind, case_id=case.id, action=ACTIONS[event])


def _ledger(order: Order, case: Complaint, order_offers: Iterable[Offer], *, without: str | None = None) -> OrderLedger:
    own = (o for o in case.offers if o.id != without)
    return OrderLedger.of(order, (*order_offers, *own))


def _money(value: object, currency: str, field: str) -> Money:
    if isinstance(value, Money):
        if value.currency != currency:
            raise CurrencyMismatch(
                N_("The {field} is in {left} but the order was paid in {right}; offer {right}."),
                field=field,
                left=value.currency,
                right=currency,
            )
        money = value
    else:
        money = Money(value, currency)
    if not money.is_positive:
        raise InvalidAmount(N_("The {field} must be more than zero, got {value}."), field=field, value=str(money))
    return money


def _items(order: Order, items: Mapping[str, int] | None) -> list[tuple[str, int, Money]]:
    """``(sku, quantity, value of those units)`` for the chosen items, checked against the order."""
    if items is None:
        return []
    if not isinstance(items, Mapping) or not items:
        raise ValidationError(N_("items must map item SKUs to quantities, e.g. {{'sku-1': 1}}; got {value!r}."), value=items)
    by_sku = {i.sku: i for i in order.items}
    result = []
    for sku, quantity in items.items():
        item = by_sku.get(sku)
        if item is None:
            raise ValidationError(
                N_("Order {order} has no item {sku!r}; choose from {skus}."),
                order=order.display_number,
                sku=sku,
                skus=", ".join(by_sku) or "(no items)",
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= item.quantity:
            raise ValidationError(
                N_("Quantity {quantity!r} of item {sku} is not between 1 and the {bought} bought."),
                quantity=quantity,
                sku=sku,
                bought=item.quantity,
            )
        result.append((sku, quantity, Money(item.unit_price, order.currency).times(quantity)))
    return result


def _no(field: str, value: object, kind: OfferKind) -> None:
    if value is not None:
        raise ValidationError(N_("A {kind} offer takes no {field}."), kind=kind.name, field=field)


def _one_of(amount: object, percent: object, kind: OfferKind) -> None:
    if (amount is None) == (percent is None):
        raise ValidationError(N_("A {kind} offer needs either an amount or a percent, not both and not neither."), kind=kind.name)


def _terms(
    kind: OfferKind,
    ledger: OrderLedger,
    amount: object,
    percent: object,
    items: Mapping[str, int] | None,
    policy: Policy,
) -> tuple[Money | None, Decimal | None, tuple[OfferLine, ...]]:
    """The offer's money, percentage and lines; conservation is checked by the caller."""
    order = ledger.order
    currency = order.currency
    chosen = _items(order, items)
    zero = Money.zero(currency)
    if kind.terms is _TEXT:
        _no("amount", amount, kind)
        _no("percent", percent, kind)
        _no("items", items, kind)
        return None, None, ()
    if kind.terms is _ITEMS:
        _no("amount", amount, kind)
        _no("percent", percent, kind)
        if not chosen:
            chosen = [(i.sku, i.quantity, zero) for i in order.items]
        return None, None, tuple(OfferLine(sku, q, zero) for sku, q, _ in chosen)
    if kind.terms is _COUPON:
        _no("items", items, kind)
        _one_of(amount, percent, kind)
        if percent is not None:
            return None, as_share(percent), ()
        return _money(amount, currency, "amount"), None, ()
    if kind.terms is _FULL:
        _no("amount", amount, kind)
        _no("percent", percent, kind)
        if not chosen:
            lines = tuple(OfferLine(i.sku, ledger.units_left(i.sku), zero) for i in order.items if ledger.units_left(i.sku) > 0)
            money = ledger.remaining
        else:
            line_list = []
            for sku, quantity, _ in chosen:
                left_units = ledger.units_left(sku)
                left = max(ledger.item_remaining(sku), zero)
                if quantity > left_units:
                    ledger.check(zero, [OfferLine(sku, quantity, zero)], units=True)  # raises OverRefund naming the units left
                part = left if quantity == left_units else left.allocate([quantity, left_units - quantity])[0]
                line_list.append(OfferLine(sku, quantity, part))
            lines = tuple(line_list)
            money = sum((line.amount for line in lines), zero)
            remaining = ledger.remaining
            if money > remaining and remaining.is_positive:
                # Order-level refunds already took part of these items' value: refund what remains of
                # the order, spread over the lines in proportion.
                money = remaining
                parts = money.allocate([line.amount for line in lines])
                lines = tuple(attrs.evolve(line, amount=part) for line, part in zip(lines, parts, strict=True))
        if not money.is_positive:
            raise OverRefund(
                amount=money.format(),
                order=order.display_number,
                remaining=zero.format(),
                remaining_amount=str(zero.amount),
                currency=currency,
            )
        return money, None, lines
    # Terms.SHARE: an amount or a percentage of the order, or of the chosen items.
    _one_of(amount, percent, kind)
    base = sum((value for _, _, value in chosen), zero) if chosen else ledger.paid
    share: Decimal | None = None
    if percent is not None:
        share = as_share(percent)
        money = base.percent(share)
        if not money.is_positive:
            raise InvalidAmount(
                N_("{percent}% of {base} rounds down to nothing in {currency}; offer a larger share."),
                percent=str(share),
                base=base.format(),
                currency=currency,
            )
    else:
        money = _money(amount, currency, "amount")
    share_lines: tuple[OfferLine, ...] = ()
    if chosen:
        if money > base:
            raise _over_base(money, base, order)
        parts = money.allocate([value for _, _, value in chosen])
        share_lines = tuple(OfferLine(sku, q, part) for (sku, q, _), part in zip(chosen, parts, strict=True))
    offers = policy.offers
    low, high = offers.partial_refund_min_percent, offers.partial_refund_max_percent
    # (with the default 0% to 100%, a positive amount not above the base always passes)
    if "refund" in kind.steps and money <= base and (low or high != HUNDRED):
        exact = money.amount * 100
        if exact < base.amount * low or exact > base.amount * high:
            raise InvalidShare(
                N_("A partial refund must be between {low}% and {high}% of {base}; {amount} is {share}%."),
                low=str(low),
                high=str(high),
                base=base.format(),
                amount=money.format(),
                share=f"{exact / base.amount:.2f}",
            )
    return money, share, share_lines


def _over_base(money: Money, base: Money, order: Order) -> OverRefund:
    return OverRefund(
        N_("{amount} is more than the chosen items of order {order} cost ({remaining}). Offer at most {remaining}."),
        amount=money.format(),
        order=order.display_number,
        remaining=base.format(),
        remaining_amount=str(base.amount),
        currency=base.currency,
    )


# -- proposing and deciding -------------------------------------------------------------------------


def propose_offer(
    case: Case,
    actor: Actor,
    kind: str,
    *,
    amount: object = None,
    percent: object = None,
    items: Mapping[str, int] | None = None,
    text: str | None = None,
    kinds: Mapping[str, OfferKind],
    order_offers: Iterable[Offer] = (),
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """The merchant (or platform) proposes a resolution offer; the complaint waits for the customer.

    ``amount`` (a :class:`~resolvekit.domain.money.Money` or a decimal string in the order's
    currency) or ``percent`` gives a share, ``items`` (``{sku: quantity}``) narrows it to some order
    lines. A money offer that would, once accepted, refund or credit more than remains on the order
    is refused with :class:`~resolvekit.errors.OverRefund`.
    """
    complaint = _complaint(case, "propose_resolution")
    payload: dict[str, Any] = {}
    _transition(complaint, "propose_resolution", actor, policy, payload)
    offer_kind = kinds.get(kind) if isinstance(kind, str) else None
    allowed = policy.offers.kinds
    if offer_kind is None or (allowed is not None and kind not in allowed):
        names = sorted(kinds if allowed is None else allowed & kinds.keys())
        raise ValidationError(N_("Unknown offer kind {kind!r}; choose one of {allowed}."), kind=kind, allowed=", ".join(names))
    limit = policy.offers.max_per_complaint
    if limit is not None and len(complaint.offers) >= limit:
        raise OfferLimitReached(case_id=complaint.id, count=len(complaint.offers), limit=limit)
    if offer_kind.terms is _TEXT or text is not None:
        text = _text(text, "text", policy)
    order = _order(complaint)
    moves_money = offer_kind.moves_money
    # Only money offers (and full terms, which are "what remains") need the order's other offers.
    needs_ledger = moves_money or offer_kind.terms is _FULL
    ledger = _ledger(order, complaint, order_offers) if needs_ledger else OrderLedger.of(order, ())
    money, share, lines = _terms(offer_kind, ledger, amount, percent, items, policy)
    if moves_money and money is not None:
        ledger.check(money, lines, units=offer_kind.terms is _FULL)
    expiry = policy.offers.expiry
    version = complaint.version + 1
    terms = _proposal_data(  # the new offer's ``to_dict()``, without building it
        f"{complaint.id}/o{version}",
        offer_kind.name,
        offer_kind.steps,
        moves_money,
        offer_kind.keeps_item,
        offer_kind.terms.value,
        None if expiry is None else now + expiry,
        money,
        share,
        lines,
        text,
    )
    terms.update(payload)  # (as ``{**terms, **payload}``)
    return [_event(complaint.id, version, _OFFER_PROPOSED, actor, now, terms)]


def _accepting(
    case: Case,
    actor: Actor,
    offer_id: str,
    complaint_event: str,
    offer_event: str,
    order_offers: Iterable[Offer],
    now: datetime,
    policy: Policy,
) -> tuple[Complaint, Offer, str]:
    complaint = _complaint(case, complaint_event)
    target = lifecycle_for("complaint").fire(complaint.status, complaint_event, actor.role, policy, case_id=complaint.id)
    offer = _find(complaint, offer_id)
    _open_offer(offer, offer_event, actor, now, policy)
    if offer.reserved is None and offer.moves_money and offer.amount is not None:
        check_offer(_ledger(_order(complaint), complaint, order_offers, without=offer.id), offer)
    return complaint, offer, target


def _accepted_events(
    complaint: Complaint, offer: Offer, actor: Actor, target: str, now: datetime, imposed: bool, reason: str | None
) -> list[CaseEvent]:
    version = complaint.version + 1
    payload: dict[str, Any] = {"offer_id": offer.id, "offer_status": "accepted", "imposed": imposed, "reason": reason}
    if target == "closed":
        return [
            _event(complaint.id, version, _OFFER_ACCEPTED, actor, now, payload),
            _event(complaint.id, version + 1, _CASE_CLOSED, actor, now, {"status": target, "resolution": offer.id}),
        ]
    if target != complaint.status:
        payload["status"] = target
    return [_event(complaint.id, version, _OFFER_ACCEPTED, actor, now, payload)]


def accept_offer(
    case: Case,
    actor: Actor,
    offer_id: str,
    *,
    confirmed: bool = False,
    order_offers: Iterable[Offer] = (),
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """The customer accepts a proposed offer; by default this closes the complaint (after confirming).

    Refused when the offer expired (:class:`~resolvekit.errors.OfferExpired`), is no longer
    proposed (:class:`~resolvekit.errors.OfferNotOpen`: accepted twice, withdrawn, rejected), or
    would now break conservation (:class:`~resolvekit.errors.OverRefund`).
    """
    complaint, offer, target = _accepting(case, actor, offer_id, "accept_resolution", "accept", order_offers, now, policy)
    if target == "closed":
        _confirmation(actor, confirmed, policy)
    return _accepted_events(complaint, offer, actor, target, now, imposed=False, reason=None)


def impose_offer(
    case: Case,
    actor: Actor,
    offer_id: str,
    reason: str | None = None,
    *,
    order_offers: Iterable[Offer] = (),
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """A platform decision: the offer is accepted on the customer's behalf (no confirmation)."""
    complaint, offer, target = _accepting(case, actor, offer_id, "impose_resolution", "impose", order_offers, now, policy)
    note = None if reason is None else _text(reason, "reason", policy)
    return _accepted_events(complaint, offer, actor, target, now, imposed=True, reason=note)


def reject_offer(case: Case, actor: Actor, offer_id: str, reason: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The customer rejects a proposed offer, saying why; the merchant is asked to respond."""
    complaint = _complaint(case, "customer_reply")
    payload: dict[str, Any] = {}
    _transition(complaint, "customer_reply", actor, policy, payload)
    offer = _find(complaint, offer_id)
    status = _open_offer(offer, "reject", actor, now, policy)
    payload.update(offer_id=offer.id, offer_status=status, reason=_text(reason, "reason", policy))
    return [_event(complaint.id, complaint.version + 1, EventKind.OFFER_REJECTED, actor, now, payload)]


def withdraw_offer(
    case: Case, actor: Actor, offer_id: str, reason: str | None = None, *, now: datetime, policy: Policy
) -> list[CaseEvent]:
    """The merchant or platform withdraws an offer the customer has not accepted yet."""
    complaint = _complaint(case, "withdraw")
    _not_closed(complaint, "withdraw")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "withdraw", actor, policy)
    payload = {"offer_id": offer.id, "offer_status": status, "reason": None if reason is None else _text(reason, "reason", policy)}
    return [_event(complaint.id, complaint.version + 1, EventKind.OFFER_WITHDRAWN, actor, now, payload)]


def cancel_offer(case: Case, actor: Actor, offer_id: str, reason: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The platform gives up on an accepted offer not being carried out yet, or on a failed one.

    The offer becomes ``cancelled`` (final): it no longer holds money against the order and is never
    executed or retried. The complaint may be closed already (accepting usually closes it); its
    status does not change. ``reason`` is required.

    Refused with :class:`~resolvekit.errors.PermissionDenied` for anyone but the platform,
    :class:`~resolvekit.errors.OfferNotOpen` for an offer in another status (proposed: withdraw it
    instead; executing, awaiting the return, executed, rejected, withdrawn, expired, cancelled), and
    :class:`~resolvekit.errors.OfferNotOpen` too when one of its money steps (``refund``,
    ``wallet_credit``) already completed: that money has left, so cancelling would hide it.
    """
    complaint = _complaint(case, "cancel")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "cancel", actor, policy)
    paid = [r.step for r in offer.results if r.step in MONEY_STEPS]
    if paid:
        raise OfferNotOpen(
            N_("Cannot cancel offer {offer_id}: its {steps} step already paid the customer, so that money has left. "
               "Retry the offer to finish it instead."),
            offer_id=offer.id,
            steps=", ".join(paid),
            status=offer.status,
        )
    payload = {
        "offer_id": offer.id,
        "offer_status": status,
        "reason": _text(reason, "reason", policy),
        "completed_steps": [r.step for r in offer.results],
    }
    return [_event(complaint.id, complaint.version + 1, EventKind.OFFER_CANCELLED, actor, now, payload)]


def expire_offer(case: Case, actor: Actor, offer_id: str, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The system records that a proposed offer's deadline passed (``ResolveKit.expire_offers``)."""
    complaint = _complaint(case, "expire")
    _not_closed(complaint, "expire")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "expire", actor, policy)
    if not offer.is_expired(now):
        raise OfferNotOpen(
            N_("Offer {offer_id} is open until {expires_at}; it cannot expire before."),
            offer_id=offer.id,
            expires_at="never" if offer.expires_at is None else offer.expires_at.isoformat(),
        )
    return [_event(complaint.id, complaint.version + 1, EventKind.OFFER_EXPIRED, actor, now, {"offer_id": offer.id, "offer_status": status})]


def dispute_complaint(
    case: Case, actor: Actor, explanation: str, attachments: Sequence[Attachment] = (), *, now: datetime, policy: Policy
) -> list[CaseEvent]:
    """The merchant answers that the complaint is not valid, with an explanation and evidence files.

    It is a reply to the customer (who may answer, accept an offer or close) and is shown to the
    platform, which decides disputes (DOMAIN section 2).
    """
    complaint = _complaint(case, "merchant_reply")
    if actor.role is not Role.MERCHANT:
        raise PermissionDenied(role=actor.role.value, action=N_("answer that the complaint is not valid"))
    version = complaint.version + 1
    payload: dict[str, Any] = {}
    _transition(complaint, "merchant_reply", actor, policy, payload)
    payload.update(
        message_id=f"{complaint.id}/{version}",
        body=_text(explanation, "explanation", policy),
        attachments=_attachments(attachments, policy),
        internal=False,
        template=None,
    )
    return [_event(complaint.id, version, EventKind.COMPLAINT_DISPUTED, actor, now, payload)]


# -- execution (driven by ResolveKit.execute_offer) ---------------------------------------------------


def start_execution(
    case: Case, actor: Actor, offer_id: str, *, order_offers: Iterable[Offer] = (), now: datetime, policy: Policy
) -> list[CaseEvent]:
    """Record that an execution attempt starts (accepted, failed or interrupted offers).

    Conservation is checked once more against every other reserving offer of the order; an offer that
    would now break it is recorded as failed at once and its hooks are never called. An offer with
    no step left (free text, or every step already done) is executed at once.
    """
    complaint = _complaint(case, "execute")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "execute", actor, policy)
    version = complaint.version + 1
    attempt = offer.attempts + 1
    events = [
        _event(complaint.id, version, EventKind.OFFER_EXECUTION_STARTED, actor, now, {"offer_id": offer.id, "offer_status": status, "attempt": attempt})
    ]
    if offer.moves_money and offer.amount is not None and any(s in MONEY_STEPS for s in offer.pending_steps):
        try:
            check_offer(_ledger(_order(complaint), complaint, order_offers, without=offer.id), offer)
        except OverRefund as exc:
            payload = {"offer_id": offer.id, "offer_status": "failed", "step": None, "reason": str(exc), "retry_at": None}
            events.append(_event(complaint.id, version + 1, EventKind.OFFER_FAILED, actor, now, payload))
            return events
    running = attrs.evolve(offer, status=status)
    return events + _progress(complaint.id, running, running.pending_steps, actor, now, policy, version + 1)


def _progress(
    case_id: str, offer: Offer, pending: Sequence[str], actor: Actor, now: datetime, policy: Policy, version: int, label: str | None = None
) -> list[CaseEvent]:
    """What follows without calling a hook: executed when no step is left, or waiting for the return."""
    if not pending:
        status = _fire_offer(offer, "succeed", actor, policy)
        return [_event(case_id, version, EventKind.OFFER_EXECUTED, actor, now, {"offer_id": offer.id, "offer_status": status})]
    if (
        pending[0] in MONEY_STEPS
        and "return_label" in offer.steps
        and "return_label" not in pending
        and policy.offers.return_before_refund
        and offer.return_received_at is None
    ):
        if label is None:
            label = next((r.reference for r in offer.results if r.step == "return_label"), None)
        status = _fire_offer(offer, "await_return", actor, policy)
        payload = {"offer_id": offer.id, "offer_status": status, "label": label}
        return [_event(case_id, version, EventKind.OFFER_AWAITING_RETURN, actor, now, payload)]
    return []


def record_step(
    case: Case, actor: Actor, offer_id: str, step: str, reference: str, *, now: datetime, policy: Policy
) -> list[CaseEvent]:
    """Record a completed execution step with the host's reference; money steps carry the amount paid.

    In the same commit the offer is executed when this was its last step, or waits for the returned
    item when the policy wants it back before the refund.
    """
    complaint = _complaint(case, "execute")
    offer = _find(complaint, offer_id)
    if offer.status != "executing" or step not in offer.pending_steps:
        raise OfferNotOpen(action=ACTIONS["succeed"], offer_id=offer.id, status=offer.status)
    if not isinstance(reference, str) or not reference.strip():
        raise ValidationError(N_("The {step} hook returned {value!r}; it must return a non-empty reference string."), step=step, value=reference)
    money = offer.amount if step in MONEY_STEPS else None
    payload: dict[str, Any] = {
        "offer_id": offer.id,
        "step": step,
        "idempotency_key": offer.idempotency_key(step),
        "reference": reference.strip(),
        "amount": None if money is None else str(money.amount),
        "currency": None if money is None else money.currency,
    }
    version = complaint.version + 1
    pending = tuple(s for s in offer.pending_steps if s != step)
    label = payload["reference"] if step == "return_label" else None
    return [
        _event(complaint.id, version, EventKind.OFFER_STEP_DONE, actor, now, payload),
        *_progress(complaint.id, offer, pending, actor, now, policy, version + 1, label),
    ]


def confirm_return(case: Case, actor: Actor, offer_id: str, note: str | None = None, *, now: datetime, policy: Policy) -> list[CaseEvent]:
    """The merchant, the platform or the system (a carrier webhook) confirms the item came back."""
    complaint = _complaint(case, "receive_return")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "receive_return", actor, policy)
    payload = {"offer_id": offer.id, "offer_status": status, "note": None if note is None else _text(note, "note", policy)}
    return [_event(complaint.id, complaint.version + 1, EventKind.RETURN_RECEIVED, actor, now, payload)]


def fail_execution(
    case: Case,
    actor: Actor,
    offer_id: str,
    step: str,
    reason: str,
    retry_at: datetime | None,
    *,
    now: datetime,
    policy: Policy,
) -> list[CaseEvent]:
    """A step failed (the hook raised, timed out or no plugin handles it); the offer may be retried."""
    complaint = _complaint(case, "fail")
    offer = _find(complaint, offer_id)
    status = _fire_offer(offer, "fail", actor, policy)
    payload = {
        "offer_id": offer.id,
        "offer_status": status,
        "step": step,
        "reason": reason[:1000] or "unknown error",
        "retry_at": None if retry_at is None else retry_at.isoformat(),
    }
    return [_event(complaint.id, complaint.version + 1, EventKind.OFFER_FAILED, actor, now, payload)]
