"""Every notification of one complaint's whole lifecycle, rendered in each shipped language, compared
with reviewed text files under ``tests/snapshots/`` (one per locale, for a person to read).

After a deliberate change of wording or formatting, regenerate them and review the diff::

    RESOLVEKIT_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_notification_snapshots.py
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from resolvekit import Actor, Customer, Money, Order, OrderItem, Policy, ResolveKit, hookimpl
from resolvekit.domain.notifications import NotificationPolicy, Recipient
from resolvekit.domain.offers import ExecutionRequest
from resolvekit.domain.sla import SlaPolicy
from resolvekit.localization import RecipientProfile
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.plugins.translator import DictionaryTranslator
from resolvekit.testing import ManualClock

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("RESOLVEKIT_UPDATE_SNAPSHOTS") == "1"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

READERS = {
    "en": ("America/New_York", "Noura Al-Harbi"),
    "ar": ("Asia/Riyadh", "نورة الحربي"),
    "ar_SA": ("Asia/Riyadh", "نورة الحربي"),
    "es": ("Europe/Madrid", "Lucía Fernández"),
    "pt_BR": ("America/Sao_Paulo", "João Silva"),
}
"""Snapshot locale -> (time zone, customer name). ``ar_SA`` shows Saudi formatting (Arabic-Indic digits)."""

CUSTOMER_TEXT = {
    "en": ("The lid of the kettle arrived cracked.", "A refund of 50 is too little.", "Please hurry, I use it every day."),
    "ar": ("وصل غطاء الإبريق مكسورًا.", "استرداد ٥٠ ريالًا مبلغ قليل جدًا.", "أرجو الإسراع، فأنا أستخدمه كل يوم."),
    "es": ("La tapa de la tetera llegó rota.", "Un reembolso de 50 es muy poco.", "Por favor, dense prisa, la uso todos los días."),
    "pt": ("A tampa da chaleira chegou rachada.", "Um reembolso de 50 é muito pouco.", "Por favor, sejam rápidos, eu uso todo dia."),
}
MERCHANT_TEXT = {
    "We are sorry. Could you send a photo of the lid?": {
        "ar": "نأسف لذلك. هل يمكنك إرسال صورة للغطاء؟",
        "es": "Lo sentimos. ¿Podría enviarnos una foto de la tapa?",
        "pt": "Sentimos muito. Você poderia enviar uma foto da tampa?",
    },
    "You keep the kettle.": {"ar": "احتفظ بالإبريق.", "es": "Quédese con la tetera.", "pt": "Pode ficar com a chaleira."},
    "The platform team is looking into it.": {
        "ar": "فريق المنصة يتابع الأمر.",
        "es": "El equipo de la plataforma lo está revisando.",
        "pt": "A equipe da plataforma está verificando.",
    },
}


class Gateway:
    @hookimpl
    def resolvekit_refund(self, request: ExecutionRequest) -> str:
        return "pay-0001"


class Everyone:
    """Every reader of this snapshot (customer, store, platform team) uses its locale and time zone."""

    def __init__(self, locale: str, zone: str) -> None:
        self.profile = RecipientProfile(locale, zone, channels=None)

    @hookimpl
    def resolvekit_recipient_profile(self, recipient: Recipient) -> RecipientProfile:
        return self.profile


def _translator() -> DictionaryTranslator:
    phrases: dict[tuple[str, str], dict[str, str]] = {}
    for english, translations in MERCHANT_TEXT.items():
        for language, text in translations.items():
            phrases.setdefault(("en", language), {})[english] = text
    return DictionaryTranslator(phrases)


def lifecycle(locale: str) -> str:
    """Run one complaint from opening to the executed refund and render what every reader received."""
    zone, name = READERS[locale]
    language = locale.split("_")[0]
    said = CUSTOMER_TEXT[language]
    clock = ManualClock(T0)
    notifier = RecordingNotifier()
    policy = Policy(
        notifications=NotificationPolicy(channels=("email", "sms"), translation_timeout=timedelta(seconds=30)),
        sla=SlaPolicy(auto_close_after=timedelta(days=3), auto_close_warning=timedelta(days=1)),
    )
    rk = ResolveKit(
        storage="memory://", clock=clock, policy=policy, id_factory=lambda kind: "C-1001",
        plugins=[notifier, Gateway(), Everyone(locale, zone), _translator()],
    )  # fmt: skip
    customer = Customer("cust-1", name, locale=locale, time_zone=zone)
    order = Order(
        id="ord-1", number="1001", store_id="store-7", customer_id=customer.id, status="delivered",
        created_at=T0 - timedelta(days=5), total_paid=Decimal("1249.50"), currency="SAR",
        items=(OrderItem("kettle-1", "Glass kettle", 1, Decimal("1249.50")),), completed_at=T0 - timedelta(days=2),
    )  # fmt: skip
    buyer, merchant, platform = Actor.customer(customer.id), Actor.merchant("owner-1", store_id="store-7"), Actor.platform("agent-5")

    def at(hours: float) -> None:
        clock.set(T0 + timedelta(hours=hours))

    case_id = rk.open_complaint(
        buyer, order=order, customer=customer, reason="damaged_goods", description=said[0], declaration_accepted=True
    ).case.id
    at(1)
    rk.pass_review(platform, case_id, note="Photos attached.")
    for hours in (22, 26):  # the first-response warning, then the missed deadline
        at(hours)
        rk.sweep()
    at(27)
    rk.reply(merchant, case_id, "We are sorry. Could you send a photo of the lid?", language="en")
    at(28)
    kept = MERCHANT_TEXT["You keep the kettle."].get(language, "You keep the kettle.")  # written in the reader's language
    first = rk.propose_offer(merchant, case_id, "partial_refund", amount=Money("50", "SAR"), text=kept)
    at(28 + 49)  # the customer has not answered for two days: warned before the automatic close
    rk.sweep()
    at(78)
    rk.reject_offer(buyer, case_id, first.events[-1].payload["offer_id"], said[1])
    at(79)
    rk.reply(buyer, case_id, said[2])
    at(80)
    rk.escalate(buyer, case_id)
    at(81)
    rk.reply(platform, case_id, "The platform team is looking into it.", language="en")
    at(82)
    second = rk.propose_offer(merchant, case_id, "full_refund")
    at(83)
    rk.accept_offer(buyer, case_id, second.events[-1].payload["offer_id"], confirmed=True)
    rk.execute_pending()
    rk.dispatch(limit=1000)
    lines = [
        f"# Notifications of one complaint, rendered for {locale} readers in {zone}.",
        "# Regenerate: RESOLVEKIT_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_notification_snapshots.py",
        "",
    ]
    for number, sent in enumerate(notifier.sent, 1):
        n, message = sent.notification, sent.message
        assert message is not None
        lines.append(f"## {number}. {n.event_kind} -> {n.recipient.role.value} [{n.channel}] {message.direction}")
        if n.channel == "sms":
            lines.append(f"SMS{' (cut to fit)' if message.truncated else ''}: {message.text}")
        else:
            lines.append(f"Subject: {message.subject}")
            lines.extend(message.body.splitlines())
        if message.translation is not None:
            lines.append(f"[translation: {message.translation.status} {message.translation.source_locale} -> {message.translation.target_locale}]")
        lines.append("")
    return "\n".join(lines)


@pytest.mark.parametrize("locale", sorted(READERS))
def test_a_complaints_notifications_read_as_reviewed(locale: str) -> None:
    text = lifecycle(locale)
    path = SNAPSHOTS / f"notifications_{locale}.txt"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{path.name} did not exist; it was written now: review and commit it")
    assert text == path.read_text(encoding="utf-8"), (
        f"the notifications differ from {path.relative_to(Path(__file__).parent.parent)}; if the change is intended, "
        "regenerate with RESOLVEKIT_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_the_snapshots_speak_their_language() -> None:
    """A sanity check on the snapshot texts themselves: a catalog that fell back to English shows."""
    for locale in ("ar", "es", "pt_BR"):
        text = (SNAPSHOTS / f"notifications_{locale}.txt").read_text(encoding="utf-8")
        subjects = [line for line in text.splitlines() if line.startswith("Subject: ")]
        assert subjects and not any(s.startswith(("Subject: Complaint", "Subject: New reply", "Subject: Offer")) for s in subjects)
    arabic = (SNAPSHOTS / "notifications_ar_SA.txt").read_text(encoding="utf-8")
    assert "١٬٢٤٩٫٥٠" in arabic or "٥٠٫٠٠" in arabic  # Saudi digits in amounts
    assert "\u200f" in arabic  # right-to-left marks where babel writes them
