"""Watching the engine's threads and rules: every failure is counted, announced, and restarted where safe.

A thread body that raises is not allowed to vanish: the watch logs it, counts it (``health()``
shows the counts), tells listeners with a ``thread_error`` notice and, for parts whose state
survives a restart (the store writer, the recorder, webhooks, retention), runs the body again
after a pause that grows with repeated failures.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from surveil.engine.alerts import EngineNotice

logger = logging.getLogger(__name__)

RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
REPEAT_NOTICE_S = 60.0  # a failure that repeats every round is announced once a minute, counted every time


@dataclass
class Failures:
    """What went wrong in one part: how often, the latest reason, and whether it is running now."""

    count: int = 0
    last_error: str = ""
    last_at: float = 0.0
    announced_at: float = -REPEAT_NOTICE_S
    running: bool = True

    def as_dict(self) -> dict:
        """For ``health()``."""
        return {"failures": self.count, "last_error": self.last_error, "running": self.running,
                "last_at": round(self.last_at, 3) if self.count else None}


class Watch:
    """Shared by the engine's parts; thread-safe."""

    def __init__(self, notify: Callable[[EngineNotice], None]):
        self._notify = notify
        self._lock = threading.Lock()
        self._parts: dict[str, Failures] = {}

    def failed(self, part: str, error: BaseException | str, kind: str = "thread_error",
               camera_id: str | None = None) -> None:
        """Count one failure of ``part`` and announce it (at most once a minute while it repeats)."""
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        now = time.time()
        with self._lock:
            entry = self._parts.setdefault(part, Failures())
            entry.count += 1
            entry.last_error, entry.last_at = reason, now
            announce = now - entry.announced_at >= REPEAT_NOTICE_S
            if announce:
                entry.announced_at = now
        if announce:
            self._notify(EngineNotice(kind, f"{part} failed: {reason}", camera_id=camera_id,
                                      detail={"part": part, "failures": entry.count}))

    def set_running(self, part: str, running: bool) -> None:
        """Mark a part as running or stopped (a thread that ended for good)."""
        with self._lock:
            self._parts.setdefault(part, Failures()).running = running

    def forget(self, part: str) -> None:
        """A part that no longer exists (a removed rule)."""
        with self._lock:
            self._parts.pop(part, None)

    def status(self) -> dict:
        """Every part that has failed at least once."""
        with self._lock:
            return {name: f.as_dict() for name, f in self._parts.items() if f.count or not f.running}

    def target(self, part: str, body: Callable[[], None], stopping: Callable[[], bool],
               restart: bool = True) -> Callable[[], None]:
        """A thread target that runs ``body``; if it raises, counts, announces and (if ``restart``) runs it again."""

        def run() -> None:
            delay = RESTART_FIRST_S
            while True:
                try:
                    body()
                    return
                except Exception as exc:
                    logger.exception("%s thread failed", part)
                    self.failed(part, exc)
                if not restart or stopping():
                    self.set_running(part, False)
                    return
                logger.warning("restarting %s in %.0f s", part, delay)
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline and not stopping():  # a stop is not held up by the pause
                    time.sleep(0.1)
                delay = min(delay * 2, RESTART_MAX_S)

        return run
