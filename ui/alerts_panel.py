"""Live alerts, newest first: thumbnail, camera, rule, time and severity; acknowledge and mark them."""

from __future__ import annotations

import datetime as dt

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

from surveil.store.records import EventRecord
from ui.images import icon_from_jpeg

SEVERITY_COLOURS = {"low": "#546e7a", "medium": "#f9a825", "high": "#ef6c00", "critical": "#c62828"}
LOUD = ("high", "critical")


class AlertsPanel(QWidget):
    """Emits ``action(event_id, what, text)`` for acknowledge, false_alarm, correct, note, lock and unlock.

    The window acts. Lock and unlock (keep an event's clip and record from retention) are in the
    list's context menu: they are rarer than the triage buttons.
    """

    action = Signal(str, str, str)

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
        when = dt.datetime.fromtimestamp(record.start).strftime("%H:%M:%S")
        item = QListWidgetItem(f"{when}  {record.camera_id}  [{record.severity}]\n{record.rule}: "
                               f"{record.label} #{record.track_id}")
        item.setData(Qt.ItemDataRole.UserRole, record.event_id)
        item.setForeground(QBrush(QColor(SEVERITY_COLOURS.get(record.severity, "#ddd"))))
        icon = icon_from_jpeg(thumbnail)
        if icon is not None:
            item.setIcon(icon)
        self.list.insertItem(0, item)
        if record.severity in LOUD and not self.mute.isChecked():
            QApplication.beep()
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
