"""Overload, said out loud: when analysis cannot keep up, how much it drops, since when, and what to change.

Each round takes the newest frame of every camera that has one, so a slow round costs each
camera the same share (round-robin by construction, newest first: a stale frame is worth
less than the one that replaced it). What remains is to make it visible: a share of frames
due for analysis that were replaced before analysis took them, over a window, in health,
in the status bar and in one log line at each change, instead of a cliff nobody sees.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

WINDOW_S = 5.0
OVER = 0.05  # share of due frames dropped that counts as overload
UNDER = 0.01  # and under which it has passed


@dataclass
class Overload:
    """What health shows: whether analysis is overloaded, the dropped share of the last window, since when."""

    overloaded: bool = False
    drop_share: float = 0.0
    since: float | None = None  # wall time the current overload began

    def as_dict(self) -> dict:
        """For health and the API."""
        return {"overloaded": self.overloaded, "drop_share": round(self.drop_share, 4), "since": self.since}


def detector_hint(detector) -> str:
    """A CPU detector on torch has a faster runtime to move to: how, as the end of the overload line."""
    if getattr(detector, "backend", None) != "torch" or getattr(detector, "device", None) != "cpu":
        return ""
    if importlib.util.find_spec("openvino") is None:
        return ", or install OpenVINO for the detector (pip install 'surveil[openvino]')"
    return ", or run the detector on OpenVINO (models.detector.runtime: auto or openvino)"


class OverloadWatch:
    """Fed on the analysis thread with each camera's mailbox counters; judges once a window."""

    def __init__(self, window_s: float = WINDOW_S, clock=time.monotonic, more: str = ""):
        self.state = Overload()
        self._more = more  # what else to change besides the rates (``detector_hint``)
        self._window, self._clock = window_s, clock
        self._start: float | None = None
        self._base: dict[str, tuple[int, int]] = {}

    def update(self, counters: dict[str, tuple[int, int]]) -> bool:
        """``counters``: camera id → (frames put, frames dropped) so far. True when the state changed."""
        now = self._clock()
        if self._start is None:
            self._start, self._base = now, dict(counters)
            return False
        if now - self._start < self._window:
            return False
        puts = sum(p - self._base.get(c, (0, 0))[0] for c, (p, _) in counters.items())
        drops = sum(d - self._base.get(c, (0, 0))[1] for c, (_, d) in counters.items())
        self._start, self._base = now, dict(counters)
        share = drops / puts if puts > 0 else 0.0
        return self._judge(share, len(counters))

    def _judge(self, share: float, cameras: int) -> bool:
        was = self.state.overloaded
        over = share > OVER or (was and share >= UNDER)
        self.state = Overload(over, share, (self.state.since or time.time()) if over else None)
        if over and not was:
            logger.warning("analysis is overloaded: %.0f %% of the frames due for analysis on %d camera(s) were "
                           "replaced by newer ones before analysis took them; every camera keeps an equal share. "
                           "Lower cameras[].analysis_fps or motion.max_detect_fps%s",
                           share * 100, cameras, self._more)
        elif was and not over:
            logger.info("analysis keeps up again (%.1f %% dropped in the last %.0f s)", share * 100, self._window)
        return over != was
