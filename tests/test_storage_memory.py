"""The in-memory backend's own bookkeeping (the storage contract itself: tests/test_storage_conformance.py)."""

from __future__ import annotations

from datetime import timedelta

import attrs

from resolvekit.plugins.memory import _HEAP_SLACK, MemoryStorage
from resolvekit.testing.conformance import T0, _note_commit, _ticket_commit


def test_the_index_heaps_stay_bounded_while_times_move() -> None:
    storage = MemoryStorage()
    commit = attrs.evolve(_ticket_commit("T-1", "store-1", "cust-1"), next_deadline=T0, next_offer_step=T0)
    storage.commit(commit)
    storage.commit(attrs.evolve(_ticket_commit("T-2", "store-1", "cust-1"), next_deadline=T0, next_offer_step=T0))
    case = commit.case
    last = T0
    for n in range(1, 400):
        last = T0 + timedelta(minutes=n)
        commit = attrs.evolve(_note_commit(case, f"note {n}", T0), next_deadline=last, next_offer_step=last)
        storage.commit(commit)
        case = commit.case
        assert len(storage._deadline_heap) <= 2 * 2 + _HEAP_SLACK
        assert len(storage._offer_heap) <= 2 * 2 + _HEAP_SLACK
    until = T0 + timedelta(days=1)
    assert [(r.case_id, r.next_deadline) for r in storage.due(until)] == [("T-2", T0), ("T-1", last)]
    assert [(r.case_id, r.next_deadline) for r in storage.offers_due(until)] == [("T-2", T0), ("T-1", last)]


def test_a_repeated_deadline_is_listed_once() -> None:
    storage = MemoryStorage()
    commit = attrs.evolve(_ticket_commit("T-1", "store-1", "cust-1"), next_deadline=T0)
    storage.commit(commit)
    storage.commit(attrs.evolve(_note_commit(commit.case, "again", T0), next_deadline=T0))
    assert [(r.case_id, r.next_deadline) for r in storage.due(T0)] == [("T-1", T0)]
    assert [(r.case_id, r.next_deadline) for r in storage.due(T0)] == [("T-1", T0)]  # reading keeps the live entry
