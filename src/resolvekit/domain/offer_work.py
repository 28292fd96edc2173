"""When a complaint's offers next need the offer worker: the key of the storage's offer index.

Two sweeps act on offers without anyone asking (``ResolveKit.execute_pending`` and
``ResolveKit.expire_offers``). Their rules are written here once, so the sweeps and the index agree:

* an offer is **due for execution** at ``now`` when it is ``accepted`` or ``executing`` (an
  interrupted run), or ``failed`` with a retry time at or before ``now`` (:func:`execution_due`);
* a proposed offer is **due for expiry** when its deadline has passed (:meth:`Offer.is_expired
  <resolvekit.domain.offers.Offer.is_expired>`) and its complaint is still open
  (:data:`EXPIRY_STATUSES`, :func:`expiry_due`).

:func:`next_offer_step` folds both into one time per case, written with every commit: the earliest
time at which one of the case's offers becomes due. It is never later than the time a sweep would
first act, so a sweep that reads only the cases whose step has come misses nothing.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from resolvekit.domain.cases import Case, Complaint
from resolvekit.domain.offers import Offer

__all__ = ["EXECUTABLE", "EXPIRY_STATUSES", "execution_due", "expiry_due", "next_offer_step"]

EXECUTABLE: frozenset[str] = frozenset({"accepted", "executing"})
"""Offer statuses due for execution at any time (accepted, or interrupted in the middle of a run)."""

EXPIRY_STATUSES: frozenset[str] = frozenset(
    {"under_platform_review", "waiting_for_merchant_response", "waiting_for_customer_response"}
)
"""Complaint statuses in which a proposed offer's expiry is recorded (the complaint is still open)."""


def execution_due(offer: Offer, now: datetime) -> bool:
    """Whether the offer worker executes ``offer`` at ``now``: accepted, executing, or failed with its retry time come."""
    return offer.status in EXECUTABLE or (offer.status == "failed" and offer.retry_at is not None and offer.retry_at <= now)


def expiry_due(case: Case, offer: Offer, now: datetime) -> bool:
    """Whether the expiry sweep records the expiry of ``offer`` (of ``case``) at ``now``."""
    return case.status in EXPIRY_STATUSES and offer.is_expired(now)


def next_offer_step(case: Case) -> datetime | None:
    """The earliest time an offer of ``case`` needs the offer worker, or ``None`` when none ever will.

    Per offer: ``accepted`` or ``executing`` -> its ``decided_at`` (the case's ``updated_at`` if unset),
    i.e. due now; ``failed`` with a ``retry_at`` -> ``retry_at``; ``proposed`` with an ``expires_at``,
    on a complaint in :data:`EXPIRY_STATUSES` -> ``expires_at``; anything else -> never. For every
    ``now`` at or after the case's ``updated_at``, the result is at or before ``now`` exactly when
    :func:`execution_due` or :func:`expiry_due` holds for one of the offers.
    """
    if not isinstance(case, Complaint):
        return None
    earliest: datetime | None = None
    expiring = case.status in EXPIRY_STATUSES
    for offer in case.offers:
        status = offer.status
        at: datetime | None
        if status in EXECUTABLE:
            at = offer.decided_at if offer.decided_at is not None else case.updated_at
        elif status == "failed":
            at = offer.retry_at
        elif status == "proposed" and expiring:
            at = offer.expires_at
        else:
            continue
        if at is not None and (earliest is None or at < earliest):
            earliest = at
    return earliest
