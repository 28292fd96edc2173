"""Random interleavings of every actor's commands against one application, with invariants after each step.

The machine opens complaints and tickets in two stores for two customers, lets customers, merchants
of both stores, the platform and the system fire every command (with valid and invalid input and
sometimes an idempotency key) and moves a manual clock. After every step it checks:

* each case's status is one its lifecycle declares, and ``closed`` matches ``closed_at``;
* a closed case never changes again (a closed ticket may only gain its one rating);
* an accepted command appended exactly its own events, with contiguous versions, to one case;
  a refused command wrote nothing anywhere;
* folding a case's log again gives the stored snapshot;
* no customer view (``get_case``, ``activity``, ``list_cases``, command results) holds an internal note;
* merchants of another store, and other customers, never see the case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule

from resolvekit import (
    Actor,
    CannedResponse,
    Case,
    CaseNotFound,
    CommandResult,
    Complaint,
    Customer,
    EventKind,
    Order,
    Policy,
    ResolveKit,
    ResolveKitError,
    Role,
    Ticket,
)
from resolvekit.domain.cases import fold
from resolvekit.domain.transitions import lifecycle_for
from resolvekit.testing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMIT = 60
CUSTOMERS = {"cust-1": Customer("cust-1", "Noura"), "cust-2": Customer("cust-2", "Sara")}
ORDERS = [
    Order("ord-1", "store-1", "cust-1", "delivered", T0 - timedelta(days=3), Decimal("120.00"), "SAR", number="1001"),
    Order("ord-2", "store-2", "cust-2", "delivered", T0 - timedelta(days=9), Decimal("40.50"), "SAR", number="2002"),
    Order("ord-3", "store-2", "cust-1", "completed", T0 - timedelta(days=1), Decimal("9.99"), "SAR"),
]
ACTORS = [
    Actor.customer("cust-1"),
    Actor.customer("cust-2"),
    Actor.merchant("owner-1", store_id="store-1"),
    Actor.merchant("staff-1", store_id="store-1"),
    Actor.merchant("owner-2", store_id="store-2"),
    Actor.platform("agent-1"),
    Actor.system(),
]
CUSTOMER_ACTORS = [a for a in ACTORS if a.role is Role.CUSTOMER]
MERCHANTS = [a for a in ACTORS if a.role is Role.MERCHANT]
AUDITOR = Actor.platform("auditor")
POLICIES = [
    Policy(max_message_length=LIMIT),
    Policy(max_message_length=LIMIT, complaint_platform_review=False),
    Policy(max_message_length=LIMIT, complaint_closers={Role.CUSTOMER, Role.MERCHANT}, ticket_closers={Role.CUSTOMER, Role.PLATFORM}),
    Policy(max_message_length=LIMIT, close_requires_confirmation=False),
]
TEMPLATES = [
    CannedResponse("hello", "Hello", "Hello {customer_name}, about order {order_number}: we are on it."),
    CannedResponse("long", "Long", "Dear {customer_name}, " + "we are very sorry about this. " * 3),  # over LIMIT
]
BODIES = st.one_of(
    st.sampled_from(["Hello", "  padded reply  ", "", "   ", "\n\t", "x" * LIMIT, "y" * (LIMIT + 1)]),
    st.text(max_size=LIMIT + 5),
)
COMMANDS = ("reply", "add_note", "reply_canned", "pass_review", "propose", "accept", "close", "rate")
OPENING_TEXTS = st.sampled_from(["The lid is cracked.", "Where is my order?", "Charged twice, no order."]) | BODIES
COMMAND_ARGS = {
    "command": st.sampled_from(COMMANDS) | st.just("allowed"),
    "body": st.sampled_from(["Thanks.", "We will send a new one.", "Any news?"]) | BODIES,
    "template": st.sampled_from(TEMPLATES),
    "confirmed": st.sampled_from([True, True, False]),
    "stars": st.integers(min_value=-1, max_value=7),
    "pick": st.integers(min_value=0, max_value=3),
    "keyed": st.booleans(),
}
PAYMENT_FORM = {"payment_method": "card", "card_last_four": "4242"}
# lifecycle event -> the command that fires it ("allowed" picks one the actor may fire now, to reach deep states)
EVENT_COMMANDS = {
    "customer_reply": "reply",
    "merchant_reply": "reply",
    "platform_reply": "reply",
    "add_note": "add_note",
    "pass_review": "pass_review",
    "propose_resolution": "propose",
    "accept_resolution": "accept",
    "close": "close",
}


# -- the proposal commands: free-text ("other") resolution offers -------------------------------------------


def propose(app: ResolveKit, actor: Actor, case_id: str, text: str, **kw: Any) -> CommandResult:
    return app.propose_offer(actor, case_id, "other", text=text, **kw)


def accept(app: ResolveKit, actor: Actor, case_id: str, pick: int, confirmed: bool, **kw: Any) -> CommandResult:
    case = app.storage.load(case_id)
    offers = case.offers if isinstance(case, Complaint) else ()
    offer_id = offers[pick % len(offers)].id if offers and pick < 3 else f"{case_id}/o-bogus"
    return app.accept_offer(actor, case_id, offer_id, confirmed=confirmed, **kw)


# ---------------------------------------------------------------------------------------------------------


def may_see(actor: Actor, case: Case) -> bool:
    if actor.role is Role.CUSTOMER:
        return actor.id == case.customer_id
    if actor.role is Role.MERCHANT:
        return actor.store_id == case.store_id
    return True


def frozen_part(case: Case) -> Case:
    """What may never change once a case is closed (a ticket's rating, version and time may)."""
    if isinstance(case, Ticket):
        return attrs.evolve(case, rating=None, version=0, updated_at=case.opened_at)
    return case


class ResolveKitMachine(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(T0)
        self.app = ResolveKit(storage="memory://", clock=self.clock, policy=POLICIES[0])
        self.closed: dict[str, tuple[int, Case]] = {}
        self.keyed: list[tuple[Callable[[], CommandResult], CommandResult]] = []
        self.next_key = 0

    @initialize(target=cases, policy=st.sampled_from(POLICIES))
    def start(self, policy: Policy) -> Any:
        """Pick the platform's policy and open a complaint and a ticket, so every rule can run from step one."""
        self.app = ResolveKit(storage="memory://", clock=self.clock, policy=policy)
        noura, sara = CUSTOMERS["cust-1"], CUSTOMERS["cust-2"]
        complaint = self.app.open_complaint(
            Actor.customer(noura.id), order=ORDERS[0], customer=noura, reason="damaged_goods",
            description="The lid is cracked.", declaration_accepted=True,
        )
        ticket = self.app.open_ticket(
            Actor.customer(sara.id), store_id="store-2", customer=sara, ticket_type="order_delayed",
            description="Where is my order?", order=ORDERS[1],
        )
        return multiple(complaint.case.id, ticket.case.id)

    # -- bookkeeping ----------------------------------------------------------------------------------

    def world(self) -> dict[str, tuple[Case, tuple[Any, ...], tuple[Any, ...]]]:
        page = self.app.list_cases(AUDITOR, limit=1000)
        assert page.next_cursor is None
        return {c.id: (c, tuple(self.app.storage.events(c.id)), tuple(self.app.storage.outbox(c.id))) for c in page.items}

    def key(self, use: bool) -> str | None:
        if not use:
            return None
        self.next_key += 1
        return f"key-{self.next_key}"

    def attempt(
        self, actor: Actor, case_id: str | None, command: Callable[[], CommandResult], *, label: str, keyed: bool = False
    ) -> CommandResult | None:
        before = self.world()
        try:
            result = command()
        except ResolveKitError as error:
            event(f"{label}: {type(error).__name__}")
            assert self.world() == before, f"refused command wrote something: {error!r}"
            if case_id is not None and not may_see(actor, before[case_id][0]):
                assert type(error) is CaseNotFound, f"a stranger got {error!r}"
            return None
        event(f"{label}: accepted")
        after = self.world()
        if case_id is not None:
            assert may_see(actor, before[case_id][0]), "a stranger's command was accepted"
        changed = result.case.id
        assert set(after) - set(before) <= {changed} and set(before) <= set(after)
        for other in before:
            if other != changed:
                assert after[other] == before[other], "a command changed another case"
        if result.replayed:
            assert after == before
            return result
        old_version = before[changed][0].version if changed in before else 0
        events = after[changed][1]
        assert events[:old_version] == (before[changed][1] if changed in before else ())
        assert events[old_version:] == result.events and len(result.events) >= 1
        assert [e.version for e in result.events] == list(range(old_version + 1, old_version + 1 + len(result.events)))
        assert result.events[0].actor == actor and all(e.at == self.clock.now for e in result.events)
        old_outbox = {e.notification.key for e in before[changed][2]} if changed in before else set()
        for entry in after[changed][2]:
            if entry.notification.key not in old_outbox:
                assert entry.notification.event_version > old_version
        if actor.role is Role.CUSTOMER:
            assert not any(m.internal for m in result.case.messages), "a customer's result holds an internal note"
        if keyed:
            self.keyed.append((command, result))
        return result

    # -- rules ----------------------------------------------------------------------------------------

    def open_complaint_as(
        self, actor: Actor, order: Order, customer: Customer, reason: str, description: str, declaration: bool, keyed: bool
    ) -> Any:
        key = self.key(keyed)
        result = self.attempt(
            actor,
            None,
            lambda: self.app.open_complaint(
                actor,
                order=order,
                customer=customer,
                reason=reason,
                description=description,
                declaration_accepted=declaration,
                idempotency_key=key,
            ),
            label="open_complaint",
            keyed=keyed,
        )
        return multiple() if result is None else result.case.id

    def open_ticket_as(
        self, actor: Actor, store_id: str, customer: Customer, order: Order | None, ticket_type: str, description: str, keyed: bool
    ) -> Any:
        key = self.key(keyed)
        result = self.attempt(
            actor,
            None,
            lambda: self.app.open_ticket(
                actor,
                store_id=store_id,
                customer=customer,
                ticket_type=ticket_type,
                description=description,
                order=order,
                fields=PAYMENT_FORM if ticket_type == "payment_without_order" else None,
                idempotency_key=key,
            ),
            label="open_ticket",
            keyed=keyed,
        )
        return multiple() if result is None else result.case.id

    @rule(
        target=cases,
        order=st.sampled_from(ORDERS),
        kind=st.sampled_from(["complaint", "complaint", "ticket", "payment_ticket"]),
        reason=st.sampled_from(["damaged_goods", "product_defect", "missing_parts", "not_a_reason"]),
        description=OPENING_TEXTS,
        declaration=st.sampled_from([True, True, True, False]),
        keyed=st.booleans(),
    )
    def customer_opens_a_case(self, order: Order, kind: str, reason: str, description: str, declaration: bool, keyed: bool) -> Any:
        customer = CUSTOMERS[order.customer_id]
        actor = Actor.customer(customer.id)
        if kind == "complaint":
            return self.open_complaint_as(actor, order, customer, reason, description, declaration, keyed)
        payment = kind == "payment_ticket"
        ticket_type = "payment_without_order" if payment else "order_delayed"
        return self.open_ticket_as(actor, order.store_id, customer, None if payment else order, ticket_type, description, keyed)

    @rule(
        target=cases,
        actor=st.sampled_from(ACTORS),
        order=st.none() | st.sampled_from(ORDERS),
        customer=st.sampled_from(sorted(CUSTOMERS)),
        store_id=st.sampled_from(["store-1", "store-2"]),
        kind=st.sampled_from(["complaint", "order_delayed", "payment_without_order", "", "no_such_type"]),
        description=BODIES,
        declaration=st.booleans(),
        keyed=st.booleans(),
    )
    def anyone_tries_to_open_a_case(
        self, actor: Actor, order: Order | None, customer: str, store_id: str, kind: str, description: str, declaration: bool, keyed: bool
    ) -> Any:
        if kind == "complaint":
            if order is None:
                return multiple()
            return self.open_complaint_as(actor, order, CUSTOMERS[customer], "damaged_goods", description, declaration, keyed)
        return self.open_ticket_as(actor, store_id, CUSTOMERS[customer], order, kind, description, keyed)

    def act(self, case_id: str, who: str, command: str, body: str, template: CannedResponse, confirmed: bool, stars: int, pick: int, keyed: bool) -> None:
        actor = self.actor_for(who, self.app.get_case(AUDITOR, case_id))
        key = self.key(keyed)
        app = self.app
        if command == "allowed":
            try:
                choices = [EVENT_COMMANDS[e] for e in app.allowed_events(actor, case_id) if e in EVENT_COMMANDS]
            except CaseNotFound:
                choices = []
            command = choices[pick % len(choices)] if choices else "rate"
        run: dict[str, Callable[[], CommandResult]] = {
            "reply": lambda: app.reply(actor, case_id, body, idempotency_key=key),
            "add_note": lambda: app.add_note(actor, case_id, body, idempotency_key=key),
            "reply_canned": lambda: app.reply_canned(actor, case_id, template, idempotency_key=key),
            "pass_review": lambda: app.pass_review(actor, case_id, idempotency_key=key),
            "propose": lambda: propose(app, actor, case_id, body, idempotency_key=key),
            "accept": lambda: accept(app, actor, case_id, pick, confirmed, idempotency_key=key),
            "close": lambda: app.close(actor, case_id, confirmed=confirmed, idempotency_key=key),
            "rate": lambda: app.rate(actor, case_id, stars, comment=body if stars % 2 else None, idempotency_key=key),
        }
        self.attempt(actor, case_id, run[command], label=f"{command} by {who}", keyed=keyed)

    # one rule per group of actors, so that acting on cases is drawn more often than opening them
    @rule(case_id=cases, who=st.just("customer"), **COMMAND_ARGS)
    def the_customer_acts(self, **kw: Any) -> None:
        self.act(**kw)

    @rule(case_id=cases, who=st.sampled_from(["merchant", "colleague"]), **COMMAND_ARGS)
    def the_store_acts(self, **kw: Any) -> None:
        self.act(**kw)

    @rule(case_id=cases, who=st.sampled_from(["platform", "system"]), **COMMAND_ARGS)
    def the_platform_or_system_acts(self, **kw: Any) -> None:
        self.act(**kw)

    @rule(case_id=cases, who=st.sampled_from(["other_customer", "other_store_merchant"]), **COMMAND_ARGS)
    def a_stranger_acts(self, **kw: Any) -> None:
        self.act(**kw)

    # the resolution path (platform review, proposal, acceptance) is deep; these rules walk it more often
    @rule(case_id=cases, who=st.sampled_from(["platform", "system"]), keyed=st.booleans())
    def the_platform_passes_the_review(self, case_id: str, who: str, keyed: bool) -> None:
        self.act(case_id, who, "pass_review", "", TEMPLATES[0], True, 0, 0, keyed)

    @rule(case_id=cases, who=st.sampled_from(["merchant", "colleague", "platform"]), body=COMMAND_ARGS["body"], keyed=st.booleans())
    def the_store_proposes_a_resolution(self, case_id: str, who: str, body: str, keyed: bool) -> None:
        self.act(case_id, who, "propose", body, TEMPLATES[0], True, 0, 0, keyed)

    @rule(case_id=cases, confirmed=COMMAND_ARGS["confirmed"], pick=COMMAND_ARGS["pick"], keyed=st.booleans())
    def the_customer_accepts_a_resolution(self, case_id: str, confirmed: bool, pick: int, keyed: bool) -> None:
        self.act(case_id, "customer", "accept", "", TEMPLATES[0], confirmed, 0, pick, keyed)

    @staticmethod
    def actor_for(who: str, case: Case) -> Actor:
        """The actor ``who`` names, relative to the case (its customer, its store's merchant...)."""
        other_store = "store-2" if case.store_id == "store-1" else "store-1"
        return {
            "customer": Actor.customer(case.customer_id),
            "other_customer": Actor.customer("cust-2" if case.customer_id == "cust-1" else "cust-1"),
            "merchant": Actor.merchant("owner", store_id=case.store_id),
            "colleague": Actor.merchant("staff", store_id=case.store_id),
            "other_store_merchant": Actor.merchant("owner", store_id=other_store),
            "platform": Actor.platform("agent-1"),
            "system": Actor.system(),
        }[who]

    @precondition(lambda self: bool(self.keyed))
    @rule(data=st.data())
    def repeat_a_keyed_command(self, data: st.DataObject) -> None:
        command, original = data.draw(st.sampled_from(self.keyed))
        before = self.world()
        again = command()
        assert again.replayed and again.events == original.events and again.case.id == original.case.id
        assert self.world() == before

    @rule(minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # -- invariants -----------------------------------------------------------------------------------

    @invariant()
    def every_case_is_consistent(self) -> None:
        for case_id, (case, events, _) in self.world().items():
            lifecycle = lifecycle_for(case.kind)
            assert case.status in lifecycle.statuses
            assert (case.status in lifecycle.final) == case.is_closed
            assert [e.version for e in events] == list(range(1, case.version + 1))
            assert fold(events) == case == self.app.storage.load(case_id)
            if case.is_closed:
                closed_at_version, snapshot = self.closed.setdefault(case_id, (case.version, case))
                assert frozen_part(case) == frozen_part(snapshot), "a closed case changed"
                later = events[closed_at_version:]
                assert all(e.kind is EventKind.TICKET_RATED for e in later) and len(later) <= 1
            else:
                assert case_id not in self.closed, "a closed case was reopened"

    @invariant()
    def customers_never_see_internal_notes_or_others_cases(self) -> None:
        cases = {c.id: c for c in self.app.list_cases(AUDITOR, limit=1000).items}
        for customer in CUSTOMER_ACTORS:
            listed = {c.id: c for c in self.app.list_cases(customer, limit=1000).items}
            assert set(listed) == {i for i, c in cases.items() if c.customer_id == customer.id}
            for case_id, case in cases.items():
                if case.customer_id != customer.id:
                    self.assert_hidden(customer, case_id)
                    continue
                public = case.public_messages()
                assert listed[case_id].messages == public
                view = self.app.get_case(customer, case_id)
                assert view.messages == public and not any(m.internal for m in view.messages)
                activity = self.app.activity(customer, case_id)
                assert not any(e.kind is EventKind.MESSAGE_ADDED and e.payload.get("internal") for e in activity)
                assert [e for e in self.app.storage.events(case_id) if e not in activity] == [
                    e for e in self.app.storage.events(case_id) if e.payload.get("internal")
                ]

    @invariant()
    def merchants_see_only_their_store(self) -> None:
        cases = {c.id: c for c in self.app.list_cases(AUDITOR, limit=1000).items}
        for merchant in MERCHANTS:
            listed = {c.id for c in self.app.list_cases(merchant, limit=1000).items}
            assert listed == {i for i, c in cases.items() if c.store_id == merchant.store_id}
            for case_id, case in cases.items():
                if case.store_id != merchant.store_id:
                    self.assert_hidden(merchant, case_id)
                else:
                    assert self.app.get_case(merchant, case_id) == case

    def assert_hidden(self, actor: Actor, case_id: str) -> None:
        for read in (self.app.get_case, self.app.activity, self.app.allowed_events):
            try:
                read(actor, case_id)
            except CaseNotFound:
                continue
            raise AssertionError(f"{actor} can read {case_id}")


ResolveKitMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestResolveKitStateful = ResolveKitMachine.TestCase
