"""Policy simulation for notebooks: seeded synthetic histories, replayed under policies.

::

    from resolvekit.simulation import compare, generate_history

    history = generate_history(sellers=200, orders=100_000, days=180, seed=1)
    comparison = compare(history, ["default", "response-48h", "partial-refund-first"])
    comparison.summary_frame()                 # SLA totals and final figures per policy (pandas)
    comparison.plot("order_defect_rate")       # the platform's defect rate over time (matplotlib)

* :func:`generate_history` makes a :class:`History` (orders, delays, complaints by reason, merchants'
  response times, how customers answer offers) from a seed, generated lazily;
* :func:`replay` streams it under a :class:`SimulationPolicy`, yielding a :class:`Snapshot` every
  few days; :func:`simulate` collects them (:class:`SimulationResult`), :func:`compare` does it
  for several policies (:class:`Comparison`); results are plain records, or pandas DataFrames when
  pandas is installed, and plot with matplotlib when it is installed;
* :data:`POLICIES` are ready-made policies by name (:func:`policy_named`).

The replay uses the reputation package and the SLA clocks of :mod:`resolvekit.domain.sla`; see
:mod:`resolvekit.simulation.replay` for how, and ``docs/simulation.md`` for a walkthrough.
"""

from resolvekit.simulation.history import DEFAULT_REASONS, History, HistoryConfig, SellerProfile, SimComplaint, SimOrder, generate_history
from resolvekit.simulation.policies import OFFER_KINDS, POLICIES, SimulationPolicy, policy_named
from resolvekit.simulation.replay import SLA_FIELDS, Comparison, SimulationResult, Snapshot, compare, replay, simulate

__all__ = [
    "DEFAULT_REASONS",
    "OFFER_KINDS",
    "POLICIES",
    "SLA_FIELDS",
    "Comparison",
    "History",
    "HistoryConfig",
    "SellerProfile",
    "SimComplaint",
    "SimOrder",
    "SimulationPolicy",
    "SimulationResult",
    "Snapshot",
    "compare",
    "generate_history",
    "policy_named",
    "replay",
    "simulate",
]
