"""One camera on the wall: the live frame, boxes with class and track id, and the camera's status."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from surveil.service.link import LiveFrame
from ui.images import qimage_from_bgr

STATE_COLOURS = {"live": "#2e7d32", "connecting": "#f9a825", "reconnecting": "#ef6c00", "failed": "#c62828",
                 "ended": "#546e7a", "stopped": "#546e7a"}


class CameraTile(QWidget):
    """Paints straight from the frame's buffer: the QImage wraps the numpy array, no copy per paint."""

    doubleClicked = Signal(str)

    def __init__(self, camera_id: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.camera_id, self.title = camera_id, title
        self.view: LiveFrame | None = None
        self._image: QImage | None = None
        self.state, self.reason, self.alert = "connecting", "", ""
        self.retry_at: float | None = None
        self.zones: list[list[tuple[float, float]]] = []
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, view: LiveFrame) -> None:
        """Keep a reference to the frame and repaint."""
        self.view = view  # the view image below borrows this array: keep the two together
        self._image = qimage_from_bgr(view.image, copy=False)
        self.update()

    def set_status(self, state: str, reason: str = "", retry_at: float | None = None) -> None:
        """Connecting, live, reconnecting (with its reason and countdown), failed..."""
        self.state, self.reason, self.retry_at = state, reason, retry_at
        self.update()

    def set_zones(self, zones: list[list[tuple[float, float]]]) -> None:
        """Rule zones on this camera (normalised polygons), drawn over the picture."""
        self.zones = zones
        self.update()

    def status_text(self) -> str:
        """The header's right side: state, reason, and the seconds until the next try."""
        text = self.state + (f": {self.reason}" if self.reason and self.state != "live" else "")
        if self.retry_at is not None and self.state in ("connecting", "reconnecting"):
            text += f" — next try in {max(0.0, self.retry_at - time.monotonic()):.0f} s"
        return text

    def set_alert(self, text: str) -> None:
        """The rule currently firing on this camera ('' when none)."""
        self.alert = text
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Enlarge or restore this camera."""
        self.doubleClicked.emit(self.camera_id)

    def paintEvent(self, event) -> None:  # noqa: N802
        """Frame, boxes, header with status, and the firing rule."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#111"))
        if self._image is not None:
            target = self._fit(self._image.width(), self._image.height())
            painter.drawImage(target, self._image)
            self._paint_zones(painter, target)
            self._paint_boxes(painter, target)
        else:
            painter.setPen(QColor("#aaa"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no picture yet")
        self._paint_header(painter)
        painter.end()

    def _fit(self, width: int, height: int) -> QRectF:
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _paint_boxes(self, painter: QPainter, target: QRectF) -> None:
        view = self.view
        sx, sy = target.width() / view.image.shape[1], target.height() / view.image.shape[0]
        painter.setFont(QFont(self.font().family(), 8))
        for (x1, y1, x2, y2), label, track_id in zip(view.boxes, view.labels, view.track_ids, strict=False):
            rect = QRectF(target.x() + x1 * sx, target.y() + y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy)
            painter.setPen(QPen(QColor("#4fc3f7"), 2))
            painter.drawRect(rect)
            painter.drawText(QPointF(rect.x() + 2, max(32.0, rect.y() - 3)), f"{label} #{track_id}")

    def _paint_zones(self, painter: QPainter, target: QRectF) -> None:
        painter.setPen(QPen(QColor("#66bb6a"), 1, Qt.PenStyle.DashLine))
        painter.setBrush(QColor(102, 187, 106, 40))
        for zone in self.zones:
            painter.drawPolygon(QPolygonF([QPointF(target.x() + x * target.width(), target.y() + y * target.height())
                                           for x, y in zone]))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_header(self, painter: QPainter) -> None:
        colour = QColor(STATE_COLOURS.get(self.state, "#546e7a"))
        painter.fillRect(0, 0, self.width(), 20, QColor(0, 0, 0, 160))
        painter.setPen(colour)
        painter.drawText(6, 14, f"● {self.title}")
        painter.setPen(QColor("#ddd"))
        status = self.status_text()
        painter.drawText(QRectF(0, 0, self.width() - 6, 20), Qt.AlignmentFlag.AlignRight |
                         Qt.AlignmentFlag.AlignVCenter, status)
        if self.alert:
            painter.fillRect(0, self.height() - 22, self.width(), 22, QColor(198, 40, 40, 200))
            painter.setPen(QColor("white"))
            painter.drawText(6, self.height() - 7, f"⚠ {self.alert}")
