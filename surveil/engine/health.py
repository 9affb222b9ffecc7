"""Per-camera health for the CLI and the status bar: rates, drops, stage times, alert latency."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from surveil.metrics import RateMeter


@dataclass
class CameraHealth:
    """Counters the analysis thread updates and anyone may read."""

    camera_id: str
    analysed: RateMeter = field(default_factory=RateMeter)
    frames_analysed: int = 0
    stage_ms: dict[str, float] = field(default_factory=dict)
    stage_total_ms: dict[str, float] = field(default_factory=dict)  # summed since the camera opened (profiles)
    errors: int = 0
    detected: int = 0
    deferred: int = 0  # detections the gate asked for that waited for a later frame (an overloaded machine)

    def record(self, t_mono: float, timings: dict[str, float], error: str | None, detected: bool = False,
               deferred: bool = False) -> None:
        """One analysed frame: rates and an exponential average of stage times."""
        self.analysed.tick(t_mono)
        self.frames_analysed += 1
        self.errors += error is not None
        self.detected += detected and error is None
        self.deferred += deferred
        for stage, ms in timings.items():
            self.stage_ms[stage] = ms if stage not in self.stage_ms else 0.9 * self.stage_ms[stage] + 0.1 * ms
            self.stage_total_ms[stage] = self.stage_total_ms.get(stage, 0.0) + ms


class Latency:
    """Alert latency: from the frame that raised an event to the event being on disk."""

    def __init__(self, keep: int = 2000):
        self._values: deque[float] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Record one latency."""
        with self._lock:
            self._values.append(seconds)

    def percentiles(self) -> dict[str, float | None]:
        """p50 and p95 in seconds (None before the first alert)."""
        with self._lock:
            values = list(self._values)
        if not values:
            return {"p50": None, "p95": None, "count": 0}
        return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)),
                "count": len(values)}
