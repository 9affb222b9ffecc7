"""The recordings timeline: every camera's recorded spans, gaps and events on one zoomable time axis.

One lane per camera (its name at the left, its strip at the right) under a shared axis; the lanes
scroll, the axis stays. The mouse wheel over the strips or the − / + buttons zoom from a minute to
three days, Shift+wheel (or a sideways wheel) and ◀ / ▶ move in time. What is shown is read through
the link off the GUI thread; a click plays that camera there, and a shift-drag marks a range that
"Export range…" exports through the Review tab's export flow.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from surveil.service.link import EngineLink
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord
from ui.clip_player import wall_text
from ui.recording_lanes import Lanes
from ui.recording_strip import TimeStrip, merged
from ui.review_export import ExportRun, choose_destination, confirm_range
from ui.worker import Job

logger = logging.getLogger(__name__)

MIN_SPAN_S, MAX_SPAN_S = 60.0, 3 * 86400.0  # zoom from a minute to three days
ZOOM_STEP = 2.0  # a − or + button halves or doubles the span shown
PAN_STEP = 0.25  # ◀ / ▶ (and a notch of Shift+wheel) move a quarter of the span
SHOWN = (("10 min", 600.0), ("Hour", 3600.0), ("Day", 86400.0), ("3 days", MAX_SPAN_S))


class RecordingTimeline(QWidget):
    """One lane per camera on a shared time axis: the wheel zooms, a click emits ``opened(camera_id, wall)``.

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
        self.lanes = Lanes(self.zone)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(self._header())
        layout.addWidget(self.lanes, 1)
        self._reload_timer = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        self.setToolTip("Recorded (grey), gaps (red) and events by severity; wheel to zoom, Shift+wheel to move, "
                        "click to play, shift-drag to mark a range to export")

    def _header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        for label, span in SHOWN:
            tip = f"The last {_span_text(span)} up to now"
            self._button(header, label, tip, lambda _=False, s=span: self.show_last(s))
        for label, tip, act in (("−", "Zoom out (wheel back)", lambda: self.zoom(ZOOM_STEP)),
                                ("+", "Zoom in (wheel forward)", lambda: self.zoom(1 / ZOOM_STEP)),
                                ("◀", "Earlier (Shift+wheel)", lambda: self.pan(-PAN_STEP)),
                                ("▶", "Later (Shift+wheel)", lambda: self.pan(PAN_STEP))):
            self._button(header, label, tip, act).setFixedWidth(32)
        header.addWidget(self.range_label, 1)
        header.addWidget(self.status)
        header.addWidget(self.export_button)
        return header

    @staticmethod
    def _button(row: QHBoxLayout, label: str, tip: str, act) -> QPushButton:
        button = QPushButton(label, toolTip=tip)
        button.clicked.connect(act)
        row.addWidget(button)
        return button

    def show_last(self, seconds: float) -> None:
        """The last ``seconds`` up to now."""
        now = time.time()
        self.set_range(now - seconds, now + seconds / 60)

    def zoom(self, factor: float, at: float | None = None) -> None:
        """Show ``factor`` times the span (under 1: zoom in), keeping the time ``at`` (default: the middle) in place."""
        at = (self.t0 + self.t1) / 2 if at is None else at
        span = min(max((self.t1 - self.t0) * factor, MIN_SPAN_S), MAX_SPAN_S)
        share = (at - self.t0) / (self.t1 - self.t0)
        self.set_range(at - share * span, at + (1 - share) * span)

    def pan(self, spans: float) -> None:
        """Move by ``spans`` times the span shown (negative: earlier)."""
        shift = (self.t1 - self.t0) * spans
        self.set_range(self.t0 + shift, self.t1 + shift)

    def set_range(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` (kept between MIN_SPAN_S and MAX_SPAN_S); the data follows shortly."""
        span = min(max(t1 - t0, MIN_SPAN_S), MAX_SPAN_S)
        centre = (t0 + t1) / 2
        self.t0, self.t1 = centre - span / 2, centre + span / 2
        for strip in self.strips.values():
            strip.set_range(self.t0, self.t1)
        self.lanes.axis.set_range(self.t0, self.t1)
        self.range_label.setText(f"{wall_text(self.t0, self.zone)[:16]} – {wall_text(self.t1, self.zone)[:16]}"
                                 f"  ({_span_text(span)})")
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
        names = {c.id: c.name or "" for c in self.link.config.cameras}
        for camera_id, (records, events) in data.items():
            strip = self.strips.get(camera_id)
            if strip is None:
                strip = self.strips[camera_id] = self.lanes.add(camera_id, names.get(camera_id, ""))
                strip.clicked.connect(lambda wall, c=camera_id: self.opened.emit(c, wall))
                strip.selected.connect(lambda start, end, c=camera_id: self.select(c, start, end))
                strip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                strip.customContextMenuRequested.connect(lambda pos, c=camera_id: self._menu(c, pos))
                strip.installEventFilter(self)  # the wheel zooms over a strip, rather than scroll the lanes
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
                                    ranges=[(camera_id, start, end)], zone=self.zone)
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
        """Zoom in (wheel forward) or out around the time under the cursor; with Shift (or sideways), move."""
        self._wheel(event.position().toPoint(), event.angleDelta(), event.modifiers())
        event.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A wheel over a strip zooms the timeline (over the name column it scrolls the lanes)."""
        if event.type() == QEvent.Type.Wheel and isinstance(watched, TimeStrip):
            self._wheel(watched.mapTo(self, event.position().toPoint()), event.angleDelta(), event.modifiers())
            return True
        return super().eventFilter(watched, event)

    def _wheel(self, where: QPoint, angle: QPoint, modifiers) -> None:
        axis = self.lanes.axis  # as wide as every strip, and at the same x
        x = axis.mapFrom(self, where).x()
        at = self.t0 + min(max(x / max(axis.width(), 1), 0.0), 1.0) * (self.t1 - self.t0)
        if angle.x() or modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.pan(-PAN_STEP * (angle.x() or angle.y()) / 120)
        elif angle.y():
            self.zoom(0.8 ** (angle.y() / 120), at)

    def showEvent(self, event) -> None:  # noqa: N802
        """Read what is shown when it comes into view."""
        super().showEvent(event)
        self.set_range(self.t0, self.t1)


def _span_text(seconds: float) -> str:
    """A span in words: "90 s", "45 min", "6 h", "3 days"."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
