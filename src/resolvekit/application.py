"""The application object: the one thing a host creates, keeps, and calls.

:class:`ResolveKit` owns the policy, the plugins and the storage. Every command goes through the
same path: check idempotency, load the case, check tenancy, let the pure domain decide the events,
fold them, work out the notifications, and commit all of it at once with the expected version.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

import attrs

from resolvekit._i18n import N_
from resolvekit.attachments import AttachmentCommands
from resolvekit.communication import CommunicationCommands
from resolvekit.domain import commands
from resolvekit.domain._build import frozen_builder
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, can_see, customer_may_see, fold, replace_fields
from resolvekit.domain.events import CaseEvent
from resolvekit.domain.notifications import notifications_for
from resolvekit.domain.offer_work import next_offer_step
from resolvekit.domain.offers import OfferKind, validate_kinds
from resolvekit.domain.policy import Policy
from resolvekit.domain.security import attachment_values
from resolvekit.domain.templates import CannedResponse
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.domain.values import Attachment, Customer, Order, Store, utc
from resolvekit.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    ConfigurationError,
    CustomerBlocked,
    IdempotencyKeyReused,
    PermissionDenied,
    ValidationError,
)
from resolvekit.guest_access import GuestAccessCommands, Keyring
from resolvekit.localization import Localizer, RecipientProfile
from resolvekit.offer_service import OfferCommands
from resolvekit.plugin_host import PluginHost
from resolvekit.self_service import SelfServiceCommands
from resolvekit.sla_service import SlaCommands, SlaTracker
from resolvekit.storage import AppliedCommand, CaseQuery, Commit, OutboxRetention, Page, Storage

if TYPE_CHECKING:
    from resolvekit.reputation.facts import ClaimFact
    from resolvekit.reputation.policy import ReputationPolicy

__all__ = ["CommandResult", "DispatchReport", "ResolveKit"]

P = ParamSpec("P")
Decide = Callable[..., list[CaseEvent]]


@attrs.frozen
class CommandResult:
    """What an accepted command returns: the case as the actor sees it and the events appended.

    ``replayed`` is ``True`` when the idempotency key had already been applied: nothing new was
    written and this is the original command's result.

    ``tracking_code`` is set once, on the result of ``open_complaint`` when the application has a
    ``secret_key``: show it to the customer with the complaint number; it is never stored in clear,
    so a replayed result does not have it. It is left out of ``repr`` so it does not reach logs.
    """

    case: Case
    events: tuple[CaseEvent, ...]
    replayed: bool = False
    tracking_code: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class DispatchReport:
    """What one :meth:`ResolveKit.dispatch` run did."""

    delivered: int = 0
    failed: int = 0
    errors: tuple[tuple[str, str], ...] = ()


# Every command builds one of each: positionally, without the frozen constructors' overhead.
_CUSTOMER = Role.CUSTOMER  # (bound once: on Python 3.11 looking a member up on an Enum class costs about 0.1 us)
_build_commit: Callable[..., Commit] = frozen_builder(Commit)
_build_result: Callable[..., CommandResult] = frozen_builder(CommandResult)


def _status_filter(statuses: object) -> frozenset[str] | None:
    """A listing's ``statuses`` argument (one status, or several) as a set; anything else is refused."""
    if statuses is None:
        return None
    if isinstance(statuses, str):
        return frozenset((statuses,))
    if isinstance(statuses, Iterable) and not isinstance(statuses, (bytes, Mapping)):
        values = tuple(statuses)
        if all(isinstance(value, str) for value in values):
            return frozenset(values)
    raise ValidationError(N_("{field} must be text, not {type}."), field="statuses", type=type(statuses).__name__)


def _new_id(kind: str) -> str:
    return f"{kind[0].upper()}-{os.urandom(8).hex().upper()}"


class ResolveKit(OfferCommands, SlaCommands, SelfServiceCommands, GuestAccessCommands, AttachmentCommands, CommunicationCommands):
    """The resolvekit application: create one per process (or per test) and keep it.

    Args:
        storage: a storage URL handled by a plugin, or a ready :class:`~resolvekit.storage.Storage`
            object. The default, ``"sqlite:///resolvekit.sqlite3"``, is a SQLite file in the current
            directory; ``"memory://"`` keeps nothing, ``"postgresql://..."`` suits several processes
            or servers (see ``docs/storage.md``).
        policy: the platform's rules (:class:`~resolvekit.Policy`); defaults follow ``DOMAIN.md``.
        plugins: plugin objects or modules to register after the entry-point plugins.
        clock: a callable returning the current aware UTC time; overrides any clock plugin.
        entry_points: load plugins of the ``resolvekit`` entry-point group (the built-ins among them).
        blocked: names of entry-point plugins not to load.
        conflict_retries: how many times a command that lost a race with another writer is decided
            again on the fresh case before :class:`~resolvekit.errors.ConcurrencyConflict` reaches
            the caller (default 0: every conflict is reported).
        id_factory: makes new case ids from the case kind (default: random, not guessable).
        retry_backoff: the first delay before re-delivering a failed notification, or retrying a
            failed offer execution (doubles per attempt, at most one day).
        secret_key: the host's secret (at least 32 random bytes, from its secret store) for the
            keyed hashes of tracking and verification codes and the signatures of guest access
            grants. Without it no tracking codes are issued and guest access raises
            :class:`~resolvekit.errors.ConfigurationError`. It never reaches storage or logs.
        previous_secret_keys: earlier secret keys, still accepted for what they hashed or signed
            (rotate by passing a new ``secret_key`` and the old one here; see ``docs/security.md``).

    The resolution-offer commands (``propose_offer``, ``accept_offer``, ``execute_offer``...) come
    from :class:`~resolvekit.offer_service.OfferCommands`; ``offer_kinds`` holds the built-in kinds
    and those the plugins register. Deadlines, escalation and sweeps (``escalate``,
    ``flag_safety_issue``, ``dispute_policy``, ``sla``, ``explain_deadline``, ``due``, ``sweep``) come
    from :class:`~resolvekit.sla_service.SlaCommands`. Self-service intake (``triage``,
    ``triage_many``, ``request_help``, ``open_inquiry``, ``report_payment_without_order``;
    ``ticket_types`` and ``triage_rules`` as the plugins registered them) comes from
    :class:`~resolvekit.self_service.SelfServiceCommands`. Languages and messaging (``localizer``,
    ``recipient_profile``, ``render_notification``, ``render_error``, ``timeline``, templates per store
    and locale with ``save_template``, ``templates``, ``reply_with_template``; machine translation at
    delivery) come from :class:`~resolvekit.communication.CommunicationCommands` (see ``docs/i18n.md``).

    Every command takes the acting :class:`~resolvekit.Actor` first and an optional keyword
    ``idempotency_key``: a retried command with the same key applies once and returns the original
    result.
    """

    def __init__(
        self,
        *,
        storage: str | Storage = "sqlite:///resolvekit.sqlite3",
        policy: Policy | None = None,
        plugins: Iterable[object] = (),
        clock: Callable[[], datetime] | None = None,
        entry_points: bool = True,
        blocked: Iterable[str] = (),
        conflict_retries: int = 0,
        id_factory: Callable[[str], str] = _new_id,
        retry_backoff: timedelta = timedelta(seconds=30),
        secret_key: str | bytes | None = None,
        previous_secret_keys: Sequence[str | bytes] = (),
    ) -> None:
        self._keyring = None if secret_key is None else Keyring(secret_key, previous_secret_keys)
        self.policy = policy if policy is not None else Policy()
        self.plugins = PluginHost(plugins, entry_points=entry_points, blocked=blocked)
        self._clock = clock if clock is not None else self.plugins.clock()
        self.offer_kinds: Mapping[str, OfferKind] = validate_kinds(self.plugins.offer_kinds())
        self._conflict_retries = conflict_retries
        self._id_factory = id_factory
        self._retry_backoff = retry_backoff
        self.ticket_types = self.plugins.ticket_types()
        self.triage_rules = self.plugins.triage_rules()
        self.localizer = Localizer(self.plugins.catalogs)
        """This application's catalogs (the host's, from ``resolvekit_catalog``, then resolvekit's) and formats."""
        # The storage opens last: a configuration error above leaves no file or connection behind.
        self.storage: Storage = self.plugins.open_storage(storage) if isinstance(storage, str) else storage
        self._sla = SlaTracker(self.policy, self.storage)
        self.plugins.render_for_delivery = self._render_for_recipient

    # -- infrastructure ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The current time from the injected clock (aware, UTC)."""
        return utc(self._clock(), "clock()")

    def _render_for_recipient(self, notification: Any) -> object:
        profile: RecipientProfile = self.recipient_profile(notification.recipient)
        return self.render_notification(notification, profile)

    def shutdown(self) -> None:
        """Release the storage's connections and files (``with ResolveKit(...) as rk:`` does it on exit).

        (``close`` is the command that closes a case.)
        """
        self.storage.close()

    def __enter__(self) -> ResolveKit:
        """Use the application as a context manager that shuts it down on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _visible(self, actor: Actor, case_id: str) -> Case:
        """The case, if ``actor`` may see it; else :class:`~resolvekit.errors.CaseNotFound` (never "forbidden").

        One read by primary key, then the tenancy rule (:func:`~resolvekit.domain.cases.can_see`):
        another store's or another customer's case is reported exactly like a missing one.
        """
        case = self.storage.load(case_id) if isinstance(case_id, str) and isinstance(actor, Actor) else None
        if case is None or not can_see(actor, case):
            raise CaseNotFound(case_id=case_id)
        return case

    def _as_seen_by(self, actor: Actor, case: Case) -> Case:
        if actor.role is _CUSTOMER:
            messages = case.messages
            for message in messages:
                if message.internal:
                    messages = case.public_messages()
                    break
            else:
                if case.customer_risk is None:
                    return case  # nothing staff-only on it: the customer's view is the case itself
            return replace_fields(case, {"messages": messages, "customer_risk": None})
        return case

    def _run(
        self,
        actor: Actor,
        case_id: str | None,
        decide: Callable[[Case | None, datetime], list[CaseEvent]],
        key: str | None,
        fingerprint: Callable[[], str],
    ) -> CommandResult:
        if not isinstance(actor, Actor):
            raise PermissionDenied(role=type(actor).__name__, action=N_("act on cases"))
        applied: AppliedCommand | None = None
        if key is not None:
            scoped = f"{actor.role.value}:{actor.store_id or ''}:{actor.id}:{key}"
            import hashlib  # only commands with a key need it; keeps `import resolvekit` light

            digest = hashlib.sha256(fingerprint().encode()).hexdigest()
            known = self.storage.applied(scoped)
            if known is not None:
                return self._replay(actor, known, digest)
        for attempt in range(self._conflict_retries + 1):
            case = None if case_id is None else self._visible(actor, case_id)
            now = self.now()
            events = decide(case, now)
            if case is None:
                events = self._opening(actor, events)
            sla = self._sla.prepare(case, events)  # SLA clocks: resolved_in_time, the next deadline
            appended = tuple(sla.events)
            after = fold(appended, case)
            assert after is not None
            if key is not None:
                applied = AppliedCommand(scoped, digest, after.id, appended[0].version, appended[-1].version)
            commit = _build_commit(
                after,
                0 if case is None else case.version,
                appended,
                tuple(notifications_for(after, appended, policy=self.policy.notifications)),
                applied,
                sla.next_deadline,
                next_offer_step(after),
            )
            try:
                known = self.storage.commit(commit)
            except ConcurrencyConflict:
                if attempt == self._conflict_retries:
                    raise
                continue
            if known is not None:
                return self._replay(actor, known, digest)
            self._sla.remember(sla.state)
            return _build_result(self._as_seen_by(actor, after), appended)
        raise AssertionError("unreachable")  # pragma: no cover

    def _opening(self, actor: Actor, events: list[CaseEvent]) -> list[CaseEvent]:
        """A new case: guest access opens none; the host's risk verdict is recorded on it (or refuses it)."""
        if actor.case_id is not None:
            raise PermissionDenied(role=N_("customer acting through guest access"), action=N_("open a case"))
        first = events[0]
        store_id = str(first.payload.get("store_id"))
        risk = self.plugins.customer_risk(str(first.payload.get("customer_id")), store_id)
        if risk is None:
            return events
        if risk.blocked and not self.policy.security.blocked_customers_may_open:
            raise CustomerBlocked(store_id=store_id)
        return [attrs.evolve(first, payload={**first.payload, "customer_risk": risk.to_dict()}), *events[1:]]

    def _replay(self, actor: Actor, known: AppliedCommand, digest: str) -> CommandResult:
        if known.fingerprint != digest:
            raise IdempotencyKeyReused(key=known.key.rsplit(":", 1)[-1])
        events = self.storage.events(known.case_id, up_to_version=known.last_version)
        case = fold(events)
        assert case is not None
        return CommandResult(self._as_seen_by(actor, case), tuple(events[known.first_version - 1 :]), replayed=True)

    def _command(
        self,
        name: str,
        actor: Actor,
        case_id: str,
        key: str | None,
        decide: Callable[Concatenate[Case, Actor, ...], list[CaseEvent]],
        *args: Any,
        **kwargs: Any,
    ) -> CommandResult:
        if not isinstance(actor, Actor):
            raise PermissionDenied(role=type(actor).__name__, action=name)
        if not isinstance(case_id, str):  # None would reach _run as an opening command
            raise CaseNotFound(case_id=case_id)
        policy = self.policy

        def run(case: Case | None, now: datetime) -> list[CaseEvent]:
            assert case is not None  # a command on an existing case: _run loaded it
            return decide(case, actor, *args, now=now, policy=policy, **kwargs)

        return self._run(actor, case_id, run, key, lambda: repr((name, case_id, args, sorted(kwargs.items()))))

    # -- commands ---------------------------------------------------------------------------------

    def open_complaint(
        self,
        actor: Actor,
        *,
        order: Order,
        customer: Customer,
        reason: str,
        description: str,
        declaration_accepted: bool,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The customer opens a complaint about ``order``; it starts ``under_platform_review``.

        With a ``secret_key``, the result carries the ``tracking_code`` to show the customer once,
        beside the complaint number (``result.case.id``), for guest access.
        """
        case_id = self._id_factory("complaint")
        policy = self.policy
        tracking = self._tracking_record(case_id)

        def decide(case: Case | None, now: datetime) -> list[CaseEvent]:
            events = commands.open_complaint(
                case_id=case_id,
                actor=actor,
                order=order,
                customer=customer,
                reason=reason,
                description=description,
                attachments=attachments,
                declaration_accepted=declaration_accepted,
                now=now,
                policy=policy,
            )
            if tracking is None:
                return events
            return [attrs.evolve(events[0], payload={**events[0].payload, "tracking": tracking[1]}), *events[1:]]

        result = self._run(
            actor,
            None,
            decide,
            idempotency_key,
            lambda: repr(("open_complaint", order, customer, reason, description, attachment_values(attachments), declaration_accepted)),
        )
        if tracking is None or result.replayed:
            return result
        return attrs.evolve(result, tracking_code=tracking[0])

    def open_ticket(
        self,
        actor: Actor,
        *,
        store_id: str | None = None,
        customer: Customer,
        ticket_type: str,
        description: str = "",
        order: Order | None = None,
        fields: Mapping[str, str] | None = None,
        attachments: Sequence[Attachment] = (),
        store: Store | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The customer opens a self-service ticket of a registered ``ticket_type`` at a store.

        Pass the store as ``store=`` (a :class:`~resolvekit.Store`: a store that has not enabled
        self-service refuses with :class:`~resolvekit.errors.SelfServiceDisabled`) or as ``store_id=``
        (described by the ``resolvekit_find_store`` hook, if any). ``fields`` are the type's form
        fields; the type decides what is required, its routing and its initial status
        (``under_merchant_review``, or ``under_platform_review`` for types routed to the platform).
        An unknown type raises :class:`~resolvekit.errors.UnknownTicketType`; a missing required field
        a :class:`~resolvekit.errors.ValidationError` naming it. This does not triage: for "my order is
        delayed" use :meth:`request_help` and :meth:`open_inquiry`.
        """
        return self._open_ticket(
            actor,
            store=store,
            store_id=store_id,
            customer=customer,
            ticket_type=ticket_type,
            description=description,
            order=order,
            fields=fields,
            attachments=attachments,
            idempotency_key=idempotency_key,
        )

    def reply(
        self,
        actor: Actor,
        case_id: str,
        body: str,
        *,
        attachments: Sequence[Attachment] = (),
        language: str | None = None,
        no_response_needed: bool = False,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """A reply by the customer, the merchant or the platform; the other side is notified.

        ``language`` is the language the reply is written in (default: the author's, as the profile
        or the case knows it); a reader of another language gets a machine translation beside the
        original. A reply marked ``no_response_needed`` is recorded and shown but notifies nobody.
        """
        extra: dict[str, Any] = {}
        if language is not None:
            extra["language"] = language
        if no_response_needed:
            extra["no_response_needed"] = True
        return self._command("reply", actor, case_id, idempotency_key, commands.reply, body, attachment_values(attachments), **extra)

    def add_note(
        self,
        actor: Actor,
        case_id: str,
        body: str,
        *,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """An internal note by the merchant or platform. Customers never see it."""
        return self._command("add_note", actor, case_id, idempotency_key, commands.add_note, body, attachment_values(attachments))

    def reply_canned(
        self,
        actor: Actor,
        case_id: str,
        template: CannedResponse,
        *,
        store_name: str = "",
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """A staff reply from a canned response, filled with the customer's name and order number."""
        return self._command(
            "reply_canned", actor, case_id, idempotency_key, commands.reply_canned, template, store_name=store_name
        )

    def pass_review(
        self, actor: Actor, case_id: str, *, note: str | None = None, idempotency_key: str | None = None
    ) -> CommandResult:
        """The platform's review outcome: the complaint passes to the merchant."""
        return self._command("pass_review", actor, case_id, idempotency_key, commands.pass_review, note)

    def close(
        self,
        actor: Actor,
        case_id: str,
        *,
        confirmed: bool = False,
        verification_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """Close a case (by default only the customer, after confirming). Closed is final.

        Closing a complaint through guest access (or by any customer, per
        ``Policy.security.close_verification``) also needs the one-time ``verification_code`` sent by
        :meth:`request_close_code`; a wrong, expired or used code raises a
        :class:`~resolvekit.errors.VerificationFailed` subclass and closes nothing.
        """
        policy = self.policy
        self._confirm_with_code(
            actor,
            case_id,
            verification_code,
            idempotency_key,
            lambda case: commands.close(case, actor, confirmed=confirmed, now=self.now(), policy=policy),
        )
        return self._command("close", actor, case_id, idempotency_key, commands.close, confirmed=confirmed)

    def rate(
        self,
        actor: Actor,
        case_id: str,
        stars: int,
        *,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The customer rates a closed ticket from 1 to 5 stars."""
        return self._command("rate", actor, case_id, idempotency_key, commands.rate, stars, comment)

    # -- reads ------------------------------------------------------------------------------------

    def get_case(self, actor: Actor, case_id: str) -> Case:
        """The case as ``actor`` may see it (customers never see internal notes)."""
        return self._as_seen_by(actor, self._visible(actor, case_id))

    def activity(self, actor: Actor, case_id: str) -> list[CaseEvent]:
        """The case's activity log as ``actor`` may see it, oldest first."""
        self._visible(actor, case_id)
        events = self.storage.events(case_id)
        if actor.role is Role.CUSTOMER:
            events = [e for e in events if customer_may_see(e)]
        if events and events[0].version == 1 and ("tracking" in events[0].payload or "customer_risk" in events[0].payload):
            hidden = ("tracking", "customer_risk") if actor.role is Role.CUSTOMER else ("tracking",)
            first = events[0]
            events[0] = attrs.evolve(first, payload={k: v for k, v in first.payload.items() if k not in hidden})
        return events

    def export(self, actor: Actor, case_id: str) -> dict[str, Any]:
        """Everything ``actor`` may see of one case, as JSON-ready data: ``{"case": ..., "activity": [...]}``.

        For a customer's request for their data, an audit, or a hand-over to another system. The
        same tenancy as every read: a case of another store or customer is
        :class:`~resolvekit.errors.CaseNotFound`; a customer's export holds no internal notes and no
        risk flag, and no export holds the keyed hash of the tracking code.
        """
        from resolvekit import codec

        case = self.get_case(actor, case_id)
        return {"case": codec.unstructure(case, Case), "activity": [e.to_dict() for e in self.activity(actor, case_id)]}

    def allowed_events(self, actor: Actor, case_id: str) -> tuple[str, ...]:
        """The lifecycle events ``actor`` may fire on the case now (for building a user interface)."""
        case = self._visible(actor, case_id)
        return lifecycle_for(case.kind).allowed_events(case.status, actor.role, self.policy)

    def list_cases(
        self,
        actor: Actor,
        *,
        store_id: str | None = None,
        kind: str | None = None,
        statuses: Iterable[str] | None = None,
        customer_id: str | None = None,
        order_id: str | None = None,
        opened_from: datetime | None = None,
        opened_before: datetime | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page:
        """List cases, newest first, one page at a time (pass ``page.next_cursor`` as ``after``).

        A merchant sees only its store's cases, a customer only their own; the platform may filter
        by ``store_id``. Date bounds are half-open: ``opened_from <= opened_at < opened_before``.
        """
        if not isinstance(actor, Actor):
            raise PermissionDenied(role=type(actor).__name__, action=N_("list cases"))
        for field, value in (("store_id", store_id), ("kind", kind), ("customer_id", customer_id), ("order_id", order_id)):
            if value is not None and not isinstance(value, str):
                raise ValidationError(N_("{field} must be text, not {type}."), field=field, type=type(value).__name__)
        wanted = _status_filter(statuses)
        if actor.role is Role.MERCHANT:
            if store_id is not None and store_id != actor.store_id:
                return Page((), None)
            store_id = actor.store_id
        elif actor.role is Role.CUSTOMER:
            if customer_id is not None and customer_id != actor.id:
                return Page((), None)
            customer_id = actor.id
        query = CaseQuery(
            store_id=store_id,
            customer_id=customer_id,
            kind=kind,
            statuses=wanted,
            order_id=order_id,
            opened_from=None if opened_from is None else utc(opened_from, "opened_from"),
            opened_before=None if opened_before is None else utc(opened_before, "opened_before"),
            limit=limit,
            after=after,
            case_id=actor.case_id,  # guest access lists its one case
        )
        page = self.storage.query(query)
        if actor.role is Role.CUSTOMER:
            return Page(tuple(self._as_seen_by(actor, c) for c in page.items), page.next_cursor)
        return page

    # -- reputation -------------------------------------------------------------------------------

    def claim_facts(
        self,
        actor: Actor,
        *,
        store_id: str | None = None,
        as_of: datetime | None = None,
        policy: ReputationPolicy | None = None,
    ) -> list[ClaimFact]:
        """The reputation claim facts of every complaint ``actor`` may see (a merchant: its store's;
        the platform: all, or ``store_id``'s), judged at ``as_of`` (default: now) by
        :func:`resolvekit.reputation.claim_from_events`. Feed them, with the host's order facts, to a
        :class:`~resolvekit.reputation.ReputationAggregator`; call again as time passes so unanswered
        claims turn late at their deadline.
        """
        from resolvekit.reputation.facts import claim_from_events

        when = self.now() if as_of is None else utc(as_of, "as_of")
        facts: list[ClaimFact] = []
        cursor: str | None = None
        while True:
            page = self.list_cases(actor, store_id=store_id, kind="complaint", limit=500, after=cursor)
            for case in page.items:
                fact = claim_from_events(self.activity(actor, case.id), as_of=when, policy=policy)
                if fact is not None:
                    facts.append(fact)
            if page.next_cursor is None:
                return facts
            cursor = page.next_cursor

    # -- outbox -----------------------------------------------------------------------------------

    def dispatch(self, limit: int = 100) -> DispatchReport:
        """Deliver due notifications from the outbox through the ``resolvekit_deliver`` hook.

        Each is rendered for its recipient (``resolvekit_recipient_profile``: language, time zone,
        channels; a channel the recipient does not use is closed without sending), with a machine
        translation of a reply written in another language (see ``docs/i18n.md``).
        Run it from the host's worker (or ``resolvekit dispatch``). A notification no plugin
        delivers, or whose delivery raises, stays in the outbox and is retried with exponential
        backoff; the error is kept on the entry. Delivery is at least once: a process that dies
        after delivering but before recording it delivers again, with the same ``key``.
        """
        now = self.now()
        delivered = failed = 0
        errors: list[tuple[str, str]] = []
        profiles: dict[Any, RecipientProfile] = {}
        for entry in self.storage.pending_notifications(now, limit):
            key = entry.notification.key
            try:
                reference = self._deliver_one(entry.notification, profiles)
                if reference is None:
                    raise LookupError(f"no plugin delivers the {entry.notification.channel!r} channel")
            except Exception as exc:  # a host plugin may raise anything; keep it visible, retry later
                delay = min(self._retry_backoff * (2**entry.attempts), timedelta(days=1))
                message = f"{type(exc).__name__}: {exc}"
                self.storage.mark_failed(key, message, now + delay)
                failed += 1
                errors.append((key, message))
                continue
            self.storage.mark_delivered(key, now)
            delivered += 1
        return DispatchReport(delivered, failed, tuple(errors))

    def purge_outbox(self, older_than: timedelta = timedelta(days=30), *, limit: int = 1000) -> int:
        """Delete up to ``limit`` outbox entries delivered more than ``older_than`` ago; how many went.

        Delivered entries are kept (for inspection, ``storage.outbox(case_id)``) until purged; run
        this from the host's worker after :meth:`dispatch` (or ``resolvekit dispatch --purge-after
        DAYS``). An entry not delivered yet, pending or failed and waiting for its retry, is never
        deleted, and neither is anything else of a case (its events and snapshot stay). The cut-off
        is ``self.now() - older_than``, on the injected clock.

        ``older_than`` must be a positive ``timedelta`` and ``limit`` a positive whole number
        (:class:`~resolvekit.errors.ValidationError` otherwise); a storage backend without
        :class:`~resolvekit.storage.OutboxRetention` raises :class:`~resolvekit.errors.ConfigurationError`.
        """
        if not isinstance(older_than, timedelta) or older_than <= timedelta(0):
            raise ValidationError(N_("{field} must be a positive timedelta, got {value!r}."), field="older_than", value=older_than)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValidationError(N_("{field} must be a positive whole number, got {value!r}."), field="limit", value=limit)
        storage = self.storage
        if not isinstance(storage, OutboxRetention):
            raise ConfigurationError(
                N_("The storage backend {backend} cannot purge delivered notifications (no 'purge_delivered' method)."),
                backend=type(storage).__name__,
            )
        return storage.purge_delivered(self.now() - older_than, limit)
