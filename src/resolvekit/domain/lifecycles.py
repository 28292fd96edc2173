"""The case lifecycles, declared once with python-statemachine.

These classes are the single source of truth for statuses, events and who may fire them. The
diagrams in ``docs/`` are rendered from them, and the fast table the command path uses
(:mod:`resolvekit.domain.transitions`) is derived from them and proven equal by a property test.

Every guard is a named predicate of ``(role, policy)`` from :data:`GUARDS`; the machine methods below
only delegate to it, so the declared machine and the derived table cannot disagree on a rule.
"""

# python-statemachine leaves `State.to.itself` unannotated; the calls below are its public API.
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Callable

from statemachine import State, StateMachine

from resolvekit.domain.actors import Role
from resolvekit.domain.policy import Policy

__all__ = ["GUARDS", "ComplaintLifecycle", "HelpRequestLifecycle", "OfferLifecycle", "TicketLifecycle"]

Guard = Callable[[Role, Policy], bool]

# Enum members bound to module names: on Python 3.11 each ``Role.X`` lookup goes through
# ``EnumType.__getattr__`` (about 0.1 us), and these run on every command.
_CUSTOMER, _MERCHANT, _PLATFORM, _SYSTEM = Role.CUSTOMER, Role.MERCHANT, Role.PLATFORM, Role.SYSTEM

GUARDS: dict[str, Guard] = {
    "by_customer": lambda role, policy: role is _CUSTOMER,
    "by_merchant": lambda role, policy: role is _MERCHANT,
    "by_platform": lambda role, policy: role is _PLATFORM,
    "by_staff": lambda role, policy: role is _MERCHANT or role is _PLATFORM,
    "by_reviewer": lambda role, policy: role is _PLATFORM or role is _SYSTEM,
    "may_close_complaint": lambda role, policy: role in policy.complaint_closers,
    "may_close_ticket": lambda role, policy: role in policy.ticket_closers,
    "by_system": lambda role, policy: role is _SYSTEM,
    "by_operator": lambda role, policy: role is _MERCHANT or role is _PLATFORM or role is _SYSTEM,
    "accept_closes": lambda role, policy: policy.offers.accept_closes_complaint,
    "may_escalate": lambda role, policy: role in policy.sla.escalators,
    "by_party": lambda role, policy: role is _CUSTOMER or role is _MERCHANT,
    "may_auto_close": lambda role, policy: role is _SYSTEM and policy.sla.auto_close_after is not None,
}
"""Guard name -> predicate of ``(role, policy)``. Lifecycles name guards only from this table."""


class _Guards:
    """Machine-side guard methods; each delegates to :data:`GUARDS`."""

    def by_customer(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_customer"](role, policy)

    def by_merchant(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_merchant"](role, policy)

    def by_platform(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_platform"](role, policy)

    def by_staff(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_staff"](role, policy)

    def by_reviewer(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_reviewer"](role, policy)

    def may_close_complaint(self, role: Role, policy: Policy) -> bool:
        return GUARDS["may_close_complaint"](role, policy)

    def may_close_ticket(self, role: Role, policy: Policy) -> bool:
        return GUARDS["may_close_ticket"](role, policy)

    def by_system(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_system"](role, policy)

    def by_operator(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_operator"](role, policy)

    def accept_closes(self, role: Role, policy: Policy) -> bool:
        return GUARDS["accept_closes"](role, policy)

    def may_escalate(self, role: Role, policy: Policy) -> bool:
        return GUARDS["may_escalate"](role, policy)

    def by_party(self, role: Role, policy: Policy) -> bool:
        return GUARDS["by_party"](role, policy)

    def may_auto_close(self, role: Role, policy: Policy) -> bool:
        return GUARDS["may_auto_close"](role, policy)


class ComplaintLifecycle(_Guards, StateMachine):
    """A complaint (DOMAIN section 2): platform review, then merchant and customer take turns.

    Only the roles in ``Policy.complaint_closers`` (by default only the customer) close it; closed
    is final. Accepting a resolution offer (or the platform imposing one) closes the complaint when
    ``Policy.offers.accept_closes_complaint`` says so (the default); otherwise the complaint waits
    for the merchant to carry the offer out.
    """

    under_platform_review = State(initial=True)
    waiting_for_merchant_response = State()
    waiting_for_customer_response = State()
    closed = State(final=True)

    pass_review = under_platform_review.to(waiting_for_merchant_response, cond="by_reviewer")

    customer_reply = (
        under_platform_review.to.itself(cond="by_customer")
        | waiting_for_merchant_response.to.itself(cond="by_customer")
        | waiting_for_customer_response.to(waiting_for_merchant_response, cond="by_customer")
    )
    merchant_reply = waiting_for_merchant_response.to(
        waiting_for_customer_response, cond="by_merchant"
    ) | waiting_for_customer_response.to.itself(cond="by_merchant")
    platform_reply = (
        under_platform_review.to.itself(cond="by_platform")
        | waiting_for_merchant_response.to.itself(cond="by_platform")
        | waiting_for_customer_response.to.itself(cond="by_platform")
    )
    add_note = (
        under_platform_review.to.itself(cond="by_staff")
        | waiting_for_merchant_response.to.itself(cond="by_staff")
        | waiting_for_customer_response.to.itself(cond="by_staff")
    )
    propose_resolution = waiting_for_merchant_response.to(
        waiting_for_customer_response, cond="by_staff"
    ) | waiting_for_customer_response.to.itself(cond="by_staff")
    accept_resolution = (
        waiting_for_customer_response.to(closed, cond=["by_customer", "accept_closes"])
        | waiting_for_merchant_response.to(closed, cond=["by_customer", "accept_closes"])
        | waiting_for_customer_response.to(waiting_for_merchant_response, cond="by_customer")
        | waiting_for_merchant_response.to.itself(cond="by_customer")
    )
    impose_resolution = (
        waiting_for_merchant_response.to(closed, cond=["by_platform", "accept_closes"])
        | waiting_for_customer_response.to(closed, cond=["by_platform", "accept_closes"])
        | waiting_for_merchant_response.to.itself(cond="by_platform")
        | waiting_for_customer_response.to(waiting_for_merchant_response, cond="by_platform")
    )
    close = (
        under_platform_review.to(closed, cond="may_close_complaint")
        | waiting_for_merchant_response.to(closed, cond="may_close_complaint")
        | waiting_for_customer_response.to(closed, cond="may_close_complaint")
    )
    # Deadlines and escalation (docs/sla.md): escalating records who and why without changing whose
    # turn it is; the system records missed deadlines and warnings; auto-close needs the policy.
    escalate = (
        under_platform_review.to.itself(cond="may_escalate")
        | waiting_for_merchant_response.to.itself(cond="may_escalate")
        | waiting_for_customer_response.to.itself(cond="may_escalate")
    )
    flag_safety_issue = (
        under_platform_review.to.itself(cond="by_party")
        | waiting_for_merchant_response.to.itself(cond="by_party")
        | waiting_for_customer_response.to.itself(cond="by_party")
    )
    dispute_policy = (
        under_platform_review.to.itself(cond="by_party")
        | waiting_for_merchant_response.to.itself(cond="by_party")
        | waiting_for_customer_response.to.itself(cond="by_party")
    )
    record_deadline = (
        under_platform_review.to.itself(cond="by_system")
        | waiting_for_merchant_response.to.itself(cond="by_system")
        | waiting_for_customer_response.to.itself(cond="by_system")
    )
    auto_close = waiting_for_customer_response.to(closed, cond="may_auto_close")


class TicketLifecycle(_Guards, StateMachine):
    """A self-service ticket (DOMAIN section 3): replies both ways, internal notes, customer closes.

    Rating is feedback on a closed ticket, not a lifecycle step: closed is final here too.

    A ticket starts in the status its ticket type declares: ``under_merchant_review`` (the initial
    status, for types the merchant handles) or ``under_platform_review`` (for types routed to the
    platform team, such as "payment deducted without an order", which need no merchant action).
    A platform-routed ticket stays with the platform: only the platform replies (the reply event
    keeps the ticket's name ``merchant_reply``) and adds notes, and the customer replies or closes.
    Because a platform-routed ticket is opened straight into its status, that status is not reached
    from the initial one, so the machine allows that disconnected start.
    """

    validate_disconnected_states = False

    under_merchant_review = State(initial=True)
    waiting_for_customer_response = State()
    under_platform_review = State()
    closed = State(final=True)

    customer_reply = (
        under_merchant_review.to.itself(cond="by_customer")
        | waiting_for_customer_response.to(under_merchant_review, cond="by_customer")
        | under_platform_review.to.itself(cond="by_customer")
    )
    merchant_reply = (
        under_merchant_review.to(waiting_for_customer_response, cond="by_staff")
        | waiting_for_customer_response.to.itself(cond="by_staff")
        | under_platform_review.to.itself(cond="by_platform")
    )
    add_note = (
        under_merchant_review.to.itself(cond="by_staff")
        | waiting_for_customer_response.to.itself(cond="by_staff")
        | under_platform_review.to.itself(cond="by_platform")
    )
    close = (
        under_merchant_review.to(closed, cond="may_close_ticket")
        | waiting_for_customer_response.to(closed, cond="may_close_ticket")
        | under_platform_review.to(closed, cond="may_close_ticket")
    )
    escalate = (
        under_merchant_review.to.itself(cond="may_escalate")
        | waiting_for_customer_response.to.itself(cond="may_escalate")
        | under_platform_review.to.itself(cond="may_escalate")
    )
    flag_safety_issue = (
        under_merchant_review.to.itself(cond="by_party")
        | waiting_for_customer_response.to.itself(cond="by_party")
        | under_platform_review.to.itself(cond="by_party")
    )
    dispute_policy = (
        under_merchant_review.to.itself(cond="by_party")
        | waiting_for_customer_response.to.itself(cond="by_party")
        | under_platform_review.to.itself(cond="by_party")
    )
    record_deadline = (
        under_merchant_review.to.itself(cond="by_system")
        | waiting_for_customer_response.to.itself(cond="by_system")
        | under_platform_review.to.itself(cond="by_system")
    )
    auto_close = waiting_for_customer_response.to(closed, cond="may_auto_close")


class HelpRequestLifecycle(_Guards, StateMachine):
    """A self-service help request the delayed-order triage answered at once (DOMAIN section 3).

    It is recorded already ``answered``, which is final: the customer was sent a tracking link or
    the order details, and nothing can be added. A follow-up is a ticket, not a reply here.
    """

    answered = State(initial=True, final=True)


class OfferLifecycle(_Guards, StateMachine):
    """A resolution offer (DOMAIN section 4), inside its complaint.

    The merchant or the platform proposes; the customer accepts or rejects it (with a reason), the
    proposer's side may withdraw it before acceptance, and the system expires it at the policy's
    deadline. The platform may impose it instead of the customer accepting. Once accepted, an
    operator (the host's worker as the system actor, or staff) executes it through the host's hooks:
    a return first waits for the item to come back when the policy says so; a failed execution stays
    visible and may be retried.

    The platform may cancel an offer that was accepted but is not being carried out yet, or whose
    execution failed: it goes to ``cancelled`` (final), releases the money it held against the order
    and is never executed or retried. Only the platform, which mediates the complaint: the customer
    already accepted (and the complaint is usually closed), so the merchant may not take the
    resolution back alone. The command also refuses an offer with a completed money step.
    """

    proposed = State(initial=True)
    accepted = State()
    executing = State()
    awaiting_return = State()
    failed = State()
    executed = State(final=True)
    rejected = State(final=True)
    withdrawn = State(final=True)
    expired = State(final=True)
    cancelled = State(final=True)

    accept = proposed.to(accepted, cond="by_customer")
    impose = proposed.to(accepted, cond="by_platform")
    reject = proposed.to(rejected, cond="by_customer")
    withdraw = proposed.to(withdrawn, cond="by_staff")
    expire = proposed.to(expired, cond="by_system")
    execute = (
        accepted.to(executing, cond="by_operator")
        | failed.to(executing, cond="by_operator")
        | executing.to.itself(cond="by_operator")
    )
    await_return = executing.to(awaiting_return, cond="by_operator")
    receive_return = awaiting_return.to(executing, cond="by_operator")
    succeed = executing.to(executed, cond="by_operator")
    fail = executing.to(failed, cond="by_operator")
    cancel = accepted.to(cancelled, cond="by_platform") | failed.to(cancelled, cond="by_platform")
