"""Canned responses per store and locale: checked when saved (never when sent), permission-checked,
sent in the customer's language with amounts and deadlines formatted for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from resolvekit import Actor, CannedResponse, Customer, Money, Order, OrderItem, ResolveKit
from resolvekit.communication import TemplateNotFound
from resolvekit.domain.templates import check_template
from resolvekit.errors import ConfigurationError, PermissionDenied, ValidationError
from resolvekit.plugins.memory import MemoryStorage
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STORE = "store-1"
MERCHANT = Actor.merchant("owner-1", store_id=STORE)
OTHER_MERCHANT = Actor.merchant("owner-2", store_id="store-2")
PLATFORM = Actor.platform("agent-1")
EN_BODY = "Hello {customer_name}, we refund {offer_amount} for order {order_number}; please answer by {offer_expires_at}."
AR_BODY = "مرحبًا {customer_name}، نعيد لك {offer_amount} عن الطلب {order_number}؛ يرجى الرد قبل {offer_expires_at}."


@pytest.fixture
def app() -> ResolveKit:
    return ResolveKit(storage="memory://", clock=ManualClock(T0), plugins=[RecordingNotifier()])


def _complaint(app: ResolveKit, locale: str = "ar_SA") -> str:
    customer = Customer("cust-1", "نورة", locale=locale, time_zone="Asia/Riyadh")
    order = Order(
        id="ord-1", number="1001", store_id=STORE, customer_id=customer.id, status="delivered",
        created_at=T0 - timedelta(days=3), total_paid=Decimal("249.00"), currency="SAR",
        items=(OrderItem("sku-1", "Glass kettle", 1, Decimal("249.00")),),
    )  # fmt: skip
    case_id = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description="Cracked lid.", declaration_accepted=True,
    ).case.id  # fmt: skip
    app.pass_review(PLATFORM, case_id)
    return case_id


def test_templates_are_saved_per_store_and_locale_by_the_stores_merchants(app: ResolveKit) -> None:
    en = app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="en", title="Refund", body=EN_BODY)
    ar = app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="ar", title="استرداد", body=AR_BODY)
    assert (en.store_id, en.locale, ar.locale) == (STORE, "en", "ar")
    assert app.templates(MERCHANT, STORE) == [ar, en] and app.templates(PLATFORM, STORE, locale="ar") == [ar]
    for actor in (OTHER_MERCHANT, Actor.customer("cust-1")):
        with pytest.raises(PermissionDenied):
            app.templates(actor, STORE)
        with pytest.raises(PermissionDenied):
            app.save_template(actor, store_id=STORE, template_id="x", locale="en", title="X", body="Hi {customer_name}")
    assert app.delete_template(MERCHANT, STORE, "refund", locale="en") == 1
    assert app.templates(MERCHANT, STORE) == [ar]
    assert app.delete_template(PLATFORM, STORE, "refund") == 1 and app.templates(MERCHANT, STORE) == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("Hello {name}", "Unknown placeholder"),
        ("Hello {customer_name}, your {refund}", "refund"),
        ("Hello {customer_name", "malformed"),
        ("Hello {0}", "Unknown placeholder"),
        ("Your order {order_number} ships today.", "personalised"),
        ("   ", "body"),
    ],
)
def test_bad_templates_are_refused_when_saved_and_nothing_is_stored(app: ResolveKit, body: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        app.save_template(MERCHANT, store_id=STORE, template_id="t", locale="en", title="T", body=body)
    assert app.templates(MERCHANT, STORE) == []


def test_every_language_version_carries_the_same_details(app: ResolveKit) -> None:
    app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="en", title="Refund", body=EN_BODY)
    with pytest.raises(ValidationError, match=r"missing \{offer_expires_at\}, \{order_number\}"):
        app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="es", title="Reembolso",
                          body="Hola {customer_name}, reembolsamos {offer_amount}.")  # fmt: skip
    with pytest.raises(ValidationError, match=r"extra \{deadline\}"):
        app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="es", title="Reembolso",
                          body=EN_BODY + " {deadline}")  # fmt: skip
    app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="en", title="Refund", body=EN_BODY + " Thanks!")
    assert [t.locale for t in app.templates(MERCHANT, STORE)] == ["en"]  # replacing a version is not a conflict


def test_check_template_alone() -> None:
    en = CannedResponse("t", "T", "Hi {customer_name} {order_number}", store_id=STORE, locale="en")
    check_template(en, [CannedResponse("t", "T", "Olá {customer_name} {order_number}", store_id=STORE, locale="pt_BR")])
    check_template(en, [CannedResponse("other", "T", "Olá {customer_name}", store_id=STORE, locale="pt_BR")])


def test_a_template_reply_is_personalised_in_the_customers_language(app: ResolveKit) -> None:
    case_id = _complaint(app)
    offer = app.propose_offer(MERCHANT, case_id, "partial_refund", amount=Money("50", "SAR"), text="Sorry!")
    assert offer.case.offers  # type: ignore[attr-defined]
    app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="en", title="Refund", body=EN_BODY)
    app.save_template(MERCHANT, store_id=STORE, template_id="refund", locale="ar", title="استرداد", body=AR_BODY)
    reply = app.reply_with_template(MERCHANT, case_id, "refund").case.messages[-1]
    assert reply.template == "refund" and reply.language == "ar"
    assert reply.body.startswith("مرحبًا نورة، نعيد لك \u200f٥٠٫٠٠\xa0ر.س.\u200f عن الطلب 1001")
    assert "٢٠٢٦" in reply.body  # the offer's expiry, in the customer's digits and time zone
    english = app.reply_with_template(MERCHANT, case_id, "refund", locale="en").case.messages[-1]
    assert english.body.startswith("Hello نورة, we refund SAR50.00 for order 1001; please answer by ")


def test_a_customer_without_a_version_in_their_language_gets_english(app: ResolveKit) -> None:
    case_id = _complaint(app, locale="es_MX")
    app.save_template(MERCHANT, store_id=STORE, template_id="hello", locale="en", title="Hello", body="Hello {customer_name}.")
    app.save_template(MERCHANT, store_id=STORE, template_id="hello", locale="ar", title="مرحبًا", body="مرحبًا {customer_name}.")
    assert app.reply_with_template(MERCHANT, case_id, "hello").case.messages[-1].body == "Hello نورة."
    with pytest.raises(TemplateNotFound):
        app.reply_with_template(MERCHANT, case_id, "missing")
    with pytest.raises(PermissionDenied):
        app.reply_with_template(Actor.customer("cust-1"), case_id, "hello")


def test_a_template_for_another_store_is_not_found(app: ResolveKit) -> None:
    case_id = _complaint(app)
    app.save_template(OTHER_MERCHANT, store_id="store-2", template_id="hello", locale="ar", title="T", body="أهلًا {customer_name}")
    with pytest.raises(TemplateNotFound):
        app.reply_with_template(MERCHANT, case_id, "hello")


def test_a_backend_without_templates_says_so() -> None:
    class Plain(MemoryStorage):
        save_template = templates = delete_template = None  # type: ignore[assignment]

    app = ResolveKit(storage=Plain(), clock=ManualClock(T0), plugins=[RecordingNotifier()])
    with pytest.raises((ConfigurationError, TypeError)):
        app.templates(MERCHANT, STORE)
