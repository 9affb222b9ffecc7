"""A stamped frame and the one-slot mailbox that hands the newest one to analysis."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded image and where and when it came from.

    ``image`` is BGR as OpenCV gives it, passed by reference: readers must not
    write into it. ``t_mono`` orders frames and measures rates; ``t_wall`` (Unix
    seconds) is what gets stored and shown.
    """

    image: np.ndarray
    camera_id: str
    seq: int
    t_mono: float
    t_wall: float

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]


class FrameMailbox:
    """Holds the latest frame only. A put over an unread frame replaces it and counts a drop.

    Capture never waits on analysis: this is where back-pressure turns into drops
    an operator can see, instead of a queue that grows without bound.
    """

    def __init__(self, wake: threading.Event | None = None) -> None:
        self._cond = threading.Condition()
        self._wake = wake  # shared by every camera's mailbox, so analysis can wait on all at once
        self._frame: Frame | None = None
        self._closed = False
        self.puts = 0
        self.drops = 0

    def put(self, frame: Frame, wait: threading.Event | None = None) -> None:
        """Store ``frame``. With ``wait`` (a stop event), first wait until the last frame was taken.

        Live sources never wait: the newest frame wins. A file read faster than real time
        waits instead, so analysis sees every frame (back-pressure, not drops).
        """
        with self._cond:
            while wait is not None and self._frame is not None and not self._closed and not wait.is_set():
                self._cond.wait(0.1)
            if self._frame is not None:
                self.drops += 1
            self._frame = frame
            self.puts += 1
            self._cond.notify_all()
        if self._wake is not None:
            self._wake.set()

    def take(self, timeout: float | None = None) -> Frame | None:
        """Remove and return the latest frame, waiting up to ``timeout`` s; None if none came or closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout)
            frame, self._frame = self._frame, None
            self._cond.notify_all()  # a waiting producer may go on
            return frame

    def peek(self) -> Frame | None:
        """The latest frame without taking it (for a preview), or None."""
        with self._cond:
            return self._frame

    def close(self) -> None:
        """Wake every waiter; later takes return what is left, then None at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class AnalysisRate:
    """Which frames go to analysis: at most ``fps`` a second of the stream's own time.

    Decided before a frame is converted, so a 25 fps camera analysed 5 times a second costs
    five conversions, not twenty-five. 5 % slack: frame times jitter, and a frame a hair early
    must not halve the rate of a stream whose rate divides evenly.
    """

    def __init__(self, fps: float | None):
        self.period = 0.95 / fps if fps else 0.0  # None: every frame
        self._last: float | None = None

    def due(self, t: float) -> bool:
        """Whether the frame at ``t`` (seconds) is analysed; a time going backwards starts afresh."""
        if self._last is not None and self._last <= t < self._last + self.period:
            return False
        self._last = t
        return True

