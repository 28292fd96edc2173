"""Security: card numbers and control characters in free text, tenancy of every command and read,
customer risk, what a database dump holds after a full flow, and fuzzing of every public command."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import (
    Actor,
    Attachment,
    CannedResponse,
    CardNumberRefused,
    CaseNotFound,
    ConfigurationError,
    Customer,
    CustomerBlocked,
    CustomerRisk,
    Order,
    Policy,
    ResolveKit,
    ResolveKitError,
    SecurityPolicy,
    Store,
    TextRefused,
    ValidationError,
)
from resolvekit.domain.free_text import card_number_spans, mask_card_numbers
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock

KEY = b"s" * 40
CARD = "4111 1111 1111 1111"
CARDS = ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5500 0000 0000 0004", "378282246310005"]


@attrs.define
class Files:
    @hookimpl
    def resolvekit_store_attachment(self, case_id: str | None, name: str, content_type: str, data: bytes) -> str:
        return f"files/{len(data)}"


@attrs.define
class RiskCard:
    verdicts: dict[str, CustomerRisk] = attrs.field(factory=dict)

    @hookimpl
    def resolvekit_customer_risk(self, customer_id: str, store_id: str) -> CustomerRisk | None:
        return self.verdicts.get(customer_id)


def _app(clock: ManualClock, notifier: RecordingNotifier, storage: Any = "memory://", **policy: Any) -> ResolveKit:
    return ResolveKit(
        storage=storage, clock=clock, plugins=[notifier, Files()], secret_key=KEY,
        policy=Policy(security=SecurityPolicy(**policy)) if policy else None,
    )


@pytest.fixture
def app(clock: ManualClock, notifier: RecordingNotifier) -> Iterator[ResolveKit]:
    with _app(clock, notifier) as rk:
        yield rk


def _open(app: ResolveKit, order: Order, customer: Customer, description: str = "Cracked.") -> str:
    return app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description=description, declaration_accepted=True,
    ).case.id


def _state(app: ResolveKit) -> Any:
    storage: Any = app.storage
    return ({k: list(v) for k, v in storage._events.items()}, dict(storage._cases), sorted(storage._outbox))


# -- card numbers and control characters in free text --------------------------------------------------


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_found_and_masked_to_their_last_four(card: str) -> None:
    text = f"Charged twice on card {card} (exp 12/29), order 1001, call +966 55 123 4567."
    masked = mask_card_numbers(text)
    assert card not in masked and masked.count("*") == sum(ch.isdigit() for ch in card) - 4
    assert card[-4:] in masked and "order 1001" in masked and "+966 55 123 4567" in masked and "12/29" in masked


@pytest.mark.parametrize(
    "text", ["order 100123456789 shipped", "tracking 9400111899223100012345", "id C-28138427313396FA", "4111111111111112", "call 0551234567"]
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert card_number_spans(text) == [] and mask_card_numbers(text) == text


def _free_text_calls(app: ResolveKit, order: Order, customer: Customer, text: str) -> dict[str, Callable[[], object]]:
    """One call per free-text field of every command, writing ``text`` into that field."""
    buyer, merchant, platform = Actor.customer(customer.id), Actor.merchant("m-1", store_id=order.store_id), Actor.platform("p-1")
    case_id = _open(app, order, customer)
    app.pass_review(platform, case_id)
    offer = app.propose_offer(merchant, case_id, "partial_refund", amount="10.00").case.offers[-1].id  # type: ignore[attr-defined]
    second = app.propose_offer(merchant, case_id, "coupon", amount="5.00").case.offers[-1].id  # type: ignore[attr-defined]
    store = Store(order.store_id, "Kettles & Co")
    return {
        "open_complaint.description": lambda: _open(app, attrs.evolve(order, id="ord-x"), customer, text),
        "reply.body": lambda: app.reply(buyer, case_id, text),
        "add_note.body": lambda: app.add_note(merchant, case_id, text),
        "reply_canned.template": lambda: app.reply_canned(merchant, case_id, CannedResponse("t1", "Refund", f"Hi {{customer_name}}, {text}")),
        "reply_canned.store_name": lambda: app.reply_canned(merchant, case_id, CannedResponse("t2", "Hi", "Hello from {store_name}"), store_name=text),
        "propose_offer.text": lambda: app.propose_offer(merchant, case_id, "other", text=text),
        "reject_offer.reason": lambda: app.reject_offer(buyer, case_id, offer, text),
        "withdraw_offer.reason": lambda: app.withdraw_offer(merchant, case_id, second, reason=text),
        "dispute_complaint.explanation": lambda: app.dispute_complaint(merchant, case_id, text),
        "escalate.note": lambda: app.escalate(buyer, case_id, note=text),
        "flag_safety_issue.description": lambda: app.flag_safety_issue(buyer, case_id, text),
        "dispute_policy.text": lambda: app.dispute_policy(merchant, case_id, text),
        "open_ticket.description": lambda: app.open_ticket(
            buyer, store=store, customer=customer, ticket_type="payment_without_order",
            fields={"payment_method": "card", "card_last_four": "1111"}, description=text,
        ),
        "report_payment_without_order.details": lambda: app.report_payment_without_order(
            buyer, store, customer=customer, payment_method="card", card_last_four="1111", details=text
        ),
    }


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def test_card_numbers_are_masked_in_every_free_text_field_before_anything_is_stored(
    app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer
) -> None:
    calls = _free_text_calls(app, order, customer, f"my card {CARD} was charged")
    masked_ok = []
    for field, call in calls.items():
        try:
            call()
        except CardNumberRefused:
            assert field.startswith(("open_ticket", "report_payment")), field  # the payment form refuses outright
            continue
        masked_ok.append(field)
    storage: Any = app.storage
    stored = [e.to_dict() for log in storage._events.values() for e in log]
    stored += [e.notification.to_dict() for case_id in storage._events for e in storage.outbox(case_id)]
    stored += [m.body for m in notifier.sent]
    assert all(not card_number_spans(s) for s in _strings(stored)), "a card number was stored or sent"
    assert any("**** **** **** 1111" in s for s in _strings(stored))
    assert len(masked_ok) >= 12


def test_with_the_refuse_policy_every_field_refuses_a_card_number_and_nothing_changes(
    clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer
) -> None:
    app = _app(clock, notifier, card_numbers="refuse")
    calls = _free_text_calls(app, order, customer, f"card {CARD}")
    for field, call in calls.items():
        before = _state(app)
        with pytest.raises(CardNumberRefused) as caught:
            call()
        assert CARD not in str(caught.value), field
        assert _state(app) == before, field


@pytest.mark.parametrize("bad", ["nul \x00 byte", "escape \x1b[31mred", "bell \x07", "override \u202eevil", "isolate \u2066x", "c1 \x85 inside", "lone \ud800"])
def test_control_characters_are_refused_in_every_field(
    app: ResolveKit, order: Order, customer: Customer, bad: str
) -> None:
    for field, call in _free_text_calls(app, order, customer, bad).items():
        before = _state(app)
        with pytest.raises(TextRefused):
            call()
        assert _state(app) == before, field


def test_ordinary_text_keeps_its_line_breaks_tabs_and_scripts(app: ResolveKit, order: Order, customer: Customer) -> None:
    text = "Line one\n\tLine two\r\nسلام — 你好 👩\u200d👩\u200d👧 \u200cمی\u200cخواهم"
    case_id = _open(app, order, customer, text)
    assert app.get_case(Actor.customer(customer.id), case_id).description == text


def test_a_one_megabyte_message_is_refused_and_nothing_changes(app: ResolveKit, order: Order, customer: Customer) -> None:
    case_id = _open(app, order, customer)
    before = _state(app)
    with pytest.raises(ValidationError, match="limit"):
        app.reply(Actor.customer(customer.id), case_id, "x" * (1024 * 1024))
    assert _state(app) == before


def test_error_messages_never_repeat_a_card_number(app: ResolveKit, order: Order, customer: Customer) -> None:
    with pytest.raises(ValidationError) as caught:
        app.open_complaint(Actor.customer(customer.id), order=order, customer=customer, reason=f"card {CARD}",
                           description="x", declaration_accepted=True)
    assert CARD not in str(caught.value) and CARD not in repr(caught.value.params)
    with pytest.raises(CaseNotFound) as missing:
        app.get_case(Actor.customer(customer.id), CARD)
    assert CARD not in str(missing.value)


def test_only_the_last_four_digits_are_accepted_where_a_form_asks_for_them(app: ResolveKit, customer: Customer, order: Order) -> None:
    store = Store(order.store_id, "Kettles & Co")
    with pytest.raises(CardNumberRefused):
        app.report_payment_without_order(Actor.customer(customer.id), store, customer=customer, payment_method="card", card_last_four=CARD)
    ticket = app.report_payment_without_order(Actor.customer(customer.id), store, customer=customer, payment_method="card", card_last_four="1111")
    assert ticket.case.form["card_last_four"] == "1111"  # type: ignore[attr-defined]


# -- customer risk --------------------------------------------------------------------------------------


def test_staff_see_the_risk_flag_and_the_customer_never_does(clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    card = RiskCard({customer.id: CustomerRisk(blocked=True, risky=True, reason="chargebacks at 3 stores")})
    rk = ResolveKit(storage="memory://", clock=clock, plugins=[notifier, card])
    case_id = _open(rk, order, customer)
    merchant, platform, buyer = Actor.merchant("m", store_id=order.store_id), Actor.platform("p"), Actor.customer(customer.id)
    for staff in (merchant, platform):
        assert rk.get_case(staff, case_id).customer_risk == CustomerRisk(True, True, "chargebacks at 3 stores")
        assert rk.activity(staff, case_id)[0].payload["customer_risk"]["blocked"] is True
    assert rk.get_case(buyer, case_id).customer_risk is None
    assert "customer_risk" not in rk.activity(buyer, case_id)[0].payload
    assert "chargebacks" not in str(rk.export(buyer, case_id))
    assert all(c.customer_risk is None for c in rk.list_cases(buyer).items)
    assert "chargebacks" in str(rk.export(platform, case_id))


def test_the_policy_may_refuse_blocked_customers(clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer) -> None:
    card = RiskCard({customer.id: CustomerRisk(blocked=True, reason="fraud")})
    rk = ResolveKit(storage="memory://", clock=clock, plugins=[notifier, card],
                    policy=Policy(security=SecurityPolicy(blocked_customers_may_open=False)))
    with pytest.raises(CustomerBlocked) as caught:
        _open(rk, order, customer)
    assert "fraud" not in str(caught.value) and _state(rk) == ({}, {}, [])
    with pytest.raises(CustomerBlocked):
        rk.open_ticket(Actor.customer(customer.id), store=Store(order.store_id, "S"), customer=customer,
                       ticket_type="payment_without_order", fields={"payment_method": "card", "card_last_four": "1111"})
    card.verdicts[customer.id] = CustomerRisk(risky=True)
    assert rk.get_case(Actor.platform("p"), _open(rk, order, customer)).customer_risk == CustomerRisk(risky=True)


def test_a_risk_hook_returning_garbage_is_a_configuration_error(clock: ManualClock, order: Order, customer: Customer) -> None:
    class Broken:
        @hookimpl
        def resolvekit_customer_risk(self, customer_id: str, store_id: str) -> Any:
            return "blocked"

    rk = ResolveKit(storage="memory://", clock=clock, plugins=[Broken()])
    with pytest.raises(ConfigurationError):
        _open(rk, order, customer)


# -- tenancy: every command and read, from another store and another customer ---------------------------


def _world(app: ResolveKit, order: Order, customer: Customer) -> tuple[str, str]:
    platform, merchant = Actor.platform("p"), Actor.merchant("m", store_id=order.store_id)
    case_id = _open(app, order, customer)
    app.pass_review(platform, case_id)
    offer = app.propose_offer(merchant, case_id, "partial_refund", amount="10.00").case.offers[-1].id  # type: ignore[attr-defined]
    return case_id, offer


PDF = b"%PDF-1.4\n%%EOF\n"
CASE_COMMANDS: dict[str, Callable[[ResolveKit, Actor, str, str], object]] = {
    "reply": lambda app, a, c, o: app.reply(a, c, "hello"),
    "add_note": lambda app, a, c, o: app.add_note(a, c, "note"),
    "reply_canned": lambda app, a, c, o: app.reply_canned(a, c, CannedResponse("t", "T", "Hi {customer_name}")),
    "pass_review": lambda app, a, c, o: app.pass_review(a, c),
    "close": lambda app, a, c, o: app.close(a, c, confirmed=True),
    "rate": lambda app, a, c, o: app.rate(a, c, 5),
    "propose_offer": lambda app, a, c, o: app.propose_offer(a, c, "partial_refund", amount="5.00"),
    "accept_offer": lambda app, a, c, o: app.accept_offer(a, c, o, confirmed=True),
    "reject_offer": lambda app, a, c, o: app.reject_offer(a, c, o, "no"),
    "withdraw_offer": lambda app, a, c, o: app.withdraw_offer(a, c, o),
    "cancel_offer": lambda app, a, c, o: app.cancel_offer(a, c, o, "The gateway refuses the card."),
    "impose_offer": lambda app, a, c, o: app.impose_offer(a, c, o),
    "dispute_complaint": lambda app, a, c, o: app.dispute_complaint(a, c, "not valid"),
    "confirm_return": lambda app, a, c, o: app.confirm_return(a, c, o),
    "allowed_offer_events": lambda app, a, c, o: app.allowed_offer_events(a, c, o),
    "execute_offer": lambda app, a, c, o: app.execute_offer(a, c, o),
    "escalate": lambda app, a, c, o: app.escalate(a, c),
    "flag_safety_issue": lambda app, a, c, o: app.flag_safety_issue(a, c, "it sparked"),
    "dispute_policy": lambda app, a, c, o: app.dispute_policy(a, c, "unfair"),
    "sla": lambda app, a, c, o: app.sla(a, c),
    "explain_deadline": lambda app, a, c, o: app.explain_deadline(a, c, "first_response"),
    "get_case": lambda app, a, c, o: app.get_case(a, c),
    "activity": lambda app, a, c, o: app.activity(a, c),
    "allowed_events": lambda app, a, c, o: app.allowed_events(a, c),
    "export": lambda app, a, c, o: app.export(a, c),
    "upload_attachment": lambda app, a, c, o: app.upload_attachment(a, c, "a.pdf", PDF),
    "request_close_code": lambda app, a, c, o: app.request_close_code(a, c),
}
if hasattr(ResolveKit, "timeline"):  # the communication commands
    CASE_COMMANDS["timeline"] = lambda app, a, c, o: getattr(app, "timeline")(a, c)
if hasattr(ResolveKit, "reply_with_template"):
    CASE_COMMANDS["reply_with_template"] = lambda app, a, c, o: getattr(app, "reply_with_template")(a, c, "any-template")


def test_every_command_and_read_on_a_case_is_in_the_tenancy_table() -> None:
    on_a_case = {
        name for name, fn in inspect.getmembers(ResolveKit, inspect.isfunction)
        if not name.startswith("_") and "case_id" in inspect.signature(fn).parameters
    }
    assert on_a_case == set(CASE_COMMANDS), "add the new command to CASE_COMMANDS"


@pytest.mark.parametrize("command", sorted(CASE_COMMANDS))
def test_other_stores_and_customers_can_neither_see_nor_change_a_case(
    app: ResolveKit, order: Order, customer: Customer, other_merchant: Actor, command: str
) -> None:
    case_id, offer = _world(app, order, customer)
    other_case = _open(app, attrs.evolve(order, id="ord-2"), customer)
    strangers = [other_merchant, Actor.customer("cust-2"), Actor.guest(customer.id, other_case), Actor.guest("cust-2", case_id)]
    for stranger in strangers:
        before = _state(app)
        with pytest.raises(CaseNotFound) as caught:
            CASE_COMMANDS[command](app, stranger, case_id, offer)
        assert type(caught.value) is CaseNotFound
        assert _state(app) == before


def test_lists_and_reputation_reads_filter_by_store_and_customer(app: ResolveKit, order: Order, customer: Customer, other_merchant: Actor) -> None:
    case_id, _ = _world(app, order, customer)
    assert app.list_cases(other_merchant, store_id=order.store_id).items == ()
    assert app.list_cases(other_merchant).items == ()
    assert app.list_cases(Actor.customer("cust-2"), customer_id=customer.id).items == ()
    assert app.list_cases(Actor.guest(customer.id, "C-other")).items == ()
    assert [c.id for c in app.list_cases(Actor.platform("p")).items] == [case_id]
    assert app.claim_facts(other_merchant, store_id=order.store_id) == []


def test_export_holds_the_case_and_its_log_as_the_actor_sees_them(app: ResolveKit, order: Order, customer: Customer) -> None:
    case_id, _ = _world(app, order, customer)
    merchant = Actor.merchant("m", store_id=order.store_id)
    app.add_note(merchant, case_id, "internal: customer seems honest")
    import json

    staff = app.export(merchant, case_id)
    mine = app.export(Actor.customer(customer.id), case_id)
    assert json.loads(json.dumps(staff)) == staff and staff["case"]["id"] == case_id
    assert "honest" in json.dumps(staff) and "honest" not in json.dumps(mine)
    assert len(staff["activity"]) == len(mine["activity"]) + 1


# -- what the databases hold after a full flow -----------------------------------------------------------


def _full_flow(app: ResolveKit, notifier: RecordingNotifier, order: Order, customer: Customer) -> list[str]:
    """A complaint with card numbers in free text, followed and closed through guest access; returns the secrets."""
    merchant, platform = Actor.merchant("m", store_id=order.store_id), Actor.platform("p")
    opened = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description=f"Paid with {CARD}, the kettle leaks.", declaration_accepted=True,
        attachments=[app.upload_attachment(Actor.customer(customer.id), None, "receipt 4111-1111-1111-1111.pdf", PDF)],
    )
    case_id, tracking = opened.case.id, opened.tracking_code
    assert tracking is not None
    app.pass_review(platform, case_id, note="card 5500 0000 0000 0004 on file")
    app.reply(merchant, case_id, "Please do not send 378282246310005 here.")
    app.request_verification_code(case_id, tracking)
    codes = [notifier.sent[-1].notification.params["code"]]
    actor = app.guest_actor(app.verify_guest(case_id, tracking, codes[-1]))
    app.reply(actor, case_id, f"My card is {CARDS[0]}")
    app.request_close_code(actor, case_id)
    codes.append(notifier.sent[-1].notification.params["code"])
    app.close(actor, case_id, confirmed=True, verification_code=codes[-1])
    app.dispatch()
    return [tracking, tracking.replace("-", ""), *codes, *CARDS, KEY.decode()]


def _assert_clean(dump: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in dump, f"{secret!r} is in the database dump"
    assert "**** **** **** 1111" in dump  # the masked form is there, so the check looked at the right data


def test_a_sqlite_dump_holds_no_code_and_no_card_number(clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "rk.sqlite3"
    app = _app(clock, notifier, f"sqlite:///{path}", verification_code_digits=12)  # long codes: no accidental match
    secrets = _full_flow(app, notifier, order, customer)
    app.shutdown()
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "verification_codes" in dump and "guest_attempts" in dump
    _assert_clean(dump, secrets)


@pytest.mark.postgres
def test_a_postgres_dump_holds_no_code_and_no_card_number(
    clock: ManualClock, notifier: RecordingNotifier, order: Order, customer: Customer, postgres_schema: tuple[str, str]
) -> None:
    import psycopg

    conninfo, schema = postgres_schema
    app = _app(clock, notifier, f"{conninfo}?schema={schema}", verification_code_digits=12)
    secrets = _full_flow(app, notifier, order, customer)
    app.shutdown()
    rows: list[str] = []
    with psycopg.connect(conninfo) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
        assert {"events", "cases", "outbox", "verification_codes", "guest_attempts"} <= set(tables)
        for table in tables:
            rows.extend(str(row) for row in conn.execute(f'SELECT t::text FROM "{schema}"."{table}" AS t'))
    _assert_clean("\n".join(rows), secrets)


# -- fuzzing every public command --------------------------------------------------------------------


GARBAGE = st.one_of(
    st.text(max_size=20), st.integers(), st.binary(max_size=12), st.none(), st.floats(), st.booleans(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)
TEXT = st.one_of(st.text(max_size=40), st.sampled_from([f"card {CARD}", "a\x00b", "\u202e", "x" * 6000, " ", ""]))
SENSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "body": TEXT, "explanation": TEXT, "text": TEXT | st.none(), "description": TEXT, "details": TEXT,
    "reason": TEXT | st.none(), "note": TEXT | st.none(), "comment": TEXT | st.none(), "store_name": TEXT,
    "stars": st.integers(-1, 6), "confirmed": st.booleans(), "kind": st.sampled_from(["partial_refund", "other", "coupon", "nope"]),
    "amount": st.sampled_from([None, "10.00", "-1", "1e9", "NaN"]), "percent": st.sampled_from([None, 10, 0, 101]),
    "items": st.none(), "clock": st.sampled_from(["first_response", "resolution", "nope"]),
    "reference": st.none() | st.text(max_size=10), "verification_code": st.none() | st.text(max_size=8),
    "idempotency_key": st.none() | st.text(max_size=8), "attachments": st.sampled_from([(), [Attachment("a.pdf", "application/pdf", 10, "r")]]),
    "template": st.builds(CannedResponse, st.just("t"), st.just("T"), TEXT.filter(bool)),
    "name": st.text(max_size=20), "data": st.binary(max_size=40), "stars_": st.none(),
    "complaint_number": st.text(max_size=25), "tracking_code": st.text(max_size=40), "grant": st.text(max_size=40),
    "declaration_accepted": st.booleans(), "ticket_type": st.sampled_from(["payment_without_order", "order_delayed", "nope"]),
    "payment_method": st.sampled_from(["card", "nope"]), "card_last_four": st.sampled_from(["1111", CARD, "abc"]),
    "fields": st.none() | st.dictionaries(st.sampled_from(["payment_method", "card_last_four", "x"]), TEXT, max_size=2),
    "order_id": st.text(max_size=10), "limit": st.integers(-1, 5), "statuses": st.none() | st.lists(st.text(max_size=5), max_size=2),
    "after": st.none() | st.text(max_size=10), "store_id": st.none() | st.text(max_size=8), "customer_id": st.none() | st.text(max_size=8),
}
SKIP = {"now", "shutdown", "dispatch", "due", "sweep", "expire_offers", "execute_pending", "triage_many", "claim_facts", "triage"}
FUZZED = sorted(  # every command and read an actor (or a guest) calls
    name for name, fn in inspect.getmembers(ResolveKit, inspect.isfunction)
    if not name.startswith("_") and name not in SKIP
    and list(inspect.signature(fn).parameters)[1:2] in (["actor"], ["complaint_number"], ["grant"])
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(FUZZED), data=st.data())
def test_fuzzed_commands_only_raise_resolvekit_errors_and_change_nothing_when_refused(
    app: ResolveKit, order: Order, customer: Customer, command: str, data: st.DataObject
) -> None:
    if not app.storage._cases:  # type: ignore[attr-defined]
        _world(app, order, customer)
    case_id, ticket = next(iter(app.storage._cases)), None  # type: ignore[attr-defined]
    offer_ids = [o.id for c in app.storage._cases.values() for o in getattr(c, "offers", ())]  # type: ignore[attr-defined]
    actors = [Actor.customer(customer.id), Actor.merchant("m", store_id=order.store_id), Actor.platform("p"),
              Actor.merchant("x", store_id="store-2"), Actor.customer("cust-2"), Actor.system(), Actor.guest(customer.id, case_id)]
    fn = getattr(app, command)
    kwargs: dict[str, Any] = {}
    for param in list(inspect.signature(fn).parameters.values()):
        name = param.name
        if name == "actor":
            value = data.draw(st.sampled_from(actors) | GARBAGE, label=name)
        elif name == "case_id":
            value = data.draw(st.sampled_from([case_id, "C-nope"]) | GARBAGE, label=name)
        elif name == "offer_id":
            value = data.draw(st.sampled_from([*offer_ids, "O-nope"]) | GARBAGE, label=name)
        elif name in ("order", "customer", "store"):
            sensible = {"order": order, "customer": customer, "store": Store(order.store_id, "S")}[name]
            value = data.draw(st.just(sensible) | GARBAGE, label=name)
        elif name in SENSIBLE:
            value = data.draw(SENSIBLE[name] | GARBAGE, label=name)
        elif param.default is not inspect.Parameter.empty:
            continue
        else:
            value = data.draw(GARBAGE, label=name)
        kwargs[name] = value
    positional = [kwargs.pop(p.name) for p in inspect.signature(fn).parameters.values()
                  if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in kwargs]
    before = _state(app)
    try:
        fn(*positional, **kwargs)
    except ResolveKitError:
        assert _state(app) == before, f"{command} was refused but changed the storage"
    del ticket
