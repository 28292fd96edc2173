"""Speaking the reader's language: locale chains, a host's catalogs, dates and money per locale,
recipient profiles, channels, "no response needed" replies and the 30-day rule for proactive messages."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvekit import Actor, Customer, Order, OrderItem, Policy, ResolveKit, hookimpl
from resolvekit._formats import formats
from resolvekit._i18n import locale_chain
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.notifications import Notification, NotificationPolicy, Recipient, notifications_for
from resolvekit.errors import ConfigurationError, InvalidTransition, ValidationError
from resolvekit.localization import Localizer, RecipientProfile, fit_sms, same_language
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
RLM = "\u200f"


def _order(customer: Customer, **changes: Any) -> Order:
    values: dict[str, Any] = dict(
        id="ord-1", number="1001", store_id="store-1", customer_id=customer.id, status="delivered",
        created_at=T0 - timedelta(days=3), total_paid=Decimal("1249.50"), currency="SAR",
        items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("1249.50")),),
    )  # fmt: skip
    values.update(changes)
    return Order(**values)


class Profiles:
    """A host plugin giving every recipient the same profile."""

    def __init__(self, profile: RecipientProfile) -> None:
        self.profile = profile

    @hookimpl
    def resolvekit_recipient_profile(self, recipient: Recipient) -> RecipientProfile:
        return self.profile


def _app(*plugins: object, policy: Policy | None = None) -> tuple[ResolveKit, RecordingNotifier, ManualClock]:
    clock = ManualClock(T0)
    notifier = RecordingNotifier()
    return ResolveKit(storage="memory://", clock=clock, plugins=[notifier, *plugins], policy=policy), notifier, clock


# -- the locale chain ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "chain"),
    [
        ("es_MX", ("es_MX", "es_419", "es", "en")),
        ("es-mx", ("es_MX", "es_419", "es", "en")),
        ("pt_PT", ("pt_PT", "pt", "pt_BR", "en")),
        ("pt-BR", ("pt_BR", "pt", "en")),
        ("ar_SA", ("ar_SA", "ar", "en")),
        ("ar", ("ar", "en")),
        ("en_GB", ("en_GB", "en_001", "en")),
        ("", ("en",)),
        ("12", ("en",)),
        ("C", ("en",)),
    ],
)
def test_locale_chains_follow_babel_and_end_in_english(locale: str, chain: tuple[str, ...]) -> None:
    assert locale_chain(locale) == chain


def test_an_unknown_locale_reads_english_and_a_regional_one_its_language() -> None:
    localizer = Localizer()
    assert localizer.catalog_locale("xx") == "en" and localizer.catalog_locale("pt_PT") == "pt_BR"
    assert localizer.catalog_locale("es_MX") == "es" and localizer.catalog_locale("ar_EG") == "ar"
    message = "Complaint {case_id} received"
    assert localizer.render(message, {"case_id": "C-1"}, "xx") == "Complaint C-1 received"
    assert localizer.render(message, {"case_id": "C-1"}, "es_MX") == localizer.render(message, {"case_id": "C-1"}, "es") != (
        "Complaint C-1 received"
    )
    assert localizer.render(message, {"case_id": "C-1"}, "pt_PT") == localizer.render(message, {"case_id": "C-1"}, "pt_BR")


# -- a host's catalogs ------------------------------------------------------------------------------------


class Catalogs:
    def __init__(self, catalogs: dict[str, object]) -> None:
        self.catalogs = catalogs
        self.asked: list[str] = []

    @hookimpl
    def resolvekit_catalog(self, locale: str) -> object:
        self.asked.append(locale)
        return self.catalogs.get(locale)


def test_a_host_adds_a_locale_and_overrides_strings_for_its_own_application_only() -> None:
    french = gettext.GNUTranslations.__new__(gettext.GNUTranslations)
    french._catalog = {"Complaint {case_id} received": "Réclamation {case_id} reçue"}  # type: ignore[attr-defined]
    french._fallback = None  # type: ignore[attr-defined]
    host = Catalogs({"fr": french, "ar": {"Complaint {case_id} received": "وصلتنا شكواك رقم {case_id}"}})
    app, _, _ = _app(host)
    other, _, _ = _app()
    message, params = "Complaint {case_id} received", {"case_id": "C-7"}
    assert app.localizer.render(message, params, "fr_CA") == "Réclamation C-7 reçue"
    assert app.localizer.render(message, params, "ar_SA") == "وصلتنا شكواك رقم C-7"
    assert other.localizer.render(message, params, "fr_CA") == "Complaint C-7 received"  # not another app's catalog
    assert other.localizer.render(message, params, "ar_SA") != "وصلتنا شكواك رقم C-7"
    assert app.localizer.render("Ticket {case_id} received", params, "fr") == "Ticket C-7 received"  # falls back
    assert host.asked.count("fr") == 1  # asked once per locale, then kept


def test_a_catalog_object_with_its_own_lookup_is_asked_message_by_message() -> None:
    class Shouting(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return message.replace("Complaint", "COMPLAINT")

    app, _, _ = _app(Catalogs({"en": Shouting()}))
    assert app.localizer.render("Complaint {case_id} received", {"case_id": "c-1"}, "en") == "COMPLAINT c-1 received"
    assert app.localizer.render("Ticket {case_id} received", {"case_id": "c-1"}, "en") == "Ticket c-1 received"


def test_a_broken_override_falls_back_to_english_instead_of_failing() -> None:
    app, _, _ = _app(Catalogs({"es": {"Complaint {case_id} received": "Reclamación {caso} recibida"}}))
    assert app.localizer.render("Complaint {case_id} received", {"case_id": "C-1"}, "es") == "Complaint C-1 received"


def test_a_catalog_hook_returning_nonsense_is_a_configuration_error() -> None:
    app, _, _ = _app(Catalogs({"de": 42}))
    with pytest.raises(ConfigurationError, match="resolvekit_catalog"):
        app.localizer.render("Complaint {case_id} received", {"case_id": "C-1"}, "de")


# -- money, dates and digits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "money", "moment", "day"),
    [
        ("en", "SAR1,249.50", "Nov 2, 2026, 12:00\u202fPM", "Nov 2, 2026"),
        ("es", "1.249,50\xa0SAR", "2 nov 2026, 12:00", "2 nov 2026"),
        ("pt_BR", "SAR\xa01.249,50", "2 de nov. de 2026 12:00", "2 de nov. de 2026"),
        ("ar", f"{RLM}1,249.50\xa0ر.س.{RLM}", f"02{RLM}/11{RLM}/2026، 12:00 م", f"02{RLM}/11{RLM}/2026"),
        ("ar_SA", f"{RLM}١٬٢٤٩٫٥٠\xa0ر.س.{RLM}", f"٠٢{RLM}/١١{RLM}/٢٠٢٦، ١٢:٠٠ م", f"٠٢{RLM}/١١{RLM}/٢٠٢٦"),
    ],
)
def test_money_and_dates_are_formatted_for_each_locale(locale: str, money: str, moment: str, day: str) -> None:
    localizer = Localizer()
    assert localizer.format_money(Decimal("1249.50"), "SAR", locale) == money
    assert localizer.format_datetime(T0, locale, "Asia/Riyadh") == moment  # 09:00 UTC is noon in Riyadh
    assert localizer.format_date(date(2026, 11, 2), locale) == day


def test_arabic_digits_where_the_locale_wants_them() -> None:
    localizer = Localizer()
    assert set(localizer.format_number(1234567, "ar_EG")) <= set(ARABIC_DIGITS + "٬")
    assert localizer.format_number(1234567, "ar") == "1,234,567"  # CLDR: Latin digits for plain Arabic
    assert localizer.format_number(48, "ar_SA") == "٤٨" and localizer.direction("ar_SA") == "rtl"
    assert localizer.direction("pt_BR") == "ltr"


LOCALES = ["en", "es", "pt_BR", "ar", "ar_SA", "es_MX", "pt_PT", "de", "ja", "fa", "hi_IN"]
CURRENCIES = ["SAR", "USD", "BRL", "EUR", "JPY", "KWD"]


@settings(max_examples=60, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    cents=st.integers(min_value=0, max_value=10**12),
)
def test_compiled_money_formats_equal_babel(locale: str, currency: str, cents: int) -> None:
    fmt = formats(locale)
    amount = (Decimal(cents) / 1000).quantize(Decimal(1).scaleb(-get_currency_precision(currency)))
    expected = fmt.digits_of(format_currency(amount, currency, locale=locale, numbering_system="default"))
    assert fmt.money(amount, currency) == expected


@settings(max_examples=60, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    zone=st.sampled_from(["UTC", "Asia/Riyadh", "America/Sao_Paulo", "Europe/Madrid", "America/New_York"]),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_compiled_date_formats_equal_babel(locale: str, zone: str, moment: datetime) -> None:
    fmt = formats(locale)
    local = moment.astimezone(ZoneInfo(zone))
    date_part = format_date(local, "medium", locale=locale)
    time_part = format_time(local, "short", locale=locale)
    combined = str(get_datetime_format("medium", locale=locale)).replace("{1}", date_part).replace("{0}", time_part)
    assert fmt.moment(moment, zone) == fmt.digits_of(combined)
    assert fmt.calendar_date(local.date()) == fmt.digits_of(format_date(local.date(), "medium", locale=locale))


# -- recipient profiles -------------------------------------------------------------------------------------


def test_a_profile_checks_its_time_zone_and_normalises_its_locale() -> None:
    assert RecipientProfile("pt-br").locale == "pt_BR"
    with pytest.raises(ValidationError, match="IANA time zone"):
        RecipientProfile("ar", "Mars/Olympus")
    with pytest.raises(ValidationError):
        RecipientProfile("")


def test_customers_read_their_own_language_and_the_hook_decides_for_everyone_else() -> None:
    app, notifier, _ = _app()
    customer = Customer("cust-1", "Noura", locale="ar_SA", time_zone="Asia/Riyadh")
    app.open_complaint(
        Actor.customer(customer.id), order=_order(customer), customer=customer, reason="damaged_goods",
        description="The lid is cracked.", declaration_accepted=True,
    )  # fmt: skip
    app.dispatch()
    by_role = {s.notification.recipient.role.value: s for s in notifier.sent}
    assert by_role["customer"].locale == "ar_SA" and by_role["customer"].message is not None
    assert by_role["customer"].message.direction == "rtl" and by_role["customer"].subject != "Complaint C received"
    assert by_role["platform"].locale == "en"
    hosted, notifier2, _ = _app(Profiles(RecipientProfile("es", "Europe/Madrid")))
    hosted.open_complaint(
        Actor.customer(customer.id), order=_order(customer), customer=customer, reason="damaged_goods",
        description="The lid is cracked.", declaration_accepted=True,
    )  # fmt: skip
    hosted.dispatch()
    assert {s.locale for s in notifier2.sent} == {"es"}


def test_status_and_kind_labels_in_notifications_are_translated() -> None:
    localizer = Localizer()
    params = {"kind_label": {"$": "label", "id": "Complaint"}, "case_id": "C-1", "order_number": "1001", "status": {"$": "status", "id": "waiting_for_merchant_response"}}
    english = localizer.render("{kind_label} {case_id} was closed", params, "en")
    spanish = localizer.render("{kind_label} {case_id} was closed", params, "es")
    assert english == "Complaint C-1 was closed" and "Complaint" not in spanish and "C-1" in spanish
    assert localizer.status_label("waiting_for_merchant_response", "es") != "Waiting for the merchant's response"
    assert localizer.status_label("a_host_status", "es") == "a_host_status"


def test_errors_render_in_the_readers_language_and_str_stays_english() -> None:
    error = InvalidTransition(action="reply as the customer", kind="complaint", status="closed")
    app, _, _ = _app(Catalogs({"es": {"Closed": "CERRADO"}}))
    assert str(error) == "Cannot reply as the customer while the complaint is in status 'closed'."
    spanish = app.render_error(error, "es")
    assert "CERRADO" in spanish and "Cannot" not in spanish
    assert error.render("es") != str(error) and "closed" not in error.render("ar")


# -- channels, SMS and chat ---------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(text=st.text(min_size=0, max_size=600), segments=st.integers(min_value=1, max_value=4))
def test_sms_texts_fit_their_segments(text: str, segments: int) -> None:
    from resolvekit.localization import _sms_size

    fitted, cut = fit_sms(text, segments)
    size, gsm = _sms_size(fitted)
    limit = (160 if gsm else 70) if segments == 1 else (153 if gsm else 67) * segments
    assert size <= limit
    assert cut == (fitted != text)
    if not cut:
        assert fitted == text
    else:
        assert fitted.endswith(("...", "…"))


def test_each_channel_gets_its_own_notification_and_rendering() -> None:
    policy = Policy(notifications=NotificationPolicy(channels=("email", "sms", "whatsapp"), sms_segments=1))
    app, notifier, _ = _app(policy=policy)
    customer = Customer("cust-1", "نورة", locale="ar", time_zone="Asia/Riyadh")
    app.open_complaint(
        Actor.customer(customer.id), order=_order(customer), customer=customer, reason="damaged_goods",
        description="The lid is cracked.", declaration_accepted=True,
    )  # fmt: skip
    entries = app.storage.outbox(app.list_cases(Actor.platform("p")).items[0].id)
    keys = [e.notification.key for e in entries]
    assert len(keys) == len(set(keys)) == 6  # (customer, platform) x (email, sms, whatsapp)
    app.dispatch()
    sent = {(s.notification.recipient.role.value, s.notification.channel): s for s in notifier.sent}
    email, sms, chat = sent[("customer", "email")], sent[("customer", "sms")], sent[("customer", "whatsapp")]
    assert email.text == email.body
    assert sms.message is not None and sms.message.truncated and len(sms.text) <= 70 and sms.text.endswith("…")
    assert chat.text.startswith(chat.subject + "\n")


def test_a_recipient_who_does_not_use_a_channel_is_skipped() -> None:
    policy = Policy(notifications=NotificationPolicy(channels=("email", "sms")))
    app, notifier, _ = _app(Profiles(RecipientProfile("en", channels={"email"})), policy=policy)
    customer = Customer("cust-1", "Noura")
    app.open_complaint(
        Actor.customer(customer.id), order=_order(customer), customer=customer, reason="damaged_goods",
        description="The lid is cracked.", declaration_accepted=True,
    )  # fmt: skip
    report = app.dispatch()
    assert report.failed == 0 and {s.notification.channel for s in notifier.sent} == {"email"}


# -- "no response needed" and proactive messages ------------------------------------------------------------


def test_a_reply_marked_no_response_needed_is_kept_but_notifies_nobody() -> None:
    app, notifier, _ = _app()
    customer = Customer("cust-1", "Noura")
    case_id = app.open_complaint(
        Actor.customer(customer.id), order=_order(customer), customer=customer, reason="damaged_goods",
        description="The lid is cracked.", declaration_accepted=True,
    ).case.id  # fmt: skip
    app.pass_review(Actor.platform("p"), case_id)
    before = len(app.storage.outbox(case_id))
    result = app.reply(Actor.merchant("m", store_id="store-1"), case_id, "For your records: shipped today.", no_response_needed=True)
    assert result.case.messages[-1].no_response_needed and len(app.storage.outbox(case_id)) == before
    app.reply(Actor.merchant("m", store_id="store-1"), case_id, "Could you send a photo?")
    assert len(app.storage.outbox(case_id)) == before + 1


@pytest.mark.parametrize(
    ("completed_days_ago", "sent"), [(None, True), (10, True), (30, True), (31, False)]
)
def test_proactive_messages_go_out_only_within_30_days_of_order_completion(completed_days_ago: int | None, sent: bool) -> None:
    app, _, clock = _app()
    customer = Customer("cust-1", "Noura")
    completed = None if completed_days_ago is None else T0 - timedelta(days=completed_days_ago)
    case = app.open_complaint(
        Actor.customer(customer.id), order=_order(customer, completed_at=completed), customer=customer,
        reason="damaged_goods", description="The lid is cracked.", declaration_accepted=True,
    ).case  # fmt: skip
    assert case.order_completed_at == completed
    policy = NotificationPolicy()
    for kind, payload in (
        (EventKind.OFFER_EXPIRED, {"offer_id": "O-1", "offer_status": "expired"}),
        (EventKind.AUTO_CLOSE_WARNED, {"closes_at": (T0 + timedelta(days=2)).isoformat()}),
    ):
        event = CaseEvent(case.id, case.version + 1, kind, Actor.system(), T0, payload)
        customers = [n for n in notifications_for(case, [event], policy=policy) if n.recipient.role.value == "customer"]
        assert bool(customers) is sent
    reply = CaseEvent(case.id, case.version + 1, EventKind.MESSAGE_ADDED, Actor.merchant("m", store_id="store-1"), T0, {"message_id": "x", "body": "hi"})
    assert notifications_for(case, [reply], policy=policy)  # answers are never proactive


def test_notification_round_trips_with_its_localized_values_and_preferences() -> None:
    n = Notification(
        key="k", case_id="C-1", event_version=1, event_kind="complaint_opened",
        recipient=Recipient("customer", "c-1", locale="ar_SA", time_zone="Asia/Riyadh"), channel="sms",
        subject="Complaint {case_id} received", body="{total}", params={"case_id": "C-1", "total": {"$": "money", "amount": "12.50", "currency": "SAR"}},
        translatable={"param": "body", "message_id": None, "language": "ar", "author": {"role": "customer", "id": "c-1"}},
    )  # fmt: skip
    again = Notification.from_dict(n.to_dict())
    assert again == n and again.recipient.locale == "ar_SA" and again.recipient.time_zone == "Asia/Riyadh"
    assert n.render("en") == ("Complaint C-1 received", "SAR12.50")


def test_same_language_ignores_the_region() -> None:
    assert same_language("pt_BR", "pt-PT") and same_language("ar", "ar_SA") and not same_language("es", "en")
