"""Live alerts, newest first: thumbnail, camera, rule, time, a severity chip and the operator's marks.

A header counts the unacknowledged alerts; filters by severity, camera and state hide rows (they
are never dropped); "Acknowledge all" acknowledges the rows shown, on a worker.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGridLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from surveil.store.records import EventRecord, OperatorState
from ui import alert_item
from ui.alert_item import AlertFilter, ChipDelegate, make_item, state_of
from ui.alert_jobs import AlertJobs
from ui.images import icon_from_jpeg
from ui.theme import ALARM_TEXT, SEVERITIES
from ui.worker import Job

logger = logging.getLogger(__name__)

SEVERITY_COLOURS = {name: severity.outline for name, severity in SEVERITIES.items()}  # readable on dark
LOUD = ("high", "critical")
# What the incident view's ``marked`` strings (given to mark_done) did to the event.
DONE = {"acknowledge": {"acknowledged": True}, "false alarm": {"verdict": "false_alarm", "acknowledged": True},
        "correct": {"verdict": "correct", "acknowledged": True}, "locked": {"locked": True},
        "unlocked": {"locked": False}}


class AlertsPanel(AlertJobs, QWidget):
    """Emits ``action(event_id, what, text)`` for acknowledge, false_alarm, correct, note, lock and unlock.

    The window decides, and has them stored with ``act_on`` (on a worker; the row changes once the
    link took the mark). Lock and unlock (keep an event's clip and record from retention) are in the
    list's context menu: they are rarer than the triage buttons. A double-click on an alert emits
    ``opened(event_id)``: the window shows its evidence. ``unacknowledged(count)`` follows every
    change. "Acknowledge all" marks through the link that ``load_stored`` was given.
    """

    action = Signal(str, str, str)
    opened = Signal(str)
    unacknowledged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.link = None
        self.job: Job | None = None
        self.header = QLabel()
        self.filter = AlertFilter()
        self.filter.changed.connect(self._refilter)
        self.list = QListWidget()
        self.list.setIconSize(QSize(64, 64))
        self.list.setItemDelegate(ChipDelegate(self.list))
        self.list.setSpacing(2)  # rows of two or three lines must not run together
        self.mute = QCheckBox("Mute sound and notifications")
        self.message = QLabel(wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        layout.addLayout(self._buttons())
        layout.addWidget(self.message)
        layout.addWidget(self.mute)
        self.list.itemDoubleClicked.connect(lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for label, what in (("Lock (keep from retention)", "lock"), ("Unlock", "unlock")):
            menu_action = QAction(label, self.list)
            menu_action.triggered.connect(lambda _=False, w=what: self._act(w))
            self.list.addAction(menu_action)
        self._changed()

    def _buttons(self) -> QGridLayout:
        """Two rows of three: the dock stays narrow enough to leave the wall its width on a laptop."""
        grid = QGridLayout()
        for i, (label, what) in enumerate((("Acknowledge", "acknowledge"), ("False alarm", "false_alarm"),
                                           ("Correct", "correct"), ("Note…", "note"))):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, w=what: self._act(w))
            grid.addWidget(button, i // 3, i % 3)
        self.acknowledge_all_button = QPushButton("Acknowledge all", toolTip="Acknowledge every alert shown")
        self.acknowledge_all_button.clicked.connect(lambda: self.acknowledge_all())
        grid.addWidget(self.acknowledge_all_button, 1, 1, 1, 2)
        return grid

    def add_alert(self, record: EventRecord, thumbnail: bytes | None = None) -> QListWidgetItem:
        """Put a new alert at the top; loud ones beep unless muted. The thumbnail may follow (set_thumbnail)."""
        listed = self._items(record.event_id)
        item = listed[0] if listed else make_item(record)
        if listed:  # read from the store at start, and announced live as well
            self.list.takeItem(self.list.row(item))
        self.list.insertItem(0, item)
        icon = icon_from_jpeg(thumbnail)
        if icon is not None:
            item.setIcon(icon)
        if record.severity in LOUD and not self.mute.isChecked():
            QApplication.beep()
        self.filter.seen(record.camera_id)
        self._show(item)
        return item

    def add_stored(self, stored: list[tuple[EventRecord, OperatorState | None]]) -> list[str]:
        """Alerts from before the window opened (newest first) go below the live ones, quietly; the ids added."""
        added = []
        for record, state in stored:
            if not self._items(record.event_id):
                item = make_item(record, state)
                self.list.addItem(item)
                self.filter.seen(record.camera_id)
                self._show(item, count=False)
                added.append(record.event_id)
        self._changed()
        return added

    def set_thumbnail(self, event_id: str, jpeg: bytes | None) -> None:
        """Show an alert's thumbnail once it has been read."""
        icon = icon_from_jpeg(jpeg)
        for item in self._items(event_id) if icon is not None else ():
            item.setIcon(icon)

    def mark_done(self, event_id: str, state: str) -> None:
        """Show an operator's decision (acknowledge, false alarm, correct, locked, unlocked, note) on the alert."""
        self.apply(event_id, DONE.get(state, {"note": ""} if state == "note" else {}))  # a note's text is not told

    def apply(self, event_id: str, changes: dict) -> None:
        """Show the arguments of a ``link.mark_event`` that the link took on the alert's row."""
        for item in self._items(event_id):
            alert_item.apply(item, changes)
            self._show(item, count=False)
        self._changed()

    def acknowledge_all(self, confirm: bool = True) -> Job | None:
        """Acknowledge the unacknowledged alerts shown (asking first), on a worker; rows change once stored."""
        ids = [item.data(Qt.ItemDataRole.UserRole) for item in self._all()
               if not item.isHidden() and not state_of(item).acknowledged]
        if not ids or self.link is None:
            return None
        if confirm and QMessageBox.question(self, "Acknowledge all", f"Acknowledge {len(ids)} alerts?") \
                != QMessageBox.StandardButton.Yes:
            return None
        return self.mark(self.link, ids, {"acknowledged": True})

    def _say(self, text: str, alarm: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {ALARM_TEXT};" if alarm else "")

    def unacknowledged_count(self) -> int:
        """How many listed alerts (shown or hidden) are not acknowledged."""
        return sum(not state_of(item).acknowledged for item in self._all())

    def _show(self, item: QListWidgetItem, count: bool = True) -> None:
        item.setHidden(not self.filter.passes(item))
        if count:
            self._changed()

    def _refilter(self) -> None:
        for item in self._all():
            item.setHidden(not self.filter.passes(item))
        current = self.list.currentItem()
        if current is not None and current.isHidden():  # the buttons must not act on a row no longer shown
            self.list.setCurrentRow(-1)
        self._changed()

    def _changed(self) -> None:
        """Update the header after any change, and tell the window."""
        count, shown = self.unacknowledged_count(), sum(not item.isHidden() for item in self._all())
        total = self.list.count()
        self.header.setText(f"{count} unacknowledged" + (f" · {shown} of {total} shown" if shown < total else ""))
        self.header.setStyleSheet(f"color: {ALARM_TEXT}; font-weight: bold;" if count else "")
        self.unacknowledged.emit(count)

    def _all(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def _items(self, event_id: str) -> list[QListWidgetItem]:
        return [item for item in self._all() if item.data(Qt.ItemDataRole.UserRole) == event_id]

    def selected_id(self) -> str | None:
        """The selected alert's event id."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _act(self, what: str) -> None:
        event_id = self.selected_id()
        if event_id is None:
            return
        text = ""
        if what == "note":
            text, ok = QInputDialog.getText(self, "Note", "Note for this alert:")
            if not ok or not text.strip():
                return
        self.action.emit(event_id, what, text)
