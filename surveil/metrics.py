"""Small thread-safe counters shared by capture, analysis and the GUI's status bar."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateMeter:
    """Events per second over a sliding window of monotonic time."""

    def __init__(self, window_s: float = 2.0, clock=time.monotonic):
        self._window = window_s
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, t: float | None = None) -> None:
        """Record one event at ``t`` (now by default)."""
        with self._lock:
            self._times.append(self._clock() if t is None else t)
            self._trim(self._times[-1])

    def rate(self) -> float:
        """Events per second in the window that ends now; 0 with fewer than two events."""
        with self._lock:
            self._trim(self._clock())
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self._window:
            self._times.popleft()
