"""Plays an event clip in the review panel (OpenCV decodes, a timer paces, a QImage shows)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from surveil.capture.cv import cv2
from ui.images import qimage_from_bgr


class ClipPlayer(QWidget):
    """Loops the clip at its own frame rate while visible."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cap = None
        self._frame = None
        self._image: QImage | None = None
        self.message = "select an incident"
        self._timer = QTimer(self, timeout=self._next)
        self._boxes, self._start, self._fps, self._label, self._index = [], None, None, "", -1
        self.setMinimumSize(320, 180)

    def play(self, path: str | None, boxes: list | None = None, start: float | None = None,
              fps: float | None = None, label: str = "") -> None:
        """Open a clip (None or a missing file shows why instead); ``boxes`` are [wall, x1, y1, x2, y2] rows."""
        self.stop()
        self._boxes, self._start, self._fps, self._label = boxes or [], start, fps, label
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
        self._image = None

    def _next(self) -> None:
        ok, frame = self._cap.read()
        self._index += 1
        if not ok:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
            self._index = 0
        if ok:
            self._frame = frame  # the view image below borrows this array: keep the two together
            self._image = qimage_from_bgr(frame, copy=False)
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The current frame, letterboxed."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is None:
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        else:
            scaled = self._image.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x0, y0 = (self.width() - scaled.width()) // 2, (self.height() - scaled.height()) // 2
            painter.drawImage(x0, y0, scaled)
            box = self.box_at_current_frame()
            if box is not None:
                scale = scaled.width() / self._image.width()
                x1, y1, x2, y2 = (v * scale for v in box)
                painter.setPen(QPen(QColor("#ff5252"), 2))
                painter.drawRect(QRectF(x0 + x1, y0 + y1, x2 - x1, y2 - y1))
                painter.drawText(QPointF(x0 + x1 + 2, y0 + max(y1 - 3, 12)), self._label)
        painter.end()

    def box_at_current_frame(self):
        """The tracked box nearest the current frame's time (within half a second), or None."""
        if not self._boxes or self._start is None or not self._fps or self._index < 0:
            return None
        t = self._start + self._index / self._fps
        best = min(self._boxes, key=lambda row: abs(row[0] - t))
        return best[1:] if abs(best[0] - t) <= 0.5 else None

    def hideEvent(self, event) -> None:  # noqa: N802
        """Stop decoding when nobody watches."""
        self.stop()
        super().hideEvent(event)
