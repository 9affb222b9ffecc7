"""A source's state, with the reason an operator needs when it is not live."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field


class SourceState(enum.Enum):
    """Where a capture source is in its life."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def final(self) -> bool:
        """True for states the source never leaves."""
        return self in (SourceState.ENDED, SourceState.FAILED, SourceState.STOPPED)


@dataclass(frozen=True)
class SourceStatus:
    """A snapshot of one source's state. ``retry_at`` (monotonic) lets a GUI show a countdown."""

    camera_id: str
    state: SourceState
    reason: str = ""
    attempt: int = 0
    retry_at: float | None = None
    since: float = field(default_factory=time.monotonic)

    def describe(self) -> str:
        """One line for a log or a status bar."""
        text = f"{self.camera_id}: {self.state.value}"
        if self.reason:
            text += f" ({self.reason})"
        if self.retry_at is not None:
            text += f", attempt {self.attempt}, next try in {max(0.0, self.retry_at - time.monotonic()):.1f} s"
        return text
