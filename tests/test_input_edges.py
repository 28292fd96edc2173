"""Edge cases of input and notification routing found while reviewing the command path."""

from __future__ import annotations

import pytest

from resolvekit import Actor, Attachment, Customer, Order, Policy, ResolveKit, ValidationError
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock


def _open(app: ResolveKit, buyer: Actor, order: Order, customer: Customer) -> str:
    return app.open_complaint(
        buyer, order=order, customer=customer, reason="damaged_goods", description="Cracked lid.", declaration_accepted=True
    ).case.id


def test_a_single_status_string_filters_by_that_status(app: ResolveKit, buyer: Actor, order: Order, customer: Customer, platform: Actor) -> None:
    case_id = _open(app, buyer, order, customer)
    page = app.list_cases(platform, statuses="under_platform_review")
    assert [c.id for c in page.items] == [case_id]
    assert app.list_cases(platform, statuses="closed").items == ()


@pytest.mark.parametrize("reason", [["damaged_goods"], 3, None])
def test_a_reason_that_is_not_text_is_a_validation_error(app: ResolveKit, buyer: Actor, order: Order, customer: Customer, reason: object) -> None:
    with pytest.raises(ValidationError):
        app.open_complaint(buyer, order=order, customer=customer, reason=reason, description="x", declaration_accepted=True)  # type: ignore[arg-type]
    assert app.list_cases(Actor.platform("p")).items == ()


@pytest.mark.parametrize("size", ["10", True, 1.5])
def test_an_attachment_size_must_be_a_whole_number(size: object) -> None:
    with pytest.raises(ValidationError):
        Attachment("photo.png", "image/png", size, "ref-1")  # type: ignore[arg-type]


def test_without_platform_review_the_platform_is_not_told_a_review_awaits(clock: ManualClock, buyer: Actor, order: Order, customer: Customer) -> None:
    notifier = RecordingNotifier()
    app = ResolveKit(storage="memory://", clock=clock, plugins=[notifier], policy=Policy(complaint_platform_review=False))
    case_id = _open(app, buyer, order, customer)
    entries = app.storage.outbox(case_id)
    assert {(e.notification.event_kind, e.notification.recipient.role.value) for e in entries} >= {
        ("review_passed", "merchant")
    }
    assert not [e for e in entries if e.notification.event_kind == "complaint_opened" and e.notification.recipient.role.value == "platform"]


def test_closing_tells_the_other_side_but_not_the_closer(clock: ManualClock, buyer: Actor, merchant: Actor, order: Order, customer: Customer, platform: Actor) -> None:
    app = ResolveKit(storage="memory://", clock=clock, policy=Policy(complaint_closers={"customer", "merchant"}))
    case_id = _open(app, buyer, order, customer)
    app.pass_review(platform, case_id)
    app.close(merchant, case_id)
    closed = [e.notification.recipient.role.value for e in app.storage.outbox(case_id) if e.notification.event_kind == "case_closed"]
    assert closed == ["customer"]
