"""The hook specifications: the contract (and reference documentation) of every host service.

A plugin is any object or module with functions named like the hooks below and marked with
:data:`hookimpl`. resolvekit loads plugins from the ``resolvekit`` entry-point group, then from the
``plugins=`` argument of :class:`~resolvekit.ResolveKit`; its own built-in plugins (in-memory
storage, the system clock) are registered exactly that way. A function named ``resolvekit_*`` that
matches no hook fails at start-up, so a misspelt hook cannot be silently ignored.

Example::

    from resolvekit import hookimpl

    class SmsGateway:
        @hookimpl
        def resolvekit_deliver(self, notification):
            if notification.channel != "sms":
                return None            # not mine: let another plugin deliver it
            return my_sms_client.send(...)   # a delivery reference
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import gettext
    from collections.abc import Mapping

    from resolvekit.domain.notifications import Notification, Recipient
    from resolvekit.domain.offers import ExecutionRequest, OfferKind
    from resolvekit.domain.risk import CustomerRisk
    from resolvekit.domain.ticket_types import TicketTypeRegistry
    from resolvekit.domain.triage import TriageRules
    from resolvekit.domain.values import Order, Store
    from resolvekit.localization import RecipientProfile, RenderedMessage
    from resolvekit.storage import Storage

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "resolvekit"
hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (used only in this module)."""
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin's implementation of a hook: ``@hookimpl`` or ``@hookimpl(trylast=True)``."""


# -------------------------------------------------------------------------------------------------
# Storage
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolvekit_open_storage(url: str) -> Storage | None:
    """Open the storage backend for ``url``, if this plugin handles its scheme.

    :param url: what the host passed as ``ResolveKit(storage=...)``, e.g. ``"memory://"``.
    :return: an object implementing :class:`resolvekit.storage.Storage`, or ``None`` when the URL's
        scheme is not this plugin's.

    Calling rule: stops at the first non-``None`` result. Called once per application object.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Notification
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolvekit_deliver(notification: Notification, message: RenderedMessage) -> str | None:
    """Deliver one notification from the outbox to its recipient on its channel.

    :param notification: the notification, its recipient (role and id: the host resolves the
        address) and channel; ``notification.key`` is stable per (event, recipient, channel) so the
        receiving side can drop a duplicate.
    :param message: the notification rendered for its recipient
        (:class:`resolvekit.localization.RenderedMessage`): in their language and time zone
        (:func:`resolvekit_recipient_profile`), with ``message.subject`` and ``message.body`` for an
        email, ``message.text`` for what the channel sends (cut to the SMS length limit for
        ``"sms"``), ``message.direction`` (``"rtl"`` for Arabic) and ``message.translation`` (the
        machine translation of a person's message, or why there is none). An implementation may
        leave this parameter out.
    :return: a delivery reference (any string) when delivered; ``None`` when this plugin does not
        handle the channel. Raise an exception when delivery failed: the outbox keeps the
        notification and retries it with backoff.

    Calling rule: stops at the first non-``None`` result. Called by the dispatcher
    (:meth:`resolvekit.ResolveKit.dispatch`), never inside a command's transaction. Delivery is
    at least once.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Translation
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolvekit_translate(text: str, source_locale: str, target_locale: str) -> str | None:
    """Translate a message written by a person from ``source_locale`` into ``target_locale``.

    :param text: the message as its author wrote it.
    :param source_locale: the author's language (``"ar"``, ``"pt_BR"``...).
    :param target_locale: the reader's language.
    :return: the translated text, or ``None`` when this plugin cannot translate the pair. The
        original text is always kept; a translation is only added beside it. An empty result counts
        as a failure.

    Calling rule: stops at the first non-``None`` result. Called by the dispatcher when a reply goes
    to a reader of another language, in a worker thread, waiting at most
    ``Policy.notifications.translation_timeout`` (2 seconds by default): a translator that raises,
    returns empty text or is late never holds the original back, which is then delivered as written
    and marked untranslated (``message.translation.status``). A translation is recorded on the
    message (``message_translated``) and reused for the other channels. See ``docs/i18n.md`` for
    plugging in a real translation service.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Languages: catalogs and recipients' profiles
# -------------------------------------------------------------------------------------------------


@hookspec
def resolvekit_catalog(locale: str) -> Mapping[str, str] | gettext.NullTranslations | None:
    """Add a locale, or change resolvekit's wording in one, for this application.

    :param locale: one locale of a reader's fallback chain. A reader in ``"es_MX"`` is served from
        ``es_MX``, ``es_419``, ``es`` and ``en`` in that order, and this hook is asked for each.
    :return: message id (the English text marked ``N_`` in resolvekit, see the ``.pot`` file) ->
        translation with the same ``{placeholders}``; or a gettext catalog (e.g.
        ``babel.support.Translations.load(...)``); or ``None`` when this plugin has nothing for the
        locale. A message the result lacks is looked up further along the chain.

    Calling rule: every implementation is called, once per application object and locale, when
    the locale is first needed; the results are consulted in pluggy's order (the plugin registered
    last first), each before resolvekit's own catalog of the same locale. The catalogs belong to
    the application object: another :class:`~resolvekit.ResolveKit` in the process does not see them.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_recipient_profile(recipient: Recipient) -> RecipientProfile | None:
    """Say how to speak to a recipient: their locale, time zone and channels.

    :param recipient: a :class:`~resolvekit.Recipient`: ``role`` and ``id`` (a customer id, a store id
        for a store's merchants, ``"platform"`` for the platform team), and for customers the
        ``locale`` and ``time_zone`` recorded from the :class:`~resolvekit.Customer` value when the
        case was opened.
    :return: a :class:`resolvekit.localization.RecipientProfile`, or ``None`` to let resolvekit
        decide: the recorded locale and time zone for a customer, English and UTC for anyone else.

    Calling rule: stops at the first non-``None`` result. Called when notifications are delivered
    (at most once per recipient per dispatch batch), and for the author of a reply whose language is
    not known, to choose the source language of its translation.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Clock
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolvekit_clock() -> Callable[[], datetime] | None:
    """Provide the clock: a callable returning the current time as a timezone-aware UTC datetime.

    Tests and simulations register a controllable clock; the built-in ``clock`` plugin (registered
    last) provides the system clock.

    Calling rule: stops at the first non-``None`` result. Called once per application object.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Resolution offers: kinds and execution
# -------------------------------------------------------------------------------------------------


@hookspec
def resolvekit_offer_kinds() -> Sequence[OfferKind] | None:
    """Register offer kinds beyond the built-in ones (partial/full refund, return, replacement,
    coupon, wallet credit, other).

    :return: :class:`resolvekit.domain.offers.OfferKind` values. Their ``steps`` name the execution
        steps in order: ``refund`` and ``wallet_credit`` pay money (and count towards conservation,
        so their ``terms`` must be ``"share"`` or ``"full"``), ``return_label`` and ``coupon`` use the
        hooks below, any other step runs through :func:`resolvekit_fulfil_offer`.

    Calling rule: every implementation is called, once per application object, and the kinds are
    merged; a name registered twice is a configuration error at start-up.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_refund(request: ExecutionRequest) -> str | None:
    """Pay ``request.amount`` back to the customer through the payment gateway.

    :param request: the offer, the complaint, store, customer and order ids, and
        ``request.idempotency_key`` (``"<offer id>:refund"``, the same on every retry). Pass the
        key to the gateway so a retried refund after a crash or timeout never pays twice.
    :return: the gateway's reference for the refund; ``None`` when this plugin does not handle the
        order (another plugin may). Raise on failure: the offer is recorded as failed with the
        error and retried later with the same key. A timeout must raise too.

    Calling rule: stops at the first non-``None`` result. Called by
    :meth:`resolvekit.ResolveKit.execute_offer` outside any command's transaction; the result is
    recorded in the complaint's activity log (``offer_step_done``).

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_return_label(request: ExecutionRequest) -> str | None:
    """Create a prepaid shipping label for the customer to send ``request.offer.lines`` back.

    :param request: as for :func:`resolvekit_refund`; the key is ``"<offer id>:return_label"``.
    :return: the label's URL (or the carrier's reference), shown to the customer; ``None`` when this
        plugin does not handle the order. Raise on failure (recorded, retried).

    Calling rule: stops at the first non-``None`` result.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_wallet_credit(request: ExecutionRequest) -> str | None:
    """Credit ``request.amount`` to the customer's store wallet (DOMAIN section 8).

    :param request: as for :func:`resolvekit_refund`; the key is ``"<offer id>:wallet_credit"``.
    :return: the wallet transaction reference; ``None`` when this plugin does not handle it.
        Raise on failure (recorded, retried with the same key).

    Calling rule: stops at the first non-``None`` result.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_issue_coupon(request: ExecutionRequest) -> str | None:
    """Issue a coupon for a future order worth ``request.amount`` or ``request.offer.percent`` %.

    :param request: as for :func:`resolvekit_refund`; the key is ``"<offer id>:coupon"``.
    :return: the coupon code; ``None`` when this plugin does not handle it. Raise on failure.

    Calling rule: stops at the first non-``None`` result.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_fulfil_offer(request: ExecutionRequest) -> str | None:
    """Carry out any other execution step: ``replacement`` and the steps of host-defined kinds.

    :param request: ``request.step`` names the step, ``request.offer.kind`` the kind; the key is
        ``"<offer id>:<step>"``.
    :return: a reference (e.g. the replacement's shipment id); ``None`` when this plugin does not
        handle the step. Raise on failure (recorded, retried).

    Calling rule: stops at the first non-``None`` result.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Self-service: ticket types, the delayed-order triage, the host's orders and stores
# -------------------------------------------------------------------------------------------------


@hookspec
def resolvekit_ticket_types(register: TicketTypeRegistry) -> None:
    """Register self-service ticket types by calling ``register(ticket_type)``.

    :param register: call it with a :class:`resolvekit.domain.ticket_types.TicketType` for each type
        this plugin offers (its form fields, their validation, its routing to the merchant or the
        platform, its initial status). ``register(ticket_type, replace=True)`` replaces a type of
        the same name another plugin registered (the built-in ``order_delayed`` or
        ``payment_without_order``, say).
    :return: nothing.

    Calling rule: every implementation is called, once per application object, when the ticket
    types are first needed. The built-in ``tickets`` plugin registers the two built-in types through
    this very hook. A name registered twice without ``replace=True`` is a
    :class:`~resolvekit.errors.ConfigurationError`.

    Added in 0.1.
    """


@hookspec
def resolvekit_triage_rules(rules: TriageRules) -> None:
    """Add, replace or remove delayed-order triage rules by editing ``rules`` in place.

    :param rules: a :class:`resolvekit.domain.triage.TriageRules` holding the rules so far (first
        the built-in :data:`~resolvekit.domain.triage.DEFAULT_RULES`). ``rules.add(rule)`` puts a
        rule first (so it wins over the built-ins), ``rules.add(rule, before="fallback")`` or
        ``after=`` places it next to a named rule, ``rules.replace(name, rule)`` and
        ``rules.remove(name)`` change the built-ins.
    :return: nothing.

    Calling rule: every implementation is called, once per application object, when the rules are
    first needed; the result is frozen. The last rule must apply to every order (a catch-all), so
    every order gets exactly one outcome; otherwise :class:`~resolvekit.errors.ConfigurationError`.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_find_order(order_id: str, customer_id: str, store_id: str) -> Order | None:
    """Look up one of a customer's orders at a store, for self-service requests.

    :param order_id: the order id the customer gave.
    :param customer_id: the logged-in customer asking.
    :param store_id: the store the customer is asking at.
    :return: the :class:`~resolvekit.Order` (its current status, creation time and, when known,
        ``tracking_url``), or ``None`` when there is no such order for this customer at this store.
        resolvekit checks the owner and the store again and reports a missing order and someone
        else's order with the same :class:`~resolvekit.errors.OrderNotFound`.

    Calling rule: stops at the first non-``None`` result. Called on every self-service request
    about an order; with no implementation at all such requests fail with
    :class:`~resolvekit.errors.ConfigurationError`.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_find_store(store_id: str) -> Store | None:
    """Describe a store, for self-service requests that name it only by id.

    :param store_id: the store's id.
    :return: the :class:`~resolvekit.Store` (whether it enabled self-service above all), or
        ``None`` when this plugin does not know it.

    Calling rule: stops at the first non-``None`` result. Consulted by
    :meth:`resolvekit.ResolveKit.open_ticket` when the host passes ``store_id`` instead of a
    ``Store``; when no plugin knows the store, self-service is taken as enabled.

    Added in 0.1.
    """


# -------------------------------------------------------------------------------------------------
# Security: attachments and the customer card
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolvekit_store_attachment(case_id: str | None, name: str, content_type: str, data: bytes) -> str | None:
    """Keep the bytes of an uploaded file in the host's file storage.

    :param case_id: the case the file is for, or ``None`` for a file uploaded before its case is
        opened (the complaint form's images).
    :param name: the sanitised file name (no path, no control characters, its type's extension).
    :param content_type: the type resolvekit detected from the content (e.g. ``"application/pdf"``);
        serve the file with this type and ``Content-Disposition: attachment``.
    :param data: the file's bytes, already checked (size, allowed type, no polyglot found).
    :return: a reference the host can later resolve to the bytes (a storage key or URL), kept in the
        :class:`~resolvekit.Attachment` metadata; ``None`` when this plugin does not store files.
        Raise when storing failed: the upload fails and nothing is recorded.

    Calling rule: stops at the first non-``None`` result. Called by
    :meth:`resolvekit.ResolveKit.upload_attachment` after every check passed; resolvekit never
    stores the bytes itself. With no implementation, uploads fail with
    :class:`~resolvekit.errors.ConfigurationError`.

    Added in 0.1.
    """


@hookspec(firstresult=True)
def resolvekit_customer_risk(customer_id: str, store_id: str) -> CustomerRisk | None:
    """Say whether a customer is blocked or risky at a store (the host's customer card, DOMAIN section 8).

    :param customer_id: the customer opening a case.
    :param store_id: the store the case is at.
    :return: a :class:`resolvekit.CustomerRisk` (``blocked``, ``risky``, a short ``reason`` for staff),
        or ``None`` when this plugin knows nothing about the customer.

    Calling rule: stops at the first non-``None`` result. Called once for every case being opened
    (complaint, ticket, help request), before it is written. The verdict is recorded on the case
    (merchants and the platform see it, the customer never does); a blocked customer is refused
    with :class:`~resolvekit.errors.CustomerBlocked` when ``Policy.security.blocked_customers_may_open``
    is ``False``.

    Added in 0.1.
    """
