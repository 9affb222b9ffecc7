"""Live alerts, newest first: thumbnail, camera, rule, time and severity; acknowledge and mark them."""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from surveil.store.query import EventFilter
from surveil.store.records import EventRecord
from ui.images import icon_from_jpeg
from ui.theme import SEVERITIES
from ui.worker import Job

logger = logging.getLogger(__name__)

SEVERITY_COLOURS = {name: severity.outline for name, severity in SEVERITIES.items()}  # readable on dark
LOUD = ("high", "critical")


class AlertsPanel(QWidget):
    """Emits ``action(event_id, what, text)`` for acknowledge, false_alarm, correct, note, lock and unlock.

    The window acts. Lock and unlock (keep an event's clip and record from retention) are in the
    list's context menu: they are rarer than the triage buttons. A double-click on an alert emits
    ``opened(event_id)``: the window shows its evidence.
    """

    action = Signal(str, str, str)
    opened = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setIconSize(QSize(64, 64))
        self.mute = QCheckBox("Mute sound")
        buttons = QHBoxLayout()
        for label, what in (("Acknowledge", "acknowledge"), ("False alarm", "false_alarm"),
                            ("Correct", "correct"), ("Note…", "note")):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, w=what: self._act(w))
            buttons.addWidget(button)
        self.list.itemDoubleClicked.connect(lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for label, what in (("Lock (keep from retention)", "lock"), ("Unlock", "unlock")):
            menu_action = QAction(label, self.list)
            menu_action.triggered.connect(lambda _=False, w=what: self._act(w))
            self.list.addAction(menu_action)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.mute)

    def add_alert(self, record: EventRecord, thumbnail: bytes | None = None) -> QListWidgetItem:
        """Put a new alert at the top; loud ones beep unless muted. The thumbnail may follow (set_thumbnail)."""
        listed = self._items(record.event_id)
        item = listed[0] if listed else self._item(record)
        if listed:  # read from the store at start, and announced live as well
            self.list.takeItem(self.list.row(item))
        self.list.insertItem(0, item)
        icon = icon_from_jpeg(thumbnail)
        if icon is not None:
            item.setIcon(icon)
        if record.severity in LOUD and not self.mute.isChecked():
            QApplication.beep()
        return item

    def add_stored(self, records: list[EventRecord]) -> list[str]:
        """Alerts from before the window opened (newest first) go below the live ones, quietly; the ids added."""
        added = []
        for record in records:
            if not self._items(record.event_id):
                self.list.addItem(self._item(record))
                added.append(record.event_id)
        return added

    def load_stored(self, link, limit: int = 200) -> Job:
        """Read the unacknowledged alerts off the GUI thread, list them, then fetch their thumbnails."""
        job = Job(lambda _job: [r for r, _ in link.events(EventFilter(states=["new"]), limit=limit)[0]], self)
        job.done.connect(lambda records: self._load_thumbnails(link, self.add_stored(records)))
        job.failed.connect(lambda why: logger.warning("could not read the stored alerts: %s", why))
        return job.start()

    def _load_thumbnails(self, link, event_ids: list[str]) -> None:
        def read(job: Job) -> list[tuple[str, bytes | None]]:
            out = []
            for i, event_id in enumerate(event_ids):
                job.progress(i, len(event_ids))  # cancellable between two reads
                out.append((event_id, link.thumbnail("e", event_id)))
            return out

        job = Job(read, self)
        job.done.connect(lambda pairs: [self.set_thumbnail(event_id, jpeg) for event_id, jpeg in pairs])
        job.start()

    def _item(self, record: EventRecord) -> QListWidgetItem:
        moment = dt.datetime.fromtimestamp(record.start)  # a stored alert may be days old: then the date too
        when = moment.strftime("%H:%M:%S" if moment.date() == dt.date.today() else "%d %b %H:%M:%S")
        item = QListWidgetItem(f"{when}  {record.camera_id}  [{record.severity}]\n{record.rule}: "
                               f"{record.label} #{record.track_id}")
        item.setData(Qt.ItemDataRole.UserRole, record.event_id)
        item.setForeground(QBrush(QColor(SEVERITY_COLOURS.get(record.severity, "#ddd"))))
        return item

    def set_thumbnail(self, event_id: str, jpeg: bytes | None) -> None:
        """Show an alert's thumbnail once it has been read."""
        icon = icon_from_jpeg(jpeg)
        for item in self._items(event_id) if icon is not None else ():
            item.setIcon(icon)

    def mark_done(self, event_id: str, state: str) -> None:
        """Show an operator's decision on the alert's line."""
        for item in self._items(event_id):
            item.setText(item.text().split("  ✓")[0] + f"  ✓ {state}")

    def _items(self, event_id: str) -> list[QListWidgetItem]:
        return [item for item in map(self.list.item, range(self.list.count()))
                if item.data(Qt.ItemDataRole.UserRole) == event_id]

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
