"""Frames to look at: a live tile wants more frames than analysis takes, and only while someone watches.

Analysis runs at its own rate (5 a second by default), which is too jerky to watch. While a
viewer is attached, the capture thread also converts the frames due for display (at most
``fps`` a second of the stream's own time, analysed ones included) and hands them over at once;
with no viewer nothing is converted for display, so a headless engine pays nothing for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from surveil.capture.frame import AnalysisRate, Frame

logger = logging.getLogger(__name__)

DisplayListener = Callable[[Frame], None]


class Display:
    """One camera's display rate and the viewer to hand frames to (called on the capture thread)."""

    def __init__(self, listener: DisplayListener, fps: float):
        self.listener, self.fps = listener, fps
        self._rate = AnalysisRate(fps)
        self._failed = False

    def due(self, t_mono: float) -> bool:
        """Whether the frame at ``t_mono`` is shown (decided before it is converted)."""
        return self._rate.due(t_mono)

    def show(self, frame: Frame) -> None:
        """Hand a frame over; a viewer that fails is logged once and never stops capture."""
        try:
            self.listener(frame)
        except Exception as exc:
            if not self._failed:
                self._failed = True
                logger.warning("%s: the live view failed on a frame: %s: %s", frame.camera_id, type(exc).__name__, exc)
                logger.debug("live view failure", exc_info=True)
