"""Pictures of the past: an event clip looped in the review panel, and a camera's recording played back.

``FrameView`` paints a frame letterboxed with its wall-clock time and the tracked box. ``ClipPlayer``
loops an event clip (OpenCV decodes, a timer paces). ``RecordingPlayer`` plays a camera's recorded
segments: a ``PlaybackThread`` decodes off the GUI thread and the newest frame it made is painted
(older ones not yet painted are dropped, never queued).
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QWidget

from surveil.capture.cv import cv2
from surveil.media.playback import Playback, PlayedFrame
from surveil.media.player import PlaybackThread, PlayerUpdate
from surveil.store.records import SegmentRecord
from ui.images import qimage_from_bgr
from ui.overlay_chips import paint_tracked

BOX_WITHIN_S = 0.5  # a tracked box is drawn on frames this close to one of its detections


def box_at(boxes: list, wall: float | None) -> list[float] | None:
    """The box of ``[wall, x1, y1, x2, y2]`` rows nearest ``wall`` (within half a second), or None."""
    if not boxes or wall is None:
        return None
    best = min(boxes, key=lambda row: abs(row[0] - wall))
    return list(best[1:]) if abs(best[0] - wall) <= BOX_WITHIN_S else None


def wall_text(wall: float, zone: dt.tzinfo | None = None) -> str:
    """A frame's time to the tenth of a second, in ``zone`` (None: the system's)."""
    moment = dt.datetime.fromtimestamp(wall, zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 100_000}"


class FrameView(QWidget):
    """A BGR frame, letterboxed, with its time drawn over it and a tracked box; or a message."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._frame: np.ndarray | None = None
        self._image: QImage | None = None
        self.message = "select an incident"
        self.time_text, self.label = "", ""
        self.severity = "medium"  # the outline's and chip's colour
        self.box: list[float] | None = None
        self.setMinimumSize(320, 180)

    def show_image(self, image: np.ndarray | None, time_text: str = "", box: list[float] | None = None) -> None:
        """Paint ``image`` (kept by reference: the view image borrows it) with its time and box."""
        self._frame = image
        self._image = qimage_from_bgr(image, copy=False) if image is not None else None
        self.time_text, self.box = time_text, box
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The frame scaled to fit, its box and label, its time; or the message."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is None:
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            painter.end()
            return
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        w, h = self._image.width() * scale, self._image.height() * scale
        x0, y0 = (self.width() - w) / 2, (self.height() - h) / 2
        painter.drawImage(QRectF(x0, y0, w, h), self._image)
        stamp = None
        if self.time_text:
            painter.setFont(QFont("monospace", 10))
            stamp = QRectF(painter.fontMetrics().boundingRect(self.time_text).adjusted(-4, -2, 4, 2))
            stamp.moveTopLeft(QPointF(x0 + 6, y0 + 6))
            painter.fillRect(stamp, QColor(0, 0, 0, 160))
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(stamp, Qt.AlignmentFlag.AlignCenter, self.time_text)
        if self.box is not None:  # the same outline and label chip as the live tiles, off the time stamp
            x1, y1, x2, y2 = (v * scale for v in self.box)
            paint_tracked(painter, QRectF(x0 + x1, y0 + y1, x2 - x1, y2 - y1), self.label, self.severity,
                          QRectF(x0, y0, w, h), [stamp] if stamp is not None else [])
        painter.end()


class ClipPlayer(FrameView):
    """Loops an event clip at its own frame rate while visible."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cap = None
        self._timer = QTimer(self, timeout=self._next)
        self._boxes, self._start, self._fps, self._index = [], None, None, -1

    def play(self, path: str | None, boxes: list | None = None, start: float | None = None,
             fps: float | None = None, label: str = "") -> None:
        """Open a clip (None or a missing file shows why instead); ``boxes`` are [wall, x1, y1, x2, y2] rows."""
        self.stop()
        self._boxes, self._start, self._fps, self.label = boxes or [], start, fps, label
        self._index = -1
        if not path:
            self.message = "this incident has no clip"
        else:
            cap = cv2.VideoCapture(path)
            if cap.isOpened():
                self._cap = cap
                fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
                self._timer.start(int(1000 / max(1.0, min(fps, 60.0))))
                self._next()
            else:
                self.message = f"cannot open {path}"
        self.update()

    def stop(self) -> None:
        """Release the clip."""
        self._timer.stop()
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self.show_image(None)

    def _next(self) -> None:
        ok, frame = self._cap.read()
        self._index += 1
        if not ok:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
            self._index = 0
        if ok:
            wall = self._wall()
            self.show_image(frame, wall_text(wall) if wall is not None else "", box_at(self._boxes, wall))

    def _wall(self) -> float | None:
        if self._start is None or not self._fps or self._index < 0:
            return None
        return self._start + self._index / self._fps

    def box_at_current_frame(self):
        """The tracked box nearest the current frame's time (within half a second), or None."""
        return box_at(self._boxes, self._wall())

    def hideEvent(self, event) -> None:  # noqa: N802
        """Stop decoding when nobody watches."""
        self.stop()
        super().hideEvent(event)


class RecordingPlayer(FrameView):
    """Plays a camera's recording from its segments; ``updated(PlayerUpdate)`` arrives on the GUI thread.

    ``close_recording()`` stops and joins the decoding thread: call it before the widget goes.
    """

    updated = Signal(object)
    _arrived = Signal()

    def __init__(self, zone: dt.tzinfo | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.zone = zone
        self.message = "loading the recording…"
        self.boxes: list = []
        self.shown: PlayedFrame | None = None
        self.playing, self.speed = False, 1.0
        self._thread: PlaybackThread | None = None
        self._lock = threading.Lock()
        self._pending: PlayerUpdate | None = None
        self._arrived.connect(self._take, Qt.ConnectionType.QueuedConnection)

    def open(self, records: list[SegmentRecord], at: float, boxes: list | None = None, label: str = "") -> None:
        """Play ``records`` (segments and gaps of one camera), paused on the frame at ``at``."""
        self.close_recording()
        self.boxes, self.label = boxes or [], label
        if not any(r.kind == "segment" for r in records):
            self.message = "no recording of this camera at this time"
            self.show_image(None)
            return
        self._thread = PlaybackThread(Playback(records), self._on_update).start()
        self._thread.seek(at)

    def close_recording(self) -> None:
        """Stop decoding and close the files (idempotent)."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def seek(self, wall: float) -> None:
        """Show the frame at ``wall``."""
        if self._thread is not None:
            self._thread.seek(wall)

    def skip(self, seconds: float) -> None:
        """Jump ``seconds`` from the frame shown."""
        if self._thread is not None:
            self._thread.skip(seconds)

    def step(self, frames: int) -> None:
        """Pause and step one frame forward (1) or back (-1)."""
        if self._thread is not None:
            self._thread.step(frames)

    def play(self, playing: bool = True) -> None:
        """Play or pause."""
        if self._thread is not None:
            self._thread.play(playing)

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` times real time."""
        self.speed = speed
        if self._thread is not None:
            self._thread.set_speed(speed)

    def _on_update(self, update: PlayerUpdate) -> None:  # playback thread
        with self._lock:
            waiting, self._pending = self._pending is not None, update
        if not waiting:
            self._arrived.emit()

    def _take(self) -> None:
        with self._lock:
            update, self._pending = self._pending, None
        if update is None or self._thread is None:
            return
        self.playing, self.speed = update.playing, update.speed
        if update.message:
            self.message = update.message
        frame = update.frame
        if frame is not None:
            self.shown = frame
            self.show_image(frame.image, wall_text(frame.wall, self.zone), box_at(self.boxes, frame.wall))
        self.updated.emit(update)
