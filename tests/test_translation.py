"""Machine translation of messages at delivery: the original is kept and always delivered, a
translation is added for a reader of another language, and a failing, empty or slow translator
never loses or holds back the original."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from resolvekit import Actor, Customer, Order, OrderItem, Policy, ResolveKit, hookimpl
from resolvekit.domain.notifications import NotificationPolicy, Recipient
from resolvekit.localization import RecipientProfile
from resolvekit.plugins.recorder import RecordingNotifier, SentMessage
from resolvekit.plugins.translator import DictionaryTranslator
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ARABIC = "وصل الإبريق مكسورًا."
ENGLISH = "The kettle arrived broken."
MERCHANT = Actor.merchant("owner-1", store_id="store-1")
PLATFORM = Actor.platform("agent-1")


class Staff:
    """The host's profiles: the store's merchants read English, the platform Spanish."""

    @hookimpl
    def resolvekit_recipient_profile(self, recipient: Recipient) -> RecipientProfile | None:
        if recipient.role.value == "merchant":
            return RecipientProfile("en", "Europe/London")
        if recipient.role.value == "platform":
            return RecipientProfile("es", "Europe/Madrid")
        return None


class Raising:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def resolvekit_translate(self, text: str, source_locale: str, target_locale: str) -> str | None:
        self.calls += 1
        raise TimeoutError("translation service unreachable")


class Empty:
    @hookimpl
    def resolvekit_translate(self, text: str, source_locale: str, target_locale: str) -> str | None:
        return "   "


class Slow:
    """Blocks until released: a translator that does not answer in time."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    @hookimpl
    def resolvekit_translate(self, text: str, source_locale: str, target_locale: str) -> str | None:
        self.started.set()
        self.release.wait(30)
        return "too late"


def _world(*plugins: object, channels: tuple[str, ...] = ("email",), timeout: timedelta = timedelta(seconds=30)) -> tuple[ResolveKit, RecordingNotifier, str]:
    notifier = RecordingNotifier()
    policy = Policy(notifications=NotificationPolicy(channels=channels, translation_timeout=timeout))
    app = ResolveKit(storage="memory://", clock=ManualClock(T0), plugins=[notifier, Staff(), *plugins], policy=policy)
    customer = Customer("cust-1", "نورة", locale="ar_SA", time_zone="Asia/Riyadh")
    order = Order(
        id="ord-1", number="1001", store_id="store-1", customer_id=customer.id, status="delivered",
        created_at=T0 - timedelta(days=3), total_paid=Decimal("249.00"), currency="SAR",
        items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("249.00")),),
    )  # fmt: skip
    case_id = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description=ARABIC, declaration_accepted=True,
    ).case.id  # fmt: skip
    app.pass_review(PLATFORM, case_id)
    app.dispatch()
    notifier.sent.clear()
    return app, notifier, case_id


def _to(notifier: RecordingNotifier, role: str) -> list[SentMessage]:
    return [s for s in notifier.sent if s.notification.recipient.role.value == role and s.notification.event_kind == "message_added"]


def test_a_reply_reaches_a_reader_of_another_language_translated_with_the_original() -> None:
    translator = DictionaryTranslator({("ar", "en"): {ARABIC: ENGLISH}})
    app, notifier, case_id = _world(translator, channels=("email", "sms"))
    app.reply(Actor.customer("cust-1"), case_id, ARABIC)
    assert app.dispatch().failed == 0
    email, sms = sorted(_to(notifier, "merchant"), key=lambda s: s.notification.channel)
    assert email.message is not None and email.message.translation is not None
    assert email.message.translation.status == "translated" and email.message.translation.source_locale == "ar_SA"
    assert ENGLISH in email.body and ARABIC in email.body  # the translation, then the original
    assert email.body.index(ENGLISH) < email.body.index(ARABIC)
    assert sms.message is not None and ENGLISH in sms.text
    assert len(translator.calls) == 1  # the second channel reused the recorded translation
    message = app.get_case(MERCHANT, case_id).messages[-1]
    assert message.body == ARABIC and message.language is None
    assert message.translation("en") is not None and message.translation("en").text == ENGLISH  # type: ignore[union-attr]
    assert app.activity(PLATFORM, case_id)[-1].kind.value == "message_translated"


def test_the_customer_reads_the_merchants_reply_in_arabic() -> None:
    translator = DictionaryTranslator({("en", "ar"): {"We will send a new kettle.": "سنرسل لك إبريقًا جديدًا."}})
    app, notifier, case_id = _world(translator)
    app.reply(MERCHANT, case_id, "We will send a new kettle.")
    app.dispatch()
    (sent,) = _to(notifier, "customer")
    assert sent.locale == "ar_SA" and "سنرسل لك إبريقًا جديدًا." in sent.body and "We will send a new kettle." in sent.body
    assert translator.calls == [("We will send a new kettle.", "en", "ar_SA")]


def test_a_reply_with_a_stated_language_is_translated_from_it() -> None:
    translator = DictionaryTranslator({("pt", "ar"): {"Obrigado!": "شكرًا!"}})
    app, notifier, case_id = _world(translator)
    app.reply(MERCHANT, case_id, "Obrigado!", language="pt_BR")
    app.dispatch()
    (sent,) = _to(notifier, "customer")
    assert "شكرًا!" in sent.body and translator.calls == [("Obrigado!", "pt_BR", "ar_SA")]


def test_readers_of_the_same_language_get_no_translation() -> None:
    translator = DictionaryTranslator({("ar", "ar"): {"أهلًا": "?"}})
    app, notifier, case_id = _world(translator)
    app.reply(MERCHANT, case_id, "أهلًا", language="ar")  # an Arabic-speaking merchant writes to an ar_SA customer
    app.dispatch()
    (sent,) = _to(notifier, "customer")
    assert translator.calls == [] and sent.message is not None and sent.message.translation is None
    assert "أهلًا" in sent.body


@pytest.mark.parametrize(
    ("plugin", "status"),
    [(Raising(), "failed"), (Empty(), "empty"), (DictionaryTranslator({}), "unavailable"), (None, "unavailable")],
    ids=["raises", "empty", "cannot-translate-the-pair", "no-translator"],
)
def test_a_failing_translator_never_loses_the_original(plugin: object | None, status: str) -> None:
    app, notifier, case_id = _world(*([plugin] if plugin is not None else []))
    app.reply(Actor.customer("cust-1"), case_id, ARABIC)
    report = app.dispatch()
    assert report.failed == 0 and report.delivered >= 1
    (sent,) = _to(notifier, "merchant")
    assert sent.message is not None and sent.message.translation is not None
    assert sent.message.translation.status == status and not sent.message.translation.ok
    assert ARABIC in sent.body  # delivered as written
    marked = "could not be translated" in sent.body
    assert marked is (status != "unavailable")  # a translator that failed is said so; none at all is not news
    message = app.get_case(MERCHANT, case_id).messages[-1]
    assert message.body == ARABIC and message.translations == ()
    if isinstance(plugin, Raising):
        assert "unreachable" in (sent.message.translation.error or "")


def test_a_slow_translator_does_not_hold_the_original_back() -> None:
    slow = Slow()
    app, notifier, case_id = _world(slow, timeout=timedelta(milliseconds=50))
    try:
        app.reply(Actor.customer("cust-1"), case_id, ARABIC)
        report = app.dispatch()
        assert slow.started.is_set()
        assert report.failed == 0
        (sent,) = _to(notifier, "merchant")
        assert sent.message is not None and sent.message.translation is not None
        assert sent.message.translation.status == "timeout" and ARABIC in sent.body
    finally:
        slow.release.set()
    assert app.get_case(MERCHANT, case_id).messages[-1].translations == ()


def test_the_reference_translator_marks_what_it_does_not_know() -> None:
    translator = DictionaryTranslator({("en", "es"): {"Thank you.": "Gracias."}})
    assert translator.resolvekit_translate("Thank you. See you soon.", "en", "es") == "Gracias. [[See you soon.]]"
    assert translator.resolvekit_translate("Thank you.", "en_GB", "es_MX") == "Gracias."
    assert translator.resolvekit_translate("Thank you.", "en", "fr") is None
