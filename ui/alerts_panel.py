"""Live alerts, newest first: thumbnail, camera, rule, time and severity; acknowledge and mark them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor
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
    """Emits ``action(event_id, what)`` for acknowledge, false_alarm, correct and note; the window acts."""

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
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.mute)

    def add_alert(self, record: EventRecord, thumbnail: bytes | None) -> QListWidgetItem:
        """Put a new alert at the top; loud ones beep unless muted."""
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

    def mark_done(self, event_id: str, state: str) -> None:
        """Show an operator's decision on the alert's line."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == event_id:
                item.setText(item.text().split("  ✓")[0] + f"  ✓ {state}")

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
