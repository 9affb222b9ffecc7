"""Events per hour as bars stacked by camera; clicking a bar asks for that hour."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

CAMERA_COLOURS = [QColor(c) for c in ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176")]


class Timeline(QWidget):
    """``hourClicked(start_unix_s)`` when a bar is clicked."""

    hourClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.counts: dict[int, int] = {}
        self.by_camera: dict[str, dict[int, int]] = {}
        self.setMinimumHeight(60)
        self.setToolTip("Events per hour; click a bar to see that hour")

    def set_counts(self, by_camera: dict[str, dict[int, int]]) -> None:
        """Per camera, hour start (Unix s) to count."""
        self.by_camera = by_camera
        totals: dict[int, int] = {}
        for counts in by_camera.values():
            for hour, n in counts.items():
                totals[hour] = totals.get(hour, 0) + n
        self.counts = dict(sorted(totals.items()))
        self.update()

    def _bars(self) -> list[tuple[int, QRectF]]:
        if not self.counts:
            return []
        first, last = min(self.counts), max(self.counts)
        hours = (last - first) // 3600 + 1
        width, top = self.width() / hours, max(self.counts.values())
        return [(hour, QRectF((hour - first) // 3600 * width, self.height() * (1 - n / top), max(1.0, width - 1),
                              self.height() * n / top)) for hour, n in self.counts.items()]

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Pick the hour under the cursor."""
        for hour, rect in self._bars():
            if rect.left() <= event.position().x() <= rect.right():
                self.hourClicked.emit(float(hour))

    def paintEvent(self, event) -> None:  # noqa: N802
        """Bars, and the first and last hour."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1e1e"))
        for hour, rect in self._bars():
            bottom = rect.bottom()
            for i, camera in enumerate(sorted(self.by_camera)):
                n = self.by_camera[camera].get(hour, 0)
                height = rect.height() * n / self.counts[hour]
                painter.fillRect(QRectF(rect.x(), bottom - height, rect.width(), height), CAMERA_COLOURS[i % 6])
                bottom -= height
        if self.counts:
            painter.setPen(QColor("#bbb"))
            fmt = lambda h: dt.datetime.fromtimestamp(h).strftime("%d %b %H:00")  # noqa: E731
            painter.drawText(self.rect().adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignTop, fmt(min(self.counts)))
            painter.drawText(self.rect().adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignTop |
                             Qt.AlignmentFlag.AlignRight, fmt(max(self.counts)))
        painter.end()
