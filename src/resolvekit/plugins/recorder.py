"""A notifier that records what it would send instead of sending it (for demos, tests and notebooks)."""

from __future__ import annotations

import attrs

from resolvekit.domain.notifications import Notification
from resolvekit.hookspecs import hookimpl
from resolvekit.localization import RenderedMessage, builtin_localizer

__all__ = ["RecordingNotifier", "SentMessage"]


@attrs.frozen
class SentMessage:
    """One recorded delivery: the notification, its subject and body as the recipient reads them,
    and the whole rendered message (locale, time zone, channel text, translation)."""

    notification: Notification
    subject: str
    body: str
    message: RenderedMessage | None = None

    @property
    def locale(self) -> str:
        """The locale the message was rendered in."""
        return self.message.locale if self.message is not None else "en"

    @property
    def text(self) -> str:
        """What the channel would send (the SMS text, the chat message, or the email body)."""
        return self.message.text if self.message is not None else self.body


@attrs.define
class RecordingNotifier:
    """Delivers every channel by appending to :attr:`sent`. Pass an instance in ``plugins=``.

    ``channels`` limits which channels it accepts (``None``: all).
    """

    channels: frozenset[str] | None = None
    sent: list[SentMessage] = attrs.field(factory=list)

    @hookimpl
    def resolvekit_deliver(self, notification: Notification, message: RenderedMessage | None) -> str | None:
        """Record ``notification`` as rendered for its recipient, if its channel is accepted."""
        if self.channels is not None and notification.channel not in self.channels:
            return None
        if not isinstance(message, RenderedMessage):
            message = builtin_localizer().render_notification(notification)
        self.sent.append(SentMessage(notification, message.subject, message.body, message))
        return f"recorded:{len(self.sent)}"
