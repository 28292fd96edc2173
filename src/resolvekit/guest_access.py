"""Guest access: complaint number + tracking code, a one-time verification code, then a short grant.

DOMAIN section 2: a customer who is not logged in follows a complaint with its number and the
tracking code received when opening it, then a one-time verification code sent to their contact;
closing needs a confirmation and another code. The flow, on :class:`~resolvekit.ResolveKit`:

1. ``open_complaint`` returns ``result.tracking_code`` once (128 random bits, shown in groups of
   four characters); only its keyed hash is stored, in the opening event.
2. :meth:`~GuestAccessCommands.request_verification_code` (number + tracking code) sends a 6-digit
   code to the customer through the ``resolvekit_deliver`` hook, never through the outbox (which is
   stored in clear); only the code's keyed hash is stored.
3. :meth:`~GuestAccessCommands.verify_guest` (number + tracking code + code) returns a
   :class:`GuestGrant`: a signed token, valid 30 minutes, for that one complaint.
4. :meth:`~GuestAccessCommands.guest_actor` turns the grant's token into the :class:`~resolvekit.Actor`
   (the customer, limited to that complaint) for every later read and command.
5. Closing (or accepting a resolution that closes) needs a code from
   :meth:`~GuestAccessCommands.request_close_code`, passed as ``verification_code``.

Every guest attempt with a wrong number, a wrong tracking code, a wrong, expired or used code, or
beyond the limits gets the same :class:`~resolvekit.errors.GuestAccessDenied` after the same work
(the same keyed hashes, the same storage calls), so the answer does not tell whether a complaint
number exists. Keyed hashes are HMAC-SHA256 with the host's ``secret_key``; codes are compared with
:func:`hmac.compare_digest`. See ``docs/security.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from resolvekit._command_host import CommandHost
from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.events import EventKind
from resolvekit.domain.notifications import Notification, Recipient
from resolvekit.errors import (
    AccessGrantInvalid,
    ConfigurationError,
    GuestAccessDenied,
    PermissionDenied,
    VerificationCodeExpired,
    VerificationCodeRequired,
    VerificationCodeUsed,
    VerificationCodeWrong,
    VerificationLocked,
    VerificationNotSent,
)
from resolvekit.storage import VerificationCode, VerificationStore

if TYPE_CHECKING:
    from resolvekit.domain.cases import Case

__all__ = ["GuestAccessCommands", "GuestGrant", "Keyring", "new_tracking_code"]

_CUSTOMER = Role.CUSTOMER  # (bound once: on Python 3.11 looking a member up on an Enum class costs about 0.1 us)
_HOUR = timedelta(hours=1)
_MIN_KEY_BYTES = 32
_DUMMY_DIGEST = "0" * 64
_NO_CASE = "resolvekit:no-such-case"
_CASE_ID = re.compile(r"[\x21-\x7e]{1,200}")
_GRANT_PREFIX = "g1."


def _mac(key: bytes, message: str) -> str:
    """HMAC-SHA256 of ``message`` under ``key``, as hex (the one place a keyed hash is made)."""
    return hmac.new(key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _key_bytes(key: object) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
        raise ConfigurationError(
            N_("A secret key must be at least {size} random bytes (e.g. secrets.token_bytes(32), kept in the host's secret store)."),
            size=_MIN_KEY_BYTES,
        )
    return key


class Keyring:
    """The host's secret keys. The current key makes every new hash and grant; previous keys still
    verify what they made, so a key can be rotated without locking anyone out.

    A key's id (a hash of the key, not the key) is stored beside each digest. The keys themselves
    never reach storage, logs or ``repr``.
    """

    def __init__(self, current: str | bytes, previous: Sequence[str | bytes] = ()) -> None:
        self._current = _key_bytes(current)
        keys = [self._current, *(_key_bytes(k) for k in previous)]
        self._keys = {self._id(k): k for k in reversed(keys)}
        self.current_id = self._id(self._current)

    @staticmethod
    def _id(key: bytes) -> str:
        return _mac(key, "resolvekit key id")[:16]

    def digest(self, purpose: str, value: str, key_id: str | None = None) -> str:
        """The keyed hash of ``value`` for ``purpose`` (with the key ``key_id``, default the current one).

        An unknown ``key_id`` uses the current key, so the work is the same and the comparison fails.
        """
        key = self._keys.get(key_id, self._current) if key_id is not None else self._current
        return _mac(key, f"{purpose}\x00{value}")

    def knows(self, key_id: str) -> bool:
        """Whether ``key_id`` names one of the keys (current or previous)."""
        return key_id in self._keys

    def __repr__(self) -> str:
        return f"<Keyring: {len(self._keys)} key(s), current {self.current_id}>"


def new_tracking_code() -> str:
    """A new tracking code: 128 random bits as 26 base32 characters in groups of four (``ABCD-EFGH-...``)."""
    text = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _normalise(code: object) -> str:
    """What the customer typed, without spaces and dashes, upper-case (any non-text becomes empty)."""
    if not isinstance(code, str):
        return ""
    return "".join(code.split()).replace("-", "").upper()[:200]


@attrs.frozen
class GuestGrant:
    """Guest access to one complaint, as the customer, until ``expires_at``.

    ``token`` is what the host keeps in the guest's session (a signed string, not stored by
    resolvekit); pass it to :meth:`ResolveKit.guest_actor <GuestAccessCommands.guest_actor>` on
    every request. It is left out of ``repr`` so it does not end up in logs.
    """

    token: str = attrs.field(repr=False)
    case_id: str
    customer_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class GuestAccessCommands(CommandHost):
    """Guest access and verification codes on :class:`~resolvekit.ResolveKit` (see the module docstring)."""

    if TYPE_CHECKING:
        _keyring: Keyring | None

    # -- set-up -----------------------------------------------------------------------------------

    def _keys(self) -> Keyring:
        if self._keyring is None:
            raise ConfigurationError(
                N_("Guest access and verification codes need a secret key: pass ResolveKit(secret_key=...) (at least 32 random bytes).")
            )
        return self._keyring

    def _codes(self) -> VerificationStore:
        if not isinstance(self.storage, VerificationStore):
            raise ConfigurationError(
                N_("The storage {storage} keeps no verification codes (it does not implement VerificationStore); use a built-in backend."),
                storage=type(self.storage).__name__,
            )
        return self.storage

    def _tracking_record(self, case_id: str) -> tuple[str, dict[str, str]] | None:
        """A new tracking code for ``case_id`` and what the opening event keeps of it (``None`` without a key)."""
        if self._keyring is None:
            return None
        code = new_tracking_code()
        keys = self._keyring
        return code, {"key_id": keys.current_id, "digest": keys.digest("tracking", f"{case_id}\x00{_normalise(code)}")}

    # -- the unauthenticated steps ------------------------------------------------------------------

    def _check_guest(self, complaint_number: object, tracking_code: object, now: datetime) -> tuple[str, dict[str, Any] | None]:
        """Check the number and tracking code with the same work whatever is wrong.

        Returns the id to act on (a dummy id when anything is wrong) and the opening payload (when
        everything is right). Work, always: two keyed hashes, one attempt recorded, one log read.
        """
        keys = self._keys()
        codes = self._codes()
        number = complaint_number.strip()[:200] if isinstance(complaint_number, str) else ""
        lookup = number if _CASE_ID.fullmatch(number) else _NO_CASE
        attempts = codes.count_guest_attempt(keys.digest("guest", number), now, now - _HOUR)
        opening = self.storage.events(lookup, up_to_version=1)
        payload = opening[0].payload if opening and opening[0].kind is EventKind.COMPLAINT_OPENED else None
        record = payload.get("tracking") if payload is not None else None
        if not isinstance(record, dict):
            record = {"key_id": keys.current_id, "digest": _DUMMY_DIGEST}
        supplied = keys.digest("tracking", f"{lookup}\x00{_normalise(tracking_code)}", str(record.get("key_id")))
        right = hmac.compare_digest(supplied, str(record.get("digest")))
        if right and payload is not None and attempts <= self.policy.security.verification_attempts_per_hour:
            return lookup, dict(payload)
        return _NO_CASE, None

    def request_verification_code(self, complaint_number: str, tracking_code: str) -> None:
        """Send a one-time verification code for guest access to the customer who opened the complaint.

        The code goes through the ``resolvekit_deliver`` hook at once (channel ``"email"``, to the
        customer: the host resolves their address), valid ``Policy.security.verification_code_lifetime``;
        a new request replaces the code before. A wrong number or tracking code, or too many attempts,
        raise :class:`~resolvekit.errors.GuestAccessDenied`; a delivery failure
        :class:`~resolvekit.errors.VerificationNotSent`.
        """
        now = self.now()
        case_id, payload = self._check_guest(complaint_number, tracking_code, now)
        if payload is None:
            raise GuestAccessDenied()
        self._issue_code(case_id, str(payload["customer_id"]), "access", now)

    def verify_guest(self, complaint_number: str, tracking_code: str, verification_code: str) -> GuestGrant:
        """Check the number, the tracking code and the verification code; grant guest access.

        Returns a :class:`GuestGrant` for this one complaint, valid ``Policy.security.grant_lifetime``.
        The code works once, at most ``verification_attempts_per_code`` tries. Anything wrong raises
        :class:`~resolvekit.errors.GuestAccessDenied`, the same for every reason.
        """
        now = self.now()
        security = self.policy.security
        keys = self._keys()
        codes = self._codes()
        case_id, payload = self._check_guest(complaint_number, tracking_code, now)
        taken = codes.try_verification_code(case_id, "access", now, security.verification_attempts_per_code)
        key_id = taken.key_id if taken is not None else keys.current_id
        supplied = keys.digest("verify", f"access\x00{case_id}\x00{_normalise(verification_code)}", key_id)
        right = hmac.compare_digest(supplied, taken.digest if taken is not None else _DUMMY_DIGEST)
        if not (right and payload is not None and taken is not None):
            raise GuestAccessDenied()
        if not codes.use_verification_code(case_id, "access", taken.digest, now):
            raise GuestAccessDenied()
        return self._grant(case_id, str(payload["customer_id"]), now + security.grant_lifetime)

    def _grant(self, case_id: str, customer_id: str, expires_at: datetime) -> GuestGrant:
        keys = self._keys()
        expires = int(expires_at.timestamp())
        body = {"c": case_id, "u": customer_id, "x": expires, "k": keys.current_id}
        payload = _GRANT_PREFIX + _b64(json.dumps(body, separators=(",", ":")).encode())
        token = payload + "." + _b64(bytes.fromhex(keys.digest("grant", payload)))
        return GuestGrant(token, case_id, customer_id, datetime.fromtimestamp(expires, UTC))

    def guest_actor(self, grant: str | GuestGrant) -> Actor:
        """The actor of a guest access grant (or its token): the customer, limited to the one complaint.

        Raises :class:`~resolvekit.errors.AccessGrantInvalid` for a token that is malformed, altered,
        signed with an unknown key, or expired. Call it on every request; the actor can see and act
        on that complaint only (any other case is :class:`~resolvekit.errors.CaseNotFound`).
        """
        token = grant.token if isinstance(grant, GuestGrant) else grant
        keys = self._keys()
        try:
            if not isinstance(token, str) or len(token) > 2000 or not token.startswith(_GRANT_PREFIX):
                raise ValueError("not a grant")
            payload, signature = token.rsplit(".", 1)
            body = json.loads(_unb64(payload[len(_GRANT_PREFIX) :]))
            expected = keys.digest("grant", payload, str(body["k"]))
            if not hmac.compare_digest(_b64(bytes.fromhex(expected)), signature) or not keys.knows(str(body["k"])):
                raise ValueError("bad signature")
            expires_at = datetime.fromtimestamp(int(body["x"]), UTC)
            actor = Actor.guest(str(body["u"]), str(body["c"]))
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError, UnicodeError):
            raise AccessGrantInvalid() from None
        except Exception as exc:  # a ResolveKitError from Actor validation, or anything a forged body triggers
            raise AccessGrantInvalid() from exc
        if self.now() >= expires_at:
            raise AccessGrantInvalid()
        return actor

    # -- codes --------------------------------------------------------------------------------------

    def _issue_code(self, case_id: str, customer_id: str, purpose: str, now: datetime) -> None:
        security = self.policy.security
        keys = self._keys()
        digits = security.verification_code_digits
        code = f"{secrets.randbelow(10**digits):0{digits}d}"
        self._codes().put_verification_code(
            VerificationCode(
                case_id=case_id,
                purpose=purpose,
                digest=keys.digest("verify", f"{purpose}\x00{case_id}\x00{code}", keys.current_id),
                key_id=keys.current_id,
                issued_at=now,
                expires_at=now + security.verification_code_lifetime,
            )
        )
        minutes = max(1, int(security.verification_code_lifetime.total_seconds() // 60))
        notification = Notification(
            key=f"{case_id}:verification:{purpose}:{secrets.token_hex(8)}",
            case_id=case_id,
            event_version=0,
            event_kind="verification_code",
            recipient=Recipient(Role.CUSTOMER, customer_id),
            channel="email",
            subject=N_("Your verification code for complaint {case_id}"),
            body=N_("Your verification code is {code}. It is valid for {minutes} minutes and works once. Nobody from the store or the platform will ever ask you for it."),
            params={"case_id": case_id, "code": code, "minutes": minutes},
        )
        try:
            reference = self.plugins.deliver(notification)
        except Exception as exc:  # a host plugin may raise anything; report it without the code
            raise VerificationNotSent(reason=type(exc).__name__) from None
        if reference is None:
            raise VerificationNotSent(reason=N_("no plugin delivers the email channel"))

    def request_close_code(self, actor: Actor, case_id: str) -> None:
        """Send the customer a one-time code that confirms closing the complaint (DOMAIN section 2).

        Pass it to :meth:`~resolvekit.ResolveKit.close` (or ``accept_offer``) as ``verification_code``.
        Only the complaint's customer may ask; too many requests in an hour raise
        :class:`~resolvekit.errors.VerificationLocked`.
        """
        case = self._visible(actor, case_id)
        if actor.role is not Role.CUSTOMER or case.kind != "complaint":
            raise PermissionDenied(role=actor.role.value, action=N_("request a code to close a complaint"))
        now = self.now()
        self._count_close_attempt(case.id, now)
        self._issue_code(case.id, case.customer_id, "close", now)

    def _count_close_attempt(self, case_id: str, now: datetime) -> None:
        keys = self._keys()
        count = self._codes().count_guest_attempt(keys.digest("close", case_id), now, now - _HOUR)
        if count > self.policy.security.verification_attempts_per_hour:
            raise VerificationLocked(case_id=case_id)

    def _close_code_possible(self, actor: Actor) -> bool:
        """Whether the policy may ask ``actor`` for a close code (on a complaint)."""
        mode = self.policy.security.close_verification
        if actor.role is not _CUSTOMER or mode == "never":
            return False
        return mode == "always" or actor.case_id is not None

    def _close_code_required(self, actor: Actor, case: Case) -> bool:
        return case.kind == "complaint" and self._close_code_possible(actor)

    def _confirm_with_code(
        self,
        actor: Actor,
        case_id: str,
        verification_code: object,
        idempotency_key: str | None,
        dry_run: Callable[[Case], object],
    ) -> None:
        """Check (and spend) the close code before a command that closes a complaint.

        Nothing happens when the policy needs no code and none was given, or when the command's
        idempotency key was already applied (the retry replays). Otherwise the command is first
        decided without writing (``dry_run``), so a command refused for another reason spends no
        code; then the code is checked, counted and spent.
        """
        if not isinstance(actor, Actor):
            return  # the command itself refuses it
        if verification_code is None and not self._close_code_possible(actor):
            return  # no code given and none can be required of this actor: nothing to read first
        if idempotency_key is not None:
            scoped = f"{actor.role.value}:{actor.store_id or ''}:{actor.id}:{idempotency_key}"
            if self.storage.applied(scoped) is not None:
                return
        case = self._visible(actor, case_id)
        if verification_code is None:
            if self._close_code_required(actor, case):
                dry_run(case)
                raise VerificationCodeRequired(case_id=case.id)
            return
        dry_run(case)
        now = self.now()
        security = self.policy.security
        keys = self._keys()
        codes = self._codes()
        self._count_close_attempt(case.id, now)
        current = codes.verification_code(case.id, "close")
        if current is None or now >= current.expires_at:
            raise VerificationCodeExpired(case_id=case.id)
        if current.used_at is not None:
            raise VerificationCodeUsed()
        taken = codes.try_verification_code(case.id, "close", now, security.verification_attempts_per_code)
        if taken is None:
            raise VerificationLocked(case_id=case.id)
        supplied = keys.digest("verify", f"close\x00{case.id}\x00{_normalise(verification_code)}", taken.key_id)
        if not hmac.compare_digest(supplied, taken.digest):
            raise VerificationCodeWrong(attempts_left=max(0, security.verification_attempts_per_code - taken.attempts))
        if not codes.use_verification_code(case.id, "close", taken.digest, now):
            raise VerificationCodeUsed()
