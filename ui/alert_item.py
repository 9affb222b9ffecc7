"""An alert's row in the alerts panel: its text and state, its severity chip, the filter that shows it.

A row keeps its record and operator state in item data, so the panel can filter and count
without asking the link again; the text is rebuilt from them on every change.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from surveil.store.records import EventRecord, OperatorState
from ui.theme import SEVERITIES

logger = logging.getLogger(__name__)

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
CHIP_WIDTH, CHIP_HEIGHT, CHIP_MARGIN = 62, 18, 6
UNKNOWN_CHIP = ("#546e7a", "#ffffff")
SEVERITY_FILTERS = (("Any severity", 0), ("≥ medium", 1), ("≥ high", 2), ("Critical", 3))
ANY_CAMERA = "Any camera"


def chip_colours(severity: str) -> tuple[str, str]:
    """(background, text) of a severity's chip: the theme's banner pair, chosen for contrast."""
    found = SEVERITIES.get(severity)
    return (found.banner, found.text) if found else UNKNOWN_CHIP


def chip_rect(row: QRect) -> QRect:
    """Where the chip sits in a row: at its right edge, on its first line."""
    return QRect(row.right() - CHIP_MARGIN - CHIP_WIDTH, row.top() + 4, CHIP_WIDTH, CHIP_HEIGHT)


def status_text(state: OperatorState) -> str:
    """The operator's marks on one line, none hiding another: "✓ false alarm · locked · note: gate was open"."""
    parts = [state.verdict.replace("_", " ") if state.verdict else "acknowledged" if state.acknowledged else "",
             "locked" if state.locked else "", *(f"note: {note}" if note else "note" for note in state.notes)]
    text = " · ".join(p for p in parts if p)
    return f"✓ {text}" if state.acknowledged else text


def row_text(record: EventRecord, state: OperatorState) -> str:
    """Time and camera; rule, label and track; then the operator's marks when there are any."""
    moment = dt.datetime.fromtimestamp(record.start)  # a stored alert may be days old: then the date too
    when = moment.strftime("%H:%M:%S" if moment.date() == dt.date.today() else "%d %b %H:%M:%S")
    marks = status_text(state)
    return (f"{when}  {record.camera_id}\n{record.rule}: {record.label} #{record.track_id}"
            + (f"\n{marks}" if marks else ""))


def make_item(record: EventRecord, state: OperatorState | None = None) -> QListWidgetItem:
    """A row for an alert, with its state (a new alert's is empty)."""
    item = QListWidgetItem()
    item.setData(Qt.ItemDataRole.UserRole, record.event_id)
    item.setData(RECORD_ROLE, record)
    item.setToolTip(f"{record.severity} — {record.rule} on {record.camera_id}")
    set_state(item, state or OperatorState())
    return item


def record_of(item: QListWidgetItem) -> EventRecord:
    """The alert a row shows."""
    return item.data(RECORD_ROLE)


def state_of(item: QListWidgetItem) -> OperatorState:
    """The operator's marks on a row's alert, as the panel last heard of them."""
    return item.data(STATE_ROLE)


def set_state(item: QListWidgetItem, state: OperatorState) -> None:
    """Keep the state and show it."""
    item.setData(STATE_ROLE, state)
    item.setText(row_text(record_of(item), state))


def apply(item: QListWidgetItem, changes: dict) -> None:
    """Apply the arguments of a ``link.mark_event`` (acknowledged, verdict, locked, note) to a row."""
    state = copy.deepcopy(state_of(item))  # item data is shared by reference: never change it in place
    for key in ("acknowledged", "verdict", "locked"):
        if changes.get(key) is not None:
            setattr(state, key, changes[key])
    if changes.get("note") is not None:
        state.notes.append(changes["note"])
    set_state(item, state)


class ChipDelegate(QStyledItemDelegate):
    """Draws each row as usual, short of its right edge, and its severity as a coloured chip there."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:  # noqa: D102 (Qt's)
        shrunk = QStyleOptionViewItem(option)
        shrunk.rect = option.rect.adjusted(0, 0, -(CHIP_WIDTH + 2 * CHIP_MARGIN), 0)
        super().paint(painter, shrunk, index)
        record = index.data(RECORD_ROLE)
        if record is None:
            return
        background, text = chip_colours(record.severity)
        rect = chip_rect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, 4, 4)
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        painter.setPen(QColor(text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, record.severity.upper())
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 (Qt's name)
        """Room for the chip beside the text."""
        size = super().sizeHint(option, index)
        return QSize(size.width() + CHIP_WIDTH + 2 * CHIP_MARGIN, max(size.height(), CHIP_HEIGHT + 8))


class AlertFilter(QWidget):
    """Which rows are shown: a least severity, one camera (of those seen) or any, unacknowledged only."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.severity = QComboBox()
        for label, rank in SEVERITY_FILTERS:
            self.severity.addItem(label, rank)
        self.camera = QComboBox()
        self.camera.addItem(ANY_CAMERA)
        self.unacknowledged_only = QCheckBox("Unacknowledged only")
        self.severity.currentIndexChanged.connect(self.changed)
        self.camera.currentIndexChanged.connect(self.changed)
        self.unacknowledged_only.toggled.connect(self.changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.severity, self.camera, self.unacknowledged_only):
            row.addWidget(widget)
        row.addStretch(1)

    def seen(self, camera_id: str) -> None:
        """Offer a camera once one of its alerts is listed."""
        if self.camera.findText(camera_id) < 0:
            self.camera.addItem(camera_id)

    def passes(self, item: QListWidgetItem) -> bool:
        """Whether a row is shown."""
        record = record_of(item)
        return (RANK.get(record.severity, 0) >= self.severity.currentData()
                and self.camera.currentText() in (ANY_CAMERA, record.camera_id)
                and not (self.unacknowledged_only.isChecked() and state_of(item).acknowledged))
