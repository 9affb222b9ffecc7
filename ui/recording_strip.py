"""One camera's recording on a time axis: recorded spans, gaps, events by severity, and the axis itself.

``TimeStrip`` is one camera over ``[t0, t1]`` (the incident view's scrub bar, a lane of the recordings
timeline); clicking or dragging asks for that time, and shift-dragging (where it ``selects``) marks a
range. ``TimeAxis`` draws the time labels that the timeline's lanes share. The strip keeps its
spans and the axis labels in bands of their own, so that a label never lies on a span.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from surveil.media.playback import HOLE_S
from surveil.store.records import EventRecord, SegmentRecord
from ui.alerts_panel import SEVERITY_COLOURS
from ui.clip_player import wall_text

RECORDED, GAP, BACKGROUND = QColor("#37474f"), QColor("#6d1b1b"), QColor("#1e1e1e")
GRID, AXIS_TEXT, NOW = QColor("#2e343b"), QColor("#b0b6bd"), QColor("#80cbc4")
SELECTED = QColor(100, 181, 246, 70)
MIN_SELECTION_S = 1.0  # a shift-click without a drag marks nothing
_TICKS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
          86400, 2 * 86400, 7 * 86400)


def ticks(t0: float, t1: float, width: float, metrics: QFontMetricsF,
          zone: dt.tzinfo | None = None) -> list[tuple[float, str]]:
    """(x, label) of each tick: a round local-time step that leaves room for its labels; a midnight shows its date."""
    span = max(t1 - t0, 1e-6)
    room = metrics.horizontalAdvance("00:00:00") + 24  # the widest label of a sub-minute step, and a margin
    step = next((s for s in _TICKS if s * width / span >= room), _TICKS[-1])
    fmt = "%H:%M:%S" if step < 60 else "%H:%M"
    moment = dt.datetime.fromtimestamp(t0, zone)
    offset = (moment if moment.tzinfo else moment.astimezone()).utcoffset().total_seconds()  # local midnights
    out, tick = [], ((t0 + offset) // step + 1) * step - offset
    while tick < t1:
        local = dt.datetime.fromtimestamp(tick, zone)
        midnight = step >= 86400 or (local.hour, local.minute, local.second) == (0, 0, 0)
        out.append(((tick - t0) / span * width, local.strftime("%d %b" if midnight else fmt)))
        tick += step
    return out


def paint_axis(painter: QPainter, band: QRectF, t0: float, t1: float, zone: dt.tzinfo | None) -> None:
    """Tick marks along the top of ``band`` and their labels under them (none cut off at the right)."""
    metrics = QFontMetricsF(painter.font())
    painter.setPen(AXIS_TEXT)
    for x, label in ticks(t0, t1, band.width(), metrics, zone):
        x += band.left()
        painter.drawLine(QPointF(x, band.top()), QPointF(x, band.top() + 3))
        if x + 3 + metrics.horizontalAdvance(label) <= band.right():
            painter.drawText(QPointF(x + 3, band.top() + 2 + metrics.ascent()), label)


def axis_height(metrics: QFontMetricsF) -> float:
    """The height of the band that holds the axis labels."""
    return metrics.height() + 4


class TimeAxis(QWidget):
    """The time labels over the lanes of the recordings timeline (which share one axis)."""

    def __init__(self, zone: dt.tzinfo | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.zone, self.t0, self.t1 = zone, 0.0, 1.0
        self.setFixedHeight(round(axis_height(QFontMetricsF(self.font()))))

    def set_range(self, t0: float, t1: float) -> None:
        """The times at the left and right edges."""
        self.t0, self.t1 = t0, max(t1, t0 + 1.0)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The ticks and their labels."""
        painter = QPainter(self)
        paint_axis(painter, QRectF(self.rect()), self.t0, self.t1, self.zone)
        painter.end()


class TimeStrip(QWidget):
    """One camera's recording over ``[t0, t1]``; ``clicked(wall)`` when pressed (or dragged on, if it ``scrubs``).

    Where it ``selects``, a shift-drag marks ``selection`` and emits ``selected(start, end)`` on release.
    With ``axis`` the strip labels its own time axis in a band at its bottom; without it (a lane of
    the timeline, under a shared ``TimeAxis``) it draws only the grid lines.
    """

    clicked = Signal(float)
    selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None, zone: dt.tzinfo | None = None, scrubs: bool = True,
                 selects: bool = False, axis: bool = True):
        super().__init__(parent)
        self.zone, self.scrubs, self.selects, self.axis = zone, scrubs, selects, axis
        self.selection: tuple[float, float] | None = None
        self._anchor: float | None = None  # where a shift-drag began
        self.t0, self.t1 = 0.0, 1.0
        self.records: list[SegmentRecord] = []
        self.events: list[EventRecord] = []
        self.marked: str | None = None  # the event drawn outlined
        self.position: float | None = None
        band = axis_height(QFontMetricsF(self.font())) if axis else 0
        self.setMinimumHeight(round(band + 28))

    def set_range(self, t0: float, t1: float) -> None:
        """The times at the left and right edges."""
        self.t0, self.t1 = t0, max(t1, t0 + 1.0)
        self.update()

    def set_data(self, records: list[SegmentRecord], events: list[EventRecord]) -> None:
        """Segments and gaps, and the events to mark."""
        self.records, self.events = merged(records), events
        self.update()

    def set_position(self, wall: float | None) -> None:
        """Where the player is."""
        self.position = wall
        self.update()

    def set_selection(self, selection: tuple[float, float] | None) -> None:
        """Mark ``(start, end)``, or nothing."""
        self.selection = selection
        self.update()

    def x_of(self, wall: float) -> float:
        """The x pixel of a time."""
        return (wall - self.t0) / (self.t1 - self.t0) * self.width()

    def time_at(self, x: float) -> float:
        """The time under an x pixel (clamped to the range)."""
        return self.t0 + min(max(x / max(self.width(), 1), 0.0), 1.0) * (self.t1 - self.t0)

    def event_at(self, x: float) -> EventRecord | None:
        """The event drawn under an x pixel (a few pixels either side count), if any."""
        for event in self.events:
            left, right = self._span(event.start, event.end or event.start)
            if left - 3 <= x <= right + 3:
                return event
        return None

    def bands(self) -> tuple[QRectF, QRectF, QRectF]:
        """Where the events, the recording and the axis labels are drawn (the last empty without ``axis``)."""
        label = axis_height(QFontMetricsF(self.font())) if self.axis else 0.0
        h, w = self.height() - label, self.width()
        return (QRectF(0, h * 0.1, w, h * 0.4), QRectF(0, h * 0.58, w, h * 0.32),
                QRectF(0, h, w, label))

    # -- the mouse ---------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Seek to the time under the cursor; with Shift (where it selects), begin a range."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        at = self.time_at(event.position().x())
        if self.selects and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._anchor = at
            self.set_selection((at, at))
        else:
            self.clicked.emit(at)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        """Dragging scrubs (where the strip is a scrub bar), or stretches the range begun with Shift."""
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        at = self.time_at(event.position().x())
        if self._anchor is not None:
            self.set_selection((min(self._anchor, at), max(self._anchor, at)))
        elif self.scrubs:
            self.clicked.emit(at)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        """End a range: marked if it spans at least a second."""
        if self._anchor is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._anchor = None
        start, end = self.selection or (0.0, 0.0)
        if end - start < MIN_SELECTION_S:
            self.set_selection(None)
        else:
            self.selected.emit(start, end)

    def event(self, event) -> bool:
        """A tooltip over an event says what it was and when."""
        if event.type() == QEvent.Type.ToolTip:
            found = self.event_at(event.pos().x())
            if found is not None:
                end = f"–{wall_text(found.end, self.zone)[11:19]}" if found.end else " (still going on)"
                QToolTip.showText(event.globalPos(), f"{found.rule}: {found.label} #{found.track_id} "
                                  f"[{found.severity}] {wall_text(found.start, self.zone)[11:19]}{end}", self)
                return True
        return super().event(event)

    # -- painting ----------------------------------------------------------------------------------

    def _span(self, start: float, end: float) -> tuple[float, float]:
        left, right = self.x_of(start), self.x_of(end)
        return left, max(right, left + 3)

    def paintEvent(self, event) -> None:  # noqa: N802
        """Grid lines, recorded spans and gaps, events above them, the selection, now, and the position."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        events_band, recording_band, axis_band = self.bands()
        metrics = QFontMetricsF(painter.font())
        painter.setPen(GRID)
        for x, _ in ticks(self.t0, self.t1, self.width(), metrics, self.zone):
            painter.drawLine(QPointF(x, 0), QPointF(x, axis_band.top()))
        for record in self.records:
            left, right = self._span(record.start, record.end)
            painter.fillRect(QRectF(left, recording_band.top(), right - left, recording_band.height()),
                             GAP if record.kind == "gap" else RECORDED)
        for record in self.events:
            left, right = self._span(record.start, record.end or max(record.start, time.time()))
            rect = QRectF(left, events_band.top(), right - left, events_band.height())
            painter.fillRect(rect, QColor(SEVERITY_COLOURS.get(record.severity, "#ddd")))
            if record.event_id == self.marked:
                painter.setPen(QPen(Qt.GlobalColor.white, 2))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
        if self.selection is not None:
            left, right = self._span(*self.selection)
            painter.fillRect(QRectF(left, 0, right - left, self.height()), SELECTED)
        if self.axis:
            paint_axis(painter, axis_band, self.t0, self.t1, self.zone)
        self._line(painter, time.time(), QPen(NOW, 1, Qt.PenStyle.DashLine), axis_band.top())  # the live edge
        self._line(painter, self.position, QPen(QColor("#ffffff"), 2), self.height())
        painter.end()

    def _line(self, painter: QPainter, wall: float | None, pen: QPen, bottom: float) -> None:
        if wall is not None and self.t0 <= wall <= self.t1:
            painter.setPen(pen)
            painter.drawLine(QPointF(self.x_of(wall), 0), QPointF(self.x_of(wall), bottom))


def merged(records: list[SegmentRecord]) -> list[SegmentRecord]:
    """Back-to-back segments as one span (a day holds thousands of them); gaps as they are."""
    out: list[SegmentRecord] = []
    for record in sorted(records, key=lambda r: r.start):
        last = out[-1] if out else None
        if last is not None and record.kind == last.kind == "segment" and record.start - last.end < HOLE_S:
            out[-1] = replace(last, end=max(last.end, record.end))
        else:
            out.append(record)
    return out
