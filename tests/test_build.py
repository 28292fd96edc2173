"""The positional builders of frozen value objects make exactly what the constructors make."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Self

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvekit import sla_service
from resolvekit.domain import cases, notifications, offers, sla
from resolvekit.domain._build import frozen_builder, frozen_replacer
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.events import CaseEvent, EventKind, new_event
from resolvekit.domain.money import Money
from resolvekit.domain.sla import SlaPolicy, track
from resolvekit.domain.values import Order, logged_order
from resolvekit.testing import strategies

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BUYER = Actor.customer("cust-1")


def _values(obj: Any) -> list[Any]:
    return [getattr(obj, a.name) for a in attrs.fields(type(obj))]


def _same_object(built: Any, made: Any) -> None:
    assert type(built) is type(made)
    assert built == made and repr(built) == repr(made)
    if type(made).__hash__ is not None and all(isinstance(v, (str, int, datetime, tuple, type(None))) for v in _values(made)):
        assert hash(built) == hash(made)
    assert _values(built) == _values(made)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(built, attrs.fields(type(made))[0].name, None)
    assert pickle.loads(pickle.dumps(built)) == made
    assert attrs.evolve(built) == made


def _samples() -> list[Any]:
    """One value of every class the command path builds positionally."""
    state = track([CaseEvent("C-1", 1, EventKind.COMPLAINT_OPENED, BUYER, T0, {"status": "under_platform_review"})], SlaPolicy())
    complaint = cases.Complaint(
        id="C-1", store_id="s", customer_id="cust-1", order_id="o", status="closed", version=2, opened_at=T0,
        updated_at=T0, description="Cracked lid.", reason="damaged_goods", closed_at=T0, closed_by=BUYER,
    )  # fmt: skip
    offer = offers.Offer(
        "C-1/o2", "partial_refund", "proposed", Actor.merchant("m", store_id="s"), T0,
        amount=Money("50.00", "SAR"), percent=Decimal("20"), expires_at=T0 + timedelta(days=3),
    )  # fmt: skip
    return [
        *state.clocks,
        state,
        sla_service.Prepared([], state, T0),
        notifications.Notification("k", "C-1", 1, "complaint_opened", notifications.Recipient(Role.CUSTOMER, "cust-1"), "email", "s", "b", {}, None),
        complaint,
        cases.Ticket(id="T-1", store_id="s", customer_id="c", order_id=None, status="answered", version=1, opened_at=T0, updated_at=T0, description="d"),
        cases.Message("C-1/3", BUYER, T0, "Hello", internal=True),
        offer,
    ]


@pytest.mark.parametrize("made", _samples(), ids=lambda v: type(v).__name__)
def test_a_builder_makes_what_the_constructor_makes(made: Any) -> None:
    build = frozen_builder(type(made))
    _same_object(build(*_values(made)), made)


def test_the_command_path_builders_are_these() -> None:
    builders: dict[type, Any] = {
        sla.Clock: sla._clock,
        sla.SlaState: sla._state,
        sla_service.Prepared: sla_service._prepared,
        notifications.Notification: notifications._new_notification,
        cases.Message: cases._build_message,
        offers.Offer: offers._build_offer,
        **cases._BUILDERS,
    }
    for made in _samples():
        _same_object(builders[type(made)](*_values(made)), made)


def test_trailing_plain_defaults_may_be_left_out() -> None:
    build = frozen_builder(cases.Message)
    assert build("m-1", BUYER, T0, "Hi") == cases.Message("m-1", BUYER, T0, "Hi")
    with pytest.raises(TypeError):
        build("m-1", BUYER, T0)  # body has no default


@attrs.frozen
class _Converted:
    role: Role = attrs.field(converter=Role)


@attrs.frozen
class _Validated:
    stars: int = attrs.field(validator=attrs.validators.instance_of(int))


@attrs.frozen
class _Hooked:
    value: int

    def __attrs_post_init__(self) -> None:
        pass


@attrs.frozen
class _New:
    value: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        return super().__new__(cls)


@attrs.define
class _Mutable:
    value: int


@attrs.frozen(slots=False)
class _Unslotted:
    value: int


@pytest.mark.parametrize("cls", [_Converted, _Validated, _Hooked, _New, _Mutable, _Unslotted, int])
def test_classes_whose_constructor_does_more_than_store_are_refused(cls: type) -> None:
    with pytest.raises(TypeError):
        frozen_builder(cls)


@given(data=st.data())
def test_a_replacer_makes_what_evolve_makes(data: st.DataObject) -> None:
    made = data.draw(st.sampled_from(_samples()), label="value")
    cls = type(made)
    names = [a.name for a in attrs.fields(cls)]
    donor = data.draw(st.sampled_from([s for s in _samples() if type(s) is cls]))
    changed = data.draw(st.lists(st.sampled_from(names), unique=True), label="changed")
    changes = {name: getattr(donor, name) for name in changed}
    _same_object(frozen_replacer(cls)(made, dict(changes)), attrs.evolve(made, **changes))


def test_a_replacer_ignores_names_that_are_not_fields_and_keeps_the_original() -> None:
    message = cases.Message("m-1", BUYER, T0, "Hi")
    replace = frozen_replacer(cases.Message)
    changed = replace(message, {"body": "Hello", "no_such_field": 1})
    assert changed == attrs.evolve(message, body="Hello") and message.body == "Hi"
    assert replace(message, {}) == message and replace(message, {}) is not message
    with pytest.raises(TypeError):
        frozen_replacer(_Converted)


def test_the_case_and_offer_copies_are_replacers() -> None:
    for made in _samples():
        if type(made) in cases._REPLACERS:
            _same_object(cases.replace_fields(made, {"status": "answered"}), attrs.evolve(made, status="answered"))
        if type(made) is offers.Offer:
            _same_object(offers._evolve(made, {"status": "accepted"}), attrs.evolve(made, status="accepted"))


def test_trusted_fields_skip_only_their_own_checks() -> None:
    build = frozen_builder(_Converted, trusted=("role",))
    _same_object(build(Role.MERCHANT), _Converted(Role.MERCHANT))
    _same_object(frozen_builder(_Validated, trusted=("stars",))(4), _Validated(4))
    for cls, trusted in ((_Converted, ("no_such_field",)), (_Hooked, ("value",)), (cases.Message, ("body",))):
        with pytest.raises(TypeError):
            frozen_builder(cls, trusted=trusted)  # a field without checks, or a class with a hook


def test_events_of_the_command_path_are_what_the_constructor_makes() -> None:
    payload = {"status": "closed"}
    made = CaseEvent("C-1", 2, "case_closed", BUYER, T0, payload)
    _same_object(new_event("C-1", 2, EventKind.CASE_CLOSED, BUYER, T0, payload), made)


@given(order=strategies.orders(), completed=st.none() | st.datetimes(timezones=st.just(UTC)), zone=st.sampled_from([0, 3, -5]))
def test_the_logged_order_is_the_order_from_dict(order: Order, completed: datetime | None, zone: int) -> None:
    order = attrs.evolve(order, completed_at=completed)
    data = order.to_dict()
    _same_object(logged_order(data), Order.from_dict(data))
    assert logged_order(data) == order
    # an opening event written elsewhere, with another offset, still folds to UTC
    shifted = order.created_at.astimezone(timezone(timedelta(hours=zone)))
    other = {**data, "created_at": shifted.isoformat()}
    _same_object(logged_order(other), Order.from_dict(other))
