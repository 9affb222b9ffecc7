"""One incident's evidence in one window: the camera's recording at the event, its neighbours, and triage.

Opened from an alert, a review row, a back-test hit or a click on the recordings timeline. What
it needs (the event, its tracked object, the recording and the camera's other events around it)
is read through the link off the GUI thread; frames are decoded on the player's own thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from surveil.service.link import EngineLink
from surveil.store.db import StoreError
from surveil.store.records import OperatorState
from ui import incident_reader
from ui.clip_player import wall_text
from ui.incident_player import IncidentPlayer
from ui.incident_reader import LEAD_S, Incident, read_again, read_incident, recorded_to, still_growing  # noqa: F401 (LEAD_S: for callers)
from ui.recording_strip import TimeStrip
from ui.review_export import ExportRun, choose_destination, confirm_export
from ui.worker import Job

logger = logging.getLogger(__name__)

SPEEDS = (0.5, 1.0, 2.0, 4.0)
MARKS = {"acknowledge": {"acknowledged": True}, "lock": {"locked": True}, "unlock": {"locked": False},
         "false_alarm": {"verdict": "false_alarm", "acknowledged": True},
         "correct": {"verdict": "correct", "acknowledged": True}}


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
        self.player = IncidentPlayer(zone)
        self.player.updated.connect(self._on_update)
        self.strip = TimeStrip(zone=zone)
        self.strip.clicked.connect(lambda wall: self._by_operator(self.player.seek, wall))
        self.waiting_for: float | None = None  # a time asked for that the indexed recording has not reached yet
        self._again: Job | None = None
        self._poll = QTimer(self, interval=incident_reader.POLL_MS, timeout=self._read_again)
        self.summary, self.status = QLabel("loading…"), QLabel("")
        self.summary.setWordWrap(True)
        # A long message is cut at the window's edge rather than widen the window past the screen.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.buttons: dict[str, QPushButton] = {}
        self._build()
        # Kept here, not parented: a window closed while reading simply never hears the answer.
        self._reading = Job(lambda _job: read_incident(link, event_id, camera_id, at))
        self._reading.done.connect(self._loaded)
        self._reading.failed.connect(self._failed)
        self._reading.start()

    def _build(self) -> None:
        controls = QHBoxLayout()
        moves = {"back10": lambda: self._by_operator(self.player.skip, -10),
                 "prev": lambda: self._by_operator(self.player.step, -1), "play": self.toggle_play,
                 "next": lambda: self._by_operator(self.player.step, 1),
                 "fwd10": lambda: self._by_operator(self.player.skip, 10)}
        for key, label, tip in (("back10", "−10 s", "Ten seconds back (Shift+Left)"),
                                ("prev", "◀|", "One frame back (Left)"), ("play", "Play", "Play or pause (Space)"),
                                ("next", "|▶", "One frame forward (Right)"),
                                ("fwd10", "+10 s", "Ten seconds forward (Shift+Right)")):
            self.buttons[key] = self._button(label, moves[key], controls, tip)
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
        for keys, key in (("Left", "prev"), ("Right", "next"), ("Shift+Left", "back10"), ("Shift+Right", "fwd10"),
                          ("Space", "play")):
            QShortcut(QKeySequence(keys), self, activated=moves[key])
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
        self._by_operator(self.player.seek, wall)

    def toggle_play(self) -> None:
        """Play, or pause."""
        self._by_operator(self.player.play, not self.player.playing)

    def _by_operator(self, act, *args) -> None:
        """The operator moved the player: it no longer waits to go to where it opened."""
        self.waiting_for = None
        act(*args)

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
        self.strip.marked = event.event_id if event else None
        self.player.severity = event.severity if event else "medium"
        self.player.track_id = event.track_id if event else None
        recorded, growing = recorded_to(incident.records), still_growing(incident)
        self.waiting_for = incident.at if growing and (recorded is None or recorded < incident.at) else None
        self.player.open(incident.records, incident.at, obj.boxes if obj else [], event.label if event else "")
        self._show(incident)
        if event is not None:
            for key in ("acknowledge", "false_alarm", "correct", "lock", "note", "export"):
                self.buttons[key].setEnabled(True)
        if growing:
            self._poll.start()

    def _show(self, incident: Incident) -> None:
        """The scrub bar and the summary of what was read."""
        self.strip.set_range(incident.t0, incident.t1)
        self.strip.set_data(incident.records, incident.events)
        event, zone = incident.event, self.player.zone
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

    def _read_again(self) -> None:
        """Read what was stored since (a worker thread), unless the last read is still going."""
        if self.incident is None or (self._again is not None and self._again.thread.is_alive()):
            return
        incident, link = self.incident, self.link
        self._again = Job(lambda _job: read_again(link, incident))  # not parented: see _reading
        self._again.done.connect(self._grown)
        self._again.failed.connect(lambda why: logger.warning("incident %s: %s", self.event_id, why))
        self._again.start()

    def _grown(self, incident: Incident) -> None:
        """The recording (and the event) went on: the scrub bar, the player and the summary follow."""
        known = {r.segment_id for r in self.incident.records} if self.incident else set()
        self.incident = incident
        self._show(incident)
        if incident.obj is not None:
            self.player.boxes = incident.obj.boxes  # the track went on too
        if any(r.segment_id not in known for r in incident.records if r.kind == "segment"):
            recorded = recorded_to(incident.records)
            reached = self.waiting_for is not None and recorded is not None and recorded >= self.waiting_for
            if not self.player.extend(incident.records):  # nothing was recorded when it opened
                self.player.open(incident.records, self.waiting_for or incident.at, self.player.boxes,
                                 self.player.label)
            elif reached:
                self.player.seek(self.waiting_for)
            if reached:
                self.waiting_for = None
        if not still_growing(incident, time.time()):
            self._poll.stop()

    def _failed(self, why: str) -> None:
        self.summary.setText(f"cannot show this incident: {why}")

    def _on_update(self, update) -> None:
        self.buttons["play"].setText("Pause" if update.playing else "Play")
        if update.frame is not None:
            self.strip.set_position(update.frame.wall)
        gap = update.frame.gap if update.frame is not None else None
        if self.waiting_for is not None:
            self.status.setText(f"waiting for the recording of {wall_text(self.waiting_for, self.player.zone)[11:19]} "
                                "(not indexed yet)")
            return
        self.status.setText(update.message or (f"gap {wall_text(gap.start, self.player.zone)[11:19]}–"
                                               f"{wall_text(gap.end, self.player.zone)[11:19]}: {gap.reason}"
                                               if gap else ""))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Stop reading and decoding before the window goes."""
        self._poll.stop()
        self.player.close_recording()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Escape closes the window too: stop reading and decoding first."""
        self._poll.stop()
        self.player.close_recording()
        super().done(result)
