"""Reputation: seller metrics, windows, exclusions, levels and explanations (DOMAIN section 6).

Facts come in (:class:`OrderFact` from the host, :class:`ClaimFact` from resolvekit's own activity
log via :func:`claim_from_events`); figures come out, from either source:

* :class:`ReputationAggregator`: updated per fact in constant time, for a live service;
* :class:`BatchReputation`: over a whole history held as columns, for a notebook or a nightly job.

Both answer the same questions identically: :meth:`~ReputationSource.metrics`,
:meth:`~ReputationSource.account_health`, :meth:`~ReputationSource.colour_levels`,
:meth:`~ReputationSource.tiered_levels`, :meth:`~ReputationSource.rank`,
:meth:`~ReputationSource.explain` and :meth:`~ReputationSource.what_if`. See ``docs/reputation.md``.
"""

from resolvekit.reputation.aggregator import ReputationAggregator
from resolvekit.reputation.batch import BatchReputation, ClaimTable, OrderTable
from resolvekit.reputation.estimates import Ranked, beta_estimate, rank, wilson_lower_bound, wilson_upper_bound
from resolvekit.reputation.explain import (
    AddOrders,
    AddValidTracking,
    AnswerWithin24h,
    Change,
    ExcuseOrders,
    ExplainedItem,
    Explanation,
    RemoveFeedback,
    ResolveWithin72h,
    ShipOnTime,
    WhatIf,
)
from resolvekit.reputation.facts import (
    ClaimFact,
    ClaimOutcome,
    OrderFact,
    OrderFactKind,
    ResponseState,
    claim_from_events,
    claims_from_logs,
)
from resolvekit.reputation.levels import (
    AccountHealth,
    AccountHealthPolicy,
    ColourLevel,
    ColourLevelPolicy,
    ColourThreshold,
    HealthBand,
    Tier,
    TieredLevel,
    TieredLevelPolicy,
)
from resolvekit.reputation.metrics import METRICS, Figure, Metric, MetricsReport, Totals, format_rate
from resolvekit.reputation.orders import Assessor, Item, OrderFlag, OrderRecord, flags_of, stars_of
from resolvekit.reputation.policy import DEFAULT_EXCLUSIONS, NEVER_EXCLUDED, ReputationPolicy
from resolvekit.reputation.sources import ReputationSource
from resolvekit.reputation.windows import Window

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "METRICS",
    "NEVER_EXCLUDED",
    "AccountHealth",
    "AccountHealthPolicy",
    "AddOrders",
    "AddValidTracking",
    "AnswerWithin24h",
    "Assessor",
    "BatchReputation",
    "Change",
    "ClaimFact",
    "ClaimOutcome",
    "ClaimTable",
    "ColourLevel",
    "ColourLevelPolicy",
    "ColourThreshold",
    "ExcuseOrders",
    "ExplainedItem",
    "Explanation",
    "Figure",
    "HealthBand",
    "Item",
    "Metric",
    "MetricsReport",
    "OrderFact",
    "OrderFactKind",
    "OrderFlag",
    "OrderRecord",
    "OrderTable",
    "Ranked",
    "RemoveFeedback",
    "ReputationAggregator",
    "ReputationPolicy",
    "ReputationSource",
    "ResolveWithin72h",
    "ResponseState",
    "ShipOnTime",
    "Tier",
    "TieredLevel",
    "TieredLevelPolicy",
    "Totals",
    "WhatIf",
    "Window",
    "beta_estimate",
    "claim_from_events",
    "claims_from_logs",
    "flags_of",
    "format_rate",
    "rank",
    "stars_of",
    "wilson_lower_bound",
    "wilson_upper_bound",
]
