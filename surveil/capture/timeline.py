"""Stream timestamps to monotonic and wall-clock time, anchored at the first packet of a run.

A file's frames are stamped by their own timestamps, so a file read faster than real time
(``realtime: false``, ``surveil index``) keeps its real durations: dwell times and
k-of-n votes come out as they would live. A live stream follows its timestamps too, and
re-anchors when they jump or drift from the clock (a camera reboot, a broken encoder).
"""

from __future__ import annotations

import math
import time

LIVE_DRIFT_S = 2.0  # a live stream's mapping is re-anchored when it drifts this far from the clock
JUMP_S = 5.0  # a stream's own timestamps that go back, or forward by more than this, are a new run


class Timeline:
    """Maps seconds of stream time to ``(t_mono, t_wall)``."""

    def __init__(self, live: bool, start_wall: float | None = None, start_mono: float | None = None):
        self.live = live
        self._ts0: float | None = None
        self._mono0 = time.monotonic() if start_mono is None else start_mono
        self._wall0 = time.time() if start_wall is None else start_wall
        self.last: tuple[float, float] | None = None
        self._last_ts: float | None = None
        self.jumps = 0  # discontinuities of the stream's own timestamps: the recorder starts a new segment

    def stamp(self, ts: float | None) -> tuple[float, float]:
        """Times of a packet or frame whose stream time is ``ts`` seconds (None: now, or the last)."""
        if ts is None or not math.isfinite(ts):  # live: the clock; a file: where it was
            self.last = self._anchor_now() if self.live or self.last is None else self.last
            return self.last
        if self._ts0 is None:
            self._ts0 = ts
        jumped = self._last_ts is not None and not (self._last_ts - 1.0 <= ts <= self._last_ts + JUMP_S)
        self._last_ts = ts
        if jumped:
            self.jumps += 1
        offset = ts - self._ts0
        if self.live and (jumped or abs(self._mono0 + offset - time.monotonic()) > LIVE_DRIFT_S):
            # Drift (capture fell behind, a camera clock off) only moves the mapping: the stream goes on.
            self._ts0, offset = ts, 0.0
            self._mono0, self._wall0 = time.monotonic(), time.time()
        self.last = (self._mono0 + offset, self._wall0 + offset)
        return self.last

    def shift(self, seconds: float) -> None:
        """Move the schedule later (a paced file that fell far behind restarts its schedule)."""
        self._mono0 += seconds
        self._wall0 += seconds

    def _anchor_now(self) -> tuple[float, float]:
        return time.monotonic(), time.time()


class FrameTimes:
    """A decoded frame's stream time, in the order frames are shown.

    Frames leave the decoder in presentation order, but H.264 in AVI hands them the pts of packets
    in decode order (1, 4, 3, 5, 2, 8...): a frame's time would go back by a few frames, and
    speeds, dwell and the gate's clock with it. Once a pts goes back in a stream, its frames are
    timed by their dts, which the decoder counts in order there.
    """

    def __init__(self):
        self.by_dts = False
        self._last_pts: int | None = None
        self._dts: list[int] = []  # the last two dts: frames flushed at the end have none, and follow on

    def seconds(self, pts: int | None, dts: int | None, time_base) -> float | None:
        """Stream seconds of one decoded frame (None when it carries no time)."""
        if not self.by_dts and None not in (pts, self._last_pts, dts) and pts < self._last_pts:
            self.by_dts = True
        if pts is not None:
            self._last_pts = pts if self._last_pts is None else max(pts, self._last_pts)
        if dts is None and self.by_dts and len(self._dts) == 2:
            dts = 2 * self._dts[1] - self._dts[0]
        if dts is not None:
            self._dts = [*self._dts[-1:], dts]
        chosen = dts if self.by_dts else pts
        return None if chosen is None else float(chosen * time_base)
