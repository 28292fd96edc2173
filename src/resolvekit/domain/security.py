"""Security rules: guest access and verification codes, card numbers in free text, files, blocked customers.

:class:`SecurityPolicy` is ``Policy.security``. The file-name and attachment-metadata checks here are
pure; reading a file's content to detect its type happens in :mod:`resolvekit.attachments`, and the
keyed hashes of codes in :mod:`resolvekit.guest_access`. ``docs/security.md`` explains the threat
model these rules answer.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from resolvekit._i18n import N_
from resolvekit.domain.free_text import screen_text
from resolvekit.domain.values import Attachment
from resolvekit.errors import (
    AttachmentNameRefused,
    AttachmentTooLarge,
    AttachmentTypeMismatch,
    AttachmentTypeNotAllowed,
    ConfigurationError,
    ValidationError,
)

if TYPE_CHECKING:
    from resolvekit.domain.policy import Policy

__all__ = [
    "ATTACHMENT_TYPES",
    "DEFAULT_ATTACHMENT_TYPES",
    "MAX_FILE_NAME",
    "SecurityPolicy",
    "attachment_data",
    "attachment_values",
    "check_attachment",
    "clean_file_name",
]

ATTACHMENT_TYPES: Mapping[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
    "image/bmp": (".bmp",),
    "image/tiff": (".tif", ".tiff"),
    "application/xml": (".xml",),
}
"""Every type resolvekit can recognise from a file's content, with the file-name extensions it may carry."""

DEFAULT_ATTACHMENT_TYPES: frozenset[str] = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/xml"}
)
"""The types accepted by default: PDF, common images and XML (DOMAIN section 7)."""

MAX_FILE_NAME = 255
"""The longest file name, in characters (the limit of common file systems)."""

_CARD_MODES = ("mask", "refuse")
_CLOSE_MODES = ("guests", "always", "never")
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]")


def _choice(allowed: tuple[str, ...]) -> Any:
    def check(_: object, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in allowed:
            raise ConfigurationError(
                N_("Policy.security.{field} must be one of {allowed}, got {value!r}."),
                field=attribute.name,
                allowed=", ".join(allowed),
                value=value,
            )

    return check


def _between(low: int, high: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigurationError(
                N_("Policy.security.{field} must be a whole number from {low} to {high}, got {value!r}."),
                field=attribute.name,
                low=low,
                high=high,
                value=value,
            )

    return check


def _duration(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(N_("Policy.security.{field} must be a positive timedelta, got {value!r}."), field=attribute.name, value=value)


def _types(value: Iterable[str]) -> frozenset[str]:
    types = frozenset(value)
    unknown = sorted(t for t in types if t not in ATTACHMENT_TYPES)
    if not types or unknown:
        raise ConfigurationError(
            N_("Policy.security.attachment_types must name types resolvekit recognises ({known}); got {unknown}."),
            known=", ".join(sorted(ATTACHMENT_TYPES)),
            unknown=", ".join(unknown) or "none",
        )
    return types


@attrs.frozen
class SecurityPolicy:
    """Guest access, verification codes, card numbers, attachments and blocked customers.

    Attributes:
        card_numbers: what happens to a card number (a Luhn-valid run of 13-19 digits) in free
            text: ``"mask"`` (default) keeps the last four digits and masks the rest before anything
            is stored or sent; ``"refuse"`` refuses the command with
            :class:`~resolvekit.errors.CardNumberRefused`.
        verification_code_digits: the length of a one-time verification code (default 6).
        verification_code_lifetime: how long a verification code is valid (default 10 minutes).
        verification_attempts_per_code: how many times one code may be tried (default 5); then it
            is spent and a new one must be requested.
        verification_attempts_per_hour: how many guest attempts (code requests and checks, right or
            wrong) one complaint number accepts in any hour (default 10); further attempts are
            refused, with the same answer as a wrong code.
        grant_lifetime: how long the guest access a successful verification grants lasts
            (default 30 minutes).
        close_verification: who must give a verification code to close a complaint (or accept a
            resolution that closes it): ``"guests"`` (default: customers acting through guest
            access), ``"always"`` (every customer) or ``"never"``.
        blocked_customers_may_open: whether a customer the host reports as blocked may open cases
            (default ``True``: the case opens and merchants and the platform see the flag).
        attachment_max_bytes: the largest file accepted, in bytes (default 10 MiB).
        attachment_types: the content types accepted (default PDF, JPEG, PNG, GIF, WebP, HEIC and
            XML; BMP and TIFF are recognised too), detected from the file's content.
    """

    card_numbers: str = attrs.field(default="mask", validator=_choice(_CARD_MODES))
    verification_code_digits: int = attrs.field(default=6, validator=_between(4, 12))
    verification_code_lifetime: timedelta = attrs.field(default=timedelta(minutes=10), validator=_duration)
    verification_attempts_per_code: int = attrs.field(default=5, validator=_between(1, 100))
    verification_attempts_per_hour: int = attrs.field(default=10, validator=_between(1, 10_000))
    grant_lifetime: timedelta = attrs.field(default=timedelta(minutes=30), validator=_duration)
    close_verification: str = attrs.field(default="guests", validator=_choice(_CLOSE_MODES))
    blocked_customers_may_open: bool = True
    attachment_max_bytes: int = attrs.field(default=10 * 1024 * 1024, validator=_between(1, 2**40))
    attachment_types: frozenset[str] = attrs.field(default=DEFAULT_ATTACHMENT_TYPES, converter=_types)


def clean_file_name(name: object) -> str:
    """A file name as it will be stored, or :class:`~resolvekit.errors.AttachmentNameRefused`.

    The name is normalised (Unicode NFC, surrounding whitespace trimmed). Refused: anything but
    text, an empty name, a path (``/``, ``\\``, ``..``, a drive letter), a hidden name (leading
    dot), control characters and direction marks (which can disguise the extension, as in
    ``invoice\\u202efdp.exe``), a reserved device name (``CON``, ``NUL``, ``COM1``...), a trailing
    dot, and names over :data:`MAX_FILE_NAME` characters.
    """
    if not isinstance(name, str):
        raise AttachmentNameRefused(N_("A file name must be text, not {type}."), type=type(name).__name__)
    if _NAME_FORBIDDEN.search(name):
        raise AttachmentNameRefused(N_("The file name holds control or text-direction characters; rename the file."))
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise AttachmentNameRefused(N_("The file name is empty; name the file, e.g. 'invoice.pdf'."))
    if len(text) > MAX_FILE_NAME:
        raise AttachmentNameRefused(
            N_("The file name has {length} characters; the limit is {limit}. Shorten it."), length=len(text), limit=MAX_FILE_NAME
        )
    if "/" in text or "\\" in text or ":" in text or posixpath.basename(text) != text:
        raise AttachmentNameRefused(N_("The file name holds a path ('/', '\\' or ':'); send the file's own name only."))
    if text.startswith(".") or text.endswith("."):
        raise AttachmentNameRefused(N_("A file name may not start or end with a dot; use a name such as 'invoice.pdf'."))
    if text.split(".", 1)[0].strip().casefold() in _WINDOWS_DEVICES:
        raise AttachmentNameRefused(N_("The file name is a reserved device name (such as CON or NUL); rename the file."))
    return text


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return "" if dot <= 0 else name[dot:].casefold()


def check_attachment(name: str, content_type: str, size: int, policy: SecurityPolicy) -> str:
    """Check an attachment's metadata against the policy; return the cleaned name.

    Used on every command that carries attachments, whoever sends it, and by the upload (which
    first detects ``content_type`` from the content): the name must be clean and carry an extension
    of its type, the type must be allowed, and the size within the limit.
    """
    cleaned = clean_file_name(name)
    if size > policy.attachment_max_bytes:
        raise AttachmentTooLarge(name=cleaned, size=size, limit=policy.attachment_max_bytes)
    if content_type not in policy.attachment_types:
        raise AttachmentTypeNotAllowed(name=cleaned, detected=content_type, allowed=_allowed(policy))
    extensions = ATTACHMENT_TYPES[content_type]
    if _extension(cleaned) not in extensions:
        raise AttachmentTypeMismatch(
            N_("The file {name!r} holds {content_type}, so its name must end in {extensions}; rename it or send the original file."),
            name=cleaned,
            content_type=content_type,
            extensions=" or ".join(extensions),
        )
    return cleaned


def _allowed(policy: SecurityPolicy) -> str:
    return ", ".join(ext.lstrip(".").upper() for t in sorted(policy.attachment_types) for ext in ATTACHMENT_TYPES[t][:1])


def attachment_data(attachment: Attachment, policy: Policy) -> dict[str, Any]:
    """An attachment's metadata as event data, after :func:`check_attachment` and the free-text
    rules for its name (a card number in a file name is masked or refused like anywhere else)."""
    name = check_attachment(attachment.name, attachment.content_type, attachment.size, policy.security)
    data = attachment.to_dict()
    data["name"] = screen_text(name, "attachments", policy)
    return data


def attachment_values(value: object) -> tuple[Attachment, ...]:
    """``value`` as a tuple of :class:`~resolvekit.Attachment` values, or a ValidationError (for a
    command's ``attachments=`` argument, whatever a caller passes)."""
    if (value.__class__ is tuple or value.__class__ is list) and not value:  # the usual case: no files (and no need for the slower checks below)
        return ()
    if isinstance(value, (str, bytes, Attachment)) or not isinstance(value, Iterable):
        raise ValidationError(N_("Attachments must be a list of Attachment values, not {type}."), type=type(value).__name__)
    items = tuple(value)
    for item in items:
        if not isinstance(item, Attachment):
            raise ValidationError(N_("Attachments must be Attachment values, not {type}."), type=type(item).__name__)
    return items
