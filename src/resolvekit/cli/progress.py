"""A progress bar on standard error, drawn only when standard error is a terminal (standard library only)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``Progress(total, "triage")``: call :meth:`update` with the work done so far, then :meth:`close`.

    Nothing is written unless ``stream`` (default: standard error) is a terminal, so piped output
    and log files stay clean. Redraws at most ten times a second. Use it as a context manager.
    """

    def __init__(self, total: float | None, label: str, *, stream: TextIO | None = None, enabled: bool | None = None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.total = total if total and total > 0 else None
        self.label = label
        self.width = width
        self._drawn = 0.0
        self._started = time.monotonic()
        self.done: float = 0

    def update(self, done: float, *, note: str = "") -> None:
        """Record that ``done`` units of the total are finished, redrawing now and then."""
        self.done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn < 0.1 and not (self.total and done >= self.total):
            return
        self._drawn = now
        elapsed = now - self._started
        if self.total:
            share = min(1.0, done / self.total)
            filled = int(share * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            text = f"\r{self.label} [{bar}] {share:4.0%} {note} {elapsed:5.1f}s"
        else:
            text = f"\r{self.label} {done:,.0f} {note} {elapsed:5.1f}s"
        self.stream.write(text.ljust(79)[:200])
        self.stream.flush()

    def close(self) -> None:
        """Clear the bar's line (when one was drawn)."""
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
        self._drawn = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
