"""Communication in the service layer: templates per store and locale, rendering for each reader,
machine translation at delivery, and the localized activity timeline.

:class:`CommunicationCommands` is mixed into :class:`~resolvekit.ResolveKit`. What it adds:

* **Templates** (canned responses) stored per store and locale (:meth:`~CommunicationCommands.save_template`,
  :meth:`~CommunicationCommands.templates`, :meth:`~CommunicationCommands.delete_template`) and sent
  with :meth:`~CommunicationCommands.reply_with_template`, personalised and in the customer's
  language. Placeholders are checked when a template is saved, never when it is sent.
* **Recipient profiles**: :meth:`~CommunicationCommands.recipient_profile` asks the
  ``resolvekit_recipient_profile`` hook, then falls back on what the case recorded of the customer.
* **Delivery**: each notification is rendered for its recipient's locale, time zone and channel;
  a reply written in another language than the reader's is machine-translated through the
  ``resolvekit_translate`` hook, bounded by a timeout, and the translation recorded on the message.
  The original is never held back: if the translator raises, returns nothing or is late, the
  original goes out marked as untranslated.
* **Views**: :meth:`~CommunicationCommands.timeline` renders a case's activity log for a reader.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import attrs

from resolvekit._command_host import CommandHost
from resolvekit._i18n import N_, locale_chain
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, Complaint
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.labels import STATUS_LABELS, describe_event
from resolvekit.domain.notifications import Notification, Recipient
from resolvekit.domain.templates import CannedResponse, check_template
from resolvekit.errors import ConfigurationError, NotFound, PermissionDenied, ResolveKitError, ValidationError
from resolvekit.localization import Localizer, RecipientProfile, RenderedMessage, TranslationOutcome, same_language
from resolvekit.storage import TemplateStore

if TYPE_CHECKING:
    from resolvekit.application import CommandResult
    from resolvekit.sla_service import SlaTracker

__all__ = ["CommunicationCommands", "TemplateNotFound", "TimelineEntry", "record_translation"]

TRANSLATOR = Actor.system("translation")
"""Who records machine translations on a case."""

_MAX_TRANSLATIONS_IN_FLIGHT = 8
_DEFAULT = RecipientProfile()


class TemplateNotFound(NotFound):
    """No template of this id is saved for the store (in any locale)."""

    code = "template_not_found"
    default_message = N_("Store {store_id} has no canned response {template_id!r}; save it first or choose another.")


@attrs.frozen
class TimelineEntry:
    """One entry of a case's activity log, rendered for a reader.

    ``when`` is the time in the reader's locale and time zone; ``text`` describes what happened;
    ``status`` is the translated new status when the event changed it. For a message, ``message`` is
    its text as written and ``translation`` the machine translation into the reader's language, if
    one was made.
    """

    version: int
    kind: str
    at: datetime
    when: str
    text: str
    status: str | None = None
    message: str | None = None
    translation: str | None = None


def record_translation(case: Case, message_id: str, locale: str, text: str, source_locale: str | None, *, now: datetime) -> list[CaseEvent]:
    """The event recording a machine translation of a message (pure; refuses an unknown message)."""
    if not any(m.id == message_id for m in case.messages):
        raise NotFound(N_("Case {case_id} has no message {message_id}."), case_id=case.id, message_id=message_id)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(N_("A translation needs text; an empty translation is not recorded."))
    payload = {"message_id": message_id, "locale": locale, "text": text, "source_locale": source_locale}
    return [CaseEvent(case.id, case.version + 1, EventKind.MESSAGE_TRANSLATED, TRANSLATOR, now, payload)]


class _Slots:
    """Bounds how many translator calls may hang at once (a stuck translator never piles up threads)."""

    def __init__(self, size: int) -> None:
        self.semaphore = threading.BoundedSemaphore(size)


class CommunicationCommands(CommandHost):
    """Templates, profiles, translation at delivery and localized views (see the module docstring)."""

    if TYPE_CHECKING:
        localizer: Localizer
        _sla: SlaTracker

        def activity(self, actor: Actor, case_id: str) -> list[CaseEvent]: ...

    _translation_slots: _Slots | None = None

    # -- profiles and rendering -------------------------------------------------------------------

    def recipient_profile(self, recipient: Recipient) -> RecipientProfile:
        """How to speak to ``recipient``: the ``resolvekit_recipient_profile`` hook's answer, else the
        locale and time zone recorded for a customer, else English and UTC."""
        found = self.plugins.recipient_profile(recipient)
        if found is not None:
            if not isinstance(found, RecipientProfile):
                raise ConfigurationError(
                    N_("resolvekit_recipient_profile must return a RecipientProfile or None, got {type}."), type=type(found).__name__
                )
            return found
        if recipient.locale is None and recipient.time_zone is None:
            return _DEFAULT
        try:
            return RecipientProfile(recipient.locale or "en", recipient.time_zone or "UTC")
        except ValidationError:  # a recorded locale or zone that is not usable: keep what is
            try:
                return RecipientProfile(recipient.locale or "en")
            except ValidationError:
                return _DEFAULT

    def render_notification(
        self, notification: Notification, profile: RecipientProfile | None = None, *, translation: TranslationOutcome | None = None
    ) -> RenderedMessage:
        """``notification`` rendered for ``profile`` (default: the recipient's profile) with this
        application's catalogs, on the notification's channel."""
        if profile is None:
            profile = self.recipient_profile(notification.recipient)
        return self.localizer.render_notification(notification, profile, policy=self.policy.notifications, translation=translation)

    def render_error(self, error: ResolveKitError, locale: str = "en") -> str:
        """An error's message in ``locale`` with this application's catalogs (``str(error)`` stays English)."""
        return self.localizer.render_error(error, locale)

    def _reader_profile(self, actor: Actor, case: Case) -> RecipientProfile:
        if actor.role is Role.CUSTOMER:
            return self.recipient_profile(
                Recipient(Role.CUSTOMER, case.customer_id, locale=case.customer_locale, time_zone=case.customer_time_zone)
            )
        if actor.role is Role.MERCHANT:
            return self.recipient_profile(Recipient(Role.MERCHANT, case.store_id))
        return self.recipient_profile(Recipient(Role.PLATFORM, "platform"))

    def timeline(self, actor: Actor, case_id: str, *, profile: RecipientProfile | None = None) -> list[TimelineEntry]:
        """The case's activity log as ``actor`` may see it, rendered in the reader's language and time
        zone (``profile``, by default the actor's own: see :meth:`recipient_profile`)."""
        case = self._visible(actor, case_id)
        if profile is None:
            profile = self._reader_profile(actor, case)
        locale, zone = profile.locale, profile.time_zone
        render = self.localizer.render
        messages = {m.id: m for m in case.messages}
        entries: list[TimelineEntry] = []
        for event in self.activity(actor, case_id):
            text_id, params = describe_event(event, case.order_number)
            status = event.payload.get("status")
            message = messages.get(str(event.payload.get("message_id"))) if event.kind is not EventKind.MESSAGE_TRANSLATED else None
            translation = None
            if message is not None and not same_language(message.language or "", locale):
                found = message.translation(locale)
                translation = None if found is None else found.text
            entries.append(
                TimelineEntry(
                    version=event.version,
                    kind=event.kind.value,
                    at=event.at,
                    when=self.localizer.format_datetime(event.at, locale, zone),
                    text=render(text_id, params, locale, zone),
                    status=None if not isinstance(status, str) else render(STATUS_LABELS.get(status, status), None, locale),
                    message=None if message is None else message.body,
                    translation=translation,
                )
            )
        return entries

    # -- delivery -----------------------------------------------------------------------------------

    def _deliver_one(self, notification: Notification, profiles: dict[tuple[Recipient, str | None, str | None], RecipientProfile]) -> str | None:
        """Render ``notification`` for its recipient (translating a person's message when needed) and
        hand it to the delivery hook. Used by :meth:`ResolveKit.dispatch`."""
        recipient = notification.recipient
        known = (recipient, recipient.locale, recipient.time_zone)  # a customer's cases may record other preferences
        profile = profiles.get(known)
        if profile is None:
            profile = profiles[known] = self.recipient_profile(recipient)
        if profile.channels is not None and notification.channel not in profile.channels:
            return f"skipped: {recipient.role.value} {recipient.id} does not use the {notification.channel} channel"
        translation = None
        if notification.translatable is not None:
            translation = self._translation_for(notification, profile, profiles)
        message = self.render_notification(notification, profile, translation=translation)
        return self.plugins.deliver(notification, message)

    def _translation_for(
        self, notification: Notification, profile: RecipientProfile, profiles: dict[tuple[Recipient, str | None, str | None], RecipientProfile]
    ) -> TranslationOutcome | None:
        source_info: Mapping[str, Any] = notification.translatable or {}
        field = str(source_info.get("param", "body"))
        text = notification.params.get(field)
        if not isinstance(text, str) or not text.strip():
            return None
        source = source_info.get("language")
        if not isinstance(source, str) or not source:
            author = source_info.get("author")
            if not isinstance(author, Mapping) or author.get("role") == Role.SYSTEM.value:
                return None
            who = Recipient.from_dict(author)
            author_profile = profiles.get((who, who.locale, who.time_zone))
            if author_profile is None:
                author_profile = profiles[(who, who.locale, who.time_zone)] = self.recipient_profile(who)
            source = author_profile.locale
        target = profile.locale
        if same_language(source, target):
            return None
        message_id = str(source_info.get("message_id") or "")
        known = self._known_translation(notification.case_id, message_id, target) if message_id else None
        if known is not None:
            return TranslationOutcome("translated", source, target, known)
        if not self.plugins.translates():
            return TranslationOutcome("unavailable", source, target)
        outcome = self._call_translator(text, source, target)
        if outcome.ok and outcome.text is not None and message_id:
            self._remember_translation(notification.case_id, message_id, target, outcome.text, source)
        return outcome

    def _known_translation(self, case_id: str, message_id: str, locale: str) -> str | None:
        case = self.storage.load(case_id)
        if case is None:
            return None
        for message in case.messages:
            if message.id == message_id:
                found = message.translation(locale)
                return None if found is None else found.text
        return None

    def _call_translator(self, text: str, source: str, target: str) -> TranslationOutcome:
        """Ask the translation hook in a worker thread and wait at most the policy's timeout."""
        slots = self._translation_slots
        if slots is None:
            slots = self._translation_slots = _Slots(_MAX_TRANSLATIONS_IN_FLIGHT)
        if not slots.semaphore.acquire(blocking=False):
            return TranslationOutcome("timeout", source, target, error="too many translations are still running")
        result: list[object] = []

        def work() -> None:
            try:
                result.append(self.plugins.translate(text, source, target))
            except BaseException as exc:  # a host plugin may raise anything: report it, never lose the original
                result.append(exc)
            finally:
                slots.semaphore.release()

        worker = threading.Thread(target=work, name="resolvekit-translate", daemon=True)
        worker.start()
        worker.join(self.policy.notifications.translation_timeout.total_seconds())
        if not result:
            return TranslationOutcome("timeout", source, target, error="the translator did not answer in time")
        answer = result[0]
        if isinstance(answer, BaseException):
            return TranslationOutcome("failed", source, target, error=f"{type(answer).__name__}: {answer}")
        if answer is None:
            return TranslationOutcome("unavailable", source, target)
        if not isinstance(answer, str) or not answer.strip():
            return TranslationOutcome("empty", source, target, error="the translator returned no text")
        return TranslationOutcome("translated", source, target, answer)

    def _remember_translation(self, case_id: str, message_id: str, locale: str, text: str, source: str) -> None:
        """Record the translation on the message (best effort: delivery never waits on it failing)."""
        try:
            self._run(
                TRANSLATOR,
                case_id,
                lambda case, now: record_translation(cast(Case, case), message_id, locale, text, source, now=now),
                None,
                lambda: "",
            )
        except ResolveKitError:
            pass  # e.g. a concurrent writer: the translation is still delivered, and made again next time

    # -- templates ----------------------------------------------------------------------------------

    def _templates(self) -> TemplateStore:
        if not isinstance(self.storage, TemplateStore):
            raise ConfigurationError(
                N_("The storage backend {storage} does not store canned responses (the TemplateStore protocol)."),
                storage=type(self.storage).__name__,
            )
        return self.storage

    def _check_store(self, actor: Actor, store_id: str, action: str) -> None:
        if not isinstance(actor, Actor):
            raise PermissionDenied(role=type(actor).__name__, action=action)
        if actor.role is Role.PLATFORM or (actor.role is Role.MERCHANT and actor.store_id == store_id):
            return
        raise PermissionDenied(role=actor.role.value, action=action)

    def save_template(
        self, actor: Actor, *, store_id: str, template_id: str, locale: str, title: str, body: str
    ) -> CannedResponse:
        """Save (or replace) the ``locale`` version of the store's canned response ``template_id``.

        Only the store's merchants (and the platform) may. Everything is checked here, not when the
        template is sent: known placeholders only, the customer's name used, and the same
        placeholders as the template's other locale versions. Returns the saved template.
        """
        self._check_store(actor, store_id, N_("save a canned response"))
        template = CannedResponse(template_id, title, body, store_id=store_id, locale=locale)
        store = self._templates()
        check_template(template, store.templates(store_id, template_id=template_id))
        store.save_template(template)
        return template

    def templates(self, actor: Actor, store_id: str, *, locale: str | None = None) -> list[CannedResponse]:
        """The store's canned responses (in ``locale`` only, when given), by id then locale."""
        self._check_store(actor, store_id, N_("read the canned responses"))
        found = self._templates().templates(store_id)
        if locale is not None:
            wanted = locale.replace("-", "_")
            found = [t for t in found if t.locale == wanted]
        return list(found)

    def delete_template(self, actor: Actor, store_id: str, template_id: str, *, locale: str | None = None) -> int:
        """Delete one locale version of a canned response (every version without ``locale``); returns how many."""
        self._check_store(actor, store_id, N_("delete a canned response"))
        return self._templates().delete_template(store_id, template_id, None if locale is None else locale.replace("-", "_"))

    def template_for(self, store_id: str, template_id: str, locale: str) -> CannedResponse:
        """The version of a store's template to send to a reader of ``locale``: the first along the
        locale's chain, else the English one, else any."""
        versions = {t.locale: t for t in self._templates().templates(store_id, template_id=template_id)}
        if not versions:
            raise TemplateNotFound(store_id=store_id, template_id=template_id)
        for candidate in locale_chain(locale):
            if candidate in versions:
                return versions[candidate]
        language = locale.replace("-", "_").split("_", 1)[0]
        same = sorted(v for v in versions if v.split("_", 1)[0] == language)
        return versions[same[0]] if same else versions[sorted(versions)[0]]

    def reply_with_template(
        self,
        actor: Actor,
        case_id: str,
        template_id: str,
        *,
        locale: str | None = None,
        store_name: str = "",
        no_response_needed: bool = False,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """Reply with one of the store's canned responses, in the customer's language.

        The version is chosen along the locale chain of ``locale`` (default: the customer's) and its
        placeholders are filled from the case: the customer's name, the order number, amounts and
        deadlines formatted for that locale and the customer's time zone. The reply records the
        template's id and language.
        """
        case = self._visible(actor, case_id)
        profile = self._reader_profile(Actor.customer(case.customer_id), case)
        template = self.template_for(case.store_id, template_id, locale or profile.locale)
        # amounts and dates follow the customer's own locale when the template speaks its language
        # (an "ar" template read in ar_SA gets Saudi digits), else the template's
        shown = profile.locale if same_language(profile.locale, template.locale) else template.locale
        values = self._template_values(case, shown, profile.time_zone)
        from resolvekit.domain import commands

        return self._command(
            "reply_with_template",
            actor,
            case_id,
            idempotency_key,
            commands.reply_canned,
            template,
            store_name=store_name,
            values=values,
            no_response_needed=no_response_needed,
        )

    def _template_values(self, case: Case, locale: str, zone: str) -> dict[str, str]:
        values: dict[str, str] = {}
        localizer = self.localizer
        if isinstance(case, Complaint):
            if case.order is not None:
                values["order_total"] = localizer.format_money(case.order.total_paid, case.order.currency, locale)
            if case.offers:
                offer = case.offers[-1]
                if offer.amount is not None:
                    values["offer_amount"] = localizer.format_money(offer.amount.amount, offer.amount.currency, locale)
                if offer.expires_at is not None:
                    values["offer_expires_at"] = localizer.format_datetime(offer.expires_at, locale, zone)
        try:
            state = self._sla.state(case)
        except ResolveKitError:
            state = None
        if state is not None:
            deadlines = [c.deadline for c in state.clocks if c.running and c.deadline is not None]
            if deadlines:
                values["deadline"] = localizer.format_datetime(min(deadlines), locale, zone)
        return values
