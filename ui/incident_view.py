"""One incident's evidence in one window: the camera's recording at the event, its neighbours, and triage.

Opened from an alert, a review row, a back-test hit or a click on the recordings timeline. What
it needs (the event, its tracked object, the recording and the camera's other events around it)
is read through the link off the GUI thread; frames are decoded on the player's own thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from surveil.service.link import EngineLink
from surveil.store.db import StoreError
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, SegmentRecord
from ui.clip_player import RecordingPlayer, wall_text
from ui.recording_timeline import TimeStrip
from ui.review_export import ExportRun, choose_destination, confirm_export
from ui.worker import Job

logger = logging.getLogger(__name__)

LEAD_S = 3.0  # the player opens this long before the event starts
AROUND_S = 60.0  # the scrub bar shows this much before the event and after it ends
OPEN_EVENT_S = 30.0  # an event still running is shown as if it lasted this long
SPEEDS = (0.5, 1.0, 2.0, 4.0)
MARKS = {"acknowledge": {"acknowledged": True}, "lock": {"locked": True}, "unlock": {"locked": False},
         "false_alarm": {"verdict": "false_alarm", "acknowledged": True},
         "correct": {"verdict": "correct", "acknowledged": True}}


@dataclass(frozen=True)
class Incident:
    """What the view shows, read in one go."""

    camera_id: str
    t0: float
    t1: float
    at: float
    event: EventRecord | None
    state: OperatorState | None
    obj: ObjectRecord | None
    records: list[SegmentRecord]
    events: list[EventRecord]


def read_incident(link: EngineLink, event_id: str | None, camera_id: str | None, at: float | None) -> Incident:
    """The event (if any), the camera's recording and events around it and where to start (a worker thread)."""
    event = link.event(event_id) if event_id else None
    if event_id and event is None:
        raise ValueError(f"no event {event_id} in the store")
    if event is not None:
        camera_id = event.camera_id
        t0, t1 = event.start - AROUND_S, (event.end or event.start + OPEN_EVENT_S) + AROUND_S
        start = event.start - LEAD_S if at is None else at
    else:
        t0, t1, start = at - AROUND_S, at + AROUND_S, at
    t0, t1 = min(t0, start - 10), max(t1, start + 10)
    rows = link.events(EventFilter(since=t0 - AROUND_S, until=t1, cameras=[camera_id]), limit=500)[0]
    events = [r for r, _ in rows if (r.end or r.start) >= t0]
    state = next((s for r, s in rows if event is not None and r.event_id == event.event_id), None)
    obj = link.object(event.object_id) if event is not None and event.object_id else None
    records = link.recordings(camera_id, t0, t1)
    if event is not None and not any(r.kind == "segment" for r in records) and event.clip_path and event.clip_start:
        records = [clip_as_segment(event)]  # retention took the recording; the event's clip is kept longer
    return Incident(camera_id, t0, t1, start, event, state, obj, records, events)


def clip_as_segment(event: EventRecord) -> SegmentRecord:
    """An event's clip played like a segment: its timestamps start at zero, at ``clip_start`` (see media/cut.py)."""
    return SegmentRecord(f"clip:{event.event_id}", event.camera_id, "segment", event.clip_start,
                         (event.end or event.start) + AROUND_S, event.clip_path)


class IncidentView(QDialog):
    """A non-modal window on one incident (or one camera at one time); ``marked(event_id, what)`` after triage."""

    marked = Signal(str, str)
    exported = Signal(object)  # the ExportDone, or None when it failed or was cancelled

    def __init__(self, link: EngineLink, event_id: str | None = None, at: float | None = None,
                 camera_id: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.link, self.event_id = link, event_id
        self.incident: Incident | None = None
        self.export_run: ExportRun | None = None
        zone = link.config.zone()
        self.setWindowTitle(f"Incident {event_id}" if event_id else f"Recording of {camera_id}")
        self.player = RecordingPlayer(zone)
        self.player.updated.connect(self._on_update)
        self.strip = TimeStrip(zone=zone)
        self.strip.clicked.connect(self.player.seek)
        self.summary, self.status = QLabel("loading…"), QLabel("")
        self.summary.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        self._build()
        # Kept here, not parented: a window closed while reading simply never hears the answer.
        self._reading = Job(lambda _job: read_incident(link, event_id, camera_id, at))
        self._reading.done.connect(self._loaded)
        self._reading.failed.connect(self._failed)
        self._reading.start()

    def _build(self) -> None:
        controls = QHBoxLayout()
        for key, label, tip, act in (
                ("back10", "−10 s", "Ten seconds back (Shift+Left)", lambda: self.player.skip(-10)),
                ("prev", "◀|", "One frame back (Left)", lambda: self.player.step(-1)),
                ("play", "Play", "Play or pause (Space)", self.toggle_play),
                ("next", "|▶", "One frame forward (Right)", lambda: self.player.step(1)),
                ("fwd10", "+10 s", "Ten seconds forward (Shift+Right)", lambda: self.player.skip(10))):
            self.buttons[key] = self._button(label, act, controls, tip)
        self.speed = QComboBox()
        self.speed.addItems([f"{s:g}×" for s in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda i: self.player.set_speed(SPEEDS[i]))
        controls.addWidget(self.speed)
        controls.addStretch(1)
        triage = QHBoxLayout()
        for key, label in (("acknowledge", "Acknowledge"), ("false_alarm", "False alarm"), ("correct", "Correct"),
                           ("lock", "Lock"), ("note", "Note…")):
            self.buttons[key] = self._button(label, lambda _=False, w=key: self.mark(w), triage)
            self.buttons[key].setEnabled(False)  # until the event is read
        self.buttons["export"] = self._button("Export…", lambda: self.export(), triage,
                                              "Export this incident's evidence to a zip")
        self.buttons["export"].setEnabled(False)
        triage.addWidget(self.status, 1)
        for keys, act in (("Left", lambda: self.player.step(-1)), ("Right", lambda: self.player.step(1)),
                          ("Shift+Left", lambda: self.player.skip(-10)), ("Shift+Right", lambda: self.player.skip(10)),
                          ("Space", self.toggle_play)):
            QShortcut(QKeySequence(keys), self, activated=act)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.player, 1)
        layout.addWidget(self.strip)
        layout.addLayout(controls)
        layout.addLayout(triage)
        self.resize(900, 640)

    def _button(self, label: str, act, row: QHBoxLayout, tip: str = "") -> QPushButton:
        button = QPushButton(label, toolTip=tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrows and Space stay with the shortcuts
        button.clicked.connect(act)
        row.addWidget(button)
        return button

    def show_at(self, wall: float) -> None:
        """Move the player to ``wall`` (a second opening of the same incident)."""
        self.player.seek(wall)

    def toggle_play(self) -> None:
        """Play, or pause."""
        self.player.play(not self.player.playing)

    def mark(self, what: str, text: str | None = None) -> bool:
        """Triage the event (acknowledge, false_alarm, correct, lock, unlock, note); whether it was saved."""
        if self.event_id is None:
            return False
        if what == "lock" and self.incident and self.incident.state and self.incident.state.locked:
            what = "unlock"
        if what == "note" and text is None:
            text, ok = QInputDialog.getText(self, "Note", "Note for this incident:")
            if not ok or not text.strip():
                return False
        try:
            self.link.mark_event(self.event_id, **MARKS.get(what, {"note": text}))
        except (ValueError, StoreError, KeyError) as exc:  # must reach the operator, not end the window
            logger.exception("could not record the operator's decision")
            self.status.setText(f"could not save: {exc}")
            return False
        if what in ("lock", "unlock") and self.incident and self.incident.state:
            self.incident.state.locked = what == "lock"
            self.buttons["lock"].setText("Unlock" if what == "lock" else "Lock")
        done = {"lock": "locked", "unlock": "unlocked"}.get(what, what.replace("_", " "))
        self.status.setText(f"saved: {done}")
        self.marked.emit(self.event_id, done)
        return True

    def export(self, dest: Path | None = None) -> Job | None:
        """Export this incident (after asking, and where to unless ``dest``), as the Review tab does."""
        event = self.incident.event if self.incident else None
        if event is None:
            return None
        if not confirm_export(self, [event], True, False):
            return None
        dest = dest or choose_destination(self)
        if dest is None:
            return None
        self.export_run = ExportRun(self.link, dest, [event.event_id], self, self.status.setText)
        self.export_run.finished.connect(self.exported)
        return self.export_run.start()

    def _loaded(self, incident: Incident) -> None:
        self.incident = incident
        event, obj = incident.event, incident.obj
        self.strip.set_range(incident.t0, incident.t1)
        self.strip.set_data(incident.records, incident.events)
        self.strip.marked = event.event_id if event else None
        label = event.label if event else ""
        self.player.open(incident.records, incident.at, obj.boxes if obj else [], label)
        zone = self.player.zone
        if event is None:
            self.summary.setText(f"{incident.camera_id} at {wall_text(incident.at, zone)}")
            return
        state = incident.state or OperatorState()
        said = ", ".join(x for x in ("acknowledged" if state.acknowledged else "new",
                                     (state.verdict or "").replace("_", " "), "locked" if state.locked else "") if x)
        end = f" to {wall_text(event.end, zone)}" if event.end else " (still going on)"
        self.summary.setText(f"<b>{event.rule}</b> on {event.camera_id}: {event.label} #{event.track_id} "
                             f"[{event.severity}] — {wall_text(event.start, zone)}{end} — {said}"
                             + (f"<br>{'; '.join(state.notes)}" if state.notes else ""))
        self.buttons["lock"].setText("Unlock" if state.locked else "Lock")
        for key in ("acknowledge", "false_alarm", "correct", "lock", "note", "export"):
            self.buttons[key].setEnabled(True)

    def _failed(self, why: str) -> None:
        self.summary.setText(f"cannot show this incident: {why}")

    def _on_update(self, update) -> None:
        self.buttons["play"].setText("Pause" if update.playing else "Play")
        if update.frame is not None:
            self.strip.set_position(update.frame.wall)
        gap = update.frame.gap if update.frame is not None else None
        self.status.setText(update.message or (f"gap {wall_text(gap.start, self.player.zone)[11:19]}–"
                                               f"{wall_text(gap.end, self.player.zone)[11:19]}: {gap.reason}"
                                               if gap else ""))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Stop decoding before the window goes."""
        self.player.close_recording()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Escape closes the window too: stop decoding first."""
        self.player.close_recording()
        super().done(result)
