"""The lanes of the recordings timeline: per camera a name column and its strip, under one shared time axis.

The axis stays put above the lanes while they scroll (16 cameras do not fit a laptop's dock), and it
keeps the strips' width when the scroll bar comes and goes, so that a label stands over its time.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from ui.recording_strip import TimeAxis, TimeStrip

NAME_WIDTH = 132  # the name column: "walkway12" and most of "Walkway 12 (demo)"
NAME_TEXT, ID_TEXT = QColor("#e6e6e6"), QColor("#9aa0a8")


class LaneName(QWidget):
    """A camera's id and, under it in smaller grey, its name; both elided to the column, whole in the tooltip."""

    def __init__(self, camera_id: str, name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.camera_id, self.name = camera_id, name if name != camera_id else ""
        self.setFixedWidth(NAME_WIDTH)
        self.setToolTip(f"{self.name} ({camera_id})" if self.name else camera_id)

    def small_font(self) -> QFont:
        """The name's font: a little smaller than the id's."""
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        return font

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The id (bold) on the first line, the name on the second; centred as a pair."""
        painter = QPainter(self)
        bold = QFont(self.font())
        bold.setBold(True)
        lines = [(bold, NAME_TEXT, self.camera_id)] + ([(self.small_font(), ID_TEXT, self.name)] if self.name else [])
        heights = [QFontMetricsF(font).height() for font, _, _ in lines]
        y = (self.height() - sum(heights)) / 2
        for (font, colour, text), h in zip(lines, heights, strict=True):
            painter.setFont(font)
            painter.setPen(colour)
            shown = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, self.width() - 8)
            painter.drawText(QRectF(4, y, self.width() - 8, h), Qt.AlignmentFlag.AlignVCenter, shown)
            y += h
        painter.end()

    def minimumSizeHint(self):  # noqa: N802
        """Tall enough for both lines."""
        size = super().minimumSizeHint()
        size.setHeight(round(QFontMetricsF(self.font()).height() + QFontMetricsF(self.small_font()).height() + 4))
        return size


def lane_height(font: QFont) -> int:
    """A lane's height: the name column's two lines and a little air."""
    return round(QFontMetricsF(font).height() * 2 + 6)


class Lanes(QWidget):
    """The shared axis, and under it the lanes in a scroll area (vertical only)."""

    def __init__(self, zone: dt.tzinfo | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.zone = zone
        self.axis = TimeAxis(zone)
        self._axis_row = QHBoxLayout()
        self._axis_row.setContentsMargins(NAME_WIDTH, 0, 0, 0)
        self._axis_row.setSpacing(0)
        self._axis_row.addWidget(self.axis)
        inner = QWidget()
        self._column = QVBoxLayout(inner)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(2)
        self._column.addStretch(1)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(inner)
        self.scroll.verticalScrollBar().rangeChanged.connect(lambda *_: self._align_axis())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._axis_row)
        layout.addWidget(self.scroll, 1)

    def add(self, camera_id: str, name: str) -> TimeStrip:
        """A new lane for a camera, below the others; its strip."""
        strip = TimeStrip(zone=self.zone, scrubs=False, selects=True, axis=False)
        lane = QWidget()
        lane.setFixedHeight(lane_height(self.font()))
        row = QHBoxLayout(lane)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(LaneName(camera_id, name))
        row.addWidget(strip, 1)
        self._column.insertWidget(self._column.count() - 1, lane)
        return strip

    def _align_axis(self) -> None:
        """The axis is as wide as the strips: narrower by the scroll bar while it shows."""
        bar = self.scroll.verticalScrollBar()
        self._axis_row.setContentsMargins(NAME_WIDTH, 0, bar.sizeHint().width() if bar.maximum() > 0 else 0, 0)
