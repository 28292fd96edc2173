"""The lifecycle diagrams in docs/ are what python-statemachine renders from the code now."""

from __future__ import annotations

import types
from pathlib import Path

from statemachine import State, StateMachine

from resolvekit.diagrams import lifecycle_machines, lifecycles_markdown, render_mermaid
from resolvekit.domain import lifecycles

DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycles.md"


def test_committed_lifecycle_diagrams_match_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == lifecycles_markdown(), (
        "docs/lifecycles.md is out of date with resolvekit.domain.lifecycles; run `python3 dev.py diagrams`"
    )


def test_every_state_machine_of_the_lifecycles_module_is_drawn() -> None:
    declared = {
        obj
        for name, obj in vars(lifecycles).items()
        if isinstance(obj, type) and issubclass(obj, StateMachine) and obj.__module__ == lifecycles.__name__
    }
    assert {lifecycles.ComplaintLifecycle, lifecycles.TicketLifecycle} <= declared
    assert set(lifecycle_machines()) == declared
    page = lifecycles_markdown()
    for machine in declared:
        assert f"(`{machine.__name__}`)" in page
        assert render_mermaid(machine) in page


def test_each_diagram_shows_every_status_and_transition() -> None:
    for machine in lifecycle_machines():
        diagram = render_mermaid(machine)
        assert diagram.startswith("stateDiagram-v2")
        for state in machine.states:
            assert f" as {state.id}" in diagram
            for transition in state.transitions:
                assert f"{state.id} --> {transition.target.id} :" in diagram
        initial = next(s for s in machine.states if s.initial)
        assert f"[*] --> {initial.id}" in diagram


def test_a_lifecycle_added_to_the_module_gets_its_own_section() -> None:
    module = types.ModuleType("fake_lifecycles")

    class ReturnLifecycle(StateMachine):  # type: ignore[misc]
        """A return: requested, then received."""

        requested = State(initial=True)
        received = State(final=True)
        receive = requested.to(received)

    ReturnLifecycle.__module__ = module.__name__
    module.ReturnLifecycle = ReturnLifecycle  # type: ignore[attr-defined]
    module.Imported = lifecycles.ComplaintLifecycle  # type: ignore[attr-defined]  # imported, not declared here
    assert lifecycle_machines(module) == [ReturnLifecycle]
    page = lifecycles_markdown(module)
    assert "## Return (`ReturnLifecycle`)" in page
    assert "requested --> received : Receive" in page
    assert "ComplaintLifecycle" not in page
    assert page.count("```mermaid") == 1
