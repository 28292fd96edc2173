"""Guest access: tracking codes, verification codes, grants, lockout, and closing with a code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import (
    AccessGrantInvalid,
    Actor,
    CaseNotFound,
    ConfigurationError,
    Customer,
    GuestAccessDenied,
    Order,
    PermissionDenied,
    Policy,
    ResolveKit,
    SecurityPolicy,
    VerificationCodeExpired,
    VerificationCodeRequired,
    VerificationCodeUsed,
    VerificationCodeWrong,
    VerificationLocked,
    VerificationNotSent,
)
from resolvekit import guest_access
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

KEY = b"k" * 16 + b"e" * 16
OTHER_KEY = b"o" * 32


@pytest.fixture
def app(clock: ManualClock, notifier: RecordingNotifier) -> Iterator[ResolveKit]:
    with ResolveKit(storage="memory://", clock=clock, plugins=[notifier], secret_key=KEY) as rk:
        yield rk


def open_complaint(app: ResolveKit, order: Order, customer: Customer, **kwargs: Any) -> tuple[str, str]:
    result = app.open_complaint(
        Actor.customer(customer.id),
        order=order,
        customer=customer,
        reason="damaged_goods",
        description="The kettle arrived cracked.",
        declaration_accepted=True,
        **kwargs,
    )
    assert result.tracking_code is not None
    return result.case.id, result.tracking_code


def last_code(notifier: RecordingNotifier) -> str:
    sent = [m for m in notifier.sent if m.notification.event_kind == "verification_code"]
    assert sent, "no verification code was sent"
    code = sent[-1].notification.params["code"]
    assert isinstance(code, str)
    return code


def guest(app: ResolveKit, notifier: RecordingNotifier, case_id: str, tracking: str) -> Actor:
    app.request_verification_code(case_id, tracking)
    return app.guest_actor(app.verify_guest(case_id, tracking, last_code(notifier)))


def denied(call: Callable[[], object]) -> GuestAccessDenied:
    with pytest.raises(GuestAccessDenied) as caught:
        call()
    assert type(caught.value) is GuestAccessDenied
    return caught.value


# -- tracking codes ------------------------------------------------------------------------------------


def test_opening_shows_a_tracking_code_once_and_keeps_only_its_keyed_hash(app: ResolveKit, order: Order, customer: Customer) -> None:
    result = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description="Cracked.", declaration_accepted=True, idempotency_key="open-1",
    )
    code = result.tracking_code
    assert code is not None and re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}-[A-Z2-7]{2}", code)  # 26 base32 chars: 130 >= 128 bits
    assert code not in repr(result)
    opening = app.storage.events(result.case.id)[0].payload["tracking"]
    assert set(opening) == {"key_id", "digest"} and code not in str(opening) and len(opening["digest"]) == 64
    again = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description="Cracked.", declaration_accepted=True, idempotency_key="open-1",
    )
    assert again.replayed and again.tracking_code is None  # never stored in clear, so never shown again
    # no view shows even the keyed hash
    for actor in (Actor.customer(customer.id), Actor.merchant("m", store_id=order.store_id), Actor.platform("p")):
        assert all("tracking" not in e.payload for e in app.activity(actor, result.case.id))


def test_tracking_codes_are_random(app: ResolveKit, order: Order, customer: Customer) -> None:
    codes = {open_complaint(app, order, customer)[1] for _ in range(20)}
    assert len(codes) == 20


def test_without_a_secret_key_there_is_no_tracking_code_and_no_guest_access(clock: ManualClock, order: Order, customer: Customer) -> None:
    with ResolveKit(storage="memory://", clock=clock) as rk:
        result = rk.open_complaint(
            Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
            description="Cracked.", declaration_accepted=True,
        )
        assert result.tracking_code is None
        for call in (
            lambda: rk.request_verification_code(result.case.id, "x"),
            lambda: rk.verify_guest(result.case.id, "x", "123456"),
            lambda: rk.guest_actor("g1.x.y"),
        ):
            with pytest.raises(ConfigurationError, match="secret key"):
                call()


@pytest.mark.parametrize("key", [b"short", "too short too", b"", 12345])
def test_a_weak_secret_key_is_refused_at_start_up(key: Any) -> None:
    with pytest.raises(ConfigurationError, match="32 random bytes"):
        ResolveKit(storage="memory://", secret_key=key)


def test_the_key_never_appears_in_reprs(app: ResolveKit) -> None:
    assert KEY.decode() not in repr(app._keyring) and KEY.decode() not in repr(vars(app))


# -- the guest flow ------------------------------------------------------------------------------------


def test_a_guest_follows_replies_and_sees_only_that_complaint(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    first, tracking = open_complaint(app, order, customer)
    second, _ = open_complaint(app, attrs.evolve(order, id="ord-2"), customer)
    app.pass_review(platform, first)
    app.request_verification_code(f"  {first} ", tracking.lower().replace("-", " "))  # forgiving about case and spacing
    message = [m for m in notifier.sent if m.notification.event_kind == "verification_code"][-1]
    assert message.notification.recipient.id == customer.id and message.notification.channel == "email"
    code = last_code(notifier)
    assert re.fullmatch(r"\d{6}", code) and code in message.body
    assert all(code not in str(e.notification.to_dict()) for e in app.storage.outbox(first))  # never through the outbox
    grant = app.verify_guest(first, tracking, code)
    assert grant.case_id == first and grant.expires_at == app.now() + timedelta(minutes=30)
    assert grant.token not in repr(grant)
    actor = app.guest_actor(grant.token)
    assert actor == Actor.guest(customer.id, first)
    assert app.get_case(actor, first).id == first
    reply = app.reply(actor, first, "Here is a photo of the crack.")
    assert reply.events[0].actor == actor  # the log shows the reply came through guest access
    assert [c.id for c in app.list_cases(actor).items] == [first]
    with pytest.raises(CaseNotFound):
        app.get_case(actor, second)
    with pytest.raises(CaseNotFound):
        app.reply(actor, second, "Sneaking into my other complaint.")
    with pytest.raises(PermissionDenied):
        app.open_complaint(actor, order=attrs.evolve(order, id="ord-3"), customer=customer, reason="other",
                           description="New.", declaration_accepted=True)


def test_a_verification_code_works_once(app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)
    code = last_code(notifier)
    app.verify_guest(case_id, tracking, code)
    denied(lambda: app.verify_guest(case_id, tracking, code))


def test_an_expired_code_is_refused(app: ResolveKit, clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)
    clock.advance(minutes=10)
    denied(lambda: app.verify_guest(case_id, tracking, last_code(notifier)))


def test_a_new_code_replaces_the_old_one(app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)
    old = last_code(notifier)
    app.request_verification_code(case_id, tracking)
    new = last_code(notifier)
    if old != new:
        denied(lambda: app.verify_guest(case_id, tracking, old))
    assert app.verify_guest(case_id, tracking, new).case_id == case_id


def test_wrong_number_tracking_and_code_get_one_and_the_same_answer(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer
) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    other_id, other_tracking = open_complaint(app, attrs.evolve(order, id="ord-2"), customer)
    app.request_verification_code(case_id, tracking)
    code = last_code(notifier)
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [
        denied(lambda: app.verify_guest("C-0000000000000000", tracking, code)),  # no such complaint
        denied(lambda: app.verify_guest(case_id, other_tracking, code)),  # another complaint's tracking code
        denied(lambda: app.verify_guest(case_id, tracking, wrong_code)),  # wrong verification code
        denied(lambda: app.verify_guest(other_id, other_tracking, code)),  # no code was requested for it
        denied(lambda: app.request_verification_code("C-0000000000000000", tracking)),
        denied(lambda: app.request_verification_code(case_id, "AAAA-BBBB")),
        denied(lambda: app.verify_guest(None, None, None)),  # type: ignore[arg-type]
    ]
    assert {(type(e), str(e), e.code, repr(e.params)) for e in answers} == {(GuestAccessDenied, str(answers[0]), "guest_access_denied", "{}")}


class CountingStorage:
    """Wraps a storage and records the names of the methods called (to compare the work of two answers)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if callable(value):
            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return value(*args, **kwargs)
            return counted
        return value


def test_wrong_number_and_wrong_codes_do_the_same_work(
    clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The equal-work property, measured structurally: the same keyed hashes, the same storage calls."""
    from resolvekit.plugins.memory import MemoryStorage

    storage = CountingStorage(MemoryStorage())
    # the protocol checks are runtime_checkable isinstance checks: give the proxy the methods
    for name in ("put_verification_code", "verification_code", "try_verification_code", "use_verification_code", "count_guest_attempt"):
        setattr(storage, name, storage.__getattr__(name))
    rk = ResolveKit(storage=storage, clock=clock, plugins=[notifier], secret_key=KEY)  # type: ignore[arg-type]
    case_id, tracking = open_complaint(rk, order, customer)
    rk.request_verification_code(case_id, tracking)
    code = last_code(notifier)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    macs: list[str] = []
    real_mac = guest_access._mac
    monkeypatch.setattr(guest_access, "_mac", lambda key, message: macs.append(message.split("\x00")[0]) or real_mac(key, message))

    def work(call: Callable[[], object]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        macs.clear()
        storage.calls.clear()
        error = denied(call)
        return tuple(macs), tuple(storage.calls), str(error)

    wrong_number = work(lambda: rk.verify_guest("C-FFFFFFFFFFFFFFFF", tracking, code))
    wrong_tracking = work(lambda: rk.verify_guest(case_id, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ", code))
    wrong_code = work(lambda: rk.verify_guest(case_id, tracking, wrong))
    assert wrong_number == wrong_tracking == wrong_code
    assert wrong_number[0] == ("guest", "tracking", "verify")
    assert wrong_number[1] == ("count_guest_attempt", "events", "try_verification_code")
    assert work(lambda: rk.request_verification_code("C-FFFFFFFFFFFFFFFF", tracking))[:2] == work(
        lambda: rk.request_verification_code(case_id, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ")
    )[:2]


# -- brute force -----------------------------------------------------------------------------------------


def test_a_sequential_brute_force_is_locked_out_within_the_limits(
    app: ResolveKit, clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer
) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)  # attempt 1 of the hour
    real = last_code(notifier)
    guesses = (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" != real)
    for _ in range(4):  # 4 wrong tries on this code (attempts 2-5 of the hour)
        denied(lambda: app.verify_guest(case_id, tracking, next(guesses)))
    assert app.verify_guest(case_id, tracking, real).case_id == case_id  # the 5th try on the code: the right one works
    # a second code: five wrong tries spend it, and then even the right code is refused
    app.request_verification_code(case_id, tracking)
    second = last_code(notifier)
    for _ in range(3):  # the hour's attempts 8-10
        denied(lambda: app.verify_guest(case_id, tracking, next(g for g in guesses if g != second)))
    denied(lambda: app.verify_guest(case_id, tracking, second))  # the 11th attempt of the hour: locked, right code or not
    denied(lambda: app.request_verification_code(case_id, tracking))
    stored = app.storage.verification_code(case_id, "access")  # type: ignore[attr-defined]
    assert stored.used_at is None and stored.attempts == 3  # locked attempts never reached the code
    clock.advance(hours=1, seconds=1)  # an hour later the complaint takes attempts again
    app.request_verification_code(case_id, tracking)
    assert app.verify_guest(case_id, tracking, last_code(notifier)).case_id == case_id


def test_five_wrong_tries_spend_a_code(app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    app_policy = attrs.evolve(app.policy, security=SecurityPolicy(verification_attempts_per_hour=100))
    app.policy = app_policy
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)
    real = last_code(notifier)
    for n in range(5):
        guess = f"{n:06d}" if f"{n:06d}" != real else "999999"
        denied(lambda: app.verify_guest(case_id, tracking, guess))
    denied(lambda: app.verify_guest(case_id, tracking, real))
    app.request_verification_code(case_id, tracking)
    assert app.verify_guest(case_id, tracking, last_code(notifier)).case_id == case_id


def test_attempts_on_unknown_numbers_are_throttled_too(app: ResolveKit, order: Order, customer: Customer) -> None:
    """Probing one number many times gets the same answer whether it exists or not, and counts either way."""
    case_id, tracking = open_complaint(app, order, customer)
    for _ in range(10):
        denied(lambda: app.verify_guest("C-0123456789ABCDEF", "WRONG", "000000"))
        denied(lambda: app.verify_guest(case_id, "WRONG", "000000"))
    denied(lambda: app.request_verification_code(case_id, tracking))  # the real number is locked for the hour


# -- grants ----------------------------------------------------------------------------------------------


def test_a_grant_expires(app: ResolveKit, clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    app.request_verification_code(case_id, tracking)
    grant = app.verify_guest(case_id, tracking, last_code(notifier))
    clock.advance(minutes=29)
    app.guest_actor(grant)
    clock.advance(minutes=1)
    with pytest.raises(AccessGrantInvalid):
        app.guest_actor(grant)


def test_an_altered_or_foreign_grant_is_refused(
    app: ResolveKit, clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer
) -> None:
    case_id, tracking = open_complaint(app, order, customer)
    other_id, _ = open_complaint(app, attrs.evolve(order, id="ord-2"), customer)
    app.request_verification_code(case_id, tracking)
    token = app.verify_guest(case_id, tracking, last_code(notifier)).token
    prefix, body, signature = token.split(".")
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data["c"] = other_id  # the same customer's other complaint
    forged_body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    for forged in (f"{prefix}.{forged_body}.{signature}", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x", ""):
        with pytest.raises(AccessGrantInvalid):
            app.guest_actor(forged)
    with ResolveKit(storage=app.storage, clock=clock, secret_key=OTHER_KEY) as other:
        with pytest.raises(AccessGrantInvalid):
            other.guest_actor(token)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.text(max_size=300), st.text(max_size=300).map(lambda t: "g1." + t), st.binary(max_size=50), st.integers(), st.none()))
def test_garbage_grants_are_refused_cleanly(app: ResolveKit, token: Any) -> None:
    with pytest.raises(AccessGrantInvalid):
        app.guest_actor(token)


def test_a_grant_for_one_complaint_opens_no_other(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    first, tracking = open_complaint(app, order, customer)
    second, _ = open_complaint(app, attrs.evolve(order, id="ord-2"), customer)
    actor = guest(app, notifier, first, tracking)
    for call in (
        lambda: app.get_case(actor, second),
        lambda: app.activity(actor, second),
        lambda: app.export(actor, second),
        lambda: app.allowed_events(actor, second),
        lambda: app.reply(actor, second, "hello"),
        lambda: app.close(actor, second, confirmed=True),
        lambda: app.request_close_code(actor, second),
        lambda: app.upload_attachment(actor, second, "a.pdf", b"%PDF-1.4\n%%EOF\n"),
    ):
        with pytest.raises(CaseNotFound):
            call()
    assert app.get_case(platform, second).version == 1


def test_key_rotation_keeps_old_codes_and_grants_working(clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    old = ResolveKit(storage="memory://", clock=clock, plugins=[notifier], secret_key=KEY)
    case_id, tracking = open_complaint(old, order, customer)
    old.request_verification_code(case_id, tracking)
    grant = old.verify_guest(case_id, tracking, last_code(notifier))
    rotated = ResolveKit(storage=old.storage, clock=clock, plugins=[notifier], secret_key=OTHER_KEY, previous_secret_keys=[KEY])
    assert rotated.guest_actor(grant).case_id == case_id
    rotated.request_verification_code(case_id, tracking)
    assert rotated.verify_guest(case_id, tracking, last_code(notifier)).case_id == case_id
    dropped = ResolveKit(storage=old.storage, clock=clock, plugins=[notifier], secret_key=OTHER_KEY)
    with pytest.raises(AccessGrantInvalid):
        dropped.guest_actor(grant)
    denied(lambda: dropped.request_verification_code(case_id, tracking))


def test_a_failed_delivery_is_reported_without_the_code(clock: ManualClock, order: Order, customer: Customer) -> None:
    class Broken:
        @hookimpl
        def resolvekit_deliver(self, notification: Any) -> str | None:
            raise ConnectionError(f"smtp refused {notification.params.get('code')}")

    rk = ResolveKit(storage="memory://", clock=clock, plugins=[Broken()], secret_key=KEY)
    case_id, tracking = open_complaint(rk, order, customer)
    with pytest.raises(VerificationNotSent) as caught:
        rk.request_verification_code(case_id, tracking)
    assert re.search(r"\d{6}", str(caught.value)) is None and caught.value.__cause__ is None


# -- closing with a code ----------------------------------------------------------------------------------


def _passed(app: ResolveKit, platform: Actor, order: Order, customer: Customer) -> tuple[str, str]:
    case_id, tracking = open_complaint(app, order, customer)
    app.pass_review(platform, case_id)
    return case_id, tracking


def test_a_guest_closes_with_confirmation_and_a_code(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    case_id, tracking = _passed(app, platform, order, customer)
    actor = guest(app, notifier, case_id, tracking)
    before = app.activity(platform, case_id)
    with pytest.raises(VerificationCodeRequired):
        app.close(actor, case_id, confirmed=True)
    app.request_close_code(actor, case_id)
    code = last_code(notifier)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(VerificationCodeWrong) as caught:
        app.close(actor, case_id, confirmed=True, verification_code=wrong)
    assert caught.value.params["attempts_left"] == 4
    assert app.activity(platform, case_id) == before
    closed = app.close(actor, case_id, confirmed=True, verification_code=code)
    assert closed.case.is_closed and closed.events[0].actor == actor


def test_the_confirmation_is_checked_before_the_code_is_spent(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    case_id, tracking = _passed(app, platform, order, customer)
    actor = guest(app, notifier, case_id, tracking)
    app.request_close_code(actor, case_id)
    code = last_code(notifier)
    with pytest.raises(Exception) as caught:
        app.close(actor, case_id, confirmed=False, verification_code=code)
    assert "confirm" in str(caught.value)
    assert app.close(actor, case_id, confirmed=True, verification_code=code).case.is_closed


def test_close_codes_expire_work_once_and_lock(
    app: ResolveKit, clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    case_id, tracking = _passed(app, platform, order, customer)
    actor = Actor.customer(customer.id)
    app.policy = attrs.evolve(app.policy, security=SecurityPolicy(close_verification="always", verification_attempts_per_hour=100))
    with pytest.raises(VerificationCodeRequired):
        app.close(actor, case_id, confirmed=True)
    with pytest.raises(VerificationCodeExpired):
        app.close(actor, case_id, confirmed=True, verification_code="123456")  # none requested
    app.request_close_code(actor, case_id)
    clock.advance(minutes=11)
    with pytest.raises(VerificationCodeExpired):
        app.close(actor, case_id, confirmed=True, verification_code=last_code(notifier))
    app.request_close_code(actor, case_id)
    code = last_code(notifier)
    for _ in range(5):
        with pytest.raises(VerificationCodeWrong):
            app.close(actor, case_id, confirmed=True, verification_code="x")
    with pytest.raises(VerificationLocked):
        app.close(actor, case_id, confirmed=True, verification_code=code)
    app.request_close_code(actor, case_id)
    code = last_code(notifier)
    store = app.storage
    assert store.use_verification_code(case_id, "close", store.verification_code(case_id, "close").digest, app.now())  # type: ignore[attr-defined]
    with pytest.raises(VerificationCodeUsed):
        app.close(actor, case_id, confirmed=True, verification_code=code)
    assert not app.get_case(platform, case_id).is_closed


def test_a_logged_in_customer_still_closes_without_a_code_by_default(
    app: ResolveKit, order: Order, customer: Customer, platform: Actor
) -> None:
    case_id, _ = _passed(app, platform, order, customer)
    assert app.close(Actor.customer(customer.id), case_id, confirmed=True).case.is_closed


def test_a_retried_close_replays_without_a_new_code(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor
) -> None:
    case_id, tracking = _passed(app, platform, order, customer)
    actor = guest(app, notifier, case_id, tracking)
    app.request_close_code(actor, case_id)
    code = last_code(notifier)
    first = app.close(actor, case_id, confirmed=True, verification_code=code, idempotency_key="close-1")
    again = app.close(actor, case_id, confirmed=True, verification_code=code, idempotency_key="close-1")
    assert again.replayed and again.case == first.case


def test_accepting_an_offer_through_guest_access_needs_a_code(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer, platform: Actor, merchant: Actor
) -> None:
    case_id, tracking = _passed(app, platform, order, customer)
    offer = app.propose_offer(merchant, case_id, "partial_refund", amount="50.00").case
    offer_id = offer.offers[-1].id  # type: ignore[attr-defined]
    actor = guest(app, notifier, case_id, tracking)
    with pytest.raises(VerificationCodeRequired):
        app.accept_offer(actor, case_id, offer_id, confirmed=True)
    app.request_close_code(actor, case_id)
    accepted = app.accept_offer(actor, case_id, offer_id, confirmed=True, verification_code=last_code(notifier))
    assert accepted.case.is_closed


def test_only_the_customer_asks_for_a_close_code(app: ResolveKit, order: Order, customer: Customer, platform: Actor, merchant: Actor) -> None:
    case_id, _ = _passed(app, platform, order, customer)
    for actor in (merchant, platform):
        with pytest.raises(PermissionDenied):
            app.request_close_code(actor, case_id)


def test_the_policy_settings_are_checked() -> None:
    for bad in (
        {"card_numbers": "hide"},
        {"close_verification": "sometimes"},
        {"verification_code_digits": 2},
        {"verification_code_lifetime": timedelta(0)},
        {"attachment_types": {"text/html"}},
        {"verification_attempts_per_code": True},
    ):
        with pytest.raises(ConfigurationError):
            SecurityPolicy(**bad)
    assert Policy().security == SecurityPolicy()
