"""Drawing a zone on a camera's current frame: left-click adds a corner, right-click closes it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from ui.images import qimage_from_bgr


class ZoneEditor(QWidget):
    """Shows a frame; corners are kept in normalised coordinates (0-1 from the top left)."""

    polygonClosed = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.zones: list[list[tuple[float, float]]] = []
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self.camera_id: str | None = None  # whose frame is shown
        self.setMinimumSize(240, 135)  # a 16:9 picture in a laptop's narrow column
        self.setToolTip("Left-click to add corners, right-click to close the zone")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """A picture of the frame's shape, 480 wide."""
        return QSize(480, self.heightForWidth(480))

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        """The height follows the width, so a layout gives spare height to its other widgets, not black bars."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        """The frame's height at ``width`` (16:9 before a frame comes)."""
        frame_width, frame_height = (self._image.width(), self._image.height()) if self._image else (16, 9)
        return round(width * frame_height / frame_width)

    @property
    def frame(self) -> np.ndarray | None:
        """The picture shown (BGR), or None."""
        return self._array

    def set_frame(self, image: np.ndarray | None, camera_id: str | None = None) -> None:
        """The picture to draw on (BGR) and the camera it comes from, kept by reference."""
        self.camera_id = camera_id
        self._array = image  # the view image below borrows this array: keep the two together
        self._image = None if image is None else qimage_from_bgr(image, copy=False)
        self.updateGeometry()  # its shape may differ from the last one's
        self.update()

    def set_zones(self, zones: list[list[tuple[float, float]]]) -> None:
        """Zones already in the rule, drawn for reference."""
        self.zones = [list(z) for z in zones]
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the frame is drawn (letterboxed to keep its shape)."""
        width, height = (self._image.width(), self._image.height()) if self._image else (16, 9)
        scale = min(self.width() / width, self.height() / height)
        return QRectF((self.width() - width * scale) / 2, (self.height() - height * scale) / 2,
                      width * scale, height * scale)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Add a corner, or close the polygon."""
        if event.button() == Qt.MouseButton.RightButton:
            self.close_polygon()
            return
        rect = self.picture_rect()
        x = (event.position().x() - rect.x()) / rect.width()
        y = (event.position().y() - rect.y()) / rect.height()
        if 0 <= x <= 1 and 0 <= y <= 1:
            self.points.append((round(x, 4), round(y, 4)))
            self.update()

    def close_polygon(self) -> None:
        """Finish the zone being drawn (three corners at least)."""
        if len(self.points) >= 3:
            self.zones.append(self.points)
            self.polygonClosed.emit(self.points)
        self.points = []
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        """The frame, the zones, and the one being drawn."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#111"))
        rect = self.picture_rect()
        if self._image is not None:
            painter.drawImage(rect, self._image)
        for zone in self.zones:
            painter.setPen(QPen(QColor("#66bb6a"), 2))
            painter.setBrush(QColor(102, 187, 106, 60))
            painter.drawPolygon(self._polygon(zone, rect))
        painter.setPen(QPen(QColor("#ffca28"), 2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(self._polygon(self.points, rect))
        painter.end()

    @staticmethod
    def _polygon(points, rect: QRectF) -> QPolygonF:
        return QPolygonF([QPointF(rect.x() + x * rect.width(), rect.y() + y * rect.height()) for x, y in points])
