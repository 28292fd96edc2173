"""The fast paths of notifications_for: what they keep (plans, recipients, shared labels) stays right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from resolvekit import Actor
from resolvekit.domain import labels
from resolvekit.domain import notifications as n
from resolvekit.domain.actors import Role
from resolvekit.domain.cases import Complaint, Ticket
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.notifications import NotificationPolicy, notifications_for

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CUSTOMER, MERCHANT = Actor.customer("cust-1"), Actor.merchant("u-1", store_id="store-1")


def _complaint(**changes: Any) -> Complaint:
    case = Complaint(
        id="C-1", store_id="store-1", customer_id="cust-1", order_id="o-1", status="waiting_for_merchant_response",
        version=3, opened_at=T0, updated_at=T0, description="Cracked lid.", customer_name="Noura", order_number="1001",
        customer_locale="ar", customer_time_zone="Asia/Riyadh",
    )  # fmt: skip
    return attrs.evolve(case, **changes)


def _event(kind: EventKind, actor: Actor, version: int = 4, **payload: object) -> CaseEvent:
    return CaseEvent("C-1", version, kind, actor, T0, payload)


def test_recipients_follow_the_preferences_of_each_case() -> None:
    reply = _event(EventKind.MESSAGE_ADDED, MERCHANT, message_id="m-1", body="Hello")
    first = notifications_for(_complaint(), [reply])[0].recipient
    second = notifications_for(_complaint(customer_locale="fr", customer_time_zone=None), [reply])[0].recipient
    assert (first.locale, first.time_zone) == ("ar", "Asia/Riyadh")
    assert (second.locale, second.time_zone) == ("fr", None)
    assert type(first.role) is Role and first.role is Role.CUSTOMER


def test_each_event_has_its_own_parameters_and_the_labels_are_the_localized_values() -> None:
    events = [
        _event(EventKind.MESSAGE_ADDED, CUSTOMER, 4, message_id="m-1", body="One"),
        _event(EventKind.MESSAGE_ADDED, MERCHANT, 5, message_id="m-2", body="Two"),
    ]
    first, second = notifications_for(_complaint(), events, policy=NotificationPolicy(channels=("email", "sms")))[::2]
    assert first.params is not second.params and (first.params["body"], second.params["body"]) == ("One", "Two")
    assert first.params["kind_label"] == labels.label(labels.KIND_LABELS["complaint"])
    assert first.params["status"] == labels.status("waiting_for_merchant_response")
    assert (first.params["author_label"], second.params["author_label"]) == ("", labels.label("The merchant"))
    assert second.translatable == {"param": "body", "message_id": "m-2", "language": None, "author": {"role": "merchant", "id": "store-1"}}
    assert notifications_for(_complaint(), events)[0].params is not first.params  # nothing an event brings is kept


def test_plans_depend_on_routing_review_and_author() -> None:
    closed_by_customer = _event(EventKind.CASE_CLOSED, CUSTOMER, status="closed")
    assert [x.recipient.role for x in notifications_for(_complaint(), [closed_by_customer])] == [Role.MERCHANT]
    ticket = Ticket(
        id="T-1", store_id="store-1", customer_id="cust-1", order_id=None, status="under_merchant_review", version=1,
        opened_at=T0, updated_at=T0, description="Where is it?", routing="platform",
    )  # fmt: skip
    closed = CaseEvent("T-1", 2, EventKind.CASE_CLOSED, CUSTOMER, T0, {"status": "closed"})
    assert [x.key for x in notifications_for(ticket, [closed])] == ["T-1:2:platform:platform:email"]
    opened = _event(EventKind.COMPLAINT_OPENED, CUSTOMER, 1)
    assert len(notifications_for(_complaint(status="under_platform_review"), [opened])) == 2
    assert len(notifications_for(_complaint(status="under_merchant_review"), [opened])) == 1


def test_a_late_proactive_message_is_left_out_for_the_customer_only() -> None:
    expired = _event(EventKind.OFFER_EXPIRED, Actor.system(), offer_id="O-1")
    policy = NotificationPolicy()
    late = _complaint(order_completed_at=T0 - timedelta(days=31))
    assert [x.recipient.role for x in notifications_for(late, [expired], policy=policy)] == [Role.MERCHANT]
    assert [x.recipient.role for x in notifications_for(_complaint(), [expired], policy=policy)] == [Role.CUSTOMER, Role.MERCHANT]


def test_the_label_caches_stay_bounded() -> None:
    for i in range(1500):
        assert n._offer_kind_param(f"host-kind-{i}") == labels.term(f"host-kind-{i}")
    assert len(n._OFFER_KIND_PARAMS) <= 1024
    assert n._offer_kind_param("partial_refund") == labels.label("Partial refund")
    assert n._offer_kind_param("") == ""


def test_the_parameters_are_a_fresh_dict_per_event_in_the_same_order() -> None:
    reply = _event(EventKind.MESSAGE_ADDED, MERCHANT, message_id="m-1", body="Hello")
    first = notifications_for(_complaint(), [reply])[0]
    assert list(first.params) == ["case_id", "order_number", "customer_name", "kind_label", "kind_name", "author_label", "status", "body"]
    first.params["case_id"] = "changed"  # type: ignore[index]  # read-only by contract; a careless reader must not change the next one
    again = notifications_for(_complaint(id="C-2", order_number=None, customer_name="Sara"), [reply])[0]
    assert (again.params["case_id"], again.params["order_number"], again.params["customer_name"]) == ("C-2", "", "Sara")
    assert again.params is not first.params and again.key == "C-2:4:customer:cust-1:email"


def test_the_recipient_and_context_caches_stay_bounded() -> None:
    reply = _event(EventKind.MESSAGE_ADDED, CUSTOMER, message_id="m-1", body="Hello")
    answer = _event(EventKind.MESSAGE_ADDED, MERCHANT, message_id="m-2", body="Hi")
    for i in range(1500):
        case = _complaint(customer_id=f"cust-{i}", store_id=f"store-{i}", status=f"status-{i % 3}")
        to_customer, to_store = notifications_for(case, [answer])[0].recipient, notifications_for(case, [reply])[0].recipient
        assert (to_customer.id, to_customer.locale, to_store.id) == (f"cust-{i}", "ar", f"store-{i}")
    assert len(n._CUSTOMER_ADDRESSES) <= 1024 and len(n._STORE_ADDRESSES) <= 1024
    assert all(len(by_status) <= 1024 for by_status in n._CASE_CONTEXTS.values())
