"""The one exception hierarchy of resolvekit.

Every error resolvekit raises on purpose derives from :class:`ResolveKitError`, says what was refused
and how to fix it, and (where it fits) also derives from the matching built-in exception::

    ResolveKitError
    ├── ValidationError (ValueError)        bad input: empty body, rating outside 1-5, naive datetime
    │   ├── InvalidAmount                     NaN, a float, too many decimals, unknown currency, not positive
    │   ├── InvalidShare                      a percentage outside (0, 100] or the policy's share limits
    │   ├── CurrencyMismatch                  two currencies mixed
    │   ├── OverRefund                        more than remains refundable on the order (or item)
    │   ├── CardNumberRefused                 a full card number where only the last four digits may go
    │   ├── TextRefused                       control characters, direction overrides or surrogates in free text
    │   ├── AttachmentRefused                 a file refused (subclasses: AttachmentTooLarge, AttachmentEmpty,
    │   │                                     AttachmentTypeNotAllowed, AttachmentTypeMismatch, AttachmentNameRefused)
    │   ├── UnknownTicketType                 no ticket type of that name is registered
    │   ├── OrderInFuture                     the order's creation time is after now (beyond the tolerance)
    │   └── FactConflict                      a reputation fact disagrees with what is known about its order
    ├── NotFound (LookupError)
    │   ├── CaseNotFound                      unknown case, or one the actor may not see
    │   ├── OrderNotFound
    │   └── OfferNotFound
    ├── PermissionDenied                      the actor's role may not do this
    │   ├── SelfServiceDisabled               the store has not enabled self-service tickets
    │   ├── CustomerBlocked                   the host blocked the customer and the policy refuses them
    │   ├── GuestAccessDenied                 wrong complaint number, tracking or verification code (one answer)
    │   ├── AccessGrantInvalid                a guest access grant expired or was altered
    │   └── VerificationFailed                a confirming verification code was refused (subclasses:
    │                                         VerificationCodeRequired, VerificationCodeWrong,
    │                                         VerificationCodeExpired, VerificationCodeUsed, VerificationLocked)
    ├── InvalidTransition                     the event is not allowed in the case's status
    │   ├── CaseClosed                        the case is closed; closed is final
    │   ├── OfferNotOpen                      the offer was already accepted, rejected, withdrawn...
    │   │   └── OfferExpired                  the offer's deadline passed
    │   ├── OfferLimitReached                 the policy's number of offers per complaint is used up
    │   ├── InquiryNotOffered                 the delayed-order triage does not offer an inquiry ticket now
    │   └── NotDue                            an SLA step (breach, warning, auto-close) is not due (any more)
    ├── ConcurrencyConflict                   another writer changed the case first
    ├── IdempotencyKeyReused                  the key was used for a different command
    ├── VerificationNotSent                   the verification code could not be delivered
    ├── ConfigurationError                    bad policy, plugin or storage configuration
    └── StorageError                          the storage backend failed
        ├── SchemaError                       not a resolvekit database, or one written by a newer version
        ├── DatabaseCorrupt                   the database file is damaged or not a database at all
        ├── DatabaseLocked                    another process held the database longer than the timeout
        └── DatabaseUnavailable               the database cannot be opened or reached (server gone)

A rejected command changes nothing: errors are raised before anything is written.
Messages are gettext ids (see :mod:`resolvekit._i18n`); ``str(error)`` is the English text and
:meth:`ResolveKitError.render` gives it in another locale.
"""

from __future__ import annotations

from typing import Any, ClassVar

from resolvekit._i18n import N_, render

__all__ = [
    "AccessGrantInvalid",
    "AttachmentEmpty",
    "AttachmentNameRefused",
    "AttachmentRefused",
    "AttachmentTooLarge",
    "AttachmentTypeMismatch",
    "AttachmentTypeNotAllowed",
    "CardNumberRefused",
    "CaseClosed",
    "CaseNotFound",
    "ConcurrencyConflict",
    "ConfigurationError",
    "CurrencyMismatch",
    "CustomerBlocked",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseUnavailable",
    "FactConflict",
    "GuestAccessDenied",
    "IdempotencyKeyReused",
    "InquiryNotOffered",
    "InvalidAmount",
    "InvalidShare",
    "InvalidTransition",
    "NotDue",
    "NotFound",
    "OfferExpired",
    "OfferLimitReached",
    "OfferNotFound",
    "OfferNotOpen",
    "OrderInFuture",
    "OrderNotFound",
    "OverRefund",
    "PermissionDenied",
    "ResolveKitError",
    "SchemaError",
    "SelfServiceDisabled",
    "StorageError",
    "TextRefused",
    "UnknownTicketType",
    "ValidationError",
    "VerificationCodeExpired",
    "VerificationCodeRequired",
    "VerificationCodeUsed",
    "VerificationCodeWrong",
    "VerificationFailed",
    "VerificationLocked",
    "VerificationNotSent",
]


class ResolveKitError(Exception):
    """Base class of every error resolvekit raises on purpose.

    ``message`` is a gettext id with ``{named}`` placeholders filled from ``params``; ``code`` is a
    stable, machine-readable name a host can map to an HTTP status or a user-facing page.
    """

    code: ClassVar[str] = "error"
    default_message: ClassVar[str] = N_("The request was refused.")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.message = message or self.default_message
        self.params = {name: _masked(value) for name, value in params.items()}
        super().__init__(self.render())

    def render(self, locale: str = "en") -> str:
        """Return the message translated into ``locale`` with its placeholders filled.

        In another language than English the statuses, roles, case kinds and actions the message
        names are translated too. resolvekit's own catalogs are used; an application's
        :meth:`~resolvekit.ResolveKit.render_error` also consults the host's.
        """
        if locale == "en":
            return render(self.message, self.params, locale)
        from resolvekit.localization import builtin_localizer

        return builtin_localizer().render_error(self, locale)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.params))


def _masked(value: Any) -> Any:
    """A parameter with a card number in it, masked: a message never repeats one (messages get logged)."""
    if isinstance(value, str) and len(value) >= 13 and sum(ch.isdecimal() for ch in value) >= 13:
        from resolvekit.domain.free_text import mask_card_numbers  # the domain imports this module

        return mask_card_numbers(value)
    return value


def _rebuild(cls: type[ResolveKitError], message: str, params: dict[str, Any]) -> ResolveKitError:
    return cls(message, **params)


class ValidationError(ResolveKitError, ValueError):
    """Input that can never be accepted as given: the message says which field and what to send."""

    code = "validation_error"
    default_message = N_("The input is not valid.")


class NotFound(ResolveKitError, LookupError):
    """Something the command refers to does not exist (or is not visible to the actor)."""

    code = "not_found"
    default_message = N_("Not found.")


class CaseNotFound(NotFound):
    """No case with this id is visible to the actor.

    A case of another store, or another customer's case, is reported exactly like a missing one, so
    that an actor cannot learn which case ids exist.
    """

    code = "case_not_found"
    default_message = N_("No case {case_id} is visible to you. Check the case id and the store you act for.")


class OrderNotFound(NotFound):
    """The order the command refers to is unknown to the host."""

    code = "order_not_found"
    default_message = N_("Order {order_id} was not found for this customer.")


class PermissionDenied(ResolveKitError, PermissionError):
    """The actor's role may not perform this command on this case."""

    code = "permission_denied"
    default_message = N_("A {role} may not {action}.")


class InvalidTransition(ResolveKitError):
    """The command is not allowed while the case is in its current status."""

    code = "invalid_transition"
    default_message = N_("Cannot {action} while the {kind} is in status '{status}'.")


class CaseClosed(InvalidTransition):
    """The case is closed, and closed is final: no replies, notes, offers or reopening."""

    code = "case_closed"
    default_message = N_("The {kind} {case_id} is closed; a closed case cannot change.")


class NotDue(InvalidTransition):
    """An SLA step (a breach, a warning, an automatic escalation or close) is not due on the case now.

    A sweep that lost a race with another worker, or whose step a reply made moot, gets this and
    writes nothing; it is not a failure.
    """

    code = "not_due"
    default_message = N_("The deadline step {step!r} is not due on case {case_id} now; nothing was written.")


class ConcurrencyConflict(ResolveKitError):
    """Another writer appended to the case first; reload and retry (or let the application retry)."""

    code = "concurrency_conflict"
    default_message = N_(
        "Case {case_id} changed while the command ran (expected version {expected}, found {actual}). "
        "Reload the case and try again."
    )


class IdempotencyKeyReused(ResolveKitError):
    """An idempotency key already applied to a different command was sent again."""

    code = "idempotency_key_reused"
    default_message = N_(
        "The idempotency key {key!r} was already used for a different command; use a new key for a new command."
    )


class ConfigurationError(ResolveKitError):
    """The policy, a plugin or the storage URL is not usable; raised at start-up, not mid-command."""

    code = "configuration_error"
    default_message = N_("The configuration is not valid.")


class StorageError(ResolveKitError):
    """The storage backend failed; the command was not applied."""

    code = "storage_error"
    default_message = N_("The storage backend failed: {reason}")


# -- storage backends (SQLite, PostgreSQL, a host's own) ---------------------------------------------


class SchemaError(StorageError):
    """The database is not a resolvekit database, or its schema is newer than this resolvekit.

    ``params["found"]`` and ``params["supported"]`` give the schema versions when they are known.
    """

    code = "schema_error"
    default_message = N_(
        "{location} holds a resolvekit schema of version {found}, newer than the {supported} this resolvekit "
        "understands. Upgrade resolvekit, or point the storage URL at another database."
    )


class DatabaseCorrupt(StorageError):
    """The database file is damaged, or is not a database at all; restore it from a backup."""

    code = "database_corrupt"
    default_message = N_(
        "{location} is damaged or is not a database ({reason}). Restore it from a backup, or point the "
        "storage URL at another file."
    )


class DatabaseLocked(StorageError):
    """Another process or connection held the database for longer than the busy timeout.

    Nothing was written; the command can be retried (with the same idempotency key).
    """

    code = "database_locked"
    default_message = N_(
        "{location} stayed locked by another connection for more than {timeout} seconds; nothing was written. "
        "Retry, or raise the timeout in the storage URL (e.g. '?timeout=30')."
    )


class DatabaseUnavailable(StorageError):
    """The database could not be opened or reached, or the connection broke mid-command.

    A command that was interrupted was rolled back by the database, unless the connection broke while
    the database was committing it: retry with the same idempotency key to be sure it applies once.
    """

    code = "database_unavailable"
    default_message = N_(
        "{location} is not reachable ({reason}). Check that the database is running and the storage URL is "
        "right; retry commands with their idempotency key."
    )


# -- offers and money (resolution offers, exact money) --------------------------------------------


class InvalidAmount(ValidationError):
    """An amount that is not exact money: a float, NaN, infinity, an unknown currency code, more
    decimals than the currency allows, or (for an offer) zero or negative."""

    code = "invalid_amount"
    default_message = N_("The amount is not valid.")


class InvalidShare(ValidationError):
    """A percentage outside (0, 100], or a partial refund's share outside the policy's limits."""

    code = "invalid_share"
    default_message = N_("The percentage is not valid.")


class CurrencyMismatch(ValidationError):
    """Two currencies were mixed (an offer in another currency than the order, or arithmetic)."""

    code = "currency_mismatch"
    default_message = N_("Cannot combine {left} with {right}; amounts must be in the same currency.")


class OverRefund(ValidationError):
    """The offer would refund or credit more than remains refundable on the order or an item.

    ``params["remaining"]`` is the remaining amount, formatted; ``params["remaining_amount"]`` and
    ``params["currency"]`` give it as data.
    """

    code = "over_refund"
    default_message = N_(
        "{amount} is more than remains refundable on order {order}: only {remaining} is left. Offer at most {remaining}."
    )


class OfferNotFound(NotFound):
    """No offer with this id on the complaint."""

    code = "offer_not_found"
    default_message = N_("No offer {offer_id} on complaint {case_id}.")


class OfferNotOpen(InvalidTransition):
    """The offer is no longer proposed (accepted, rejected, withdrawn, expired) or not in a status
    that allows the command (e.g. executing an offer that was never accepted)."""

    code = "offer_not_open"
    default_message = N_("Cannot {action}: offer {offer_id} is {status}.")


class OfferExpired(OfferNotOpen):
    """The offer's deadline passed; ask the merchant for a new offer."""

    code = "offer_expired"
    default_message = N_("Offer {offer_id} expired at {expires_at}; ask for a new offer.")


class OfferLimitReached(InvalidTransition):
    """The policy's maximum number of offers per complaint is used up."""

    code = "offer_limit_reached"
    default_message = N_(
        "Complaint {case_id} already has {count} offer(s); the policy allows {limit} per complaint."
    )


# -- self-service intake (ticket types, delayed-order triage) ---------------------------------------


class CardNumberRefused(ValidationError):
    """A field held something that looks like a full payment-card number (13 or more digits).

    Only the last four digits of a card are ever accepted. The message names the field, never the
    value, and nothing of the refused input is stored or logged.
    """

    code = "card_number_refused"
    default_message = N_(
        "{field} looks like it holds a full card number, which is never accepted or stored. "
        "Remove it and give only the last four digits of the card."
    )


class UnknownTicketType(ValidationError):
    """No ticket type of this name is registered (see the ``resolvekit_ticket_types`` hook)."""

    code = "unknown_ticket_type"
    default_message = N_("There is no ticket type {ticket_type!r}; choose one of {allowed}.")


class OrderInFuture(ValidationError):
    """The order's creation time lies after the current time, beyond the policy's clock-skew tolerance.

    Usually the host's clock or its order data is wrong; the order cannot be triaged until it is fixed.
    """

    code = "order_in_future"
    default_message = N_(
        "Order {order_id} was created at {created_at}, after the current time {now}. "
        "Check the host's clock and the order's creation time."
    )


class SelfServiceDisabled(PermissionDenied):
    """The store has not enabled self-service tickets (``Store.self_service_enabled`` is false)."""

    code = "self_service_disabled"
    default_message = N_(
        "Store {store_id} has not enabled self-service tickets; contact the store another way, "
        "or ask the merchant to enable self-service."
    )


class InquiryNotOffered(InvalidTransition):
    """The delayed-order triage does not offer an inquiry ticket for this order now.

    ``params["outcome"]`` is what the triage decided instead (e.g. ``"send_tracking_link"``).
    """

    code = "inquiry_not_offered"
    default_message = N_(
        "An inquiry ticket about order {order_id} is not offered now: the triage decided '{outcome}' "
        "(rule {rule}). Ask for help instead of opening an inquiry."
    )


# -- reputation ---------------------------------------------------------------------------------------


class FactConflict(ValidationError):
    """A reputation fact disagrees with what earlier facts fixed about its order (seller, buyer, order
    date) or moves a case to another order. The fact is refused and nothing changes."""

    code = "fact_conflict"
    default_message = N_(
        "Fact {fact_id} disagrees with order {order_id}: its {field} is {given}, but the order's is {known}. "
        "Correct the fact, or report it under the right order id."
    )


# -- security: guest access, verification codes, attachments, free text, customer risk ----------------


class GuestAccessDenied(PermissionDenied):
    """Guest access was refused: the complaint number, the tracking code or the verification code is
    not right, the code expired or was used, or too many attempts were made on this complaint.

    One class and one message for every reason, on purpose: the answer never tells whether a
    complaint number exists (see ``docs/security.md``).
    """

    code = "guest_access_denied"
    default_message = N_(
        "The complaint number, tracking code or verification code is not right, or too many attempts were made. "
        "Check what you typed; a verification code is valid for a short time and only once, so request a new one "
        "if needed, and wait an hour after many failed attempts."
    )


class AccessGrantInvalid(PermissionDenied):
    """A guest access grant is malformed, was signed with an unknown key, was altered, or expired."""

    code = "access_grant_invalid"
    default_message = N_(
        "The access to this complaint is not valid any more (it expired or was altered). "
        "Verify again with the complaint number, the tracking code and a new verification code."
    )


class VerificationFailed(PermissionDenied):
    """A verification code given to confirm a command (closing a complaint) was refused."""

    code = "verification_failed"
    default_message = N_("The verification code was refused; request a new code and try again.")


class VerificationCodeRequired(VerificationFailed):
    """The command needs a verification code (the policy asks for one) and none was given."""

    code = "verification_code_required"
    default_message = N_(
        "Closing complaint {case_id} needs a verification code: request one (it is sent to the customer), "
        "then send it as verification_code."
    )


class VerificationCodeWrong(VerificationFailed):
    """The verification code does not match the one sent; ``params["attempts_left"]`` says how many tries remain."""

    code = "verification_code_wrong"
    default_message = N_("The verification code is not right; {attempts_left} attempt(s) left for this code.")


class VerificationCodeExpired(VerificationFailed):
    """No verification code is pending for this purpose: none was requested, or it expired."""

    code = "verification_code_expired"
    default_message = N_("No valid verification code is pending for complaint {case_id} (it expired or none was sent); request a new one.")


class VerificationCodeUsed(VerificationFailed):
    """The verification code was already used; each code works once."""

    code = "verification_code_used"
    default_message = N_("This verification code was already used; each code works once. Request a new one.")


class VerificationLocked(VerificationFailed):
    """Too many attempts: the code's attempts, or the complaint's attempts of the last hour, are used up."""

    code = "verification_locked"
    default_message = N_(
        "Too many verification attempts on complaint {case_id}; request a new code, or wait an hour after many attempts."
    )


class VerificationNotSent(ResolveKitError):
    """The verification code could not be delivered (no plugin delivers the channel, or delivery failed)."""

    code = "verification_not_sent"
    default_message = N_("The verification code could not be sent ({reason}); try again later.")


class TextRefused(ValidationError):
    """Free text holding control characters, direction overrides or unpaired surrogates (never stored)."""

    code = "text_refused"
    default_message = N_(
        "{field} contains control or invisible formatting characters that cannot be stored; remove them and send the text again."
    )


class AttachmentRefused(ValidationError):
    """A file was refused; the subclasses say why. The bytes were not stored."""

    code = "attachment_refused"
    default_message = N_("The file {name!r} was refused.")


class AttachmentTooLarge(AttachmentRefused):
    """The file is larger than the policy's limit (default 10 MB)."""

    code = "attachment_too_large"
    default_message = N_("The file {name!r} has {size} bytes; files are limited to {limit} bytes. Send a smaller file.")


class AttachmentEmpty(AttachmentRefused):
    """The file has no content."""

    code = "attachment_empty"
    default_message = N_("The file {name!r} is empty; attach a file with content.")


class AttachmentTypeNotAllowed(AttachmentRefused):
    """The file's content is not one of the allowed types (PDF, common images and XML by default)."""

    code = "attachment_type_not_allowed"
    default_message = N_("The file {name!r} is {detected}, which is not accepted; send one of: {allowed}.")


class AttachmentTypeMismatch(AttachmentRefused):
    """The file's name says one type and its content is another, or the content is two types at once (a polyglot)."""

    code = "attachment_type_mismatch"
    default_message = N_("The file {name!r} does not hold what its name says; send the original file with its own extension.")


class AttachmentNameRefused(AttachmentRefused):
    """The file name is empty, too long, or holds a path, control characters or a reserved device name."""

    code = "attachment_name_refused"
    default_message = N_("The file name is not accepted; use a plain name such as 'invoice.pdf'.")


class CustomerBlocked(PermissionDenied):
    """The host marked the customer as blocked and the policy does not let blocked customers open cases."""

    code = "customer_blocked"
    default_message = N_("This customer may not open new cases at store {store_id}; contact the store another way.")
