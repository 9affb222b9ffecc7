"""The one bridge between the core and Qt: engine callbacks (worker threads) become queued signals.

``notice`` and ``frame`` are emitted on engine threads; Qt delivers them to slots on the
GUI thread because the bridge lives there (automatic queued connections).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from surveil.engine.engine import Engine


@dataclass(frozen=True)
class FrameView:
    """What a tile paints: the frame and its tracked boxes, labels and ids.

    The image is passed by reference (capture never writes into a delivered frame); the boxes are copies.
    """

    camera_id: str
    image: np.ndarray
    boxes: np.ndarray
    labels: tuple[str, ...]
    track_ids: tuple[int, ...]
    detected: bool


class EngineBridge(QObject):
    """Subscribes to an engine; ``detach()`` before the engine stops or the window goes."""

    notice = Signal(object)
    frame = Signal(object)

    def __init__(self, engine: Engine, max_fps: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine
        self._period = 1.0 / max_fps
        self._last: dict[str, float] = {}
        self._boxes: dict[str, tuple] = {}
        engine.listeners.append(self._on_notice)
        engine.watch_frames(self._on_frame)

    def detach(self) -> None:
        """Stop receiving from the engine (idempotent)."""
        if self._on_notice in self.engine.listeners:
            self.engine.listeners.remove(self._on_notice)
        self.engine.watch_frames(self._on_frame, watching=False)

    def _on_notice(self, notice) -> None:  # engine thread
        self.notice.emit(notice)

    def _on_frame(self, frame, analysis, names: dict[int, str]) -> None:  # analysis thread
        if analysis.detected and analysis.error is None:
            dets = analysis.detections
            self._boxes[frame.camera_id] = (dets.xyxy.copy(), tuple(names.get(int(c), str(c)) for c in dets.class_id),
                                            tuple(int(i) for i in dets.tracker_id))
        now = time.monotonic()
        if now - self._last.get(frame.camera_id, 0.0) < self._period:
            return
        self._last[frame.camera_id] = now
        boxes, labels, ids = self._boxes.get(frame.camera_id, (np.zeros((0, 4), np.float32), (), ()))
        self.frame.emit(FrameView(frame.camera_id, frame.image, boxes, labels, ids, analysis.detected))
