"""Time axes of recordings: what was recorded, the gaps, and the events by severity.

``TimeStrip`` is one camera over a time range (the incident view's scrub bar); clicking or dragging
asks for that time, and shift-dragging (where it ``selects``) marks a range. ``RecordingTimeline``
stacks one strip per camera, zooms with the mouse wheel (from minutes to days), reads what it shows
through the link off the GUI thread, and exports a marked range through the Review tab's export flow.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from surveil.media.playback import HOLE_S
from surveil.service.link import EngineLink
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord, SegmentRecord
from ui.alerts_panel import SEVERITY_COLOURS
from ui.clip_player import wall_text
from ui.review_export import ExportRun, choose_destination, confirm_range
from ui.worker import Job

logger = logging.getLogger(__name__)

RECORDED, GAP, BACKGROUND = QColor("#37474f"), QColor("#6d1b1b"), QColor("#1e1e1e")
SELECTED = QColor(100, 181, 246, 70)
MIN_SELECTION_S = 1.0  # a shift-click without a drag marks nothing
MIN_SPAN_S, MAX_SPAN_S = 60.0, 3 * 86400.0  # zoom from a minute to three days
_TICKS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)


class TimeStrip(QWidget):
    """One camera's recording over ``[t0, t1]``; ``clicked(wall)`` when pressed (or dragged on, if it ``scrubs``).

    Where it ``selects``, a shift-drag marks ``selection`` and emits ``selected(start, end)`` on release.
    """

    clicked = Signal(float)
    selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None, zone: dt.tzinfo | None = None, scrubs: bool = True,
                 selects: bool = False):
        super().__init__(parent)
        self.zone, self.scrubs, self.selects = zone, scrubs, selects
        self.selection: tuple[float, float] | None = None
        self._anchor: float | None = None  # where a shift-drag began
        self.t0, self.t1 = 0.0, 1.0
        self.records: list[SegmentRecord] = []
        self.events: list[EventRecord] = []
        self.marked: str | None = None  # the event drawn outlined
        self.position: float | None = None
        self.title = ""
        self.setMinimumHeight(44)
        self.setMouseTracking(False)

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

    def set_selection(self, selection: tuple[float, float] | None) -> None:
        """Mark ``(start, end)``, or nothing."""
        self.selection = selection
        self.update()

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

    def _span(self, start: float, end: float) -> tuple[float, float]:
        left, right = self.x_of(start), self.x_of(end)
        return left, max(right, left + 2)

    def paintEvent(self, event) -> None:  # noqa: N802
        """Recorded spans below, events above, ticks and the position."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        h = self.height()
        for record in self.records:
            left, right = self._span(record.start, record.end)
            painter.fillRect(QRectF(left, h * 0.55, right - left, h * 0.25), GAP if record.kind == "gap" else RECORDED)
        for record in self.events:
            left, right = self._span(record.start, record.end or record.start)
            rect = QRectF(left, h * 0.2, right - left, h * 0.3)
            painter.fillRect(rect, QColor(SEVERITY_COLOURS.get(record.severity, "#ddd")))
            if record.event_id == self.marked:
                painter.setPen(QPen(Qt.GlobalColor.white, 2))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
        if self.selection is not None:
            left, right = self._span(*self.selection)
            painter.fillRect(QRectF(left, 0, right - left, h), SELECTED)
        self._ticks(painter)
        if self.position is not None and self.t0 <= self.position <= self.t1:
            painter.setPen(QPen(QColor("#ffffff"), 2))
            x = self.x_of(self.position)
            painter.drawLine(QPointF(x, 0), QPointF(x, h))
        if self.title:
            painter.setPen(QColor("#eeeeee"))
            painter.drawText(QPointF(4, h * 0.18), self.title)
        painter.end()

    def _ticks(self, painter: QPainter) -> None:
        """A tick every 'round' interval that leaves about 90 px between labels."""
        span = self.t1 - self.t0
        step = next((s for s in _TICKS if s * self.width() / span >= 90), _TICKS[-1])
        fmt = "%H:%M:%S" if step < 60 else ("%H:%M" if step < 86400 else "%d %b")
        if step < 86400 and span > 86400:
            fmt = "%d %b %H:%M"
        painter.setPen(QColor("#9e9e9e"))
        moment = dt.datetime.fromtimestamp(self.t0, self.zone)
        offset = (moment if moment.tzinfo else moment.astimezone()).utcoffset().total_seconds()  # local midnights
        tick = ((self.t0 + offset) // step + 1) * step - offset
        while tick < self.t1:
            x = self.x_of(tick)
            painter.drawLine(QPointF(x, self.height() * 0.85), QPointF(x, self.height()))
            label = dt.datetime.fromtimestamp(tick, self.zone).strftime(fmt)
            painter.drawText(QPointF(x + 2, self.height() - 2), label)
            tick += step


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


class RecordingTimeline(QWidget):
    """One strip per camera on a shared time axis: the wheel zooms, a click emits ``opened(camera_id, wall)``.

    What is shown is read through the link on a worker thread, a moment after the range last changed.
    A shift-drag on a strip marks a range of that camera; "Export range…" (or the strip's context menu)
    exports its recording and the events in it.
    """

    opened = Signal(str, float)
    exported = Signal(object)  # the ExportDone, or None when it failed or was cancelled

    def __init__(self, link: EngineLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.link, self.zone = link, link.config.zone()
        now = time.time()
        self.t0, self.t1 = now - 3600, now + 60
        self.strips: dict[str, TimeStrip] = {}
        self.loaded: tuple[float, float] | None = None
        self._job: Job | None = None
        self._asked = 0
        self.range_label = QLabel("")
        self.selection: tuple[str, float, float] | None = None  # (camera_id, start, end)
        self.export_run: ExportRun | None = None
        self.status = QLabel("")
        self.export_button = QPushButton("Export range…", enabled=False,
                                         toolTip="Shift-drag on a camera's strip to mark the range first")
        self.export_button.clicked.connect(lambda: self.export_selection())
        self._lanes = QVBoxLayout()
        header = QHBoxLayout()
        for label, span in (("Last hour", 3600.0), ("Last day", 86400.0)):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=span: self.show_last(s))
            header.addWidget(button)
        header.addWidget(self.range_label, 1)
        header.addWidget(self.status)
        header.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(self._lanes)
        layout.addStretch(1)
        self._reload_timer = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        self.setToolTip("Recorded (grey), gaps (red) and events by severity; wheel to zoom, click to play, "
                        "shift-drag to mark a range to export")

    def show_last(self, seconds: float) -> None:
        """The last ``seconds`` up to now."""
        now = time.time()
        self.set_range(now - seconds, now + seconds / 60)

    def set_range(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` (kept between MIN_SPAN_S and MAX_SPAN_S); the data follows shortly."""
        span = min(max(t1 - t0, MIN_SPAN_S), MAX_SPAN_S)
        centre = (t0 + t1) / 2
        self.t0, self.t1 = centre - span / 2, centre + span / 2
        for strip in self.strips.values():
            strip.set_range(self.t0, self.t1)
        self.range_label.setText(f"{wall_text(self.t0, self.zone)[:16]} – {wall_text(self.t1, self.zone)[:16]}")
        self._reload_timer.start()

    def reload(self) -> Job:
        """Read every camera's recordings and events in the shown range, off the GUI thread."""
        self._asked += 1
        asked, t0, t1, link = self._asked, self.t0, self.t1, self.link
        cameras = [c.id for c in link.config.cameras]

        def read(job: Job) -> tuple:
            out = {}
            for i, camera_id in enumerate(cameras):
                job.progress(i, len(cameras))
                rows = link.events(EventFilter(since=t0 - 600, until=t1, cameras=[camera_id]), limit=2000)[0]
                out[camera_id] = (merged(link.recordings(camera_id, t0, t1)), [r for r, _ in rows])
            return asked, t0, t1, out

        if self._job is not None:
            self._job.cancel()
        self._job = Job(read)
        self._job.done.connect(self._show)
        self._job.failed.connect(lambda why: logger.warning("timeline: %s", why) if why != "cancelled" else None)
        return self._job.start()

    def _show(self, result: tuple) -> None:
        asked, t0, t1, data = result
        if asked != self._asked:
            return  # the range changed since: a newer read is coming
        for camera_id, (records, events) in data.items():
            strip = self.strips.get(camera_id)
            if strip is None:
                strip = self.strips[camera_id] = TimeStrip(zone=self.zone, scrubs=False, selects=True)
                strip.title = camera_id
                strip.clicked.connect(lambda wall, c=camera_id: self.opened.emit(c, wall))
                strip.selected.connect(lambda start, end, c=camera_id: self.select(c, start, end))
                strip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                strip.customContextMenuRequested.connect(lambda pos, c=camera_id: self._menu(c, pos))
                self._lanes.addWidget(strip)
            strip.set_range(self.t0, self.t1)
            strip.set_data(records, events)
        self.loaded = (t0, t1)

    # -- a marked range and its export -----------------------------------------------------------

    def select(self, camera_id: str, start: float, end: float) -> None:
        """Mark ``[start, end]`` of one camera (the other strips' marks go)."""
        self.selection = (camera_id, start, end)
        for other, strip in self.strips.items():
            strip.set_selection((start, end) if other == camera_id else None)
        self.export_button.setEnabled(True)
        self.export_button.setToolTip(f"Export {camera_id} from {wall_text(start, self.zone)[11:19]} "
                                      f"to {wall_text(end, self.zone)[11:19]}")

    def events_in_selection(self) -> list[EventRecord]:
        """The marked camera's events that overlap the marked range."""
        if self.selection is None or self.selection[0] not in self.strips:
            return []
        camera_id, start, end = self.selection
        return [e for e in self.strips[camera_id].events if e.start <= end and (e.end or e.start) >= start]

    def export_selection(self, dest: Path | None = None) -> Job | None:
        """Export the marked range's recording and its events, after asking (and where to, unless ``dest``)."""
        if self.selection is None:
            self.status.setText("shift-drag on a camera's strip to mark a range first")
            return None
        camera_id, start, end = self.selection
        events = self.events_in_selection()
        camera = next((c for c in self.link.config.cameras if c.id == camera_id), None)
        name = (camera.name if camera is not None and camera.name else camera_id)
        if not confirm_range(self, name, start, end, len(events), self.zone):
            return None
        dest = dest or choose_destination(self)
        if dest is None:
            return None
        self.export_run = ExportRun(self.link, dest, [e.event_id for e in events], self, self.status.setText,
                                    ranges=[(camera_id, start, end)])
        self.export_run.finished.connect(self.exported)
        return self.export_run.start()

    def _menu(self, camera_id: str, pos) -> None:
        strip = self.strips[camera_id]
        menu = QMenu(strip)
        action = menu.addAction("Export this range…", lambda: self.export_selection())
        action.setEnabled(self.selection is not None and self.selection[0] == camera_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(strip.mapToGlobal(pos))

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Zoom in (wheel forward) or out around the time under the cursor."""
        strip = next(iter(self.strips.values()), None)
        x = event.position().x() - (strip.x() if strip is not None else 0)
        width = strip.width() if strip is not None else max(self.width(), 1)
        at = self.t0 + min(max(x / width, 0.0), 1.0) * (self.t1 - self.t0)
        factor = 0.8 ** (event.angleDelta().y() / 120)
        self.set_range(at - (at - self.t0) * factor, at + (self.t1 - at) * factor)

    def showEvent(self, event) -> None:  # noqa: N802
        """Read what is shown when it comes into view."""
        super().showEvent(event)
        self.set_range(self.t0, self.t1)
