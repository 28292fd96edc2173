"""What the command groups of :class:`~resolvekit.ResolveKit` use of the application object.

``ResolveKit`` is assembled from command groups (offers, SLA, self-service, guest access,
attachments, communication), each a mixin in its own module. They all call the same few members of
the application (its storage, policy, plugins, clock and command path); :class:`CommandHost`
declares those once for type checkers. At run time it is an empty base class.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resolvekit.application import CommandResult
    from resolvekit.domain.actors import Actor
    from resolvekit.domain.cases import Case
    from resolvekit.domain.events import CaseEvent
    from resolvekit.domain.policy import Policy
    from resolvekit.plugin_host import PluginHost
    from resolvekit.storage import Storage

__all__ = ["CommandHost"]


class CommandHost:
    """The members of the application object every command group relies on (declared, not defined)."""

    if TYPE_CHECKING:
        storage: Storage
        policy: Policy
        plugins: PluginHost

        def now(self) -> datetime: ...

        def _visible(self, actor: Actor, case_id: str) -> Case: ...

        def _as_seen_by(self, actor: Actor, case: Case) -> Case: ...

        def _run(
            self,
            actor: Actor,
            case_id: str | None,
            decide: Callable[[Case | None, datetime], list[CaseEvent]],
            key: str | None,
            fingerprint: Callable[[], str],
        ) -> CommandResult: ...

        def _command(
            self,
            name: str,
            actor: Actor,
            case_id: str,
            key: str | None,
            decide: Callable[..., list[CaseEvent]],
            *args: Any,
            **kwargs: Any,
        ) -> CommandResult: ...
