"""A notifier that records what it would send instead of sending it (for demos, tests and notebooks)."""

from __future__ import annotations

import attrs

from resolvekit.domain.notifications import Notification
from resolvekit.hookspecs import hookimpl

__all__ = ["RecordingNotifier", "SentMessage"]


@attrs.frozen
class SentMessage:
    """One recorded delivery: the notification and its English subject and body."""

    notification: Notification
    subject: str
    body: str


@attrs.define
class RecordingNotifier:
    """Delivers every channel by appending to :attr:`sent`. Pass an instance in ``plugins=``.

    ``channels`` limits which channels it accepts (``None``: all).
    """

    channels: frozenset[str] | None = None
    sent: list[SentMessage] = attrs.field(factory=list)

    @hookimpl
    def resolvekit_deliver(self, notification: Notification) -> str | None:
        """Record ``notification`` if its channel is accepted."""
        if self.channels is not None and notification.channel not in self.channels:
            return None
        subject, body = notification.render()
        self.sent.append(SentMessage(notification, subject, body))
        return f"recorded:{len(self.sent)}"
