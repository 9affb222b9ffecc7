"""The incident table of the review panel: a model over loaded rows, and thumbnails read only for rows on screen.

The model holds what the link returned (record and operator state) and formats it only when the
view asks, that is for the rows it paints: 20 000 rows cost their list, not 20 000 widgets.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from surveil.store.records import EventRecord, OperatorState
from ui.theme import SEVERITIES, local_date_time
from ui.worker import Job

logger = logging.getLogger(__name__)

COLUMNS = ("Time", "Camera", "Rule", "Label", "Severity", "State", "Verdict", "Lock", "Note", "Score")
# What each column is sized to show (the header's title, if wider, wins); Rule takes what is left over.
COLUMN_SAMPLES = {"Camera": "walkway2", "Label": "person", "Severity": "● critical",
                  "State": "acknowledged", "Verdict": "false alarm", "Lock": "locked", "Note": "seen by the guard",
                  "Score": "0.00"}
TIME_SAMPLE = 1_798_498_680  # late on 28 December: two-digit day, month and hour in any locale's format
CELL_PADDING = 16
RULE_MIN_W = 120  # below this the table scrolls sideways, inside itself
SEVERITY_COLOURS = {name: severity.outline for name, severity in SEVERITIES.items()}  # readable on dark
VERDICTS = {"false_alarm": "false alarm", "correct": "correct"}
THUMBNAIL = QSize(44, 32)  # a row of 36 px: eight rows fit a 768 px screen
RECORD_ROLE = Qt.ItemDataRole.UserRole  # the row's EventRecord, whatever the column

Row = tuple[EventRecord, OperatorState | None]  # None: not known (a search hit carries no operator state)


class IncidentModel(QAbstractTableModel):
    """Incidents newest first; thumbnails are asked of ``thumbnails`` the first time a row is painted."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[Row] = []
        self._row_of: dict[str, int] = {}
        self.icons: dict[str, QIcon] = {}
        self.thumbnails = ThumbnailLoader(self)

    # -- contents -------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every row (and stop reading their thumbnails)."""
        self.beginResetModel()
        self.rows, self._row_of, self.icons = [], {}, {}
        self.thumbnails.reset()
        self.endResetModel()
        gc.unfreeze()  # what append() kept from the collector goes back to it: a cycle that died since is freed

    def append(self, rows: list[Row]) -> None:
        """Add rows at the end (an older page)."""
        rows = [row for row in rows if row[0].event_id not in self._row_of]
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for i, row in enumerate(rows, first):
            self._row_of[row[0].event_id] = i
        self.rows += rows
        self.endInsertRows()
        # Rows stay for the life of the list: keep them (and everything else alive now) out of the
        # cyclic collector's full scans, which otherwise pause the GUI thread longer as the list grows.
        # Records hold no cycles, so reference counting still frees them when the list is cleared.
        gc.freeze()

    def record(self, row: int) -> EventRecord:
        """The incident on a row."""
        return self.rows[row][0]

    def state(self, row: int) -> OperatorState | None:
        """The operator state of a row's incident, if known."""
        return self.rows[row][1]

    def row_of(self, event_id: str) -> int | None:
        """The row of an incident, if it is listed."""
        return self._row_of.get(event_id)

    def apply(self, event_id: str, changes: dict) -> None:
        """Show a triage the link has stored: the same change the store makes to its operator state."""
        row = self._row_of.get(event_id)
        if row is None:
            return
        record, state = self.rows[row]
        state = replace(state or OperatorState(), notes=list(state.notes) if state else [])
        for key, value in changes.items():
            if key == "note":
                state.notes.append(value)
            else:
                setattr(state, key, value)
        self.rows[row] = (record, state)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_icons(self, images: dict[str, QImage]) -> None:
        """Thumbnails read for listed rows; rows no longer listed are ignored."""
        for event_id, image in images.items():
            row = self._row_of.get(event_id)
            if row is not None and not image.isNull():
                self.icons[event_id] = QIcon(QPixmap.fromImage(image))
                self.dataChanged.emit(self.index(row, 0), self.index(row, 0), [Qt.ItemDataRole.DecorationRole])

    # -- Qt's model interface -------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        """Rows loaded so far."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """One column per field shown."""
        return 0 if parent.isValid() else len(COLUMNS)

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        """One call per cell (Qt's own asks rowCount and columnCount for each: two calls into Python)."""
        if parent.isValid() or not (0 <= row < len(self.rows) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        """A cell, formatted when the view paints it."""
        if not index.isValid():
            return None
        record, state = self.rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(column, record, state)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.DecorationRole and column == "Time":
            icon = self.icons.get(record.event_id)
            if icon is None:
                self.thumbnails.want(record.event_id)
            return icon
        if role == Qt.ItemDataRole.ForegroundRole and column == "Severity":
            return QBrush(QColor(SEVERITY_COLOURS.get(record.severity, "#ddd")))
        if role == Qt.ItemDataRole.ToolTipRole and column == "Note" and state and state.notes:
            return "\n".join(state.notes)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "Score":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def incident_table(model: IncidentModel) -> QTableView:
    """The table over the model: whole rows selected, fixed row heights (never measured: 20 000 rows cost nothing)."""
    table = IncidentTable(selectionBehavior=QAbstractItemView.SelectionBehavior.SelectRows,
                          selectionMode=QAbstractItemView.SelectionMode.ExtendedSelection, iconSize=THUMBNAIL,
                          textElideMode=Qt.TextElideMode.ElideRight, wordWrap=False, alternatingRowColors=True)
    table.setModel(model)
    rows = table.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(THUMBNAIL.height() + 4)
    rows.hide()
    columns = table.horizontalHeader()
    columns.setHighlightSections(False)
    cells, titles = table.fontMetrics(), columns.fontMetrics()
    for i, column in enumerate(COLUMNS):
        sample = local_date_time(TIME_SAMPLE) if column == "Time" else COLUMN_SAMPLES.get(column, "")
        width = max(cells.horizontalAdvance(sample), titles.horizontalAdvance(column) + 8) + CELL_PADDING
        columns.resizeSection(i, width + (THUMBNAIL.width() + 6 if column == "Time" else 0))
    columns.sectionResized.connect(table.fit_rule)
    return table


class IncidentTable(QTableView):
    """The incident table; its Rule column takes the width the others leave, down to ``RULE_MIN_W``."""

    RULE = COLUMNS.index("Rule")

    def fit_rule(self, section: int = -1, *_sizes) -> None:
        """Widen or narrow Rule to the viewport (after the viewport or another column changed size)."""
        if section == self.RULE:
            return  # the operator dragged Rule itself, or this call's own resize
        header = self.horizontalHeader()
        others = sum(header.sectionSize(i) for i in range(header.count()) if i != self.RULE)
        header.resizeSection(self.RULE, max(RULE_MIN_W, self.viewport().width() - others))

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt's name)
        """Refit Rule when the viewport changes width (the panel resized, a scroll bar came or went)."""
        if event.type() == QEvent.Type.Resize:
            self.fit_rule()
        return super().viewportEvent(event)


def _text(column: str, record: EventRecord, state: OperatorState | None) -> str:
    if column == "Time":
        return local_date_time(record.start)
    if column in ("Camera", "Rule", "Label"):
        return {"Camera": record.camera_id, "Rule": record.rule, "Label": record.label}[column]
    if column == "Severity":
        return f"● {record.severity}"
    if column == "Score":
        return "—" if record.peak_probability is None else f"{record.peak_probability:.2f}"
    if state is None:
        return "?"
    if column == "State":
        return "acknowledged" if state.acknowledged else "new" if state.verdict is None else "reviewed"
    if column == "Verdict":
        return VERDICTS.get(state.verdict or "", "—")
    if column == "Lock":
        return "locked" if state.locked else ""
    return state.notes[0] if state.notes else ""  # Note: the view elides it, the tooltip has them all


class ThumbnailLoader(QObject):
    """Reads the thumbnails the view asks for, a batch at a time on a worker, decoded and scaled there."""

    BATCH_DELAY_MS = 30  # gathers the rows one paint asks for into one read

    def __init__(self, model: IncidentModel):
        super().__init__(model)
        self.model = model
        self.read: Callable[[str, str], bytes | None] | None = None  # the link's ``thumbnail``, set by the panel
        self._wanted: dict[str, None] = {}  # in the order asked: the top rows first
        self._asked: set[str] = set()
        self._job: Job | None = None
        self._timer = QTimer(self, singleShot=True, interval=self.BATCH_DELAY_MS, timeout=self._start)

    def want(self, event_id: str) -> None:
        """Read this incident's thumbnail soon (once)."""
        if event_id not in self._asked:
            self._asked.add(event_id)
            self._wanted[event_id] = None
            if self._job is None and not self._timer.isActive():
                self._timer.start()

    def reset(self) -> None:
        """The rows are gone: drop what was asked and stop reading."""
        self._wanted.clear()
        self._asked.clear()
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def busy(self) -> bool:
        """Whether thumbnails are being read or waiting to be."""
        return self._job is not None or bool(self._wanted)

    def _start(self) -> None:
        if self.read is None or not self._wanted or self._job is not None:
            return
        ids, read = list(self._wanted), self.read
        self._wanted.clear()

        def work(job: Job) -> dict[str, QImage]:
            images = {}
            for i, event_id in enumerate(ids):
                job.progress(i, len(ids))  # a reset (new rows) ends the read here
                data = read("e", event_id)
                image = QImage.fromData(data, "JPEG") if data else QImage()
                if not image.isNull():  # none stored, or not a readable JPEG: the row keeps no icon
                    images[event_id] = image.scaled(THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation)
            return images

        self._job = Job(work, self)
        self._job.done.connect(self._done)
        self._job.failed.connect(self._failed)
        for ended in (self._job.done, self._job.failed):
            ended.connect(self._job.deleteLater)
        self._job.start()

    def _done(self, images: dict[str, QImage]) -> None:
        if self.sender() is not self._job:
            return  # read for rows a reset dropped
        self._job = None
        self.model.set_icons(images)
        self._start()

    def _failed(self, message: str) -> None:
        if self.sender() is not self._job:
            return
        self._job = None
        if message != "cancelled":
            logger.warning("could not read thumbnails: %s", message)
        self._start()
