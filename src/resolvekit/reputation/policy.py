"""The reputation policy: which exclusions apply and how claim facts are judged.

Every setting has a documented default taken from ``DOMAIN.md`` section 6. Bad settings fail here, at
construction, with :class:`~resolvekit.errors.ConfigurationError`: never mid-computation.

The level policies (account health, colour levels, top/standard/below) live in
:mod:`resolvekit.reputation.levels`; this one decides what *counts*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "NEVER_EXCLUDED",
    "OUTCOME_EXCLUSIONS",
    "PROTECTED_CLAIM_REASONS",
    "ReputationPolicy",
]

NEVER_EXCLUDED: frozenset[str] = frozenset(
    {
        "product_defect",
        "different_product",
        "missing_parts",
        "not_shipped",
        "shipped_late",
        "message_not_answered",
    }
)
"""Causes that always count against the seller (DOMAIN 6): defective or different item, missing parts,
not shipped or shipped late, messages not answered in time. None of them may be an exclusion reason:
a policy listing one in :attr:`ReputationPolicy.exclusions` is a configuration error."""

PROTECTED_CLAIM_REASONS: frozenset[str] = frozenset({"product_defect", "different_product", "missing_parts"})
"""Claim reasons that no cause-based exclusion (remorse, mistake, incident...) can excuse. A claim with
one of these reasons still stops counting when the seller resolved it within 72 h: that rule rewards
the fix, not the excuse ([004] applies it to every claim)."""

OUTCOME_EXCLUSIONS: frozenset[str] = frozenset({"resolved_within_72h"})
"""Exclusions earned by what the seller did (not by the cause): they apply to protected claims too."""

DEFAULT_EXCLUSIONS: frozenset[str] = frozenset(
    {"buyers_remorse", "buyers_mistake", "resolved_within_72h", "carrier_delay", "platform_incident"}
)
"""The exclusions DOMAIN 6 lists: buyer's remorse [004], buyer's mistake, claims resolved within 72 h
[004], carrier delay when dispatched on time, platform incidents."""


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ConfigurationError(N_("Expected a set of reason names, not the single string {value!r}."), value=value)
    return frozenset(value)


def _valid_names(_: object, attribute: attrs.Attribute[frozenset[str]], value: frozenset[str]) -> None:
    for reason in value:
        if not isinstance(reason, str) or not reason.strip() or reason != reason.strip():
            raise ConfigurationError(
                N_("ReputationPolicy.{field} holds {value!r}; every entry must be a non-empty name without spaces around it."),
                field=attribute.name,
                value=reason,
            )


def _whole(low: int, high: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(_: object, attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigurationError(
                N_("ReputationPolicy.{field} must be a whole number from {low} to {high}, got {value!r}."),
                field=attribute.name,
                low=low,
                high=high,
                value=value,
            )

    return check


@attrs.frozen
class ReputationPolicy:
    """What counts against a seller, and how claim facts are judged. Defaults follow DOMAIN 6.

    Attributes:
        exclusions: the exclusion reasons in force. An item (a claim, a cancellation, a late delivery,
            a feedback, a chargeback) that carries one of them still appears in the raw count but not
            in the count that affects reputation. Default :data:`DEFAULT_EXCLUSIONS`; a host may add
            its own names (and report them on facts with ``exclusion=...``) or drop some. Listing a
            name of :data:`NEVER_EXCLUDED` raises :class:`~resolvekit.errors.ConfigurationError`.
        remorse_reasons: claim reasons that carry the ``buyers_remorse`` exclusion (default
            ``{"buyers_remorse"}``). None of :data:`PROTECTED_CLAIM_REASONS` may be listed.
        negative_feedback_max_stars: feedback at or below this many stars is a defect (default 2:
            1-2 stars, DOMAIN 6).
        resolution_hours: a claim closed within this many hours of being opened, by the seller's
            resolution or the buyer's withdrawal, carries ``resolved_within_72h`` (default 72, [004]).
        response_hours: a claim whose first merchant response came within this many hours of the
            claim reaching the merchant counts as answered in time (default 24, [002]).
        window_days: the default rolling window of :meth:`metrics` calls, in days (default 60).
    """

    exclusions: frozenset[str] = attrs.field(default=DEFAULT_EXCLUSIONS, converter=_names, validator=_valid_names)
    remorse_reasons: frozenset[str] = attrs.field(default=frozenset({"buyers_remorse"}), converter=_names, validator=_valid_names)
    negative_feedback_max_stars: int = attrs.field(default=2, validator=_whole(1, 4))
    resolution_hours: int = attrs.field(default=72, validator=_whole(1, 24 * 365))
    response_hours: int = attrs.field(default=24, validator=_whole(1, 24 * 365))
    window_days: int = attrs.field(default=60, validator=_whole(1, 3660))

    def __attrs_post_init__(self) -> None:
        forbidden = sorted(self.exclusions & NEVER_EXCLUDED)
        if forbidden:
            raise ConfigurationError(
                N_(
                    "ReputationPolicy.exclusions lists {names}, which DOMAIN 6 says are never excluded "
                    "(defective or different item, missing parts, not shipped or shipped late, messages "
                    "not answered in time). Remove them."
                ),
                names=", ".join(forbidden),
            )
        protected = sorted(self.remorse_reasons & (PROTECTED_CLAIM_REASONS | NEVER_EXCLUDED))
        if protected:
            raise ConfigurationError(
                N_("ReputationPolicy.remorse_reasons lists {names}, which are never excluded. Remove them."),
                names=", ".join(protected),
            )

    def excludes(self, reason: str) -> bool:
        """Whether ``reason`` is an exclusion in force under this policy."""
        return reason in self.exclusions
