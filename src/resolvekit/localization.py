"""Speaking each reader's language: catalogs per application, recipient profiles, rendered messages.

Each :class:`~resolvekit.ResolveKit` owns one :class:`Localizer`. It looks message ids up along the
locale's fallback chain (:func:`resolvekit._i18n.locale_chain`), in the catalogs the host's plugins
add through the ``resolvekit_catalog`` hook first and in the catalogs shipped with resolvekit
(English, Arabic, Spanish, Brazilian Portuguese) second, and formats dates, times, numbers and money
with babel for the reader's locale and time zone. Two applications in one process never share a
host's catalogs.

:class:`RecipientProfile` says how to speak to one recipient (locale, time zone, channels);
:class:`RenderedMessage` is a notification rendered for its recipient and channel, with the machine
translation of a person's message (:class:`TranslationOutcome`) when there is one.
"""

from __future__ import annotations

import gettext
import string
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import attrs

from resolvekit import _i18n
from resolvekit._i18n import N_
from resolvekit.domain.labels import KIND_NAMES, ROLE_NAMES, STATUS_LABELS
from resolvekit.errors import ValidationError

if TYPE_CHECKING:
    from resolvekit._formats import Formats
    from resolvekit.domain.notifications import Notification, NotificationPolicy
    from resolvekit.errors import ResolveKitError

__all__ = [
    "HostCatalog",
    "Localizer",
    "TranslationOutcome",
    "RecipientProfile",
    "RenderedMessage",
    "builtin_localizer",
    "fit_sms",
    "same_language",
]

HostCatalog = Mapping[str, str] | gettext.NullTranslations
"""What a ``resolvekit_catalog`` hook returns: message id -> translation, or a gettext catalog."""

_ORIGINAL = N_("Original message ({language}):")
_UNTRANSLATED = N_("This message could not be translated automatically; it is shown as written.")
_SMS = N_("{subject}: {body}")
_ERROR_LABELS: dict[str, Mapping[str, str] | None] = {"status": STATUS_LABELS, "kind": KIND_NAMES, "role": ROLE_NAMES, "action": None}


def _time_zone(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    from zoneinfo import ZoneInfoNotFoundError

    from resolvekit._formats import time_zone

    try:
        if not isinstance(value, str) or not value:
            raise ValueError(value)
        time_zone(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            N_("{value!r} is not an IANA time zone such as 'Asia/Riyadh' or 'America/Sao_Paulo'."), value=value
        ) from None


def _locale(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("A locale is a tag such as 'ar', 'pt_BR' or 'es-MX', got {value!r}."), value=value)
    return _i18n.normalize_locale(value) or value.strip()


def _channels(value: object) -> frozenset[str] | None:
    return None if value is None else frozenset(cast("Iterable[str]", value))


@attrs.frozen
class RecipientProfile:
    """How to speak to one recipient: language, time zone and the channels they use.

    ``locale`` is any locale tag (``"ar_SA"``, ``"pt-BR"``, ``"es_MX"``); an unknown one falls back
    along the locale chain to English. ``time_zone`` is an IANA name; dates and times in their
    messages are shown in it. ``channels`` limits which channels reach them (``None``: every
    channel the policy sends on).
    """

    locale: str = attrs.field(default="en", converter=_locale)
    time_zone: str = attrs.field(default="UTC", validator=_time_zone)
    channels: frozenset[str] | None = attrs.field(default=None, converter=_channels)


@attrs.frozen
class TranslationOutcome:
    """What became of the machine translation of a person's message for one recipient.

    ``status`` is ``"translated"`` (``text`` holds the translation), ``"unavailable"`` (no plugin
    translates the pair), ``"failed"`` (the translator raised; ``error`` says what), ``"empty"``
    (it returned empty text) or ``"timeout"`` (it did not answer in time). In every case but the
    first the recipient gets the original text, marked as untranslated.
    """

    status: str
    source_locale: str
    target_locale: str
    text: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether a translation was made."""
        return self.status == "translated"


class RenderedMessage(NamedTuple):
    """A notification rendered for its recipient: language, time zone and channel.

    ``subject`` and ``body`` are the texts of an email; ``text`` is what the channel sends (the body
    for email, subject and body within the SMS length limit for ``"sms"``, both lines for chat
    channels); ``truncated`` tells whether ``text`` was shortened to fit. ``direction`` is ``"rtl"``
    for right-to-left languages such as Arabic. ``translation`` describes the machine translation of
    the person's message the notification carries (``None`` when there is none to translate).

    An immutable named tuple rather than an attrs class: one is built for every notification
    delivered, and a tuple is built several times faster.
    """

    channel: str
    locale: str
    time_zone: str
    direction: str
    subject: str
    body: str
    text: str
    truncated: bool = False
    translation: TranslationOutcome | None = None


def same_language(first: str, second: str) -> bool:
    """Whether two locales share a language (``pt_BR`` and ``pt_PT`` do; no translation between them)."""
    a, b = _i18n.normalize_locale(first), _i18n.normalize_locale(second)
    return a is not None and b is not None and a.split("_", 1)[0] == b.split("_", 1)[0]


# -- SMS length ----------------------------------------------------------------------------------------

_GSM = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def _sms_size(text: str) -> tuple[int, bool]:
    """The length in SMS units and whether the text fits the GSM 7-bit alphabet (else UCS-2)."""
    if all(c in _GSM or c in _GSM_EXTENDED for c in text):
        return sum(2 if c in _GSM_EXTENDED else 1 for c in text), True
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text), False


def fit_sms(text: str, segments: int) -> tuple[str, bool]:
    """``text`` cut to fit ``segments`` SMS parts (153 GSM characters or 67 UCS-2 units each, one
    part 160 or 70), at a word boundary with an ellipsis; returns the text and whether it was cut."""
    size, gsm = _sms_size(text)
    single, multi = (160, 153) if gsm else (70, 67)
    limit = single if segments <= 1 else multi * segments
    if size <= limit:
        return text, False
    ellipsis = "..." if gsm else "…"
    room = limit - len(ellipsis)
    cut = text
    while _sms_size(cut)[0] > room:
        cut = cut[: max(0, len(cut) - max(1, _sms_size(cut)[0] - room))]
    space = cut.rfind(" ")
    if space >= room - 20 and space > 0:
        cut = cut[:space]
    return cut.rstrip() + ellipsis, True


# -- the localizer ----------------------------------------------------------------------------------------


class _Speaker:
    """Everything one locale needs, built once per localizer: merged catalogs, formats, caches."""

    __slots__ = ("chain", "compiled", "direction", "formats", "layers", "locale", "lookup_cache", "messages", "opaque", "plans", "values")

    def __init__(self, locale: str, chain: tuple[str, ...], layers: list[Any], formats: Formats) -> None:
        self.locale = locale
        self.chain = chain
        self.layers = layers  # in priority order: the first that translates a message wins
        self.formats = formats
        self.direction = formats.direction
        self.opaque = any(not isinstance(layer, Mapping) for layer in layers)
        merged: dict[str, str] = {}
        for layer in reversed(layers):
            if isinstance(layer, Mapping):
                merged.update((k, v) for k, v in layer.items() if isinstance(k, str) and isinstance(v, str) and v)
        self.messages = merged
        self.lookup_cache: dict[str, str] = {}
        self.values: dict[Any, str] = {}
        self.compiled: dict[str, tuple[str, tuple[str, ...]] | None] = {}
        self.plans: dict[tuple[str, str], tuple[str, tuple[str, ...]] | None] = {}

    def plan(self, subject: str, body: str) -> tuple[str, tuple[str, ...]] | None:
        """A subject and a body translated and joined into one template (one format call for both)."""
        first, second = self.compile(subject), self.compile(body)
        plan = None
        if first is not None and second is not None and _SEPARATOR not in first[0] + second[0]:
            plan = (first[0] + _SEPARATOR + second[0], tuple(dict.fromkeys(first[1] + second[1])))
        self.plans[(subject, body)] = plan
        return plan

    def compile(self, message: str) -> tuple[str, tuple[str, ...]] | None:
        """The translation of ``message`` and the parameter names it uses; ``None`` when its fields
        are more than plain names (attribute or index access), which the general path handles."""
        text = self.lookup(message)
        try:
            names = tuple(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(text) if f is not None))
        except ValueError:
            names = ("",)
        compiled = None if any(not n.isidentifier() for n in names) else (text, names)
        self.compiled[message] = compiled
        return compiled

    def lookup(self, message: str) -> str:
        if not self.opaque:
            return self.messages.get(message, message)
        found = self.lookup_cache.get(message)
        if found is not None:
            return found
        for layer in self.layers:
            if isinstance(layer, Mapping):
                text = layer.get(message)
                if isinstance(text, str) and text:
                    break
            else:
                text = layer.gettext(message)
                if text and text != message:
                    break
        else:
            text = message
        self.lookup_cache[message] = text
        return text


_FORMATTER = string.Formatter()
_SEPARATOR = "\x1f"  # joins a subject and a body into one template; never in a message


class _View:
    """The parameters of one message as the reader sees them (localized values turned into text)."""

    __slots__ = ("localizer", "params", "speaker", "zone")

    def __init__(self, localizer: Localizer, speaker: _Speaker, params: Mapping[str, Any], zone: str) -> None:
        self.localizer, self.speaker, self.params, self.zone = localizer, speaker, params, zone

    def __getitem__(self, key: str) -> Any:
        value = self.params[key]
        if value.__class__ is dict and "$" in value:
            return self.localizer._localize(self.speaker, value, self.zone)
        return value


class Localizer:
    """The catalogs and formats of one application.

    Args:
        catalogs: returns the host's catalogs for one locale, highest priority first (the results of
            the ``resolvekit_catalog`` hook). Called once per locale of a chain, the first time the
            locale is used; the result is kept.

    Safe to share between threads. Use :meth:`render` for one message, :meth:`render_notification`
    for a notification and its channel, :meth:`render_error` for an error, and the ``format_*``
    methods for single values.
    """

    def __init__(self, catalogs: Callable[[str], Sequence[object]] | None = None) -> None:
        self._catalogs = catalogs
        self._speakers: dict[str, _Speaker] = {}
        self._host: dict[str, list[Any]] = {}
        self._lock = threading.RLock()

    # -- catalogs -----------------------------------------------------------------------------------

    def chain(self, locale: str) -> tuple[str, ...]:
        """The locales consulted for ``locale``, most specific first (see :func:`resolvekit._i18n.locale_chain`)."""
        return _i18n.locale_chain(locale)

    def _host_catalogs(self, locale: str) -> list[Any]:
        known = self._host.get(locale)
        if known is not None:
            return known
        found: list[Any] = []
        if self._catalogs is not None:
            for result in self._catalogs(locale):
                if result is None:
                    continue
                if isinstance(result, Mapping):
                    found.append(result)
                elif isinstance(result, gettext.NullTranslations):
                    table = getattr(result, "_catalog", None)
                    plain = isinstance(result, gettext.GNUTranslations) and getattr(result, "_fallback", None) is None
                    if plain and isinstance(table, dict):
                        found.append({k: v for k, v in table.items() if isinstance(k, str) and k and v})
                    else:  # a catalog with fallbacks or its own lookup: asked message by message
                        found.append(result)
                else:
                    from resolvekit.errors import ConfigurationError

                    raise ConfigurationError(
                        N_("A resolvekit_catalog hook returned {value!r} for {locale!r}; return a mapping, a gettext catalog or None."),
                        value=type(result).__name__,
                        locale=locale,
                    )
        self._host[locale] = found
        return found

    def _speaker(self, locale: str) -> _Speaker:
        speaker = self._speakers.get(locale)
        if speaker is not None:
            return speaker
        with self._lock:
            speaker = self._speakers.get(locale)
            if speaker is None:
                from resolvekit._formats import formats

                chain = _i18n.locale_chain(locale)
                layers: list[Any] = []
                for candidate in chain:
                    layers.extend(self._host_catalogs(candidate))
                    builtin = _i18n.builtin_messages(candidate)
                    if builtin:
                        layers.append(builtin)
                speaker = _Speaker(locale, chain, layers, formats(_i18n.formatting_locale(locale)))
                self._speakers[locale] = speaker
        return speaker

    def catalog_locale(self, locale: str) -> str:
        """The first locale of the chain with a catalog (the host's or a shipped one): the language
        the reader actually gets (``"pt_PT"`` -> ``"pt_BR"`` with the shipped catalogs alone)."""
        for candidate in _i18n.locale_chain(locale):
            if self._host_catalogs(candidate) or _i18n.builtin_messages(candidate) or candidate == _i18n.SOURCE_LOCALE:
                return candidate
        return _i18n.SOURCE_LOCALE  # pragma: no cover - the chain always ends with English

    def direction(self, locale: str) -> str:
        """``"rtl"`` for right-to-left locales (Arabic), else ``"ltr"``."""
        return self._speaker(locale).direction

    def clear(self) -> None:
        """Forget the loaded catalogs (the next use asks the hook again)."""
        with self._lock:
            self._speakers.clear()
            self._host.clear()

    # -- rendering ----------------------------------------------------------------------------------

    def gettext(self, message: str, locale: str = "en") -> str:
        """The translation of the message id ``message`` in ``locale`` (the id itself when none)."""
        return self._speaker(locale).lookup(message)

    def render(self, message: str, params: Mapping[str, Any] | None = None, locale: str = "en", time_zone: str = "UTC") -> str:
        """Translate ``message`` and fill its ``{named}`` placeholders from ``params``.

        Localized values among the parameters (see :mod:`resolvekit.domain.labels`) are formatted for
        ``locale`` and ``time_zone``. A translation whose placeholders do not fit the parameters (a
        host's broken override) falls back to the English text rather than fail.
        """
        speaker = self._speakers.get(locale) or self._speaker(locale)
        text = speaker.lookup(message)
        if not params:
            return text
        view = _View(self, speaker, params, time_zone)
        try:
            return text.format_map(view)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError):
            if text is message:
                raise
            return message.format_map(view)

    def _localize(self, speaker: _Speaker, value: Mapping[str, Any], zone: str) -> str:
        kind = value["$"]
        if kind == "label" or kind == "term":
            return speaker.lookup(str(value.get("id", "")))
        if kind == "status":
            name = str(value.get("id", ""))
            return speaker.lookup(STATUS_LABELS.get(name, name))
        cache = speaker.values
        if kind == "money":
            key: Any = (value.get("amount"), value.get("currency"))
        elif kind == "datetime":
            key = (value.get("at"), zone)
        else:
            key = (kind, value.get("value", value.get("on", value.get("id"))))
        text = cache.get(key)
        if text is None:
            text = self._format(speaker.formats, kind, value, zone)
            if len(cache) > 8192:
                cache.clear()
            cache[key] = text
        return text

    def _format(self, formats: Formats, kind: str, value: Mapping[str, Any], zone: str) -> str:
        try:
            if kind == "money":
                return formats.money(Decimal(str(value["amount"])), str(value["currency"]))
            if kind == "datetime":
                return formats.moment(datetime.fromisoformat(str(value["at"])), zone)
            if kind == "date":
                return formats.calendar_date(date.fromisoformat(str(value["on"])[:10]))
            if kind == "number":
                raw = value["value"]
                return formats.number(raw if isinstance(raw, int) and not isinstance(raw, bool) else Decimal(str(raw)))
            if kind == "percent":
                return formats.percent(Decimal(str(value["value"])))
            if kind == "language":
                return _language_name(str(value["id"]), formats.name)
        except (KeyError, ValueError, TypeError, InvalidOperation, ArithmeticError):
            pass
        shown = value.get("amount", value.get("at", value.get("on", value.get("value", value.get("id", "")))))
        return "" if shown is None else str(shown)

    def format_money(self, amount: Decimal | str, currency: str, locale: str = "en") -> str:
        """``amount`` of ``currency`` as babel writes it for ``locale``, with the locale's digits."""
        return self._speaker(locale).formats.money(Decimal(str(amount)), currency)

    def format_datetime(self, value: datetime, locale: str = "en", time_zone: str = "UTC") -> str:
        """An aware ``value`` as a date and time of ``locale`` in ``time_zone``."""
        return self._speaker(locale).formats.moment(value, time_zone)

    def format_date(self, value: date, locale: str = "en") -> str:
        """A calendar date in ``locale``'s medium pattern."""
        return self._speaker(locale).formats.calendar_date(value)

    def format_number(self, value: int | Decimal, locale: str = "en") -> str:
        """A number with ``locale``'s grouping, decimal sign and digits."""
        return self._speaker(locale).formats.number(value)

    def status_label(self, status: str, locale: str = "en") -> str:
        """The translated label of a lifecycle status (the status name itself when unknown)."""
        return self.gettext(STATUS_LABELS.get(status, status), locale)

    def language_name(self, tag: str, locale: str = "en") -> str:
        """The name of the language ``tag`` in ``locale`` (``"ar"`` in ``"es"`` -> ``"árabe"``)."""
        return _language_name(tag, self._speaker(locale).formats.name)

    def render_error(self, error: ResolveKitError, locale: str = "en") -> str:
        """An error's message in ``locale``; statuses, roles, case kinds and actions in it are translated too.

        ``str(error)`` stays the English text with the names as the code uses them.
        """
        params = dict(error.params)
        for key, table in _ERROR_LABELS.items():
            value = params.get(key)
            if isinstance(value, str):
                params[key] = self.gettext(value if table is None else table.get(value, value), locale)
        return self.render(error.message, params, locale)

    def _fill(self, speaker: _Speaker, message: str, params: Mapping[str, Any], zone: str) -> str:
        """:meth:`render` on the hot path: the compiled translation, only the parameters it uses."""
        try:
            compiled = speaker.compiled[message]
        except KeyError:
            compiled = speaker.compile(message)
        if compiled is not None:
            text, names = compiled
            if not names:
                return text
            values: dict[str, Any] = {}
            try:
                for name in names:
                    value = params[name]
                    values[name] = self._localize(speaker, value, zone) if value.__class__ is dict and "$" in value else value
                return text.format_map(values)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                pass  # a host's broken translation: the general path falls back to English
        return self.render(message, params, speaker.locale, zone)

    def _pair(self, speaker: _Speaker, subject: str, body: str, params: Mapping[str, Any], zone: str) -> tuple[str, str]:
        """The subject and body of a notification, on the hot path: one compiled template for both,
        only the parameters it uses, labels looked up inline."""
        try:
            plan = speaker.plans[(subject, body)]
        except KeyError:
            plan = speaker.plan(subject, body)
        if plan is not None:
            text, names = plan
            messages = None if speaker.opaque else speaker.messages
            values: dict[str, Any] = {}
            try:
                for name in names:
                    value = params[name]
                    if value.__class__ is dict:
                        if messages is not None and value.get("$") == "label":
                            ident = value["id"]
                            value = messages.get(ident, ident)
                        else:
                            value = self._localize(speaker, value, zone)
                    values[name] = value
                first, _, second = text.format_map(values).partition(_SEPARATOR)
                return first, second
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                pass  # a host's broken translation: the general path falls back to English
        return self._fill(speaker, subject, params, zone), self._fill(speaker, body, params, zone)

    def render_notification(
        self,
        notification: Notification,
        profile: RecipientProfile | None = None,
        *,
        policy: NotificationPolicy | None = None,
        translation: TranslationOutcome | None = None,
    ) -> RenderedMessage:
        """``notification`` rendered for ``profile`` (default: English, UTC) on its channel.

        With ``translation`` (of the person's message the notification carries), the recipient reads
        the translation followed by the original; when the translation failed, the original marked as
        untranslated.
        """
        if profile is None:
            profile = _DEFAULT_PROFILE
        locale, zone = profile.locale, profile.time_zone
        speaker = self._speakers.get(locale)
        if speaker is None:
            speaker = self._speaker(locale)
        params: Mapping[str, Any] = notification.params
        appendix = ""
        source = notification.translatable if translation is not None else None
        if source is not None and translation is not None:
            field = str(source.get("param", "body"))
            original = str(params.get(field, ""))
            if translation.ok and translation.text:
                params = {**params, field: translation.text}
                appendix = "\n\n" + self.render(_ORIGINAL, {"language": {"$": "language", "id": translation.source_locale}}, locale) + "\n" + original
            elif translation.status != "unavailable":
                appendix = "\n\n" + self.render(_UNTRANSLATED, None, locale)
        # The hot path of _pair, inlined: this runs for every notification delivered.
        key = (notification.subject, notification.body)
        try:
            plan = speaker.plans[key]
        except KeyError:
            plan = speaker.plan(*key)
        rendered = None
        if plan is not None and not speaker.opaque:
            messages, values = speaker.messages, {}
            try:
                for name in plan[1]:
                    value = params[name]
                    if value.__class__ is dict:
                        if value.get("$") == "label":
                            value = messages.get(value["id"], value["id"])
                        else:
                            value = self._localize(speaker, value, zone)
                    values[name] = value
                rendered = plan[0].format_map(values).partition(_SEPARATOR)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                rendered = None
        if rendered is not None:
            subject, body = rendered[0].strip(), rendered[2].strip()  # an empty last parameter leaves a space
        else:
            subject, body = self._pair(speaker, key[0], key[1], params, zone)
            subject, body = subject.strip(), body.strip()
        channel = notification.channel
        truncated = False
        if channel == "sms":
            segments = policy.sms_segments if policy is not None else 2
            text, truncated = fit_sms(self.render(_SMS, {"subject": subject, "body": body}, locale), segments)
        elif channel in _CHAT_CHANNELS:
            limit = policy.chat_max_length if policy is not None else 4096
            text = f"{subject}\n{body}{appendix}"
            if len(text) > limit:
                text, truncated = text[: limit - 1].rstrip() + "…", True
        else:
            text = body + appendix
        # tuple.__new__ skips the named tuple's Python-level __new__ (a third of a microsecond saved per message)
        return _new_tuple(RenderedMessage, (channel, locale, zone, speaker.direction, subject, body + appendix, text, truncated, translation))

    def render_pair(self, notification: Notification, locale: str = "en", time_zone: str = "UTC") -> tuple[str, str]:
        """Just the subject and body of ``notification`` in ``locale`` and ``time_zone``."""
        params = notification.params
        speaker = self._speakers.get(locale) or self._speaker(locale)
        return self._pair(speaker, notification.subject, notification.body, params, time_zone)


_CHAT_CHANNELS = frozenset({"chat", "app", "whatsapp", "push"})
_new_tuple = tuple.__new__
_DEFAULT_PROFILE = RecipientProfile()
_language_names: dict[tuple[str, str], str] = {}


def _language_name(tag: str, locale: str) -> str:
    key = (tag, locale)
    name = _language_names.get(key)
    if name is None:
        from babel import Locale, UnknownLocaleError

        normalized = (_i18n.normalize_locale(tag) or tag).split("_", 1)[0]
        try:
            name = Locale.parse(normalized).get_display_name(locale) or tag
        except (UnknownLocaleError, ValueError, TypeError):
            name = tag
        _language_names[key] = name
    return name


_BUILTIN: Localizer | None = None


def builtin_localizer() -> Localizer:
    """A localizer with the shipped catalogs only (what :meth:`Notification.render` and
    :meth:`ResolveKitError.render` use when no application is at hand)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = Localizer()
    return _BUILTIN
