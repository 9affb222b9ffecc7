"""Plays an event clip in the review panel (OpenCV decodes, a timer paces, a QImage shows)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from surveil.capture.cv import cv2


class ClipPlayer(QWidget):
    """Loops the clip at its own frame rate while visible."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cap = None
        self._frame = None
        self._image: QImage | None = None
        self.message = "select an incident"
        self._timer = QTimer(self, timeout=self._next)
        self.setMinimumSize(320, 180)

    def play(self, path: str | None) -> None:
        """Open a clip (None or a missing file shows why instead)."""
        self.stop()
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
        if not ok:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        if ok:
            self._frame = frame
            self._image = QImage(frame.data, frame.shape[1], frame.shape[0], frame.strides[0],
                                 QImage.Format.Format_BGR888)
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
            painter.drawImage((self.width() - scaled.width()) // 2, (self.height() - scaled.height()) // 2, scaled)
        painter.end()

    def hideEvent(self, event) -> None:  # noqa: N802
        """Stop decoding when nobody watches."""
        self.stop()
        super().hideEvent(event)
